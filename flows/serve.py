"""Scheduled operation: one Prefect deployment per configured source, served or deployed."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from flows.config import Source
from flows.offline import OFFLINE
from flows.settings import ENVIRONMENT, Settings, build
from warehouse import Warehouse
from warehouse.errors import WiredeskError

if TYPE_CHECKING:  # the flow and Prefect's deployment classes load on first use: see __getattr__
    from prefect import Flow, State
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments.runner import RunnerDeployment

DEFAULT_PORT = 4200
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ServeError(WiredeskError, RuntimeError):
    """Serving cannot start; the message is the one-line reason."""


def served_flow() -> Flow:
    """Return the ingest flow with the task runner the serving process was told to use."""
    from flows.pipeline import ingest_flow, record_failure
    from flows.runners import make_task_runner

    settings = build()  # the serving process handed them on (export_runner)
    runner = make_task_runner(settings.task_runner, settings.dask_address)
    return ingest_flow.with_options(
        task_runner=runner,
        on_running=[announce_start],
        on_completion=[announce_end],
        on_failure=[record_failure, announce_end],
        on_crashed=[announce_end],
        on_cancellation=[announce_end],
    )


def say(line: str) -> None:
    """Print one timestamped line on the serving terminal (a served run's output goes there)."""
    # Written, not printed: inside a run, log_prints would turn a print into a log record.
    sys.stdout.write(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC  {line}\n")
    sys.stdout.flush()


def announce_start(flow: Flow, run: FlowRun, state: State) -> None:
    """Print the line that says a served run started."""
    say(f"start {run.name}  ({run.parameters.get('source') or 'inbox'})")


def announce_end(flow: Flow, run: FlowRun, state: State) -> None:
    """Print the line that says how a served run ended, with its counts or its reason."""
    said = f"end   {run.name}  {state.name.lower()}"
    if state.is_completed():
        counts = state.result().counts
        said += (
            f": read {counts.documents_read}, loaded {counts.articles_loaded}, "
            f"rejects {counts.rejects}, duplicates {counts.duplicates}, quotes {counts.quotes}"
        )
    elif state.message:
        said += f": {str(state.message).splitlines()[0][:300]}"
    say(said)


# Served runs execute in a fresh process that loads `scheduled_ingest` by this entrypoint, so
# the task runner chosen on the `wiredesk serve` command line reaches them by the environment.
ENTRYPOINT = f"{__name__}.scheduled_ingest"


def __getattr__(name: str) -> Flow:
    """Build `scheduled_ingest` on first use, so that importing this module stays cheap."""
    if name != "scheduled_ingest":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    flow = globals()[name] = served_flow()
    return flow


def export_runner(settings: Settings) -> None:
    """Hand the task runner to the processes that serve runs: they are started by Prefect."""
    # The one environment write: Prefect starts each served run in a fresh process that inherits
    # this environment, and builds its settings from it (served_flow).
    for name in ("task_runner", "dask_address"):
        value = getattr(settings, name)
        if value is not None:
            os.environ[ENVIRONMENT[name]] = value


def interval(value: str) -> timedelta:
    """Return the timedelta of an interval such as 90s, 15m, 1h or 1d."""
    match = re.fullmatch(r"(\d+)([smhd])", value)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not an interval: {value!r} (use e.g. 90s, 15m, 1h, 1d)")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def schedule_options(schedule: str | None) -> dict[str, object]:
    """Return the to_deployment keyword for a source's schedule: cron, interval or none."""
    if not schedule:
        return {}
    if re.fullmatch(r"\d+[smhd]", schedule):
        return {"interval": interval(schedule)}
    return {"cron": schedule}


def deployment_parameters(
    source: Source, warehouse: str | None = None, model: str | None = None
) -> dict[str, object]:
    """Return the flow parameters one source's runs use."""
    # Absolute, so runs do not depend on the directory the serving process was started in.
    params: dict[str, object] = {
        "source": source.name,
        "fmt": source.format,
        "warehouse": Warehouse(build(warehouse=warehouse).warehouse).absolute().root,
    }
    if source.urls:
        from tasks.web.credentials import hide  # served runs inherit the credentials it keeps

        params |= {"urls": hide(list(source.urls)), "web": source.web_settings()}
    else:
        params["paths"] = [str(source.path)]
    if model:
        params["model"] = model
    return params


def build_deployments(
    sources: Iterable[Source],
    warehouse: str | None = None,
    model: str | None = None,
    flow: Flow | None = None,
) -> list[RunnerDeployment]:
    """Build one deployment per source: its schedule, parameters, tags and no overlapping runs."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.types.entrypoint import EntrypointType

    served = flow is None
    flow = flow or sys.modules[__name__].scheduled_ingest
    deployments = []
    for source in sources:
        deployment = flow.to_deployment(
            name=source.name,
            description=f"Ingest the {source.kind} {', '.join(source.inputs())} "
            f"({source.format}) as {source.name!r}"
            + (f" on {source.schedule!r}" if source.schedule else ""),
            parameters=deployment_parameters(source, warehouse, model),
            tags=["wiredesk", f"source:{source.name}"],
            # One run per source at a time; a tick that finds the previous run still going is
            # cancelled rather than queued, so a slow run never builds a backlog. Runs of
            # different sources overlap freely: the warehouse lock serialises their writers.
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
            entrypoint_type=EntrypointType.MODULE_PATH,
            **schedule_options(source.schedule),
        )
        if served:
            deployment.entrypoint = ENTRYPOINT
        deployments.append(deployment)
    return deployments


def api_url() -> str:
    """Return the Prefect API URL in use, or raise ServeError when there is none."""
    from prefect.settings import get_current_settings

    url = os.environ.get("PREFECT_API_URL") or get_current_settings().api.url
    if not url:
        raise ServeError(
            "PREFECT_API_URL is not set: schedules need a running Prefect server "
            "(start one with `wiredesk server`, then export "
            f"PREFECT_API_URL=http://127.0.0.1:{DEFAULT_PORT}/api)"
        )
    return url


def choose_sources(sources: dict[str, Source], names: list[str] | None) -> list[Source]:
    """Return the named sources (all when no names are given), or raise ServeError."""
    if not sources:
        raise ServeError("the config lists no sources")
    unknown = [n for n in names or [] if n not in sources]
    if unknown:
        raise ServeError(f"no source {', '.join(unknown)} (sources: {', '.join(sorted(sources))})")
    return [sources[n] for n in names] if names else list(sources.values())


def describe(deployments: list[RunnerDeployment]) -> str:
    """Return one line per deployment: its full name, schedule and paths."""
    lines = []
    for d in deployments:
        schedules = [s.schedule for s in d.schedules or []]
        when = ", ".join(
            f"cron {s.cron} UTC" if hasattr(s, "cron") else f"every {s.interval}" for s in schedules
        )
        where = ", ".join(d.parameters.get("paths") or d.parameters.get("urls") or [])
        lines.append(f"  {d.flow_name}/{d.name:<16} {when or 'on demand':<24} {where}")
    return "\n".join(lines)


def check_server(url: str, timeout: float = 10.0) -> None:
    """Raise ServeError unless the Prefect API at url answers its health check."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as answer:
            if answer.status == 200:
                return
            reason = f"HTTP {answer.status}"
    except OSError as err:
        reason = str(getattr(err, "reason", err))
    raise ServeError(
        f"no Prefect server answers at PREFECT_API_URL={url} ({reason}): start one with "
        "`wiredesk server`, or point PREFECT_API_URL at yours"
    )


def serve_deployments(
    deployments: list[RunnerDeployment], limit: int | None = None, run_now: bool = True
) -> None:
    """Register the deployments, start one run of each now (run_now), then serve until Ctrl-C."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=True, limit=limit)
    ids = [runner.add_deployment(deployment) for deployment in deployments]
    if run_now:  # a desk starts with fresh data, not one whole interval later
        with get_client(sync_client=True) as client:
            for deployment_id in ids:
                client.create_flow_run_from_deployment(deployment_id)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends serving; the runner cleans up
        asyncio.run(runner.start())


def server_command(host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> tuple[list[str], dict]:
    """Return the argv and environment that start the Prefect server and UI."""
    env = OFFLINE | dict(os.environ)
    # The UI asks the API at this address; Prefect assumes port 4200 unless told otherwise.
    env["PREFECT_UI_API_URL"] = f"http://{host}:{port}/api"
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)]
    return argv, env
