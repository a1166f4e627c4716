from __future__ import annotations

import pytest
from spacy.lang.en import English
from spacy.tokens import Doc, Span

from tasks.components.entities import Mention
from tasks.components.quotes import (
    Quote,
    assign_keys,
    cue_kind,
    extract_quotes,
    find_marked,
    named_before,
    parsed_runs,
    quote_key,
    same_words,
    scan_paragraph,
    segments,
)
from tasks.components.quotes.speakers import tidy_speaker
from tasks.rows import quotes_table


def quotes(nlp, text: str) -> list[Quote]:
    doc = nlp(text)
    found = doc._.wd_quotes
    for q in found:
        assert q.segments and q.segments[0][0] == q.start_char and q.segments[-1][1] == q.end_char
        assert " ".join(text[s:e] for s, e in q.segments) == q.text
        assert 0.0 <= q.confidence <= 1.0
        if q.speaker_start is not None:
            assert text[q.speaker_start : q.speaker_end] == q.speaker_text
        if q.cue_start is not None:
            assert text[q.cue_start : q.cue_end] == q.cue
    return found


def one(found: list[Quote], starts: str) -> Quote:
    hits = [q for q in found if q.text.startswith(starts)]
    assert hits, [q.text for q in found]
    return hits[0]


def test_direct_quote_with_speaker_after(nlp):
    q = one(quotes(nlp, "“The bridge will reopen in May,” said Anna Lindqvist."), "The bridge")
    assert (q.quote_type, q.speaker, q.cue) == ("direct", "Anna Lindqvist", "said")


def test_straight_and_single_marks(nlp):
    found = quotes(nlp, 'Mayor Tom Haldane said: "We have enough money for the works."')
    assert one(found, "We have enough").speaker == "Tom Haldane"
    found = quotes(nlp, "Ruth Adler said the plan was ‘a serious mistake for the region’.")
    assert any(q.text.startswith("a serious mistake") for q in found)


def test_interrupted_quote_is_one_quote(nlp):
    text = "“The talks failed,” Jonas Berg said, “and they will not resume this year.”"
    q = one(quotes(nlp, text), "The talks failed")
    assert q.text == "The talks failed, and they will not resume this year."  # no "he said"
    assert [text[s:e] for s, e in q.segments] == [
        "The talks failed,",
        "and they will not resume this year.",
    ]
    assert (q.speaker, q.cue) == ("Jonas Berg", "said")
    assert q.quote_key == quote_key("The talks failed, and they will not resume this year.")


def test_quote_running_over_paragraphs(nlp):
    text = (
        "Finance minister Lena Holm spoke on Monday.\n\n"
        "“We will cut the deficit by half,” Holm said. “It will take three years.\n\n"
        "“Nobody should expect new taxes before the election.”"
    )
    q = one(quotes(nlp, text), "We will cut")
    assert q.text.endswith("before the election.") and "Holm said" not in q.text
    assert len(q.segments) == 3  # a piece per paragraph and per side of "Holm said"
    assert q.speaker == "Lena Holm"


def test_quote_opening_a_paragraph_is_direct(nlp):
    text = "“The port is safe.”\n\n“Ships will come back next year,” he added."
    assert one(quotes(nlp, text), "Ships will").quote_type == "direct"


def test_unbalanced_and_stray_marks_never_raise(nlp):
    for text in ("He said ” nothing “", "“", "”“”", "‘ ’ ' \" « »", "“Only an opening mark"):
        quotes(nlp, text)
    spans = find_marked("“It runs on\n\nnext paragraph")
    assert spans and spans[0].end == len("“It runs on")


@pytest.mark.parametrize(
    ("par", "spans"),
    [
        ("He said “yes” and “no”.", [(9, 12, True), (19, 21, True)]),
        ("It's ''fine'' now", [(7, 11, True)]),
        ('A “mixed close" here', [(3, 14, True)]),
        ("rock'n'roll ‘fails’ well", [(13, 18, True)]),
        ("‘open “double” inside", [(7, 13, True)]),  # a single mark never spans a double one
        ("the ‘80s and ‘90s", []),  # unclosed single marks are apostrophes
        ("«Bonjour» then “runs on  ", [(1, 8, True), (16, 23, False)]),
        ('x"not opening" y', []),
    ],
)
def test_scan_paragraph_finds_top_level_marked_ranges(par, spans):
    assert scan_paragraph(par) == spans


