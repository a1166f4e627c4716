"""IPTC ninjs 1.x, 2.x and 3.0 items, and plain JSON records, into documents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tasks.common import Document, Reject
from tasks.formats.base import Origin, first_text, parse_date, safe_id
from tasks.formats.markup import html_to_text, looks_like_html
from tasks.language import language_tag

# Keys only ninjs uses, lowercased (3.0 writes `versionCreated` where 1.x writes
# `versioncreated`); a record with `uri` and one of these, or any `body_*`, is read as ninjs.
NINJS_KEYS = {
    "versioncreated", "firstcreated", "bodies", "headlines", "pubstatus", "located", "byline",
    "bylines", "subject", "subjects", "contentcreated", "type", "profile", "embargoed",
    "renditions",
}  # fmt: skip
WITHDRAWN = {"canceled", "cancelled"}
MARKUP_TYPES = ("html", "xml", "nitf")  # in a content type or a 1.x `body_*` name


def is_ninjs(record: dict[str, Any]) -> bool:
    """Return True when a JSON object looks like an IPTC ninjs item (even one missing its uri)."""
    keys = {str(k).lower() for k in record}
    found = len(NINJS_KEYS & keys) + any(k.startswith("body_") for k in keys)
    return found >= 2 or ("uri" in keys and found >= 1)


def ninjs_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Return an item's top-level fields under lowercase names, as 1.x and 2.x spell them."""
    return {str(key).lower(): value for key, value in record.items()}


def part_type(part: dict[str, Any]) -> str:
    """Return the content type of a body or rendition: 3.0 `contentType`, 2.x `contenttype`."""
    return str(part.get("contentType") or part.get("contenttype") or part.get("mimetype") or "")


def as_text(value: str, kind: str) -> str:
    """Return a body as plain text: markup (by its declared kind, or by its look) made text."""
    markup = any(t in kind.lower() for t in MARKUP_TYPES) or looks_like_html(value)
    return html_to_text(value) if markup else value


def parse_version(value: object) -> int | None:
    """Return a positive integer version, None when absent; raise ValueError when malformed."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(f"version {value!r} is not a number")
    number = int(str(value).strip()) if not isinstance(value, int) else value
    if number < 0 or number > 2**31 - 1:
        raise ValueError(f"version {value!r} is out of range")
    return number


def ninjs_body(record: dict[str, Any]) -> str | None:
    """Return the plain text of a ninjs body: 1.x `body_*` fields, or 2.x and 3.0 `bodies`."""
    # 1.x names a body by its form (body_text, body_html, body_xhtml, body_nitf, ...): plain
    # text first, then the others in the order the item gives them.
    fields = sorted(
        (
            k
            for k, v in record.items()
            if k.startswith("body_") and isinstance(v, str) and v.strip()
        ),
        key=lambda k: k != "body_text",
    )
    if fields:
        return as_text(record[fields[0]], fields[0])
    bodies = record.get("bodies")
    if isinstance(bodies, list):
        texts = [b for b in bodies if isinstance(b, dict) and isinstance(b.get("value"), str)]
        plain = [b for b in texts if not any(t in part_type(b) for t in MARKUP_TYPES)]
        chosen = (plain or texts)[:1]
        if chosen:
            return as_text(chosen[0]["value"], part_type(chosen[0]))
    return None


def ninjs_url(record: dict[str, Any]) -> str | None:
    """Return the item's web address: `url` or `link`, else the href of an HTML rendition."""
    found = first_text(record.get("url"), record.get("link"))
    renditions = record.get("renditions")  # 1.x: an object by name; 2.x and 3.0: an array
    if found or not isinstance(renditions, dict | list):
        return found
    for rendition in renditions.values() if isinstance(renditions, dict) else renditions:
        if isinstance(rendition, dict) and "html" in part_type(rendition):
            href = first_text(rendition.get("href"))
            if href and href.startswith(("https://", "http://")):
                return href
    return None


