"""Crash test: SIGKILL a warehouse writer at many points and check what readers see after each.

    .venv/bin/python scripts/crash_test.py              # 50 kill points
    .venv/bin/python scripts/crash_test.py --points 5   # what CI runs (tests/warehouse)
    .venv/bin/python scripts/crash_test.py --fsync      # with production's disk flushes

A worker process loads a deterministic workload (batches of rows for every table in
warehouse.schemas.TABLES, a compaction in between) and is killed with SIGKILL after its N-th file
operation (WIREDESK_FAILPOINT=N): mid-file, between files and tables, before and after the
commit-point rename, while deleting old snapshots. After each kill:

1. every table read with DuckDB ``read_parquet`` over the plain glob, and with pandas over the
   table folder, equals exactly the rows of the commits the warehouse says it holds (no partial,
   duplicate or orphan rows), and those commits are the ones the worker finished, plus at most
   the one it was in;
2. a re-run of the workload completes, leaves no temporary or unpublished files, and every table
   equals the tables of a run that never crashed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

from warehouse import store  # noqa: E402
from warehouse.compact import compact  # noqa: E402
from warehouse.schemas import TABLES  # noqa: E402
from warehouse.store import CURRENT, FAILPOINT_ENV, SNAPSHOTS, Warehouse  # noqa: E402

BATCHES = 4
ROWS = 6  # rows per table per batch
COMPACT_AFTER = 1  # compact once batch 1 is committed, so compaction is killed too
MERGE_FAN_IN = 2  # so the last commit also merges small files (the compacted one and batch 2's)
# Kill-point kinds picked first, so even a short run covers mid-file and the commit point.
PRIORITY = (
    "mid-file",
    "file-renamed",
    "symlink-staged",
    "swapped",
    "link",
    "file-written",
    "collect",
    "snapshot-built",
    "table-link",
    "snapshot-folder",
)


def commit_id(batch: int) -> str:
    """Name a batch's commit."""
    return f"b{batch}"


def value(field: pa.Field, table: str, batch: int, row: int):
    """Return a deterministic value of a field's type for a row of a batch."""
    kind = field.type
    if field.name == "article_id":
        return f"a{batch}-{row}"  # children point at the batch's articles
    if pa.types.is_timestamp(kind):
        spec = TABLES[table]
        fallback = "ingested_at" in spec.schema.names
        if field.name == spec.partition_by_month and row == ROWS - 1 and fallback:
            return None  # falls back to ingested_at's month
        return datetime(2024, 1 + (batch + row) % 3, 1, tzinfo=UTC) + timedelta(hours=row)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return f"{table}-{field.name}-{batch}-{row}"
    if pa.types.is_dictionary(kind):
        return f"{field.name}-{row % 2}"
    if pa.types.is_boolean(kind):
        return row % 2 == 0
    if pa.types.is_integer(kind):
        return batch * 10 + row
    if pa.types.is_floating(kind):
        return row / 4
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return f"{batch}-{row}".encode()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return [value(kind.value_field, table, batch, row + k) for k in range(2)]
    if pa.types.is_struct(kind):  # quotes.segments: a list of {start_char, end_char}
        return {f.name: value(f, table, batch, row) for f in kind.fields}
    raise TypeError(f"no synthetic value for {table}.{field.name}: {kind}")


def batch_rows(table: str, batch: int) -> list[dict]:
    """Return the rows a batch appends to a table (or upserts into a mutable table)."""
    schema = TABLES[table].schema
    if TABLES[table].mutable:  # upserted: the previous batch's key again, and a new one
        return [
            {f.name: value(f, table, batch, b) for f in schema} | {schema[0].name: f"s{b}"}
            for b in range(max(0, batch - 1), batch + 1)
        ]
    return [{f.name: value(f, table, batch, r) for f in schema} for r in range(ROWS)]


def batch_tables(batch: int) -> dict[str, pa.Table]:
    """Return a batch's commit: rows for every table."""
    return {
        name: pa.Table.from_pylist(batch_rows(name, batch), schema=spec.schema)
        for name, spec in TABLES.items()
    }