def test_nested_quote_stays_inside(nlp):
    text = "“They called it ‘a disaster’ from the start,” Mark Ode said."
    found = quotes(nlp, text)
    q = one(found, "They called it")
    assert q.speaker == "Mark Ode" and "‘a disaster’" in q.text
    assert not any(x.text == "a disaster" for x in found)


def test_partial_quote_in_reported_speech(nlp):
    text = "Prime Minister Sara Lund on Friday called on the union “to return to the table” soon."
    found = quotes(nlp, text)
    partial = one(found, "to return to the table")
    assert (partial.quote_type, partial.speaker, partial.cue) == ("partial", "Sara Lund", "called")


@pytest.mark.parametrize(
    ("text", "speaker", "cue", "content"),
    [
        ("Petra Kolb said that the factory would close in June.", "Petra Kolb", "said", "that"),
        ("The factory will close in June, Petra Kolb said.", "Petra Kolb", "said", "The factory"),
        (
            "According to Petra Kolb, the factory will close in June.",
            "Petra Kolb",
            "According to",
            "the factory",
        ),
        (
            "Petra Kolb told reporters the factory would close in June.",
            "Petra Kolb",
            "told",
            "the factory",
        ),
        ("Petra Kolb warned that the factory could close in June.", "Petra Kolb", "warned", "that"),
    ],
)
def test_indirect_speech(nlp, text, speaker, cue, content):
    found = [q for q in quotes(nlp, text) if q.quote_type == "indirect"]
    assert found, text
    assert (found[0].speaker, found[0].cue) == (speaker, cue)
    assert found[0].text.startswith(content) and "close in June" in found[0].text


def test_beliefs_and_findings_count_as_attributions(nlp):
    found = quotes(nlp, "The senator wants to raise the minimum wage next year.")
    assert one(found, "to raise").cue == "wants"
    found = quotes(nlp, "A new poll shows a narrow lead for the governor.")
    assert one(found, "a narrow lead").cue == "shows"


def test_pronoun_resolves_to_the_last_speaker(nlp):
    text = (
        "“The port is safe,” said harbour chief Ida Ness. Officials met on Monday.\n\n"
        "“We expect more ships next year,” she added."
    )
    q = one(quotes(nlp, text), "We expect")
    assert (q.speaker_text, q.speaker, q.cue) == ("she", "Ida Ness", "added")


def test_titles_stripped_and_short_names_expanded(nlp):
    text = (
        "Finnish President Aino Virtanen visited Oslo.\n\n"
        "“Our countries share a border and a future,” Virtanen said."
    )
    assert one(quotes(nlp, text), "Our countries").speaker == "Aino Virtanen"


def test_title_alone_resolves_to_the_titled_person(nlp):
    text = (
        "Harbour authority spokesman Erik Dahl spoke on Monday.\n\n"
        "The harbour authority spokesman said that the ferry would sail again next week."
    )
    q = one(quotes(nlp, text), "that the ferry")
    assert q.speaker == "Erik Dahl"


def test_scare_quotes_without_speaker_are_not_quotes(nlp):
    assert quotes(nlp, "The band played “Blue Moon” at the gala in Bergen.") == []


def test_quote_key_folds_marks_case_and_small_words():
    assert quote_key("Could be fully operational by early next year.") == quote_key(
        "could be FULLY operational early next year"
    )


def test_keys_join_fragments_and_near_copies_but_not_common_words():
    texts = [
        "could be fully operational by early next year.",
        "The drone plant could be fully operational early next year, officials warned",
        "we will see what happens next year",
        "the plant could be fully closed down by the end of the month",
        "next year",
    ]
    keys = assign_keys(texts)
    assert keys[0] == keys[1]
    assert len({keys[0], keys[2], keys[3], keys[4]}) == 4
    assert not same_words(["next", "year"], ["see", "what", "happens", "next", "year"])


def test_quotes_table_shares_keys_across_articles():
    def q(text: str, kind: str) -> Quote:
        key = quote_key(text)
        return Quote(0, len(text), text, kind, *[None] * 7, 0.5, key, ((0, len(text)),), "speech")

    table = quotes_table(
        ["a1", "a2"],
        [
            [q("could be fully operational by early next year", "partial")],
            [q("which could be fully operational early next year, he said", "direct")],
        ],
    )
    keys = table["quote_key"].to_pylist()
    assert keys[0] == keys[1] and table.num_rows == 2
    assert table["segments"].to_pylist()[0] == [{"start_char": 0, "end_char": 45}]
    assert table["cue_kind"].to_pylist() == ["speech", "speech"]


