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
    warehouse.commit(f"c{len(warehouse.files('raw'))}", {"articles": articles, "raw": batch.raw})
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
