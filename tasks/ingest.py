"""Ingest: read inbox files safely, archive them as received, and parse them into documents."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from prefect import task

from tasks.common import Batch, Document, ItemKey, Reject, StoredVersion, item_key, stable_id
from tasks.formats import FORMATS, SINGLE_ITEM, Origin, ParseError, detect, parse
from tasks.formats.base import parse_date, safe_id, safe_text
from tasks.options import RunOptions
from tasks.policies import CACHED_IO, ONCE
from tasks.staging import (
    BatchSpec,
    Staged,
    batch_from,
    batch_tables,
    mark_pending,
    pending_raw_ids,
    plan,
    plan_staged,
    stage,
    staged_input,
)
from tasks.web import Polled, fetch_pages, fetches_table, jobs_from, jobs_table, survey
from warehouse import Warehouse
from warehouse.schemas import RAW

STAGE = "ingest"
MAX_FILE_BYTES = 64 * 1024 * 1024  # feeds and JSON Lines files holding many items
PAGES_PER_BATCH = 100  # pages fetched per batch: their bodies are held until the batch is staged
# Documents one batch carries through clean, extract, dedup and load: a feed or JSON Lines file
# of 100,000 items goes on in parts of this size, so memory does not grow with one file; it
# matches the default files per batch, so a batch carries at most about 500 documents either way.
MAX_DOCUMENTS = 500
MAX_ITEM_FILE_BYTES = 8 * 1024 * 1024  # files holding one article
BATCH_BYTES = 64 * 1024 * 1024  # bounds the bytes one batch holds in memory
# The first and last batches are small: spaCy's workers start parsing soon after the run starts,
# and little dedup and load is left once the last parse ends. Sizes double towards batch_files.
RAMP_FILES = 32
HASHED_GUESSES = 64  # files with unknown names that looks_new reads before guessing "new"
UNKNOWN = "unknown"  # the raw format of a document no parser takes: archived, then rejected

__all__ = ["chunk", "list_inputs", "parse_date", "read_documents"]


def list_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of entries, hidden names skipped.

    Symbolic links are listed but never followed, so ingest can reject them by name; a given
    path that is itself a link is one of them, or a link to /etc would be a way out.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if linked_part(path) or not path.is_dir():
            found.append(path)
            continue
        for folder, dirs, files in os.walk(path, followlinks=False):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            links = [d for d in dirs if (here / d).is_symlink()]
            dirs[:] = [d for d in dirs if d not in links]
            found.extend(here / name for name in files + links if not name.startswith("."))
    return sorted(found, key=str)


def linked_part(path: Path) -> Path | None:
    """Return the first symbolic link among a path's components as written, else None.

    `inbox/link/sub` and `inbox/link/../x` lead where the link points, though the last
    component is no link: every component is checked, as walking an inbox checks each entry.
    """
    part = Path(path.anchor)
    for name in path.parts[1:] if path.anchor else path.parts:
        part = part / name
        if part.is_symlink():
            return part
    return None


def source_for(path: Path, source: str | None) -> str:
    """Return the wire a file belongs to: the given name, else its folder's name."""
    return source or safe_text(path.parent.name) or "unknown"


def chunk(files: list[Path], size: int, max_bytes: int = BATCH_BYTES) -> list[list[Path]]:
    """Split files into batches of at most size files and about max_bytes bytes."""
    batches: list[list[Path]] = []
    current: list[Path] = []
    used = 0
    for path in files:
        try:
            nbytes = min(path.lstat().st_size, MAX_FILE_BYTES)
        except OSError:
            nbytes = 0
        if current and (len(current) >= size or used + nbytes > max_bytes):
            batches.append(current)
            current, used = [], 0
        current.append(path)
        used += nbytes
    if current:
        batches.append(current)
    return batches or [[]]


