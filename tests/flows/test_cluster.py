"""A real Dask cluster on loopback, `dask scheduler` and two `dask worker` processes, writing
to a warehouse on a real S3-compatible server (moto)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import ExitStack

import pytest

from flows.runners import free_port
from tests.conftest import REPO, SAMPLE_INBOX
from tests.flows.test_operations import snapshot


@pytest.fixture
def cluster(prefect_harness, s3, tmp_path):
    """Start a scheduler and two single-threaded workers; yield its address; stop them."""
    from distributed import Client
    from prefect.settings import PREFECT_API_URL

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # The workers report task runs to the same Prefect API as the flow, import wiredesk and
    # reach the object store (AWS_* variables, set by the s3 fixture).
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(REPO)}
    dask = [sys.executable, "-m", "dask"]
    commands = {
        "scheduler": [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port)],
        **{
            f"worker{n}": [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1"]
            for n in range(2)
        },
    }
    with ExitStack() as stack:
        processes = []
        for name, command in commands.items():
            log = stack.enter_context(open(tmp_path / f"{name}.log", "w"))
            processes.append(
                subprocess.Popen(
                    [*command, "--no-dashboard"],
                    env=env,
                    cwd=REPO,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        try:
            with Client(address, timeout=60) as client:
                client.wait_for_workers(2, timeout=90)
                yield address, client
        finally:
            stop(processes)


def stop(processes: list[subprocess.Popen]) -> None:
    """Terminate each process group, and kill what is left after 20 s."""
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def model_loads() -> int:
    """Return how many pipelines this process loaded (run on each worker)."""
    from tasks.components.nlp import load_nlp

    return load_nlp.cache_info().misses


def test_run_on_a_real_cluster_gives_the_tables_of_a_threads_run(cluster, s3, tmp_path):
    address, client = cluster
    threads, on_cluster = tmp_path / "threads", f"s3://{s3.bucket()}/wh"
    base = [sys.executable, "-m", "flows.cli", "run", str(SAMPLE_INBOX), "--batch-files", "4"]
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    for args in (
        ["-w", str(threads), "--n-process", "1"],
        ["-w", str(on_cluster), "--task-runner", "dask", "--dask-address", address],
    ):
        result = subprocess.run(
            [*base, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr[-2000:]
    assert snapshot(on_cluster) == snapshot(threads)
    loads = client.run(model_loads)
    assert sorted(loads.values()) in ([1, 1], [0, 1])  # once per worker that parsed, never more
    assert sum(loads.values()) >= 1
