from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse import SchemaMismatch, Warehouse, WarehouseLocked, empty, store
from warehouse.schemas import REJECTS, STORIES, TABLES
from warehouse.store import CURRENT, SNAPSHOTS


def stories(*rows: tuple[str, int]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"story_id": s, "title": "t", "n_articles": n} for s, n in rows], schema=STORIES
    )


def rejects(*ids: str) -> pa.Table:
    return pa.table(
        {
            "reject_id": list(ids),
            "run_id": ["r1"] * len(ids),
            "source": ["w"] * len(ids),
            "source_item_id": list(ids),
            "stage": ["clean"] * len(ids),
            "reason": ["empty_body"] * len(ids),
            "detail": [""] * len(ids),
        },
        schema=REJECTS,
    )


def articles(n: int, published: datetime | None) -> pa.Table:
    table = empty("articles")
    rows = [
        {
            "article_id": f"a{i}",
            "source": "w",
            "source_item_id": str(i),
            "published_at": published,
            "ingested_at": datetime(2026, 1, 2, tzinfo=UTC),
            "body": "text",
            "body_hash": "h",
            "word_count": 1,
        }
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows, schema=table.schema)


def test_commit_then_read_back_with_pandas_and_duckdb(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("x", "y")})
    assert sorted(wh.read("rejects")["reject_id"].to_pylist()) == ["x", "y"]
    assert len(wh.read_pandas("rejects")) == 2
    got = duckdb.sql(
        f"select count(*) from read_parquet('{tmp_path}/rejects/*.parquet')"
    ).fetchone()
    assert got == (2,)


def test_articles_are_partitioned_by_month_with_ingest_fallback(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit(
        "c1",
        {
            "articles": pa.concat_tables(
                [articles(2, datetime(2023, 6, 10, tzinfo=UTC)), articles(1, None)]
            )
        },
    )
    months = sorted(p.parent.name for p in map(Path, wh.files("articles")))
    assert months == ["month=2023-06", "month=2026-01"]
    rows = duckdb.sql(
        f"select month, count(*) from read_parquet('{tmp_path}/articles/**/*.parquet', "
        "hive_partitioning=true) group by month order by month"
    ).fetchall()
    assert rows == [("2023-06", 2), ("2026-01", 1)]


def test_schema_mismatch_is_refused(tmp_path):
    bad = rejects("x").drop_columns(["reason"])
    with pytest.raises(SchemaMismatch, match="reason"):
        Warehouse(tmp_path).commit("c1", {"rejects": bad})
    assert Warehouse(tmp_path).read("rejects").num_rows == 0


def test_recommit_of_the_same_unit_does_not_duplicate(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("x")})
    wh.commit("c1", {"rejects": rejects("x")})
    assert wh.read("rejects").num_rows == 1


def test_a_mutable_row_is_replaced_by_its_key(tmp_path):
    wh = Warehouse(tmp_path)
    story = {"story_id": "s1", "title": "t", "n_articles": 1, "n_sources": 1, "sources": ["w"]}
    wh.commit("c1", {"stories": pa.Table.from_pylist([story], schema=STORIES)})
    wh.commit("c2", {"stories": pa.Table.from_pylist([story | {"n_articles": 2}], schema=STORIES)})
    assert wh.read("stories")["n_articles"].to_pylist() == [2]
    assert len(wh.files("stories")) == 1


def test_lock_is_exclusive_across_processes(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from warehouse import Warehouse\n"
            f"with Warehouse({str(tmp_path)!r}).lock():\n"
            " print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": os.getcwd()},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLocked, match="gave up"), Warehouse(tmp_path).lock(0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    with Warehouse(tmp_path).lock():  # released when its holder died
        pass


def test_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from warehouse import Warehouse\n"
            f"with Warehouse({str(tmp_path)!r}).lock():\n"
            " print('held', flush=True); time.sleep(0.8)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": os.getcwd()},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        Warehouse(tmp_path).commit("c1", {"rejects": rejects("x")})
        assert time.monotonic() - started > 0.3  # it waited for the holder to finish
        assert holder.wait(10) == 0
    finally:
        holder.kill()
        holder.wait()
    assert Warehouse(tmp_path).read("rejects").num_rows == 1


