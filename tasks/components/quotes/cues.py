"""Cue words and kinds: the verbs that attribute speech, beliefs and stances, and the Cue shape.

A cue is the word (or mark) that attributes content to a speaker: a speech verb introduces
quotes and reported speech, a belief verb only reported content, a stance verb takes the content
as its object. ``is_cue`` tells a cue verb from the same word in a name or a headline.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from spacy.tokens import Span, Token

from tasks.components.quotes.text import text_of

# Speech verbs: they introduce direct quotes as well as reported speech.
SPEECH_VERBS = (
    "say tell add warn stress urge ask state reiterate insist note explain claim announce "
    "declare write report argue recall reply respond acknowledge admit confirm deny describe "
    "tweet post vow pledge promise predict suggest highlight demand threaten caution estimate "
    "accuse dismiss denounce call cite agree echo allege assert contend maintain complain "
    "concede emphasize emphasise observe remark comment mention testify disclose reveal "
    "indicate signal propose recommend joke boast lament blame criticize criticise "
    "praise question wonder conclude forecast charge assure guarantee speculate shout chant "
    "yell scream whisper continue quip retort interject muse scoff plead lash point remind"
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
    "blast attack label hail tout decry bemoan lament express voice offer discuss mock challenge "
    "deem list order decline repeat liken ridicule deride brand portray characterize chide fault "
    "rebuke lambaste"
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
# Verbs that double their last consonant before -ed and -ing ("planned", "admitted").
DOUBLING = {
    "plan",
    "admit",
    "refer",
    "prefer",
    "quip",
    "regret",
    "commit",
    "submit",
    "rebut",
    "chat",
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
        if v in DOUBLING:
            stem, past = v + v[-1], v + v[-1] + "ed"
        out |= {v, third, past, stem + "ing", *IRREGULAR.get(v, ())}
    return out


# Cue kinds: what a row attributes. A thought verb attributes a belief, wish or plan; an evidence
# verb a finding; so does any cue whose source is a poll, report, study or data ("the poll
# shows", "according to the report"). Everything else (said, told, wrote, a colon) is speech.
THOUGHT_VERBS = (
    "believe think hope fear worry want wish plan intend expect feel know doubt suspect "
    "consider decide seek assume hold see refuse support oppose favor favour prefer seem appear"
)
EVIDENCE_VERBS = "show find demonstrate prove learn"
SOURCE_NOUNS = (
    "poll polls survey surveys study studies report reports data research analysis analyses "
    "figures numbers statistics results evidence record records document documents count "
    "census review audit investigation findings estimate estimates model forecast index "
    "tally filing filings"
)
EVIDENCE_NOUNS = frozenset(SOURCE_NOUNS.split())
# "This suggests ...", "That shows ...": a fact or finding just told, not a speaker.
DEMONSTRATIVES = frozenset({"this", "that", "these", "those"})
SOURCE_BREAKS = {"of", "by", "from", "for", "in", "on", "at", "released", "conducted", "published"}
KINDS = ("speech", "thought", "evidence", "stance", "question")
# Questions put ("asked whether", "wondered if") are not statements made.
QUESTION = frozenset(
    {"ask", "asks", "asked", "asking", "wonder", "wonders", "wondered", "wondering"}
    | {"question", "questions", "questioned", "questioning", "inquire", "inquired"}
)
QUESTION_OPENERS = ("if ", "whether ", "why ", "how ", "what ", "who ", "when ", "where ")
# Ways a reported row takes content that names a position or act, not words said: a plain
# noun object or topic ("backed the plan", "denied the request", "spoke about the merger").
STANCE_WAYS = frozenset({"object", "topic"})

# Verbs of speaking about something: the topic after "about", "on", "of" or "to" is the content.
TOPIC_VERBS = "talk speak comment refer respond react testify tweet brag rail"
TOPIC_PREPS = {"about", "on", "of", "against", "to"}
SPEECH = verb_forms(SPEECH_VERBS + " " + TOPIC_VERBS)
BELIEF = verb_forms(BELIEF_VERBS) - SPEECH
STANCE = verb_forms(OBJECT_VERBS) - SPEECH - BELIEF
# Impressions held by no one named ("the plan seems to fail", "it appears that"): PolNeAR
# counts them as attributions without a source.
IMPRESSION = verb_forms("seem appear")
CUES = SPEECH | BELIEF | STANCE | IMPRESSION
THOUGHT = verb_forms(THOUGHT_VERBS)
EVIDENCE = verb_forms(EVIDENCE_VERBS)
SUBJECTS = {"nsubj", "nsubjpass"}
CONTENT_DEPS = {"ccomp"}

OBJECT_CUES = verb_forms(OBJECT_VERBS)

# Verbs of saying whose content may follow without a clean clause in the parse.
SAY_CUES = verb_forms("say tell add note argue claim insist warn explain")
MIN_INDIRECT_WORDS = 2
NOUN_DEPS = {"nsubj", "nsubjpass", "dobj", "pobj", "attr", "compound", "conj", "appos"}


# Editorial labels before a colon: "Editor's note: ...", "Photo: ...", "Warning: this story
# contains ...". They introduce the newsroom's own words or a caption, never a speaker's.
LABELS = (
    "note notes warning warnings caution update updates correction corrections clarification "
    "photo photos picture pictures image images video videos watch listen caption credit "
    "credits disclaimer advisory related exclusive breaking analysis opinion commentary "
    "spoiler spoilers revealed editor editors"
)
LABEL_WORDS = frozenset(LABELS.split())


def is_label(words: str) -> bool:
    """Return whether the words before a colon are an editorial label ("Editor's note")."""
    found = re.findall(r"[a-z]+", words.lower())
    return bool(found) and len(found) <= 3 and found[-1] in LABEL_WORDS


class Cue(NamedTuple):
    """Where a cue stands (characters) and the speaker span it names, if any."""

    start: int
    end: int
    speaker: Span | None

    @property
    def at(self) -> tuple[int, int]:
        """Return the cue's character range."""
        return (self.start, self.end)


