"""Quotes: quoted and reported speech with speaker and cue, as a registered spaCy component."""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

import pyarrow as pa
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from tasks.common import normalize_for_match
from warehouse.schemas import QUOTES

COMPONENT = "wiredesk_quotes"
OPENERS = {"“": "”", '"': '"', "«": "»"}
CUES = {
    "say",
    "says",
    "said",
    "saying",
    "tell",
    "tells",
    "told",
    "add",
    "adds",
    "added",
    "warn",
    "warns",
    "warned",
    "stress",
    "stresses",
    "stressed",
    "urge",
    "urges",
    "urged",
    "ask",
    "asks",
    "asked",
    "state",
    "states",
    "stated",
    "reiterate",
    "reiterates",
    "reiterated",
    "insist",
    "insists",
    "insisted",
    "note",
    "notes",
    "noted",
    "explain",
    "explains",
    "explained",
    "claim",
    "claims",
    "claimed",
    "announce",
    "announces",
    "announced",
    "declare",
    "declares",
    "declared",
    "call",
    "calls",
    "called",
    "write",
    "writes",
    "wrote",
    "report",
    "reports",
    "reported",
    "argue",
    "argues",
    "argued",
    "recall",
    "recalls",
    "recalled",
    "reply",
    "replied",
    "acknowledge",
    "acknowledged",
    "admit",
    "admitted",
    "confirm",
    "confirmed",
    "deny",
    "denied",
    "describe",
    "described",
    "quoted",
    "tweeted",
    "posted",
    "vowed",
    "pledged",
    "promised",
    "predicted",
    "suggested",
    "highlighted",
    "demanded",
    "threatened",
    "cautioned",
    "estimates",
    "estimated",
    "accuses",
    "accused",
    "dismissed",
    "denounces",
    "denounced",
    "urging",
}
SUBJECTS = {"nsubj", "nsubjpass"}
PERSON_PRONOUNS = {"he", "she", "him", "her"}
GROUP_PRONOUNS = {"they", "it", "we"}
MIN_INDIRECT_WORDS = 4


class Quote(NamedTuple):
    """One quote or reported statement in an article's cleaned body."""

    start_char: int
    end_char: int
    text: str
    quote_type: str
    speaker: str | None
    speaker_text: str | None
    speaker_start: int | None
    speaker_end: int | None
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    confidence: float
    quote_key: str


