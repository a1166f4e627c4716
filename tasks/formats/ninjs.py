"""IPTC ninjs 1.x and 2.x items, and plain JSON records, into documents."""

from __future__ import annotations

from typing import Any

from tasks.common import Document, Reject
from tasks.formats.base import Origin, first_text, parse_date, safe_id
from tasks.formats.markup import html_to_text

# Keys only ninjs uses; a record with `uri` and one of these is read as ninjs.
NINJS_KEYS = {
    "versioncreated", "firstcreated", "body_text", "body_html", "bodies", "headlines",
    "pubstatus", "located", "byline", "bylines", "subject", "contentcreated", "type", "profile",
}  # fmt: skip
WITHDRAWN = {"canceled", "cancelled"}


def is_ninjs(record: dict[str, Any]) -> bool:
    """Return True when a JSON object looks like an IPTC ninjs item (even one missing its uri)."""
    found = len(NINJS_KEYS & record.keys())
    return found >= 2 or ("uri" in record and found >= 1)


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
    """Return the plain text of a ninjs body: 1.x body_text/body_html or 2.x bodies."""
    if isinstance(record.get("body_text"), str):
        return record["body_text"]
    if isinstance(record.get("body_html"), str):
        return html_to_text(record["body_html"])
    bodies = record.get("bodies")
    if isinstance(bodies, list):
        texts = [b for b in bodies if isinstance(b, dict) and isinstance(b.get("value"), str)]
        plain = [b for b in texts if "html" not in str(b.get("contenttype", "text/plain"))]
        if plain:
            return plain[0]["value"]
        if texts:
            return html_to_text(texts[0]["value"])
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
    language = first_text(record.get("language"))
    return language.split("-")[0].lower()[:8] if language else None


def parse_ninjs(record: dict[str, Any], origin: Origin, fallback_id: str) -> Document | Reject:
    """Read one ninjs item; `uri` is required, pubstatus `canceled` marks a kill."""
    uri = record.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        return origin.reject(fallback_id, "missing_field", "ninjs item without a uri")
    item_id = safe_id(uri, fallback_id)
    try:
        version = parse_version(record.get("version"))
    except (TypeError, ValueError) as err:
        return origin.reject(item_id, "bad_field", f"ninjs version: {err}")
    status = str(record.get("pubstatus") or "usable").lower()
    if status == "withheld":
        return origin.reject(item_id, "withheld", "pubstatus withheld: not for publication yet")
    located = record.get("located")
    return Document(
        source=origin.wire(),
        source_item_id=item_id,
        body=ninjs_body(record),
        title=ninjs_headline(record),
        url=first_text(record.get("url"), record.get("link")),
        published_at=parse_date(
            record.get("firstcreated") or record.get("versioncreated") or record.get("published_at")
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
