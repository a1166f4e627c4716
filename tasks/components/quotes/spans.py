"""Quote marks and marked spans: where “…”, "…", ‘…’, «…» and '' quotes start and end.

Nested marks stay inside the outer quote; a quote interrupted by its attribution (“A,” he said,
“B.”) is one quote; a paragraph that opens a quote without closing it runs on, into the next
paragraph when that one opens with a mark. Stray or unbalanced marks never raise: a closer
without an opener is ignored, an opener without a closer ends at the paragraph's end.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from spacy.tokens import Doc

from tasks.components.quotes.cues import SPEECH, SUBJECTS
from tasks.components.quotes.keys import STOPWORDS
from tasks.components.quotes.text import text_of

QUOTE_MARK = re.compile("[“”\"«»]|''")
TWO_APOSTROPHES = "''"  # some papers (the NYT among them) write a double quote mark as ''

# Closers each opener accepts: copy often mixes curly and straight double marks ("A,” B said).
OPENERS = {
    "“": ("”", '"'),
    '"': ('"', "”"),
    "«": ("»",),
    "‘": ("’",),
    TWO_APOSTROPHES: (TWO_APOSTROPHES,),
}
CLOSERS = {"”", '"', "»", "’"}
MARK_TOKENS = {"“", "”", '"', "«", "»", TWO_APOSTROPHES}
MAX_GAP_WORDS = 16


class Marked(NamedTuple):
    """A quote delimited by marks: content range and the ranges actually inside marks."""

    start: int
    end: int
    parts: tuple[tuple[int, int], ...]


def mark_at(text: str, i: int) -> str:
    """Return the quotation mark (or other character) at i: '' counts as one mark."""
    return TWO_APOSTROPHES if text.startswith(TWO_APOSTROPHES, i) else text[i]


def opener_start(text: str, start: int) -> int:
    """Return where the opening mark of content starting at ``start`` begins."""
    return start - 2 if text[max(0, start - 2) : start] == TWO_APOSTROPHES else start - 1


def past_closer(text: str, end: int) -> int:
    """Return the end of content ending at ``end`` with its closing mark, if one follows."""
    if text.startswith(TWO_APOSTROPHES, end):
        return end + 2
    return end + 1 if end < len(text) and text[end] in CLOSERS else end


def is_opening(text: str, i: int) -> bool:
    """Return whether a straight or single mark at i opens a quote (no word character before)."""
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] in ".,;:!?=")  # "=": markup


# Where a scan can stop: an opening mark, and per opener its closers (and, inside a single
# quote, a double mark, which ends it unclosed). Searching for them skips plain text in C.
OPENER_AT = re.compile("|".join(re.escape(m) for m in sorted(OPENERS, key=len, reverse=True)))
CLOSER_AT = {
    mark: re.compile(
        "|".join(re.escape(m) for m in (*closers, *(("“", '"') if mark == "‘" else ())))
    )
    for mark, closers in OPENERS.items()
}


def scan_paragraph(par: str) -> list[tuple[int, int, bool]]:
    """Return top-level (start, end, closed) content ranges in one paragraph; never raises."""
    spans: list[tuple[int, int, bool]] = []
    found = OPENER_AT.search(par)
    while found:
        i = found.start()
        ch = mark_at(par, i)
        if ch in {'"', "‘", TWO_APOSTROPHES} and not is_opening(par, i):
            found = OPENER_AT.search(par, i + len(ch))
            continue
        closers, stop = OPENERS[ch], CLOSER_AT[ch]
        end, closer = -1, ""
        at = stop.search(par, i + len(ch))
        while at:
            j = at.start()
            closer = next((m for m in closers if par.startswith(m, j)), "")
            if closer and (ch != "‘" or j + 1 == len(par) or not par[j + 1].isalpha()):
                end = j
                break
            if ch == "‘" and par[j] in '“"':  # a single quote never spans a double one
                break
            at = stop.search(par, j + 1)
        if end == -1:
            if ch == "‘":  # an unclosed single mark is an apostrophe or stray: skip it
                found = OPENER_AT.search(par, i + 1)
                continue
            spans.append((i + len(ch), len(par.rstrip()), False))
            break
        if end - i > len(ch):
            spans.append((i + len(ch), end, True))
        found = OPENER_AT.search(par, end + len(closer))
    return spans


def find_marked(text: str) -> list[Marked]:
    """Return quotes delimited by marks, joining paragraphs a quote runs over."""
    raw: list[tuple[int, int, bool, int]] = []  # start, end, closed, paragraph number
    offset = 0
    for number, par in enumerate(re.split(r"(\n\s*\n)", text)):
        if number % 2 == 0:
            for s, e, closed in scan_paragraph(par):
                raw.append((offset + s, offset + e, closed, number // 2))
        offset += len(par)
    out: list[Marked] = []
    open_from: Marked | None = None
    last_par = -1
    for s, e, closed, par in raw:
        opener = opener_start(text, s)
        starts_par = opener == 0 or text[opener - 1] == "\n"
        if open_from is not None and par == last_par + 1 and starts_par:
            merged = Marked(open_from.start, e, (*open_from.parts, (s, e)))
            out[-1] = merged
        else:
            out.append(Marked(s, e, ((s, e),)))
        open_from = None if closed else out[-1]
        last_par = par
    return out


def inside(parts: tuple[tuple[int, int], ...], position: int) -> bool:
    """Return whether a position lies within the marked parts of a quote."""
    return any(s <= position < e for s, e in parts)


def join_interrupted(doc: Doc, quotes: list[Marked]) -> list[Marked]:
    """Join “A,” he said, “B.”: two marked quotes split only by a short attribution.

    A title inside the attribution (“A,” X said on “Meet the Press.” “B.”) does not split them.
    """
    text = text_of(doc)
    out: list[Marked] = []
    titles: list[Marked] = []
    for q in quotes:
        if out and q.end - q.start < 60 and is_title(text[q.start : q.end]):
            titles.append(q)
            continue
        if out and interrupted_by_attribution(doc, out[-1], q, titles):
            out[-1] = Marked(out[-1].start, q.end, out[-1].parts + q.parts)
        else:
            out += [*titles, q]
        titles = []
    return sorted(out + titles)


def interrupted_by_attribution(doc: Doc, prev: Marked, q: Marked, titles: list[Marked]) -> bool:
    """Return whether only an attribution (and titles in it) stands between two quotes."""
    text = text_of(doc)
    gap_start = past_closer(text, prev.end)
    between = text[gap_start : opener_start(text, q.start)]
    gap = list(between)
    for t in titles:  # a title's marks do not end the attribution
        lo, hi = opener_start(text, t.start) - gap_start, past_closer(text, t.end) - gap_start
        gap[max(0, lo) : max(0, hi)] = "T" * (max(0, hi) - max(0, lo))
    joined = "".join(gap)
    words = re.findall(r"[\w’']+", joined)
    # "“A,” he said": a quote ending on a comma resumes after a longer attribution
    ending = text[prev.start : prev.end].rstrip()[-1:]
    return (
        "\n" not in joined
        and 0 < len(words) <= (MAX_GAP_WORDS if ending != "," else 2 * MAX_GAP_WORDS)
        and (
            any(w.lower() in SPEECH for w in words)
            # "“A?” Lund went on. “B.”": any verb with a subject after “A,” “A?” or “A!”
            or (ending in {",", "?", "!"} and has_clause(doc, gap_start, len(joined)))
        )
        # the attribution ends where the quote resumes (perhaps inside a title's marks)
        and re.search(r"[,.:;][”\"’»]*\s*$", between)
        and not QUOTE_MARK.search(joined)
    )


def has_clause(doc: Doc, start: int, length: int) -> bool:
    """Return whether the text from start holds a verb with its subject (an attribution)."""
    span = doc.char_span(start, start + length, alignment_mode="expand")
    return span is not None and any(
        c.dep_ in SUBJECTS and span.start <= c.i < span.end for t in span for c in t.children
    )


def is_title(text: str) -> bool:
    """Return whether marked text reads as a title or name (“Fox News Sunday”), not speech."""
    words = text.strip(" ,.").split()
    if not words or len(words) > 5 or text.rstrip(' ,”’"').endswith(("!", "?")):
        return False  # "“Go Home Now!”", "“Who Knew?”": exclaimed, not a title
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in STOPWORDS for w in words)


def quote_type(doc: Doc, quote: Marked) -> str:
    """Return 'direct' for a quoted clause or sentence, 'partial' for a quoted fragment."""
    text = text_of(doc)[quote.start : quote.end].strip()
    raw = text_of(doc)[: max(0, opener_start(text_of(doc), quote.start))]
    before = raw.rstrip()
    stripped = before.rstrip('”"’»')  # a sentence may end inside a title's marks
    at_sentence_start = not before or "\n" in raw[len(before) :] or stripped[-1:] in ".:,!?"
    if text[:1].isupper() and at_sentence_start and len(text.split()) >= 3:
        return "direct"
    return "partial"
