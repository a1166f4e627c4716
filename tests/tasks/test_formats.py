"""Every format round-trips from a sample file to the articles and raw tables."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import duckdb
import pytest

from tasks.clean import clean_documents
from tasks.formats import detect
from tasks.ingest import list_inputs, read_documents, reparse
from tests.conftest import REPO
from warehouse import Warehouse

SAMPLES = REPO / "samples" / "formats"
NOW = datetime(2026, 3, 7, tzinfo=UTC)


def load(root, paths, source=None):
    """Ingest and clean paths, commit articles and raw rows, return (batch, articles, rejects)."""
    warehouse = Warehouse(root)
    batch = read_documents(list_inputs(paths), source, warehouse=warehouse, received_at=NOW)
    articles, rejects = clean_documents(batch, NOW)
    warehouse.commit(
        f"c{len(warehouse.files('raw'))}",
        {"articles": articles, "raw": batch.raw},
    )
    return batch, articles, rejects


@pytest.fixture()
def wire(tmp_path):
    folder = tmp_path / "inbox" / "wire"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("item.txt", "text"),
        ("records.jsonl", "jsonl"),
        ("ninjs-1.json", "json"),
        ("newsml-item.xml", "newsml"),
        ("newsml-message.xml", "newsml"),
        ("feed.rss", "feed"),
        ("feed.atom", "feed"),
        ("page.html", "html"),
    ],
)
def test_formats_are_detected_from_name_and_content(name, fmt):
    assert detect(name, (SAMPLES / name).read_bytes()) == fmt
    renamed = name.rsplit(".", 1)[0]  # no suffix: the content alone tells markup formats
    if fmt in {"newsml", "feed", "html"}:
        assert detect(renamed + ".dat", (SAMPLES / name).read_bytes()) == fmt


def test_every_sample_format_reaches_the_tables(tmp_path):
    _, _, rejects = load(tmp_path / "wh", [SAMPLES])
    assert rejects == []
    con = duckdb.connect()
    rows = con.sql(
        f"""select source_item_id, title, byline, dateline, credit, language, version, withdrawn
        from read_parquet('{tmp_path}/wh/articles/**/*.parquet') order by 1, version"""
    ).fetchall()
    by_id = {}
    for row in rows:
        by_id.setdefault(row[0], []).append(row[1:])
    assert by_id["item"] == [
        (
            "Harbour dredging to start next week",
            "Lowri Jenkins",
            "PORTHAVEN, March 6 (Harbour Wire)",
            "Harbour Wire",
            "en",
            1,
            False,
        )
    ]
    assert by_id["urn:example:lakeside:2026-0042"][0][:3] == (
        "Ferry operator adds winter crossings on the lake",
        "Mira Koskinen",
        "LAKESIDE, March 6 (Lakeside Wire)",
    )
    # ninjs 2.x: v1, a correction, then a kill that keeps the corrected text
    versions = by_id["urn:example:lakeside:2026-0043"]
    assert [(v[0], v[5], v[6]) for v in versions] == [
        ("Library reopens after roof repairs", 1, False),
        ("Library reopens after roof repairs (corrected)", 2, False),
        ("Library reopens after roof repairs (corrected)", 3, True),
    ]
    assert versions[0][1] == "Sanna Virtanen"
    # NewsML item v2, killed as v3 by the newsMessage
    hill = by_id["urn:newsml:example.org:20260306:hill-0007"]
    assert [(v[1], v[5], v[6]) for v in hill] == [("Tom Ellery", 2, False), (None, 3, True)]
    assert by_id["urn:newsml:example.org:20260306:hill-0008"][0][0] == (
        "Snow closes the high pass road"
    )
    assert by_id["https://valley-courier.example/2026/03/06/bridge"][0][1] == "Ruth Owens"
    assert by_id["urn:example:coast-bulletin:0101"][0][1] == "Nell Tregear"
    page = by_id["page"][0]
    assert page[:4] == (
        "Town council backs new cycle lanes",
        "Owen Pryce",
        "RIVERSIDE, March 6 (Riverside Gazette)",
        "Riverside Gazette",
    )
    assert by_id["vc-0001"][0][1] == "Ruth Owens"
    bodies = " ".join(
        r[0]
        for r in con.sql(
            f"select body from read_parquet('{tmp_path}/wh/articles/**/*.parquet')"
        ).fetchall()
    )
    # Non-ASCII text inside HTML bodies survives markup removal (no Latin-1 misreading).
    assert "“We heard the complaints and we have found the crews,”" in bodies
    assert "“The bridge is safe, but it needs work before the spring floods,”" in bodies
    for junk in ("track()", "trackPageView", "window.ads", "Subscribe", "Home |", "<p>"):
        assert junk not in bodies


def test_raw_archive_keeps_bytes_and_reparses_to_the_same_article(tmp_path):
    batch, articles, _ = load(tmp_path / "wh", [SAMPLES / "page.html"])
    raw = Warehouse(tmp_path / "wh").read("raw").to_pylist()
    assert len(raw) == 1 and raw[0]["data"] == (SAMPLES / "page.html").read_bytes()
    assert raw[0]["format"] == "html" and raw[0]["size"] == len(raw[0]["data"])
    again, _ = clean_documents(type(batch)(documents=reparse(raw[0])), NOW)
    assert again["body"].to_pylist() == articles["body"].to_pylist()
    assert again["raw_id"].to_pylist() == [raw[0]["raw_id"]]


def test_a_document_already_received_is_skipped(tmp_path, wire):
    shutil.copy(SAMPLES / "records.jsonl", wire / "a.jsonl")
    first, articles, _ = load(tmp_path / "wh", [wire])
    assert (first.skipped, articles.num_rows) == (0, 1)
    shutil.copy(SAMPLES / "records.jsonl", wire / "copy-of-a.jsonl")  # same bytes, new name
    second, articles, rejects = load(tmp_path / "wh", [wire])
    assert (second.skipped, second.documents, articles.num_rows, rejects) == (2, [], 0, [])


def test_new_versions_link_to_stored_ones_and_readers_get_the_latest(tmp_path, wire):
    item = {"uri": "urn:x:1", "version": 1, "pubstatus": "usable", "headline": "Dam opens"}
    text = "The new dam opened on Monday, the water board said, after six years of work."
    (wire / "v1.json").write_text(json.dumps(item | {"body_text": text}))
    _, first, _ = load(tmp_path / "wh", [wire])
    (wire / "v2.json").write_text(
        json.dumps(item | {"version": 2, "body_text": text.replace("six", "seven")})
    )
    (wire / "v3.json").write_text(json.dumps(item | {"version": 3, "pubstatus": "canceled"}))
    _, later, rejects = load(tmp_path / "wh", [wire])
    assert rejects == []
    assert later["version"].to_pylist() == [2, 3]
    assert later["supersedes"].to_pylist() == [
        first["article_id"][0].as_py(),
        later["article_id"][0].as_py(),
    ]
    assert later["withdrawn"].to_pylist() == [False, True]
    assert "seven years" in later["body"][1].as_py()  # the kill keeps the text it withdraws
    latest = duckdb.sql(
        f"""select version, withdrawn from read_parquet('{tmp_path}/wh/articles/**/*.parquet')
        qualify row_number() over (partition by source, item_uri order by version desc) = 1"""
    ).fetchall()
    assert latest == [(3, True)]


def test_same_version_with_other_text_is_a_conflict(wire):
    item = {"uri": "urn:x:2", "version": 4, "headline": "H", "pubstatus": "usable"}
    (wire / "a.json").write_text(json.dumps(item | {"body_text": "The first text of it all."}))
    (wire / "b.json").write_text(json.dumps(item | {"body_text": "A second text, not the same."}))
    articles, rejects = clean_documents(read_documents(list_inputs([wire])), NOW)
    assert articles.num_rows == 1
    assert [r.reason for r in rejects] == ["version_conflict"]


def test_resent_id_without_version_becomes_the_next_version(wire):
    rows = [
        {"id": "r1", "body": "The mayor opened the new bridge on Monday morning."},
        {"id": "r1", "body": "The mayor opened the new bridge on Tuesday morning."},
    ]
    (wire / "f.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    articles, rejects = clean_documents(read_documents(list_inputs([wire])), NOW)
    assert rejects == []
    assert articles["version"].to_pylist() == [1, 2]
    assert articles["supersedes"].to_pylist() == [None, articles["article_id"][0].as_py()]


NINJS3_TEXT = (
    "GROSSETO, Italy (AP) -- The trial of the captain of the shipwrecked cruise liner has begun "
    "in a theatre converted into a courtroom, to hold the survivors and relatives who came."
)


def ninjs3(**fields) -> dict:
    """Return a ninjs 3.0 text item shaped like IPTC's own 3.0 examples, with fields changed."""
    return {
        "uri": "http://ninjs.example.com/newsitems/20130709simp123",
        "type": "text",
        "version": "2",
        "firstCreated": "2013-07-09T10:00:00Z",
        "versionCreated": "2013-07-09T10:37:00Z",
        "pubStatus": "usable",
        "language": "en-US",
        "by": "Paulo Santalucia",
        "located": "Grosseto",
        "headlines": [{"role": "main", "contentType": "text/plain", "value": "Captain on trial"}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": f"<p>{NINJS3_TEXT}</p>"}],
        "renditions": [
            {"name": "thumbnail", "href": "https://example.com/t.jpg", "contentType": "image/jpeg"},
            {"name": "web", "href": "https://example.com/trial", "contentType": "text/html"},
        ],
    } | fields


def test_ninjs_3_camel_case_fields_are_read(wire):
    (wire / "item.json").write_text(json.dumps(ninjs3()))
    batch = read_documents(list_inputs([wire]))
    assert batch.rejects == []
    (doc,) = batch.documents
    assert doc.body.strip() == NINJS3_TEXT  # the HTML body, as text: contentType is camelCase
    assert (doc.title, doc.byline, doc.dateline, doc.language, doc.version) == (
        "Captain on trial",
        "Paulo Santalucia",
        "Grosseto",
        "en",
        2,
    )
    assert doc.published_at == datetime(2013, 7, 9, 10, 0, tzinfo=UTC)  # firstCreated
    assert doc.url == "https://example.com/trial"  # the text/html rendition
    assert doc.item_uri == "http://ninjs.example.com/newsitems/20130709simp123"


def test_ninjs_3_minimal_item_is_ninjs_not_a_plain_record(wire):
    item = {"uri": "urn:x:min", "pubStatus": "withheld", "bodies": [{"value": NINJS3_TEXT}]}
    (wire / "item.json").write_text(json.dumps(item))
    batch = read_documents(list_inputs([wire]))
    assert batch.documents == [] and [r.reason for r in batch.rejects] == ["withheld"]


EMBARGO = "2999-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "item",
    [
        {"uri": "u:1", "pubstatus": "withheld", "body_text": NINJS3_TEXT},  # 1.x
        {"uri": "u:2", "pubstatus": "withheld", "bodies": [{"value": NINJS3_TEXT}]},  # 2.x
        ninjs3(pubStatus="withheld"),  # 3.0
        {"uri": "u:4", "embargoed": EMBARGO, "body_text": NINJS3_TEXT},  # 1.x with a date
        {"uri": "u:5", "embargoed": EMBARGO, "bodies": [{"value": NINJS3_TEXT}]},  # 2.x
        ninjs3(embargoed=EMBARGO),  # 3.0
    ],
    ids=[
        "1.x-withheld",
        "2.x-withheld",
        "3.0-withheld",
        "1.x-embargo",
        "2.x-embargo",
        "3.0-embargo",
    ],
)
def test_an_embargoed_item_is_rejected_in_every_ninjs_version(wire, item):
    (wire / "item.json").write_text(json.dumps(item))
    batch = read_documents(list_inputs([wire]))
    assert batch.documents == []
    assert [r.reason for r in batch.rejects] == ["embargoed" if "embargoed" in item else "withheld"]


