"""JSON documents and JSON Lines: one record, an array of records, or one record a line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from tasks.common import Document, Reject
from tasks.formats.base import Origin, ParseError, decode
from tasks.formats.ninjs import parse_record


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
    if isinstance(value, list):
        for number, record in enumerate(value, start=1):
            yield parse_record(record, origin, f"{origin.stem}:{number}")
    else:
        yield parse_record(value, origin, origin.stem)
