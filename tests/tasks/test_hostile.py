"""Hostile and broken input: every document ends as an article or a reject, none is lost."""

from __future__ import annotations

import codecs
import json
import os
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tasks.clean import clean_documents
from tasks.common import Batch
from tasks.ingest import MAX_ITEM_FILE_BYTES, chunk, list_inputs, read_documents, reparse

NOW = datetime(2026, 3, 7, tzinfo=UTC)
STORY = (
    "The harbour board said on Friday that dredging would start next week, so that larger "
    "fishing boats can dock at low tide. Work is expected to last a month."
)
NEWSML = (
    '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:g:{n}" version="1">'
    "<itemMeta><pubStatus qcode='stat:usable'/></itemMeta>"
    "<contentSet><inlineData>{body}</inlineData></contentSet></newsItem>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]>"
    + NEWSML.format(n="bomb", body="&lol9;")
)


def story(kind: str) -> str:
    """Return a distinct article text per kind, so none is a duplicate of another."""
    return f"In the {kind.split('.')[0]} case, {STORY[0].lower()}{STORY[1:]}"


def xxe(target: Path) -> str:
    """Return a NewsML item whose body is an external entity pointing at a local file."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY xxe SYSTEM "file://{target}">]>'
        + NEWSML.format(n="xxe", body="&xxe;")
    )


def build_corpus(inbox: Path, outside: Path) -> dict[str, int]:
    """Write one file (or line) per hostile kind; return the documents each file holds."""
    wire = inbox / "wire"
    wire.mkdir(parents=True)
    secret = outside / "secret.txt"
    secret.write_text("TOP SECRET outside the inbox " * 20)
    files: dict[str, bytes | str] = {
        "empty.txt": b"",
        "whitespace.txt": " \n\t\r\n  \n",
        "binary.txt": bytes(range(256)) * 8,
        "truncated-utf8.txt": (story("truncated-utf8.txt") + " café").encode()[:-1],
        "latin1.txt": (
            "Le café de la gare a rouvert, a dit le maire. " + story("latin1.txt")
        ).encode("latin-1"),
        "cp1252.txt": ("“Smart quotes” – dashes… " + story("cp1252.txt")).encode("cp1252"),
        "utf16-bom.txt": codecs.BOM_UTF16_LE + story("utf16-bom.txt").encode("utf-16-le"),
        "utf16-nobom.txt": story("utf16-nobom.txt").encode("utf-16-le"),
        "mojibake.txt": "“We will act,” the café owner said. ".encode().decode("latin-1")
        + story("mojibake"),
        "nul-bytes.txt": story("nul-bytes.txt").replace(" ", " \x00", 1),
        "malformed.json": '{"id": "x", "body": "unterminated',
        "array.json": json.dumps([{"id": "a1", "body": story("array.json")}, 42, "text"]),
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "ninjs-no-uri.json": json.dumps(
            {"headline": "H", "body_text": story("ninjs-no-uri.json"), "pubstatus": "x"}
        ),
        "ninjs-bad-version.json": json.dumps(
            {"uri": "u:1", "version": "two", "body_text": STORY, "pubstatus": "usable"}
        ),
        "ninjs-withheld.json": json.dumps(
            {"uri": "u:2", "pubstatus": "withheld", "body_text": STORY}
        ),
        "ninjs-kill-unknown.json": json.dumps({"uri": "u:3", "pubstatus": "canceled"}),
        "bomb.xml": BILLION_LAUGHS,
        "xxe.xml": xxe(secret),
        "bad.xml": "<newsItem guid='g' version='1'><itemMeta>",
        "not-newsml.xml": "<catalog><entry/></catalog>",
        "no-guid.xml": NEWSML.replace(' guid="urn:g:{n}"', "").format(body=story("no-guid.xml")),
        "rss-xxe.rss": xxe(secret).replace("newsItem", "rss"),
        "empty-feed.rss": "<rss version='2.0'><channel><title>t</title></channel></rss>",
        "scripts.html": "<html><body>" + "<script>alert('x')</script>" * 500 + "</body></html>",
        "future.jsonl": json.dumps(
            {"id": "f1", "published_at": "2999-01-01", "body": story("future.jsonl")}
        ),
        "bad-date.jsonl": json.dumps(
            {"id": "d1", "published_at": "yesterday-ish", "body": story("bad-date.jsonl")}
        ),
        "dup-ids.jsonl": "\n".join(
            json.dumps({"id": "same", "body": body}) for body in (STORY, STORY + " More.", STORY)
        ),
        "zero-width.txt": story("zero-width.txt").replace("harbour", "har\u200bbour\u202e", 2),
        "numbers.txt": "1234 5678 %%% 42 ### 99.5 " * 10,
        "photo.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
        "ctrl\x07name\x1b[31m.txt": story("ctrl\\x07name\\x1b[31m.txt"),
        "bidi-\u202egnp.txt": story("bidi-\\u202egnp.txt"),
        "..dots..txt": story("dots"),  # a leading dot hides a file, like .DS_Store
        "huge.txt": b"",  # written below, one byte over the single-article limit
    }
    counts = {}
    for name, content in files.items():
        path = wire / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        counts[name] = 1
    counts["array.json"] = 3
    counts["dup-ids.jsonl"] = 3
    del counts["..dots..txt"]  # hidden names are skipped by design, like .DS_Store
    with (wire / "huge.txt").open("wb") as handle:
        handle.truncate(MAX_ITEM_FILE_BYTES + 1)
    # Symbolic links, to a file and a folder outside the inbox: rejected, never followed.
    (wire / "link-to-secret.txt").symlink_to(secret)
    (wire / "link-to-outside").symlink_to(outside, target_is_directory=True)
    counts["link-to-secret.txt"] = counts["link-to-outside"] = 1
    os.mkfifo(wire / "pipe.txt")  # would block a plain open()
    counts["pipe.txt"] = 1
    return counts


def test_every_hostile_document_ends_as_an_article_or_a_reject(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    inbox = tmp_path / "inbox"
    expected = build_corpus(inbox, outside)
    assert len(expected) >= 30
    files = list_inputs([inbox])
    assert len(files) == len(expected)
    started = time.monotonic()
    batch = read_documents(files)
    articles, rejects = clean_documents(batch, NOW)
    assert time.monotonic() - started < 30
    # Nothing lost: every document is an article or a reject.
    assert articles.num_rows + len(rejects) == sum(expected.values())
    reasons = {r.source_item_id: r.reason for r in rejects}
    for item, reason in {
        "empty": "empty_body",
        "whitespace": "empty_body",
        "binary": "not_text",
        "malformed": "bad_json",
        "deep": "bad_json",
        "ninjs-no-uri": "missing_field",
        "u:1": "bad_field",
        "u:2": "withheld",
        "u:3": "withdrawn_unknown",
        "bomb": "unsafe_xml",
        "xxe": "unsafe_xml",
        "rss-xxe": "unsafe_xml",
        "bad": "bad_xml",
        "not-newsml": "unsupported_format",
        "no-guid": "missing_field",
        "empty-feed": "empty_body",
        "scripts": "empty_body",
        "numbers": "not_text",
        "photo": "unsupported_format",
        "huge": "too_large",
        "link-to-secret": "symlink",
        "link-to-outside": "symlink",
        "pipe": "not_regular_file",
        "array:2": "bad_json",
        "array:3": "bad_json",
    }.items():
        assert reasons.get(item) == reason, (item, reasons.get(item))
    assert all(r.detail for r in rejects)
    ids = articles["source_item_id"].to_pylist()
    bodies = dict(zip(ids, articles["body"].to_pylist(), strict=True))
    # Nothing outside the inbox was read.
    assert not any("TOP SECRET" in b for b in bodies.values())
    assert not any("TOP SECRET" in r.detail for r in rejects)
    # Encodings decoded, mojibake repaired, invisible characters gone.
    assert "Le café de la gare" in bodies["latin1"]
    assert bodies["cp1252"].startswith("“Smart quotes” – dashes…")
    assert bodies["utf16-bom"] == story("utf16-bom")
    assert bodies["utf16-nobom"] == story("utf16-nobom")
    assert bodies["mojibake"].startswith("“We will act,” the café owner said.")
    assert bodies["nul-bytes"] == story("nul-bytes")
    assert bodies["zero-width"] == story("zero-width")
    assert bodies["truncated-utf8"].startswith("In the truncated-utf8 case, the harbour board")
    # File names with control and bidi characters are stored without them.
    assert "ctrlname[31m" in bodies and "bidi-gnp" in bodies
    # Future and unparseable dates are dropped, not kept wrong; the article stays.
    dates = dict(zip(ids, articles["published_at"].to_pylist(), strict=True))
    assert dates["f1"] is None and dates["d1"] is None
    # Same id with other text: the next version; same id and same text: a duplicate.
    versions = [v for i, v in zip(ids, articles["version"].to_pylist(), strict=True) if i == "same"]
    assert versions == [1, 2]
    assert reasons["same"] == "duplicate_item"
    # Every document read is archived, those no parser takes included; links and FIFOs are not read.
    formats = dict(zip(batch.raw["path"].to_pylist(), batch.raw["format"].to_pylist(), strict=True))
    assert {"wire/bomb.xml", "wire/latin1.txt", "wire/photo.png"} <= set(formats)
    assert formats["wire/photo.png"] == formats["wire/not-newsml.xml"] == "unknown"
    assert not {"wire/link-to-secret.txt", "wire/pipe.txt", "wire/huge.txt"} & set(formats)
    unknown = next(r for r in batch.raw.to_pylist() if r["path"] == "wire/photo.png")
    assert [r.reason for r in reparse(unknown)] == ["unsupported_format"]


def test_ten_thousand_small_files_stream_in_bounded_batches(tmp_path):
    inbox = tmp_path / "inbox" / "wire"
    inbox.mkdir(parents=True)
    for n in range(10_000):
        (inbox / f"item-{n:05d}.txt").write_text(f"Story number {n}. {STORY}")
    files = list_inputs([inbox.parent])
    batches = chunk(files, 500)
    assert len(batches) == 20 and sum(len(b) for b in batches) == 10_000
    loaded = 0
    peaks = []
    started = time.monotonic()
    for number, files_of_batch in enumerate(batches):
        traced = number in (0, len(batches) - 1)  # tracing is slow: first and last batch only
        if traced:
            tracemalloc.start()
        batch = read_documents(files_of_batch)
        articles, rejects = clean_documents(batch, NOW)
        if traced:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        loaded += articles.num_rows
        assert rejects == []
    assert loaded == 10_000
    # Memory is bounded per batch: the last batch costs what the first did (no build-up),
    # and far less than holding all 10,000 documents.
    assert max(peaks) < 2 * min(peaks) and max(peaks) < 50 * 1024 * 1024
    assert time.monotonic() - started < 120


def test_batches_are_bounded_in_bytes(tmp_path):
    for n in range(5):
        (tmp_path / f"{n}.txt").write_bytes(b"x" * 1000)
    assert [len(b) for b in chunk(list_inputs([tmp_path]), 100, max_bytes=2500)] == [2, 2, 1]


@pytest.mark.parametrize("fmt", ["text", "jsonl", "ninjs", "newsml", "feed", "html"])
def test_forced_format_on_garbage_never_raises(tmp_path, fmt):
    (tmp_path / "g.bin").write_bytes(bytes(range(256)) * 4 + b"<<<{{{")
    batch = read_documents([tmp_path / "g.bin"], fmt=fmt)
    _, rejects = clean_documents(Batch(batch.documents, batch.rejects), NOW)
    assert rejects and all(r.reason for r in rejects)


def test_a_link_earlier_in_a_given_path_is_rejected_not_followed(tmp_path):
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "sub" / "secret.txt").write_text("TOP SECRET outside the inbox " * 20)
    (outside / "note.txt").write_text("TOP SECRET next to it " * 20)
    link = tmp_path / "inbox" / "link"
    link.parent.mkdir()
    link.symlink_to(outside, target_is_directory=True)
    for given in (link / "sub", link / "sub" / "secret.txt", link / "sub" / ".." / "note.txt"):
        assert list_inputs([given]) == [given]  # listed as itself, never walked into
        batch = read_documents(list_inputs([given]))
        assert batch.documents == [] and batch.raw.num_rows == 0, given
        assert [r.reason for r in batch.rejects] == ["symlink"], given


def test_a_given_path_that_is_a_link_is_rejected_not_walked(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET outside the inbox " * 20)
    for name, target in (("dir-link", outside), ("file-link.txt", outside / "secret.txt")):
        link = tmp_path / name
        link.symlink_to(target)
        assert list_inputs([link]) == [link]  # listed as itself, never walked into
        batch = read_documents(list_inputs([link]))
        assert batch.documents == [] and batch.raw.num_rows == 0
        assert [r.reason for r in batch.rejects] == ["symlink"]
