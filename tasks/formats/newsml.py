"""IPTC NewsML-G2 news items, parsed only through a hardened XML parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from tasks.common import Document, Reject
from tasks.formats.base import Origin, ParseError, first_text, parse_date, safe_id
from tasks.formats.markup import BLOCK
from tasks.formats.ninjs import parse_version
from tasks.language import language_tag

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_XML_BYTES = 32 * 1024 * 1024


def parse_xml(data: bytes) -> ET.Element:
    """Parse XML with entities, DTDs and external references refused (XXE, entity bombs)."""
    if len(data) > MAX_XML_BYTES:
        raise ParseError("too_large", f"{len(data)} bytes of XML")
    if b"<!ENTITY" in data.upper():  # refuse before any parser sees a declaration
        raise ParseError("unsafe_xml", "entity declarations are refused")
    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True)
    except DefusedXmlException as err:
        raise ParseError("unsafe_xml", type(err).__name__) from err
    except ET.ParseError as err:
        raise ParseError("bad_xml", str(err)[:200]) from err


def local(tag: object) -> str:
    """Return an element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child(element: ET.Element | None, *path: str) -> ET.Element | None:
    """Return the first descendant along path, matching tags with or without the namespace."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag) == name), None)
    return element


def text_of(element: ET.Element | None) -> str | None:
    """Return the text inside an element, or None."""
    if element is None:
        return None
    return first_text("".join(element.itertext()))


def xhtml_text(element: ET.Element) -> str:
    """Return inline XHTML as text, a blank line between block elements, scripts dropped."""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        name = local(node.tag).lower()
        if name in {"script", "style", "head"}:
            if node.tail:
                parts.append(node.tail)
            return
        block = name in BLOCK
        if block:
            parts.append("\n\n")
        elif name == "br":
            parts.append("\n")
        parts.append(node.text or "")
        for kid in node:
            walk(kid)
        if block:
            parts.append("\n\n")
        parts.append(node.tail or "")

    for kid in element:
        walk(kid)
    return (element.text or "") + "".join(parts)


def item_body(item: ET.Element) -> str | None:
    """Return the text of a newsItem's content: inline XHTML, else inline data."""
    content = child(item, "contentSet")
    if content is None:
        return None
    for node in content:
        kind = local(node.tag)
        if kind == "inlineXML":
            return xhtml_text(node)
        if kind == "inlineData":
            return node.text or ""
    return None


def qcode(element: ET.Element | None) -> str:
    """Return the lower-cased qcode of a NewsML property, '' when absent."""
    return (element.get("qcode") or "").lower() if element is not None else ""


def parse_item(item: ET.Element, origin: Origin, fallback_id: str) -> Document | Reject:
    """Read one newsItem: guid and version, itemMeta, contentMeta and the content."""
    guid = item.get("guid")
    if not guid or not guid.strip():
        return origin.reject(fallback_id, "missing_field", "newsItem without a guid")
    item_id = safe_id(guid, fallback_id)
    try:
        version = parse_version(item.get("version"))
    except (TypeError, ValueError) as err:
        return origin.reject(item_id, "bad_field", f"newsItem version: {err}")
    meta = child(item, "itemMeta")
    content_meta = child(item, "contentMeta")
    status = qcode(child(meta, "pubStatus")).rsplit(":", 1)[-1]
    if status == "withheld":
        return origin.reject(item_id, "withheld", "pubStatus withheld: not for publication yet")
    language = child(content_meta, "language")
    tag = language.get("tag") if language is not None else item.get(XML_LANG)
    links = [c.get("href") for c in (meta if meta is not None else []) if local(c.tag) == "link"]
    return Document(
        source=origin.wire(),  # the wire the file arrived on, as for every format
        source_item_id=item_id,
        body=item_body(item),
        title=text_of(child(content_meta, "headline")),
        url=first_text(*links),
        published_at=parse_date(
            text_of(child(meta, "firstCreated")) or text_of(child(meta, "versionCreated"))
        ),
        origin=origin.name,
        byline=text_of(child(content_meta, "by")),
        item_uri=item_id,
        version=version,
        withdrawn=status == "canceled",
        language=language_tag(tag),
        dateline=text_of(child(content_meta, "dateline"))
        or text_of(child(content_meta, "located", "name")),
    )


def parse_newsml(data: bytes, origin: Origin) -> Iterator[Document | Reject]:
    """Read a newsItem or a newsMessage of items; anything else is unsupported."""
    try:
        root = parse_xml(data)
    except ParseError as err:
        yield origin.reject(origin.stem, err.reason, err.detail)
        return
    kind = local(root.tag)
    if kind == "newsItem":
        yield parse_item(root, origin, origin.stem)
    elif kind == "newsMessage":
        items = [e for e in root.iter() if local(e.tag) == "newsItem"]
        if not items:
            yield origin.reject(origin.stem, "empty_body", "newsMessage without newsItems")
        for number, item in enumerate(items, start=1):
            yield parse_item(item, origin, f"{origin.stem}:{number}")
    else:
        yield origin.reject(origin.stem, "unsupported_format", f"XML root <{kind}>")
