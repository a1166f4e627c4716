"""Compaction merges small files while readers keep seeing every row exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tests.warehouse.test_store import articles, rejects
from warehouse import Warehouse, store
from warehouse.compact import compact


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch):
    monkeypatch.setattr(store, "_FSYNC", False)


def numbered(i: int) -> pa.Table:
    return rejects(f"r{i:04d}")


def test_compact_merges_small_files_per_partition_and_keeps_every_row(tmp_path):
    wh = Warehouse(tmp_path)
    for i in range(6):
        month = datetime(2024, 1 + i % 2, 5, tzinfo=UTC)
        batch = articles(2, month)
        batch = batch.set_column(0, "article_id", pa.array([f"a{i}-0", f"a{i}-1"]))
        wh.commit(f"c{i}", {"articles": batch, "rejects": numbered(i)})
    before = wh.read("articles").sort_by("article_id")
    report = compact(tmp_path)
    assert report.files_before["articles"] == 6 and report.files_after["articles"] == 2
    assert report.files_before["rejects"] == 6 and report.files_after["rejects"] == 1
    assert sorted(p.parent.name for p in map(Path, wh.files("articles"))) == [
        "month=2024-01",
        "month=2024-02",
    ]
    assert wh.read("articles").sort_by("article_id").equals(before)
    assert wh.current().commits == [f"c{i}" for i in range(6)]
    # A retried commit is still recognised after its file was merged away.
    wh.commit("c0", {"rejects": numbered(0)})
    assert wh.read("rejects").num_rows == 6
    assert compact(tmp_path).snapshot == 0  # nothing left to merge


def test_readers_during_compaction_never_see_a_row_twice_or_miss_one(tmp_path):
    wh = Warehouse(tmp_path)
    committed = 0
    for i in range(4):
        wh.commit(f"c{i}", {"rejects": numbered(i)})
        committed += 1
    stop = threading.Event()
    problems: list[str] = []
    seen = {"pinned": 0, "glob": 0, "glob_missing_file": 0}
    floor = [committed]  # rows every read must at least see: commits finished before it began

    def check(ids: list[str], low: int, how: str) -> None:
        n = len(ids)
        if n != len(set(ids)):
            problems.append(f"{how}: a row twice")
        elif sorted(ids) != [f"r{i:04d}" for i in range(n)] or n < low:
            problems.append(f"{how}: rows missing ({n} rows, at least {low})")

    def pinned_reader() -> None:
        while not stop.is_set():
            low = floor[0]
            check(wh.read("rejects", columns=["reject_id"])["reject_id"].to_pylist(), low, "pin")
            seen["pinned"] += 1

    def glob_reader() -> None:
        con = duckdb.connect()
        while not stop.is_set():
            low = floor[0]
            try:
                rows = con.sql(
                    f"select reject_id from read_parquet('{tmp_path}/rejects/*.parquet')"
                ).fetchall()
            except duckdb.IOException as err:  # listed in one snapshot, opened in the next
                assert "No such file" in str(err) or "No files found" in str(err), err
                seen["glob_missing_file"] += 1
                continue
            check([r[0] for r in rows], low, "glob")
            seen["glob"] += 1

    readers = [threading.Thread(target=pinned_reader), threading.Thread(target=glob_reader)]
    for reader in readers:
        reader.start()
    try:
        for round_ in range(6):
            for _ in range(3):
                wh.commit(f"c{committed}", {"rejects": numbered(committed)})
                committed += 1
                floor[0] = committed
            assert compact(tmp_path).snapshot > 0
            assert len(wh.files("rejects")) == 1, round_
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not problems, problems[:5]
    assert seen["pinned"] > 0 and seen["glob"] > 0, seen
    assert wh.read("rejects").num_rows == committed
