"""Quotes: quoted and reported speech with speaker and cue, as a registered spaCy component.

The component reads the shared parse (dependency labels and word forms only: the pipeline has
no tagger or lemmatizer) and the entity component's ``doc._.wd_mentions``. It finds:

- marked quotes: text between “…”, "…", ‘…’ or «…» marks, with nested marks kept inside the
  outer quote, a quote interrupted by its attribution (“A,” he said, “B.”) kept as one quote,
  and the news convention of a paragraph that opens a quote without closing it (the quote runs
  on, into the next paragraph when that one opens with a mark). Stray or unbalanced marks never
  raise: a closer without an opener is ignored, an opener without a closer ends at the
  paragraph's end.
- reported speech: a cue word (speech verbs, and the beliefs, intentions and findings news
  attributes: "wants", "plans", "polls show") with a subject and a content clause, including
  "according to X" and "X said" after the content. A quoted fragment inside such a clause is a
  ``partial`` quote that shares the clause's cue and speaker.

Speakers are resolved through the entity mentions (titles stripped, short names expanded);
pronouns and bare "he added" resolve to the nearest earlier speaker, else the nearest earlier
person (or organisation, for "it"/"they").

quote_key design: one quote must share its key with the same words carried by another wire,
even when one is a fragment of the other or they differ by a word or two. A key computed from one
quote alone cannot express "fragment of", so keys are assigned in two steps. ``quote_key`` is the
per-quote default: a hash of the folded words without the most common function words, so case,
punctuation, quote marks and small words ("by", "the") never split a key. ``assign_keys`` then
clusters a whole extraction batch: two quotes join when the shorter one has at least
``MIN_KEY_WORDS`` distinctive words and all but at most ``MAX_KEY_GAP`` of its words occur in
order in the longer one (so a couple of shared common words never link quotes); each cluster takes
the smallest default key among its members, which is deterministic for a given batch and stable
across runs whenever the same quotes meet again.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import pyarrow as pa
from spacy.attrs import DEP, HEAD, IDX, LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import minibatch

from tasks.common import normalize_for_match, token_spaces, token_words
from warehouse.schemas import QUOTES

COMPONENT = "wiredesk_quotes"
PARTIAL_PARSER = "wiredesk_partial_parser"
TEXT_KEY = "wd_text"  # doc.user_data caches: the text and token offsets, read many times per doc
OFFSETS_KEY = "wd_offsets"

# Speech verbs: they introduce direct quotes as well as reported speech.
SPEECH_VERBS = (
    "say tell add warn stress urge ask state reiterate insist note explain claim announce "
    "declare write report argue recall reply respond acknowledge admit confirm deny describe "
    "tweet post vow pledge promise predict suggest highlight demand threaten caution estimate "
    "accuse dismiss denounce call cite agree echo allege assert contend maintain complain "
    "concede emphasize emphasise observe remark comment mention testify disclose reveal "
    "indicate signal propose recommend joke boast lament blame criticize criticise "
    "praise question wonder conclude forecast charge assure guarantee speculate shout chant "
    "yell scream whisper continue quip retort interject muse scoff plead lash "
    "announce"
)
# Beliefs, intentions and findings: PolNeAR counts them as attributions, but they do not
# introduce a quotation.
BELIEF_VERBS = (
    "believe think expect hope fear worry want plan intend seek feel know show find learn "
    "doubt suspect consider hold see decide refuse vow pledge"
)
# Verbs of stance and finding whose direct object is the attributed content ("called the report
# “outrageous”", "the poll showed a slimmer lead", "criticised the decision").
OBJECT_VERBS = (
    "call describe dismiss denounce criticize criticise praise accuse blame cite show find want "
    "propose recommend announce demand seek support oppose reject welcome condemn deny "
    "acknowledge admit confirm predict promise pledge question mention highlight emphasize "
    "emphasise stress reveal estimate applaud endorse prefer defend back favor favour slam "
    "blast attack label hail tout decry bemoan lament"
)
IRREGULAR = {
    "say": ("said",),
    "tell": ("told",),
    "write": ("wrote", "written"),
    "think": ("thought",),
    "feel": ("felt",),
    "know": ("knew", "known"),
    "show": ("shown",),
    "find": ("found",),
    "learn": ("learnt",),
    "hold": ("held",),
    "see": ("saw", "seen"),
    "seek": ("sought",),
    "lash": ("lashed",),
    "speak": ("spoke", "spoken"),
}


def verb_forms(verbs: str) -> set[str]:
    """Return the word forms of base verbs: base, -s, -ed, -ing and irregular pasts."""
    out: set[str] = set()
    for v in verbs.split():
        stem = v[:-1] if v.endswith("e") else v
        third = v + "es" if v.endswith(("s", "sh", "ch", "x", "o")) else v + "s"
        past = v + "d" if v.endswith("e") else v + "ed"
        if v.endswith("y") and v[-2] not in "aeiou":
            third, past = v[:-1] + "ies", v[:-1] + "ied"
        out |= {v, third, past, stem + "ing", *IRREGULAR.get(v, ())}
    return out


# Verbs of speaking about something: the topic after "about", "on", "of" or "to" is the content.
TOPIC_VERBS = "talk speak comment refer respond react testify tweet brag rail"
TOPIC_PREPS = {"about", "on", "of", "against", "to"}
SPEECH = verb_forms(SPEECH_VERBS + " " + TOPIC_VERBS)
BELIEF = verb_forms(BELIEF_VERBS) - SPEECH
STANCE = verb_forms(OBJECT_VERBS) - SPEECH - BELIEF
CUES = SPEECH | BELIEF | STANCE
SUBJECTS = {"nsubj", "nsubjpass"}
CONTENT_DEPS = {"ccomp"}
# Verbs whose infinitive complement is the attributed content ("wants to", "urged X to").
XCOMP_CUES = verb_forms("want plan intend seek hope expect urge ask call vow pledge promise refuse")
OBJECT_CUES = verb_forms(OBJECT_VERBS)
# Verbs of saying whose content may follow without a clean clause in the parse.
SAY_CUES = verb_forms("say tell add note argue claim insist warn explain")
PERSON_PRONOUNS = {"he", "she", "i"}
# Documents that "say" on behalf of whoever issued them ("X released a letter that says").
DOCUMENTS = {"statement", "letter", "memo", "release", "email", "tweet", "post", "ad", "video"}
RELATIVES = {"who", "which", "that"}
NOT_SUBJECTS = {"n’t", "n't", "what"}
GROUP_PRONOUNS = {"they", "it", "we"}
MIN_INDIRECT_WORDS = 3
NOUN_DEPS = {"nsubj", "nsubjpass", "dobj", "pobj", "attr", "compound", "conj", "appos"}
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
PUNCT_EDGE = " \t\n,;:—–-"
MAX_GAP_WORDS = 16
MIN_UNCUED_WORDS = 6  # shorter marked text without a cue is a title or scare quote
# Function words left out of the per-quote key and not counted as distinctive words.
FUNCTION_WORDS = (
    "a an the and or but of to in on at by for with from as is are was were be been being "
    "it its this that these those he she they we i you his her their our my your them us "
    "will would can could should may might must shall do does did has have had not no so "
    "there here than then also just very all any some"
)
STOPWORDS = frozenset(FUNCTION_WORDS.split())
MIN_KEY_WORDS = 3
MAX_KEY_GAP = 2


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


class Marked(NamedTuple):
    """A quote delimited by marks: content range and the ranges actually inside marks."""

    start: int
    end: int
    parts: tuple[tuple[int, int], ...]


class Attribution(NamedTuple):
    """A cue with its speaker span and the content it introduces."""

    cue: tuple[int, int]
    speaker: Span | None
    start: int
    end: int


def text_of(doc: Doc) -> str:
    """Return the doc's text, built once per doc (spaCy joins every token on each doc.text)."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return text


