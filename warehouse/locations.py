"""Files at a location that is a local path or an object store URI: what run staging needs.

Stages hand each other batches through these files; on an object-store warehouse they live in
the store too, so Dask workers on other machines read and write them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

LOCAL = pafs.LocalFileSystem()
_FILESYSTEMS: dict[str, pafs.FileSystem] = {}
_GUARD = threading.Lock()


def is_uri(root: str) -> bool:
    """Return whether a warehouse root names an object store (s3://, gs://, ...), not a folder."""
    scheme, sep, _ = root.partition("://")
    return bool(sep) and scheme.isalnum() and scheme != "file"


def resolve(location: str) -> tuple[pafs.FileSystem, str]:
    """Return the filesystem holding a location and the path in it (one filesystem per bucket)."""
    if not is_uri(location):
        return LOCAL, os.path.abspath(location)
    scheme, _, path = location.partition("://")
    bucket = f"{scheme}://{path.split('/', 1)[0]}"
    with _GUARD:
        fs = _FILESYSTEMS.get(bucket)
        if fs is None:
            fs = _FILESYSTEMS[bucket] = pafs.FileSystem.from_uri(location)[0]
    return fs, path


def join(location: str, name: str) -> str:
    """Return a location inside a folder location."""
    return f"{location.rstrip('/')}/{name}"


def make_folder(location: str) -> None:
    """Create a folder (object stores need none)."""
    if not is_uri(location):
        os.makedirs(location, exist_ok=True)


def write_table(table: pa.Table, location: str) -> str:
    """Write a Parquet file that readers see whole or not at all; return its location."""
    if is_uri(location):  # an upload appears whole when it completes
        fs, path = resolve(location)
        pq.write_table(table, path, filesystem=fs, compression="zstd", write_page_checksum=True)
        return location
    tmp = f"{location}.{os.getpid()}.{threading.get_ident()}.tmp"
    pq.write_table(table, tmp, compression="zstd", write_page_checksum=True)
    os.replace(tmp, location)
    return location


def read_table(location: str) -> pa.Table:
    """Read a Parquet file."""
    fs, path = resolve(location)
    return pq.read_table(path, filesystem=fs, page_checksum_verification=True)


def read_text(location: str) -> str | None:
    """Return a small text file's content, or None if it does not exist."""
    fs, path = resolve(location)
    try:
        with fs.open_input_stream(path) as stream:
            return stream.read().decode()
    except FileNotFoundError:
        return None


def write_text(location: str, text: str) -> None:
    """Write a small text file whole."""
    if is_uri(location):
        fs, path = resolve(location)
        with fs.open_output_stream(path) as sink:
            sink.write(text.encode())
        return
    tmp = f"{location}.{os.getpid()}.tmp"
    with open(tmp, "w") as sink:
        sink.write(text)
    os.replace(tmp, location)


def modified(location: str) -> float | None:
    """Return a file's modification time in seconds since the epoch, None if it is absent."""
    fs, path = resolve(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound or info.mtime is None:
        return None
    return info.mtime.timestamp()


def subfolders(location: str) -> list[str]:
    """Return the folders directly inside a folder location."""
    fs, path = resolve(location)
    found = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    return [join(location, f.base_name) for f in found if f.type == pafs.FileType.Directory]


def remove_tree(location: str) -> None:
    """Delete a folder and everything in it, if it exists."""
    if not is_uri(location):
        shutil.rmtree(location, ignore_errors=True)
        return
    fs, path = resolve(location)
    with contextlib.suppress(FileNotFoundError):
        fs.delete_dir(path)
