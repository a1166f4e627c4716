"""Reported speech: cues with a subject and a content clause, and the clauses around fragments.

A cue word (speech verbs, and the beliefs, intentions and findings news attributes: "wants",
"plans", "polls show") with a subject and a content clause, including "according to X", "X said"
after the content and a headline "Speaker: content". A quoted fragment inside such a clause is a
``partial`` quote that shares the clause's cue and speaker.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from spacy.tokens import Doc, Span, Token

from tasks.components.quotes.content import (
    clause_end,
    clip_to_paragraph,
    content_of,
    sentence_content,
)
from tasks.components.quotes.cues import (
    BELIEF,
    CUES,
    IMPRESSION,
    MIN_INDIRECT_WORDS,
    NOUN_DEPS,
    SPEECH,
    SUBJECTS,
    Cue,
    is_cue,
    is_label,
)
from tasks.components.quotes.marked import marked_cue
from tasks.components.quotes.spans import (
    CLOSERS,
    QUOTE_MARK,
    Marked,
    is_title,
    opener_start,
    past_closer,
    quote_type,
)
from tasks.components.quotes.speakers import (
    according_to,
    asked_not_asking,
    named_before,
    speaker_of,
)
from tasks.components.quotes.text import span_end, strip_range, text_of, token_at, tokens_in


class Attribution(NamedTuple):
    """A cue with its speaker span and the content it introduces."""

    cue: tuple[int, int]
    speaker: Span | None
    start: int
    end: int
    way: str = "clause"  # how the cue takes its content (content.Content.way, or below)


def headline_attribution(doc: Doc) -> Attribution | None:
    """Return the attribution of a headline "Speaker: content" in the first paragraph."""
    first = text_of(doc).split("\n", 1)[0]
    head, colon, rest = first.partition(": ")
    if not colon or not head[:1].isupper() or len(head.split()) > 6 or len(rest.split()) < 3:
        return None
    if is_label(head):
        return None  # "Photo: ...", "EXCLUSIVE: ...": a label, not a speaker
    speaker = doc.char_span(0, len(head), alignment_mode="contract")
    if speaker is None or not len(speaker):
        return None
    start, end = strip_range(text_of(doc), len(head) + 1, len(first))
    return Attribution((len(head), len(head) + 1), speaker, start, end, "headline")


def find_attributions(doc: Doc) -> list[Attribution]:
    """Return every cue with a speaker and content in the document."""
    headline = headline_attribution(doc)
    found = [headline] if headline else []
    for token in tokens_in(doc, CUES | {"according"}):
        acc = according_to(token)
        if acc is not None:
            start, end = sentence_content(token.sent, acc.start, acc.end, acc.speaker)
            if end - start > 0:
                found.append(Attribution(acc.at, acc.speaker, start, end, "according"))
            continue
        if not is_cue(token, CUES) or asked_not_asking(token):
            continue  # "Asked about the delay, the minister ...": the topic of a question put
        content = content_of(token)
        if content is None:
            continue
        start, end = clip_to_paragraph(text_of(doc), token.idx, content.start, content.end)
        words = text_of(doc)[start:end]
        # "called Lund “reckless”", "faulted the board for “hiding losses”": a short object
        # is content when the cue's phrase holds a quote (reach_quote takes it in).
        phrase = text_of(doc)[start : max(end, min(span_end(token), token.sent.end_char))]
        if len(words.split()) < MIN_INDIRECT_WORDS and not QUOTE_MARK.search(phrase):
            continue
        cue = (token.idx, token.idx + len(token.text))
        if token.lower_ in IMPRESSION and not any(
            c.dep_ in {"ccomp", "xcomp"} for c in token.children
        ):
            continue  # "appeared on Fox News": no impression
        if token.lower_ in IMPRESSION:
            # "the plan seems to fail": an impression without a holder; its subject is content
            subjects = [c for c in token.children if c.dep_ in SUBJECTS]
            if subjects and subjects[0].lower_ not in {"it", "there"}:
                start = min(start, subjects[0].left_edge.idx)
            found.append(Attribution(cue, None, start, end, "impression"))
            continue
        speaker = speaker_of(token)
        if speaker is not None and start <= speaker.start_char < end and not start <= cue[0] < end:
            speaker = None  # a subject inside the content is part of what was said
        if speaker is None and token.lower_ in SPEECH:
            speaker = named_before(doc, ((start, end),), token)
        if speaker is None and token.lower_ in BELIEF:
            continue  # "the plan seems" without a holder is rarely attribution
        found.append(Attribution(cue, speaker, start, end, content.way))
    return found


def covered(attribution: Attribution, marked: list[Marked]) -> bool:
    """Return whether a clause is a marked quote itself (it starts at or inside the marks).

    A clause that starts before a quote and contains it is reported speech with a partial quote
    ("said that the plan “will fail”"): it stays, and the quote becomes its fragment. A clause
    that opens with a quote whose cue follows it ("“A,” Lund tells a paper") is that quote, even
    when the parse runs it on over the speaker's name.
    """
    start, end = attribution.start, attribution.end
    return any(
        (q.start - 2 <= start < q.end and (end <= q.end + 2 or attribution.cue[0] >= q.end))
        or quoted_cue(attribution, q)
        for q in marked
    )


def quoted_cue(attribution: Attribution, q: Marked) -> bool:
    """Return whether a cue is quoted words whose clause runs out of the quote: in “You know, I
    love Larry,” he said, but “...” the quoted "know" attributes nothing outside the marks."""
    return q.start <= attribution.cue[0] < q.end and (
        attribution.start < q.start - 2 or attribution.end > q.end + 2
    )


def close_over(text: str, attribution: Attribution, marked: list[Marked]) -> Attribution:
    """Return an attribution whose content ends with the quote it opens, closing mark included."""
    for q in marked:
        if attribution.start <= q.start < attribution.end < q.end + 2 <= len(text) + 1:
            end = past_closer(text, q.end)
            return attribution._replace(end=max(attribution.end, end))
    return attribution


def reach_quote(doc: Doc, attribution: Attribution, marked: list[Marked]) -> Attribution:
    """Return an attribution whose content runs on to the quotes its cue's phrase still holds.

    "blamed the tax on “careless officials”", "said the goal was not to “A” but to
    “B”": the parse may end the object or clause before a quote the cue's phrase goes on to
    hold; the attributed content is the whole complement, quote included.
    """
    text = text_of(doc)
    cue = token_at(doc, attribution.cue[0])
    if attribution.start < attribution.cue[1] or cue.idx != attribution.cue[0]:
        return attribution  # content before its cue ("Z, said Y") or not a verb cue
    limit = min(span_end(cue), cue.sent.end_char)
    end = attribution.end
    for q in marked:
        if not end <= q.start < limit or q.end > limit + 1:
            continue
        between = doc.char_span(end, q.start, alignment_mode="expand")
        if between is None or any(is_cue(t, CUES) or t.text in ".?!;" for t in between):
            break  # another cue or a new sentence owns the quote
        end = past_closer(text, q.end)
    if end != attribution.end or text[end - 1 : end] in CLOSERS:
        end = clause_end(doc, cue, end)  # the clause goes on after its last quote
    return attribution._replace(end=end)


def fragment_hosts(
    doc: Doc, marked: list[Marked], reported: list[Attribution]
) -> list[Attribution]:
    """Return the reported clause around each quoted fragment that has a cue but no clause.

    In "Lund said the plan was “a fraud”" the attributed content is the cue's complement with
    the fragment inside; when the parse gave no clause, it runs from the cue to the quote's end.
    """
    out: list[Attribution] = []
    for q in marked:
        if quote_type(doc, q) != "partial" or any(
            a.start <= q.start and q.end <= a.end for a in reported
        ):
            continue
        found = marked_cue(doc, q)
        if found is None:
            continue
        cue = token_at(doc, found.start)
        if cue.idx != found.start or cue.lower_ == "according":
            continue
        if found.start >= q.end:  # "X is “a fraud,” Vale said": the sentence up to the quote
            host = clause_before_cue(doc, q, found, cue)
            if host is not None:
                if out and out[-1].cue == host.cue:  # two fragments before one cue: one clause
                    host = host._replace(start=out.pop().start)
                out.append(host)
        elif found.end < q.start:
            host = clause_after_cue(doc, q, found, cue)
            if host is not None:
                out.append(host)
    return out


def clause_before_cue(doc: Doc, q: Marked, found: Cue, cue: Token) -> Attribution | None:
    """Return the sentence up to a fragment its cue follows: "X is “a fraud,” Vale said"."""
    text = text_of(doc)
    end = past_closer(text, q.end)
    first = token_at(doc, q.start)
    lead = doc[first.sent.start : first.i]
    par = text.rfind("\n", 0, q.start) + 1
    start = max(first.sent.start_char, par)
    if (
        start < opener_start(text, q.start)
        and not is_title(text[q.start : q.end])  # "on the “Morning Hour,”": a name
        and first.sent == cue.sent
        and not re.search(r"[.?!;“”\"]", text[end : found.start])
        and not any(is_cue(t, CUES) and t.dep_ not in NOUN_DEPS for t in lead)
    ):
        return Attribution(found.at, found.speaker, *strip_range(text, start, end), "fragment")
    return None


def clause_after_cue(doc: Doc, q: Marked, found: Cue, cue: Token) -> Attribution | None:
    """Return the words from a cue through the fragment after it: "said the plan was “a fraud”"."""
    text = text_of(doc)
    # Skip what only modifies the cue: "told reporters", "said Monday", "said again".
    skip = {
        t.i
        for c in cue.rights
        if c.dep_ in {"dative", "npadvmod", "advmod", "punct"}
        for t in c.subtree
    }
    i = cue.i + 1
    while i in skip:
        i += 1
    between = doc[i : token_at(doc, opener_start(text, q.start)).i]
    if not len(between) or any(
        (is_cue(t, CUES) and t.dep_ not in NOUN_DEPS) or t.text in ".?!;" for t in between
    ):
        return None  # another cue or sentence owns the fragment ("the plan" is not a cue)
    end = clause_end(doc, cue, past_closer(text, q.end))
    return Attribution(found.at, found.speaker, doc[i].idx, end, "fragment")
