"""Resume: a failed run re-run reuses the stages that finished and redoes the rest."""

from __future__ import annotations

import json
import time

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

import tasks.clean
import tasks.dedup
import tasks.entity_index
import tasks.extract
import tasks.ingest
import tasks.load
from flows.pipeline import ingest_flow
from tests.conftest import SAMPLE_INBOX
from warehouse import TABLES, Warehouse

STAGES = ["ingest", "clean", "select-new", "extract", "dedup", "entities", "load"]
PLAIN = {  # the plain function each stage's task calls
    "ingest": (tasks.ingest, "read_documents"),
    "clean": (tasks.clean, "clean_documents"),
    "select-new": (tasks.load, "split_new"),
    "extract": (tasks.extract, "extract_articles"),
    "dedup": (tasks.dedup, "deduplicate_articles"),
    "entities": (tasks.entity_index, "index_mentions"),
    "load": (tasks.load, "commit_batch"),
}
PER_RUN = {"run_id", "ingested_at", "started_at", "finished_at", "received_at", "raw_id"}


def tables(root) -> dict[str, list[str]]:
    """Return every table's rows without the columns that name or time a run."""
    out = {}
    for name in TABLES:
        table = Warehouse(root).read(name)
        keep = [c for c in table.column_names if c not in PER_RUN]
        out[name] = sorted(
            json.dumps(r, default=str, sort_keys=True) for r in table.select(keep).to_pylist()
        )
    return out


def stage_states(flow_run_id, timeout: float = 30.0) -> dict[str, str]:
    """Return the final state name of each stage's task run in a flow run.

    Task-run states reach the server as events, after the flow returns: on a loaded machine the
    last ones can arrive a few seconds late, so wait until every stage is final.
    """
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
        states = {r.name.split("-inbox")[0]: r.state for r in runs if r.state}
        if all(s in states and states[s].is_final() for s in STAGES):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return {name: state.name for name, state in states.items()}


@pytest.fixture(scope="module")
def clean_tables(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(root))
    return tables(root)


@pytest.mark.parametrize("failing", STAGES)
def test_rerun_after_a_stage_failed_redoes_only_that_stage_and_what_follows(
    failing, clean_tables, tmp_path, monkeypatch
):
    module, name = PLAIN[failing]
    real = getattr(module, name)

    def broken(*args, **kwargs):
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(module, name, broken)
    failed = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(tmp_path), return_state=True)
    assert failed.is_failed()
    monkeypatch.setattr(module, name, real)

    resumed = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(tmp_path), return_state=True)
    assert resumed.is_completed()
    states = stage_states(resumed.state_details.flow_run_id)
    position = STAGES.index(failing)
    assert {s: states[s] for s in STAGES[:position]} == dict.fromkeys(STAGES[:position], "Cached")
    assert {s: states[s] for s in STAGES[position:]} == dict.fromkeys(
        STAGES[position:], "Completed"
    )
    resumed_tables = tables(tmp_path)
    runs = resumed_tables.pop("runs")
    assert resumed_tables == {k: v for k, v in clean_tables.items() if k != "runs"}
    completed = [r for r in runs if json.loads(r)["status"] == "completed"]
    assert completed == clean_tables["runs"] and len(runs) == 2  # and the failed run's record
    assert not any((tmp_path / "_work").iterdir())  # staging cleared once all is loaded
