"""Shapes and helpers shared by the stage modules."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa

from warehouse.schemas import REJECTS

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass(slots=True)
class Counts:
    """What a run did, stage by stage."""

    documents_read: int = 0
    articles_loaded: int = 0
    already_loaded: int = 0
    rejects: int = 0
    duplicates: int = 0
    stories_new: int = 0
    mentions: int = 0
    quotes: int = 0
    documents_skipped: int = 0  # files the raw archive already held
    requests: int = 0  # HTTP requests made for live sources
    not_modified: int = 0  # of which the server answered 304
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # the wires the run read, sorted

    def add(self, other: Counts) -> None:
        """Add another batch's counts to these."""
        for name, value in asdict(other).items():
            if name == "rejects_by_reason":
                for reason, n in value.items():
                    self.rejects_by_reason[reason] = self.rejects_by_reason.get(reason, 0) + n
            elif name == "sources":
                self.sources = sorted({*self.sources, *value})
            else:
                setattr(self, name, getattr(self, name) + value)


@dataclass(slots=True)
class Document:
    """One document as read from a wire, before cleaning."""

    source: str
    source_item_id: str
    body: str | None
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    origin: str = ""  # file (and line) it came from, for error messages
    byline: str | None = None
    item_uri: str | None = None  # the item's guid across versions (defaults to source_item_id)
    version: int | None = None  # the version the source gave, None when it gives none
    withdrawn: bool = False  # killed / canceled at the source
    language: str | None = None  # language the source declared
    dateline: str | None = None  # dateline or place the source declared
    raw_id: str | None = None  # the raw row the document was read from


@dataclass(slots=True)
class Reject:
    """A document a stage could not take, with a short reason code."""

    source: str
    source_item_id: str
    stage: str
    reason: str
    detail: str = ""


class ItemKey(NamedTuple):
    """What ties an item's versions together: its wire and its URI, else its item id."""

    source: str
    uri: str


class StoredVersion(NamedTuple):
    """One known version of an item (sorts by version number)."""

    version: int
    article_id: str
    body: str
    title: str | None


def item_key(doc: Document) -> ItemKey:
    """Return the key that ties a document's versions together."""
    return ItemKey(doc.source, doc.item_uri or doc.source_item_id)


@dataclass(slots=True)
class Batch:
    """What one stage hands the next: good rows and the rejects made so far."""

    documents: list[Document] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    raw: pa.Table | None = None  # documents as received (raw table rows), None when not kept
    skipped: int = 0  # files skipped because the raw archive already holds them
    history: dict[ItemKey, list[StoredVersion]] = field(default_factory=dict)  # oldest first


def freeze_heap() -> None:
    """Move the objects alive now (modules, a loaded model) out of the collector's full scans."""
    # They live as long as the process, yet every full collection walks them all: about 3 s
    # of the flow process's CPU in an 840-article run, on the cores spaCy's workers share.
    gc.collect()
    gc.freeze()


def _libc_trim():
    """Return glibc's malloc_trim, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


_MALLOC_TRIM = _libc_trim()


def release_memory() -> None:
    """Hand memory freed by a finished batch back to the system: Arrow's pool and C's heap."""
    # Freed pages otherwise stay in the allocators' pools, and the flow process's RSS creeps up
    # batch after batch though the live data does not.
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def stable_id(*parts: str, length: int = 16) -> str:
    """Return a short hex id derived from the given strings."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


WORD = re.compile(r"\w+")
NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def match_words(text: str) -> list[str]:
    """Return the words of text folded for comparison: accents, case, quote marks, punctuation.

    Quote marks (curly, primes, accents) are never word characters, nor decompose into any, so
    they separate words like all other punctuation.
    """
    text = NON_ASCII.sub(drop_combining, unicodedata.normalize("NFKD", text))
    return WORD.findall(text.casefold())


def drop_combining(run: re.Match[str]) -> str:
    """Return a run of non-ASCII characters without its combining marks (ASCII has none)."""
    return "".join(c for c in run.group() if not unicodedata.combining(c))


def normalize_for_match(text: str) -> str:
    """Return text folded for comparison: accents, case, quote marks, punctuation, spaces."""
    return " ".join(match_words(text))


def rejects_table(rejects: list[Reject], run_id: str | None = None) -> pa.Table:
    """Return rejects as rows of the rejects table; the id makes re-runs idempotent."""
    rows = {name: [] for name in REJECTS.names}
    for r in rejects:
        rows["reject_id"].append(stable_id(r.source, r.source_item_id, r.stage, r.reason, r.detail))
        rows["run_id"].append(run_id)
        rows["source"].append(r.source)
        rows["source_item_id"].append(r.source_item_id)
        rows["stage"].append(r.stage)
        rows["reason"].append(r.reason)
        rows["detail"].append(r.detail[:500])
    return pa.table(rows, schema=REJECTS)


def token_words(doc: Doc, attr: int) -> list[str]:
    """Return every token's string for a spaCy attribute (ORTH, LOWER), without Token objects."""
    strings = doc.vocab.strings
    return [strings[key] for key in doc.to_array(attr).tolist()]


def token_spaces(doc: Doc) -> list[bool]:
    """Return whether each token is followed by a space."""
    from spacy.attrs import SPACY

    return doc.to_array(SPACY).astype(bool).tolist()
