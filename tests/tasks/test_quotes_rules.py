"""The general attribution rules: joined cues, whole clauses, objects, speakers, paragraphs."""

from __future__ import annotations

from tasks.components.quotes.cues import CUES, verb_forms


def rows(nlp, text: str) -> list[tuple[str, str | None, str | None]]:
    """Return each quote's words, cue and resolved speaker in text order."""
    return [(q.text, q.cue, q.speaker) for q in nlp(text)._.wd_quotes]


def test_verbs_that_double_their_consonant():
    assert {"planned", "planning", "admitted", "referred", "preferred"} <= verb_forms(
        "plan admit refer prefer"
    )
    assert {"planned", "admitted", "referring"} <= CUES


def test_a_cue_joined_to_the_content_is_a_second_attribution(nlp):
    text = (
        "Norway said it was firmly opposed to the merger and warned the regulator to delay "
        "any decision.\n"
    )
    found = rows(nlp, text)
    assert [(t, c) for t, c, _ in found] == [
        ("it was firmly opposed to the merger", "said"),
        ("the regulator to delay any decision", "warned"),
    ]
    assert {s for _, _, s in found} == {"Norway"}


def test_a_reported_clause_runs_to_its_sentence_end(nlp):
    text = "Ms. Ortega said Brimley was a giant of the trade until it closed its doors in 2004.\n"
    assert (
        rows(nlp, text)[0][0]
        == "Brimley was a giant of the trade until it closed its doors in 2004"
    )


def test_the_one_urged_belongs_to_the_content(nlp):
    found = rows(nlp, "The mayor's office called on residents to stay indoors overnight.\n")
    assert found[0][:2] == ("residents to stay indoors overnight", "called")
    found = rows(nlp, "The manager told his staff never to speak of the emails.\n")
    assert found[0][:2] == ("his staff never to speak of the emails", "told")


def test_a_phrase_right_after_the_object_completes_it(nlp):
    text = "Federal prosecutors charged two developers with defrauding investors.\n"
    assert rows(nlp, text)[0][0] == "two developers with defrauding investors"


def test_spoke_to_names_who_heard_not_what_was_said(nlp):
    text = "Speaking to a veterans group in Virginia, the senator thanked the volunteers.\n"
    assert all(c != "Speaking" for _, c, _ in rows(nlp, text))


def test_the_subject_of_an_inverted_said_is_not_its_content(nlp):
    text = "The vote was rushed, said Rep. Ann Lee of Ohio, the panel's ranking member.\n"
    found = rows(nlp, text)
    assert [(t, c) for t, c, _ in found] == [("The vote was rushed", "said")]


def test_a_quoted_title_after_the_cue_is_not_the_speaker(nlp):
    text = (
        "“The plan is badly flawed,” Harper, a senior aide, said Monday on "
        "Channel Nine’s “Morning Desk.”\n"
    )
    q = next(q for q in nlp(text)._.wd_quotes if q.text.startswith("The plan"))
    assert q.speaker_text == "Harper, a senior aide"


def test_a_person_named_before_an_ing_cue_speaks(nlp):
    text = "The clip uses footage of Maria Lopez asking, “Why aren’t we ten points ahead?”\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.cue, q.speaker) == ("asking", "Maria Lopez")


def test_the_object_of_forced_to_speaks(nlp):
    text = "The senator forced Delacroix to admit that no managers had been disciplined.\n"
    q = next(q for q in nlp(text)._.wd_quotes if q.cue == "admit")
    assert q.speaker_text == "Delacroix"


def test_a_cue_inside_a_quote_attributes_nothing_outside_it(nlp):
    text = (
        "“You know, I admire Peter,” she said, but “when it comes to taxes, Peter has a "
        "record of siding with the banks.”\n"
    )
    assert all(q.cue != "know" for q in nlp(text)._.wd_quotes)


def test_each_paragraph_is_parsed_on_its_own(nlp):
    text = (
        'The lenders granted a delay, saying his "funding was lower than promised."\n\n'
        "Should the firm collapse, residents worry that the bill could fall to the town.\n"
    )
    saying = next(q for q in nlp(text)._.wd_quotes if q.cue == "saying")
    assert "\n" not in saying.text and saying.speaker_text == "The lenders"


def test_an_interrupted_quote_takes_the_cue_after_its_first_piece(nlp):
    text = (
        '"Our future is on the line," Mr. Hale said at a rally in Denver, where '
        'Mrs. Moreno also spoke. "Fairness is on the line."\n'
    )
    q = nlp(text)._.wd_quotes[0]
    assert (q.cue, q.speaker_text) == ("said", "Mr. Hale")


