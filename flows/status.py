"""What the desk did: per source, the last runs, their counts, rejects, failures, next run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from warehouse.errors import WiredeskError, first_line
from warehouse.query import connect

# A run's wire: the configured source it ran, else the wires it read (runs.sources; the raw
# table for runs recorded before that column).
RUNS_SQL = """
with wires as (
    select run_id, string_agg(distinct source, ',' order by source) as wires
    from raw group by run_id
), named as (
    select r.*, coalesce(r.source, nullif(array_to_string(list_sort(r.sources), ','), ''),
                         w.wires, '-') as wire
    from runs r left join wires w using (run_id)
)
select wire, run_id, started_at, finished_at, status, documents_read, articles_loaded,
       already_loaded, rejects, duplicates, stories_new, quotes, error
from named
qualify row_number() over (partition by wire order by started_at desc) <= ?
order by wire, started_at desc
"""
REJECTS_SQL = """
select run_id, reason, count(*) as n from rejects
where run_id in (select unnest(?::varchar[]))
group by all order by n desc, reason
"""


@dataclass(slots=True)
class SourceStatus:
    """One source: its last runs (newest first), rejects by reason, the next scheduled run."""

    name: str
    runs: list[dict] = field(default_factory=list)
    rejects: dict[str, int] = field(default_factory=dict)
    next_run: datetime | None = None
    schedule: str | None = None  # as the Prefect deployment says, when one is served
    paused: bool = False

    def lines(self) -> list[str]:
        """Return the source's lines as `wiredesk status` prints them."""
        head = self.name
        if self.schedule:
            head += f"  ({self.schedule}{', paused' if self.paused else ''})"
        if self.next_run:
            head += f"  next run {self.next_run:%Y-%m-%d %H:%M} UTC"
        lines = [head]
        if not self.runs:
            lines.append("  no runs yet")
        for run in self.runs:
            lines.append(
                f"  {run['started_at']:%Y-%m-%d %H:%M}  {run['status']:<9} "
                f"read {run['documents_read'] or 0}  loaded {run['articles_loaded'] or 0}  "
                f"rejects {run['rejects'] or 0}  duplicates {run['duplicates'] or 0}  "
                f"quotes {run['quotes'] or 0}  run {run['run_id']}"
            )
            if run["status"] != "completed":
                lines.append(f"    failed: {run['error'] or 'no reason recorded'}")
        if self.rejects:
            reasons = ", ".join(f"{r}={n}" for r, n in self.rejects.items())
            lines.append(f"  rejects in these runs: {reasons}")
        return lines


def desk_status(root: str | None, last: int = 3) -> dict[str, SourceStatus]:
    """Return every source's status from the runs, raw and rejects tables."""
    found: dict[str, SourceStatus] = {}
    with connect(root) as con:
        cursor = con.execute(RUNS_SQL, [last])
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            run = dict(zip(names, row, strict=True))
            found.setdefault(run["wire"], SourceStatus(run["wire"])).runs.append(run)
        wire_of = {run["run_id"]: name for name, s in found.items() for run in s.runs}
        for run_id, reason, n in con.execute(REJECTS_SQL, [list(wire_of)]).fetchall():
            rejects = found[wire_of[run_id]].rejects
            rejects[reason] = rejects.get(reason, 0) + n
    return found


def add_schedules(found: dict[str, SourceStatus], flow_name: str = "wiredesk-ingest") -> None:
    """Add each served source's schedule and next scheduled run from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
    )
    with get_client(sync_client=True) as client:
        flows = FlowFilter(name=FlowFilterName(any_=[flow_name]))
        for deployment in client.read_deployments(flow_filter=flows):
            status = found.setdefault(deployment.name, SourceStatus(deployment.name))
            status.paused = bool(deployment.paused)
            status.schedule = describe_schedules(deployment.schedules) or "on demand"
            upcoming = client.read_flow_runs(
                flow_run_filter=scheduled,
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=1,
            )
            if upcoming and not status.paused:
                status.next_run = upcoming[0].expected_start_time


def describe_schedules(schedules: list) -> str:
    """Return a deployment's schedules in words: cron ... UTC, every ...."""
    said = []
    for item in schedules or []:
        schedule = item.schedule
        if getattr(schedule, "cron", None):
            said.append(f"cron {schedule.cron} UTC")
        elif getattr(schedule, "interval", None):
            said.append(f"every {schedule.interval}")
    return ", ".join(said)


class ScheduleUnreadable(WiredeskError):
    """The Prefect API that serves the sources did not answer."""


def status_text(root: str | None, last: int = 3) -> str:
    """Return the desk's status: sources, runs and, with PREFECT_API_URL, the schedules."""
    found = desk_status(root, last)
    note = "next runs: set PREFECT_API_URL to the server that serves the sources"
    if os.environ.get("PREFECT_API_URL"):
        try:
            add_schedules(found)
        except Exception as err:  # the Prefect API down or refusing: the tables still answer
            raise ScheduleUnreadable(
                f"cannot read the schedules from PREFECT_API_URL: {type(err).__name__}: "
                f"{first_line(err)}"
            ) from err
        note = ""
    if not found:
        return "no runs yet" + (f"\n{note}" if note else "")
    lines = []
    for name in sorted(found):
        lines += found[name].lines()
    return "\n".join(lines + ([note] if note else []))
