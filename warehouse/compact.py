"""Compaction: merge a table's small files into large ones, published as one new snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from warehouse.schemas import TABLES
from warehouse.store import (
    MERGE_MAX_MUTABLE_BYTES,
    PARQUET,
    Snapshot,
    Warehouse,
    WarehouseError,
    check_additive,
    manifest_copy,
    schema_record,
)

TARGET_BYTES = 128 * 1024 * 1024  # merged files stop growing at about this size


@dataclass(slots=True)
class CompactReport:
    """What a compaction merged."""

    snapshot: int = 0  # the snapshot published, 0 when there was nothing to merge
    files_before: dict[str, int] = field(default_factory=dict)
    files_after: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def plan(snapshot: Snapshot, target_bytes: int = TARGET_BYTES) -> list[list[str]]:
    """Return groups of small files to merge, each within one partition folder of one table."""
    groups: list[list[str]] = []
    sizes = snapshot.sizes() if snapshot.path is not None else {}
    for name, spec in TABLES.items():
        # An upsert rewrites every file holding a changed key: mutable tables stay in small files.
        limit = min(target_bytes, MERGE_MAX_MUTABLE_BYTES) if spec.mutable else target_bytes
        by_folder: dict[str, list[tuple[str, int]]] = {}
        for path in snapshot.files(name):
            size = sizes[snapshot.rel(path)]
            by_folder.setdefault(path.rsplit("/", 1)[0], []).append((path, size))
        for files in by_folder.values():
            group: list[str] = []
            total = 0
            for path, size in files:
                if size >= limit:
                    continue
                if group and total + size > limit:
                    groups.append(group)
                    group, total = [], 0
                group.append(path)
                total += size
            groups.append(group)
    return [g for g in groups if len(g) > 1]


def merged(snapshot: Snapshot, name: str, files: list[str]) -> pa.Table:
    """Read files of a table into one table in the table's sort order."""
    spec = TABLES[name]
    table = ds.dataset(files, schema=spec.schema, format=PARQUET, filesystem=snapshot.fs).to_table()
    expected = sum(snapshot.rows(f) for f in files)
    if table.num_rows != expected:  # never publish a merge that lost or gained rows
        raise WarehouseError(f"{name}: merged {table.num_rows} rows, expected {expected}")
    order = [c for c in (*spec.sort_by, *spec.key) if c in table.column_names]
    return table.sort_by([(c, "ascending") for c in dict.fromkeys(order)]) if order else table


def compact(root: str | Path, target_bytes: int = TARGET_BYTES) -> CompactReport:
    """Merge small files of every table under the writer lock and publish one new snapshot.

    Readers never see a row twice or miss one: the merged files and the files they replace
    live in different snapshots, and readers move from one snapshot to the next in one rename.
    """
    warehouse = Warehouse.resolve(root)
    if not warehouse.exists():
        raise WarehouseError(f"no warehouse at {warehouse.root}")
    with warehouse.transaction():
        base = warehouse.current()
        warehouse.refuse_damaged(base)
        report = CompactReport()
        for name in TABLES:
            report.files_before[name] = len(base.files(name))
        groups = plan(base, target_bytes)
        if not groups:
            report.files_after = dict(report.files_before)
            return report
        writes: list[tuple[str, pa.Table, str]] = []
        dropped: set[str] = set()
        number = base.number + 1
        for index, group in enumerate(groups):
            rels = [base.rel(p) for p in group]
            name = rels[0].split("/", 1)[0]
            check_additive(name, base.manifest["tables"].get(name))  # merging must not drop data
            folder = rels[0].rsplit("/", 1)[0]
            table = merged(base, name, group)
            writes.append((f"{folder}/part-compact-{number:08d}-{index:04d}.parquet", table, name))
            dropped.update(rels)
            report.rows[name] = report.rows.get(name, 0) + table.num_rows
        manifest = manifest_copy(base.manifest)
        manifest["operation"] = f"compact {len(dropped)} files into {len(writes)}"
        for name in {w[2] for w in writes}:
            manifest["tables"][name] = schema_record(TABLES[name])
        published = warehouse.publish(base, writes, dropped.__contains__, manifest)
        report.snapshot = published.number
        for name in TABLES:
            report.files_after[name] = len(published.files(name))
        return report