def test_a_past_embargo_no_longer_holds_an_item_back_and_an_unreadable_one_does(wire):
    (wire / "past.json").write_text(json.dumps(ninjs3(embargoed="2013-07-09T11:00:00Z")))
    (wire / "bad.json").write_text(json.dumps(ninjs3(uri="urn:x:bad", embargoed="next week")))
    batch = read_documents(list_inputs([wire]))
    assert [d.source_item_id for d in batch.documents] == [ninjs3()["uri"]]
    assert [(r.source_item_id, r.reason) for r in batch.rejects] == [("urn:x:bad", "bad_field")]


def test_ninjs_3_kill_is_a_withdrawal(wire):
    (wire / "item.json").write_text(json.dumps(ninjs3(pubStatus="canceled", version="3")))
    (doc,) = read_documents(list_inputs([wire])).documents
    assert doc.withdrawn and doc.version == 3


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "body_xhtml",
            f"<div xmlns='http://www.w3.org/1999/xhtml'><p>{NINJS3_TEXT}</p></div>",
            NINJS3_TEXT,
        ),
        ("body_html5", f"<section><p>{NINJS3_TEXT}</p></section>", NINJS3_TEXT),
        ("body_nitf", f"<body.content><p>{NINJS3_TEXT}</p></body.content>", NINJS3_TEXT),
        ("body_plain_main", NINJS3_TEXT, NINJS3_TEXT),
    ],
    ids=["body_xhtml", "body_html5", "body_nitf", "body_plain_main"],
)
def test_every_ninjs_1_body_field_is_read(wire, field, value, expected):
    item = {"uri": "urn:x:body", "version": "1", "pubstatus": "usable", "headline": "H"}
    (wire / "item.json").write_text(json.dumps(item | {field: value}))
    batch = read_documents(list_inputs([wire]))
    assert batch.rejects == []
    assert batch.documents[0].body.strip() == expected
    articles, rejects = clean_documents(batch, NOW)
    assert rejects == [] and articles.num_rows == 1


