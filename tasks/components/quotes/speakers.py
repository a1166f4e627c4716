"""Speakers: the span that names who speaks for a cue, and its resolution to a name.

Speakers are resolved through the entity mentions (titles stripped, short names expanded);
pronouns and bare "he added" resolve to the nearest earlier speaker, else the nearest earlier
person (or organisation, for "it"/"they").
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token

from tasks.components.quotes.cues import CUES, EVIDENCE_NOUNS, SUBJECTS, Cue, is_cue
from tasks.components.quotes.spans import CLOSERS, MARK_TOKENS, Marked, inside
from tasks.components.quotes.text import mentions_of, text_of, token_at

PERSON_PRONOUNS = {"he", "she", "i"}
# A possessive or object form names the same person or group ("his claim that", "their view").
PERSON_FORMS = PERSON_PRONOUNS | {"him", "his", "her", "me", "my"}
GROUP_FORMS = {"they", "it", "we", "them", "their", "its", "us", "our"}
# Words that stand for someone without naming them: never a speaker's name by themselves.
OTHER_PRONOUN_WORDS = (
    "you your yours this that these those one someone somebody anyone anybody everyone "
    "everybody nobody none who whom whose which what each both either neither another others "
    "some many all"
)
OTHER_PRONOUNS = frozenset(OTHER_PRONOUN_WORDS.split())
# Occupations written before a name as a title ("Nurse Abigail Stone"): the model often tags
# such a phrase an organisation; the name after the occupation is a person.
OCCUPATION_WORDS = (
    "farmer nurse teacher doctor professor prof student lawyer attorney activist author writer "
    "economist analyst sergeant sgt detective pastor reverend rev father sister brother coach "
    "driver worker engineer scientist researcher historian artist singer actor actress chef "
    "owner resident voter veteran surgeon physician fisherman miner pilot soldier officer "
    "trooper constable inspector councillor councilman councilwoman alderman rabbi imam bishop "
    "priest nun principal dean commissioner sheriff deputy lieutenant lt captain capt major "
    "corporal cpl private pvt admiral adm"
)
OCCUPATIONS = frozenset(OCCUPATION_WORDS.split())
GROUP_PRONOUNS = {"they", "it", "we"}
# How sure a speaker's name is, by how it was found (the share of such rows whose speaker was
# right on PolNeAR's training split, rounded): a named entity, a title or surname named before,
# a pronoun resolved to a person, a description ("aides"), a group pronoun, no name at all.
NAMED, TITLED, PERSON_PRONOUN, DESCRIBED, GROUP_PRONOUN = 1.0, 0.9, 0.85, 0.7, 0.6
UNRESOLVED = 0.3  # a speaker span that names no one: a pronoun without antecedent, a document

# Documents that "say" on behalf of whoever issued them ("X released a letter that says").
DOCUMENTS = {"statement", "letter", "memo", "release", "email", "tweet", "post", "ad", "video"}
# Documents and records are never a speaker's name: whoever issued one, when named, is.
DOCUMENT_NOUNS = (
    "e-mail advertisement filing complaint lawsuit suit ruling website page article story "
    "book editorial column op-ed transcript message note notice caption headline bill "
    "proposal plan platform law memorandum footage clip piece"
)
DOCUMENT_WORDS = DOCUMENTS | EVIDENCE_NOUNS | frozenset(DOCUMENT_NOUNS.split())
RELATIVES = {"who", "which", "that"}
# Occasions that "announce" or "say" on behalf of whoever held them.
EVENTS = {"conference", "speech", "interview", "meeting", "rally", "appearance", "event"}
EVENTS |= {"address", "briefing", "hearing", "session", "visit", "call", "remark"}
NOT_SUBJECTS = {"n’t", "n't", "what"}


def noun_phrase(token: Token) -> Span:
    """Return the span of a subject: the token with its modifiers, compounds and appositions."""
    doc = token.doc
    left = token.left_edge.i
    right = token.i
    for child in token.rights:
        if child.dep_ in {"compound", "flat", "appos"} or (
            child.dep_ == "prep"
            and (child.lower_ in {"of", "by"} or (child.lower_ == "from" and is_document(token)))
        ):  # "A study by Oslo University", "a statement from the council"
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
        self.mentions = mentions_of(doc)
        self.last_person: str | None = None
        self.last_group: str | None = None
        self.titles = self.person_titles()
        self.people = self.people_named()

    def people_named(self) -> list[tuple[int, int, str]]:
        """Return (start, end, name) of every mention of a person, in text order.

        Besides the model's people, an organisation-tagged "Nurse Abigail Stone" is a person,
        and so is a lone surname of a person named in full before it ("Stone").
        """
        out: list[tuple[int, int, str]] = []
        for m in self.mentions:
            name = occupied_name(m.text) if m.label == "ORG" else None
            if m.label == "PERSON":
                name = m.canonical
            if name is None and m.label in {"PERSON", "ORG"} and " " not in m.text.strip():
                name = next(
                    (n for _, _, n in reversed(out) if n.split()[-1] == m.text.strip()), None
                )
            if name is not None:
                out.append((m.start_char, m.end_char, name))
        return out

    def person_at(self, start: int, end: int) -> str | None:
        """Return the person a mention within start..end names, if any."""
        for s, e, name in self.people:
            if start <= s and e <= end:
                return name
        return None

    def person_titles(self) -> list[tuple[int, set[str], str]]:
        """Return (position, title words, name) for people introduced with a title.

        "White House national security spokesman John Kirby" lets a later "the White House
        spokesman" resolve to John Kirby.
        """
        out = []
        for m in self.mentions:
            if m.label != "PERSON":
                continue
            span = self.doc.char_span(m.start_char, m.end_char, alignment_mode="expand")
            if span is None or not len(span):
                continue
            left = span.root.left_edge.i
            words = {t.lower_ for t in self.doc[left : span.start] if t.is_alpha}
            words -= {"the", "a", "an"}
            if words:
                out.append((m.start_char, words, m.canonical))
        return out

    def entity_at_root(self, span: Span) -> tuple[str, str] | None:
        """Return (canonical, label) of the entity holding the head of a speaker span."""
        root = span.root
        if is_document(root):
            return self.issuer_in(span)
        for m in self.mentions:
            if m.start_char <= root.idx < m.end_char and m.label in {
                "PERSON",
                "ORG",
                "GPE",
                "NORP",
                "FAC",
            }:
                person = self.person_at(m.start_char, m.end_char)
                return (person, "PERSON") if person else (m.canonical, m.label)
        for label in ("PERSON", "ORG"):  # "Kirby, the spokesman": the name sits in an appositive
            for m in self.mentions:
                if (
                    span.start_char <= m.start_char
                    and m.end_char <= span.end_char
                    and m.label == label
                ):
                    return m.canonical, label
        return None

    def issuer_in(self, span: Span) -> tuple[str, str] | None:
        """Return the person or body named in a document's phrase: "a statement from the mayor's
        office", "A study by Oslo University", "the Pew Research poll"."""
        for label in ("PERSON", "ORG", "GPE"):
            for m in self.mentions:
                if (
                    span.start_char <= m.start_char
                    and m.end_char <= span.end_char
                    and m.label == label
                ):
                    person = self.person_at(m.start_char, m.end_char)
                    return (person, "PERSON") if person else (m.canonical, m.label)
        root = span.root
        owners = [c for c in root.children if c.dep_ == "poss"]
        if owners:  # "the auditors' report": its owner issued it
            owner = noun_phrase(owners[0])
            word = pronoun(owner)
            if word is not None:  # "their analysis": whoever "their" stands for
                name = self.resolve(owner)[0]
                return (name, "PERSON" if word in PERSON_FORMS else "ORG") if name else None
            words = [t for t in owner if not t.is_punct and t.lower_ not in {"'s", "’s"}]
            name = " ".join(t.text for t in words if t.lower_ not in {"the", "a", "an"})
            return (name, "ORG") if name else None
        i = root.i
        while i > span.start and span.doc[i - 1].is_title and span.doc[i - 1].i > root.sent.start:
            i -= 1
        if i < root.i:  # "a new Harlow poll": the capitalised words before the head name its maker
            return span.doc[i : root.i].text, "ORG"
        return None

    def titled_person(self, span: Span) -> str | None:
        """Return the person last introduced with a title that covers the span's words."""
        words = {t.lower_ for t in span if t.is_alpha} - {"the", "a", "an"}
        if not words or span.root.lower_ not in words:
            return None
        found = [n for pos, title, n in self.titles if pos < span.start_char and words <= title]
        return found[-1] if found else None

    def surname_of(self, span: Span) -> str | None:
        """Return the person named in full before a span that is their surname alone ("Hale")."""
        word = span.text.strip()
        if " " in word or not word[:1].isupper():
            return None
        found = [n for _, e, n in self.people if e <= span.start_char and n.split()[-1] == word]
        return found[-1] if found else None

    def before(self, position: int, labels: set[str]) -> str | None:
        """Return the canonical name of the last entity of some labels before a position."""
        if labels == {"PERSON"}:
            people = [n for _, e, n in self.people if e <= position]
            return people[-1] if people else None
        found = [m for m in self.mentions if m.label in labels and m.end_char <= position]
        return found[-1].canonical if found else None

    def resolve(self, span: Span) -> tuple[str | None, float]:
        """Return the speaker's name and a confidence for a speaker span.

        The name is a person or body: a pronoun no one named before resolves to None, and so
        does a document whose issuer the phrase does not name ("the statement said").
        """
        lower = span.text.lower()
        root = span.root
        if lower in RELATIVES and root.head.dep_ == "relcl" and root.head.head is not root.head:
            return self.resolve(noun_phrase(root.head.head))  # "Kirby, who said"
        word = pronoun(span)
        if word in PERSON_FORMS:
            name = self.last_person or self.before(span.start_char, {"PERSON"})
            return name, PERSON_PRONOUN if name else UNRESOLVED
        if word in GROUP_FORMS:
            name = self.last_group or self.before(span.start_char, {"ORG", "GPE"})
            return name, GROUP_PRONOUN if name else UNRESOLVED
        if word is not None:
            return None, UNRESOLVED  # "you", "this", "someone": no name
        found = self.entity_at_root(span)
        if found:
            name, label = found
            if label == "PERSON":
                self.last_person = name
            else:
                self.last_group = name
            return name, NAMED
        person = self.titled_person(span) or self.surname_of(span)
        if person:
            self.last_person = person
            return person, TITLED
        if is_document(root):
            return None, UNRESOLVED  # "the report said": no one named
        if span[-1].lower_ in PERSON_FORMS | GROUP_FORMS | OTHER_PRONOUNS:
            return None, UNRESOLVED  # "most of them", "two of whom": no one named
        name = re.sub(r"^(?:the|a|an)\s+", "", span.text, flags=re.IGNORECASE)
        self.last_group = name
        return name, DESCRIBED