def test_short_object_holding_a_quote_is_the_content(nlp):
    found = quotes(nlp, "Senator Mia Ross called Halvorsen “reckless.”")
    q = one(found, "Halvorsen")
    assert q.text.startswith("Halvorsen “reckless") and q.cue == "called"


def parsed(words: list[str], heads: list[int], deps: list[str]) -> Doc:
    """Return a doc with a given parse, to test a rule against a parse the model may give."""
    after = [*words[1:], ""]
    tight = {"", ".", ",", "”"}
    spaces = [w != "“" and nxt not in tight for w, nxt in zip(words, after, strict=True)]
    doc = Doc(English().vocab, words=words, spaces=spaces, heads=heads, deps=deps)
    doc._.wd_mentions = []
    return doc


def test_content_reaches_a_quote_the_cue_phrase_holds():
    # The parse hangs "on ..." on the cue, not on its object.
    words = ["Pike", "blamed", "the", "new", "tax", "on", "“", "careless", "officials", ".", "”"]
    heads = [1, 1, 4, 4, 1, 1, 8, 8, 5, 1, 1]
    deps = ["nsubj", "ROOT", "det", "amod", "dobj", "prep", "punct", "amod", "pobj", "punct"]
    deps += ["punct"]
    found = extract_quotes(parsed(words, heads, deps))
    host = [q for q in found if q.quote_type == "indirect"]
    assert host and host[0].text.startswith("the new tax on “careless officials")
    assert host[0].cue == "blamed"


def test_speaker_of_a_cue_after_a_preposition(nlp):
    text = "Mayor Karl Brandt ended the meeting by saying “We will rebuild the old harbour.”"
    q = one(quotes(nlp, text), "We will rebuild")
    assert (q.cue, q.speaker) == ("saying", "Karl Brandt")


def test_quoted_fragment_without_a_clause_gets_its_reported_clause():
    # A parse that gives the cue no clause: the fragment's content runs from the cue.
    words = ["Vale", "joked", "Monday", "the", "plan", "was", "“", "a", "fraud", ".", "”"]
    heads = [1, 1, 1, 4, 5, 1, 8, 8, 5, 1, 1]
    deps = ["nsubj", "ROOT", "npadvmod", "det", "nsubj", "dep", "punct", "det", "attr"]
    deps += ["punct", "punct"]
    found = extract_quotes(parsed(words, heads, deps))
    host = [q for q in found if q.quote_type == "indirect"]
    assert host and host[0].text.startswith("the plan was “a fraud")  # not "Monday"
    assert (host[0].cue, host[0].speaker_text) == ("joked", "Vale")


def test_quote_cut_at_a_comma_runs_on_after_a_long_attribution(nlp):
    text = (
        "“We are ready for the vote,” Pia Sandoval said on Tuesday at the party office in the "
        "old town, hours before the count began in the northern districts.\n\n"
        "“Nobody in this party expects an easy night.”"
    )
    q = one(quotes(nlp, text), "We are ready")
    assert q.text.endswith("easy night.") and q.speaker == "Pia Sandoval"


def test_speaker_between_a_quote_and_a_cue_without_subject():
    # The parse makes the name a modifier of the quote, leaving "told" without a subject.
    words = ["“", "We", "were", "wrong", ",", "”", "Ramos", ",", "58", ",", "told", "AFP", "."]
    heads = [2, 2, 2, 2, 2, 6, 2, 6, 6, 6, 2, 10, 2]
    deps = ["punct", "nsubj", "ROOT", "acomp", "punct", "punct", "npadvmod", "punct", "appos"]
    deps += ["punct", "conj", "dobj", "punct"]
    q = one(extract_quotes(parsed(words, heads, deps)), "We were wrong")
    assert q.cue == "told" and (q.speaker_text or "").startswith("Ramos")


def test_reported_clause_goes_on_over_a_joined_clause_with_its_own_subject():
    words = ["Benford", "says", "he", "knew", "little", ",", "but", "now", "he", "likes", "it", "."]
    heads = [1, 1, 3, 1, 3, 1, 1, 9, 9, 1, 9, 1]
    deps = ["nsubj", "ROOT", "nsubj", "ccomp", "dobj", "punct", "cc", "advmod", "nsubj", "conj"]
    deps += ["dobj", "punct"]
    found = extract_quotes(parsed(words, heads, deps))
    assert [q.text for q in found] == ["he knew little, but now he likes it"]


