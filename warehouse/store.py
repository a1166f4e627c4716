"""Parquet storage: snapshot commits published by one atomic rename, a single-writer lock, readers.

Layout under the warehouse root::

    .lock                         single-writer lock (flock; the OS drops it if the holder dies)
    _current -> _snapshots/00000042   the commit point: one symlink, replaced by one rename
    _head.json                    a copy of the last published manifest (see warehouse/heads.py)
    _snapshots/00000042/          an immutable snapshot: every committed file, as hard links
        _manifest.json            commit ids applied, schema per table, every file it holds
        articles/month=2024-05/part-<commit>.parquet
        mentions/part-<commit>.parquet
        ...
    articles -> _current/articles     stable reader paths, one per table, never change
    mentions -> _current/mentions

A commit builds the next snapshot beside the current one (hard links to the files it keeps, new
files written under a temporary name, fsynced and renamed), then swaps ``_current`` with a single
``rename(2)``. Until that rename every reader path shows the old snapshot, after it the new one, for
all tables at once; a writer that dies anywhere leaves only an unreferenced snapshot folder, which
the next writer deletes. Data files are never modified once written, so hard links are safe.

The manifest lists every data file of its snapshot with its rows, size and a checksum of its tail.
wiredesk's readers open exactly those files, never a folder listing, so a file copied into a folder
is never read; writers refuse to build on a snapshot whose files are missing or resized, and
`warehouse.check` verifies the rest.

What a commit costs follows what it changes: mutable tables are upserted by key (only files that
hold a changed key are rewritten), and small files are merged by size tier as commits go, so the
number of files a commit links stays small however many commits came before.

A root that is an object store URI (``s3://bucket/prefix``) keeps the same tables, manifests and
commits, with another commit point and lock: see warehouse/objectstore.py.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from warehouse.errors import WiredeskError, first_line
from warehouse.locations import LOCAL, is_uri
from warehouse.schemas import TABLES, TableSpec

CURRENT = "_current"
SNAPSHOTS = "_snapshots"
MANIFEST = "_manifest.json"
LOCK_FILE = ".lock"
WORK = "_work"  # runs' staged batches, outside every snapshot
DEFAULT_ROOT = "data/warehouse"
LEGACY_STAGING = "_staging"  # the previous layout's staging folder, migrated on first lock
LOCK_WAIT_ENV = "WIREDESK_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 600.0
FAILPOINT_ENV = "WIREDESK_FAILPOINT"
FSYNC_ENV = "WIREDESK_FSYNC"  # "0" skips fsync: still safe if a process dies, not on power loss
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
    "format",
}
# Size-tiered merging in each commit: MERGE_FAN_IN files of one tier become one file.
MERGE_FAN_IN = 8
MERGE_UNIT = 256 * 1024  # tier 0: files under MERGE_UNIT * MERGE_FAN_IN bytes
MERGE_MAX_BYTES = 16 * 1024 * 1024  # larger files are left alone (bounds a merge's memory)
MERGE_MAX_MUTABLE_BYTES = 8 * 1024 * 1024  # an upsert rewrites a whole file: keep them small
ROW_GROUP_ROWS = 128 * 1024  # ~10-50 MB of our columns: large enough for scans, small for memory
SNAPSHOT_NAME = re.compile(r"^\d{8}$")
METADATA_TABLE = b"wiredesk.table"
METADATA_VERSION = b"wiredesk.schema_version"
MONTH = "month"  # hive partition column of tables partitioned by month: month=YYYY-MM folders
# A file's checksum is its size plus the crc32 of its last TAIL_BYTES. A Parquet file ends with
# its footer (schema, every row group's offsets, sizes, row counts and statistics) and its magic
# bytes, so a truncated, replaced or rewritten file changes its size or its tail; reading 64 KiB
# costs the same however large the file is, where a hash of the whole file would read every byte
# of the warehouse at each check. crc32 finds accidents, not tampering, which is all it is for.
# Damage inside a data page is found by decoding the file (`wiredesk check --full`).
TAIL_BYTES = 64 * 1024

log = logging.getLogger("wiredesk.warehouse")

# File operations done by this process. The crash test kills a writer at chosen operations.
steps = 0
step_log: list[str] | None = None  # set to a list to record each operation's label
_FAILPOINT = int(os.environ.get(FAILPOINT_ENV, "0") or 0)
_FSYNC = os.environ.get(FSYNC_ENV, "1") != "0"


def file_operation(label: str) -> None:
    """Count one file operation; die right here when WIREDESK_FAILPOINT names it (crash tests)."""
    global steps
    steps += 1
    if step_log is not None:
        step_log.append(label)
    if _FAILPOINT and steps == _FAILPOINT:
        os.kill(os.getpid(), signal.SIGKILL)


class WarehouseError(WiredeskError, RuntimeError):
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


def schema_record(spec: TableSpec) -> dict:
    """Return how the manifest records a table's schema."""
    return {
        "version": spec.version,
        "columns": [[f.name, str(f.type)] for f in spec.schema],
    }