def ensure_extension() -> None:
    """Declare the Doc extensions the component reads and fills."""
    for name in ("wd_quotes", "wd_mentions"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def key_words(text: str) -> list[str]:
    """Return the folded words of a quote."""
    return normalize_for_match(text).split()


def quote_key(text: str) -> str:
    """Return the default key of a quote: a hash of its folded words without function words."""
    words = [w for w in key_words(text) if w not in STOPWORDS] or key_words(text)
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()[:16]


def same_words(short: list[str], long: list[str]) -> bool:
    """Return whether the shorter quote's words occur as one run of the longer, up to a word or two.

    The run may miss or add at most MAX_KEY_GAP words, and must hold MIN_KEY_WORDS distinctive
    words: a couple of common words never make two quotes one.
    """
    if len(short) > len(long):
        short, long = long, short
    if sum(w not in STOPWORDS for w in short) < MIN_KEY_WORDS:
        return False
    matcher = SequenceMatcher(None, short, long, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return False
    shared = [w for a, _, n in blocks for w in short[a : a + n]]
    run = blocks[-1].b + blocks[-1].size - blocks[0].b  # words of the longer the match spans
    distinct = sum(w not in STOPWORDS for w in shared)
    return (
        len(short) - len(shared) <= MAX_KEY_GAP
        and run - len(shared) <= MAX_KEY_GAP
        and distinct >= MIN_KEY_WORDS
    )


def may_share_words(short: frozenset[str], long: frozenset[str]) -> bool:
    """Return whether same_words could hold: the shorter quote misses at most a word or two."""
    return len(short - long) <= MAX_KEY_GAP


def assign_keys(texts: list[str]) -> list[str]:
    """Return a key per quote text, shared by quotes with the same words (clustered)."""
    words = [key_words(t) for t in texts]
    keys = [quote_key(t) for t in texts]
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Block on distinctive word pairs so only quotes sharing some wording are compared.
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        distinct = [w for w in ws if w not in STOPWORDS]
        for pair in set(pairwise(distinct)):
            blocks[pair].append(i)
    vocab = [frozenset(ws) for ws in words]
    sizes = [len(ws) for ws in words]
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) > 200:  # a pair this common is not evidence of the same quote
            continue
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                shorter = (vocab[i], vocab[j]) if sizes[i] <= sizes[j] else (vocab[j], vocab[i])
                if not may_share_words(*shorter) or (i, j) in seen or find(i) == find(j):
                    continue
                seen.add((i, j))
                if keys[i] != keys[j] and same_words(words[i], words[j]):
                    parent[find(i)] = find(j)
    first: dict[str, int] = {}
    for i, k in enumerate(keys):  # identical default keys are one quote already
        parent[find(i)] = find(first.setdefault(k, i))
    best: dict[int, str] = {}
    for i, k in enumerate(keys):
        root = find(i)
        best[root] = min(best.get(root, k), k)
    return [best[find(i)] for i in range(len(texts))]


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


def strip_range(text: str, start: int, end: int) -> tuple[int, int]:
    """Return a content range without surrounding spaces and clause punctuation."""
    while start < end and text[start] in PUNCT_EDGE:
        start += 1
    while end > start and text[end - 1] in PUNCT_EDGE + ".":
        end -= 1
    return start, end


def noun_phrase(token: Token) -> Span:
    """Return the span of a subject: the token with its modifiers, compounds and appositions."""
    doc = token.doc
    left = token.left_edge.i
    right = token.i
    for child in token.rights:
        if child.dep_ in {"compound", "flat", "appos"} or (
            child.dep_ == "prep" and child.text == "of"
        ):
            right = max(right, child.right_edge.i)
    while right > left and doc[right].is_punct:
        right -= 1
    for i in range(right, left, -1):  # never run back over a paragraph break
        if "\n" in doc[i - 1].text_with_ws or doc[i - 1].is_space:
            left = i
            break
    return doc[left : right + 1]


class Resolver:
    """Resolve speaker spans to names, remembering the last speakers for pronouns."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.mentions = doc._.wd_mentions or []
        self.last_person: str | None = None
        self.last_group: str | None = None
        self.titles = self.person_titles()

    def person_titles(self) -> list[tuple[int, set[str], str]]:
        """Return (position, title words, name) for people introduced with a title.

        "White House national security spokesman John Kirby" lets a later "the White House
        spokesman" resolve to John Kirby.
        """
        out = []
        for m in self.mentions:
            if m[3] != "PERSON":
                continue
            span = self.doc.char_span(m[0], m[1], alignment_mode="expand")
            if span is None or not len(span):
                continue
            left = span.root.left_edge.i
            words = {t.lower_ for t in self.doc[left : span.start] if t.is_alpha}
            words -= {"the", "a", "an"}
            if words:
                out.append((m[0], words, m[4]))
        return out

    def entity_at_root(self, span: Span) -> tuple[str, str] | None:
        """Return (canonical, label) of the entity holding the head of a speaker span."""
        root = span.root
        for m in self.mentions:
            if m[0] <= root.idx < m[1] and m[3] in {"PERSON", "ORG", "GPE", "NORP", "FAC"}:
                return m[4], m[3]
        for label in ("PERSON", "ORG"):  # "Kirby, the spokesman": the name sits in an appositive
            for m in self.mentions:
                if span.start_char <= m[0] and m[1] <= span.end_char and m[3] == label:
                    return m[4], label
        return None

    def titled_person(self, span: Span) -> str | None:
        """Return the person last introduced with a title that covers the span's words."""
        words = {t.lower_ for t in span if t.is_alpha} - {"the", "a", "an"}
        if not words or span.root.lower_ not in words:
            return None
        found = [n for pos, title, n in self.titles if pos < span.start_char and words <= title]
        return found[-1] if found else None

    def before(self, position: int, labels: set[str]) -> str | None:
        """Return the canonical name of the last entity of some labels before a position."""
        found = [m for m in self.mentions if m[3] in labels and m[1] <= position]
        return found[-1][4] if found else None

    def resolve(self, span: Span) -> tuple[str | None, float]:
        """Return the speaker's name and a confidence for a speaker span."""
        lower = span.text.lower()
        root = span.root
        if lower in RELATIVES and root.head.dep_ == "relcl" and root.head.head is not root.head:
            return self.resolve(noun_phrase(root.head.head))  # "Kirby, who said"
        if lower in PERSON_PRONOUNS:
            name = self.last_person or self.before(span.start_char, {"PERSON"})
            return name, 0.7 if name else 0.3
        if lower in GROUP_PRONOUNS:
            name = self.last_group or self.before(span.start_char, {"ORG", "GPE"})
            return name, 0.5 if name else 0.3
        found = self.entity_at_root(span)
        if found:
            name, label = found
            if label == "PERSON":
                self.last_person = name
            else:
                self.last_group = name
            return name, 0.9
        person = self.titled_person(span)
        if person:
            self.last_person = person
            return person, 0.75
        name = re.sub(r"^(?:the|a|an)\s+", "", span.text, flags=re.IGNORECASE)
        self.last_group = name
        return name, 0.6


def after_break(speaker: Span, cue: Token) -> Span:
    """Return the words before the cue in its paragraph when the parse took a subject from the one
    before (a time stamp "4:40 p.m." over "Rubio says")."""
    doc = cue.doc
    if speaker.end <= cue.i and "\n" in text_of(doc)[speaker.end_char : cue.idx]:
        start = max(t.i for t in doc[speaker.end : cue.i] if "\n" in t.text_with_ws) + 1
        if 0 < cue.i - start <= 8:
            return doc[start : cue.i]
    return speaker


def speaker_of(cue: Token) -> Span | None:
    """Return the speaker span of a cue verb from the parse."""
    if cue.lower_ == "quoted":  # "AFP quoted Kirby as saying"
        objects = [c for c in cue.children if c.dep_ == "dobj"]
        if objects:
            return noun_phrase(objects[0])
    if cue.lower_ == "asked" and (
        any(c.dep_ in {"nsubjpass", "auxpass"} for c in cue.children)
        or (cue.dep_ == "advcl" and not any(c.dep_ == "nsubj" for c in cue.children))
    ):
        return None  # "Asked about X, Lund said", "Lund was asked": the one asked, not the asker
    subjects = [c for c in cue.children if c.dep_ in SUBJECTS and c.lower_ not in NOT_SUBJECTS]
    if len(subjects) > 1 and subjects[1].i < cue.i:
        subjects = subjects[1:]  # "The port, the mayor said, will reopen": the nearer one speaks
    if subjects:
        if subjects[0].lower_ in RELATIVES:  # "Kirby, who said ...": the resolver follows it
            return cue.doc[subjects[0].i : subjects[0].i + 1]
        return after_break(noun_phrase(subjects[0]), cue)
    agents = [c for c in cue.children if c.dep_ == "agent"]
    if agents:
        objects = [c for c in agents[0].children if c.dep_ == "pobj"]
        if objects:
            return noun_phrase(objects[0])
    owners = [c for c in cue.children if c.dep_ == "poss"]
    if owners:  # "Trump's claim that ...", "her remark that ..."
        return noun_phrase(owners[0])
    head = cue.head
    if cue.dep_ == "pcomp" and head.head.lower_ == "quoted":  # "quoted Kirby as saying"
        return speaker_of(head.head)
    if cue.dep_ == "pcomp" and head.dep_ == "prep" and head.head.i != head.i:
        return speaker_of(head.head)  # "ended by saying": the speaker is the verb's subject
    if cue.dep_ in {"conj", "advcl", "xcomp"} and head.i != cue.i:
        return speaker_of(head) if head.lower_ != cue.lower_ else None  # "..., adding"
    if cue.dep_ in {"acl", "relcl"} and head.i != cue.i:
        return issuer(head) or noun_phrase(head)
    return None


def issuer(document: Token) -> Span | None:
    """Return who put out a document that speaks: "the Council issued a statement saying"."""
    if document.lower_.rstrip("s") not in DOCUMENTS or document.dep_ != "dobj":
        return None
    subjects = [c for c in document.head.children if c.dep_ in SUBJECTS]
    return noun_phrase(subjects[0]) if subjects else None


def according_to(token: Token) -> tuple[tuple[int, int], Span] | None:
    """Return the cue range and source span of "according to X"."""
    if token.lower_ != "according" or token.i + 1 >= len(token.doc):
        return None
    to = token.nbor()
    if to.lower_ != "to":
        return None
    objects = [c for c in to.children if c.dep_ == "pobj"] or [
        c for c in token.children if c.dep_ == "pobj"
    ]
    if not objects:
        return None
    return (token.idx, to.idx + len(to.text)), noun_phrase(objects[0])


def content_of(cue: Token) -> tuple[int, int] | None:
    """Return the content range a cue verb introduces: its clause complement."""
    doc = cue.doc
    clauses = [c for c in cue.children if c.dep_ in CONTENT_DEPS]
    if not clauses and cue.lower_ in XCOMP_CUES:
        clauses = [c for c in cue.children if c.dep_ == "xcomp"]
        objects = [c for c in cue.children if c.dep_ == "dobj"]
        if clauses and objects and objects[0].i < clauses[0].i:  # "urged Tehran to end"
            return strip_range(text_of(doc), objects[0].left_edge.idx, span_end(clauses[0]))
    if not clauses and cue.lower_ in OBJECT_CUES:
        objects = [c for c in cue.children if c.dep_ == "dobj"]
        if not objects and cue.lower_.startswith("call"):  # "called for", "called on"
            objects = [c for c in cue.rights if c.dep_ == "prep" and c.lower_ in {"for", "on"}]
            objects = [o for c in objects for o in c.children if o.dep_ == "pobj"]
        if objects:
            tail = [c for c in cue.rights if c.dep_ in {"oprd", "xcomp", "ccomp"}]
            tail += [
                c
                for c in cue.rights
                if c.dep_ == "advcl" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.lefts)
            ]
            tail += [c for c in cue.rights if c.dep_ == "prep" and c.lower_ == "as"]
            end = max(span_end(t) for t in [objects[0], *tail])
            return strip_range(text_of(doc), objects[0].left_edge.idx, end)
    if not clauses:
        if cue.dep_ == "parataxis":  # "The talks will resume, he said."
            head = cue.head
            if head.left_edge.i < cue.left_edge.i and cue.i < head.i:
                # "The talks, he said, will resume": the clause around the attribution
                return strip_range(text_of(doc), head.left_edge.idx, span_end(head))
            left = head.left_edge.idx if cue.i > head.i else span_end(cue)
            right = cue.left_edge.idx if cue.i > head.i else span_end(head)
            return strip_range(text_of(doc), left, right)
        if cue.lower_ in SAY_CUES and cue.i + 1 < cue.sent.end:  # a parse without the clause
            rest = [t for t in cue.rights if t.dep_ not in {"dative", "dobj", "npadvmod", "punct"}]
            if rest and rest[0].dep_ not in {"prep", "advmod", "cc", "conj"}:
                end = cue.sent.end_char
                return strip_range(text_of(doc), rest[0].left_edge.idx, end)
        return topic_of(cue)
    # With a clause on each side ("In a statement after X resigned, Y said Z"), the content
    # follows a cue whose subject comes first, and precedes an inverted one ("Z, said Y").
    subject_first = any(c.dep_ in SUBJECTS and c.i < cue.i for c in cue.children)
    after = [c for c in clauses if c.i > cue.i]
    before = [c for c in clauses if c.i < cue.i]
    clause = after[0] if after and (subject_first or not before) else before[-1]
    end = span_end(clause)
    if clause.i > cue.i:
        # "says A, but B": a clause with its own subject joined to the cue goes on the content
        # (a verb sharing the cue's subject, "and added", is the speaker's own act).
        for c in cue.rights:
            if (
                c.dep_ == "conj"
                and c.i > clause.i
                and not is_cue(c, CUES)
                and any(s.dep_ in SUBJECTS for s in c.children)
            ):
                end = max(end, span_end(c))
        # "The port, the mayor said, will reopen": the parse hangs the content's subject on the
        # cue as a second subject; the content starts with it.
        subjects = [c for c in cue.lefts if c.dep_ in SUBJECTS]
        if len(subjects) > 1:
            return strip_range(text_of(doc), subjects[0].left_edge.idx, end)
    return strip_range(text_of(doc), clause.left_edge.idx, end)