def is_document(word: Token) -> bool:
    """Return whether a speaker's head word is a document or record ("the reports")."""
    return word.lower_ in DOCUMENT_WORDS or word.lower_.rstrip("s") in DOCUMENT_WORDS


def pronoun(span: Span) -> str | None:
    """Return the pronoun a speaker span stands on ("he", "you’ve", "even she"), or None."""
    word = span.root.lower_
    return word if word in PERSON_FORMS | GROUP_FORMS | OTHER_PRONOUNS else None


def occupied_name(text: str) -> str | None:
    """Return the name after an occupation ("Nurse Abigail Stone" → "Abigail Stone"), if any."""
    words = text.split()
    if (
        len(words) >= 3
        and words[0].lower().rstrip(".") in OCCUPATIONS
        and all(w[:1].isupper() for w in words[1:])
    ):
        return " ".join(words[1:])
    return None


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
    if asked_not_asking(cue):
        return None
    for find in (subject_speaker, agent_speaker, owner_speaker, named_just_before):
        speaker = find(cue)
        if speaker is not None:
            return speaker
    return head_speaker(cue)


def asked_not_asking(cue: Token) -> bool:
    """Return whether "asked" names the one asked: "Asked about X, Lund said", "Lund was asked"."""
    return cue.lower_ == "asked" and (
        any(c.dep_ in {"nsubjpass", "auxpass"} for c in cue.children)
        or (cue.dep_ == "advcl" and not any(c.dep_ == "nsubj" for c in cue.children))
    )