def test_body_text_wins_over_markup_bodies(wire):
    item = {"uri": "urn:x:both", "body_xhtml": "<p>Markup copy.</p>", "body_text": NINJS3_TEXT}
    (wire / "item.json").write_text(json.dumps(item))
    assert read_documents(list_inputs([wire])).documents[0].body == NINJS3_TEXT


SHORT_ENGLISH = "Fancy a pizza with a view"  # a stop-word count once called this French


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "feed.rss",
            "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
            "<language>en-us</language><item><guid>a</guid><title>Pizza</title>"
            f"<description>{SHORT_ENGLISH}</description></item></channel></rss>",
        ),
        (
            "feed.atom",
            "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>T</title>"
            "<entry xml:lang='en-GB'><id>a</id><title>Pizza</title>"
            f"<summary>{SHORT_ENGLISH}</summary></entry></feed>",
        ),
        (
            "item.json",
            json.dumps({"uri": "a", "version": "1", "language": "en", "body_text": SHORT_ENGLISH}),
        ),
        (
            "item.xml",
            "<newsItem xmlns='http://iptc.org/std/nar/2006-10-01/' guid='a' version='1'"
            " xml:lang='en-US'><contentSet><inlineData>"
            f"{SHORT_ENGLISH}</inlineData></contentSet></newsItem>",
        ),
        (
            "page.html",
            "<!doctype html><html lang='en'><head><title>Pizza</title></head><body><article>"
            f"<h1>Pizza</h1><p>{SHORT_ENGLISH}.</p><p>{SHORT_ENGLISH}, again.</p></article>"
            "</body></html>",
        ),
    ],
)
def test_declared_language_reaches_the_articles_table(tmp_path, wire, name, content):
    (wire / name).write_text(content, encoding="utf-8")
    _, articles, rejects = load(tmp_path / "wh", [wire])
    assert rejects == []
    assert articles["language"].to_pylist() == ["en"]
    assert articles["language_confidence"].to_pylist() == [None]


def test_an_entry_declaring_its_own_language_beats_the_feed(tmp_path, wire):
    (wire / "feed.atom").write_text(
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom' xml:lang='en'>"
        "<title>T</title><entry><id>a</id><title>Pizza</title><summary>Pizza tonight, the"
        " owner said.</summary></entry><entry xml:lang='fr'><id>b</id><title>Pizza</title>"
        "<summary>Une pizza avec vue.</summary></entry></feed>",
        encoding="utf-8",
    )
    _, articles, _ = load(tmp_path / "wh", [wire])
    assert articles["language"].to_pylist() == ["en", "fr"]


def test_markdown_files_are_read_as_text_with_the_heading_as_title(tmp_path, wire):
    (wire / "storm.md").write_text(
        "# Storm closes the northern ferry routes\n\nThe ferry company said on Tuesday that "
        "every crossing would stay in port until the wind eased."
    )
    batch = read_documents([wire / "storm.md"])
    assert not batch.rejects
    assert len(batch.documents) == 1
    articles, _ = clean_documents(batch, NOW)
    assert articles["title"].to_pylist() == ["Storm closes the northern ferry routes"]
    assert not articles["body"][0].as_py().startswith("#")
    assert articles["source_item_id"].to_pylist() == ["storm"]