def topic_of(cue: Token) -> tuple[int, int] | None:
    """Return what a cue without a clause is about: its object, or "about X", "on X", "of X".

    "Lund wants those things now", "Vale spoke about the merger", "the mayor commented on
    the vote": with no clause or infinitive, the object or topic phrase is the content.
    """
    for child in cue.rights:
        if child.dep_ == "dobj":
            return strip_range(text_of(cue.doc), child.left_edge.idx, span_end(child))
        if child.dep_ == "prep" and child.lower_ in TOPIC_PREPS:
            objects = [o for o in child.children if o.dep_ in {"pobj", "pcomp"}]
            if objects:
                return strip_range(text_of(cue.doc), objects[0].left_edge.idx, span_end(objects[0]))
    return None


def span_end(token: Token) -> int:
    """Return the end character of a token's subtree."""
    last = token.right_edge
    return last.idx + len(last.text)


def sentence_content(sent: Span, cue_start: int, cue_end: int, source: Span) -> tuple[int, int]:
    """Return a sentence's content around an "according to X" phrase."""
    text = text_of(sent.doc)
    if cue_start <= sent.start_char + 1:  # "According to X, content."
        return strip_range(text, source.end_char, sent.end_char)
    return strip_range(text, sent.start_char, cue_start)


def headline_attribution(doc: Doc) -> Attribution | None:
    """Return the attribution of a headline "Speaker: content" in the first paragraph."""
    first = text_of(doc).split("\n", 1)[0]
    head, colon, rest = first.partition(": ")
    if not colon or not head[:1].isupper() or len(head.split()) > 6 or len(rest.split()) < 3:
        return None
    speaker = doc.char_span(0, len(head), alignment_mode="contract")
    if speaker is None or not len(speaker):
        return None
    start, end = strip_range(text_of(doc), len(head) + 1, len(first))
    return Attribution((len(head), len(head) + 1), speaker, start, end)


