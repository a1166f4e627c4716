"""Wire formats: detect a document's format and parse its bytes into documents or rejects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tasks.common import Document, Reject
from tasks.formats.base import Origin, ParseError
from tasks.formats.feeds import parse_feed
from tasks.formats.jsonfeed import parse_json, parse_jsonl
from tasks.formats.newsml import parse_newsml
from tasks.formats.page import parse_page
from tasks.formats.text import parse_text

Parser = Callable[[bytes, Origin], Iterator[Document | Reject]]
PARSERS: dict[str, Parser] = {
    "text": parse_text,
    "json": parse_json,
    "jsonl": parse_jsonl,
    "ninjs": parse_json,  # ninjs items are JSON objects, told apart record by record
    "newsml": parse_newsml,
    "feed": parse_feed,
    "html": parse_page,
}
FORMATS = (*PARSERS, "auto")
SUFFIXES = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".ninjs": "json",
    ".rss": "feed",
    ".atom": "feed",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
XML_SUFFIXES = {".xml", ".nml", ".newsml", ".g2"}
# Formats whose files hold one article: bigger files are refused before they are parsed.
SINGLE_ITEM = {"text", "html"}
ROOT_TAG = re.compile(rb"<\s*(?:[\w.-]+:)?([A-Za-z][\w.-]*)[\s>/]")


def sniff_xml(head: bytes) -> str | None:
    """Return the format of an XML document from its root element's name."""
    for match in ROOT_TAG.finditer(head):
        tag = match.group(1).decode("ascii", "replace").lower()
        if tag in {"xml", "doctype"}:
            continue
        if tag in {"newsitem", "newsmessage"}:
            return "newsml"
        if tag in {"rss", "feed", "rdf"}:
            return "feed"
        if tag == "html":
            return "html"
        return None
    return None


def detect(name: str, data: bytes) -> str | None:
    """Return the format of a document from its suffix and first bytes; None when unknown."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in XML_SUFFIXES or head.startswith(b"<"):
        lowered = head[:512].lower()
        if suffix not in XML_SUFFIXES and (b"<!doctype html" in lowered or b"<html" in lowered):
            return "html"
        return sniff_xml(head)
    if suffix and head[:1] in (b"{", b"["):
        return "json"
    return None


def parse(data: bytes, origin: Origin, fmt: str) -> Iterator[Document | Reject]:
    """Parse a document's bytes in the given format; a parser's failure becomes a reject."""
    try:
        yield from PARSERS[fmt](data, origin)
    except ParseError as err:
        yield origin.reject(origin.stem, err.reason, err.detail)


__all__ = ["FORMATS", "SINGLE_ITEM", "Origin", "ParseError", "detect", "parse"]
