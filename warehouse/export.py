"""Incremental exports: the rows of a table that runs landed after a given run or time.

Every row of an append table carries the `run_id` of the run that loaded it, and the manifest
lists the commits in the order they were published (a run's batches `RUN-00001`, ..., then its
`runs` row `RUN-run`). A run is *settled* once it can land no more rows: at its `RUN-run`
commit, or, for a run that died before recording itself, at the `-run` commit of a run that
started after its last batch. Exports take settled runs in that order, so a job that passes the
`next` cursor of one export to the next gets every row once: none twice, none skipped, whatever
was running meanwhile. `stories` and `entities` are rewritten in place: an export gives the
current rows of those the new articles (mentions) touch, to be upserted by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from warehouse.output import write_batches
from warehouse.schemas import TABLES
from warehouse.store import Snapshot, Warehouse, WarehouseError

# RUN-00001 (a batch), RUN-00001-00002 (a part of one), RUN-run (its runs row).
COMMIT = re.compile(r"\A(?P<run>.+?)-(?:(?P<batch>\d{5}(?:-\d{5})?)|run)\Z")
ONE_PART = re.compile(r"\A(?P<run>.+)-(?P<batch>\d{5})\Z")
# Tables rewritten in place, and the table whose new rows name the keys to export.
TOUCHED_BY = {"stories": ("articles", "story_id"), "entities": ("mentions", "entity_key")}


@dataclass(frozen=True, slots=True)
class Export:
    """What one export wrote."""

    table: str
    rows: int
    runs: list[str]  # the runs exported, in the order they settled
    cursor: str | None  # pass as --since to the next export

    def summary(self, out: Path) -> str:
        """Return the lines to print: what was written, and the next cursor."""
        if len(self.runs) > 1:
            first = f"{len(self.runs)} runs ({self.runs[0]} .. {self.runs[-1]})"
        else:
            first = f"run {self.runs[0]}" if self.runs else "no new runs"
        lines = [f"wrote {self.rows} rows of {self.table} from {first} to {out}"]
        if self.cursor:
            lines.append(f"next: --since {self.cursor}")
        return "\n".join(lines)


def settled_runs(commits: list[str]) -> list[str]:
    """Return the runs that can land no more rows, in the order they settled."""
    first: dict[str, int] = {}
    last_batch: dict[str, int] = {}
    recorded: dict[str, int] = {}
    known = {c.removesuffix("-run") for c in commits if c.endswith("-run")}
    for i, commit in enumerate(commits):
        match = COMMIT.match(commit)
        if not match:  # not a run's commit
            continue
        whole = ONE_PART.match(commit)  # a run id may itself end in -NNNNN (a local pid)
        if whole and whole.group("run") in known:
            match = whole
        run = match.group("run")
        first.setdefault(run, i)
        if match.group("batch"):
            last_batch[run] = i
        else:
            recorded.setdefault(run, i)
    settled: dict[str, int] = dict(recorded)
    for run, last in last_batch.items():
        # Done once a run that started after its last batch recorded itself: a run that died
        # never writes its runs row, and a failed one writes it late (the earlier of the two
        # counts, so a run's place never moves).
        later = [at for other, at in recorded.items() if first[other] > last]
        if later:
            settled[run] = min(later + ([recorded[run]] if run in recorded else []))
    return sorted(settled, key=lambda run: (settled[run], run))


def runs_since(snap: Snapshot, since: str | None) -> tuple[list[str], str | None]:
    """Return the settled runs after a cursor (a run id or an ISO time) and the cursor itself."""
    order = settled_runs(snap.commits)
    if since is None:
        return order, None
    if since in order:
        return order[order.index(since) + 1 :], since
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        raise WarehouseError(
            f"--since {since!r} is neither a settled run of this warehouse nor a time "
            "(YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC): `wiredesk status` lists the runs"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    runs = snap.read("runs", columns=["run_id", "finished_at"]).to_pylist()
    done = {r["run_id"] for r in runs if r["finished_at"] is not None and r["finished_at"] <= when}
    # The cursor of a time: the last run recorded by then; everything settled after it follows.
    before = [i for i, run in enumerate(order) if run in done]
    start = before[-1] + 1 if before else 0
    return order[start:], order[start - 1] if start else None


def rows_of(snap: Snapshot, table: str, runs: list[str]) -> pa.Table:
    """Return a table's rows that the given runs landed (current rows for in-place tables)."""
    if table in TOUCHED_BY:
        source, key = TOUCHED_BY[table]
        keys = snap.read(source, columns=[key], filter=pc.field("run_id").isin(runs))[key]
        keys = pc.unique(pc.drop_null(keys))
        return snap.read(table, filter=pc.field(TABLES[table].key[0]).isin(keys))
    return snap.read(table, filter=pc.field("run_id").isin(runs))


def export(
    root: str | None, table: str, out: Path, since: str | None = None, fmt: str | None = None
) -> Export:
    """Write the rows of table that settled runs landed after since (all when None) to out."""
    if table not in TABLES:
        raise WarehouseError(f"no table {table!r} (tables: {', '.join(TABLES)})")
    warehouse = Warehouse.resolve(root)
    if not warehouse.exists():
        raise WarehouseError(f"no warehouse at {warehouse.root}")
    with warehouse.snapshot() as snap:
        runs, cursor = runs_since(snap, since)
        rows = rows_of(snap, table, runs) if runs else TABLES[table].schema.empty_table()
        reader = pa.RecordBatchReader.from_batches(rows.schema, rows.to_batches())
        written = write_batches(reader, out, fmt)
    return Export(table, written, runs, runs[-1] if runs else cursor)