def clip_to_paragraph(text: str, anchor: int, start: int, end: int) -> tuple[int, int]:
    """Return a content range cut to the paragraph of its cue (the parse may run across one)."""
    par_start = text.rfind("\n\n", 0, anchor)
    par_end = text.find("\n\n", anchor)
    start = max(start, par_start + 2 if par_start != -1 else 0)
    end = min(end, par_end if par_end != -1 else len(text))
    return strip_range(text, start, end) if start < end else (start, start)


def tokens_in(doc: Doc, words: set[str]) -> list[Token]:
    """Return the tokens whose lower-case form is one of words, without touching the others."""
    return [doc[i] for i, lower in enumerate(token_words(doc, LOWER)) if lower in words]


def find_attributions(doc: Doc) -> list[Attribution]:
    """Return every cue with a speaker and content in the document."""
    headline = headline_attribution(doc)
    found = [headline] if headline else []
    for token in tokens_in(doc, CUES | {"according"}):
        acc = according_to(token)
        if acc is not None:
            cue, source = acc
            start, end = sentence_content(token.sent, cue[0], cue[1], source)
            if end - start > 0:
                found.append(Attribution(cue, source, start, end))
            continue
        if not is_cue(token, CUES):
            continue
        content = content_of(token)
        if content is None:
            continue
        start, end = clip_to_paragraph(text_of(doc), token.idx, *content)
        words = text_of(doc)[start:end]
        # "called Lund “reckless”", "faulted the board for “hiding losses”": a short object
        # is content when the cue's phrase holds a quote (reach_quote takes it in).
        phrase = text_of(doc)[start : max(end, min(span_end(token), token.sent.end_char))]
        if len(words.split()) < MIN_INDIRECT_WORDS and not QUOTE_MARK.search(phrase):
            continue
        cue = (token.idx, token.idx + len(token.text))
        speaker = speaker_of(token)
        if speaker is not None and start <= speaker.start_char < end and not start <= cue[0] < end:
            speaker = None  # a subject inside the content is part of what was said
        if speaker is None and token.lower_ in SPEECH:
            speaker = named_before(doc, ((start, end),), token)
        if speaker is None and token.lower_ in BELIEF:
            continue  # "the plan seems" without a holder is rarely attribution
        found.append(Attribution(cue, speaker, start, end))
    return found