def test_cue_inside_reported_speech_is_not_an_attribution_of_its_own(nlp):
    text = "Councillor Ida Moss said she believes the budget will pass next week."
    found = [q for q in quotes(nlp, text) if q.quote_type == "indirect"]
    assert [(q.cue, q.text) for q in found] == [
        ("said", "she believes the budget will pass next week")
    ]


def test_short_exclamation_with_a_cue_is_not_a_title(nlp):
    found = quotes(nlp, "The crowd in the square chanted “Go Home Now!” for an hour.")
    assert one(found, "Go Home Now").cue == "chanted"


def test_fragment_before_an_inverted_cue_gets_the_sentence_as_its_clause():
    # "X is “a fraud,” Vale said" parsed with the fragment outside any clause of "said".
    words = ["The", "deal", "is", "“", "a", "fraud", ",", "”", "Vale", "said", "."]
    heads = [1, 2, 2, 5, 5, 2, 2, 2, 9, 2, 9]
    deps = ["det", "nsubj", "ROOT", "punct", "det", "attr", "punct", "punct", "nsubj", "conj"]
    deps += ["punct"]
    doc = parsed(words, heads, deps)
    host = [q for q in extract_quotes(doc) if q.quote_type == "indirect"]
    assert host and host[0].text.startswith("The deal is “a fraud")
    assert (host[0].cue, host[0].speaker_text) == ("said", "Vale")


def test_unlisted_verb_holding_a_quote_gives_its_speaker():
    words = ["Moore", "thanked", "them", "for", "“", "acting", "when", "others", "did", "not"]
    words += ["at", "all", ".", "”"]
    heads = [1, 1, 1, 1, 5, 3, 8, 8, 5, 8, 11, 9, 1, 1]
    deps = ["nsubj", "ROOT", "dobj", "prep", "punct", "pcomp", "advmod", "nsubj", "advcl", "neg"]
    deps += ["advmod", "pobj", "punct", "punct"]
    q = one(extract_quotes(parsed(words, heads, deps)), "acting when")
    assert (q.cue, q.speaker_text) == ("thanked", "Moore")


def test_two_apostrophes_are_a_double_quote_mark(nlp):
    text = "''The ferry will run all winter,'' said Mara Holt, the harbour master.\n"
    quotes = nlp(text)._.wd_quotes
    assert len(quotes) == 1
    q = quotes[0]
    assert text[q.start_char : q.end_char] == "The ferry will run all winter,"
    assert q.cue == "said" and q.speaker == "Mara Holt" and q.quote_type == "direct"


def test_a_straight_opener_closes_on_a_curly_mark(nlp):
    text = '"Prices will fall by spring,” said Tomas Berg. The board met later.\n'
    q = nlp(text)._.wd_quotes[0]
    assert text[q.start_char : q.end_char] == "Prices will fall by spring,"
    assert q.speaker == "Tomas Berg"


def test_an_inverted_cue_takes_the_name_after_it(nlp):
    text = (
        "“We lost the harvest,” Ines Cole said. “It rained for a month.”\n\n"
        "“Nobody expected it,” wrote a farmer who runs the local co-op.\n"
    )
    quotes = nlp(text)._.wd_quotes
    assert quotes[0].speaker == "Ines Cole" and quotes[0].text.endswith("for a month.")
    assert quotes[-1].speaker_text is not None and "farmer" in quotes[-1].speaker_text


def test_a_verb_with_only_an_object_or_topic_has_it_as_content(nlp):
    text = (
        "The farmers spoke about the new water rules on Monday.\n\n"
        "The council wants three new rules now.\n"
    )
    quotes = nlp(text)._.wd_quotes
    assert [q.text for q in quotes] == ["the new water rules", "three new rules"]
    assert [q.cue for q in quotes] == ["spoke", "wants"]
    assert quotes[0].speaker_text == "The farmers"


def test_an_attribution_inside_its_clause_keeps_the_whole_clause(nlp):
    text = (
        "The harbour, the mayor said on Tuesday, will reopen to ferries in June.\n\n"
        "The golf club, she said, is doing much better than it has since 2009.\n"
    )
    quotes = nlp(text)._.wd_quotes
    assert [q.text[:12] for q in quotes] == ["The harbour,", "The golf clu"]
    assert quotes[0].text.endswith("in June") and quotes[1].text.endswith("since 2009")
    assert [q.speaker_text for q in quotes] == ["the mayor", "she"]


