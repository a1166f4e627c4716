"""Attributed content: the range of text a cue introduces, one function per way a cue takes it.

A cue takes its content as a clause ("said the port will reopen"), an object and infinitive
("urged Tehran to end"), an object ("called the report a fraud"), a clause it interrupts ("The
talks, he said, will resume"), the rest of a sentence the parse left loose, or a topic ("spoke
about the merger").
"""

from __future__ import annotations

from typing import NamedTuple

from spacy.tokens import Doc, Span, Token

from tasks.components.quotes.cues import (
    CONTENT_DEPS,
    CUES,
    OBJECT_CUES,
    SAY_CUES,
    SPEECH,
    SUBJECTS,
    TOPIC_PREPS,
    is_cue,
)
from tasks.components.quotes.spans import QUOTE_MARK
from tasks.components.quotes.text import span_end, strip_range, text_of, token_at

Range = tuple[int, int]  # a content's start and end characters


class Content(NamedTuple):
    """A cue's content range and the way the cue takes it (its row's confidence depends on it)."""

    start: int
    end: int
    way: str  # clause, urged, object, parataxis, loose or topic


BREAKS = frozenset({";", "—", "--"})  # where reported words running on past a quote stop
SEMICOLON = frozenset({";"})  # where a reported clause the parse cut short stops
# "refers to X", "responded to X": "to" names the topic only after these; "spoke to reporters"
# names who heard it.
TO_TOPIC = {"refer", "respond", "react", "point", "object"}


def content_of(cue: Token) -> Content | None:
    """Return the content a cue verb introduces: its clause complement, or what stands in."""
    clauses = [c for c in cue.children if c.dep_ in CONTENT_DEPS]
    way = "clause"
    if not clauses:  # "wants to", "proposes allowing", "urged Tehran to end"
        clauses = [c for c in cue.children if c.dep_ == "xcomp"]
        urged = object_and_infinitive(cue, clauses)
        if urged is not None:
            return Content(*urged, "urged")
        way = "infinitive"
    if clauses:
        return Content(*clause_content(cue, clauses), way)
    ways = (
        ("object", object_content if cue.lower_ in OBJECT_CUES else None),
        ("parataxis", parataxis_content),
        ("loose", loose_content),
        ("topic", topic_of),
    )
    for way, find in ways:
        found = find(cue) if find is not None else None
        if found is not None:
            return Content(*found, way)
    return None


def object_and_infinitive(cue: Token, clauses: list[Token]) -> Range | None:
    """Return an object with its infinitive: "urged Tehran to end"."""
    objects = [c for c in cue.children if c.dep_ == "dobj"] or [
        o  # "called on people to protest", "called for contestants to wear"
        for c in cue.rights
        if c.dep_ == "prep" and c.lower_ in {"on", "for"}
        for o in c.children
        if o.dep_ == "pobj"
    ]
    if clauses and objects and objects[0].i < clauses[0].i:
        return strip_range(text_of(cue.doc), objects[0].left_edge.idx, span_end(clauses[0]))
    return None


def object_content(cue: Token) -> Range | None:
    """Return a stance verb's object and what completes it: "called the report “outrageous”"."""
    objects = [c for c in cue.children if c.dep_ == "dobj"]
    if not objects and cue.lower_.startswith("call"):  # "called for", "called on"
        objects = [c for c in cue.rights if c.dep_ == "prep" and c.lower_ in {"for", "on"}]
        objects = [o for c in objects for o in c.children if o.dep_ == "pobj"]
    if not objects:
        return None
    end = max(span_end(t) for t in [objects[0], *object_tail(cue)])
    return strip_range(text_of(cue.doc), objects[0].left_edge.idx, end)


def object_tail(cue: Token) -> list[Token]:
    """Return what completes a stance verb's object: "called it “a fraud”", "as X", "to Y"."""
    tail = [c for c in cue.rights if c.dep_ in {"oprd", "xcomp", "ccomp"}]
    tail += [
        c
        for c in cue.rights
        if c.dep_ == "advcl" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.lefts)
    ]
    tail += [c for c in cue.rights if c.dep_ == "prep" and c.lower_ == "as"]
    return tail + object_preps(cue)