def check_additive(name: str, stored: dict | None) -> None:
    """Refuse to write a table whose declared schema is not the stored one plus new columns."""
    if stored is None:
        return
    spec = TABLES[name]
    declared = {f.name: str(f.type) for f in spec.schema}
    for column, kind in stored["columns"]:
        if column not in declared:
            raise SchemaMismatch(
                f"{name}: stored column {column!r} is no longer declared; "
                "schemas may only add columns"
            )
        if declared[column] != kind:
            raise SchemaMismatch(
                f"{name}: column {column!r} is stored as {kind} but declared {declared[column]}; "
                "schemas may only add columns"
            )
    if stored["version"] > spec.version:
        raise SchemaMismatch(
            f"{name}: the warehouse holds schema version {stored['version']}, newer than this "
            f"code's {spec.version}; upgrade wiredesk"
        )
    if len(declared) > len(stored["columns"]) and stored["version"] == spec.version:
        log.warning("%s: columns were added without bumping its schema version", name)


def month_of(table: pa.Table, column: str) -> pa.Array:
    """Return the YYYY-MM partition value of each row (ingested_at when the column is null)."""
    fallback = "ingested_at" if "ingested_at" in table.column_names else column
    when = pc.coalesce(table[column], table[fallback])
    return pc.strftime(when, format="%Y-%m")


def manifest_copy(manifest: dict) -> dict:
    """Return a deep copy of a manifest (JSON data), to build the next snapshot's from."""
    return json.loads(json.dumps(manifest))


def empty_manifest() -> dict:
    """Return the manifest of a warehouse that has no commit yet."""
    return {"format": 1, "snapshot": 0, "commits": [], "tables": {}, "files": {}}


@dataclass(frozen=True, slots=True)
class FileEntry:
    """What a snapshot's manifest records about one of its data files."""

    rows: int
    bytes: int
    tail_crc32: int

    def record(self) -> dict:
        """Return how the manifest stores the entry."""
        return {"rows": self.rows, "bytes": self.bytes, "tail_crc32": self.tail_crc32}


@dataclass(frozen=True, slots=True)
class Problem:
    """A way a snapshot's files differ from its manifest."""

    # missing, truncated, resized, changed, unreadable, rows, content, outside, stray, symlink
    kind: str
    rel: str  # path relative to the snapshot folder, e.g. quotes/part-c1.parquet
    detail: str

    @property
    def table(self) -> str:
        """Return the table the file belongs to."""
        return self.rel.split("/", 1)[0]

    def __str__(self) -> str:
        return f"{self.kind}: {self.rel} ({self.detail})"

    def sentence(self) -> str:
        """Return the problem as a clause: 'quotes/part-c1.parquet is missing (185 rows)'."""
        verb = {
            "rows": "holds other rows than committed",
            "stray": "is stray",
            "outside": "is no path inside its table",
            "content": "holds data that differs from its hash",
        }
        return f"{self.rel} {verb.get(self.kind, 'is ' + self.kind)} ({self.detail})"


def tail_crc32(data: bytes | memoryview) -> int:
    """Return the crc32 of the last TAIL_BYTES of a file's bytes."""
    return zlib.crc32(data[-TAIL_BYTES:])


# How wiredesk reads its Parquet files: every page's crc32 (written with each page) is verified, so
# a flipped byte inside a data page fails the read, naming the file, instead of returning changed
# values. Files written before page checksums have none to verify.
PARQUET = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True)
)


def files_under(fs: pafs.FileSystem, folder: str) -> list[str]:
    """Return every file below a folder (or object prefix), sorted; none if it does not exist."""
    found = fs.get_file_info(pafs.FileSelector(folder, recursive=True, allow_not_found=True))
    return sorted(f.path for f in found if f.type == pafs.FileType.File)


def entry_of(path: str, fs: pafs.FileSystem = LOCAL) -> FileEntry:
    """Measure a data file: rows from its footer, size, checksum of its tail."""
    with fs.open_input_file(path) as handle:
        size = handle.size()
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()
        rows = pq.ParquetFile(handle).metadata.num_rows
    return FileEntry(rows, size, tail_crc32(tail))


def quick_problems(
    snap: Snapshot, tables: list[str] | None = None, cached: bool = True
) -> list[Problem]:
    """Return the files of a snapshot that differ from its manifest (see warehouse/verify.py)."""
    from warehouse.verify import quick_problems as problems

    return problems(snap, tables, cached)


def inside(rel: str) -> bool:
    """Return whether a manifest path stays inside its table (others are never followed)."""
    from warehouse.verify import unsafe_path

    return unsafe_path(rel) is None