def subject_speaker(cue: Token) -> Span | None:
    """Return the cue's subject: "Lund said"."""
    subjects = [
        c
        for c in cue.children
        if c.dep_ in SUBJECTS
        and c.lower_ not in NOT_SUBJECTS
        and not c.is_punct
        and not quoted_title(c, cue)
    ]
    doc = cue.doc
    if len(subjects) > 1 and all(
        t.text == "-" for t in doc[subjects[0].right_edge.i + 1 : subjects[1].left_edge.i]
    ):  # "His ex-wife": the parse split one subject at a hyphen
        return after_break(doc[subjects[0].left_edge.i : subjects[1].right_edge.i + 1], cue)
    if len(subjects) > 1 and subjects[1].i < cue.i:
        subjects = subjects[1:]  # "The port, the mayor said, will reopen": the nearer one speaks
    if not subjects:
        return None
    if subjects[0].lower_ in RELATIVES:  # "Kirby, who said ...": the resolver follows it
        return cue.doc[subjects[0].i : subjects[0].i + 1]
    return after_break(noun_phrase(subjects[0]), cue)


def quoted_title(subject: Token, cue: Token) -> bool:
    """Return whether a subject after its cue opens with a quotation mark: a title the parse
    took for the speaker ("said on Fox News’s “Fox and Friends.”")."""
    first = subject.left_edge
    return subject.i > cue.i and first.i > 0 and first.nbor(-1).text in MARK_TOKENS