def is_cue(token: Token, words: set[str]) -> bool:
    """Return whether a token is a cue verb: a listed word form, not part of a name."""
    return (
        token.lower_ in words
        and not token.ent_type_
        and token.dep_ not in {"amod", "compound", "nmod"}
        and not (token.is_title and token.i > token.sent.start and not in_headline(token))
        and not (token.is_upper and len(token) > 1)  # a capitalised headline word
    )


def in_headline(token: Token) -> bool:
    """Return whether a token is in a Title Case first line ("Obama Says Museum Will Open")."""
    text = text_of(token.doc)
    end = text.find("\n")
    if not 0 <= token.idx < end:
        return False
    words = text[:end].split()
    return sum(w[:1].isupper() for w in words) >= 0.6 * len(words)


def token_at(doc: Doc, position: int) -> Token:
    """Return the token at or just before a character position."""
    offsets = doc.user_data.get(OFFSETS_KEY)
    if offsets is None:
        offsets = doc.user_data[OFFSETS_KEY] = doc.to_array(IDX).tolist()
    i = bisect_right(offsets, position) - 1
    return doc[max(0, i)]


def inside(parts: tuple[tuple[int, int], ...], position: int) -> bool:
    """Return whether a position lies within the marked parts of a quote."""
    return any(s <= position < e for s, e in parts)


def speaker_between(doc: Doc, quote_end: int, cue: Token) -> Span | None:
    """Return the name between a quote and its cue when the parse gave the cue no subject.

    "“...,” Lund, 58, told the paper": the words after the closing mark, up to the cue, name the
    speaker (a name or a pronoun first, a short phrase, all in the paragraph).
    """
    text = text_of(doc)
    words = [t for t in doc[token_at(doc, quote_end).i : cue.i] if t.idx >= quote_end]
    words = [t for t in words if not (t.is_punct and t.text in CLOSERS)]
    while words and words[0].is_punct:
        words.pop(0)
    if (
        not words
        or len(words) > 12
        or "\n" in text[quote_end : cue.idx]
        or not (words[0].is_title or words[0].lower_ in PERSON_PRONOUNS | GROUP_PRONOUNS)
        or any(t.text in ".?!;" or t.text in MARK_TOKENS for t in words)
    ):
        return None
    end = words[-1].i
    while end > words[0].i and doc[end].is_punct:
        end -= 1
    return doc[words[0].i : end + 1]