def plural(n: int, noun: str) -> str:
    """Return '1 row', '2 rows'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def damage_error(root: str, problems: list[Problem]) -> WarehouseError:
    """Return the error that refuses a write onto a snapshot whose files are damaged."""
    more = f" and {plural(len(problems) - 1, 'more problem')}" if len(problems) > 1 else ""
    return WarehouseError(
        f"{root} does not match its manifest: {problems[0].sentence()}{more}; restore the file "
        f"from a backup, or run `wiredesk check --repair --warehouse {root}` to publish a "
        "snapshot without the damaged files (their rows are lost); `wiredesk check` lists "
        "every problem"
    )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One committed state of every table; its files never change."""

    number: int
    path: str | None  # the folder the manifest's paths are relative to; None before any commit
    manifest: dict = field(default_factory=empty_manifest)
    fs: pafs.FileSystem = field(default_factory=lambda: LOCAL, compare=False, repr=False)

    @property
    def commits(self) -> list[str]:
        """Return the commit ids applied, oldest first."""
        return list(self.manifest["commits"])

    @property
    def listed(self) -> bool:
        """Return whether the manifest lists the snapshot's files (older snapshots do not).

        The list counts only if it was written for this snapshot: an older wiredesk committing
        onto a newer warehouse copies the previous manifest, list included, without its new files.
        """
        return self.path is None or self.manifest.get("files_of") == self.number

    def entries(self) -> dict[str, FileEntry] | None:
        """Return the manifest's files by path relative to the snapshot (None: not listed)."""
        if not self.listed:
            return None
        return {rel: FileEntry(**e) for rel, e in self.manifest.get("files", {}).items()}

    def rel(self, path: str) -> str:
        """Return a file's path relative to the snapshot, as the manifest names it."""
        assert self.path is not None
        return path[len(self.path) + 1 :]

    def sizes(self) -> dict[str, int]:
        """Return every data file's size by relative path (from the manifest when it lists them)."""
        entries = self.entries()
        if entries is not None:
            return {rel: entry.bytes for rel, entry in entries.items()}
        files = self.files_all()
        infos = self.fs.get_file_info(files)
        return {self.rel(f): info.size for f, info in zip(files, infos, strict=True)}

    def files(self, name: str) -> list[str]:
        """Return the data files of a table in this snapshot, as its manifest lists them.

        A snapshot written before manifests listed files falls back to its folder listing;
        the next writer to take the lock records that listing (see Warehouse.recover).
        """
        if self.path is None:
            return []
        if not self.listed:
            return self.listing(name)
        prefix = f"{name}/"
        files = sorted(self.manifest["files"])
        return [f"{self.path}/{rel}" for rel in files if rel.startswith(prefix) and inside(rel)]

    def files_all(self) -> list[str]:
        """Return every data file of the snapshot as its manifest lists them, all tables.

        Tables this code does not declare are included: a commit must keep their files.
        """
        if self.path is None:
            return []
        if not self.listed:  # only a local warehouse from before file lists
            return sorted(str(p) for p in Path(self.path).rglob("*.parquet") if p.is_file())
        return [f"{self.path}/{rel}" for rel in sorted(self.manifest["files"]) if inside(rel)]

    def listing(self, name: str) -> list[str]:
        """Return the Parquet files found in a table's folder (what a glob reader sees)."""
        if self.path is None:
            return []
        return [f for f in files_under(self.fs, f"{self.path}/{name}") if f.endswith(".parquet")]

    def rows(self, path: str) -> int:
        """Return the rows of a data file, from its footer."""
        with self.fs.open_input_file(path) as handle:
            return pq.ParquetFile(handle).metadata.num_rows

    def dataset(self, name: str) -> ds.Dataset:
        """Return a table as a pyarrow dataset over exactly its committed files."""
        return ds.dataset(
            self.files(name),
            schema=TABLES[name].schema,
            format=PARQUET,
            partitioning=None,
            filesystem=self.fs,
        )

    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        filter: pc.Expression | None = None,
    ) -> pa.Table:
        """Read a table's rows with its declared schema (columns added later read as null)."""
        spec = TABLES[name]
        if not self.files(name):
            table = spec.schema.empty_table()
            table = table.filter(filter) if filter is not None else table
            return table.select(columns) if columns else table
        try:
            return self.dataset(name).to_table(columns=columns, filter=filter)
        except (OSError, pa.ArrowInvalid) as err:  # name the damaged file, not Arrow's internals
            raise self.read_error(name, err) from err

    def read_error(self, name: str, err: BaseException) -> WarehouseError:
        """Return the error for a failed read of a table, naming the damaged file and the repair."""
        from warehouse.verify import first_undecodable

        problem = (quick_problems(self, [name]) or [None])[0] or first_undecodable(self, name)
        if problem is None:
            return WarehouseError(f"{name}: {first_line(err)}")
        return WarehouseError(
            f"{name}: {problem.sentence()}; restore the file from a backup, or run `wiredesk "
            "check --repair` (`wiredesk check --full` lists every damaged file)"
        )