def test_every_table_has_a_stable_reader_path_into_the_current_snapshot(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("x")})
    wh.commit("c2", {"rejects": rejects("y")})
    assert os.readlink(tmp_path / CURRENT) == f"{SNAPSHOTS}/00000002"
    for name in TABLES:
        assert os.readlink(tmp_path / name) == f"{CURRENT}/{name}"
    # Superseded snapshots are deleted once no reader pins them; files are shared hard links.
    assert sorted(p.name for p in (tmp_path / SNAPSHOTS).iterdir()) == ["00000002"]
    assert wh.current().commits == ["c1", "c2"]


def test_a_commit_that_fails_midway_changes_nothing_and_leaves_no_files(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("a")})
    real_step = store.file_operation

    def failing(label: str) -> None:
        real_step(label)
        if label == "mid-file":
            raise OSError("disk full")

    monkeypatch.setattr(store, "file_operation", failing)
    with pytest.raises(OSError, match="disk full"):
        wh.commit("c2", {"rejects": rejects("b"), "articles": articles(2, None)})
    assert wh.read("rejects")["reject_id"].to_pylist() == ["a"]
    assert wh.read("articles").num_rows == 0
    assert sorted(p.name for p in (tmp_path / SNAPSHOTS).iterdir()) == ["00000001"]
    assert not list(tmp_path.rglob("*.tmp"))
    monkeypatch.setattr(store, "file_operation", real_step)
    wh.commit("c2", {"rejects": rejects("b")})  # the retry goes through
    assert sorted(wh.read("rejects")["reject_id"].to_pylist()) == ["a", "b"]


def test_recover_deletes_what_a_dead_writer_left(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("a")})
    dead = tmp_path / SNAPSHOTS / "00000002"  # built, never published
    (dead / "rejects").mkdir(parents=True)
    (dead / "rejects" / ".part-c2.parquet.tmp").write_bytes(b"partial")
    (tmp_path / f".{CURRENT}.tmp").symlink_to(f"{SNAPSHOTS}/00000002")
    assert wh.read("rejects")["reject_id"].to_pylist() == ["a"]
    wh.recover()
    assert not dead.exists() and not (tmp_path / f".{CURRENT}.tmp").is_symlink()
    wh.commit("c2", {"rejects": rejects("b")})
    assert sorted(wh.read("rejects")["reject_id"].to_pylist()) == ["a", "b"]


def test_a_pinned_snapshot_survives_later_commits(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("a")})
    with wh.snapshot() as pinned:
        wh.commit("c2", {"rejects": rejects("b")})
        wh.commit("c3", {"rejects": rejects("c")})
        assert pinned.read("rejects")["reject_id"].to_pylist() == ["a"]
    wh.commit("c4", {"rejects": rejects("d")})
    assert sorted(p.name for p in (tmp_path / SNAPSHOTS).iterdir()) == ["00000004"]


def test_files_carry_schema_version_zstd_dictionaries_and_time_order(tmp_path):
    wh = Warehouse(tmp_path)
    times = [datetime(2023, 6, d, tzinfo=UTC) for d in (20, 3, 11)]
    table = pa.concat_tables([articles(1, t) for t in times])
    wh.commit("c1", {"articles": table})
    (path,) = [Path(p) for p in wh.files("articles")]
    meta = pq.ParquetFile(path)
    kv = meta.schema_arrow.metadata
    assert kv[b"wiredesk.table"] == b"articles"
    assert int(kv[b"wiredesk.schema_version"]) == TABLES["articles"].version
    column = meta.metadata.row_group(0).column(meta.schema_arrow.get_field_index("source"))
    assert column.compression == "ZSTD"
    assert "RLE_DICTIONARY" in column.encodings or "PLAIN_DICTIONARY" in column.encodings
    assert pq.read_table(path)["published_at"].to_pylist() == sorted(times)