def test_a_lead_in_before_a_colon_is_the_cue_listed_or_not(nlp):
    text = (
        "Lena Ruiz spoke first. Then the coach gloated: “We told you so all season long.”"
        " He added that the team was tired.\n"
    )
    quotes = [q for q in nlp(text)._.wd_quotes if q.quote_type == "direct"]
    assert [(q.cue, q.speaker_text) for q in quotes] == [("gloated", "the coach")]


def test_a_cue_without_subject_takes_the_name_before_it(nlp):
    text = "“The river is rising fast,” Tom Hale, wearing a “Flood Watch” cap, said on Monday.\n"
    q = nlp(text)._.wd_quotes[0]
    assert q.cue == "said" and q.speaker == "Tom Hale"


def test_a_quote_resumes_after_any_attribution_clause(nlp):
    text = "“Can you hear me?” Lena Ruiz went on, ignoring the noise. “We start at nine.”\n"
    quotes = nlp(text)._.wd_quotes
    assert len(quotes) == 1
    assert quotes[0].text.startswith("Can you") and quotes[0].text.endswith("at nine.")


def test_reported_words_run_on_past_a_quoted_fragment(nlp):
    text = "The mayor called the protesters “thugs” without any proof, on Monday.\n"
    quotes = nlp(text)._.wd_quotes
    host = next(q for q in quotes if q.quote_type == "indirect")
    assert host.text.startswith("the protesters") and "without any proof" in host.text
    assert host.cue == "called" and host.speaker_text == "The mayor"


def test_a_title_inside_the_attribution_does_not_split_the_quote(nlp):
    text = (
        "“He is right about the army,” Mike Flynn said on Fox’s “Morning Show.” "
        "“There is a lot of frustration within the ranks.”\n"
    )
    quotes = [q for q in nlp(text)._.wd_quotes if not q.text.startswith("Morning")]
    assert len(quotes) == 1 and quotes[0].text.endswith("within the ranks.")
    assert quotes[0].speaker == "Mike Flynn"


def test_a_noun_cue_takes_its_owner_as_speaker(nlp):
    text = "Reporters checked Mayor Vale’s claim that the old bridge was safe to reopen.\n"
    q = next(q for q in nlp(text)._.wd_quotes if q.cue == "claim")
    assert q.speaker_text == "Mayor Vale" and q.text.startswith("that the old bridge")


def test_a_verb_after_any_part_ending_on_a_comma_is_the_cue(nlp):
    text = "“Our schools are full,” the letter reads. “We need more teachers next year.”\n"
    q = nlp(text)._.wd_quotes[0]
    assert (q.cue, q.speaker_text) == ("reads", "the letter")


def test_a_quote_before_its_cue_is_not_also_reported_speech(nlp):
    text = "“Yes, I support Ted Cruz,” Brent Bozell, founder of a media group, tells a paper.\n"
    quotes = nlp(text)._.wd_quotes
    assert [(q.quote_type, q.text) for q in quotes] == [("direct", "Yes, I support Ted Cruz,")]
    assert quotes[0].speaker_text.startswith("Brent Bozell")


def test_a_title_case_headline_verb_is_a_cue(nlp):
    text = "Mayor Vale Says The Old Bridge Will Reopen In June\n\nThe city council met on Monday.\n"
    q = nlp(text)._.wd_quotes[0]
    assert q.cue == "Says" and q.speaker_text == "Mayor Vale"
    assert q.text.startswith("The Old Bridge")


def test_the_fallback_speaker_is_a_person_before_an_organisation(nlp):
    doc = nlp("Ruiz, at the Dover Museum on Monday, said nothing.")
    doc._.wd_mentions = [(0, 4, "Ruiz", "PERSON", "Ana Ruiz"), (13, 25, "", "ORG", "Dover Museum")]
    said = next(t for t in doc if t.text == "said")
    speaker = named_before(doc, (), said)
    assert speaker is not None and speaker.text == "Ruiz"


def test_reported_words_ending_on_a_quote_keep_no_trailing_space(nlp):
    text = "The mayor said it “would tell our story.”\n\nThe museum opens in May.\n"
    host = next(q for q in quotes(nlp, text) if q.quote_type == "indirect")
    assert host.text == "it “would tell our story.”"