def workload(root: Path, report=None) -> None:
    """Load every batch, compacting once midway; commits already applied are skipped."""
    wh = Warehouse(root)
    fan_in, store.MERGE_FAN_IN = store.MERGE_FAN_IN, MERGE_FAN_IN
    try:
        for batch in range(BATCHES):
            wh.commit(commit_id(batch), batch_tables(batch))
            if report:
                report(commit_id(batch))
            if batch == COMPACT_AFTER:
                compact(root, target_bytes=1 << 30)
                if report:
                    report("compact")
    finally:
        store.MERGE_FAN_IN = fan_in


def expected_rows(table: str, commits: list[str]) -> list[str]:
    """Return the canonical rows a table holds after the given commits."""
    batches = [int(c[1:]) for c in commits]
    if not batches:
        return []
    if TABLES[table].mutable:  # the last upsert of each key wins
        key = TABLES[table].key[0]
        latest = {row[key]: row for b in sorted(batches) for row in batch_rows(table, b)}
        rows = list(latest.values())
    else:
        rows = [r for b in batches for r in batch_rows(table, b)]
    schema = TABLES[table].schema
    return canonical(pa.Table.from_pylist(rows, schema=schema))


def canonical(table: pa.Table) -> list[str]:
    """Return a table's rows as sorted JSON strings, for exact multiset comparison."""
    rows = table.to_pylist()
    return sorted(json.dumps(r, default=_plain, sort_keys=True) for r in rows)


def _plain(value):
    """Encode values JSON lacks."""
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def read_duckdb(root: Path, table: str) -> list[str]:
    """Read a table as an analyst would: DuckDB read_parquet over the plain glob."""
    import duckdb

    pattern = f"{root}/{table}/**/*.parquet"
    if not glob.glob(pattern, recursive=True):
        return []
    got = duckdb.sql(
        f"select * from read_parquet('{pattern}', union_by_name=true, hive_partitioning=false)"
    ).to_arrow_table()
    schema = TABLES[table].schema
    return canonical(got.select(schema.names).cast(schema))


def read_pandas(root: Path, table: str) -> list[str]:
    """Read a table as an analyst would: pandas over the table's folder."""
    import pandas as pd

    if not glob.glob(f"{root}/{table}/**/*.parquet", recursive=True):
        return []
    frame = pd.read_parquet(root / table)
    schema = TABLES[table].schema
    frame = frame[[c for c in schema.names]]
    return canonical(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))


def applied(root: Path) -> list[str]:
    """Return the commit ids of the published snapshot."""
    return Warehouse(root).current().commits


def check_state(root: Path, commits: list[str]) -> None:
    """Assert every reader sees exactly the rows of these commits in every table."""
    articles = {json.loads(r)["article_id"] for r in expected_rows("articles", commits)}
    for table in TABLES:
        want = expected_rows(table, commits)
        for reader in (read_duckdb, read_pandas):
            got = reader(root, table)
            if got != want:
                extra = len(set(got) - set(want)) + max(0, len(got) - len(set(got)))
                raise AssertionError(
                    f"{table} read by {reader.__name__}: {len(got)} rows, expected {len(want)} "
                    f"({extra} unexpected or duplicate) after commits {commits}"
                )
            if "article_id" in TABLES[table].schema.names and table != "articles":
                orphans = {json.loads(r)["article_id"] for r in got} - articles
                assert not orphans, f"{table}: orphan rows of {sorted(orphans)}"


def leftovers(root: Path) -> list[str]:
    """Return files a finished writer should not leave: temporaries, unpublished snapshots."""
    found = [str(p) for p in root.rglob("*.tmp")]
    current = os.readlink(root / CURRENT).rsplit("/", 1)[-1]
    found += [str(p) for p in (root / SNAPSHOTS).iterdir() if p.name != current]
    return found


