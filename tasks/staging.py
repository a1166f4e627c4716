"""Staging: stages hand each other a batch through Parquet files keyed by the batch.

A batch's key covers its files (path, size, modification time), the run options and a token
written once into the batch's work folder. Tasks take and return small references to staged
files, so Prefect can cache them by input (tasks/policies.py, results persisted): re-running a
failed flow run finds the same folder and token, reuses every stage that finished and redoes
the rest. A completed run deletes its work folders, so a later run over the same input starts
afresh (and finds the articles already loaded).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
from prefect import task

from tasks.common import Batch, Document, ItemKey, Reject, StoredVersion
from tasks.policies import ONCE
from warehouse import Warehouse, locations
from warehouse.schemas import REJECTS, TS

STALE_AFTER_SECONDS = 7 * 24 * 3600
# Under the work folder: one folder per file whose documents go on in several parts, named by its
# raw_id, from before its first part commits until its run completes. Such a file's raw row
# commits with its first part, so a run that stops between parts leaves a committed raw row for
# a file only partly loaded: the marker makes the next run read the file again, not skip it.
PENDING = "pending"
PENDING_LIST = "PENDING"  # in a batch's folder: the raw_ids it marked, cleared with it

DOCUMENTS = pa.schema(
    [
        ("source", pa.string()),
        ("source_item_id", pa.string()),
        ("body", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("published_at", TS),
        ("origin", pa.string()),
        ("byline", pa.string()),
        ("item_uri", pa.string()),
        ("version", pa.int64()),
        ("withdrawn", pa.bool_()),
        ("language", pa.string()),
        ("dateline", pa.string()),
        ("raw_id", pa.string()),
    ]
)
HISTORY = pa.schema(
    [
        ("source", pa.string()),
        ("item_uri", pa.string()),
        ("version", pa.int64()),
        ("article_id", pa.string()),
        ("body", pa.string()),
        ("title", pa.string()),
    ]
)
assert DOCUMENTS.names == [f.name for f in fields(Document)], "DOCUMENTS must mirror Document"


class BatchKind(StrEnum):
    """What a batch's input is."""

    FILES = "files"  # paths to read
    LISTING = "listing"  # a feed or sitemap a poll fetched, staged
    PAGES = "pages"  # the article pages a poll found, staged for fetching


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """One batch of input files, its label for the UI and its staging folder."""

    number: int
    total: int
    label: str
    files: tuple[str, ...]
    key: str
    workdir: str
    received_at: datetime
    kind: BatchKind = BatchKind.FILES
    part: int = 0  # a batch whose files hold more than MAX_DOCUMENTS goes on in parts

    def commit_id(self, run_id: str) -> str:
        """Return the id of this batch's (or part's) commit in a run."""
        return f"{run_id}-{self.number:05d}" + (f"-{self.part:05d}" if self.part else "")

    def parts(self, count: int) -> list[BatchSpec]:
        """Return the specs of a batch split in count parts, each with its staging folder."""
        if count <= 1:
            return [self]
        found = []
        for part in range(count):
            folder = locations.join(self.workdir, f"part-{part:05d}")
            locations.make_folder(folder)
            label = f"{self.label}.{part + 1}of{count}"
            found.append(replace(self, part=part, label=label, workdir=folder))
        return found


@dataclass(frozen=True, slots=True)
class Staged:
    """Parquet files a stage wrote for the next one, and its small counts."""

    paths: tuple[tuple[str, str], ...]
    counts: tuple[tuple[str, int], ...] = ()

    def table(self, name: str) -> pa.Table:
        """Read one staged table."""
        return locations.read_table(dict(self.paths)[name])

    def optional(self, name: str) -> pa.Table | None:
        """Read a staged table the stage may not have written."""
        path = dict(self.paths).get(name)
        return locations.read_table(path) if path else None

    def count(self, name: str) -> int:
        """Return one of the stage's counts."""
        return dict(self.counts)[name]


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """What every stage staged for one batch: the load commits it as one unit."""

    ingested: Staged  # documents, raw rows, fetches; counts read and skipped
    cleaned: Staged  # articles and rejects
    selected: Staged  # the articles not yet stored; count already
    deduped: Staged  # articles with their stories, links, signatures, stories
    indexed: Staged  # mentions with entity keys, entities
    extracted: Staged  # mentions and quotes


