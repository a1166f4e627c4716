"""The quick check of a snapshot's files, run before every write: cheap enough to run always.

Each listed file must exist with its committed size, the crc32 of its last TAIL_BYTES and the
row count of its footer (read from the same tail), and its path must stay inside its table. The
tail of a file is read once per process and file version: files never change once written, so a
file whose identity (inode, size, modification time; on an object store: key, size, modification
time) and manifest entry were verified before is not read again, and a commit, which links the
same files into a new snapshot, costs one stat per file plus a tail read per new file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from warehouse.store import (
    LOCAL,
    TAIL_BYTES,
    FileEntry,
    Problem,
    Snapshot,
    first_line,
    plural,
    tail_crc32,
)

_VERIFIED: set[tuple] = set()  # (identity..., bytes, tail crc32, rows) of files that matched
_GUARD = threading.Lock()


def unsafe_path(rel: str) -> str | None:
    """Return why a manifest path may not be followed (it leaves its table), or None."""
    parts = rel.split("/")
    if rel.startswith("/") or PurePosixPath(rel).is_absolute() or "\\" in rel:
        return "an absolute path"
    if any(part in ("", ".", "..") for part in parts) or len(parts) < 2:
        return "a path that leaves its table folder"
    if parts[0].startswith(("_", ".")) or not rel.endswith(".parquet"):
        return "not a data file of a table"
    return None


def read_tail(fs: pafs.FileSystem, path: str, size: int) -> bytes:
    """Return the last TAIL_BYTES of a file of a known size."""
    with fs.open_input_file(path) as handle:
        handle.seek(max(0, size - TAIL_BYTES))
        return handle.read()


def footer_rows(fs: pafs.FileSystem, path: str, tail: bytes) -> int:
    """Return the row count of a Parquet file's footer, from its tail when the footer fits."""
    footer = int.from_bytes(tail[-8:-4], "little") if len(tail) >= 8 else len(tail)
    if footer + 8 <= len(tail):
        return pq.ParquetFile(pa.BufferReader(tail)).metadata.num_rows
    with fs.open_input_file(path) as handle:
        return pq.ParquetFile(handle).metadata.num_rows


def identity(snap: Snapshot, path: str, info: pafs.FileInfo) -> tuple | None:
    """Return what tells one version of a file from another without reading it."""
    if snap.fs is LOCAL:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return ("local", st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)  # links change ctime
    mtime = info.mtime.timestamp() if info.mtime is not None else None
    return (snap.fs.type_name, path, info.size, mtime)


def tail_problem(
    snap: Snapshot, rel: str, entry: FileEntry, info: pafs.FileInfo | None = None
) -> Problem | None:
    """Return how a file of the right size differs from its entry's tail and rows, or None.

    With info (the file's stat), a file version verified before in this process is not read.
    """
    path = f"{snap.path}/{rel}"
    key = None
    if info is not None:
        found = identity(snap, path, info)
        key = (*found, entry.bytes, entry.tail_crc32, entry.rows) if found else None
        if key in _VERIFIED:
            return None
    try:
        tail = read_tail(snap.fs, path, entry.bytes)
        if tail_crc32(tail) != entry.tail_crc32:
            return Problem("changed", rel, "its bytes differ from the committed file's")
        rows = footer_rows(snap.fs, path, tail)
    except (OSError, pa.ArrowException) as err:
        return Problem("unreadable", rel, first_line(err))
    if rows != entry.rows:
        return Problem("rows", rel, f"{rows} rows, committed {entry.rows}")
    if key is not None:
        with _GUARD:
            _VERIFIED.add(key)
    return None


def quick_problems(
    snap: Snapshot, tables: list[str] | None = None, cached: bool = True
) -> list[Problem]:
    """Return the files of a snapshot that are missing, resized, changed or hold other rows.

    Manifest paths that leave their table are problems too, and never opened.
    """
    entries = snap.entries()
    if entries is None or snap.path is None:
        return []
    problems = []
    chosen = [rel for rel in entries if tables is None or rel.split("/", 1)[0] in tables]
    for rel in [r for r in chosen if unsafe_path(r)]:
        problems.append(Problem("outside", rel, f"{unsafe_path(rel)}; never followed"))
    chosen = [rel for rel in chosen if not unsafe_path(rel)]
    infos = snap.fs.get_file_info([f"{snap.path}/{rel}" for rel in chosen])
    for rel, info in zip(chosen, infos, strict=True):
        entry = entries[rel]
        problem = size_problem(rel, entry, info) or tail_problem(
            snap, rel, entry, info if cached else None
        )
        if problem:
            problems.append(problem)
    return problems


def size_problem(rel: str, entry: FileEntry, info: pafs.FileInfo) -> Problem | None:
    """Return whether a file is missing or not its committed size, from its stat."""
    if info.type == pafs.FileType.NotFound:
        return Problem("missing", rel, plural(entry.rows, "row"))
    if info.type != pafs.FileType.File:
        return Problem("unreadable", rel, "not a file")
    if info.size < entry.bytes:
        return Problem("truncated", rel, f"{info.size} bytes of {entry.bytes}")
    if info.size != entry.bytes:
        return Problem("resized", rel, f"{info.size} bytes, committed {entry.bytes}")
    return None


def decode_problem(snap: Snapshot, rel: str) -> Problem | None:
    """Return how a file fails to decode whole (page checksums, raw content hashes), or None."""
    path = f"{snap.path}/{rel}"
    try:
        with snap.fs.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle, page_checksum_verification=True)
            hashed = rel.split("/", 1)[0] == "raw" and {"data", "content_hash"} <= set(
                parquet.schema_arrow.names
            )
            for group in range(parquet.num_row_groups):
                table = parquet.read_row_group(group)
                if hashed and (bad := unhashed(table)):
                    return Problem("content", rel, bad)
    except (OSError, pa.ArrowException) as err:
        return Problem("unreadable", rel, first_line(err))
    return None


def unhashed(raw: pa.Table) -> str | None:
    """Return which raw row's data no longer has its content_hash (sha256), or None."""
    ids = raw["raw_id"].to_pylist() if "raw_id" in raw.column_names else None
    for n, (data, digest) in enumerate(
        zip(raw["data"].to_pylist(), raw["content_hash"].to_pylist(), strict=True)
    ):
        if data is not None and digest is not None and hashlib.sha256(data).hexdigest() != digest:
            which = f"raw_id {ids[n]}" if ids else f"row {n}"
            return f"{which}: the sha256 of its data is not its content_hash"
    return None


def first_undecodable(snap: Snapshot, name: str) -> Problem | None:
    """Return the first file of a table that fails to decode (after a read failed), or None."""
    for path in snap.files(name):
        problem = decode_problem(snap, snap.rel(path))
        if problem is not None:
            return problem
    return None