# Warehouses whose writer lock this process holds: the flow takes it and its tasks, running in
# other threads of the same process, commit under it.
_HELD: dict[str, int] = {}
_HELD_GUARD = threading.Lock()
_COMMIT_MUTEX = threading.Lock()  # commits from several threads of one process go one at a time


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A folder of Parquet tables, one reader path per table, published as snapshots.

    A small immutable value that tasks take as a parameter: it pickles for Dask workers, and
    Prefect's INPUTS cache policy hashes it by its root alone (see tasks/policies.py), so a
    filesystem object, which need not hash stably, never enters a cache key.
    """

    root: str  # a folder, or an object store URI: s3://bucket/prefix, gs://bucket/prefix
    # The filesystem of an object store root, made from the URI on first use (None: not yet, or
    # the local disk). Endpoint and credentials come from the environment, never from the root.
    filesystem: pafs.FileSystem | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        root = os.fspath(self.root)
        if is_uri(root):
            root = root.rstrip("/")
        elif self.filesystem is not None and not isinstance(self.filesystem, pafs.LocalFileSystem):
            kind = self.filesystem.type_name
            raise WarehouseError(f"{root}: a {kind} warehouse needs a URI root, s3://bucket/prefix")
        object.__setattr__(self, "root", root)

    def absolute(self) -> Warehouse:
        """Return the warehouse with an absolute root (object store URIs are absolute)."""
        return self if self.remote else Warehouse(str(self.folder.resolve()))

    @property
    def remote(self) -> bool:
        """Return whether the warehouse lives in an object store."""
        return is_uri(self.root)

    def store(self):  # -> warehouse.objectstore.ObjectStore
        """Return the object store holding the warehouse (one per root and process)."""
        from warehouse.objectstore import store_for  # boto3 is imported for object stores only

        return store_for(self)

    @classmethod
    def resolve(cls, root: str | os.PathLike[str] | None = None) -> Warehouse:
        """Return the warehouse at root, or at ./data/warehouse (WIREDESK_WAREHOUSE: flows)."""
        return cls(root or DEFAULT_ROOT)

    @property
    def folder(self) -> Path:
        """Return the root as a local path (local warehouses only)."""
        if self.remote:
            raise WarehouseError(f"{self.root} is an object store, not a folder")
        return Path(self.root)

    def exists(self) -> bool:
        """Return whether anything was ever written there (a mistyped root has nothing)."""
        return self.store().exists() if self.remote else self.folder.is_dir()

    @property
    def key(self) -> str:
        """Return what identifies the warehouse in a cache key: its root as given."""
        return self.root

    @property
    def work_dir(self) -> str:
        """Return where runs stage their batches between tasks (never committed), path or URI."""
        return f"{self.root}/{WORK}" if self.remote else str(self.folder / WORK)

    def path(self, name: str) -> str:
        """Return the stable reader path of a table (a folder or prefix to glob)."""
        return f"{self.root}/{name}" if self.remote else str(self.folder / name)

    def _lock_key(self) -> str:
        """Return what identifies the warehouse among the locks this process holds."""
        return self.root if self.remote else str(self.folder.resolve())

    # -- the writer lock ---------------------------------------------------------------------

    @contextmanager
    def lock(
        self, wait_seconds: float | None = None, verify: bool = True, recover: bool = True
    ) -> Iterator[None]:
        """Hold the single-writer lock, waiting up to wait_seconds for another run to finish.

        The default wait is WIREDESK_LOCK_WAIT seconds (600). The OS releases the lock if the
        holder dies; taking it cleans up whatever a dead writer left, then (verify) refuses a
        warehouse whose committed files are missing or resized, so a run fails before it starts
        work it could not commit. Re-entrant in a process. Only a repair takes it without
        recovering (recovery refuses a warehouse whose commit point is lost).
        """
        if not self.remote:
            self.folder.mkdir(parents=True, exist_ok=True)
        key = self._lock_key()
        with _HELD_GUARD:
            if key in _HELD:
                _HELD[key] += 1
                nested = True
            else:
                nested = False
        if nested:
            try:
                yield
            finally:
                with _HELD_GUARD:
                    _HELD[key] -= 1
            return
        if wait_seconds is None:
            wait_seconds = float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT))
        with self._exclusive(wait_seconds):
            with _HELD_GUARD:
                _HELD[key] = 1
            try:
                if recover:
                    self.recover()
                if verify:
                    self.refuse_damaged(self.current())
                yield
            finally:
                with _HELD_GUARD:
                    del _HELD[key]

    @contextmanager
    def _exclusive(self, wait_seconds: float) -> Iterator[None]:
        """Hold the lock itself: a flock on a local disk, a lease object on an object store."""
        if self.remote:
            with self.store().lease(wait_seconds):
                yield
            return
        handle = open(self.folder / LOCK_FILE, "a+")  # noqa: SIM115 - held for the block
        try:
            self._acquire(handle, wait_seconds)
            yield
        finally:
            handle.close()

    def _acquire(self, handle, wait_seconds: float) -> None:
        """Take the flock, polling until the deadline."""
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_pid(self.folder / LOCK_FILE)
                if time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"another wiredesk run (pid {holder}) is writing to {self.folder}; "
                        f"gave up after waiting {wait_seconds:g} s"
                    ) from None
                if not told:
                    log.warning("waiting for the run (pid %s) writing to %s", holder, self.folder)
                    told = True
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()

    def holds_lock(self) -> bool:
        """Return whether this process holds the writer lock."""
        with _HELD_GUARD:
            return self._lock_key() in _HELD

    # -- recovery ----------------------------------------------------------------------------

    def recover(self) -> None:
        """Delete what a dead writer left (unpublished snapshots, temporary links) and old data."""
        if not self.holds_lock():
            with self.lock(verify=False):  # taking the lock recovers
                return
        if self.remote:
            self.store().recover(self.current())
            return
        from warehouse.heads import verify_local

        self._migrate_legacy()
        (self.folder / f".{CURRENT}.tmp").unlink(missing_ok=True)
        verify_local(self)  # a lost or stale _current stops here, before anything is deleted
        current = self._current_number()
        folder = self.folder / SNAPSHOTS
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                if entry.name.startswith(".trash-"):  # a collected snapshot, moved aside
                    shutil.rmtree(entry, ignore_errors=True)
                elif SNAPSHOT_NAME.match(entry.name) and int(entry.name) > current:
                    shutil.rmtree(entry, ignore_errors=True)  # never published (heads proved it)
        if current:
            self.link_tables()
        self._collect(current)
        if current and not self.current().listed:
            self._record_files()

    def _record_files(self) -> None:
        """Publish the current snapshot again, now listing its files (older snapshots do not).

        A warehouse written before snapshots listed their files is migrated by the first writer
        that takes its lock (a run, `wiredesk compact`, `wiredesk check --repair`): the files its
        folders hold then are measured and recorded as committed; readers use the folder listing
        until then. An older wiredesk writing after a newer one is caught the same way (see
        Snapshot.listed).
        """
        with _COMMIT_MUTEX:
            base = self.current()
            if base.listed:
                return
            manifest = manifest_copy(base.manifest)
            manifest["operation"] = "record the file list"
            self.publish(base, [], lambda rel: False, manifest)
            log.info("%s: recorded the file list of snapshot %d", self.folder, base.number)

    def refuse_damaged(self, snap: Snapshot) -> None:
        """Raise WarehouseError when a committed file is missing or not its recorded size."""
        problems = quick_problems(snap)
        if problems:
            raise damage_error(self.root, problems)

    def _collect(self, keep: int) -> None:
        """Delete superseded snapshots that no reader has pinned."""
        folder = self.folder / SNAPSHOTS
        if not folder.is_dir():
            return
        for entry in sorted(folder.iterdir()):
            if not SNAPSHOT_NAME.match(entry.name) or int(entry.name) >= keep:
                continue
            try:
                handle = open(entry / MANIFEST, "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue  # a reader still uses it; a later writer deletes it
            try:
                trash = folder / f".trash-{entry.name}"
                os.replace(entry, trash)  # readers that pinned it meanwhile see it gone
                file_operation("collect")
                shutil.rmtree(trash, ignore_errors=True)
            finally:
                handle.close()

    def _migrate_legacy(self) -> None:
        """Move tables written by the staging-folder layout into a first snapshot."""
        staging = self.folder / LEGACY_STAGING
        if staging.is_dir():
            for unit in sorted(staging.iterdir()):
                plan_file = unit / "plan.json"
                if (unit / "_COMMITTED").exists() and plan_file.exists():
                    for step in json.loads(plan_file.read_text()):
                        staged, target = unit / step["staged"], self.folder / step["target"]
                        if staged.exists():
                            target.parent.mkdir(parents=True, exist_ok=True)
                            os.replace(staged, target)
            shutil.rmtree(staging, ignore_errors=True)
        legacy = [
            self.folder / name
            for name in TABLES
            if (self.folder / name).is_dir() and not (self.folder / name).is_symlink()
        ]
        link = self.folder / CURRENT
        if not legacy or link.is_symlink() or (self.folder / SNAPSHOTS).exists():
            return  # table folders beside snapshots are copies, not the old layout: see heads
        writes = [
            (str(f.relative_to(self.folder)), str(f))
            for folder in legacy
            for f in folder.rglob("*.parquet")
            if not f.name.startswith(".")
        ]
        manifest = empty_manifest()
        manifest["tables"] = {f.name: schema_record(TABLES[f.name]) for f in legacy}
        self.publish(Snapshot(0, None), [], lambda rel: False, manifest, adopt=writes)
        aside = self.folder / "_legacy"
        aside.mkdir(exist_ok=True)
        for folder in legacy:
            os.replace(folder, aside / folder.name)
        self.link_tables()
        shutil.rmtree(aside, ignore_errors=True)

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, verify: bool = True, recover: bool = True) -> Iterator[None]:
        """Hold the writer lock and this process's commit mutex: what publish() needs.

        Commit, compact and repair each build one snapshot inside one transaction; verify and
        recover are the lock's (only a repair takes it without them).
        """
        with self.lock(verify=verify, recover=recover), _COMMIT_MUTEX:
            yield

    def commit(self, commit_id: str, tables: dict[str, pa.Table]) -> None:
        """Publish tables as one atomic unit: all rows of every table appear at once, or none.

        A commit id already applied is skipped, so retrying a commit never duplicates rows.
        Append tables get a new file per partition; a mutable table gets the changed rows
        (upserted by key: only the files holding those keys are rewritten). Folders that
        collect too many small files have them merged in the same commit.
        """
        with self.transaction():
            base = self.current()
            self.refuse_damaged(base)  # the files were checked at lock time, maybe long ago
            if commit_id in base.manifest["commits"]:
                log.info("commit %s is already in the warehouse; skipped", commit_id)
                return
            writes: list[tuple[str, pa.Table, str]] = []
            dropped: set[str] = set()
            manifest = manifest_copy(base.manifest)
            for name, table in tables.items():
                spec = TABLES[name]
                table = conform(name, table)
                check_additive(name, base.manifest["tables"].get(name))
                manifest["tables"][name] = schema_record(spec)
                if table.num_rows == 0:
                    continue
                if spec.mutable:
                    for rel, kept in _upsert(spec, commit_id, base, table, dropped):
                        writes.append((rel, kept, name))
                for rel, part in _split(spec, commit_id, table):
                    writes.append((rel, part, name))
            touched = {rel.rsplit("/", 1)[0] for rel, _, _ in writes}
            for rel, merged, name in _auto_merge(base, commit_id, touched, dropped):
                writes.append((rel, merged, name))
            manifest["commits"].append(commit_id)
            manifest["operation"] = f"commit {commit_id}"
            self.publish(base, writes, dropped.__contains__, manifest)

    def publish(
        self,
        base: Snapshot,
        writes: list[tuple[str, pa.Table, str]],
        drop: Callable[[str], bool],
        manifest: dict,
        adopt: list[tuple[str, str]] | None = None,
    ) -> Snapshot:
        """Build the next snapshot from base minus dropped files plus writes, then swap it in.

        The caller holds a transaction(): the writer lock and this process's commit mutex.
        """
        if self.remote:
            return self.store().publish(base, writes, drop, manifest)
        number = base.number + 1
        name = f"{number:08d}"
        new = self.folder / SNAPSHOTS / name
        link_tmp = self.folder / f".{CURRENT}.tmp"
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        file_operation("snapshot-folder")
        swapped = False
        known = base.entries()  # None: a snapshot that lists no files yet is measured
        entries: dict[str, FileEntry] = {}
        try:
            folders = {new}
            for table in TABLES:
                (new / table).mkdir()
                folders.add(new / table)
            for old in base.files_all():
                rel = base.rel(old)
                if drop(rel):
                    continue
                target = new / rel
                if target.parent not in folders:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    folders.add(target.parent)
                os.link(old, target)
                file_operation("link")
                entries[rel] = known[rel] if known is not None else _measure(old, rel)
            for rel, source in adopt or []:
                target = new / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
                os.link(source, target)
                file_operation("link")
                entries[rel] = _measure(source, rel)
            for rel, table, table_name in writes:
                target = new / rel
                if target.parent not in folders:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    folders.add(target.parent)
                entries[rel] = _write_parquet(table, target, table_name)
            manifest = manifest | {
                "snapshot": number,
                "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "files": {rel: entries[rel].record() for rel in sorted(entries)},
                "files_of": number,
            }
            _write_bytes(new / MANIFEST, json.dumps(manifest, indent=1).encode())
            for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
                _fsync_dir(folder)
            _fsync_dir(new.parent)
            file_operation("snapshot-built")
            self.link_tables()
            link_tmp.unlink(missing_ok=True)
            os.symlink(f"{SNAPSHOTS}/{name}", link_tmp)
            file_operation("symlink-staged")
            os.replace(link_tmp, self.folder / CURRENT)  # the commit point
            swapped = True
            _fsync_dir(self.folder)
            file_operation("swapped")
            _record_head(self.folder, manifest)
        except BaseException:
            if not swapped:
                link_tmp.unlink(missing_ok=True)
                shutil.rmtree(new, ignore_errors=True)
            raise
        self._collect(number)
        return Snapshot(number, str(new), manifest)

    def link_tables(self) -> None:
        """Give each table its stable reader path ``<root>/<table> -> _current/<table>``."""
        for table in TABLES:
            link = self.folder / table
            if not link.is_symlink() and not link.is_dir():  # a real folder: being migrated
                tmp = self.folder / f".{table}.link.tmp"
                tmp.unlink(missing_ok=True)
                os.symlink(f"{CURRENT}/{table}", tmp)
                os.replace(tmp, link)
                file_operation("table-link")

    # -- reading -----------------------------------------------------------------------------

    def _current_number(self) -> int:
        """Return the number of the published snapshot (0 before the first commit).

        A lost or wrong ``_current`` raises PointerDamage (see warehouse/heads.py).
        """
        from warehouse.heads import link_number

        return link_number(self.folder)

    def _manifest_at(self, number: int, text: bytes) -> dict:
        """Return a published snapshot's manifest parsed, or raise PointerDamage naming it."""
        from warehouse.heads import parse_manifest, unreadable_manifest

        manifest = parse_manifest(text)
        if manifest is None:
            rel = f"{SNAPSHOTS}/{number:08d}/{MANIFEST}"
            raise unreadable_manifest(self.root, rel, ValueError("not a manifest"))
        return manifest

    def _lost_manifest(self, number: int) -> WarehouseError:
        """Return the error for a published snapshot whose manifest stays missing."""
        from warehouse.heads import unreadable_manifest

        return unreadable_manifest(self.root, f"{SNAPSHOTS}/{number:08d}/{MANIFEST}")

    def current(self) -> Snapshot:
        """Return the published snapshot without pinning it (writers, under the lock)."""
        if self.remote:
            return self.store().current()
        number = 0
        for _ in range(100):
            number = self._current_number()
            if number == 0:
                return Snapshot(0, None)
            path = self.folder / SNAPSHOTS / f"{number:08d}"
            try:
                manifest = self._manifest_at(number, (path / MANIFEST).read_bytes())
            except FileNotFoundError:
                continue  # collected between the readlink and the read: look again
            return Snapshot(number, str(path), manifest)
        raise self._lost_manifest(number)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Pin the published snapshot for a consistent read of every table.

        Writers never delete a pinned snapshot (a shared flock on its manifest), so files read
        inside the block stay readable however many commits or compactions happen meanwhile.
        On an object store nothing is pinned: see warehouse/objectstore.py.
        """
        if self.remote:
            yield self.current()
            return
        number = 0
        for _ in range(100):
            number = self._current_number()
            if number == 0:
                yield Snapshot(0, None)
                return
            path = self.folder / SNAPSHOTS / f"{number:08d}"
            try:
                handle = open(path / MANIFEST, "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_SH)
                if not (path / MANIFEST).exists():
                    continue  # collected while we waited for the pin
                manifest = self._manifest_at(number, handle.read())
                yield Snapshot(number, str(path), manifest)
                return
            finally:
                handle.close()
        raise self._lost_manifest(number)

    def files(self, name: str) -> list[str]:
        """Return the data files of a table in the published snapshot."""
        return self.current().files(name)

    def dataset(self, name: str) -> ds.Dataset:
        """Return a table of the published snapshot as a pyarrow dataset over its files.

        Its files stay while this process holds the writer lock (no commit can replace them);
        other readers pin a snapshot first: ``with warehouse.snapshot() as snap: snap.dataset()``.
        """
        return self.current().dataset(name)

    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        filter: pc.Expression | None = None,
    ) -> pa.Table:
        """Read the committed rows of a table with its declared schema."""
        with self.snapshot() as snap:
            return snap.read(name, columns=columns, filter=filter)

    def read_pandas(self, name: str, columns: list[str] | None = None):
        """Read a table as a pandas DataFrame."""
        return self.read(name, columns=columns).to_pandas()


def _sorted(spec: TableSpec, table: pa.Table) -> pa.Table:
    """Return rows in the table's order: its time column, then its key."""
    order = [c for c in (*spec.sort_by, *spec.key) if c in table.column_names]
    if order and table.num_rows:
        table = table.sort_by([(c, "ascending") for c in dict.fromkeys(order)])
    return table