def object_preps(cue: Token) -> list[Token]:
    """Return the phrases the parse hung on the cue right after its object, none between.

    "shows the governor ahead by six points", "charged two developers with fraud": they still
    complete the object.
    """
    objects = [c for c in cue.rights if c.dep_ == "dobj"]
    if not objects:
        return []
    out = []
    end = objects[0].right_edge.i
    for c in cue.rights:
        if c.i <= end:
            continue
        if c.dep_ != "prep" or c.left_edge.i != end + 1:
            break
        out.append(c)
        end = c.right_edge.i
    return out


def parataxis_content(cue: Token) -> Range | None:
    """Return the clause an attribution is set into: "The talks will resume, he said."."""
    if cue.dep_ != "parataxis":
        return None
    head = cue.head
    if head.left_edge.i < cue.left_edge.i and cue.i < head.i:
        # "The talks, he said, will resume": the clause around the attribution
        return strip_range(text_of(cue.doc), head.left_edge.idx, span_end(head))
    left = sentence_start(head) if cue.i > head.i else span_end(cue)
    right = cue.left_edge.idx if cue.i > head.i else span_end(head)
    return strip_range(text_of(cue.doc), left, right)


def sentence_start(clause: Token) -> int:
    """Return where a clause before its cue starts: with what opens its sentence.

    "In law school, professors would dismiss her proposals, she said": the parse may hang the
    opening phrase on the cue; the reported words run from the sentence's start.
    """
    lead = clause.doc[clause.sent.start : clause.left_edge.i]
    if any(QUOTE_MARK.fullmatch(t.text) or is_cue(t, CUES) or "\n" in t.text for t in lead):
        return clause.left_edge.idx
    return clause.sent.start_char


def loose_content(cue: Token) -> Range | None:
    """Return the rest of the sentence after a verb of saying the parse gave no clause."""
    if cue.lower_ not in SAY_CUES or cue.i + 1 >= cue.sent.end:
        return None
    rest = [t for t in cue.rights if t.dep_ not in {"dative", "dobj", "npadvmod", "punct"}]
    if rest and rest[0].dep_ not in {"prep", "advmod", "cc", "conj", *SUBJECTS}:
        return strip_range(text_of(cue.doc), rest[0].left_edge.idx, cue.sent.end_char)
    return None


def clause_content(cue: Token, clauses: list[Token]) -> Range:
    """Return the range of a cue's content clause, with what the parse hung beside it."""
    # With a clause on each side ("In a statement after X resigned, Y said Z"), the content
    # follows a cue whose subject comes first, and precedes an inverted one ("Z, said Y").
    subject_first = any(c.dep_ in SUBJECTS and c.i < cue.i for c in cue.children)
    after = [c for c in clauses if c.i > cue.i]
    before = [c for c in clauses if c.i < cue.i]
    clause = after[0] if after and (subject_first or not before) else before[-1]
    text = text_of(cue.doc)
    if clause.i < cue.i:
        return strip_range(text, sentence_start(clause), span_end(clause))
    end = max([span_end(clause), *(span_end(c) for c in joined_clauses(cue, clause))])
    second = second_cues(clause)
    if second:
        end = min(end, connector_start(second[0]))
    else:
        end = clause_end(cue.doc, cue, end, SEMICOLON)  # "said X until Y": Y hung on the cue
    # "The port, the mayor said, will reopen": the parse hangs the content's subject on the
    # cue as a second subject; the content starts with it.
    subjects = [c for c in cue.lefts if c.dep_ in SUBJECTS]
    if len(subjects) > 1:
        return strip_range(text, subjects[0].left_edge.idx, end)
    return strip_range(text, clause.left_edge.idx, end)


