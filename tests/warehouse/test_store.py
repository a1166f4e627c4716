from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pytest

from warehouse import SchemaMismatch, Warehouse, WarehouseLocked, empty
from warehouse.schemas import REJECTS, STORIES
from warehouse.store import COMMIT_MARKER, STAGING


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
    months = sorted(p.parent.name for p in wh.files("articles"))
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


def test_mutable_table_is_swapped_whole(tmp_path):
    wh = Warehouse(tmp_path)
    story = {"story_id": "s1", "title": "t", "n_articles": 1, "n_sources": 1, "sources": ["w"]}
    wh.commit("c1", {"stories": pa.Table.from_pylist([story], schema=STORIES)})
    wh.commit("c2", {"stories": pa.Table.from_pylist([story | {"n_articles": 2}], schema=STORIES)})
    assert wh.read("stories")["n_articles"].to_pylist() == [2]
    assert len(wh.files("stories")) == 1


def test_recover_discards_unmarked_and_finishes_marked_commits(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("done", {"rejects": rejects("a")})
    # A commit that died before its marker: staged files only.
    dead = tmp_path / STAGING / "dead"
    dead.mkdir(parents=True)
    (dead / "rejects__part-dead.parquet").write_bytes(b"partial")
    # A commit that died after its marker, before publishing: replay it.
    wh._publish = lambda unit: None  # simulate a crash right after the marker
    wh.commit("marked", {"rejects": rejects("b")})
    del wh._publish
    assert wh.read("rejects")["reject_id"].to_pylist() == ["a"]
    assert (tmp_path / STAGING / "marked" / COMMIT_MARKER).exists()
    wh.recover()
    assert sorted(wh.read("rejects")["reject_id"].to_pylist()) == ["a", "b"]
    assert not (tmp_path / STAGING / "dead").exists()


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
        with pytest.raises(WarehouseLocked), Warehouse(tmp_path).lock():
            pass
    finally:
        holder.kill()
        holder.wait()
    with Warehouse(tmp_path).lock():  # released when its holder died
        pass
