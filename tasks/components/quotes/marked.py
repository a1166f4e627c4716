"""Cues of marked quotes: which cue and speaker a quote in marks belongs to.

The lead-ins that open a quote ("X said:", "Ana Ruiz: “…”"), the dash that closes one
(“…” ― Ana Ruiz), the nearest speech cue in or beside its sentences, and a verb whose phrase
holds it; and paragraphs of quotation that continue the quote before them.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Token

from tasks.components.quotes.cues import SPEECH, SUBJECTS, Cue, cue_token, is_cue, is_label
from tasks.components.quotes.spans import Marked, inside, opener_start, past_closer
from tasks.components.quotes.speakers import according_to, fallback_speaker, speaker_of
from tasks.components.quotes.text import mentions_of, text_of, token_at


def marked_cue(doc: Doc, quote: Marked) -> Cue | None:
    """Return the nearest speech cue (and speaker) of a marked quote, in or beside its sentences."""
    if not len(doc):
        return None
    lead = dash_attribution(doc, quote) or lead_in(doc, quote) or name_colon(doc, quote)
    if lead is not None:
        return lead
    best = nearest_cue(doc, quote)
    if best is not None:
        speaker = best.speaker or fallback_speaker(doc, quote, token_at(doc, best.start))
        return best._replace(speaker=speaker)
    return verb_after_comma(doc, quote) or colon_cue(doc, quote)


def quote_sentences(doc: Doc, quote: Marked) -> tuple[int, int]:
    """Return the token range of the sentences a quote starts and ends in, and the one after."""
    first, last = token_at(doc, quote.start), token_at(doc, quote.end - 1)
    sents = []
    for tok in (first, last):
        if tok.sent not in sents:
            sents.append(tok.sent)
    after = last.i + 2
    if after < len(doc) and doc[after].sent not in sents:
        sents.append(doc[after].sent)  # "“A.” he said." parsed as its own sentence
    return min(s.start for s in sents), max(s.end for s in sents)


def cue_at(token: Token) -> Cue | None:
    """Return the speech cue a token stands for ("said", "according to X"), if any."""
    found = according_to(token)
    if found is None and is_cue(token, SPEECH):
        found = cue_token(token, speaker_of(token))
    return found


def nearest_cue(doc: Doc, quote: Marked) -> Cue | None:
    """Return the speech cue outside a quote nearest to it in its sentences, speakers first."""
    lo, hi = quote_sentences(doc, quote)
    best: Cue | None = None
    best_rank = 0
    for token in doc[lo:hi]:
        if inside(quote.parts, token.idx):
            continue
        if token.idx >= quote.end and "\n" in text_of(doc)[quote.end : token.idx]:
            continue
        cue = cue_at(token)
        if cue is None:
            continue
        if cue.speaker is not None and inside(quote.parts, cue.speaker.start_char):
            cue = cue._replace(speaker=None)
        # the nearest edge of the first part: "“A,” Obama said at a dinner where Clinton also
        # spoke. “B.”" is Obama's, whose cue follows the first piece
        s, e = quote.parts[0]
        distance = min(abs(token.idx - s), abs(token.idx - e))
        rank = distance + (0 if cue.speaker is not None else 1_000)
        if best is None or rank < best_rank:
            best, best_rank = cue, rank
    return best


def colon_cue(doc: Doc, quote: Marked) -> Cue | None:
    """Return the speech verb of the sentence before a quote that a colon leads into.

    "Kirby said:\n\n“...”".
    """
    first = token_at(doc, quote.start)
    colon = text_of(doc)[: max(0, opener_start(text_of(doc), quote.start))].rstrip()
    if not colon.endswith(":") or first.sent.start <= 0:
        return None
    for token in doc[first.sent.start - 1].sent:
        if token.lower_ in SPEECH:
            return cue_token(token, speaker_of(token))
    return None


def verb_after_comma(doc: Doc, quote: Marked) -> Cue | None:
    """Return the verb right after a quote (or a part of it) ending on a comma, listed or not.

    "“Denver,” he answered", "“...,” the letter reads. “...”".
    """
    for _, end in quote.parts:
        if text_of(doc)[quote.start : end].rstrip()[-1:] not in {",", "!", "?"}:
            continue
        after_part = token_at(doc, end - 1).i + 1
        for token in doc[after_part : min(len(doc), after_part + 7)]:
            if "\n" in text_of(doc)[end : token.idx] or inside(quote.parts, token.idx):
                break
            subjects = [c for c in token.children if c.dep_ in SUBJECTS]
            if subjects and not inside(quote.parts, subjects[0].idx):
                return cue_token(token, speaker_of(token))
    return None


DASH_NAME = re.compile(r"\s*(―|—|–|--)\s*([A-Z][^\n“”\"]{0,60}?)[\s.]*")
NEXT_OPENER = re.compile(r"[“\"]")


def dash_attribution(doc: Doc, quote: Marked) -> Cue | None:
    """Return the dash and name after a quote: “...” ― Ana Ruiz, at the paragraph's end or
    before the next quote's opening mark (lines of quotes cleaned into one paragraph)."""
    text = text_of(doc)
    end = past_closer(text, quote.end)
    par_end = text.find("\n", end)
    par_end = len(text) if par_end == -1 else par_end
    found = DASH_NAME.fullmatch(text, end, par_end)
    opener = NEXT_OPENER.search(text, end, par_end)
    if found is None and opener is not None:
        found = DASH_NAME.fullmatch(text, end, opener.start())
    if found is None or len(found.group(2).split()) > 8:
        return None
    speaker = doc.char_span(found.start(2), found.end(2), alignment_mode="expand")
    return Cue(*found.span(1), speaker)


