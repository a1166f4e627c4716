"""The seed text form: optional `date YYYY-MM-DD` line, then the body."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tasks.common import Document, Reject
from tasks.formats.base import Origin, decode, parse_date

DATE_LINE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})[ \t]*(?:\r?\n)?", re.IGNORECASE)
HEADING = re.compile(r"\A(\s*)#{1,6}[ \t]+")  # a Markdown file's leading "# Title"
MARKDOWN = (".md", ".markdown")


def parse_text(data: bytes, origin: Origin) -> Iterator[Document | Reject]:
    """Read one article in the seed text form; the file name is the item id."""
    text = decode(data)
    published_at = None
    match = DATE_LINE.match(text)
    if match:
        published_at = parse_date(match.group(1))
        text = text[match.end() :]
    if origin.name.lower().endswith(MARKDOWN):
        text = HEADING.sub(r"\1", text, count=1)
    yield Document(origin.wire(), origin.stem, text, published_at=published_at, origin=origin.name)