def test_appends_that_would_drop_or_retype_a_stored_column_are_refused(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"rejects": rejects("a")})
    spec = TABLES["rejects"]
    narrowed = pa.schema([f for f in spec.schema if f.name != "detail"])
    monkeypatch.setitem(TABLES, "rejects", replace(spec, schema=narrowed))
    with pytest.raises(SchemaMismatch, match="only add columns"):
        wh.commit("c2", {"rejects": rejects("b").drop_columns(["detail"])})
    retyped = narrowed.append(pa.field("detail", pa.int64()))
    monkeypatch.setitem(TABLES, "rejects", replace(spec, schema=retyped))
    bad = rejects("b").drop_columns(["detail"]).append_column("detail", pa.array([1]))
    with pytest.raises(SchemaMismatch, match="only add columns"):
        wh.commit("c2", {"rejects": bad})
    # Adding a column is fine; old files read it as null.
    widened = spec.schema.append(pa.field("note", pa.string()))
    monkeypatch.setitem(TABLES, "rejects", replace(spec, schema=widened, version=spec.version + 1))
    wh.commit("c2", {"rejects": rejects("b").append_column("note", pa.array(["n"]))})
    got = wh.read("rejects").sort_by("reject_id")
    assert got["note"].to_pylist() == [None, "n"]


def test_a_warehouse_in_the_old_staging_layout_is_migrated(tmp_path):
    old = tmp_path / "rejects"
    old.mkdir()
    pq.write_table(rejects("a"), old / "part-c0.parquet")
    Warehouse(tmp_path).commit("c1", {"rejects": rejects("b")})
    assert (tmp_path / "rejects").is_symlink()
    got = duckdb.sql(f"select reject_id from read_parquet('{tmp_path}/rejects/*.parquet')")
    assert sorted(r[0] for r in got.fetchall()) == ["a", "b"]


def test_an_upsert_rewrites_only_the_files_holding_its_keys(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"stories": stories(("s1", 1), ("s2", 1))})
    wh.commit("c2", {"stories": stories(("s3", 1))})
    untouched = {p.name: p.stat().st_ino for p in map(Path, wh.files("stories"))}["part-c2.parquet"]
    wh.commit("c3", {"stories": stories(("s1", 2), ("s4", 1))})
    files = {p.name: p.stat().st_ino for p in map(Path, wh.files("stories"))}
    assert files["part-c2.parquet"] == untouched  # the same file, linked, never rewritten
    assert sorted(files) == ["part-c2.parquet", "part-c3-k0000.parquet", "part-c3.parquet"]
    got = duckdb.sql(
        f"select story_id, n_articles from read_parquet('{tmp_path}/stories/*.parquet') "
        "order by story_id"
    ).fetchall()
    assert got == [("s1", 2), ("s2", 1), ("s3", 1), ("s4", 1)]  # one row per story


def test_small_files_are_merged_by_tier_so_their_number_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "MERGE_FAN_IN", 3)
    wh = Warehouse(tmp_path)
    counts = []
    for i in range(30):
        wh.commit(f"c{i:02d}", {"rejects": rejects(*(f"r{i}-{k}" for k in range(5)))})
        counts.append(len(wh.files("rejects")))
    assert max(counts) <= 4  # three files of a tier become one; tiny files stay in tier 0
    assert any("-m00" in p.name for p in map(Path, wh.files("rejects")))
    got = duckdb.sql(
        "select count(*), count(distinct reject_id) "
        f"from read_parquet('{tmp_path}/rejects/*.parquet')"
    ).fetchone()
    assert got == (150, 150)
    assert wh.current().commits == [f"c{i:02d}" for i in range(30)]