def marked_cue(doc: Doc, quote: Marked) -> tuple[tuple[int, int], Span | None] | None:
    """Return the nearest speech cue (and speaker) of a marked quote, in or beside its sentences."""
    if not len(doc):
        return None
    lead = dash_attribution(doc, quote) or lead_in(doc, quote) or name_colon(doc, quote)
    if lead is not None:
        return lead
    first, last = token_at(doc, quote.start), token_at(doc, quote.end - 1)
    sents = []
    for tok in (first, last):
        if tok.sent not in sents:
            sents.append(tok.sent)
    after = last.i + 2
    if after < len(doc) and doc[after].sent not in sents:
        sents.append(doc[after].sent)  # "“A.” he said." parsed as its own sentence
    lo = min(s.start for s in sents)
    hi = max(s.end for s in sents)
    best: tuple[int, tuple[int, int], Span | None] | None = None
    for token in doc[lo:hi]:
        if inside(quote.parts, token.idx):
            continue
        if token.idx >= quote.end and "\n" in text_of(doc)[quote.end : token.idx]:
            continue
        acc = according_to(token)
        if acc is not None:
            cue, speaker = acc
        elif is_cue(token, SPEECH):
            cue, speaker = (token.idx, token.idx + len(token.text)), speaker_of(token)
        else:
            continue
        if speaker is not None and inside(quote.parts, speaker.start_char):
            speaker = None
        # the nearest edge of a part: a cue between two parts is as near as it looks
        distance = min(min(abs(token.idx - s), abs(token.idx - e)) for s, e in quote.parts)
        rank = distance + (0 if speaker is not None else 1_000)
        if best is None or rank < best[0]:
            best = (rank, cue, speaker)
    if best is None and (after := verb_after_comma(doc, quote)) is not None:
        return after
    if best is None:
        colon = text_of(doc)[: max(0, opener_start(text_of(doc), quote.start))].rstrip()
        if colon.endswith(":") and first.sent.start > 0:  # "Kirby said:\n\n“...”"
            prev = doc[first.sent.start - 1].sent
            for token in prev:
                if token.lower_ in SPEECH:
                    return (token.idx, token.idx + len(token.text)), speaker_of(token)
        return None
    cue, speaker = best[1], best[2]
    return cue, speaker or fallback_speaker(doc, quote, token_at(doc, cue[0]))


def verb_after_comma(doc: Doc, quote: Marked) -> tuple[tuple[int, int], Span | None] | None:
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
                return (token.idx, token.idx + len(token.text)), speaker_of(token)
    return None


def fallback_speaker(doc: Doc, quote: Marked, cue: Token) -> Span | None:
    """Return the name beside a quote's cue that the parse gave no subject."""
    speaker = None
    ends = [e for _, e in quote.parts if e <= cue.idx]
    if ends:  # the cue follows the quote or one of its parts
        speaker = speaker_between(doc, max(ends), cue) or speaker_after(doc, cue)
    return speaker or named_before(doc, quote.parts, cue)


DASH_NAME = re.compile(r"\s*(―|—|–|--)\s*([A-Z][^\n“”\"]{0,60}?)[\s.]*")


def dash_attribution(doc: Doc, quote: Marked) -> tuple[tuple[int, int], Span | None] | None:
    """Return the dash and name that close a quote's paragraph: “...” ― Ana Ruiz."""
    text = text_of(doc)
    end = past_closer(text, quote.end)
    par_end = text.find("\n", end)
    found = DASH_NAME.fullmatch(text, end, len(text) if par_end == -1 else par_end)
    if found is None or len(found.group(2).split()) > 8:
        return None
    speaker = doc.char_span(found.start(2), found.end(2), alignment_mode="expand")
    return found.span(1), speaker


def lead_text(doc: Doc, quote: Marked) -> str:
    """Return the text before a quote's opening mark, without the spaces next to the mark."""
    return text_of(doc)[: opener_start(text_of(doc), quote.start)].rstrip(" ")


def name_colon(doc: Doc, quote: Marked) -> tuple[tuple[int, int], Span | None] | None:
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
    if not words[:1].isupper() or len(words.split()) > 6:
        return named_at_colon(doc, before)
    begin = before.index(words, max(0, start))
    named = [m for m in doc._.wd_mentions or [] if begin < m[1] and m[0] < len(before) - 1]
    if not any(m[3] in {"PERSON", "ORG"} for m in named):
        return named_at_colon(doc, before)
    return cue, doc.char_span(begin, begin + len(words), alignment_mode="expand")


def named_at_colon(doc: Doc, before: str) -> tuple[tuple[int, int], Span | None] | None:
    """Return the colon and the name just before it: "... surprise pollster Ana Ruiz: “...”"."""
    for m in doc._.wd_mentions or []:
        if m[3] in {"PERSON", "ORG"} and m[1] == len(before) - 1:
            return (m[1], m[1] + 1), doc.char_span(m[0], m[1], alignment_mode="expand")
    return None


def lead_in(doc: Doc, quote: Marked) -> tuple[tuple[int, int], Span | None] | None:
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
            return (token.idx, token.idx + len(token.text)), speaker
    return None


def named_before(doc: Doc, parts: tuple[tuple[int, int], ...], cue: Token) -> Span | None:
    """Return the last person or organisation named before a cue in its sentence, outside the quote.

    The fallback for a cue the parse left without a subject: "Col. Ann Ruiz, a spokeswoman in
    Basra, said, “...”" or "“...,” Ann Ruiz, wearing a “Vote” pin, said".
    """
    start = max(cue.sent.start_char, max((e for _, e in parts if e <= cue.idx), default=0))
    found = [
        m
        for m in doc._.wd_mentions or []
        if start <= m[0]
        and m[1] <= cue.idx
        and m[3] in {"PERSON", "ORG"}
        and not inside(parts, m[0])
    ]
    if not found:
        return None
    # a person before an organisation: "President Obama, opening the Museum of X, said"
    found = [m for m in found if m[3] == "PERSON"] or found
    return doc.char_span(found[-1][0], found[-1][1], alignment_mode="expand")


def speaker_after(doc: Doc, cue: Token) -> Span | None:
    """Return the name right after an inverted cue the parse left without a subject.

    "“...,” said Lena Ruiz, a teacher": the person or organisation named next is the speaker.
    """
    nxt = cue.i + 1
    if nxt >= len(doc) or "\n" in cue.text_with_ws:
        return None
    for m in doc._.wd_mentions or []:
        if m[0] == doc[nxt].idx and m[3] in {"PERSON", "ORG"}:
            return doc.char_span(m[0], m[1], alignment_mode="expand")
    return None


def governing_verb(doc: Doc, quote: Marked) -> tuple[tuple[int, int], Span] | None:
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
            return (token.idx, token.idx + len(token.text)), speaker
        if token.head.i == token.i:
            return None
        token = token.head
    return None


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


