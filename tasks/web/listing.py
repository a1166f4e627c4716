"""What a fetched body is (feed, JSON Feed, sitemap, sitemap index, page) and what it lists."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from tasks.formats.base import Entry, ParseError, decode, first_text, parse_date, safe_id
from tasks.formats.feeds import feed_entries
from tasks.formats.jsonfeed import is_json_feed, json_feed_entries
from tasks.formats.newsml import local, parse_xml

TEASER_WORDS = 150  # an entry text shorter than this is a summary: follow the link (auto)
ELLIPSIS = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading)\W*\Z", re.I)
ROOT_TAG = re.compile(rb"<\s*(?:[\w.-]+:)?([A-Za-z][\w.-]*)[\s>/]")
KINDS = ("feed", "jsonfeed", "sitemap", "sitemapindex", "page")


@dataclass(slots=True)
class Listing:
    """What a listing body holds: entries (feeds, sitemaps) or child sitemaps (an index)."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


def body_kind(content_type: str | None, data: bytes) -> str | None:
    """Return what a fetched body is, from its content and Content-Type; None when unknown."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        try:
            return "jsonfeed" if is_json_feed(json.loads(decode(data))) else None
        except (ParseError, ValueError, RecursionError):
            return None
    for match in ROOT_TAG.finditer(head):
        tag = match.group(1).decode("ascii", "replace").lower()
        if tag in {"xml", "doctype"} or head[match.start() + 1 : match.start() + 2] in b"?!":
            if tag == "doctype" and b"html" in head[match.start() : match.start() + 20].lower():
                return "page"
            continue
        if tag in {"rss", "feed", "rdf"}:
            return "feed"
        if tag in {"urlset", "sitemapindex"}:
            return "sitemap" if tag == "urlset" else "sitemapindex"
        if tag in {"html", "head", "body"}:
            return "page"
        break
    if mime in ("text/html", "application/xhtml+xml"):
        return "page"
    return None


def read_listing(data: bytes, kind: str, base_url: str) -> Listing:
    """Parse a feed, JSON Feed or sitemap; links are made absolute against base_url."""
    if kind == "feed":
        entries = feed_entries(data)
    elif kind == "jsonfeed":
        entries = json_feed_entries(json.loads(decode(data)))
    elif kind in ("sitemap", "sitemapindex"):
        return read_sitemap(data, base_url)
    else:
        raise ParseError("unsupported_format", f"not a listing: {kind}")
    for entry in entries:
        if entry.link:
            entry.link = urljoin(base_url, entry.link)
    return Listing(kind, entries)


def read_sitemap(data: bytes, base_url: str) -> Listing:
    """Read a sitemap (with Google News fields) or a sitemap index, through the hardened parser."""
    root = parse_xml(data)
    if local(root.tag) == "sitemapindex":
        locs = [text_of(s, "loc") for s in root if local(s.tag) == "sitemap"]
        return Listing("sitemapindex", sitemaps=[urljoin(base_url, u) for u in locs if u])
    entries = []
    for number, element in enumerate((u for u in root if local(u.tag) == "url"), start=1):
        loc = text_of(element, "loc")
        if not loc:
            continue
        link = urljoin(base_url, loc)
        news = next((c for c in element if local(c.tag) == "news"), None)
        title = text_of(news, "title") if news is not None else None
        published = text_of(news, "publication_date") if news is not None else None
        language = None
        if news is not None:
            publication = next((c for c in news if local(c.tag) == "publication"), None)
            language = text_of(publication, "language") if publication is not None else None
        entries.append(
            Entry(
                item_id=safe_id(link, str(number)),
                body=None,
                title=title,
                link=link,
                published_at=parse_date(published or text_of(element, "lastmod")),
                language=(language or "").split("-")[0].lower()[:8] or None,
                number=number,
            )
        )
    return Listing("sitemap", entries)


def text_of(element: object, name: str) -> str | None:
    """Return the stripped text of an element's first child of that local name."""
    for child in element:  # type: ignore[attr-defined]
        if local(child.tag) == name:
            return first_text(child.text)
    return None


def is_teaser(entry: Entry) -> bool:
    """Return whether an entry carries no content (a summary or description only) or a short one.

    RSS `description`, Atom `summary` and JSON Feed `summary` are synopses by definition, so
    only content (`content:encoded`, Atom `content`, `content_text`/`content_html`) of at least
    TEASER_WORDS words that does not trail off with an ellipsis is taken as the full text.
    """
    body = (entry.body or "").strip()
    if not entry.has_content:
        return True
    return len(body.split()) < TEASER_WORDS or bool(ELLIPSIS.search(body[-40:]))


def wants_page(entry: Entry, kind: str, follow: str) -> bool:
    """Return whether to fetch an entry's page: sitemaps always, feeds as follow says."""
    if not entry.link:
        return False
    if kind == "sitemap" or follow == "always":
        return True
    return follow == "auto" and is_teaser(entry)
