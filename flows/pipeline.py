"""The ingestion flow: ingest → clean → extract → dedup → load, one task per stage per batch."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from tasks.clean import clean
from tasks.dedup import dedup
from tasks.extract import extract, model_name
from tasks.ingest import discover, ingest
from tasks.load import Counts, load, record, select_new
from warehouse import Warehouse

SAMPLE_INBOX = Path(__file__).resolve().parents[1] / "samples" / "inbox"
DEFAULT_WAREHOUSE = "data/warehouse"
BATCH_FILES = 500


@dataclass(slots=True)
class RunReport:
    """What one flow run did."""

    run_id: str
    warehouse: str
    counts: Counts


def warehouse_root(value: str | None = None) -> str:
    """Return the warehouse root: the given value, WIREDESK_WAREHOUSE, or ./data/warehouse."""
    return value or os.environ.get("WIREDESK_WAREHOUSE") or DEFAULT_WAREHOUSE


def run_name() -> str:
    """Name a flow run after its source and start time, for the Prefect UI."""
    source = flow_run.parameters.get("source") or "inbox"
    return f"ingest-{source}-{datetime.now(UTC):%Y%m%dT%H%M%S}"


@flow(name="wiredesk-ingest", flow_run_name=run_name, log_prints=True)
def ingest_flow(
    paths: list[str] | None = None,
    source: str | None = None,
    warehouse: str | None = None,
    model: str | None = None,
    batch_files: int = BATCH_FILES,
    n_process: int = 1,
    fmt: str | None = None,
) -> RunReport:
    """Ingest files into the warehouse, batch by batch, under the single-writer lock."""
    logger = get_run_logger()
    root = warehouse_root(warehouse)
    model = model or model_name()
    started_at = datetime.now(UTC)
    run_id = f"{started_at:%Y%m%dT%H%M%S}-{os.getpid()}"
    total = Counts()
    with Warehouse(root).lock():
        batches = discover([str(p) for p in paths or [SAMPLE_INBOX]], batch_files)
        for number, files in enumerate(batches, start=1):
            label = f"{source or 'inbox'}-{number}of{len(batches)}"
            documents = ingest(files, source, label, fmt, root)
            articles, rejects = clean(documents, started_at, label)
            fresh, already = select_new(articles, root, label)
            mentions, quotes = extract(fresh, model, n_process, label)
            placed, links, signatures, stories = dedup(fresh, mentions, quotes, root, label)
            counts = load(
                root,
                f"{run_id}-{number:05d}",
                run_id,
                placed,
                mentions,
                quotes,
                links,
                signatures,
                stories,
                rejects,
                len(documents.documents) + len(documents.rejects),
                already,
                label,
                raw=documents.raw,
                skipped=documents.skipped,
            )
            total.add(counts)
            logger.info("batch %s: %s", label, counts)
        record(root, run_id, started_at, datetime.now(UTC), "completed", total)
    return RunReport(run_id, root, total)
