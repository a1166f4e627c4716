"""Rows from feed-like input, through the whole flow: language, bodies without text, names."""

from __future__ import annotations

import pytest

from flows.pipeline import ingest_flow
from tests.flows.test_pipeline import sql

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
        "captions",
        "Gallery",
        "Photo: Jo Roe/Northwire&lt;br&gt;&lt;br&gt;Image caption, Boats wait outside the port",
    ),
]
UNDECLARED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Kyiv Daily</title>
<entry><id>metro</id><title>Метро</title><summary>У Києві відкрили нову станцію метро</summary>
</entry></feed>"""


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
    assert loaded == {"pizza", "metro"}
