"""Clean: normalise text, split off headline, dateline and credit, reject what is not an article."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
from prefect import task

from tasks.common import Batch, Document, Reject, normalize_for_match, stable_id
from warehouse.schemas import ARTICLES

STAGE = "clean"
CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
BLANK_LINE = re.compile(r"\n[ \t]*\n")
INLINE_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
DATELINE = re.compile(
    r"\A(?P<dateline>[A-Z][A-Za-z .'’-]{1,40}(?:,\s*[A-Z][A-Za-z .]{1,30})?,\s*"
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2})?\s*(?:\((?P<agency>[^()\n]{2,40})\))?\s*[-–—]+)\s*"
)
BYLINE = re.compile(r"\A(?:By|BY)\s+[^\n]{2,80}\n\n")
INPUTS_CREDIT = re.compile(r"\(?\s*with inputs from (?P<who>[\w .,&-]+?)\s*\)?\s*\Z", re.IGNORECASE)
QUOTED_AS = re.compile(
    r"\b(?P<who>[A-Z][\w&.-]*(?: [A-Z][\w&.-]*){0,3}) quoted\b[^.\n]{1,80}\bas saying\b"
)
HEADLINE_MAX_WORDS = 16
MIN_LETTER_SHARE = 0.5
STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "on", "with", "said", "was", "it"},
    "fr": {"le", "la", "les", "et", "des", "du", "est", "que", "pour", "dans", "une", "sur", "a"},
    "es": {"el", "la", "los", "las", "y", "del", "que", "en", "por", "una", "con", "para", "se"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "den", "von", "zu", "ein", "auf"},
    "it": {"il", "la", "che", "di", "e", "per", "una", "con", "del", "della", "sono", "non"},
    "pt": {"o", "a", "os", "as", "que", "de", "do", "da", "em", "um", "uma", "para", "com"},
}


@dataclass(slots=True)
class Cleaned:
    """A cleaned article body and what was split off it."""

    body: str
    title: str | None
    dateline: str | None
    credit: str | None


def normalize_text(text: str) -> str:
    """Return NFC text with one space between words and a blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = CONTROL.sub("", text)
    if BLANK_LINE.search(text):
        blocks = BLANK_LINE.split(text)
        paragraphs = [INLINE_SPACE.sub(" ", " ".join(b.split("\n"))).strip() for b in blocks]
    else:  # no blank lines: every line is a paragraph
        paragraphs = [INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n\n".join(p for p in paragraphs if p)


def split_headline(body: str) -> tuple[str | None, str]:
    """Split a leading headline paragraph (short, no closing punctuation) off the body."""
    first, sep, rest = body.partition("\n\n")
    if (
        sep
        and len(first.split()) <= HEADLINE_MAX_WORDS
        and not first.rstrip().endswith((".", "!", "?", '"', "”", ":", ","))
    ):
        return first, rest
    return None, body


def find_credit(body: str, dateline_agency: str | None) -> str | None:
    """Return the wire an article credits: dateline agency, 'with inputs from', 'X quoted'."""
    if dateline_agency:
        return dateline_agency.strip()
    tail = body[-200:]
    match = INPUTS_CREDIT.search(tail)
    if match:
        return match.group("who").strip()
    match = QUOTED_AS.search(body)
    return match.group("who") if match else None


def clean_body(text: str, title: str | None = None) -> Cleaned:
    """Normalise a body and split off its headline, dateline and byline."""
    body = normalize_text(text)
    headline = None
    if title is None:
        headline, body = split_headline(body)
    byline = BYLINE.match(body)
    if byline:
        body = body[byline.end() :]
    dateline = DATELINE.match(body)
    agency = None
    if dateline:
        agency = dateline.group("agency")
        body = body[dateline.end() :]
    return Cleaned(
        body=body,
        title=title or headline,
        dateline=dateline.group("dateline").rstrip(" -–—") if dateline else None,
        credit=find_credit(body, agency),
    )


def detect_language(text: str) -> str:
    """Guess the language from stopword counts; 'und' when nothing stands out."""
    words = re.findall(r"[^\W\d_]+", text[:3000].lower())
    if not words:
        return "und"
    counts = {lang: sum(w in stops for w in words) for lang, stops in STOPWORDS.items()}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] >= max(2, 0.05 * len(words)) else "und"


def body_hash(body: str) -> str:
    """Return the hash of a body folded for exact-copy matching."""
    return hashlib.sha256(normalize_for_match(body).encode("utf-8")).hexdigest()[:32]


def letter_share(text: str) -> float:
    """Return the share of non-space characters that are letters."""
    chars = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in chars) / len(chars) if chars else 0.0


def check(doc: Document, cleaned: Cleaned) -> Reject | None:
    """Return a reject when the cleaned document is not an article."""
    if not cleaned.body.strip():
        return Reject(doc.source, doc.source_item_id, STAGE, "empty_body", doc.origin)
    if letter_share(cleaned.body) < MIN_LETTER_SHARE:
        return Reject(doc.source, doc.source_item_id, STAGE, "not_text", "too few letters")
    return None


def clean_documents(batch: Batch, ingested_at: datetime) -> tuple[pa.Table, list[Reject]]:
    """Clean a batch into article rows (ids and hashes set, story fields empty) and rejects."""
    rows: dict[str, list] = {name: [] for name in ARTICLES.names}
    rejects = list(batch.rejects)
    seen: dict[str, str] = {}
    for doc in batch.documents:
        if doc.body is None:
            rejects.append(Reject(doc.source, doc.source_item_id, STAGE, "empty_body", doc.origin))
            continue
        cleaned = clean_body(doc.body, doc.title)
        reject = check(doc, cleaned)
        if reject:
            rejects.append(reject)
            continue
        digest = body_hash(cleaned.body)
        article_id = stable_id(doc.source, digest)
        if article_id in seen:
            rejects.append(
                Reject(
                    doc.source,
                    doc.source_item_id,
                    STAGE,
                    "duplicate_item",
                    f"same body as item {seen[article_id]}",
                )
            )
            continue
        seen[article_id] = doc.source_item_id
        values = {
            "article_id": article_id,
            "source": doc.source,
            "source_item_id": doc.source_item_id,
            "title": cleaned.title,
            "url": doc.url,
            "published_at": doc.published_at,
            "ingested_at": ingested_at,
            "language": detect_language(cleaned.body),
            "body": cleaned.body,
            "body_hash": digest,
            "word_count": len(cleaned.body.split()),
            "dateline": cleaned.dateline,
            "credit": cleaned.credit,
            "duplicate_of": None,
            "story_id": None,
            "run_id": None,
        }
        for name, value in values.items():
            rows[name].append(value)
    return pa.table(rows, schema=ARTICLES), rejects


@task(name="clean", task_run_name="clean-{label}")
def clean(batch: Batch, ingested_at: datetime, label: str) -> tuple[pa.Table, list[Reject]]:
    """Clean a batch of documents."""
    return clean_documents(batch, ingested_at)