def fingerprint(files: list[Path], options: tuple[str, ...]) -> str:
    """Hash what a batch's output depends on: its files as they are now, and the options."""
    digest = hashlib.sha256("\x1f".join(options).encode())
    for path in files:
        try:
            stat = path.lstat()
            digest.update(f"{path}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\x1fmissing\n".encode())
    return digest.hexdigest()[:24]


def plan(
    warehouse: Warehouse, batches: list[list[Path]], options: tuple[str, ...], source: str
) -> list[BatchSpec]:
    """Give every batch its staging folder and key, reusing a folder a failed run left."""
    sweep_stale(warehouse)
    specs = []
    for number, files in enumerate(batches, start=1):
        folder, key, received = workdir(warehouse, fingerprint(files, options))
        specs.append(
            BatchSpec(
                number=number,
                total=len(batches),
                label=f"{source}-{number}of{len(batches)}",
                files=tuple(str(f) for f in files),
                key=key,
                workdir=folder,
                received_at=received,
            )
        )
    return specs


def workdir(warehouse: Warehouse, name: str) -> tuple[str, str, datetime]:
    """Return a batch's staging folder, its key and the time its first attempt began."""
    folder = locations.join(warehouse.work_dir, name)
    locations.make_folder(folder)
    token_file = locations.join(folder, "TOKEN")
    text = locations.read_text(token_file)
    if text is None:
        text = f"{uuid.uuid4().hex} {datetime.now(UTC).isoformat()}"
        locations.write_text(token_file, text)
    token, received = text.split()
    return folder, f"{name}-{token}", datetime.fromisoformat(received)


def plan_staged(
    warehouse: Warehouse, inputs: list[tuple[str, dict[str, pa.Table]]], source: str, first: int
) -> list[BatchSpec]:
    """Give batches whose input a poll read (kind, tables) their folders, keyed by content."""
    sweep_stale(warehouse)
    specs = []
    for offset, (kind, tables) in enumerate(inputs):
        digest = hashlib.sha256(kind.encode())
        for name in sorted(tables):
            digest.update(name.encode() + ipc_bytes(tables[name]))
        folder, key, received = workdir(warehouse, digest.hexdigest()[:24])
        files = []
        for name, table in sorted(tables.items()):
            files.append(
                locations.write_table(table, locations.join(folder, f"input.{name}.parquet"))
            )
        specs.append(
            BatchSpec(
                number=first + offset,
                total=first + len(inputs) - 1,
                label=f"{source}-{kind}-{offset + 1}of{len(inputs)}",
                files=tuple(files),
                key=key,
                workdir=folder,
                received_at=received,
                kind=BatchKind(kind),
            )
        )
    return specs


def ipc_bytes(table: pa.Table) -> bytes:
    """Return a table serialised as Arrow IPC, to hash what a batch holds."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def staged_input(spec: BatchSpec) -> Staged:
    """Return the inputs a poll staged for a batch as a stage's output."""
    names = (f.rsplit("/", 1)[-1].split(".")[1] for f in spec.files)
    return Staged(tuple(zip(names, spec.files, strict=True)), (("skipped", 0),))


def stage(spec: BatchSpec, step: str, tables: dict[str, pa.Table | None], **counts: int) -> Staged:
    """Write a stage's tables into the batch's folder (atomically) and return references."""
    paths = []
    for name, table in tables.items():
        if table is None:
            continue
        location = locations.join(spec.workdir, f"{step}.{name}.parquet")
        paths.append((name, locations.write_table(table, location)))
    return Staged(tuple(paths), tuple(sorted(counts.items())))


