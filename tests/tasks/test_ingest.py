from __future__ import annotations

import json
from datetime import UTC, datetime

from tasks.ingest import chunk, list_inputs, parse_date, read_documents


def test_seed_text_form_with_date_line(tmp_path):
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "item-1.txt").write_text("date 2023-06-10\n\nFirst paragraph.\n\nSecond.")
    (wire / "item-2.txt").write_text(" date 2023-06-11 Body on the date line.")
    (wire / "item-3.txt").write_text("No date here.")
    batch = read_documents(list_inputs([tmp_path]))
    by_id = {d.source_item_id: d for d in batch.documents}
    assert set(by_id) == {"item-1", "item-2", "item-3"}
    assert by_id["item-1"].published_at == datetime(2023, 6, 10, tzinfo=UTC)
    assert by_id["item-1"].body.strip().startswith("First paragraph.")
    assert by_id["item-2"].body.strip() == "Body on the date line."
    assert by_id["item-3"].published_at is None
    assert {d.source for d in batch.documents} == {"wire"}


def test_jsonl_records_and_bad_lines(tmp_path):
    good = {
        "id": "g1",
        "source": "acme",
        "title": "T",
        "published_at": "2026-03-03T10:05:00Z",
        "url": "https://x.example/1",
        "body": "Body.",
    }
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps(good) + "\n{not json\n[1, 2]\n\n")
    batch = read_documents([path])
    assert [d.source_item_id for d in batch.documents] == ["g1"]
    doc = batch.documents[0]
    assert (doc.source, doc.title, doc.url) == ("acme", "T", "https://x.example/1")
    assert doc.published_at == datetime(2026, 3, 3, 10, 5, tzinfo=UTC)
    assert [r.reason for r in batch.rejects] == ["bad_json", "bad_json"]
    assert batch.rejects[0].source_item_id == "feed:2"


def test_source_option_overrides_folder_and_record(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"id": "1", "source": "acme", "body": "B"}) + "\n")
    assert read_documents([path], source="seeds").documents[0].source == "seeds"


def test_binary_and_unknown_files_are_rejected(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\xff\xfe" * 10)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    batch = read_documents(list_inputs([tmp_path]))
    assert batch.documents == []
    assert sorted(r.reason for r in batch.rejects) == ["not_text", "unsupported_format"]


def test_hidden_files_are_skipped_and_batches_split(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt", ".hidden.txt"):
        (tmp_path / name).write_text("x")
    files = list_inputs([tmp_path])
    assert [f.name for f in files] == ["a.txt", "b.txt", "c.txt"]
    assert [len(b) for b in chunk(files, 2)] == [2, 1]


def test_parse_date_forms():
    assert parse_date("2023-06-10") == datetime(2023, 6, 10, tzinfo=UTC)
    assert parse_date("2023-06-10T12:00:00+02:00") == datetime(2023, 6, 10, 10, tzinfo=UTC)
    assert parse_date("yesterday") is None
    assert parse_date(None) is None
