"""Operating the flow: artifacts, failure records, and the Dask task runner."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

import tasks.dedup
from flows.pipeline import ingest_flow
from flows.runners import make_task_runner
from tests.conftest import SAMPLE_INBOX
from warehouse import Warehouse

TABLES = ("articles", "mentions", "quotes", "links", "stories", "rejects")


def snapshot(root) -> dict[str, list[tuple]]:
    """Return every table's rows without run-specific columns, sorted."""
    out = {}
    for name in TABLES:
        table = Warehouse(root).read(name)
        keep = [c for c in table.column_names if c not in {"run_id", "ingested_at"}]
        out[name] = sorted(tuple(map(repr, row.values())) for row in table.select(keep).to_pylist())
    return out


def artifacts(key: str) -> list:
    with get_client(sync_client=True) as client:
        by_key = ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        return client.read_artifacts(artifact_filter=by_key)


def test_run_publishes_summary_table_and_progress_artifacts(prefect_harness, tmp_path):
    report = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(tmp_path), batch_files=5)
    summary = [a for a in artifacts("wiredesk-run-summary") if str(a.flow_run_id) == report.run_id]
    assert summary, "no summary artifact for the run"
    text = summary[0].data
    for heading in ("Rejects by reason", "Stories", "Most-quoted speakers", "Most-named entities"):
        assert heading in text
    assert "Tomas Brandt" in text and "`empty_body`: 2" in text
    assert any(str(a.flow_run_id) == report.run_id for a in artifacts("wiredesk-run-counts"))
    runs = Warehouse(tmp_path).read("runs").to_pylist()
    assert [(r["status"], r["articles_loaded"]) for r in runs] == [("completed", 14)]


def test_failed_run_records_its_reason(prefect_harness, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("dedup exploded")

    monkeypatch.setattr(tasks.dedup, "deduplicate_articles", broken)
    with pytest.raises(RuntimeError, match="dedup exploded"):
        ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(tmp_path))
    runs = Warehouse(tmp_path).read("runs", filter=pc.field("status") == "failed").to_pylist()
    assert len(runs) == 1 and "dedup exploded" in runs[0]["error"]
    assert Warehouse(tmp_path).read("articles").num_rows == 0


def test_dask_runner_gives_the_same_tables_as_threads(prefect_harness, tmp_path):
    threads, dask = tmp_path / "threads", tmp_path / "dask"
    ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(threads), batch_files=4)
    on_dask = ingest_flow.with_options(task_runner=make_task_runner("dask"))
    on_dask(paths=[str(SAMPLE_INBOX)], warehouse=str(dask), batch_files=4)
    assert snapshot(dask) == snapshot(threads)