def clear(specs: list[BatchSpec]) -> None:
    """Delete the staging folders of batches that are fully loaded, and their pending marks."""
    for spec in specs:
        marked = locations.read_text(locations.join(spec.workdir, PENDING_LIST)) or ""
        pending = locations.join(spec.workdir.rstrip("/").rsplit("/", 1)[0], PENDING)
        for raw_id in marked.split():
            locations.remove_tree(locations.join(pending, raw_id))
        locations.remove_tree(spec.workdir)


def mark_pending(spec: BatchSpec, work_dir: str, raw_ids: set[str]) -> None:
    """Mark files whose parts may not all be loaded yet (see PENDING); before any part commits."""
    if not raw_ids:
        return
    listed = locations.join(spec.workdir, PENDING_LIST)
    known = set((locations.read_text(listed) or "").split())
    locations.write_text(listed, "\n".join(sorted(known | raw_ids)) + "\n")
    for raw_id in sorted(raw_ids):
        folder = locations.join(locations.join(work_dir, PENDING), raw_id)
        locations.make_folder(folder)
        locations.write_text(locations.join(folder, "BATCH"), spec.workdir)


def pending_raw_ids(work_dir: str) -> set[str]:
    """Return the raw_ids of files a run began to load in parts and did not finish."""
    return {f.rsplit("/", 1)[-1] for f in locations.subfolders(locations.join(work_dir, PENDING))}


@task(name="clear-staging", task_run_name="clear-staging", **ONCE)
def clear_staging(specs: list[BatchSpec]) -> None:
    """Delete the run's staged batches once every one is loaded."""
    clear(specs)


def sweep_stale(warehouse: Warehouse) -> None:
    """Delete staging folders that failed runs left and nobody re-ran for a week."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    for folder in locations.subfolders(warehouse.work_dir):
        if folder.rsplit("/", 1)[-1] == PENDING:  # marks live until their file is loaded
            continue
        begun = locations.modified(locations.join(folder, "TOKEN"))
        if begun is None or begun < cutoff:
            locations.remove_tree(folder)


def batch_tables(batch: Batch) -> dict[str, pa.Table | None]:
    """Return an ingested batch as tables: documents, rejects, raw rows, stored versions."""
    documents = pa.Table.from_pylist(
        [{f.name: getattr(d, f.name) for f in fields(Document)} for d in batch.documents],
        schema=DOCUMENTS,
    )
    history = pa.Table.from_pylist(
        [
            {
                "source": source,
                "item_uri": uri,
                "version": v,
                "article_id": a,
                "body": b,
                "title": t,
            }
            for (source, uri), versions in batch.history.items()
            for v, a, b, t in versions
        ],
        schema=HISTORY,
    )
    return {
        "documents": documents,
        "rejects": rejects_to_table(batch.rejects),
        "raw": batch.raw,
        "history": history,
    }


def batch_from(staged: Staged) -> Batch:
    """Rebuild an ingested batch from its staged tables."""
    batch = Batch(
        documents=[Document(**row) for row in staged.table("documents").to_pylist()],
        rejects=rejects_from_table(staged.table("rejects")),
        raw=staged.optional("raw"),
        skipped=staged.count("skipped"),
    )
    for row in staged.table("history").to_pylist():
        versions = batch.history.setdefault(ItemKey(row["source"], row["item_uri"]), [])
        versions.append(StoredVersion(row["version"], row["article_id"], row["body"], row["title"]))
    return batch


def rejects_to_table(rejects: list[Reject]) -> pa.Table:
    """Return rejects as staged rows (the rejects table's columns, ids not yet set)."""
    names = [f.name for f in fields(Reject)]
    return pa.Table.from_pylist(
        [{n: getattr(r, n) for n in names} for r in rejects],
        schema=pa.schema([REJECTS.field(n) for n in names]),
    )


def rejects_from_table(table: pa.Table) -> list[Reject]:
    """Rebuild rejects from staged rows."""
    return [Reject(**row) for row in table.to_pylist()]