@pytest.mark.parametrize(
    "text, kind, cue, speaker",
    [
        # "Said Name:" opens a quote
        (
            "The plan is complex. Said Nora Ellis: “Nobody here wants another tax on fuel.”\n",
            "direct",
            "Said",
            "Nora Ellis",
        ),
        # a name just before a colon speaks
        (
            "The surge does not surprise pollster Daron Shaw: “Newcomers often gain early.”\n",
            "direct",
            ":",
            "Daron Shaw",
        ),
        # a fragment inside nested reports is the inner speaker's
        (
            "Lena Ruiz on Monday urged the board “to act before winter”, her office said.\n",
            "partial",
            "urged",
            "Lena Ruiz",
        ),
        # a document speaks for whoever issued it
        (
            "The council issued a statement saying the harbour “will reopen in June.”\n",
            "indirect",
            "saying",
            "The council",
        ),
    ],
)
def test_cue_and_speaker_of_a_construction(nlp, text, kind, cue, speaker):
    q = next(q for q in quotes(nlp, text) if q.quote_type == kind)
    assert (q.cue, q.speaker_text) == (cue, speaker)


# ---------------------------------------------------------------- partial parse


def test_segments_end_at_sentence_marks_and_line_breaks_and_keep_whitespace_before():
    words = ["Oil", "rose", ".", "\n\n", "Rates", "held", "\n", "“", "Yes", ".", "”", "he", "said"]
    assert segments(words) == [(0, 4), (4, 7), (7, 13)]  # “Yes.” he said: one sentence
    assert segments(["U.S.", "talks", "end", "."]) == [(0, 4)]  # abbreviations are one token
    assert segments([]) == []
    assert segments(["”", "Yes", "."]) == [(0, 3)]  # a mark first is not a sentence's end


def test_parsed_runs_are_the_cue_and_quote_sentences_merged_when_adjacent():
    words = ["Oil", "rose", ".", "Talks", "failed", ",", "he", "said", ".", "“", "No", "."]
    words += ["”", "Rain", "fell", "."]
    lowers = [w.lower() for w in words]
    # "Oil rose." holds no cue and no mark; "Rain fell." follows a quote, so it is parsed.
    assert segments(words) == [(0, 3), (3, 9), (9, 13), (13, 16)]
    assert parsed_runs(words, lowers, segments(words)) == [(3, 16)]
    words += ["Ships", "waited", "."]
    lowers += ["ships", "waited", "."]
    assert parsed_runs(words, lowers, segments(words)) == [(3, 16)]


def test_partial_parse_parses_cue_sentences_as_alone_and_flattens_the_rest(nlp):
    text = "Markets fell on Monday.\n\n“We will not give up,” said Anna de Vries. "
    text += "Rain fell. It ended."
    assert "wiredesk_partial_parser" in nlp.pipe_names and "parser" not in nlp.pipe_names
    doc = nlp(text)
    sentences = [s.text for s in doc.sents]
    assert sentences == ["Markets fell on Monday.\n\n", text[25:67], "Rain fell.", "It ended."]
    first, second, *_ = doc.sents
    assert [t.dep_ for t in first] == ["ROOT"] + ["dep"] * (len(first) - 1)
    tok2vec, parser = nlp.get_pipe("tok2vec"), nlp.get_pipe("parser")
    alone = parser(tok2vec(nlp.make_doc(text[25:67])))  # the same sentence parsed on its own
    assert [(t.dep_, t.head.i - t.sent.start) for t in second] == [
        (t.dep_, t.head.i) for t in alone
    ]
    assert [(q.text, q.speaker) for q in doc._.wd_quotes] == [
        ("We will not give up,", "Anna de Vries")
    ]


def test_full_parse_on_request_and_for_a_pipeline_without_a_parser():
    import spacy

    from tasks.components.nlp import DEFAULT_MODEL, load_nlp, parses_alone

    full = load_nlp.__wrapped__(DEFAULT_MODEL, full_parse=True)  # uncached: shared one unchanged
    assert "parser" in full.pipe_names and "wiredesk_partial_parser" not in full.pipe_names
    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    assert not parses_alone(blank)