def reference(root: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Run the workload without crashing; return its tables and each operation's label."""
    store.step_log = []
    phases: list[tuple[int, str]] = []  # (operations done, what had just finished)
    try:
        workload(root, report=lambda done: phases.append((len(store.step_log), done)))
        labels = list(store.step_log)
    finally:
        store.step_log = None
    names = [commit_id(b) for b in range(BATCHES)]
    names.insert(COMPACT_AFTER + 1, "compact")
    described = []
    for i, label in enumerate(labels):
        phase = next((n for (end, _), n in zip(phases, names, strict=True) if i < end), "end")
        described.append(f"{label} in {'compaction' if phase == 'compact' else 'commit ' + phase}")
    return {t: read_duckdb(root, t) for t in TABLES}, described


def kill_points(labels: list[str], points: int) -> list[int]:
    """Pick distinct 1-based operation numbers: one of each priority kind, then evenly spread."""
    chosen: list[int] = []
    for kind in PRIORITY:
        hits = [i + 1 for i, label in enumerate(labels) if label.split()[0] == kind]
        if hits and len(chosen) < points:
            chosen.append(hits[len(hits) // 2])
    total = len(labels)
    want = min(points, total)
    remaining = want - len(chosen)
    for i in range(remaining):  # evenly over the whole load, nudged past points already taken
        step = 1 + round(i * (total - 1) / max(1, remaining - 1))
        for offset in range(total):
            for candidate in (step + offset, step - offset):
                if 1 <= candidate <= total and candidate not in chosen:
                    chosen.append(candidate)
                    break
            else:
                continue
            break
    return sorted(chosen)


def run_worker(root: Path, failpoint: int) -> tuple[int, list[str]]:
    """Run the workload in a child killed at its failpoint-th operation; return code, finished."""
    env = os.environ | {FAILPOINT_ENV: str(failpoint), "PYTHONPATH": str(REPO)}
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "worker", str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    done = [line.split()[1] for line in child.stdout.splitlines() if line.startswith("done b")]
    if child.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"worker failed ({child.returncode}): {child.stderr[-2000:]}")
    return child.returncode, done


def crash_test(points: int, workdir: Path | None = None, echo=print) -> int:
    """Kill the writer at `points` operations and check readers after each; return points run."""
    base = Path(tempfile.mkdtemp(prefix="wiredesk-crash-", dir=workdir))
    try:
        final, labels = reference(base / "reference")
        chosen = kill_points(labels, points)
        echo(f"reference run: {len(labels)} file operations; killing at {len(chosen)} of them")
        for n, step in enumerate(chosen, start=1):
            root = base / f"kill-{step}"
            code, done = run_worker(root, step)
            assert code == -signal.SIGKILL, f"worker was not killed at operation {step}"
            commits = applied(root) if (root / CURRENT).is_symlink() else []
            sequence = [commit_id(b) for b in range(BATCHES)]
            assert commits == sequence[: len(commits)], f"commits out of order: {commits}"
            assert done == commits[: len(done)] and len(commits) - len(done) <= 1, (
                f"finished {done} but the warehouse holds {commits}"
            )
            check_state(root, commits)
            workload(root)  # the next run: cleans up and completes
            assert applied(root) == sequence
            assert not leftovers(root), f"left behind: {leftovers(root)}"
            for table in TABLES:
                assert read_duckdb(root, table) == final[table], f"{table} differs after re-run"
            echo(
                f"  {n:2d}. killed at operation {step:3d} ({labels[step - 1]:<29}) "
                f"holding {len(commits)} commits: readers exact, re-run equals a clean run"
            )
            shutil.rmtree(root)
        return len(chosen)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the crash test (or, internally, the worker it kills)."""
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["worker"]:
        workload(Path(args[1]), report=lambda c: print(f"done {c}", flush=True))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=50, help="kill points (default 50)")
    parser.add_argument(
        "--fsync",
        action="store_true",
        help="flush to disk as in production (a killed process loses nothing either way: slower)",
    )
    options = parser.parse_args(args)
    if not options.fsync:
        os.environ[store.FSYNC_ENV] = "0"  # for the killed workers
        store._FSYNC = False
    started = time.monotonic()
    ran = crash_test(options.points)
    print(f"crash test passed: {ran} kill points in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