def lead_text(doc: Doc, quote: Marked) -> str:
    """Return the text before a quote's opening mark, without the spaces next to the mark."""
    return text_of(doc)[: opener_start(text_of(doc), quote.start)].rstrip(" ")


def name_colon(doc: Doc, quote: Marked) -> Cue | None:
    """Return the colon and name that open a quote: "Ana Ruiz: “...”", "- Pew Research: “...”"."""
    before = lead_text(doc, quote)
    if not before.endswith(":"):
        return None
    start = max(before.rfind(s) + len(s) if s in before else 0 for s in ("\n", " - ", " — "))
    inverted = re.search(r"(?:^|[.!?]\s)(Said|Says|Added|Wrote|Writes) ([^.!?:]+):$", before)
    if inverted:  # "Said Ellis: “...”"
        cue, start = inverted.span(1), inverted.start(2)
    else:
        cue = (len(before) - 1, len(before))
    words = before[max(0, start) : -1].strip(" -—")
    if is_label(words):
        return None  # "Editor's note: “...”", "Photo: “...”"
    if not words[:1].isupper() or len(words.split()) > 6:
        return named_at_colon(doc, before)
    begin = before.index(words, max(0, start))
    named = [m for m in mentions_of(doc) if begin < m.end_char and m.start_char < len(before) - 1]
    if not any(m.label in {"PERSON", "ORG"} for m in named):
        return named_at_colon(doc, before)
    return Cue(*cue, doc.char_span(begin, begin + len(words), alignment_mode="expand"))


def named_at_colon(doc: Doc, before: str) -> Cue | None:
    """Return the colon and the name just before it: "... surprise pollster Ana Ruiz: “...”"."""
    for m in mentions_of(doc):
        if m.label in {"PERSON", "ORG"} and m.end_char == len(before) - 1:
            speaker = doc.char_span(m.start_char, m.end_char, alignment_mode="expand")
            return Cue(m.end_char, m.end_char + 1, speaker)
    return None


def lead_in(doc: Doc, quote: Marked) -> Cue | None:
    """Return the cue and speaker of a lead-in that opens a quote: "X said:", "X gloated, “..."."

    A verb with a subject just before a colon, or a listed speech verb just before a comma, that
    leads into the opening mark introduces the quote, listed or not ("put it:", "shot back,").
    """
    before = lead_text(doc, quote)
    if not before.endswith((":", ",")):
        return None
    mark = token_at(doc, len(before) - 1)
    for token in reversed(doc[max(0, mark.i - 4) : mark.i]):
        if "\n" in token.text_with_ws or token.is_punct:
            return None
        listed = is_cue(token, SPEECH)
        if not (listed or before.endswith(":")):
            continue
        if not listed and named_at_colon(doc, before):
            return None  # "... surprise pollster Ana Ruiz:": the one named speaks
        speaker = speaker_of(token)
        if speaker is not None and (listed or speaker.end <= token.i):
            return cue_token(token, speaker)
    return None