def named_just_before(cue: Token) -> Span | None:
    """Return the person or organisation named right before an -ing cue: "footage of Hillary
    Clinton asking", "Trump saying"."""
    if not cue.lower_.endswith("ing") or cue.i == 0:
        return None
    before = cue.nbor(-1)
    for m in mentions_of(cue.doc):
        if m.end_char == before.idx + len(before.text) and m.label in {"PERSON", "ORG"}:
            return cue.doc.char_span(m.start_char, m.end_char, alignment_mode="expand")
    return None


def agent_speaker(cue: Token) -> Span | None:
    """Return the agent of a passive cue: "was told by Lund"."""
    agents = [c for c in cue.children if c.dep_ == "agent"]
    objects = [c for c in agents[0].children if c.dep_ == "pobj"] if agents else []
    return noun_phrase(objects[0]) if objects else None


def owner_speaker(cue: Token) -> Span | None:
    """Return the owner of a cue noun: "Trump's claim that ...", "her remark that ..."."""
    owners = [c for c in cue.children if c.dep_ == "poss"]
    return noun_phrase(owners[0]) if owners else None


def head_speaker(cue: Token) -> Span | None:
    """Return the speaker of the verb or document a subject-less cue hangs from."""
    head = cue.head
    if cue.dep_ == "pcomp" and head.head.lower_ == "quoted":  # "quoted Kirby as saying"
        return speaker_of(head.head)
    if cue.dep_ == "pcomp" and head.dep_ == "prep" and head.head.i != head.i:
        return speaker_of(head.head)  # "ended by saying": the speaker is the verb's subject
    if cue.dep_ in {"conj", "advcl"} and head.dep_ == "ccomp" and not is_cue(head, CUES):
        # "said it was opposed and warned": the cue joined to the content is the speaker's own
        return speaker_of(head.head) if head.head.i != head.i else None
    if cue.dep_ == "xcomp" and head.i != cue.i:
        # "forced Stumpf to admit": the object of the verb does what its infinitive says
        objects = [c for c in head.children if c.dep_ == "dobj" and c.i < cue.i]
        if objects:
            return noun_phrase(objects[0])
    if cue.dep_ in {"conj", "advcl", "xcomp"} and head.i != cue.i:
        return speaker_of(head) if head.lower_ != cue.lower_ else None  # "..., adding"
    if cue.dep_ in {"acl", "relcl"} and head.i != cue.i:
        if head.lower_.rstrip("s") in EVENTS:  # "at a news conference announcing": who held it
            return subject_above(head)
        return issuer(head) or noun_phrase(head)
    if cue.dep_ in {"acomp", "dobj", "pobj"}:
        # "was able to tout", "has questions about", "peppered him with attacks on"
        return subject_above(cue)
    return None