def held_back(record: dict[str, Any], status: str, origin: Origin, item_id: str) -> Reject | None:
    """Return the reject of an item not for publication yet: withheld, or under embargo."""
    if status == "withheld":
        return origin.reject(item_id, "withheld", "pubstatus withheld: not for publication yet")
    embargo = record.get("embargoed")
    if embargo in (None, ""):
        return None
    until = parse_date(embargo)
    if until is None:  # an embargo nobody can read is not taken as lifted
        return origin.reject(item_id, "bad_field", f"embargoed: not a date: {str(embargo)[:40]}")
    if until > datetime.now(UTC):
        return origin.reject(
            item_id,
            "embargoed",
            f"embargoed until {until:%Y-%m-%dT%H:%M:%SZ}: not for publication yet",
        )
    return None


def ninjs_headline(record: dict[str, Any]) -> str | None:
    """Return the headline: 1.x `headline` or the first of 2.x `headlines`."""
    headlines = record.get("headlines")
    from_list = None
    if isinstance(headlines, list):
        from_list = first_text(*(h.get("value") for h in headlines if isinstance(h, dict)))
    return first_text(record.get("headline"), from_list)


def ninjs_byline(record: dict[str, Any]) -> str | None:
    """Return the byline: 1.x `byline` or 2.x `bylines` (byline or name of each)."""
    bylines = record.get("bylines")
    if isinstance(bylines, list):
        names = [first_text(b.get("byline"), b.get("name")) for b in bylines if isinstance(b, dict)]
        names = [n for n in names if n]
        if names:
            return ", ".join(names)
    return first_text(record.get("byline"), record.get("by"))


def ninjs_language(record: dict[str, Any]) -> str | None:
    """Return the declared language code, e.g. `en` from `en-GB`."""
    return language_tag(record.get("language"))


def parse_ninjs(record: dict[str, Any], origin: Origin, fallback_id: str) -> Document | Reject:
    """Read one ninjs item of any version; `uri` is required, pubstatus `canceled` marks a kill."""
    record = ninjs_fields(record)
    uri = record.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        return origin.reject(fallback_id, "missing_field", "ninjs item without a uri")
    item_id = safe_id(uri, fallback_id)
    try:
        version = parse_version(record.get("version"))
    except (TypeError, ValueError) as err:
        return origin.reject(item_id, "bad_field", f"ninjs version: {err}")
    status = str(record.get("pubstatus") or "usable").lower()
    held = held_back(record, status, origin, item_id)
    if held is not None:
        return held
    located = record.get("located")
    return Document(
        source=origin.wire(),
        source_item_id=item_id,
        body=ninjs_body(record),
        title=ninjs_headline(record),
        url=ninjs_url(record),
        published_at=parse_date(
            record.get("firstcreated")
            or record.get("versioncreated")
            or record.get("contentcreated")
            or record.get("published_at")
        ),
        origin=origin.name,
        byline=ninjs_byline(record),
        item_uri=item_id,
        version=version,
        withdrawn=status in WITHDRAWN,
        language=ninjs_language(record),
        dateline=located if isinstance(located, str) else None,
    )


def parse_record(record: object, origin: Origin, fallback_id: str) -> Document | Reject:
    """Read one JSON record: ninjs when it looks like it, else the plain record form."""
    if not isinstance(record, dict):
        return origin.reject(fallback_id, "bad_json", "not an object")
    if is_ninjs(record):
        return parse_ninjs(record, origin, fallback_id)
    body = record.get("body")
    if body is None:
        body = record.get("text")
    item_id = safe_id(record.get("id") or record.get("guid"), fallback_id)
    try:
        version = parse_version(record.get("version"))
    except (TypeError, ValueError) as err:
        return origin.reject(item_id, "bad_field", f"version: {err}", record.get("source"))
    status = str(record.get("status") or record.get("pubstatus") or "").lower()
    held = held_back(record, status, origin, item_id)
    if held is not None:
        return held
    return Document(
        source=origin.wire(record.get("source")),
        source_item_id=item_id,
        body=body if isinstance(body, str) else None,
        title=first_text(record.get("title"), record.get("headline")),
        url=first_text(record.get("url")),
        published_at=parse_date(record.get("published_at") or record.get("date")),
        origin=origin.name,
        byline=first_text(record.get("byline"), record.get("author")),
        item_uri=item_id,
        version=version,
        withdrawn=status in WITHDRAWN,
        language=ninjs_language(record),
    )