def governing_verb(doc: Doc, quote: Marked) -> Cue | None:
    """Return the verb (and its subject) whose phrase holds a quote that no listed cue claims.

    "Lund thanked the board for “acting fast”": almost any verb with a subject that takes quoted
    words attributes them to that subject.
    """
    token = token_at(doc, quote.start)
    while token.head.i != token.i and inside(quote.parts, token.idx):
        token = token.head
    for _ in range(4):
        if token.head.i == token.i and inside(quote.parts, token.idx):
            return None
        subjects = [c for c in token.children if c.dep_ in SUBJECTS]
        if subjects and not inside(quote.parts, subjects[0].idx) and token.idx < quote.start:
            speaker = speaker_of(token)
            if speaker is None or inside(quote.parts, speaker.start_char):
                return None
            return cue_token(token, speaker)
        if token.head.i == token.i:
            return None
        token = token.head
    return None


def join_continued(doc: Doc, quotes: list[Marked]) -> list[Marked]:
    """Join a paragraph of quotation without its own cue to the quote ending the paragraph before.

    News runs one speaker's quotation over several paragraphs, attributing it once; the joined
    quote keeps the first part's cue and speaker.
    """
    out: list[Marked] = []
    for q in quotes:
        if out and out[-1].end < q.start:
            prev = out[-1]
            between = text_of(doc)[prev.end : q.start]
            par_end = text_of(doc).find("\n", q.start)
            par_end = len(text_of(doc)) if par_end == -1 else par_end
            rest = text_of(doc)[q.end : par_end]
            # "“A,” X said, with a long aside.\n\n“B.”": a quote cut at a comma goes on after
            # an attribution of any length; otherwise only a short tail may end the paragraph.
            reach = 200 if text_of(doc)[prev.start : prev.end].rstrip().endswith(",") else 60
            starts_par = (
                re.fullmatch(rf'[”"]?[^\n“”"]{{0,{reach}}}\n\s*\n\s*\W?', between) is not None
            )
            own_cue = re.search(r"[\w’']+", rest) is not None
            if (
                starts_par
                and not own_cue
                and marked_cue(doc, q) is None
                and marked_cue(doc, prev) is not None
            ):
                out[-1] = Marked(prev.start, q.end, prev.parts + q.parts)
                continue
        out.append(q)
    return out


def split_attributed(doc: Doc, quotes: list[Marked]) -> list[Marked]:
    """Split a joined quote where a piece has an attribution of its own.

    “A,” he said, “B.” is one quote: both pieces have the same cue. But in “A,” Ruiz said.
    “B,” Berg added. or a paragraph that opens “B,” Berg said, the piece after the new
    attribution is a new quote, whoever speaks it.
    """
    out: list[Marked] = []
    for q in quotes:
        if len(q.parts) == 1:
            out.append(q)
            continue
        current = [q.parts[0]]
        cue = piece_cue(doc, q, q.parts[0])
        for part in q.parts[1:]:
            own = piece_cue(doc, q, part)
            if own is not None and cue is not None and own.start != cue.start:
                out.append(marked_of(current))
                current, cue = [part], own
            else:
                current.append(part)
                cue = cue or own
        out.append(marked_of(current))
    return out


def piece_cue(doc: Doc, quote: Marked, part: tuple[int, int]) -> Cue | None:
    """Return the cue of one piece of a quote on its own, unless it lies in another piece."""
    cue = marked_cue(doc, marked_of([part]))
    return None if cue is None or inside(quote.parts, cue.start) else cue


def marked_of(parts: list[tuple[int, int]]) -> Marked:
    """Return the marked quote made of some pieces."""
    return Marked(parts[0][0], parts[-1][1], tuple(parts))
