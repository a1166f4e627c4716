"""RSS and Atom feeds through feedparser, after the hardened XML check."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser

from tasks.common import Document, Reject
from tasks.formats.base import Entry, Origin, ParseError, first_text, safe_id
from tasks.formats.markup import html_to_text, looks_like_html
from tasks.formats.newsml import parse_xml
from tasks.language import language_tag

EMAIL_NAME = re.compile(r"\A\S+@\S+\s*\((?P<name>[^()]+)\)\s*\Z")


def entry_time(entry: Any) -> datetime | None:
    """Return an entry's publication time in UTC (feedparser gives UTC struct_time)."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def entry_author(entry: Any) -> str | None:
    """Return an entry's author name; RSS gives `email (Name)`, and only the name is wanted."""
    author = first_text(entry.get("author"))
    match = EMAIL_NAME.match(author or "")
    return match.group("name").strip() if match else author


def entry_body(entry: Any) -> str | None:
    """Return an entry's text: full content when given, else the summary, markup removed."""
    contents = entry.get("content") or []
    value = first_text(*(c.get("value") for c in contents)) or first_text(entry.get("summary"))
    if value is None:
        return None
    return html_to_text(value) if looks_like_html(value) else value


def entry_language(entry: Any, feed_language: str | None) -> str | None:
    """Return an entry's declared language: its own tag or xml:lang, else the feed's."""
    details = [*(entry.get("content") or [])]
    details += [entry.get("summary_detail"), entry.get("title_detail")]
    tags = [entry.get("language"), *((d or {}).get("language") for d in details)]
    return next(filter(None, map(language_tag, tags)), None) or feed_language


def feed_entries(data: bytes) -> list[Entry]:
    """Return the entries of an RSS or Atom feed; raise ParseError when there are none."""
    try:
        parse_xml(data)  # refuses entity declarations; feedparser itself is never trusted with them
    except ParseError as err:
        if err.reason != "bad_xml":  # malformed XML is left to feedparser's lenient parser
            raise
    feed = feedparser.parse(data)  # bytes, never a string: a string may be fetched as a URL
    if not feed.entries:
        problem = feed.get("bozo_exception")
        reason = "bad_xml" if problem else "empty_body"
        raise ParseError(reason, str(problem or "feed without entries")[:200])
    language = language_tag(feed.feed.get("language"))
    return [
        Entry(
            item_id=safe_id(first_text(entry.get("id"), entry.get("link")), str(number)),
            body=entry_body(entry),
            has_content=any(first_text(c.get("value")) for c in entry.get("content") or []),
            title=first_text(entry.get("title")),
            link=first_text(entry.get("link")),
            published_at=entry_time(entry),
            author=entry_author(entry),
            language=entry_language(entry, language),
            number=number,
        )
        for number, entry in enumerate(feed.entries, start=1)
    ]


def parse_feed(data: bytes, origin: Origin) -> Iterator[Document | Reject]:
    """Read every entry of an RSS or Atom feed; the entry id (else link) is the item id."""
    for entry in feed_entries(data):
        if entry.item_id == str(entry.number):  # neither id nor link: name it after the file
            entry.item_id = f"{origin.stem}:{entry.number}"
        yield entry.document(origin)
