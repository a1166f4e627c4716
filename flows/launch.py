"""Run the ingest flow from this process, on a temporary Prefect server unless one is configured."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flows.options import Run
from flows.settings import Settings
from warehouse.errors import WiredeskError

if TYPE_CHECKING:
    from flows.pipeline import RunReport


class NothingToRead(WiredeskError):
    """The paths given hold no document a format reads."""

    exit_code = 2


def launch(planned: Run, settings: Settings) -> RunReport:
    """Run a planned run to its end and return its report; raise with the reason if it fails."""
    files, urls, options = planned.files, planned.urls, planned.options
    missing = [p for p in files if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    from flows.runners import make_task_runner, start_server_early

    # spaCy's workers run in this process
    local = options.task_runner == "threads" and not options.dask_address
    server = start_server_early() if local else None
    from tasks.ingest import list_inputs  # imported by the pipeline anyway, while the server boots

    if files and not list_inputs(files):
        raise NothingToRead(f"no documents found in {', '.join(files)}")
    from prefect import tags
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    from flows.pipeline import ingest_flow, start_workers_early

    if local and (files or not urls):  # the workers load the model while the server starts
        start_workers_early(files or None, settings.warehouse, options)
    api = {}
    if server is not None:  # a flow run must not reach the server before it answers
        server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        api = {PREFECT_API_URL: server.api_url}
    runner = make_task_runner(options.task_runner, options.dask_address)
    with temporary_settings(api), tags(f"source:{options.source or 'inbox'}", "wiredesk"):
        return ingest_flow.with_options(task_runner=runner)(
            paths=[str(Path(p)) for p in files] if files else None,
            warehouse=settings.warehouse,
            urls=urls or None,
            **options.parameters(),
        )