def ensure_extension() -> None:
    """Declare the Doc extensions the component reads and fills."""
    for name in ("wd_quotes", "wd_mentions"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def quote_key(text: str) -> str:
    """Return a key shared by quotes with the same words."""
    return hashlib.sha1(normalize_for_match(text).encode("utf-8")).hexdigest()[:16]


def find_marked_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of text between quotation marks (marks excluded), per paragraph."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for paragraph in text.split("\n\n"):
        i = 0
        while i < len(paragraph):
            closer = OPENERS.get(paragraph[i])
            if closer is None:
                i += 1
                continue
            end = paragraph.find(closer, i + 1)
            if end == -1:  # news convention: the quote runs to the paragraph's end
                end = len(paragraph)
            if end - i > 1:
                spans.append((offset + i + 1, offset + end))
            i = end + 1
        offset += len(paragraph) + 2
    return spans


def noun_phrase(token: Token) -> Span:
    """Return the span of a subject: the token with its compounds, modifiers and determiners."""
    doc = token.doc
    left = token.left_edge.i
    right = token.i
    for child in token.rights:
        if child.dep_ in {"compound", "flat", "appos"} or (
            child.dep_ == "prep" and child.text == "of"
        ):
            right = max(right, child.right_edge.i)
    return doc[left : right + 1]


class Resolver:
    """Resolve speaker spans to names, remembering the last speaker for pronouns."""

    def __init__(self, doc: Doc) -> None:
        self.mentions = doc._.wd_mentions or []
        self.last_person: str | None = None
        self.last_group: str | None = None

    def entity_in(self, start: int, end: int) -> tuple[str, str] | None:
        """Return (canonical, label) of the best entity within a character range."""
        inside = [m for m in self.mentions if m[0] >= start and m[1] <= end]
        for label in ("PERSON", "ORG", "GPE", "NORP"):
            for m in inside:
                if m[3] == label:
                    return m[4], label
        return None

    def person_before(self, position: int) -> str | None:
        """Return the canonical name of the last person mentioned before a position."""
        people = [m for m in self.mentions if m[3] == "PERSON" and m[1] <= position]
        return people[-1][4] if people else None

    def resolve(self, span: Span) -> tuple[str | None, float]:
        """Return the speaker's name and a confidence for a subject span."""
        lower = span.text.lower()
        if lower in PERSON_PRONOUNS:
            name = self.last_person or self.person_before(span.start_char)
            return name, 0.6 if name else 0.2
        if lower in GROUP_PRONOUNS:
            return self.last_group, 0.4 if self.last_group else 0.2
        found = self.entity_in(span.start_char, span.end_char)
        if found:
            name, label = found
            if label == "PERSON":
                self.last_person = name
            else:
                self.last_group = name
            return name, 0.9
        name = re.sub(r"^(?:the|a|an)\s+", "", span.text, flags=re.IGNORECASE)
        self.last_group = name
        return name, 0.6


def find_attribution(sent: Span, start: int, end: int) -> tuple[Token | None, Span | None]:
    """Return the cue verb and speaker span nearest a quote within its sentence."""
    best: tuple[int, Token, Span | None] | None = None
    for token in sent:
        if start <= token.idx < end or token.lower_ not in CUES:
            continue
        speaker = None
        subjects = [c for c in token.children if c.dep_ in SUBJECTS]
        if token.lower_ in {"quoted"}:
            subjects = [c for c in token.children if c.dep_ == "dobj"] or subjects
        if subjects:
            speaker = noun_phrase(subjects[0])
        elif token.dep_ in {"acl", "advcl", "xcomp"} and token.head.dep_ in SUBJECTS:
            speaker = noun_phrase(token.head)
        if speaker is not None and start <= speaker.start_char < end:
            speaker = None
        distance = token.idx - end if token.idx >= end else start - token.idx
        rank = distance if speaker is not None else distance + 10_000
        if best is None or rank < best[0]:
            best = (rank, token, speaker)
    for token in sent:  # "according to X"
        if (
            token.lower_ == "according"
            and token.i + 1 < len(token.doc)
            and token.nbor().lower_ == "to"
        ):
            objects = [c for c in token.nbor().children if c.dep_ == "pobj"]
            outside = not (start <= token.idx < end)
            if objects and outside and (best is None or best[2] is None):
                best = (0, token, noun_phrase(objects[0]))
    return (best[1], best[2]) if best else (None, None)


def quote_type(doc: Doc, start: int, end: int) -> str:
    """Return 'direct' for a quoted clause or sentence, 'partial' for a quoted fragment."""
    text = doc.text[start:end].strip()
    before = doc.text[max(0, start - 3) : start - 1].rstrip()
    at_sentence_start = not before or before[-1] in ".:,\n!?"
    if text[:1].isupper() and at_sentence_start and len(text.split()) >= 3:
        return "direct"
    return "partial"


def marked_quotes(doc: Doc, resolver: Resolver) -> list[Quote]:
    """Return quotes delimited by quotation marks."""
    quotes = []
    for start, end in find_marked_spans(doc.text):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not span.text.strip():
            continue
        sent = span[0].sent
        cue, speaker = find_attribution(sent, start, end)
        if cue is None and span[-1].sent != sent:
            cue, speaker = find_attribution(span[-1].sent, start, end)
        quotes.append(
            build_quote(doc, resolver, start, end, quote_type(doc, start, end), cue, speaker)
        )
    return quotes


def reported_quotes(doc: Doc, resolver: Resolver, taken: list[tuple[int, int]]) -> list[Quote]:
    """Return reported speech without marks: a speech verb with a subject and a clause."""
    quotes = []
    for token in doc:
        if token.lower_ not in CUES:
            continue
        subjects = [c for c in token.children if c.dep_ in SUBJECTS]
        clauses = [c for c in token.children if c.dep_ == "ccomp"]
        if not subjects or not clauses:
            continue
        content = doc[clauses[0].left_edge.i : clauses[0].right_edge.i + 1]
        if len(content) < MIN_INDIRECT_WORDS:
            continue
        start, end = content.start_char, content.end_char
        if any(s < end and start < e for s, e in taken):
            continue
        quotes.append(
            build_quote(doc, resolver, start, end, "indirect", token, noun_phrase(subjects[0]))
        )
    return quotes


def build_quote(
    doc: Doc,
    resolver: Resolver,
    start: int,
    end: int,
    kind: str,
    cue: Token | None,
    speaker: Span | None,
) -> Quote:
    """Assemble a Quote, resolving its speaker."""
    text = doc.text[start:end]
    name, confidence = resolver.resolve(speaker) if speaker is not None else (None, 0.3)
    if cue is None:
        confidence = min(confidence, 0.3)
    return Quote(
        start,
        end,
        text,
        kind,
        name,
        speaker.text if speaker is not None else None,
        speaker.start_char if speaker is not None else None,
        speaker.end_char if speaker is not None else None,
        cue.text if cue is not None else None,
        cue.idx if cue is not None else None,
        cue.idx + len(cue.text) if cue is not None else None,
        round(confidence, 2),
        quote_key(text),
    )


@Language.component(COMPONENT, requires=["token.dep", "doc.ents"], assigns=["doc._.wd_quotes"])
def quote_component(doc: Doc) -> Doc:
    """Set doc._.wd_quotes: direct, partial and reported quotes in text order."""
    ensure_extension()
    resolver = Resolver(doc)
    marked = marked_quotes(doc, resolver)
    reported = reported_quotes(doc, resolver, [(q.start_char, q.end_char) for q in marked])
    doc._.wd_quotes = sorted(marked + reported, key=lambda q: q.start_char)
    return doc


def quotes_table(article_ids: list[str], quotes: list[list[Quote]]) -> pa.Table:
    """Return quote rows for articles in the quotes schema."""
    rows: dict[str, list] = {name: [] for name in QUOTES.names}
    for article_id, found in zip(article_ids, quotes, strict=True):
        for idx, q in enumerate(found):
            q = Quote(*q)
            rows["article_id"].append(article_id)
            rows["quote_idx"].append(idx)
            rows["run_id"].append(None)
            for name, value in q._asdict().items():
                rows[name].append(value)
    return pa.table(rows, schema=QUOTES)


ensure_extension()
