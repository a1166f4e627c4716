"""Quote extraction: marked quotes and reported speech of a parsed doc as Quote rows.

``extract_quotes`` joins what the other modules find, resolving speakers in text order so "he
added" sees the speakers before it; tasks/rows.py turns a batch's quotes into table rows with
their keys clustered over the batch.
"""

from __future__ import annotations

from typing import NamedTuple

from spacy.tokens import Doc

from tasks.components.quotes.cues import CUES, Cue, cue_kind
from tasks.components.quotes.keys import quote_key
from tasks.components.quotes.marked import (
    governing_verb,
    join_continued,
    marked_cue,
    split_attributed,
)
from tasks.components.quotes.reported import (
    Attribution,
    close_over,
    covered,
    find_attributions,
    fragment_hosts,
    reach_quote,
)
from tasks.components.quotes.spans import (
    Marked,
    find_marked,
    is_title,
    join_interrupted,
    quote_type,
)
from tasks.components.quotes.speakers import (
    UNRESOLVED,
    Resolver,
    fallback_speaker,
    tidy_speaker,
)
from tasks.components.quotes.text import text_of, token_at

MIN_UNCUED_WORDS = 6  # shorter marked text without a cue is a title or scare quote
# How sure a row's words are an attribution, by the way its content was found (the share of
# such rows matching an annotated attribution on PolNeAR's training split, rounded): a quote
# with its cue or a clause is nearly always one, a topic or the loose rest of a sentence often
# is not. A row's confidence is this times its speaker's (speakers.Resolver.resolve).
WAY_CONFIDENCE = {
    "clause": 1.0,
    "parataxis": 1.0,
    "according": 1.0,
    "urged": 0.9,
    "object": 0.9,
    "infinitive": 0.9,
    "impression": 0.8,
    "fragment": 0.7,
    "headline": 0.7,
    "topic": 0.6,
    "loose": 0.4,
}
HOSTED = 0.9  # a quoted fragment inside a reported clause, with the clause's cue
UNCUED = 0.5  # a quote without a cue (a paragraph of quotation goes on)
NO_SPEAKER = 0.4  # a cue with no speaker span
THOUGHT_FACTOR = 0.85  # beliefs and plans: fewer are annotated attributions
CONFIDENT = 0.5  # rows below it are the ones most often wrong (docs/quotes.md)
Ranges = tuple[tuple[int, int], ...]


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
    segments: Ranges  # the quoted pieces in order, never the attribution between them
    cue_kind: str  # speech, thought or evidence (cues.cue_kind)


def pieces_of(text: str, parts: Ranges) -> Ranges:
    """Return the non-empty pieces of a quote, without the spaces at their edges."""
    out = []
    for start, end in parts:
        piece = text[start:end]
        start, end = (
            start + len(piece) - len(piece.lstrip()),
            end - len(piece) + len(piece.rstrip()),
        )
        if start < end:
            out.append((start, end))
    return tuple(out)


def build_quote(
    doc: Doc,
    resolver: Resolver,
    parts: Ranges,
    kind: str,
    cue: Cue | None,
    base: float,
    way: str | None = None,
) -> Quote | None:
    """Assemble a Quote from its pieces, resolving its speaker; None when no piece has words."""
    pieces = pieces_of(text_of(doc), parts)
    if not pieces:
        return None
    start, end = pieces[0][0], pieces[-1][1]
    speaker = tidy_speaker(cue.speaker, cue.at) if cue and cue.speaker is not None else None
    name, confidence = resolver.resolve(speaker) if speaker is not None else (None, NO_SPEAKER)
    if speaker is None and cue is None and kind != "indirect":
        name = resolver.last_person  # a paragraph of quotation continues the last speaker
        confidence = 1.0 if name else UNRESOLVED
    if way == "impression":
        confidence = 1.0  # held by no one named: no speaker is right
    confidence *= base if cue is not None else UNCUED
    text = " ".join(text_of(doc)[s:e] for s, e in pieces)
    cue_text = text_of(doc)[cue.start : cue.end] if cue is not None else None
    row_kind = cue_kind(
        cue_text,
        speaker.text if speaker is not None else None,
        text if kind == "indirect" else None,
        way,
    )
    if row_kind == "thought":
        confidence *= THOUGHT_FACTOR
    return Quote(
        start,
        end,
        text,
        kind,
        name,
        speaker.text if speaker is not None else None,
        speaker.start_char if speaker is not None else None,
        speaker.end_char if speaker is not None else None,
        cue_text,
        cue.start if cue is not None else None,
        cue.end if cue is not None else None,
        round(min(1.0, max(0.0, confidence)), 2),
        quote_key(text),
        pieces,
        row_kind,
    )


