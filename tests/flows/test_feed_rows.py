"""Rows from feed-like input, through the whole flow: language, bodies without text, names."""

from __future__ import annotations

import pytest

from flows.pipeline import ingest_flow
from tests.flows.test_pipeline import sql as tables_sql

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Times</title><language>en-us</language>
{items}
</channel></rss>"""
ITEM = "<item><guid>{guid}</guid><title>{title}</title><description>{body}</description></item>"
ENGLISH_ITEMS = [
    ("pizza", "Pizza", "Fancy a pizza with a view"),
    ("link", "Read it", "https://news.example.org/2026/12/07/harbour-story-1234"),
    (
        "figure",
        "In pictures",
        "&lt;figure&gt;&lt;img src='a.jpg'&gt;&lt;figcaption&gt;Firefighters at the harbour on"
        " Monday. (Photo: Jo Roe/Northwire)&lt;/figcaption&gt;&lt;/figure&gt;",
    ),
    (
        "talks",
        "Talks",
        "The U.S. and Britain urged the U.N. to act on Monday. The United States said the UK and"
        " the E.U. would back the plan, and American and British officials met United Nations"
        " staff in Geneva. The European Union said the US had asked the EU for help, and the"
        " United Kingdom agreed with America.",
    ),
    (
        "bullets",
        "Briefing",
        "&lt;p&gt;• Israel said on Monday that talks with Egypt would resume.&lt;/p&gt;"
        "&lt;p&gt;• Jordan said its envoy would travel to Cairo.&lt;/p&gt;",
    ),
    (
        "council",
        "Libraries",
        "Lyon's city council voted on Monday to close two libraries. The mayor of Lyon said the"
        " budget left the city no choice.",
    ),
    (
        "ai",
        "Chips",
        "AI is changing how companies write software. Firms that sell AI tools said demand for"
        " AI chips kept growing in Europe.",
    ),
    (
        "captions",
        "Gallery",
        "Photo: Jo Roe/Northwire&lt;br&gt;&lt;br&gt;Image caption, Boats wait outside the port",
    ),
]
UNDECLARED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Kyiv Daily</title>
<entry><id>metro</id><title>Метро</title><summary>У Києві відкрили нову станцію метро</summary>
</entry></feed>"""


def sql(root, query: str) -> list[tuple]:
    """Run a query over the warehouse's tables, entities included."""
    views = "".join(
        f"create or replace view {t} as select * from read_parquet('{root}/{t}/**/*.parquet',"
        " hive_partitioning=true, union_by_name=true);"
        for t in ("entities",)
    )
    return tables_sql(root, views + query)


@pytest.fixture(scope="module")
def feed_run(prefect_harness, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    (inbox / "harbour").mkdir()
    items = "\n".join(ITEM.format(guid=g, title=t, body=b) for g, t, b in ENGLISH_ITEMS)
    (inbox / "harbour" / "feed.rss").write_text(RSS.format(items=items), encoding="utf-8")
    (inbox / "kyiv").mkdir()
    (inbox / "kyiv" / "feed.atom").write_text(UNDECLARED, encoding="utf-8")
    root = tmp_path_factory.mktemp("wh")
    ingest_flow(paths=[str(inbox)], warehouse=str(root))
    return root


def test_a_feed_declaring_english_gives_english_rows(feed_run):
    rows = sql(feed_run, "select source_item_id, language, language_confidence from articles")
    assert ("pizza", "en", None) in rows


def test_an_undeclared_language_is_identified_with_its_confidence(feed_run):
    [(language, confidence)] = sql(
        feed_run, "select language, language_confidence from articles where source = 'kyiv'"
    )
    assert language == "uk" and confidence > 0.9


def test_a_body_of_only_links_or_captions_is_a_reject_with_its_reason(feed_run):
    rows = sql(feed_run, "select source_item_id, reason, detail from rejects order by 1")
    assert rows == [
        ("captions", "no_sentence", "only image captions"),
        ("figure", "no_sentence", "only image captions"),
        ("link", "no_sentence", "only links"),
    ]
    loaded = {r[0] for r in sql(feed_run, "select source_item_id from articles")}
    assert loaded == {"pizza", "metro", "talks", "bullets", "council", "ai"}


def test_countries_and_unions_are_one_entity_whatever_the_spelling(feed_run):
    rows = sql(
        feed_run,
        "select m.text, m.label, e.name from mentions m join entities e using (entity_key)"
        " join articles a using (article_id) where a.source_item_id = 'talks'",
    )
    named = {text: (label, name) for text, label, name in rows}
    for spellings, label, name in [
        (("U.S.", "United States", "US", "America"), "GPE", "United States"),
        (("Britain", "UK", "United Kingdom"), "GPE", "United Kingdom"),
        (("U.N.", "United Nations"), "ORG", "United Nations"),
        (("E.U.", "European Union", "EU"), "ORG", "European Union"),
    ]:
        found = {named[s] for s in spellings if s in named}
        assert found == {(label, name)}, spellings
    assert (named["American"][0], named["British"][0]) == ("NORP", "NORP")


def test_names_lose_bullets_and_acronyms_and_councils_are_not_misread(feed_run):
    rows = sql(
        feed_run,
        "select a.source_item_id, m.text, m.label, m.canonical from mentions m"
        " join articles a using (article_id)",
    )
    assert not [r for r in rows if r[1][:1] in "•-–" or r[3][:1] in "•-–"]
    assert ("bullets", "Israel", "GPE", "Israel") in rows
    assert not [r for r in rows if r[0] == "ai" and r[1] == "AI" and r[2] in {"GPE", "LOC"}]
    council = [r for r in rows if r[0] == "council" and r[1] == "Lyon"]
    assert council and all(r[3] == "Lyon" and r[2] == "GPE" for r in council)