def build_quote(
    doc: Doc,
    resolver: Resolver,
    start: int,
    end: int,
    kind: str,
    cue: tuple[int, int] | None,
    speaker: Span | None,
    base: float,
) -> Quote:
    """Assemble a Quote, resolving its speaker."""
    name, confidence = resolver.resolve(speaker) if speaker is not None else (None, 0.3)
    if speaker is None and cue is None and kind != "indirect":
        name = resolver.last_person  # a paragraph of quotation continues the last speaker
        confidence = 0.3 if name else 0.1
    confidence *= base if cue is not None else 0.5
    text = text_of(doc)[start:end]
    return Quote(
        start,
        end,
        text,
        kind,
        name,
        speaker.text if speaker is not None else None,
        speaker.start_char if speaker is not None else None,
        speaker.end_char if speaker is not None else None,
        text_of(doc)[cue[0] : cue[1]] if cue is not None else None,
        cue[0] if cue is not None else None,
        cue[1] if cue is not None else None,
        round(min(1.0, max(0.0, confidence)), 2),
        quote_key(text),
    )


def covered(attribution: Attribution, marked: list[Marked]) -> bool:
    """Return whether a clause is a marked quote itself (it starts at or inside the marks).

    A clause that starts before a quote and contains it is reported speech with a partial quote
    ("said that the plan “will fail”"): it stays, and the quote becomes its fragment. A clause
    that opens with a quote whose cue follows it ("“A,” Lund tells a paper") is that quote, even
    when the parse runs it on over the speaker's name.
    """
    start, end = attribution.start, attribution.end
    return any(
        q.start - 2 <= start < q.end and (end <= q.end + 2 or attribution.cue[0] >= q.end)
        for q in marked
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
    text = text_of(doc)
    out = []
    for q in marked:
        if quote_type(doc, q) != "partial" or any(
            a.start <= q.start and q.end <= a.end for a in reported
        ):
            continue
        found = marked_cue(doc, q)
        if found is None:
            continue
        cue = token_at(doc, found[0][0])
        if cue.idx != found[0][0] or cue.lower_ == "according":
            continue
        end = past_closer(text, q.end)
        if found[0][0] >= q.end:  # "X is “a fraud,” Vale said": the sentence up to the quote
            first = token_at(doc, q.start)
            lead = doc[first.sent.start : first.i]
            par = text.rfind("\n", 0, q.start) + 1
            start = max(first.sent.start_char, par)
            if (
                start < opener_start(text, q.start)
                and not is_title(text[q.start : q.end])  # "on the “Morning Hour,”": a name
                and first.sent == cue.sent
                and not re.search(r"[.?!;“”\"]", text[end : found[0][0]])
                and not any(is_cue(t, CUES) and t.dep_ not in NOUN_DEPS for t in lead)
            ):
                host = Attribution(found[0], found[1], *strip_range(text, start, end))
                if out and out[-1].cue == host.cue:  # two fragments before one cue: one clause
                    host = host._replace(start=out.pop().start)
                out.append(host)
            continue
        if found[0][1] >= q.start:
            continue
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
            continue  # another cue or sentence owns the fragment ("the plan" is not a cue)
        out.append(Attribution(found[0], found[1], doc[i].idx, clause_end(doc, cue, end)))
    return out


def clause_end(doc: Doc, cue: Token, end: int) -> int:
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
            token.text in {";", "—", "--"}
            or QUOTE_MARK.fullmatch(token.text)
            or (is_cue(token, SPEECH) and token.i != cue.i)
        ):
            stop = token.idx
            break
    start, stop = strip_range(text, end, stop)
    return stop if start < stop else end


def extract_quotes(doc: Doc) -> list[Quote]:
    """Return direct, partial and reported quotes of a parsed document in text order."""
    resolver = Resolver(doc)
    marked = join_continued(doc, join_interrupted(doc, find_marked(text_of(doc))))
    reported = [
        reach_quote(doc, close_over(text_of(doc), a, marked), marked)
        for a in find_attributions(doc)
        if not covered(a, marked)
    ]
    reported += fragment_hosts(doc, marked, reported)
    clauses = reported  # every clause, nested ones included, may hold a quoted fragment
    # "He says he thinks X", "said the mayor called it a fraud": a cue inside another
    # attribution's content is part of what was said, not an attribution of its own.
    reported = [
        a
        for a in clauses
        if not (
            text_of(doc)[a.cue[0] : a.cue[1]].lower() in CUES
            and any(o is not a and o.start <= a.cue[0] < o.end for o in clauses)
        )
    ]
    items: list[tuple[int, Marked | Attribution]] = [(q.start, q) for q in marked]
    items += [(a.start, a) for a in reported]
    # Resolve in text order of the cue, so "he added" sees the speakers before it.
    quotes: list[Quote] = []
    for _, item in sorted(items, key=lambda x: x[0]):
        if isinstance(item, Attribution):
            quotes.append(
                build_quote(
                    doc, resolver, item.start, item.end, "indirect", item.cue, item.speaker, 1.0
                )
            )
            continue
        assert isinstance(item, Marked)
        hosts = [a for a in clauses if a.start <= item.start and item.end <= a.end]
        # The innermost clause holds the words' own speaker: in "X called on Iran “to end
        # support”, the Elysee said" the fragment is X's.
        host = min(hosts, key=lambda a: a.end - a.start) if hosts else None
        if host is not None:
            cue, speaker, base = host.cue, host.speaker, 0.9
            if speaker is None and token_at(doc, cue[0]).idx == cue[0]:
                speaker = fallback_speaker(doc, item, token_at(doc, cue[0]))
        else:
            found = marked_cue(doc, item)
            cue, speaker = found if found else (None, None)
            base = 1.0
        start, end = item.start, item.end
        if start >= end or not text_of(doc)[start:end].strip():
            continue
        if cue is None and len(text_of(doc)[start:end].split()) < MIN_UNCUED_WORDS:
            continue
        if host is None and is_title(text_of(doc)[start:end]):
            continue
        if cue is None:
            cue, speaker = governing_verb(doc, item) or (None, None)
        quotes.append(
            build_quote(doc, resolver, start, end, quote_type(doc, item), cue, speaker, base)
        )
    return sorted(quotes, key=lambda q: (q.start_char, q.end_char))