def extract_quotes(doc: Doc) -> list[Quote]:
    """Return direct, partial and reported quotes of a parsed document in text order."""
    resolver = Resolver(doc)
    joined = join_continued(doc, join_interrupted(doc, find_marked(text_of(doc))))
    marked = split_attributed(doc, joined)
    clauses = reported_clauses(doc, marked)
    items: list[tuple[int, Marked | Attribution]] = [(q.start, q) for q in marked]
    items += [(a.start, a) for a in own_attributions(doc, clauses)]
    # Resolve in text order of the cue, so "he added" sees the speakers before it.
    quotes: list[Quote] = []
    for _, item in sorted(items, key=lambda x: x[0]):
        if isinstance(item, Attribution):
            cue = Cue(*item.cue, item.speaker)
            parts = ((item.start, item.end),)
            base = WAY_CONFIDENCE.get(item.way, 1.0)
            quote = build_quote(doc, resolver, parts, "indirect", cue, base, item.way)
        else:
            quote = marked_quote(doc, resolver, item, clauses)
        if quote is not None:
            quotes.append(quote)
    return sorted(quotes, key=lambda q: (q.start_char, q.end_char))


def reported_clauses(doc: Doc, marked: list[Marked]) -> list[Attribution]:
    """Return every reported clause, nested ones included: each may hold a quoted fragment."""
    reported = [
        reach_quote(doc, close_over(text_of(doc), a, marked), marked)
        for a in find_attributions(doc)
        if not covered(a, marked)
    ]
    return reported + fragment_hosts(doc, marked, reported)


def own_attributions(doc: Doc, clauses: list[Attribution]) -> list[Attribution]:
    """Return the clauses whose cue word is not inside another clause's content.

    "He says he thinks X", "said the mayor called it a fraud": a cue inside another
    attribution's content is part of what was said, not an attribution of its own.
    """
    return [
        a
        for a in clauses
        if not (
            text_of(doc)[a.cue[0] : a.cue[1]].lower() in CUES
            and any(o is not a and o.start <= a.cue[0] < o.end for o in clauses)
        )
    ]


def marked_quote(
    doc: Doc, resolver: Resolver, item: Marked, clauses: list[Attribution]
) -> Quote | None:
    """Return a marked quote with its cue, or None for a title or an uncued scare quote."""
    hosts = [a for a in clauses if a.start <= item.start and item.end <= a.end]
    # The innermost clause holds the words' own speaker: in "X called on Iran “to end
    # support”, the Elysee said" the fragment is X's.
    host = min(hosts, key=lambda a: a.end - a.start) if hosts else None
    if host is not None:
        cue, base = host_cue(doc, item, host), HOSTED
    else:
        cue, base = marked_cue(doc, item), 1.0
    text = " ".join(text_of(doc)[s:e] for s, e in item.parts)  # without an attribution inside
    if item.start >= item.end or not text.strip():
        return None
    if cue is None and len(text.split()) < MIN_UNCUED_WORDS:
        return None
    if host is None and is_title(text):
        return None
    if cue is None:
        cue = governing_verb(doc, item)
    return build_quote(doc, resolver, item.parts, quote_type(doc, item), cue, base)


def host_cue(doc: Doc, item: Marked, host: Attribution) -> Cue:
    """Return the cue of the clause around a fragment, naming a speaker beside it if it has none."""
    speaker = host.speaker
    cue = token_at(doc, host.cue[0])
    if speaker is None and cue.idx == host.cue[0]:
        speaker = fallback_speaker(doc, item, cue)
    return Cue(*host.cue, speaker)
