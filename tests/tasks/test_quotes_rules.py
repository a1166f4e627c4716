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
        "China said it was firmly opposed to the test and warned North Korea to refrain "
        "from further actions.\n"
    )
    found = rows(nlp, text)
    assert [(t, c) for t, c, _ in found] == [
        ("it was firmly opposed to the test", "said"),
        ("North Korea to refrain from further actions", "warned"),
    ]
    assert {s for _, _, s in found} == {"China"}


def test_a_reported_clause_runs_to_its_sentence_end(nlp):
    text = "Mr. Clarke said Lenox was a juggernaut until it went bankrupt in 1999.\n"
    assert rows(nlp, text)[0][0] == "Lenox was a juggernaut until it went bankrupt in 1999"


def test_the_one_urged_belongs_to_the_content(nlp):
    found = rows(nlp, "Scott's family called on people to protest peacefully.\n")
    assert found[0][:2] == ("people to protest peacefully", "called")
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
        "“There is a severe disconnect,” Flynn, a top adviser, said Thursday on "
        "Fox News’s “Fox and Friends.”\n"
    )
    q = next(q for q in nlp(text)._.wd_quotes if q.text.startswith("There is"))
    assert q.speaker_text == "Flynn, a top adviser"


def test_a_person_named_before_an_ing_cue_speaks(nlp):
    text = "The ad uses footage of Hillary Clinton asking, “Why aren’t I fifty points ahead?”\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.cue, q.speaker) == ("asking", "Hillary Clinton")


def test_the_object_of_forced_to_speaks(nlp):
    text = "The senator forced Stumpf to admit that no executives had been held accountable.\n"
    q = next(q for q in nlp(text)._.wd_quotes if q.cue == "admit")
    assert q.speaker_text == "Stumpf"


def test_a_cue_inside_a_quote_attributes_nothing_outside_it(nlp):
    text = (
        "“You know, I love Larry,” he said, but “when it comes to energy, Larry has a "
        "history of representing coal.”\n"
    )
    assert all(q.cue != "know" for q in nlp(text)._.wd_quotes)


def test_each_paragraph_is_parsed_on_its_own(nlp):
    text = (
        'The groups granted an extension, saying his "capital was less than expected."\n\n'
        "Should the company fail, environmentalists worry that the cost could fall to "
        "taxpayers.\n"
    )
    saying = next(q for q in nlp(text)._.wd_quotes if q.cue == "saying")
    assert "\n" not in saying.text and saying.speaker_text == "The groups"


def test_an_interrupted_quote_takes_the_cue_after_its_first_piece(nlp):
    text = (
        '"Our progress is on the ballot," Mr. Obama said at a dinner in Washington, where '
        'Mrs. Clinton also spoke. "Tolerance is on the ballot."\n'
    )
    q = nlp(text)._.wd_quotes[0]
    assert (q.cue, q.speaker_text) == ("said", "Mr. Obama")


def test_an_impression_held_by_no_one_is_a_thought_without_speaker(nlp):
    text = (
        "The lack of enthusiasm among young voters seems to be a real issue for the campaign. "
        "The senator appeared on Fox News on Sunday.\n"
    )
    quotes = nlp(text)._.wd_quotes
    assert [(q.text, q.cue, q.speaker, q.cue_kind) for q in quotes] == [
        (
            "The lack of enthusiasm among young voters seems to be a real issue for the campaign",
            "seems",
            None,
            "thought",
        )
    ]