def _split(spec: TableSpec, commit_id: str, table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Yield the relative path and rows of each file a commit writes for a table."""
    table = _sorted(spec, table)
    if spec.partition_by_month is None:
        yield f"{spec.name}/part-{commit_id}.parquet", table
        return
    months = month_of(table, spec.partition_by_month)
    for month in sorted(pc.unique(months).to_pylist()):
        part = table.filter(pc.equal(months, month))
        yield f"{spec.name}/{MONTH}={month}/part-{commit_id}.parquet", part


def read_file(spec: TableSpec, snap: Snapshot, path: str) -> pa.Table:
    """Read one data file with the table's declared schema (later columns read as null)."""
    dataset = ds.dataset(
        [path], schema=spec.schema, format=PARQUET, partitioning=None, filesystem=snap.fs
    )
    return dataset.to_table()


def _upsert(
    spec: TableSpec, commit_id: str, base: Snapshot, rows: pa.Table, dropped: set[str]
) -> Iterator[tuple[str, pa.Table]]:
    """Yield the rewrites of the files holding keys of rows (without them); mark them dropped.

    Only files that hold one of the keys are read whole and rewritten, so the cost follows
    the rows a batch changes, not the size of the table.
    """
    (key,) = spec.key
    keys = rows[key]
    for n, path in enumerate(base.files(spec.name)):
        stored = pq.read_table(
            path, columns=[key], filesystem=base.fs, page_checksum_verification=True
        )
        hit = pc.is_in(stored[key], value_set=keys)
        if not pc.any(hit).as_py():
            continue
        rel = base.rel(path)
        dropped.add(rel)
        kept = read_file(spec, base, path).filter(pc.invert(hit))
        if kept.num_rows:
            yield f"{rel.rsplit('/', 1)[0]}/part-{commit_id}-k{n:04d}.parquet", kept


def _tier(size: int) -> int:
    """Return the size tier of a file: files of one tier are merged MERGE_FAN_IN at a time."""
    tier, limit = 0, MERGE_UNIT * MERGE_FAN_IN
    while size >= limit:
        tier, limit = tier + 1, limit * MERGE_FAN_IN
    return tier


def _auto_merge(
    base: Snapshot, commit_id: str, folders: set[str], dropped: set[str]
) -> Iterator[tuple[str, pa.Table, str]]:
    """Yield merged files for folders holding MERGE_FAN_IN small files of one size tier.

    Size-tiered merging keeps the number of files per folder logarithmic in its rows (and
    linear only in rows / MERGE_MAX_BYTES), so what a commit links, lists and opens stays
    small however many commits came before; each row is rewritten about once per tier.
    """
    if base.path is None:
        return
    sizes = base.sizes()
    for folder in sorted(folders):
        name = folder.split("/", 1)[0]
        spec = TABLES[name]
        limit = MERGE_MAX_MUTABLE_BYTES if spec.mutable else MERGE_MAX_BYTES
        tiers: dict[int, list[tuple[str, int]]] = {}
        for path in base.files(name):
            rel = base.rel(path)
            if rel.rsplit("/", 1)[0] != folder:
                continue
            size = sizes[rel]
            if rel not in dropped and size < limit:
                tiers.setdefault(_tier(size), []).append((path, size))
        for tier in sorted(tiers):
            group = tiers[tier]
            if len(group) < MERGE_FAN_IN:
                continue
            picked, total = [], 0
            for path, size in group:
                if picked and total + size > limit:
                    break
                picked.append(path)
                total += size
            if len(picked) < 2:
                continue
            table = pa.concat_tables([read_file(spec, base, p) for p in picked])
            expected = sum(base.rows(p) for p in picked)
            if table.num_rows != expected:  # never publish a merge that lost or gained rows
                raise WarehouseError(f"{name}: merged {table.num_rows} rows, expected {expected}")
            dropped.update(base.rel(p) for p in picked)
            yield f"{folder}/part-{commit_id}-m{tier:02d}.parquet", _sorted(spec, table), name
            break  # one merge per folder per commit bounds a commit's extra work


def parquet_bytes(table: pa.Table, name: str) -> pa.Buffer:
    """Encode a table as a Parquet file in the warehouse's layout."""
    spec = TABLES[name]
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_TABLE] = name.encode()
    metadata[METADATA_VERSION] = str(spec.version).encode()
    table = table.replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        use_dictionary=[c for c in table.column_names if c in LOW_CARDINALITY],
        row_group_size=ROW_GROUP_ROWS,
        write_statistics=True,
        write_page_checksum=True,
    )
    return sink.getvalue()  # not copied into a bytes object: merged files can be large


