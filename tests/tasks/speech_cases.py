"""Short news paragraphs, written for wiredesk, with the quotes a reader expects in each.

Each case lists every row the quote component should give: the quoted piece(s) in order, the
speaker as the text names them, and the cue kind. Beliefs and wishes are `thought` rows and
findings `evidence` rows: they are kept, only labelled. Pieces compare without case, edge
punctuation or a leading "that"; speakers without case or a leading article. ``xfail`` names
the error category of a case the extractor gets wrong today (None: it gets it right).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Expected:
    """One quote a reader expects: its pieces, speaker and cue kind."""

    segments: tuple[str, ...]
    speaker: str
    cue_kind: str


@dataclass(frozen=True, slots=True)
class Case:
    """A paragraph (or a few) with all the quotes expected in it."""

    name: str
    text: str
    quotes: tuple[Expected, ...]
    xfail: str | None = None


def speech(speaker: str, *segments: str) -> Expected:
    """Expect a speech row."""
    return Expected(segments, speaker, "speech")


def thought(speaker: str, *segments: str) -> Expected:
    """Expect a thought row (belief, wish, plan)."""
    return Expected(segments, speaker, "thought")


def evidence(speaker: str, *segments: str) -> Expected:
    """Expect an evidence row (a finding)."""
    return Expected(segments, speaker, "evidence")


def stance(speaker: str, *segments: str) -> Expected:
    """Expect a stance row (a position, promise or act without the words said)."""
    return Expected(segments, speaker, "stance")


def question(speaker: str, *segments: str) -> Expected:
    """Expect a question row (a question put, not a statement)."""
    return Expected(segments, speaker, "question")


CASES: tuple[Case, ...] = (
    # Speech verbs, direct and reported.
    Case(
        "said_after_quote",
        "“The ferry will run again on Monday,” said harbour master Ines Carvalho.",
        (speech("Ines Carvalho", "The ferry will run again on Monday,"),),
    ),
    Case(
        "said_reported",
        "Transport minister Olaf Brenner said the new tunnel would open two years late.",
        (speech("Olaf Brenner", "the new tunnel would open two years late"),),
    ),
    Case(
        "told_reporters",
        "Police chief Mara Dunstan told reporters that nobody had been hurt in the blast.",
        (speech("Mara Dunstan", "nobody had been hurt in the blast"),),
    ),
    Case(
        "told_direct",
        "“We found the boat empty,” coast guard officer Pavel Ilic told the Tribune.",
        (speech("Pavel Ilic", "We found the boat empty,"),),
    ),
    Case(
        "added_pronoun_same_paragraph",
        "“The vote was fair,” said election chief Hana Sato. "
        "“Every ballot was counted,” she added.",
        (
            speech("Hana Sato", "The vote was fair,"),
            speech("Hana Sato", "Every ballot was counted,"),
        ),
    ),
    Case(
        "announced_reported",
        "The city council announced on Tuesday that bus fares would fall by a fifth in June.",
        (speech("The city council", "bus fares would fall by a fifth in June"),),
    ),
    Case(
        "announced_company",
        "Norvik Steel announced it would close its plant in Tarnby by the end of the year.",
        (speech("Norvik Steel", "it would close its plant in Tarnby by the end of the year"),),
    ),
    Case(
        "wrote_letter",
        "In a letter to members, union leader Kofi Mensah wrote that the strike would go ahead.",
        (speech("Kofi Mensah", "the strike would go ahead"),),
    ),
    Case(
        "wrote_direct",
        "“No deal is better than this deal,” Senator Ruth Okafor wrote on social media.",
        (speech("Ruth Okafor", "No deal is better than this deal,"),),
    ),
    Case(
        "said_mid_sentence_subject_first",
        "Fire chief Leon Marsh said: “The flames reached the roof within minutes.”",
        (speech("Leon Marsh", "The flames reached the roof within minutes."),),
    ),
    # Interrupted quotes: two pieces, one speaker.
    Case(
        "interrupted_she_said",
        "Doctor Alma Reyes spoke after the shift.\n\n"
        "“The ward is full,” she said, “and we are sending patients home early.”",
        (speech("Alma Reyes", "The ward is full,", "and we are sending patients home early."),),
    ),
    Case(
        "interrupted_named",
        "“The bank has enough capital,” Governor Yusuf Demir said, “so savers need not worry.”",
        (speech("Yusuf Demir", "The bank has enough capital,", "so savers need not worry."),),
    ),
    Case(
        "interrupted_inverted",
        "“Prices will fall,” said economist Greta Lind, “but not before the winter.”",
        (speech("Greta Lind", "Prices will fall,", "but not before the winter."),),
    ),
    # A paragraph opening a new speaker.
    Case(
        "new_speaker_paragraph",
        "“We will appeal the ruling,” said defence lawyer Samuel Ortiz.\n\n"
        "“The verdict stands,” prosecutor Dana Whitfield said after the hearing.",
        (
            speech("Samuel Ortiz", "We will appeal the ruling,"),
            speech("Dana Whitfield", "The verdict stands,"),
        ),
    ),
    Case(
        "new_speaker_paragraph_reported",
        "Coach Ivan Petrov said the team was ready for the final.\n\n"
        "Captain Lucia Ferro said the players had not slept well.",
        (
            speech("Ivan Petrov", "the team was ready for the final"),
            speech("Lucia Ferro", "the players had not slept well"),
        ),
    ),
    # "According to": a person is speech, a poll or report is evidence.
    Case(
        "according_to_person",
        "The airport will stay closed until Friday, according to aviation minister Jonas Falk.",
        (speech("Jonas Falk", "The airport will stay closed until Friday"),),
    ),
    Case(
        "according_to_spokesperson",
        "According to police spokeswoman Erin Doyle, two men were arrested at the scene.",
        (speech("Erin Doyle", "two men were arrested at the scene"),),
    ),
    Case(
        "according_to_poll",
        "Support for the tax has fallen to 31 percent, according to a new Harlow poll.",
        (evidence("Harlow", "Support for the tax has fallen to 31 percent"),),
    ),
    Case(
        "according_to_report",
        "According to the auditor's report, the hospital overspent by 12 million euros.",
        (evidence("auditor", "the hospital overspent by 12 million euros"),),
    ),
    # Pronoun speakers resolved to the person named before.
    Case(
        "pronoun_reported",
        "Farmer Edith Moorcroft lost half her crop to the floods. "
        "She said the insurance would not cover it.",
        (speech("Edith Moorcroft", "the insurance would not cover it"),),
    ),
    Case(
        "pronoun_next_paragraph",
        "Mayor Bruno Silva visited the flooded streets on Sunday.\n\n"
        "“We will rebuild every house,” he said.",
        (speech("Bruno Silva", "We will rebuild every house,"),),
    ),
    Case(
        "pronoun_two_people",
        "Nurse Abigail Stone met health minister Victor Hale on Monday. "
        "Hale said the pay offer was final. Stone said she would strike.",
        (
            speech("Victor Hale", "the pay offer was final"),
            speech("Abigail Stone", "she would strike"),
        ),
    ),
    Case(
        "pronoun_told",
        "Judge Miriam Kessler closed the case on Thursday. "
        "She told the court that the evidence had been destroyed.",
        (speech("Miriam Kessler", "the evidence had been destroyed"),),
    ),
    # Colon quotes.
    Case(
        "colon_name_only",
        "Asked about the delay, the minister was blunt. Petra Novak: “We ran out of money.”",
        (speech("Petra Novak", "We ran out of money."),),
    ),
    Case(
        "colon_said",
        "After the match, coach Tomas Berg said: “We were lucky today.”",
        (speech("Tomas Berg", "We were lucky today."),),
    ),
    Case(
        "colon_added",
        "Chief executive Lara Quinn added: “Nobody will lose their job.”",
        (speech("Lara Quinn", "Nobody will lose their job."),),
    ),
    Case(
        "colon_straight_marks",
        'Union spokesman Amir Haddad said: "The offer is an insult to our members."',
        (speech("Amir Haddad", "The offer is an insult to our members."),),
    ),
    # Beliefs and wishes: thought rows.
    Case(
        "believes",
        "Opposition leader Carla Mendes believes the budget will fail in parliament.",
        (thought("Carla Mendes", "the budget will fail in parliament"),),
    ),
    Case(
        "hopes",
        "Coach Ivan Petrov hopes his striker will be fit for Saturday.",
        (thought("Ivan Petrov", "his striker will be fit for Saturday"),),
    ),
    Case(
        "wants",
        "The mayor, Hugo Brandt, wants the council to approve the plan before summer.",
        (thought("Hugo Brandt", "the council to approve the plan before summer"),),
    ),
    Case(
        "thinks_then_says",
        "Minister Sofia Lang thinks the strike will end soon. "
        "She said talks would resume on Monday.",
        (
            thought("Sofia Lang", "the strike will end soon"),
            speech("Sofia Lang", "talks would resume on Monday"),
        ),
    ),
    # Findings: evidence rows.
    Case(
        "study_found",
        "A study by Oslo University found that night shifts raise the risk of diabetes.",
        (evidence("Oslo University", "night shifts raise the risk of diabetes"),),
    ),
    Case(
        "poll_shows",
        "A new Meridian poll shows the governor ahead by six points.",
        (evidence("Meridian", "the governor ahead by six points"),),
    ),
    Case(
        "data_suggests",
        "The latest census data suggests the town has lost a tenth of its people.",
        (evidence("", "the town has lost a tenth of its people"),),
    ),
    Case(
        "report_found_and_speech",
        "The inspectors' report found that the dam had not been checked since 2009. "
        "Engineer Rosa Blum said the repairs would take a year.",
        (
            evidence("inspectors", "the dam had not been checked since 2009"),
            speech("Rosa Blum", "the repairs would take a year"),
        ),
    ),
    # Stances and questions: kept, never speech.
    Case(
        "stance_and_speech",
        "Rosa Blum, the mayor, backed the harbour plan on Monday. She said the first ships "
        "would dock in May.",
        (
            stance("Rosa Blum", "the harbour plan on Monday"),
            speech("Rosa Blum", "the first ships would dock in May"),
        ),
    ),
    Case(
        "vow_to_act",
        "Union leader Olaf Brenner vowed to strike again in the spring.",
        (stance("Olaf Brenner", "to strike again in the spring"),),
    ),
    Case(
        "asked_whether",
        "Olaf Brenner, a councillor, asked whether the tunnel would open on time.",
        (question("Olaf Brenner", "whether the tunnel would open on time"),),
    ),
)
