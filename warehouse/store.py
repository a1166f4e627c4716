"""Parquet storage: atomic commits, a single-writer lock, readers."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from warehouse.schemas import TABLES, TableSpec

STAGING = "_staging"
COMMIT_MARKER = "_COMMITTED"
LOW_CARDINALITY = {
    "source",
    "language",
    "label",
    "quote_type",
    "relation",
    "method",
    "stage",
    "reason",
    "status",
    "cue",
}
ROW_GROUP_ROWS = 128 * 1024


class WarehouseError(RuntimeError):
    """A warehouse operation that cannot go on."""


class SchemaMismatch(WarehouseError):
    """Data that does not match its table's schema."""


class WarehouseLocked(WarehouseError):
    """Another run holds the warehouse."""


def conform(name: str, table: pa.Table) -> pa.Table:
    """Return the table with exactly its declared schema, or raise SchemaMismatch."""
    schema = TABLES[name].schema
    missing = [f.name for f in schema if f.name not in table.column_names]
    extra = [c for c in table.column_names if c not in schema.names]
    if missing or extra:
        raise SchemaMismatch(f"{name}: missing columns {missing}, unexpected columns {extra}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise SchemaMismatch(f"{name}: {err}") from err


def month_of(table: pa.Table, column: str) -> pa.Array:
    """Return the YYYY-MM partition value of each row (ingested_at when the column is null)."""
    when = pc.coalesce(table[column], table["ingested_at"])
    return pc.strftime(when, format="%Y-%m")


class Warehouse:
    """A folder of Parquet tables, one subfolder per table."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """Return the folder of a table."""
        return self.root / name

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the single-writer lock; the OS releases it if the process dies."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held for the block
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WarehouseLocked(
                            f"another wiredesk run is writing to {self.root}; try again later"
                        ) from None
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            self.recover()
            yield
        finally:
            handle.close()

    def recover(self) -> None:
        """Finish commits that were marked done and discard those that were not."""
        staging = self.root / STAGING
        if not staging.exists():
            return
        for unit in sorted(staging.iterdir()):
            if (unit / COMMIT_MARKER).exists():
                self._publish(unit)
            else:
                shutil.rmtree(unit, ignore_errors=True)

    def commit(self, commit_id: str, tables: dict[str, pa.Table]) -> None:
        """Write tables as one atomic unit: staged, marked committed, then renamed into place."""
        unit = self.root / STAGING / commit_id
        shutil.rmtree(unit, ignore_errors=True)
        unit.mkdir(parents=True)
        plan: list[dict[str, str]] = []
        for name, table in tables.items():
            spec = TABLES[name]
            table = conform(name, table)
            if table.num_rows == 0 and not spec.mutable:
                continue
            for rel, part in self._split(spec, commit_id, table):
                staged = unit / rel.replace("/", "__")
                _write_parquet(part, staged)
                plan.append({"staged": staged.name, "target": rel, "table": name})
        order = {"runs": 2, "articles": 1}  # articles after their children, the run record last
        plan.sort(key=lambda step: order.get(step["table"], 0))
        (unit / "plan.json").write_text(json.dumps(plan))
        _fsync_dir(unit)
        _atomic_write_bytes(unit / COMMIT_MARKER, b"ok")
        self._publish(unit)

    def _split(
        self, spec: TableSpec, commit_id: str, table: pa.Table
    ) -> Iterator[tuple[str, pa.Table]]:
        if spec.mutable:
            yield f"{spec.name}/{spec.name}.parquet", table
            return
        if spec.sort_by:
            table = table.sort_by([(c, "ascending") for c in spec.sort_by])
        if spec.partition_by_month is None:
            yield f"{spec.name}/part-{commit_id}.parquet", table
            return
        months = month_of(table, spec.partition_by_month)
        for month in pc.unique(months).to_pylist():
            part = table.filter(pc.equal(months, month))
            yield f"{spec.name}/month={month}/part-{commit_id}.parquet", part

    def _publish(self, unit: Path) -> None:
        plan = json.loads((unit / "plan.json").read_text())
        for step in plan:
            staged = unit / step["staged"]
            target = self.root / step["target"]
            if staged.exists():  # absent when an earlier publish got this far
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
                _fsync_dir(target.parent)
        shutil.rmtree(unit, ignore_errors=True)

    # -- reading -----------------------------------------------------------------------------

    def files(self, name: str) -> list[Path]:
        """Return the committed data files of a table."""
        folder = self.path(name)
        if not folder.exists():
            return []
        return sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith("."))

    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        filter: pc.Expression | None = None,
    ) -> pa.Table:
        """Read the committed rows of a table with its declared schema."""
        spec = TABLES[name]
        files = self.files(name)
        if not files:
            table = spec.schema.empty_table()
            return table.select(columns) if columns else table
        dataset = ds.dataset(
            [str(f) for f in files],
            schema=spec.schema,
            format="parquet",
            partitioning=None,
        )
        return dataset.to_table(columns=columns, filter=filter)

    def read_pandas(self, name: str, columns: list[str] | None = None):
        """Read a table as a pandas DataFrame."""
        return self.read(name, columns=columns).to_pandas()


def _write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as sink:
        pq.write_table(
            table,
            sink,
            compression="zstd",
            use_dictionary=[c for c in table.column_names if c in LOW_CARDINALITY],
            row_group_size=ROW_GROUP_ROWS,
        )
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(tmp, path)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as sink:
        sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