def test_an_impression_held_by_no_one_is_a_thought_without_speaker(nlp):
    text = (
        "The lack of interest among new buyers seems to be a real problem for the builder. "
        "The chief executive appeared on Channel Four on Monday.\n"
    )
    quotes = nlp(text)._.wd_quotes
    assert [(q.text, q.cue, q.speaker, q.cue_kind) for q in quotes] == [
        (
            "The lack of interest among new buyers seems to be a real problem for the builder",
            "seems",
            None,
            "thought",
        )
    ]


def test_an_unresolved_pronoun_is_no_speaker(nlp):
    text = "He said the ferry would not run again before the spring thaw.\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.speaker_text, q.speaker) == ("He", None)
    assert q.confidence <= 0.3
    text = "Someone told the crew that the ferry would not run again before spring.\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.speaker_text, q.speaker) == ("Someone", None)


def test_a_pronoun_resolves_to_the_person_named_before(nlp):
    text = (
        "Harbour master Ines Carvalho inspected the pier on Monday. "
        "She said the ferry would not run again before spring.\n"
    )
    q = nlp(text)._.wd_quotes[-1]
    assert (q.speaker_text, q.speaker) == ("She", "Ines Carvalho")


def test_a_document_is_never_the_speaker_its_issuer_is(nlp):
    text = "The statement said the plant would close by the end of the year.\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.speaker_text, q.speaker) == ("The statement", None)
    text = "A press release from Norsk Hydro said the plant would close by the end of the year.\n"
    q = nlp(text)._.wd_quotes[0]
    assert q.speaker == "Norsk Hydro"
    text = "The union's report said the plant would close by the end of the year.\n"
    assert nlp(text)._.wd_quotes[0].speaker == "union"


def kinds(nlp, text: str) -> list[tuple[str, str | None, str]]:
    """Return each quote's words, cue and cue kind in text order."""
    return [(q.text, q.cue, q.cue_kind) for q in nlp(text)._.wd_quotes]


def test_a_plain_noun_object_is_a_stance_not_speech(nlp):
    for text, cue in [
        ("The school board denied the union's request for a longer break.\n", "denied"),
        ("The mining company offered a tour of the site to local reporters.\n", "offered"),
        ("The ministry listed five countries where the vaccine is approved.\n", "listed"),
        ("The mayor pointed to new bike lanes on Harbour Street as proof.\n", "pointed"),
        ("Councillor Ann Berg backed the plan at Monday's meeting.\n", "backed"),
        ("Councillor Berg called it a trope that had no place in the debate.\n", "called"),
    ]:
        assert [(c, k) for _, c, k in kinds(nlp, text)] == [(cue, "stance")], text


def test_a_cue_with_a_clause_stays_speech(nlp):
    text = "The school board denied that it had cut the break.\n"
    assert [(c, k) for _, c, k in kinds(nlp, text)] == [("denied", "speech")]


def test_an_infinitive_of_action_is_a_stance(nlp):
    for text in (
        "The hackers threatened to release the videos unless they were paid.\n",
        "Ms. Lindqvist vowed to run again in the autumn.\n",
    ):
        found = kinds(nlp, text)
        assert len(found) == 1 and found[0][0].startswith("to ") and found[0][2] == "stance"


def test_a_question_asked_is_no_statement(nlp):
    text = "Reporters asked if the bridge would reopen before winter.\n"
    assert kinds(nlp, text) == [("if the bridge would reopen before winter", "asked", "question")]
    text = "The senator was asking whether the fund could survive another year.\n"
    assert [k for *_, k in kinds(nlp, text)] == ["question"]


def test_referred_to_as_reports_no_words(nlp):
    text = "The new levy is what officials referred to as a fair share for everyone.\n"
    assert all(k != "speech" for *_, k in kinds(nlp, text))


def test_editorial_labels_are_no_attribution(nlp):
    text = (
        "The mill burned for six hours on Sunday.\n\n"
        "Warning: this story contains descriptions of violence some readers may find upsetting.\n\n"
        "Photo: Firefighters battle the blaze near the old mill on Sunday.\n\n"
        "Editor's note: An earlier version of this story misstated the mayor's age.\n"
    )
    assert kinds(nlp, text) == []
    assert kinds(nlp, "Editor’s note: An earlier version misstated the mayor's age.\n") == []


def test_a_demonstrative_source_is_evidence_without_speaker(nlp):
    q = nlp("This suggests the council never read the plan.\n")._.wd_quotes[0]
    assert (q.speaker_text, q.speaker, q.cue_kind) == ("This", None, "evidence")


def test_a_phrase_of_pronouns_names_no_one_and_an_owner_pronoun_resolves(nlp):
    text = "The two unions met on Friday. Most of them said the strike would go ahead.\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.speaker_text, q.speaker) == ("Most of them", None)
    text = (
        "The Norwegian Institute of Public Health studied the river for a year. "
        "Its analysis found the water was clean.\n"
    )
    q = nlp(text)._.wd_quotes[0]
    assert (q.speaker_text, q.speaker) == ("Its analysis", "Norwegian Institute of Public Health")
