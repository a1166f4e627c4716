"""JSON documents and JSON Lines: one record, an array of records, one record a line, JSON Feed."""

from __future__ import annotations

import json
from collections.abc import Iterator

from tasks.common import Document, Reject
from tasks.formats.base import Entry, Origin, ParseError, decode, first_text, parse_date, safe_id
from tasks.formats.markup import html_to_text
from tasks.formats.ninjs import parse_record
from tasks.language import language_tag


def parse_jsonl(data: bytes, origin: Origin) -> Iterator[Document | Reject]:
    """Read JSON Lines one line at a time; each bad line becomes its own reject."""
    start = 0
    number = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        line = data[start:end]
        start = end + 1
        number += 1
        if not line.strip():
            continue
        fallback = f"{origin.stem}:{number}"
        try:
            record = json.loads(line)
        except UnicodeDecodeError:  # a line in Latin-1 or Windows-1252: detect and retry
            try:
                record = json.loads(decode(line))
            except (ParseError, ValueError, RecursionError) as err:
                yield origin.reject(fallback, "bad_json", f"line {number}: {str(err)[:200]}")
                continue
        except (ValueError, RecursionError) as err:  # JSONDecodeError
            yield origin.reject(fallback, "bad_json", f"line {number}: {str(err)[:200]}")
            continue
        item = parse_record(record, origin, fallback)
        if isinstance(item, Document):
            item.origin = f"{origin.name}:{number}"
        yield item


def parse_json(data: bytes, origin: Origin) -> Iterator[Document | Reject]:
    """Read a JSON document: an object, an array of objects, or else JSON Lines."""
    try:
        text = decode(data)
    except ParseError as err:
        yield origin.reject(origin.stem, err.reason, err.detail)
        return
    try:
        value = json.loads(text)
    except RecursionError:
        yield origin.reject(origin.stem, "bad_json", "nested too deeply")
        return
    except ValueError as err:
        if "\n" in text.strip():  # several lines: JSON Lines under a .json name
            yield from parse_jsonl(text.encode("utf-8"), origin)
        else:
            yield origin.reject(origin.stem, "bad_json", str(err)[:200])
        return
    if is_json_feed(value):
        for entry in json_feed_entries(value):
            yield entry.document(origin)
        return
    if isinstance(value, list):
        for number, record in enumerate(value, start=1):
            yield parse_record(record, origin, f"{origin.stem}:{number}")
    else:
        yield parse_record(value, origin, origin.stem)


def is_json_feed(value: object) -> bool:
    """Return whether a JSON value is a JSON Feed (https://jsonfeed.org/version/1.1)."""
    version = value.get("version") if isinstance(value, dict) else None
    return isinstance(version, str) and "jsonfeed.org/version" in version


def json_feed_entries(value: dict) -> list[Entry]:
    """Return the items of a JSON Feed as entries; content_text beats content_html beats summary."""
    items = value.get("items")
    language = language_tag(value.get("language"))
    entries = []
    for number, item in enumerate(items if isinstance(items, list) else [], start=1):
        if not isinstance(item, dict):
            continue
        html = first_text(item.get("content_html"))
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        names = [a.get("name") for a in authors if isinstance(a, dict)]
        link = first_text(item.get("url"), item.get("external_url"))
        entries.append(
            Entry(
                item_id=safe_id(first_text(item.get("id"), link), str(number)),
                body=first_text(item.get("content_text"))
                or (html_to_text(html).strip() if html else None)
                or first_text(item.get("summary")),
                has_content=bool(first_text(item.get("content_text")) or html),
                title=first_text(item.get("title")),
                link=link,
                published_at=parse_date(item.get("date_published") or item.get("date_modified")),
                author=first_text(*names),
                language=language_tag(item.get("language")) or language,
                number=number,
            )
        )
    return entries