def second_cues(clause: Token) -> list[Token]:
    """Return the cue verbs joined to a content clause that the speaker says next.

    "said it was opposed and warned North Korea to ...", "said X, arguing that Y": a cue with
    no subject of its own, set after the clause's words with "and" or a comma, is a second
    attribution by the same speaker, not part of the first one's content.
    """
    return [
        c
        for c in clause.rights
        if c.dep_ in {"conj", "advcl"}
        and is_cue(c, CUES)
        and not any(s.dep_ in SUBJECTS | {"mark"} for s in c.children)
        and c.left_edge.i > clause.i
        and connector_start(c) < c.idx
    ]


def connector_start(cue: Token) -> int:
    """Return where the "and", "but" or comma before a joined cue starts (the cue's own start
    when none stands there)."""
    doc = cue.doc
    i = cue.left_edge.i
    while i > 0 and (doc[i - 1].lower_ in {"and", "but", ",", "also", "then"}):
        i -= 1
    return doc[i].idx if i < cue.left_edge.i and i > 0 else cue.idx + len(cue.text)


def joined_clauses(cue: Token, clause: Token) -> list[Token]:
    """Return clauses with their own subject joined to the cue after its clause: "says A, but B".

    A verb sharing the cue's subject ("and added") is the speaker's own act, not content.
    """
    return [
        c
        for c in cue.rights
        if c.dep_ == "conj"
        and c.i > clause.i
        and not is_cue(c, CUES)
        and any(s.dep_ in SUBJECTS for s in c.children)
    ]


def topic_of(cue: Token) -> Range | None:
    """Return what a cue without a clause is about: its object, or "about X", "on X", "of X".

    "Lund wants those things now", "Vale spoke about the merger", "the mayor commented on
    the vote": with no clause or infinitive, the object or topic phrase is the content.
    """
    for child in cue.rights:
        if child.dep_ == "dobj":
            end = max(span_end(t) for t in [child, *object_preps(cue)])
            return strip_range(text_of(cue.doc), child.left_edge.idx, end)
        if child.dep_ == "prep" and child.lower_ in TOPIC_PREPS and to_topic(cue, child):
            objects = [o for o in child.children if o.dep_ in {"pobj", "pcomp"}]
            if objects:
                return strip_range(text_of(cue.doc), objects[0].left_edge.idx, span_end(objects[0]))
    return None


def to_topic(cue: Token, prep: Token) -> bool:
    """Return whether a preposition after a cue names its topic ("to" only after some verbs)."""
    return prep.lower_ != "to" or any(cue.lower_.startswith(v) for v in TO_TOPIC)


def sentence_content(sent: Span, cue_start: int, cue_end: int, source: Span) -> Range:
    """Return a sentence's content around an "according to X" phrase."""
    text = text_of(sent.doc)
    if cue_start <= sent.start_char + 1:  # "According to X, content."
        return strip_range(text, source.end_char, sent.end_char)
    return strip_range(text, sent.start_char, cue_start)


def clip_to_paragraph(text: str, anchor: int, start: int, end: int) -> Range:
    """Return a content range cut to the paragraph of its cue (the parse may run across one)."""
    par_start = text.rfind("\n\n", 0, anchor)
    par_end = text.find("\n\n", anchor)
    start = max(start, par_start + 2 if par_start != -1 else 0)
    end = min(end, par_end if par_end != -1 else len(text))
    return strip_range(text, start, end) if start < end else (start, start)


def clause_end(doc: Doc, cue: Token, end: int, breaks: frozenset[str] = BREAKS) -> int:
    """Return where reported words running past a quote end: the end of the cue's sentence.

    "called the protesters “thugs” without proof": the clause goes on after the closing mark,
    up to the sentence's end, a semicolon or dash break, or another attribution.
    """
    text = text_of(doc)
    stop = min(cue.sent.end_char, len(text))
    for token in doc[token_at(doc, end).i : cue.sent.end]:
        if token.idx < end:
            continue
        if (
            token.text in breaks
            or QUOTE_MARK.fullmatch(token.text)
            or (is_cue(token, SPEECH) and token.i != cue.i)
        ):
            stop = token.idx
            break
    start, stop = strip_range(text, end, stop)
    return stop if start < stop else end