@pytest.mark.parametrize(
    ("text", "starts", "kind"),
    [
        ("The mayor said the bridge will reopen in May.", "the bridge", "speech"),
        ("“We will win the vote in May,” Lena Holm said.", "We will win", "speech"),
        ("Lund believes the new plan will fail within a year.", "the new plan", "thought"),
        ("Senator Ross hopes the talks will resume next week.", "the talks", "thought"),
        ("A new Gallup poll shows the senator leading by five points.", "the senator", "evidence"),
        ("The study found that the river carries more silt than before.", "that the", "evidence"),
        ("According to the report, the plant lost money for three years.", "the plant", "evidence"),
        (
            "According to a statement from the mayor, the plant lost money for three years.",
            "the plant",
            "speech",
        ),
    ],
)
def test_cue_kind_of_rows(nlp, text, starts, kind):
    q = one(quotes(nlp, text), starts)
    assert q.cue_kind == kind, (q.cue, q.speaker_text)


def test_cue_kind_reads_words_alone():
    assert cue_kind("said", "Smith") == "speech"
    assert cue_kind("suggested", "Smith") == "speech"  # a person suggests: speech
    assert cue_kind("suggests", "a Quinnipiac University poll of likely voters") == "evidence"
    assert cue_kind("said", "the report") == "evidence"
    assert cue_kind("wants", "the report") == "thought"
    assert cue_kind(":", "Ana Ruiz") == "speech" and cue_kind(None, None) == "speech"
    assert cue_kind("suggests", "This") == "evidence"
    assert cue_kind("vowed", "Ms. Lund", "to run again") == "stance"
    assert cue_kind("asked", "Lund", "whether the plant would close") == "question"
    assert cue_kind("said", "Lund", "if the plant closes, jobs go") == "speech"
    assert cue_kind("backed", "Lund", "the plan", "object") == "stance"


def test_a_piece_after_a_new_attribution_is_a_new_quote(nlp):
    text = "“The port is safe,” Ana Ruiz said. “Ships will come back next year,” Tom Berg added."
    found = [q for q in quotes(nlp, text) if q.quote_type != "indirect"]
    assert [(q.text, q.speaker) for q in found] == [
        ("The port is safe,", "Ana Ruiz"),
        ("Ships will come back next year,", "Tom Berg"),
    ]
    assert all(len(q.segments) == 1 for q in found)


def speaker_in(text: str, words: str, mentions: list[tuple[str, str]]) -> Span:
    """Return the span of words in a plain doc with given mentions."""
    doc = English()(text)
    doc._.wd_mentions = [
        Mention(text.index(m), text.index(m) + len(m), m, label, m) for m, label in mentions
    ]
    start = text.index(words)
    return doc.char_span(start, start + len(words))


@pytest.mark.parametrize(
    ("text", "words", "cue", "mentions", "tidy"),
    [
        ("“No,” she said, Tim Cook called it.", ", Tim Cook", "called", [], "Tim Cook"),
        (
            "Rep. Ann Lee (R-Fla.) said no.",
            "Rep. Ann Lee (R-Fla.",
            "said",
            [("Ann Lee", "PERSON")],
            "Rep. Ann Lee (R-Fla.)",
        ),
        (
            "The Committee for a Responsible Federal Budget reported a gap.",
            "The Committee",
            "reported",
            [("Committee for a Responsible Federal Budget", "ORG")],
            "The Committee for a Responsible Federal Budget",
        ),
        ("Lund said no.", "Lund said", "said", [("Lund", "PERSON")], "Lund"),
        ("Said Nora Ellis: no.", "Nora", "Said", [("Said Nora Ellis", "PERSON")], "Nora Ellis"),
        ("It was - contended.", "-", "contended", [], None),
    ],
)
def test_speaker_spans_are_tidied(text, words, cue, mentions, tidy):
    span = speaker_in(text, words, mentions)
    at = text.index(cue)
    found = tidy_speaker(span, (at, at + len(cue)))
    assert (found.text if found is not None else None) == tidy


def test_dash_names_between_quotes_of_one_paragraph(nlp):
    # Lines of quotes that cleaning joined into one paragraph, each signed with a dash.
    text = (
        "Readers wrote in.\n\n“The bridge is a disgrace to the whole city.” ― Ana Ruiz "
        "“We waited three years for the repairs.” ― Tom Berg."
    )
    found = quotes(nlp, text)
    assert [(q.speaker, q.cue) for q in found] == [("Ana Ruiz", "―"), ("Tom Berg", "―")]