def subject_above(token: Token) -> Span | None:
    """Return the subject of the nearest verb above a token (a few steps up, in its sentence)."""
    for _ in range(4):
        if token.head.i == token.i:
            return None
        token = token.head
        subjects = [c for c in token.children if c.dep_ in SUBJECTS]
        if subjects:
            return noun_phrase(subjects[0])
    return None


def issuer(document: Token) -> Span | None:
    """Return who put out a document that speaks: "the Council issued a statement saying"."""
    if document.lower_.rstrip("s") not in DOCUMENTS or document.dep_ != "dobj":
        return None
    subjects = [c for c in document.head.children if c.dep_ in SUBJECTS]
    return noun_phrase(subjects[0]) if subjects else None


def according_to(token: Token) -> Cue | None:
    """Return the cue of "according to X", X its speaker."""
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
    return Cue(token.idx, to.idx + len(to.text), source_phrase(objects[0]))


def source_phrase(source: Token) -> Span:
    """Return the whole phrase "according to" names: "a statement from the mayor's office".

    Its modifiers say whose statement or which poll it is, so the cue's kind; the phrase ends
    at a comma (the content follows) and never crosses a paragraph break.
    """
    phrase = noun_phrase(source)
    doc = source.doc
    end = phrase.end
    for child in source.rights:
        if child.dep_ in {"prep", "acl", "relcl"} and not any(
            t.text in {",", ";"} or "\n" in t.text_with_ws
            for t in doc[end - 1 : child.right_edge.i]
        ):
            end = max(end, child.right_edge.i + 1)
    return doc[phrase.start : end]


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


def named_before(doc: Doc, parts: tuple[tuple[int, int], ...], cue: Token) -> Span | None:
    """Return the last person or organisation named before a cue in its sentence, outside the quote.

    The fallback for a cue the parse left without a subject: "Col. Ann Ruiz, a spokeswoman in
    Basra, said, “...”" or "“...,” Ann Ruiz, wearing a “Vote” pin, said".
    """
    start = max(cue.sent.start_char, max((e for _, e in parts if e <= cue.idx), default=0))
    found = [
        m
        for m in mentions_of(doc)
        if start <= m.start_char
        and m.end_char <= cue.idx
        and m.label in {"PERSON", "ORG"}
        and not inside(parts, m.start_char)
    ]
    if not found:
        return None
    # a person before an organisation: "President Obama, opening the Museum of X, said"
    found = [m for m in found if m.label == "PERSON"] or found
    return doc.char_span(found[-1].start_char, found[-1].end_char, alignment_mode="expand")