def cue_token(token: Token, speaker: Span | None) -> Cue:
    """Return the Cue of a cue word with its speaker."""
    return Cue(token.idx, token.idx + len(token.text), speaker)


def is_cue(token: Token, words: set[str]) -> bool:
    """Return whether a token is a cue verb: a listed word form, not part of a name."""
    return (
        token.lower_ in words
        and not token.ent_type_
        and token.dep_ not in {"amod", "compound", "nmod"}
        and not (token.is_title and token.i > token.sent.start and not in_headline(token))
        and not (token.is_upper and len(token) > 1)  # a capitalised headline word
        and not labels_a_colon(token)
    )


def labels_a_colon(token: Token) -> bool:
    """Return whether a word is an editorial label before a colon: "Editor's note:", "Warning:"."""
    doc = token.doc
    if token.i + 1 >= len(doc) or doc[token.i + 1].text != ":":
        return False
    start = token.i
    while start > 0 and start > token.i - 3 and "\n" not in doc[start - 1].text_with_ws:
        start -= 1
    opens = start == 0 or "\n" in doc[start - 1].text_with_ws
    return opens and is_label(doc[start : token.i + 1].text)


def in_headline(token: Token) -> bool:
    """Return whether a token is in a Title Case first line ("Obama Says Museum Will Open")."""
    text = text_of(token.doc)
    end = text.find("\n")
    if not 0 <= token.idx < end:
        return False
    words = text[:end].split()
    return sum(w[:1].isupper() for w in words) >= 0.6 * len(words)


def cue_kind(
    cue: str | None, source: str | None, content: str | None = None, way: str | None = None
) -> str:
    """Return what a cue attributes: speech, thought, evidence, stance or question.

    Reads the cue's and source's words and, for reported (unquoted) content, its first words,
    so gold annotations are classified by the same rules as rows; ``way`` (how the extractor
    found the content) tells a plain noun object from a clause.
    """
    words = re.findall(r"[a-z’']+", (cue or "").lower())
    if any(w in THOUGHT for w in words):
        return "thought"
    if any(w in EVIDENCE for w in words) or is_evidence(source):
        return "evidence"
    opening = (content or "").lstrip(" \t\n,:;—–-").lower()
    if opening.startswith("whether ") or (
        any(w in QUESTION for w in words) and opening.startswith(QUESTION_OPENERS)
    ):
        return "question"  # "asked whether the plant would close", "would not say whether"
    if opening.startswith("to ") or way in STANCE_WAYS:
        return "stance"  # "vowed to run", "threatened to release", "backed the plan"
    return "speech"


def is_evidence(source: str | None) -> bool:
    """Return whether a source is a poll, report, study or data: its head noun says so.

    The head is the last word before "of", "by", "from"...: "a Quinnipiac poll of likely voters".
    A demonstrative alone ("This suggests") points at a fact just told, so it is evidence too.
    """
    words = re.findall(r"[\w’'-]+", source or "")
    head = []
    for word in words:
        if word.lower() in SOURCE_BREAKS and head:
            break
        head.append(word.lower())
    return bool(head) and (
        head[-1] in EVIDENCE_NOUNS or (head == [head[-1]] and head[-1] in DEMONSTRATIVES)
    )
