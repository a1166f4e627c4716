"""HTML article pages: trafilatura finds the main text and the metadata."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import trafilatura

from tasks.common import Document, Reject
from tasks.formats.base import Origin, decode, first_text, parse_date
from tasks.language import language_tag

HEAD_CHARS = 65_536  # the declarations sit in the <html> tag and the <head>
HTML_LANG = re.compile(r"<html\b[^>]*?\s(?:xml:)?lang\s*=\s*[\"']?\s*([\w-]+)", re.IGNORECASE)
META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
META_NAME = re.compile(
    r"\b(?:http-equiv|name|property)\s*=\s*[\"']?(?:content-language|language|og:locale|dc\.language)[\"'\s/>]",
    re.IGNORECASE,
)
META_CONTENT = re.compile(r"\bcontent\s*=\s*[\"']?\s*([\w-]+)", re.IGNORECASE)


def page_language(markup: str) -> str | None:
    """Return the language a page declares: <html lang>, else a content-language meta tag."""
    head = markup[:HEAD_CHARS]
    match = HTML_LANG.search(head)
    if match and language_tag(match.group(1)):
        return language_tag(match.group(1))
    for meta in META.findall(head):
        content = META_CONTENT.search(meta)
        if META_NAME.search(meta) and content and language_tag(content.group(1)):
            return language_tag(content.group(1))
    return None


def parse_page(data: bytes, origin: Origin) -> Iterator[Document | Reject]:
    """Read one HTML page; navigation, scripts and boilerplate are left out by trafilatura."""
    markup = decode(data)
    with warnings.catch_warnings():  # trafilatura warns about lxml internals on odd pages
        warnings.simplefilter("ignore")
        found = trafilatura.bare_extraction(
            markup, with_metadata=True, include_comments=False, include_tables=False
        )
    if found is None:
        yield origin.reject(origin.stem, "empty_body", "no article text found in the page")
        return
    meta = found if isinstance(found, dict) else found.as_dict()
    title = first_text(meta.get("title"))
    text = meta.get("text") or ""
    lines = text.split("\n")
    if title and lines and lines[0].strip() == title:  # trafilatura keeps the <h1> in the text
        lines = lines[1:]
    yield Document(
        source=origin.wire(),
        source_item_id=origin.stem,
        body="\n\n".join(line for line in lines if line.strip()),
        title=title,
        url=first_text(meta.get("url")),
        published_at=parse_date(meta.get("date")),
        origin=origin.name,
        byline=first_text(meta.get("author")),
        item_uri=origin.stem,
        language=page_language(markup) or language_tag(meta.get("language")),
    )
