"""Ingest: read wire files (seed text form, JSON Lines) into documents or rejects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import task
from prefect.tasks import exponential_backoff

from tasks.common import Batch, Document, Reject

STAGE = "ingest"
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
SUPPORTED = TEXT_SUFFIXES | JSONL_SUFFIXES
DATE_LINE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})[ \t]*(?:\r?\n)?", re.IGNORECASE)
MAX_FILE_BYTES = 64 * 1024 * 1024


def list_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of input files (hidden files skipped)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    return found


def source_for(path: Path, source: str | None) -> str:
    """Return the wire a file belongs to: the given name, else its folder's name."""
    return source or path.parent.name or "unknown"


def parse_date(value: object) -> datetime | None:
    """Parse an ISO date or timestamp into an aware UTC datetime; None if absent or invalid."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def decode_text(data: bytes) -> str | None:
    """Decode UTF-8 text; None for bytes that are not text."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def read_text_file(path: Path, source: str) -> Iterator[Document | Reject]:
    """Read one article in the seed form: optional `date YYYY-MM-DD` line, then the body."""
    item_id = path.stem
    text = decode_text(path.read_bytes())
    if text is None:
        yield Reject(source, item_id, STAGE, "not_text", f"{path.name}: not UTF-8 text")
        return
    published_at = None
    match = DATE_LINE.match(text)
    if match:
        published_at = parse_date(match.group(1))
        text = text[match.end() :]
    yield Document(
        source, item_id, text, published_at=published_at, origin=f"{path.parent.name}/{path.name}"
    )


def read_jsonl_file(path: Path, source: str | None) -> Iterator[Document | Reject]:
    """Read JSON Lines records {"id","source","title","published_at","url","body"}."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            fallback_id = f"{path.stem}:{number}"
            wire = source or path.parent.name
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                yield Reject(wire, fallback_id, STAGE, "bad_json", f"{path.name}:{number}: {err}")
                continue
            if not isinstance(record, dict):
                yield Reject(
                    wire, fallback_id, STAGE, "bad_json", f"{path.name}:{number}: not an object"
                )
                continue
            body = record.get("body")
            yield Document(
                source=source or str(record.get("source") or path.parent.name),
                source_item_id=str(record.get("id") or fallback_id),
                body=body if isinstance(body, str) else None,
                title=str(record["title"]) if record.get("title") else None,
                url=str(record["url"]) if record.get("url") else None,
                published_at=parse_date(record.get("published_at")),
                origin=f"{path.parent.name}/{path.name}:{number}",
            )


def read_documents(files: Iterable[Path], source: str | None = None) -> Batch:
    """Read files into documents; unreadable or unsupported files become rejects."""
    batch = Batch()
    for path in files:
        wire = source_for(path, source)
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED:
            batch.rejects.append(
                Reject(wire, path.name, STAGE, "unsupported_format", f"{path.name}: unknown suffix")
            )
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                batch.rejects.append(Reject(wire, path.name, STAGE, "too_large", str(path)))
                continue
            reader = (
                read_text_file(path, wire)
                if suffix in TEXT_SUFFIXES
                else read_jsonl_file(path, source)
            )
            for item in reader:
                (batch.documents if isinstance(item, Document) else batch.rejects).append(item)
        except OSError as err:
            batch.rejects.append(Reject(wire, path.name, STAGE, "unreadable", str(err)))
    return batch


@task(
    name="ingest",
    task_run_name="ingest-{label}",
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=1),
    retry_jitter_factor=0.5,
)
def ingest(files: list[Path], source: str | None, label: str) -> Batch:
    """Read a batch of input files."""
    return read_documents(files, source)


def chunk(files: list[Path], size: int) -> list[list[Path]]:
    """Split files into batches of at most size files."""
    return [files[i : i + size] for i in range(0, len(files), size)] or [[]]


@task(name="discover", task_run_name="discover-inputs")
def discover(paths: list[str], batch_files: int) -> list[list[Path]]:
    """List the input files and split them into batches."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    return chunk(list_inputs(paths), batch_files)
