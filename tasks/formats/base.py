"""What every parser shares: where a document came from, decoding, dates and safe names."""

from __future__ import annotations

import codecs
import email.utils
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

from charset_normalizer import from_bytes

from tasks.common import Document, Reject

STAGE = "ingest"
MAX_NUL_SHARE = 0.01  # a few stray NULs are damage; more means binary
MAX_CONTROL_SHARE = 0.05
DETECT_SAMPLE_BYTES = 256 * 1024  # charset detection looks at a prefix: it is slow on big input
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class ParseError(ValueError):
    """A document a parser cannot take; reason is a short reject code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a received document came from."""

    source: str | None  # wire name forced by the caller or the config
    folder: str  # the folder's name: the wire when nothing else names one
    name: str  # file name, made safe for messages
    stem: str  # item id of a one-item file

    def wire(self, declared: object = None) -> str:
        """Return the wire: forced name, else what the record declares, else the folder."""
        if self.source:
            return self.source
        if isinstance(declared, str) and safe_text(declared).strip():
            return safe_text(declared).strip()[:100]
        return self.folder or "unknown"

    def reject(self, item_id: str, reason: str, detail: str, declared: object = None) -> Reject:
        """Return an ingest reject for an item of this document."""
        return Reject(self.wire(declared), item_id, STAGE, reason, f"{self.name}: {detail}")


def safe_text(value: str) -> str:
    """Replace control, zero-width and bidi characters so names print safely."""
    return UNSAFE_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def safe_id(value: object, fallback: str) -> str:
    """Return an item id without control, zero-width or bidi characters, at most 200 chars."""
    text = UNSAFE_CHARS.sub("", str(value)).strip() if value not in (None, "") else ""
    return text[:200] or fallback


def decode(data: bytes) -> str:
    """Decode bytes to text: BOM, UTF-8, UTF-16 without BOM, else detected; raise if binary."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return checked(data.decode(encoding, errors="replace"))
    if data.count(0) > 0.3 * len(data) and len(data) >= 4:
        encoding = utf16_without_bom(data)
        if encoding:
            return checked(data.decode(encoding, errors="replace"))
    nuls = data.count(0)
    if nuls > MAX_NUL_SHARE * len(data):
        raise ParseError("not_text", f"{nuls} NUL bytes in {len(data)}: binary data")
    data = data.replace(b"\x00", b"")
    try:
        return checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:DETECT_SAMPLE_BYTES]).best()
    if best is None or best.encoding is None:
        raise ParseError("not_text", "no text encoding fits the bytes")
    return checked(data.decode(best.encoding, errors="replace"))


def utf16_without_bom(data: bytes) -> str | None:
    """Return utf-16-le/be when NULs sit on one side of most code units (ASCII-heavy text)."""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    if odd > 0.6 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def checked(text: str) -> str:
    """Return text unless it is mostly control characters or replacement marks (binary)."""
    sample = text[:100_000]
    if not sample:
        return text
    bad = sum(
        1
        for c in sample
        if c == "\ufffd" or (unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    )
    if bad > MAX_CONTROL_SHARE * len(sample):
        raise ParseError("not_text", f"{bad} control or undecodable characters: binary data")
    return text


def parse_date(value: object) -> datetime | None:
    """Parse an ISO 8601 or RFC 822 date into an aware UTC datetime; None if absent or invalid."""
    if value in (None, "") or not isinstance(value, str | int | float | datetime):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float):
        try:  # epoch seconds, as some JSON feeds send
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        parsed = parse_date_text(value.strip())
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_date_text(text: str) -> datetime | None:
    """Parse a date string: ISO 8601 first, then RFC 822 as RSS uses, then a bare ISO date."""
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
    except ValueError:
        return None


def first_text(*values: object) -> str | None:
    """Return the first value that is a non-blank string."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


@dataclass(slots=True)
class Entry:
    """One entry of a feed or sitemap: an item id, its text if the listing carries one, a link."""

    item_id: str
    body: str | None
    title: str | None = None
    link: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    language: str | None = None
    number: int = 0  # position in the listing, for messages
    has_content: bool = False  # body is the entry's content, not its summary or description

    def document(self, origin: Origin) -> Document:
        """Return the entry as a document read from the listing."""
        return Document(
            source=origin.wire(),
            source_item_id=self.item_id,
            body=self.body,
            title=self.title,
            url=self.link,
            published_at=self.published_at,
            origin=f"{origin.name}:{self.number}",
            byline=self.author,
            item_uri=self.item_id,
            language=self.language,
        )
