"""Task runners: threads on one machine, or an existing Dask cluster through prefect-dask."""

from __future__ import annotations

import logging
import os
import threading

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

RUNNERS = ("threads", "dask")


def share_api_with_workers() -> None:
    """Point local worker processes at this process's Prefect API instead of their own."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:  # ephemeral mode: start the temporary server now so workers can reach it
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()
        server.start()
        url = server.api_url
    os.environ["PREFECT_API_URL"] = url  # inherited by the worker processes started next


def start_server_early() -> threading.Thread | None:
    """Start Prefect's temporary server in the background; join the thread before a flow runs.

    Without PREFECT_API_URL the first flow run starts a server and waits seconds for it; started
    here, it boots on the other core while this process imports the pipeline.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    # The flow run reuses this instance: SubprocessASGIServer() is one server per process.
    thread = threading.Thread(target=SubprocessASGIServer().start, daemon=True)
    thread.start()
    return thread


def make_task_runner(kind: str, dask_address: str | None = None) -> TaskRunner:
    """Return the task runner for a kind: 'threads' (default) or 'dask'."""
    if kind == "threads":
        if dask_address:
            raise ValueError("--dask-address needs --task-runner dask")
        return ThreadPoolTaskRunner(max_workers=2)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:  # workers of a remote cluster need PREFECT_API_URL set themselves
            return DaskTaskRunner(address=dask_address)
        share_api_with_workers()
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        logging.getLogger("distributed").setLevel(logging.WARNING)
        # A local cluster of worker processes: each loads the spaCy pipeline once.
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True}
        )
    raise ValueError(f"unknown task runner {kind!r}; choose one of {', '.join(RUNNERS)}")
