"""Incremental exports: each row once across exports, whatever runs were doing meanwhile."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse import Warehouse
from warehouse.export import export, settled_runs
from warehouse.schemas import ARTICLES, QUOTES, RUNS, STORIES
from warehouse.store import WarehouseError

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def batch(wh: Warehouse, run: str, n: int, quotes: int) -> None:
    """Commit one batch of a run: its articles (story s-RUN) and quotes."""
    articles = [{"article_id": f"{run}-{n}-{i}", "source": "w", "story_id": f"s-{run}",
                 "ingested_at": T0, "run_id": run} for i in range(2)]  # fmt: skip
    rows = [{"article_id": f"{run}-{n}-0", "quote_idx": i, "text": f"{run} said {i}",
             "run_id": run} for i in range(quotes)]  # fmt: skip
    story = {"story_id": f"s-{run}", "title": run, "n_articles": 2 * n}
    wh.commit(f"{run}-{n:05d}", {
        "articles": pa.Table.from_pylist(articles, schema=ARTICLES),
        "quotes": pa.Table.from_pylist(rows, schema=QUOTES),
        "stories": pa.Table.from_pylist([story], schema=STORIES),
    })  # fmt: skip


def recorded(wh: Warehouse, run: str, finished: datetime) -> None:
    """Commit a run's runs row, as the flow does at its end."""
    row = {"run_id": run, "started_at": finished, "finished_at": finished, "status": "completed"}
    wh.commit(f"{run}-run", {"runs": pa.Table.from_pylist([row], schema=RUNS)})


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_exports_since_the_last_cursor_give_every_row_once(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    batch(wh, "A", 1, 3)
    batch(wh, "A", 2, 2)
    recorded(wh, "A", T0)
    first = export(wh.root, "quotes", tmp_path / "1.jsonl")
    assert (first.rows, first.runs, first.cursor) == (5, ["A"], "A")

    batch(wh, "B", 1, 4)  # B is still running: its rows wait for its runs row
    second = export(wh.root, "quotes", tmp_path / "2.jsonl", since=first.cursor)
    assert (second.rows, second.runs, second.cursor) == (0, [], "A")
    assert (tmp_path / "2.jsonl").read_text() == ""

    batch(wh, "B", 2, 1)
    recorded(wh, "B", T0.replace(hour=7))
    batch(wh, "C", 1, 2)  # C dies: it never records itself
    batch(wh, "D", 1, 1)
    recorded(wh, "D", T0.replace(hour=9))
    third = export(wh.root, "quotes", tmp_path / "3.jsonl", since=second.cursor)
    assert (third.runs, third.cursor) == (["B", "C", "D"], "D")

    exported = [q for n in (1, 2, 3) for q in lines(tmp_path / f"{n}.jsonl")]
    keys = [(q["article_id"], q["quote_idx"]) for q in exported]
    stored = wh.read("quotes").to_pylist()
    assert len(keys) == len(set(keys)) == len(stored) == 13  # all once, none twice
    nothing = export(wh.root, "quotes", tmp_path / "4.jsonl", since=third.cursor)
    assert (nothing.rows, nothing.cursor) == (0, "D")


def test_since_a_time_starts_after_the_last_run_recorded_by_then(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    for hour, run in ((6, "A"), (8, "B"), (10, "C")):
        batch(wh, run, 1, 1)
        recorded(wh, run, T0.replace(hour=hour))
    done = export(wh.root, "quotes", tmp_path / "q.parquet", since="2026-03-01T08:30")
    assert done.runs == ["C"] and pq.read_table(tmp_path / "q.parquet")["run_id"].to_pylist() == [
        "C"
    ]
    assert export(wh.root, "quotes", tmp_path / "a.csv", since="2026-03-01").rows == 3


def test_stories_export_the_current_rows_new_articles_touch(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    batch(wh, "A", 1, 0)
    recorded(wh, "A", T0)
    batch(wh, "B", 1, 0)
    batch(wh, "B", 2, 0)  # B's story is upserted twice: the export has its latest row
    recorded(wh, "B", T0.replace(hour=7))
    done = export(wh.root, "stories", tmp_path / "s.json", since="A")
    rows = json.loads((tmp_path / "s.json").read_text())
    assert done.runs == ["B"] and [(r["story_id"], r["n_articles"]) for r in rows] == [("s-B", 4)]


def test_an_unknown_cursor_or_table_is_refused(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    batch(wh, "A", 1, 1)
    with pytest.raises(WarehouseError, match="neither a settled run"):
        export(wh.root, "quotes", tmp_path / "q.jsonl", since="A")  # not recorded yet
    with pytest.raises(WarehouseError, match="no table 'quote'"):
        export(wh.root, "quote", tmp_path / "q.jsonl")


def test_runs_settle_in_commit_order_and_other_commits_are_not_runs():
    commits = ["A-00001", "A-run", "compact-1", "B-00001", "B-00001-00002", "C-00001", "C-run",
               "B-run"]  # fmt: skip
    # B's batches end before C starts, so C's runs row settles B: B's own, later, moves nothing.
    assert settled_runs(commits) == ["A", "B", "C"]
    assert settled_runs(["A-00001", "B-00001"]) == []  # B may still be running
