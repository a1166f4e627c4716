from __future__ import annotations

from datetime import UTC, datetime

from tasks.clean import clean_body, clean_documents, normalize_text, repair
from tasks.common import Batch, Document, normalize_for_match

NOW = datetime(2026, 3, 5, tzinfo=UTC)


def test_normalize_text_nfc_spaces_and_paragraphs():
    raw = "Cafe\u0301  au\tlait\r\nsame para\n\n\n  Next\u200b one.  "
    assert normalize_text(raw) == "Café au lait same para\n\nNext one."
    assert normalize_text("line one\nline two") == "line one\n\nline two"


def test_normalize_for_match_folds_accents_case_quote_marks_and_punctuation():
    raw = "  “Café” ‘naïve’´s İstanbul″x—Y ﬁne  "
    assert normalize_for_match(raw) == "cafe naive s istanbul x y fine"
    assert normalize_for_match("„« »′`") == ""


def test_headline_dateline_and_credit_are_split_off():
    body = "Port strike halts traffic\n\nOSLO, March 3 (Northwire) - Dockworkers walked out."
    cleaned = clean_body(body)
    assert cleaned.title == "Port strike halts traffic"
    assert cleaned.dateline == "OSLO, March 3 (Northwire)"
    assert cleaned.credit == "Northwire"
    assert cleaned.body == "Dockworkers walked out."


def test_credit_from_inputs_line_and_quoted_as_saying():
    assert clean_body("It happened.\n\n(With inputs from agencies)").credit == "agencies"
    text = '"We will act," AFP quoted the minister as saying.'
    assert clean_body(text, title="T").credit == "AFP"


def test_bad_documents_become_rejects_and_ids_are_stable():
    docs = [
        Document("w", "1", "A real article body about the port strike in Oslo."),
        Document("w", "2", "   \n\n  "),
        Document("w", "3", None),
        Document("w", "4", "1234 5678 90 %%% ### 42"),
        Document("w", "5", "A real article body about the port strike in Oslo."),
        Document("w", "1", "A real article body about the port strike in Oslo."),
    ]
    table, rejects = clean_documents(Batch(docs), NOW)
    # Item 5 resends item 1's body: an article of its own (dedup makes it an exact copy).
    assert table["source_item_id"].to_pylist() == ["1", "5"]
    assert len(set(table["article_id"].to_pylist())) == 2
    assert [(r.source_item_id, r.reason) for r in rejects] == [
        ("2", "empty_body"),
        ("3", "empty_body"),
        ("4", "not_text"),
        ("1", "duplicate_item"),
    ]
    again, _ = clean_documents(Batch(docs[:1]), NOW)
    assert again["article_id"].to_pylist() == table["article_id"].to_pylist()[:1]


def test_offsets_point_into_the_cleaned_body():
    table, _ = clean_documents(Batch([Document("w", "1", "Title line\n\nBody   text here.")]), NOW)
    body = table["body"][0].as_py()
    assert body == "Body text here."
    assert body[5:9] == "text"


def test_dateline_forms():
    for text, dateline, credit in [
        ("PARIS, June 10 (AFP) - The talks ended.", "PARIS, June 10 (AFP)", "AFP"),
        ("PARIS (Reuters) — The talks ended.", "PARIS (Reuters)", "Reuters"),
        ("GLASGOW - The talks ended.", "GLASGOW", None),
        ("SÃO PAULO, 10 June 2026 - The talks ended.", "SÃO PAULO, 10 June 2026", None),
        ("Brandt - the union leader - spoke.", None, None),  # a name, not a place in capitals
    ]:
        cleaned = clean_body(text, title="T")
        assert (cleaned.dateline, cleaned.credit) == (dateline, credit), text


def test_byline_reporting_line_and_boilerplate_are_split_off():
    text = (
        "Bridge closes\n\nBy Jane Roe\n\nThe bridge closed on Monday.\n\nAdvertisement\n\n"
        "It reopens in May.\n\nFollow us on Twitter\n\n(Reporting by Ann Lee; Editing by Bo Chan)"
    )
    cleaned = clean_body(text)
    assert cleaned.title == "Bridge closes" and cleaned.byline == "Jane Roe"
    assert cleaned.body == "The bridge closed on Monday.\n\nIt reopens in May."
    assert clean_body("It happened.\n\n(Reporting by Ann Lee)", title="T").byline == "Ann Lee"


def test_markup_and_mojibake_are_repaired():
    cleaned = clean_body("<p>The cafÃ© said â€œyesâ€\x9d.</p><script>x()</script><p>Two.</p>", "T")
    assert cleaned.body == "The café said “yes”.\n\nTwo."


