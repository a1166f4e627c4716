"""Repair a warehouse whose committed files were damaged: keep what verifies, drop what cannot be
read, and take out the rows that depended on what was lost, so that re-running the same input
brings it back.

What a repair does, in order, under the writer lock:

1. A lost commit point is restored first (warehouse/heads.py), deleting nothing.
2. Each file the check finds damaged is decoded whole (page checksums, raw content hashes). A
   file that decodes, says it belongs to its table, and still matches its entry in size and tail
   or in rows was not damaged: its manifest entry was, and the entry is measured again. Any other
   damaged file is left out of the next snapshot, and its rows are counted as lost.
3. Rows of other tables that belong to articles no longer there (mentions, quotes, links,
   signatures: by their ``article_id``) are taken out, and so are the ``raw`` rows of the runs that
   wrote those articles that no remaining article refers to: the raw archive is what tells a run
   an input was read before, so without them the same input is read and loaded again.
4. Stray files and symlinks in table folders are left out (never in a manifest).

``stories`` and ``entities`` are aggregates: their counts keep the lost articles until the next
articles of those stories and entities are loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.check import LEFT_OUT, inspect
from warehouse.heads import SET_ASIDE, restore
from warehouse.schemas import TABLES
from warehouse.store import (
    METADATA_TABLE,
    FileEntry,
    Problem,
    Snapshot,
    Warehouse,
    WarehouseError,
    entry_of,
    manifest_copy,
    plural,
    read_file,
)
from warehouse.verify import decode_problem

CHILDREN = ("mentions", "quotes", "links", "signatures")  # rows keyed by an article_id
COMMIT_FILE = re.compile(r"^part-(?P<run>.+)-\d{5}(?:-\d{5})?\.parquet$")


@dataclass(slots=True)
class RepairReport:
    """What a repair changed: the commit point, manifest entries, files and rows left out."""

    snapshot: int = 0  # 0: nothing to repair
    pointer: list[str] = field(default_factory=list)  # how a lost commit point was restored
    corrected: list[Problem] = field(default_factory=list)  # intact files, entries measured again
    dropped: list[Problem] = field(default_factory=list)
    rows_lost: dict[str, int] = field(default_factory=dict)  # by file
    dependents: dict[str, int] = field(default_factory=dict)  # rows taken out, by table
    strays: list[Problem] = field(default_factory=list)
    set_aside: str | None = None  # where copies of the dropped files were kept

    def lost_by_table(self) -> dict[str, int]:
        """Return the rows lost per table."""
        lost: dict[str, int] = {}
        for p in self.dropped:
            lost[p.table] = lost.get(p.table, 0) + self.rows_lost[p.rel]
        return lost

    def lines(self) -> list[str]:
        """Return one line per change."""
        out = list(self.pointer)
        out += [f"kept {p.rel} (its content verifies; corrected its manifest entry: {p.detail})"
                for p in self.corrected]  # fmt: skip
        out += [
            f"dropped {p.rel} ({p.kind}; {self.rows_lost[p.rel]} rows lost)" for p in self.dropped
        ]
        out += [f"{name}: {plural(n, 'row')} lost" for name, n in self.lost_by_table().items()]
        out += [
            f"{name}: took out {plural(n, 'row')} of the lost articles (re-run the same input "
            "to load them again)"
            for name, n in self.dependents.items()
        ]
        out += [f"left out {p.kind} {p.rel}" for p in self.strays]
        if self.set_aside:
            out.append(
                f"kept the dropped files in {self.set_aside} for inspection; delete it when done"
            )
        return out


def repair(root: str | os.PathLike[str], full: bool = False) -> RepairReport:
    """Publish a snapshot without the damaged files of the current one, and without strays.

    With full, every file is decoded first (as `wiredesk check --full`), so damage inside data
    pages is repaired too. Restoring the files from a backup loses nothing; repair is for when
    there is none.
    """
    warehouse = Warehouse.resolve(root)
    if not warehouse.exists():
        raise WarehouseError(f"no warehouse at {warehouse.root}")
    report = RepairReport()
    with warehouse.transaction(verify=False, recover=False):
        report.pointer = restore(warehouse)  # a lost commit point first, deleting nothing
        warehouse.recover()  # then what a dead writer left; records a missing file list
        base = warehouse.current()
        found = inspect(base, warehouse.root, full).problems
        if not found:
            return report
        report.strays = [p for p in found if p.kind in LEFT_OUT]
        damaged = [p for p in found if p.kind not in LEFT_OUT]
        base, report.corrected = corrected(base, damaged)
        report.dropped = [p for p in damaged if p not in report.corrected]
        entries = base.entries() or {}
        report.rows_lost = {p.rel: entries[p.rel].rows for p in report.dropped}
        drop = {p.rel for p in report.dropped}
        report.set_aside = keep_aside(warehouse, base, report.dropped)
        writes = list(without_dependents(base, drop, report))
        manifest = manifest_copy(base.manifest)
        manifest["operation"] = operation(report)
        report.snapshot = warehouse.publish(base, writes, drop.__contains__, manifest).number
    return report


def keep_aside(warehouse: Warehouse, base: Snapshot, dropped: list[Problem]) -> str | None:
    """Keep the damaged files a repair drops under _set_aside/ (never in a table folder)."""
    present = [p.rel for p in dropped if p.kind not in ("missing", "outside")]
    if not present:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    folder = f"{SET_ASIDE}/{stamp}"
    root = warehouse.store().base if warehouse.remote else warehouse.root
    for rel in present:
        target = f"{root}/{folder}/{rel}"
        if warehouse.remote:
            base.fs.copy_file(f"{base.path}/{rel}", target)
        else:  # a hard link: the bytes stay when the old snapshot is collected
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.link(f"{base.path}/{rel}", target)
    return folder


def operation(report: RepairReport) -> str:
    """Return how the manifest describes a repair."""
    lost = sum(report.rows_lost.values())
    return (
        f"repair: corrected {len(report.corrected)} entries, dropped {len(report.dropped)} "
        f"damaged files ({lost} rows), took out {sum(report.dependents.values())} dependent "
        f"rows, left out {len(report.strays)} stray files"
    )


def corrected(base: Snapshot, damaged: list[Problem]) -> tuple[Snapshot, list[Problem]]:
    """Return the snapshot with the entries of intact files measured again, and those files."""
    entries = base.entries() or {}
    kept: list[Problem] = []
    files = dict(base.manifest.get("files", {}))
    for problem in damaged:
        entry = entries.get(problem.rel)
        fresh = intact(base, problem, entry) if entry is not None else None
        if fresh is not None:
            files[problem.rel] = fresh.record()
            kept.append(problem)
    if not kept:
        return base, kept
    manifest = base.manifest | {"files": files}
    return Snapshot(base.number, base.path, manifest, base.fs), kept


def intact(base: Snapshot, problem: Problem, entry: FileEntry) -> FileEntry | None:
    """Return the measured entry of a file whose content verifies, None if it must be dropped.

    The file must decode whole, name its own table in its metadata, and match what the manifest
    recorded in size and tail (only the row count was edited) or in rows (the size or checksum
    was): a file replaced by other rows matches neither.
    """
    if problem.kind in ("missing", "outside", "content"):
        return None
    path = f"{base.path}/{problem.rel}"
    if decode_problem(base, problem.rel) is not None:
        return None
    try:
        fresh = entry_of(path, base.fs)
        with base.fs.open_input_file(path) as handle:
            metadata = pq.ParquetFile(handle).schema_arrow.metadata or {}
    except (OSError, pa.ArrowException):
        return None
    if metadata.get(METADATA_TABLE, b"").decode() != problem.table:
        return None
    same_bytes = (fresh.bytes, fresh.tail_crc32) == (entry.bytes, entry.tail_crc32)
    return fresh if same_bytes or fresh.rows == entry.rows else None


def without_dependents(
    base: Snapshot, drop: set[str], report: RepairReport
) -> list[tuple[str, pa.Table, str]]:
    """Return rewrites of files holding rows of lost articles (marking the originals dropped)."""
    if not any(rel.startswith("articles/") for rel in drop):
        return []
    kept = [p for p in base.files("articles") if base.rel(p) not in drop]
    survivors = read_columns(base, kept, "articles", ["article_id", "raw_id"])
    alive = survivors["article_id"]
    writes: list[tuple[str, pa.Table, str]] = []
    runs = {m["run"] for rel in drop if (m := COMMIT_FILE.match(rel.rsplit("/", 1)[-1]))}
    for name in CHILDREN:
        for rel, rows, gone in rewrites(base, name, drop, lambda t: orphaned(t, alive)):
            runs.update(v for v in gone["run_id"].to_pylist() if v)
            count(report, name, gone.num_rows)
            drop.add(rel)
            if rows.num_rows:
                writes.append((repaired_name(base, rel, len(writes)), rows, name))
    referenced = survivors["raw_id"].drop_null()
    run_ids = pa.array(sorted(runs), pa.string())

    def unreferenced(table: pa.Table) -> pa.Array:
        in_runs = pc.is_in(table["run_id"], value_set=run_ids)
        used = pc.is_in(table["raw_id"], value_set=referenced)
        return pc.and_(pc.fill_null(in_runs, False), pc.invert(used))

    for rel, rows, gone in rewrites(base, "raw", drop, unreferenced):
        count(report, "raw", gone.num_rows)
        drop.add(rel)
        if rows.num_rows:
            writes.append((repaired_name(base, rel, len(writes)), rows, "raw"))
    return writes


def orphaned(table: pa.Table, alive: pa.Array) -> pa.Array:
    """Return which rows belong to an article that is not there.

    A link from a remaining article to a lost one is kept: article ids are stable, so the lost
    article, loaded again, is the one it points to.
    """
    return pc.invert(pc.is_in(table["article_id"], value_set=alive))


def rewrites(base: Snapshot, name: str, drop: set[str], select):
    """Yield (file, rows kept, rows taken out) for each file of a table holding selected rows."""
    for path in base.files(name):
        rel = base.rel(path)
        if rel in drop:
            continue
        table = read_file(TABLES[name], base, path)
        chosen = select(table)
        if not pc.any(chosen).as_py():
            continue
        yield rel, table.filter(pc.invert(chosen)), table.filter(chosen)


def read_columns(base: Snapshot, files: list[str], name: str, columns: list[str]) -> pa.Table:
    """Read some columns of a table's files."""
    spec = TABLES[name]
    if not files:
        return spec.schema.empty_table().select(columns)
    return pa.concat_tables([read_file(spec, base, p).select(columns) for p in files])


def repaired_name(base: Snapshot, rel: str, n: int) -> str:
    """Return the name of a file rewritten by a repair, beside the file it replaces."""
    return f"{rel.rsplit('/', 1)[0]}/part-repair-{base.number + 1:08d}-{n:04d}.parquet"


def count(report: RepairReport, name: str, rows: int) -> None:
    """Add rows taken out of a table to the report."""
    report.dependents[name] = report.dependents.get(name, 0) + rows