# ---------------------------------------------------------------- partial parse (before NER)

SENTENCE_ENDS = {".", "!", "?"}
TRAILING_MARKS = {"”", "»"}  # a closing mark after . ! ? ends the sentence with it


def segments(words: list[str]) -> list[tuple[int, int]]:
    """Split token words into sentence-like (start, end) runs: at line breaks and . ! ? ends."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        if not word.strip() and bounds and start == i:  # as the parser does: to the one before
            bounds[-1] = (bounds[-1][0], i + 1)
            start = i + 1
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        ends = word in SENTENCE_ENDS or (
            word in TRAILING_MARKS and i > 0 and words[i - 1] in SENTENCE_ENDS
        )
        if ("\n" in word and not word.strip()) or (
            ends
            and after not in TRAILING_MARKS
            and (not after.strip() or after[:1].isupper() or after in MARK_TOKENS)
        ):
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(words):
        bounds.append((start, len(words)))
    return bounds


def parsed_runs(
    words: list[str], lowers: list[str], bounds: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return the runs of adjacent segments (bounds) quote extraction reads.

    That is a segment with a cue word or a quote mark, and the one right after a quote: its
    subject may be the speaker ("“...?” Lena Ruiz went on.").
    """
    cues = CUES | {"according"}
    runs: list[tuple[int, int]] = []
    after_quote = False
    for start, end in bounds:
        marked = any(QUOTE_MARK.search(w) for w in words[start:end])
        if marked or after_quote or any(w in cues for w in lowers[start:end]):
            if runs and runs[-1][1] == start:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))
        last = next((w for w in reversed(words[start:end]) if w.strip()), "")
        after_quote = bool(QUOTE_MARK.search(last))
    return runs


class PartialParser:
    """Run the dependency parser only on the sentences quote extraction reads (parsed_runs).

    Every other sentence gets a flat tree (its first token the root), so sentences stay intact;
    no cue is ever looked for there. The parser and its tok2vec stay disabled in the pipeline.
    """

    def __init__(self, nlp: Language, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        strings = nlp.vocab.strings
        self.root, self.flat = strings.add("ROOT"), strings.add("dep")

    def __call__(self, doc: Doc) -> Doc:
        """Parse one doc's cue sentences."""
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Parse the cue sentences of a stream of docs, in batches."""
        tok2vec, parser = self.nlp.get_pipe("tok2vec"), self.nlp.get_pipe("parser")
        size = batch_size or self.batch_size
        for batch in minibatch(docs, size):
            plans, pieces = [], []
            for doc in batch:
                words = token_words(doc, ORTH)
                bounds = segments(words)
                runs = parsed_runs(words, token_words(doc, LOWER), bounds)
                spaces = token_spaces(doc)
                plans.append((doc, bounds, runs))
                pieces += [Doc(doc.vocab, words[s:e], spaces[s:e]) for s, e in runs]
            parsed = iter(parser.pipe(tok2vec.pipe(pieces, batch_size=size), batch_size=size))
            for doc, bounds, runs in plans:
                yield self.annotate(doc, bounds, runs, parsed)

    def annotate(
        self,
        doc: Doc,
        bounds: list[tuple[int, int]],
        runs: list[tuple[int, int]],
        parsed: Iterator[Doc],
    ) -> Doc:
        """Set heads and labels: the parser's inside runs, a flat tree per segment outside."""
        n = len(doc)
        if not n:
            return doc
        heads = np.arange(n, dtype=np.int64)
        deps = np.full(n, self.flat, dtype=np.uint64)
        for start, end in bounds:
            heads[start:end] = start
            deps[start] = self.root
        for start, end in runs:
            piece = next(parsed).to_array([HEAD, DEP])
            heads[start:end] = np.arange(start, end) + piece[:, 0].astype(np.int64)
            deps[start:end] = piece[:, 1]
        relative = (heads - np.arange(n)).astype(np.uint64)  # to_array's two's-complement offsets
        doc.from_array([HEAD, DEP], np.stack([relative, deps], axis=1))
        return doc


@Language.factory(PARTIAL_PARSER, requires=["token.orth"], assigns=["token.dep", "token.head"])
def make_partial_parser(nlp: Language, name: str) -> PartialParser:
    """Build the partial parser over the pipeline's own tok2vec and parser."""
    return PartialParser(nlp)


@Language.component(COMPONENT, requires=["token.dep", "doc.ents"], assigns=["doc._.wd_quotes"])
def quote_component(doc: Doc) -> Doc:
    """Set doc._.wd_quotes: direct, partial and reported quotes in text order."""
    ensure_extension()
    doc._.wd_quotes = extract_quotes(doc)
    doc.user_data.pop(TEXT_KEY, None)  # the caches are only for this pass
    doc.user_data.pop(OFFSETS_KEY, None)
    return doc


def quotes_table(article_ids: list[str], quotes: list[list[Quote]]) -> pa.Table:
    """Return quote rows for articles in the quotes schema, with keys clustered over the batch."""
    rows: dict[str, list] = {name: [] for name in QUOTES.names}
    flat = [Quote(*q) for found in quotes for q in found]
    # Only quoted words are clustered: reported speech is a paraphrase and keeps its own key.
    marked = [i for i, q in enumerate(flat) if q.quote_type != "indirect"]
    clustered = dict(zip(marked, assign_keys([flat[i].text for i in marked]), strict=True))
    keys = iter(clustered.get(i, q.quote_key) for i, q in enumerate(flat))
    for article_id, found in zip(article_ids, quotes, strict=True):
        for idx, q in enumerate(found):
            q = Quote(*q)._replace(quote_key=next(keys))
            rows["article_id"].append(article_id)
            rows["quote_idx"].append(idx)
            rows["run_id"].append(None)
            for name, value in q._asdict().items():
                rows[name].append(value)
    return pa.table(rows, schema=QUOTES)


ensure_extension()
