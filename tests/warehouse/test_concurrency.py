"""Two runs started at once end with the same tables as two runs one after the other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

from tests.conftest import REPO
from tests.warehouse.test_store import rejects
from warehouse import Warehouse
from warehouse.schemas import RUNS, STORIES


def ingest_run(root: str, name: str, ids: list[str], go: str | None = None) -> None:
    """Load ids the way a run does: read what is stored, add only new rows, rewrite stories."""
    if go:
        while not Path(go).exists():  # both runs start together
            time.sleep(0.01)
    wh = Warehouse(root)
    with wh.lock(wait_seconds=60):
        stored = set(wh.read("rejects", columns=["reject_id"])["reject_id"].to_pylist())
        time.sleep(0.3)  # a second writer that did not wait would interleave here
        fresh = [i for i in ids if i not in stored]
        total = len(stored) + len(fresh)
        story = {"story_id": "all", "title": "t", "n_articles": total, "n_sources": 1}
        wh.commit(
            f"{name}-1",
            {
                "rejects": rejects(*fresh).set_column(1, "run_id", pa.array([name] * len(fresh))),
                "stories": pa.Table.from_pylist([story], schema=STORIES),
            },
        )
        row = {"run_id": name, "status": "completed", "documents_read": len(ids)}
        wh.commit(f"{name}-run", {"runs": pa.Table.from_pylist([row], schema=RUNS)})


RUN_A = ["x1", "x2", "x3", "shared1", "shared2"]
RUN_B = ["y1", "shared1", "shared2", "y2"]


def tables(root: Path) -> dict[str, list]:
    wh = Warehouse(root)
    return {
        "rejects": sorted(wh.read("rejects", columns=["reject_id"])["reject_id"].to_pylist()),
        "stories": wh.read("stories").drop_columns(["sources"]).to_pylist(),
        "runs": sorted(wh.read("runs", columns=["run_id", "documents_read"]).to_pylist(), key=str),
    }


def test_two_runs_at_once_equal_two_runs_in_a_row(tmp_path):
    serial = tmp_path / "serial"
    ingest_run(str(serial), "a", RUN_A)
    ingest_run(str(serial), "b", RUN_B)

    together = tmp_path / "together"
    go = tmp_path / "go"
    code = (
        "import sys; from tests.warehouse.test_concurrency import ingest_run as r\n"
        "r(sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4])"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(together), name, ",".join(ids), str(go)],
            env=os.environ | {"PYTHONPATH": str(REPO)},
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, ids in (("a", RUN_A), ("b", RUN_B))
    ]
    time.sleep(1.0)  # both processes imported and waiting at the start line
    go.touch()
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    got, want = tables(together), tables(serial)
    assert got == want
    assert got["rejects"] == sorted(set(RUN_A) | set(RUN_B))  # no row twice
    assert got["stories"][0]["n_articles"] == len(set(RUN_A) | set(RUN_B))