def speaker_after(doc: Doc, cue: Token) -> Span | None:
    """Return the name right after an inverted cue the parse left without a subject.

    "“...,” said Lena Ruiz, a teacher": the person or organisation named next is the speaker.
    """
    nxt = cue.i + 1
    if nxt >= len(doc) or "\n" in cue.text_with_ws:
        return None
    for m in mentions_of(doc):
        if m.start_char == doc[nxt].idx and m.label in {"PERSON", "ORG"}:
            return doc.char_span(m.start_char, m.end_char, alignment_mode="expand")
    return None


def fallback_speaker(doc: Doc, quote: Marked, cue: Token) -> Span | None:
    """Return the name beside a quote's cue that the parse gave no subject."""
    speaker = None
    ends = [e for _, e in quote.parts if e <= cue.idx]
    if ends:  # the cue follows the quote or one of its parts
        speaker = speaker_between(doc, max(ends), cue) or speaker_after(doc, cue)
    return speaker or named_before(doc, quote.parts, cue)


def tidy_speaker(speaker: Span, cue: tuple[int, int]) -> Span | None:
    """Return a speaker span without its cue or edge punctuation, names and brackets kept whole.

    The parse may hand over ", Tim Cook", "Rep. Ann Lee (R-Fla.", "The Committee" (of "The
    Committee for a Responsible Federal Budget") or a subject that runs over the cue itself.
    """
    doc = speaker.doc
    start, end = speaker.start, speaker.end
    at_cue = [t.i for t in speaker if cue[0] <= t.idx < cue[1]]
    if at_cue:  # keep the words before the cue, or after it ("said Lena Ruiz")
        start, end = (start, at_cue[0]) if at_cue[0] > start else (at_cue[-1] + 1, end)
    while start < end and (
        doc[start].is_punct or doc[start].is_space or doc[start].text in NOT_NAMES
    ):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space):
        end -= 1
    if start >= end or not any(c.isalpha() for c in doc[start:end].text):
        return None  # "-", "'s": no name left
    end = close_bracket(doc, start, end)
    return whole_names(doc[start:end], cue)


NOT_NAMES = {"'s", "’s", ">", '">'}


def close_bracket(doc: Doc, start: int, end: int) -> int:
    """Return the span end past the ")" of an opened bracket ("Ann Lee (R-Fla."), or before it."""
    words = [t.text for t in doc[start:end]]
    if words.count("(") <= words.count(")"):
        return end
    if end < len(doc) and doc[end].text == ")":
        return end + 1
    opened = max(i for i, w in enumerate(words) if w == "(")
    return start + opened if opened else end


def whole_names(speaker: Span, cue: tuple[int, int]) -> Span:
    """Return a speaker span widened to the person or organisation names it cuts in two.

    Never over the cue: "Said Nora Ellis" may be tagged as one name.
    """
    doc, text = speaker.doc, text_of(speaker.doc)
    start, end = speaker.start_char, speaker.end_char
    for m in mentions_of(doc):
        if m.label not in {"PERSON", "ORG"}:
            continue
        if (
            cuts_before(text, m.start_char, start, m.end_char)
            and not m.start_char < cue[1] <= start
        ):
            start = m.start_char
        if cuts_after(text, m.start_char, end, m.end_char) and not end <= cue[0] < m.end_char:
            end = m.end_char
    if (start, end) == (speaker.start_char, speaker.end_char):
        return speaker
    return doc.char_span(start, end, alignment_mode="expand") or speaker


def cuts_before(text: str, name_start: int, start: int, name_end: int) -> bool:
    """Return whether a span starting at start begins inside a name, in the same phrase."""
    return name_start < start < name_end and not re.search(r"[,;(]", text[name_start:start])


def cuts_after(text: str, name_start: int, end: int, name_end: int) -> bool:
    """Return whether a span ending at end stops inside a name, in the same phrase."""
    return name_start < end < name_end and not re.search(r"[,;()]", text[end:name_end])
