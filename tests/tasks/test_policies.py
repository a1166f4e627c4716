"""Task policies: retries only on I/O errors, cache keys that name a warehouse by its root."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs
import pytest
from prefect import flow, task

from tasks import policies
from warehouse import Warehouse

FAST = {**policies.IO_RETRIES, "retry_delay_seconds": 0, "retry_jitter_factor": None}


def attempts_until_done(error: Exception, failures: int) -> tuple[int, Exception | None]:
    """Run a task that fails `failures` times with error; return its attempts and last error."""
    attempts = []

    @task(**FAST)
    def flaky() -> None:
        attempts.append(1)
        if len(attempts) <= failures:
            raise error

    @flow
    def run() -> None:
        flaky()

    try:
        run()
    except Exception as err:
        return len(attempts), err
    return len(attempts), None


def test_an_io_error_is_retried_until_it_passes(prefect_harness) -> None:
    attempts, error = attempts_until_done(OSError("disk hiccup"), failures=2)
    assert (attempts, error) == (3, None)


def test_io_errors_are_retried_a_bounded_number_of_times(prefect_harness) -> None:
    attempts, error = attempts_until_done(OSError("disk gone"), failures=99)
    assert attempts == 1 + policies.IO_ATTEMPTS
    assert isinstance(error, OSError)


def test_bad_data_fails_at_once(prefect_harness) -> None:
    attempts, error = attempts_until_done(ValueError("not a date"), failures=99)
    assert attempts == 1
    assert isinstance(error, ValueError)


def test_cache_key_names_a_warehouse_by_its_root(tmp_path: Path) -> None:
    def key(warehouse: Warehouse) -> str | None:
        inputs = {"warehouse": warehouse, "n": 1}
        return policies.INPUTS.compute_key(None, inputs, {})  # type: ignore[arg-type]

    plain = key(Warehouse(tmp_path))
    assert plain == key(Warehouse(tmp_path, pafs.LocalFileSystem()))
    assert plain != key(Warehouse(tmp_path / "other"))


@pytest.mark.parametrize(
    "name", ["clean", "extract", "dedup", "entities", "ingest", "select-new", "load"]
)
def test_every_stage_is_cached_by_the_shared_policy(name: str) -> None:
    from tasks.clean import clean
    from tasks.dedup import dedup
    from tasks.entity_index import index_entities
    from tasks.extract import extract
    from tasks.ingest import ingest
    from tasks.load import load, select_new

    stages = [clean, extract, dedup, index_entities, ingest, select_new, load]
    stage = {s.name: s for s in stages}[name]
    assert stage.persist_result
    assert any(isinstance(p, policies.Inputs) for p in stage.cache_policy.policies)


def test_only_io_tasks_retry() -> None:
    from tasks.clean import clean
    from tasks.ingest import discover, ingest, poll
    from tasks.load import load, load_fetches, record, select_new

    for retried in (ingest, select_new, load, load_fetches, record):
        assert retried.retries == policies.IO_ATTEMPTS, retried.name
        assert retried.retry_condition_fn is policies.io_error, retried.name
    for once in (clean, discover, poll):
        assert once.retries == 0, once.name
