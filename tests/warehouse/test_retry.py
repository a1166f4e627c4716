"""A load that fails twice mid-commit and succeeds on its third try equals a clean run."""

from __future__ import annotations

import json

import flows.pipeline as pipeline
import tasks.load
from flows.pipeline import ingest_flow
from tests.conftest import SAMPLE_INBOX
from warehouse import TABLES, Warehouse, store

# Columns that name or time the run itself, so differ between any two runs of the same input.
PER_RUN = {"run_id", "ingested_at", "started_at", "finished_at", "received_at", "raw_id"}


def tables(root) -> dict[str, list[str]]:
    """Return every table's rows, run-specific columns left out, as sorted JSON."""
    wh = Warehouse(root)
    out = {}
    for name in TABLES:
        table = wh.read(name)
        keep = [c for c in table.column_names if c not in PER_RUN]
        rows = table.select(keep).to_pylist()
        out[name] = sorted(json.dumps(r, default=str, sort_keys=True) for r in rows)
    return out


def make_load_flaky(monkeypatch) -> list[int]:
    """Make the first two load attempts die with an I/O error halfway through their commit."""
    attempts: list[int] = []
    real_commit_batch, real_step = tasks.load.commit_batch, store.file_operation

    def commit_batch(*args, **kwargs):
        attempts.append(1)
        failing = len(attempts) <= 2

        def step(label: str) -> None:
            real_step(label)
            if failing and label == "file-renamed":  # some of the batch's files are written
                raise OSError("simulated I/O error mid-commit")

        monkeypatch.setattr(store, "file_operation", step)
        try:
            return real_commit_batch(*args, **kwargs)
        finally:
            monkeypatch.setattr(store, "file_operation", real_step)

    monkeypatch.setattr(tasks.load, "commit_batch", commit_batch)
    # Same retry policy, without the seconds of back-off.
    monkeypatch.setattr(pipeline, "load", tasks.load.load.with_options(retry_delay_seconds=0))
    return attempts


def test_a_load_retried_after_two_failures_equals_a_clean_run(
    prefect_harness, tmp_path, monkeypatch
):
    clean = tmp_path / "clean"
    ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(clean))
    attempts = make_load_flaky(monkeypatch)
    retried = tmp_path / "retried"
    report = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(retried))
    assert len(attempts) == 3  # failed, failed, succeeded
    assert report.counts.articles_loaded == 14
    got, want = tables(retried), tables(clean)
    assert got["articles"] and got == want
