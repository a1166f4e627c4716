"""Verify a warehouse against its manifest, and repair one whose committed files were damaged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pyarrow as pa

from warehouse.heads import verify
from warehouse.schemas import TABLES
from warehouse.store import (
    LOCAL,
    MANIFEST,
    Problem,
    Snapshot,
    Warehouse,
    WarehouseError,
    entry_of,
    files_under,
    first_line,
    quick_problems,
)
from warehouse.verify import decode_problem

LEFT_OUT = {"stray", "symlink"}  # in a table folder, never in a manifest


@dataclass(slots=True)
class CheckReport:
    """What a check found: counts of what the manifest holds, and every problem."""

    root: str
    snapshot: int = 0
    listed: bool = True  # False: a snapshot from before manifests listed files
    tables: int = 0
    files: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    readable: dict[str, int] = field(default_factory=dict)  # rows per table that read back
    committed: dict[str, int] = field(default_factory=dict)  # rows per table in the manifest

    @property
    def ok(self) -> bool:
        """Return whether the files match the manifest."""
        return not self.problems

    def lines(self) -> list[str]:
        """Return one line per problem, then one per table whose rows do not all read back."""
        out = [str(p) for p in self.problems]
        for name in sorted(self.committed):
            if self.readable.get(name, 0) != self.committed[name]:
                out.append(
                    f"{name}: {self.readable.get(name, 0)} of {self.committed[name]} committed "
                    "rows readable"
                )
        return out

    def summary(self) -> str:
        """Return the one-line verdict of a warehouse that passed."""
        line = f"ok: {self.tables} tables, {self.files} files, {self.rows} rows"
        if not self.listed:
            line += f" (snapshot {self.snapshot} lists no files yet: the next commit records them)"
        return line


def check(root: str | os.PathLike[str], full: bool = False) -> CheckReport:
    """Verify the published snapshot's files against its manifest.

    Every listed file must exist with its recorded size, tail checksum and row count (read from
    its footer); any other file in the snapshot's folders is stray. With full, every row group
    is decoded too, which reads the whole warehouse.
    """
    warehouse = Warehouse.resolve(root)
    if not warehouse.exists():
        raise WarehouseError(f"no warehouse at {warehouse.root}")
    verify(warehouse)  # a lost or stale commit point: one line naming the snapshot to publish
    with warehouse.snapshot() as snap:
        return inspect(snap, warehouse.root, full)


def inspect(snap: Snapshot, root: str, full: bool = False) -> CheckReport:
    """Return what a check of one pinned snapshot finds."""
    report = CheckReport(root, snap.number, snap.listed)
    if snap.path is None:
        report.tables = len(TABLES)
        return report
    entries = snap.entries()
    if entries is None:  # nothing to compare with: make sure what is there reads
        entries = {}
        for path in snap.files_all():
            rel = snap.rel(path)
            try:
                entries[rel] = entry_of(path)
            except (OSError, pa.ArrowInvalid) as err:
                report.problems.append(Problem("unreadable", rel, first_line(err)))
    damaged = {p.rel: p for p in quick_problems(snap, cached=False)}
    for rel, entry in entries.items():
        name = rel.split("/", 1)[0]
        report.committed[name] = report.committed.get(name, 0) + entry.rows
        problem = damaged.get(rel) or (decode_problem(snap, rel) if full else None)
        if problem:
            report.problems.append(problem)
        else:
            report.readable[name] = report.readable.get(name, 0) + entry.rows
    report.problems.extend(strays(snap, set(entries)))
    report.tables = len(set(TABLES) | set(report.committed))
    report.files = len(entries)
    report.rows = sum(report.committed.values())
    return report


def strays(snap: Snapshot, listed: set[str]) -> list[Problem]:
    """Return the files in a snapshot's table folders that its manifest does not list.

    Symlinks (to files or folders) are reported as such: a glob over the folder follows them,
    wiredesk's readers never do.
    """
    assert snap.path is not None
    found = []
    if snap.fs is LOCAL:
        paths, links = local_listing(snap.path)
        for path in links:
            target = os.readlink(path)
            found.append(Problem("symlink", snap.rel(path), f"a symlink to {target}; globs over "
                                 "the folder follow it, wiredesk never does"))  # fmt: skip
    else:  # an object store's root holds the lock, manifests and staging beside the tables
        paths = [p for name in TABLES for p in files_under(snap.fs, f"{snap.path}/{name}")]
    for path in paths:
        rel = snap.rel(path)
        if rel == MANIFEST or rel in listed:
            continue
        how = "globs over the folder read it" if rel.endswith(".parquet") else "never read"
        found.append(Problem("stray", rel, f"not in the manifest; {how}"))
    return found


def local_listing(folder: str) -> tuple[list[str], list[str]]:
    """Return the files below a folder and the symlinks found there, without following any."""
    files, links = [], []
    for parent, dirs, names in os.walk(folder, followlinks=False):
        for name in sorted(dirs + names):
            path = os.path.join(parent, name)
            if os.path.islink(path):
                links.append(path)
            elif name in names:
                files.append(path)
    return sorted(files), sorted(links)