def ramp_sizes(n: int, size: int, first: int | None = None) -> list[int]:
    """Return batch sizes for n files: doubling from first up to size, and halving at the end."""
    head: list[int] = []
    step = min(first or RAMP_FILES, size)
    while n >= 3 * step:  # a batch at each end and at least as much left between them
        head.append(step)
        n -= 2 * step
        step = min(2 * step, size)
    parts = -(-n // size)  # what is left, in near-equal batches of at most size
    middle = [n // parts + (i < n % parts) for i in range(parts)] if n else []
    return head + middle + head[::-1]


def ramped(files: list[Path], size: int, max_bytes: int = BATCH_BYTES) -> list[list[Path]]:
    """Split files like chunk, with small first and last batches (see RAMP_FILES)."""
    batches: list[list[Path]] = []
    start = 0
    for n in ramp_sizes(len(files), size):
        batches += chunk(files[start : start + n], n, max_bytes)
        start += n
    return batches or [[]]


def looks_new(paths: Iterable[str], warehouse: Warehouse, source: str | None) -> bool:
    """Guess cheaply whether some input file is not in the raw archive: by name, then by bytes."""
    files = list_inputs(p for p in paths if Path(p).exists())
    if not files:
        return False
    stored = set(warehouse.read("raw", columns=["path"])["path"].to_pylist())
    unnamed = [f for f in files if origin_of(f, source).name not in stored]
    if len(unnamed) > HASHED_GUESSES:
        return True
    # A byte-identical copy under another name is archived once, so its name is never stored;
    # without this check every re-run of an inbox holding one would start the workers.
    keys: set[tuple[str, str]] = set()
    for path in unnamed:
        try:
            data = read_bytes(path, MAX_FILE_BYTES)
        except (ParseError, OSError):
            return True  # a reject, which the run records again
        keys.add((source_for(path, source), hashlib.sha256(data).hexdigest()))
    return bool(keys - known_raw(warehouse, keys))


def read_bytes(path: Path, limit: int) -> bytes:
    """Read a regular file without following links and without reading past limit bytes."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise ParseError("symlink", "symbolic link: links are not followed")
    link = linked_part(path.parent)
    if link is not None:
        raise ParseError("symlink", f"{link} is a symbolic link: links are not followed")
    if not stat.S_ISREG(info.st_mode):
        raise ParseError("not_regular_file", "not a regular file")
    if info.st_size > limit:
        raise ParseError("too_large", f"{info.st_size} bytes, limit {limit}")
    # O_NOFOLLOW closes the gap between lstat and open; O_NONBLOCK keeps a swapped-in FIFO
    # from hanging the run.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ParseError("not_regular_file", "not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ParseError("too_large", f"more than {limit} bytes")
    return data


def origin_of(path: Path, source: str | None) -> Origin:
    """Describe where a file came from, with names made safe to print and store."""
    folder = safe_text(path.parent.name)
    fallback = "item-" + stable_id(path.name, length=12)
    return Origin(source, folder or "unknown", f"{folder}/{safe_text(path.name)}",
                  safe_id(path.stem, fallback))  # fmt: skip


def parse_safely(data: bytes, origin: Origin, fmt: str) -> Iterator[Document | Reject]:
    """Parse a document; an unexpected parser failure rejects the rest instead of the run."""
    try:
        yield from parse(data, origin, fmt)
    except Exception as err:  # a bug or a library failing on hostile input must not stop a run
        yield origin.reject(origin.stem, "parse_error", f"{type(err).__name__}: {err}"[:300])


def parse_received(data: bytes, origin: Origin, fmt: str) -> Iterator[Document | Reject]:
    """Parse a received document; one in no known format becomes its reject."""
    if fmt == UNKNOWN:
        yield origin.reject(origin.stem, "unsupported_format", "unknown")
        return
    yield from parse_safely(data, origin, fmt)


def known_raw(warehouse: Warehouse | None, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Return the (source, content_hash) pairs the raw archive holds as fully loaded.

    A file whose parts a stopped run did not all load is held but pending: it is read again.
    """
    if warehouse is None or not keys:
        return set()
    hashes = sorted({digest for _, digest in keys})
    stored = warehouse.read(
        "raw", columns=["source", "content_hash"], filter=pc.field("content_hash").isin(hashes)
    )
    pairs = zip(stored["source"].to_pylist(), stored["content_hash"].to_pylist(), strict=True)
    held = set(pairs) & keys
    pending = pending_raw_ids(warehouse.work_dir) if held else set()
    return {(wire, digest) for wire, digest in held if stable_id(wire, digest) not in pending}


class Received(NamedTuple):
    """A file's bytes as received, before the raw archive is asked about them."""

    origin: Origin
    wire: str
    data: bytes
    digest: str  # sha256 of data
    fmt: str


def read_documents(
    files: Iterable[Path],
    source: str | None = None,
    fmt: str | None = None,
    warehouse: Warehouse | None = None,
    received_at: datetime | None = None,
) -> Batch:
    """Read files into documents and raw rows; skip files the raw archive holds; reject the bad."""
    batch = Batch()
    received = [r for path in files if (r := receive(path, source, fmt, batch)) is not None]
    skip = known_raw(warehouse, {(r.wire, r.digest) for r in received})
    raw_rows: dict[str, list] = {name: [] for name in RAW.names}
    seen: set[tuple[str, str]] = set()
    for item in received:
        if (item.wire, item.digest) in skip or (item.wire, item.digest) in seen:
            batch.skipped += 1
            continue
        seen.add((item.wire, item.digest))
        archive(item, received_at or datetime.now(UTC), raw_rows, batch)
    batch.raw = pa.table(raw_rows, schema=RAW)
    if warehouse is not None:
        batch.history = stored_versions(warehouse, batch.documents)
    return batch


def receive(path: Path, source: str | None, fmt: str | None, batch: Batch) -> Received | None:
    """Read one file within its size limit; None, with its reject in batch, when it cannot be."""
    origin = origin_of(path, source)
    wire = source_for(path, source)
    chosen = fmt if fmt and fmt != "auto" else detect(path.name, b"")
    limit = MAX_ITEM_FILE_BYTES if chosen in SINGLE_ITEM else MAX_FILE_BYTES
    try:
        data = read_bytes(path, limit)
    except ParseError as err:
        batch.rejects.append(Reject(wire, origin.stem, STAGE, err.reason, origin.name))
        return None
    except OSError as err:
        detail = f"{origin.name}: {err.strerror or type(err).__name__}"
        reason = "symlink" if err.errno == 40 else "unreadable"  # ELOOP: link swapped in
        batch.rejects.append(Reject(wire, origin.stem, STAGE, reason, detail))
        return None
    chosen = (fmt if fmt and fmt != "auto" else detect(path.name, data)) or UNKNOWN
    return Received(origin, wire, data, hashlib.sha256(data).hexdigest(), chosen)


def archive(item: Received, received_at: datetime, raw_rows: dict[str, list], batch: Batch) -> None:
    """Add a received file's raw row, and the documents and rejects parsed from it."""
    raw_id = stable_id(item.wire, item.digest)
    for name, value in (
        ("raw_id", raw_id),
        ("source", item.wire),
        ("item_id", item.origin.stem),
        ("path", item.origin.name),
        ("format", item.fmt),
        ("content_hash", item.digest),
        ("size", len(item.data)),
        ("received_at", received_at),
        ("data", item.data),
        ("run_id", None),
    ):
        raw_rows[name].append(value)
    for parsed in parse_received(item.data, item.origin, item.fmt):
        if isinstance(parsed, Document):
            parsed.raw_id = raw_id
            batch.documents.append(parsed)
        else:
            batch.rejects.append(parsed)


def reparse(row: dict) -> list[Document | Reject]:
    """Parse a stored raw row again, as if it had just arrived (re-extraction)."""
    origin = Origin(None, row["source"], row["path"], row["item_id"])
    items = list(parse_received(row["data"], origin, row["format"]))
    for item in items:
        if isinstance(item, Document):
            item.raw_id = row["raw_id"]
    return items


def stored_versions(
    warehouse: Warehouse, documents: list[Document]
) -> dict[ItemKey, list[StoredVersion]]:
    """Return the stored versions of the batch's items, oldest first, keyed by item."""
    uris = sorted({d.item_uri or d.source_item_id for d in documents})
    if not uris:
        return {}
    columns = ["article_id", "source", "source_item_id", "item_uri", "version"]
    match = pc.field("source_item_id").isin(uris) | pc.field("item_uri").isin(uris)
    stored = warehouse.read("articles", columns=columns, filter=match)
    wanted = {item_key(d) for d in documents}
    rows = [r for r in stored.to_pylist() if row_key(r) in wanted]
    kills = {item_key(d) for d in documents if d.withdrawn}
    bodies = killed_texts(warehouse, [r["article_id"] for r in rows if row_key(r) in kills])
    history: dict[ItemKey, list[StoredVersion]] = {}
    for r in rows:
        body, title = bodies.get(r["article_id"], ("", None))
        version = StoredVersion(r["version"] or 1, r["article_id"], body, title)
        history.setdefault(row_key(r), []).append(version)
    for versions in history.values():
        versions.sort()
    return history


def row_key(row: dict) -> ItemKey:
    """Return the item key of a stored article row."""
    return ItemKey(row["source"], row["item_uri"] or row["source_item_id"])


def killed_texts(warehouse: Warehouse, article_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Return the body and title of stored versions a kill withdraws (a kill carries no text)."""
    if not article_ids:
        return {}
    table = warehouse.read(
        "articles", columns=["article_id", "body", "title"],
        filter=pc.field("article_id").isin(article_ids),
    )  # fmt: skip
    return {r["article_id"]: (r["body"], r["title"]) for r in table.to_pylist()}


def read_polled(polled: Polled, warehouse: Warehouse | None) -> Batch:
    """Drop the documents of fetched bodies the raw archive already holds, as for files."""
    batch = polled.batch
    raw = batch.raw if batch.raw is not None else RAW.empty_table()
    keys = set(zip(raw["source"].to_pylist(), raw["content_hash"].to_pylist(), strict=True))
    known = known_raw(warehouse, keys)
    if known:
        pairs = zip(raw["source"].to_pylist(), raw["content_hash"].to_pylist(), strict=True)
        keep = [pair not in known for pair in pairs]
        dropped = set(raw.filter(pa.array([not k for k in keep]))["raw_id"].to_pylist())
        batch.raw = raw.filter(pa.array(keep, pa.bool_()))
        batch.documents = [d for d in batch.documents if d.raw_id not in dropped]
        batch.skipped += len(dropped)  # bodies already received, counted as files are
    ids = batch.raw["raw_id"].to_pylist() if batch.raw is not None else []
    if len(set(ids)) < len(ids):  # one body at two URLs: archived once, as for files
        first = {raw_id: n for n, raw_id in reversed(list(enumerate(ids)))}
        keep = [first[raw_id] == n for n, raw_id in enumerate(ids)]
        batch.raw = batch.raw.filter(pa.array(keep, pa.bool_()))
    if warehouse is not None:
        batch.history = stored_versions(warehouse, batch.documents)
    return batch


def stage_polled(spec: BatchSpec, batch: Batch, fetches: pa.Table, work_dir: str = "") -> Parts:
    """Stage what a poll step read, with its requests."""
    return stage_parts(spec, batch, {"fetches": fetches}, work_dir)


Parts = tuple[tuple[BatchSpec, Staged], ...]


def split_documents(documents: list[Document], size: int) -> list[list[Document]]:
    """Split documents in parts of about size, keeping every version of an item in one part."""
    groups: dict[ItemKey, list[Document]] = {}
    for document in documents:
        groups.setdefault(item_key(document), []).append(document)
    parts: list[list[Document]] = [[]]
    for group in groups.values():
        if parts[-1] and len(parts[-1]) + len(group) > size:
            parts.append([])
        parts[-1].extend(group)
    return parts


def stage_parts(
    spec: BatchSpec, batch: Batch, extra: dict[str, pa.Table] | None = None, work_dir: str = ""
) -> Parts:
    """Stage a read batch, in parts of at most MAX_DOCUMENTS documents when it holds more.

    Each raw row goes with the first part that holds one of its documents (a row without
    documents with the first part), so every article commits with its raw row. A file whose
    documents span parts is marked pending until the run completes (tasks/staging.py PENDING):
    a run that stops between its parts leaves its raw row committed, and the next run reads it
    again. Rejects go with the first part, the extra tables with the last.
    """
    groups = split_documents(batch.documents, MAX_DOCUMENTS)
    specs = spec.parts(len(groups))
    raw_parts = raw_by_part(batch.raw, groups)
    if len(groups) > 1 and work_dir:
        mark_pending(spec, work_dir, spanning(groups))
    staged = []
    for number, (part, documents) in enumerate(zip(specs, groups, strict=True)):
        last = number == len(groups) - 1
        keys = {item_key(d) for d in documents}
        piece = Batch(
            documents=documents,
            rejects=batch.rejects if number == 0 else [],
            raw=raw_parts[number],
            skipped=batch.skipped if last else 0,
            history={k: v for k, v in batch.history.items() if k in keys},
        )
        tables = batch_tables(piece) | ((extra or {}) if last else {})
        read = len(piece.documents) + len(piece.rejects)
        staged.append((part, stage(part, "ingest", tables, skipped=piece.skipped, read=read)))
    return tuple(staged)


def raw_by_part(raw: pa.Table | None, groups: list[list[Document]]) -> list[pa.Table | None]:
    """Split raw rows over the parts: each with the first part holding one of its documents."""
    if raw is None or len(groups) == 1:
        return [raw]
    first: dict[str | None, int] = {}
    for number, documents in enumerate(groups):
        for document in documents:
            first.setdefault(document.raw_id, number)
    owner = pa.array([first.get(raw_id, 0) for raw_id in raw["raw_id"].to_pylist()], pa.int32())
    return [raw.filter(pc.equal(owner, number)) for number in range(len(groups))]


def spanning(groups: list[list[Document]]) -> set[str]:
    """Return the raw_ids whose documents are in more than one part."""
    parts: dict[str, set[int]] = {}
    for number, documents in enumerate(groups):
        for document in documents:
            if document.raw_id:
                parts.setdefault(document.raw_id, set()).add(number)
    return {raw_id for raw_id, numbers in parts.items() if len(numbers) > 1}


@task(
    name="ingest",
    task_run_name="ingest-{spec.label}",
    **CACHED_IO,
)
def ingest(
    spec: BatchSpec, warehouse: Warehouse, options: RunOptions, urls: tuple[str, ...] = ()
) -> Parts:
    """Read a batch of input files, or fetch a batch of pages, and stage it (in parts)."""
    if spec.kind == "listing":  # the poll read it already
        listing = staged_input(spec)
        polled = Polled(batch=batch_from(listing))
        fetches = listing.table("fetches")
        return stage_polled(spec, read_polled(polled, warehouse), fetches, warehouse.work_dir)
    if spec.kind == "pages":
        jobs = jobs_from(staged_input(spec).table("jobs"))
        polled = fetch_pages(jobs, options.source, options.web_options, set(urls))
        fetches = fetches_table(polled.fetches, options.source)
        return stage_polled(spec, read_polled(polled, warehouse), fetches, warehouse.work_dir)
    files = [Path(f) for f in spec.files]
    batch = read_documents(files, options.source, options.fmt, warehouse, spec.received_at)
    return stage_parts(spec, batch, work_dir=warehouse.work_dir)


@task(name="poll", task_run_name="poll-{label}", **ONCE)
def poll(
    urls: list[str], warehouse: Warehouse, options: RunOptions, first: int, label: str = "live"
) -> list[BatchSpec]:
    """Fetch the configured URLs and split what they list into batches of pages to fetch."""
    source = options.source
    polled = survey(urls, source, options.web_options, warehouse)
    listing = batch_tables(polled.batch) | {"fetches": fetches_table(polled.fetches, source)}
    inputs = [("listing", listing)]
    for start in range(0, len(polled.jobs), PAGES_PER_BATCH):
        inputs.append(("pages", {"jobs": jobs_table(polled.jobs[start : start + PAGES_PER_BATCH])}))
    return plan_staged(warehouse, inputs, label, first)


@task(name="discover", task_run_name="discover-inputs", **ONCE)
def discover(paths: list[str], warehouse: Warehouse, options: RunOptions) -> list[BatchSpec]:
    """List the input files and split them into batches bounded in files and bytes."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    source, fmt = options.source, options.fmt
    if fmt not in (None, *FORMATS):
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    batches = ramped(list_inputs(paths), options.batch_files)
    # What the batch keys depend on: the options that change what a batch's files become.
    keyed = (source or "", fmt or "")
    return plan(warehouse, batches, keyed, source or "inbox")