def _write_parquet(table: pa.Table, path: Path, name: str) -> FileEntry:
    """Write a Parquet file under a temporary name, fsync it, rename it; return its entry."""
    data = parquet_bytes(table, name)
    _write_bytes(path, data)
    return FileEntry(table.num_rows, data.size, tail_crc32(memoryview(data)))


def _measure(path: str, rel: str) -> FileEntry:
    """Return the entry of a file a snapshot adopts, or raise WarehouseError if unreadable."""
    try:
        return entry_of(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise WarehouseError(
            f"cannot record {rel} in the manifest: {first_line(err)}; restore the file "
            "or move it out of the warehouse"
        ) from err


def _write_bytes(path: Path, data: bytes | pa.Buffer) -> None:
    """Write bytes to a temporary name in two halves (a crash point mid-file), then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    data = memoryview(data)
    half = len(data) // 2
    with open(tmp, "wb") as sink:
        sink.write(data[:half])
        sink.flush()
        file_operation("mid-file")
        sink.write(data[half:])
        sink.flush()
        if _FSYNC:
            os.fsync(sink.fileno())
    file_operation("file-written")
    os.replace(tmp, path)
    file_operation("file-renamed")


def _record_head(folder: Path, manifest: dict) -> None:
    """Copy a manifest just published into the head (see warehouse/heads.py); never fail a commit.

    The commit has landed: a head left older is brought up to date by the next writer.
    """
    from warehouse.heads import write_head

    try:
        write_head(folder, manifest)
    except OSError as err:
        log.warning("%s: cannot update its head: %s", folder, first_line(err))


def _fsync_dir(folder: Path) -> None:
    """Make a folder's entries durable."""
    if not _FSYNC:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_pid(path: Path) -> str:
    """Return the pid the lock holder wrote, or '?'."""
    try:
        return path.read_text().strip() or "?"
    except OSError:
        return "?"
