"""Markup to text: HTML fragments and pages into paragraphs, scripts and styles dropped."""

from __future__ import annotations

import re

from lxml import etree, html

DROP = ("script", "style", "noscript", "iframe", "template", "object", "embed", "svg", "head")
BLOCK = {
    "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "blockquote", "pre", "tr", "table", "dd", "dt", "figure", "figcaption", "header", "footer",
    "aside", "main", "address", "hr", "body",
}  # fmt: skip
TAG_HINT = re.compile(
    r"<\s*/?\s*(?:p|br|div|span|a|b|i|em|strong|h[1-6]|li|ul|ol|script|style|blockquote)\b[^>]*>",
    re.IGNORECASE,
)
PARSER = html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, default_doctype=False, encoding="utf-8"
)


def looks_like_html(text: str) -> bool:
    """Return True when text carries HTML tags that should not reach the body."""
    return TAG_HINT.search(text[:20_000]) is not None


def html_to_text(markup: str | bytes) -> str:
    """Return the visible text of HTML with a blank line between blocks."""
    if isinstance(markup, str):
        markup = markup.encode("utf-8", errors="replace")
    if not markup.strip():
        return ""
    try:
        root = html.fromstring(markup, parser=PARSER)
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*DROP)):
        element.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()  # XHTML namespaces
        if name in BLOCK:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif name == "br":
            element.tail = "\n" + (element.tail or "")
    return root.text_content()