def test_no_break_spaces_skip_ftfy_but_mojibake_beside_them_is_fixed():
    assert (
        repair("Paris\xa0\u2015 The minister said “no”.")
        == "Paris\xa0\u2015 The minister said “no”."
    )
    assert repair("Voil\xc3\xa0 the caf\xc3\xa9\xa0bar") == "Voilà the café\xa0bar"


def test_declared_language_wins_and_carries_no_confidence():
    docs = [
        Document("w", "1", "Fancy a pizza with a view of the harbour tonight?", language="en-GB"),
        Document("w", "2", "Le ministre a dit que la grève est finie.", language="FR"),
        Document("w", "3", "The strike is over, the minister said.", language="und"),
    ]
    table, _ = clean_documents(Batch(docs), NOW)
    assert table["language"].to_pylist() == ["en", "fr", "en"]
    confidence = table["language_confidence"].to_pylist()
    assert confidence[:2] == [None, None] and confidence[2] > 0.9


def test_undeclared_language_is_identified_in_many_languages():
    texts = {
        "en": "Fancy a pizza with a view",
        "uk": "У Києві відкрили нову станцію метро",
        "ru": "В Москве прошёл сильный снегопад",
        "fa": "بارش شدید باران در تهران خسارت زد",
        "ur": "کراچی میں شدید بارش سے سڑکیں ڈوب گئیں",
        "ar": "أمطار غزيرة تغرق شوارع المدينة",
        "pl": "Silny wiatr zerwał dachy w kilku miejscowościach",
        "tr": "Seçim sonuçları yarın açıklanacak",
        "id": "Banjir rendam ratusan rumah di Jakarta",
    }
    docs = [Document("w", lang, text, title="") for lang, text in texts.items()]
    table, rejects = clean_documents(Batch(docs), NOW)
    assert rejects == []
    assert table["language"].to_pylist() == list(texts)


def test_the_title_helps_and_a_text_too_short_to_tell_is_undetermined():
    docs = [
        Document("w", "1", "Watch live", title="T"),
        Document("w", "2", "Watch live", title="Storm closes schools across the north"),
    ]
    table, _ = clean_documents(Batch(docs), NOW)
    assert table["language"].to_pylist() == ["und", "en"]
    assert table["language_confidence"][0].as_py() < 0.4


def test_future_and_ancient_dates_are_dropped_but_the_article_kept():
    body = "The strike is over, the minister said on Monday."
    docs = [
        Document("w", "1", body, published_at=datetime(2999, 1, 1, tzinfo=UTC)),
        Document("w", "2", body + " More.", published_at=datetime(1800, 1, 1, tzinfo=UTC)),
        Document("w", "3", body + " Again.", published_at=datetime(2026, 3, 5, 20, tzinfo=UTC)),
    ]
    table, rejects = clean_documents(Batch(docs), NOW)
    assert rejects == []
    assert table["published_at"].to_pylist()[:2] == [None, None]
    assert table["published_at"][2].as_py() == datetime(2026, 3, 5, 20, tzinfo=UTC)


def test_named_wire_wins_over_generic_inputs_credit():
    text = (
        "The minister spoke on Friday.\n\n"
        '"We will act," AFP quoted the minister as saying.\n\n(With inputs from agencies)'
    )
    assert clean_body(text, title="T").credit == "AFP"
    assert clean_body("It happened.\n\n(With inputs from Reuters)", title="T").credit == "Reuters"


def test_sentences_that_mention_links_slashes_or_images_are_articles():
    texts = [
        "Read the report at https://example.org/r.pdf for the cuts planned for schools.",
        "Support fell to 40 percent, according to a poll by Northwire/Ipsos",
        "He showed the image: a man falling from the bridge.",
        "The deal was worth $5 million/year.",
        "Storm closes schools across the north",
        "Firefighters at the scene. (Photo: Jo Roe)\n\nThe fire broke out on Monday.",
    ]
    docs = [Document("w", str(i), text, title="T") for i, text in enumerate(texts)]
    table, rejects = clean_documents(Batch(docs), NOW)
    assert rejects == [] and table.num_rows == len(texts)


def test_links_and_credited_captions_alone_are_no_sentence():
    texts = {
        "Source: https://example.org/a <https://example.org/b>": "only links",
        "Crowds in the square. Jo Roe/Northwire via Getty Images": "only image captions",
        "The mayor in Oslo. Photograph: Jo Roe/Northwire\n\nwww.example.org/gallery": (
            "only image captions and links"
        ),
    }
    docs = [Document("w", str(i), text, title="T") for i, text in enumerate(texts)]
    _, rejects = clean_documents(Batch(docs), NOW)
    assert [(r.reason, r.detail) for r in rejects] == [("no_sentence", d) for d in texts.values()]
