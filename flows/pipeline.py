"""The ingestion flow: ingest → clean → extract → dedup → load, one task per stage per batch."""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow, State, flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.schemas.objects import FlowRun
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.progress import Progress
from flows.settings import build
from tasks.clean import clean
from tasks.common import Counts, freeze_heap, release_memory
from tasks.extract import DEFAULT_MODEL, ModelNotFound, extract, warm_up
from tasks.ingest import discover, ingest, looks_new, poll
from tasks.load import load, load_fetches, record, select_new
from tasks.options import BATCH_FILES, RunOptions
from tasks.report import digest_run, markdown, table_rows
from tasks.staging import BatchKind, BatchSpec, Staged, StagedBatch, clear_staging
from tasks.web import WebOptions
from warehouse import Warehouse, WarehouseError

# The bundled sample inbox: samples/inbox in a checkout (flows/sample links to samples/), the
# copy shipped as package data in an installed wheel.
SAMPLE_INBOX = (Path(__file__).resolve().parent / "sample" / "inbox").resolve()
# Batches submitted to extraction ahead of the single-writer load: enough that spaCy's workers
# always have a queued batch while this process ingests, cleans, deduplicates and loads.
IN_FLIGHT = 3


@dataclass(slots=True)
class RunReport:
    """What one flow run did."""

    run_id: str
    warehouse: str
    counts: Counts


def run_name() -> str:
    """Name a flow run after its source and start time, for the Prefect UI."""
    source = flow_run.parameters.get("source") or "inbox"
    return f"ingest-{source}-{datetime.now(UTC):%Y%m%dT%H%M%S}"


def current_run_id() -> str:
    """Return this flow run's id, which also names its rows and files in the warehouse."""
    return str(flow_run.id or f"local-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}")


def start_workers_early(
    paths: list[str] | None, warehouse: str | None, options: RunOptions
) -> bool:
    """Start spaCy's workers before the flow runs when the input looks new; return whether."""
    # A hint, not a decision: the flow's ingest still decides what is new. A wrong guess costs
    # either a model load for nothing or a later start, never a row.
    inputs = [str(p) for p in paths or [SAMPLE_INBOX]]
    if not looks_new(inputs, warehouse_at(warehouse), options.source):
        return False
    try:
        warm_up(options.model or DEFAULT_MODEL, options.n_process, options.full_parse)
    except ModelNotFound:
        return False  # the flow run fails on it, with its reason recorded in the runs table
    return True


def warehouse_at(root: str | None) -> Warehouse:
    """Return the warehouse at root, else the settings' (WIREDESK_WAREHOUSE or the default)."""
    return Warehouse(build(warehouse=root).warehouse)


def record_failure(flow: Flow, run: FlowRun, state: State) -> None:
    """Write why a run failed to its logs and to the runs table."""
    from prefect.logging.loggers import flow_run_logger

    reason = str(state.message or state.name)
    flow_run_logger(run, flow).error("wiredesk run failed: %s", reason)
    warehouse = warehouse_at(run.parameters.get("warehouse"))
    now = datetime.now(UTC)
    try:
        with warehouse.lock(wait_seconds=60):
            started = run.start_time or now
            source = run.parameters.get("source")
            record.fn(warehouse, str(run.id), started, now, "failed", Counts(), reason, source)
    except WarehouseError as err:  # a damaged or busy warehouse: the run's logs keep the reason
        flow_run_logger(run, flow).error("the failure is not in the runs table: %s", err)


@flow(
    name="wiredesk-ingest",
    flow_run_name=run_name,
    log_prints=True,
    on_failure=[record_failure],
)
def ingest_flow(
    paths: list[str] | None = None,
    source: str | None = None,
    warehouse: str | None = None,
    model: str | None = None,
    batch_files: int = BATCH_FILES,
    n_process: int = 1,
    fmt: str | None = None,
    urls: list[str] | None = None,
    web: WebOptions | None = None,
    full_parse: bool | None = None,
) -> RunReport:
    """Ingest files and live URLs into the warehouse, batch by batch, under the writer lock.

    The parameters are the run's options (tasks.options.RunOptions) as deployments give them;
    those not given come from the settings of the process that runs the flow.
    """
    settings = build(warehouse=warehouse, model=model, full_parse=full_parse)
    store = Warehouse(settings.warehouse)
    options = RunOptions(
        source=source,
        fmt=fmt,
        model=settings.model,
        full_parse=settings.full_parse,
        batch_files=batch_files,
        n_process=n_process,
        web=web,
    )
    started_at = datetime.now(UTC)
    run_id = current_run_id()
    if not gc.get_freeze_count():  # once per process: a served process runs many flow runs
        freeze_heap()
    with store.lock(wait_seconds=600):
        specs = plan_batches(paths, urls, store, options)
        tally = RunTally.start(specs, get_run_logger())
        run_batches(specs, store, options, run_id, tuple(urls or ()), tally)
        tally.bar.close()
        total = tally.total
        record(store, run_id, started_at, datetime.now(UTC), "completed", total, None, source)
        clear_staging(specs)
        publish_artifacts(store, run_id, total)
    return RunReport(run_id, store.root, total)


def plan_batches(
    paths: list[str] | None, urls: list[str] | None, store: Warehouse, options: RunOptions
) -> list[BatchSpec]:
    """Return the run's batches: the files given (the sample inbox when nothing is), then URLs."""
    specs = []
    if paths or not urls:
        inputs = [str(p) for p in paths or [SAMPLE_INBOX]]
        specs = discover(inputs, store, options)
    if urls:
        specs += poll(urls, store, options, len(specs) + 1, options.source or "live")
    return specs


def run_batches(
    specs: list[BatchSpec],
    store: Warehouse,
    options: RunOptions,
    run_id: str,
    urls: tuple[str, ...],
    tally: RunTally,
) -> None:
    """Ingest, clean and submit each batch's extraction in order; the window loads them."""
    window = BatchWindow(store, run_id, tally.done)
    warm = not parses_here()
    # On Dask the cluster's workers are the parallelism: each parses in its own process.
    parsing = replace(options, n_process=1) if warm else options
    parts = (part for batch in specs for part in ingest(batch, store, options, urls))
    for spec, ingested in parts:
        if spec.part:  # a batch that goes on in parts: the bar counts each part
            tally.bar.batches += 1
        if not ingested.count("read"):
            tally.done(spec.label, nothing_new(spec, run_id, store, ingested))
            continue
        if not warm:  # something new: the workers load the model while this batch is cleaned
            warm_up(options.model, options.n_process, options.full_parse)
            warm = True
        log_stage("ingest", spec.label, read=ingested.count("read"),
                  already_received=ingested.count("skipped"))  # fmt: skip
        cleaned = clean(spec, ingested)
        log_stage("clean", spec.label, articles=rows(cleaned, "articles"),
                  rejects=rows(cleaned, "rejects"))  # fmt: skip
        selected = select_new(spec, cleaned, store)
        extraction = extract.submit(spec, selected, parsing)
        window.add(Pending(spec, ingested, cleaned, selected, extraction))
    window.drain()


def nothing_new(spec: BatchSpec, run_id: str, store: Warehouse, ingested: Staged) -> Counts:
    """Return the counts of a batch that read nothing new; record its requests if polled."""
    # Every file is in the raw archive, which a batch's commit fills together with its
    # articles, or every page answered 304: nothing to clean, parse or load.
    if spec.kind == BatchKind.FILES:
        return Counts(documents_skipped=ingested.count("skipped"))
    return load_fetches(spec, run_id, store, ingested)  # the requests hold the validators


@dataclass(slots=True)
class RunTally:
    """The run's counts so far, shown on the progress bar, the progress artifact and the log."""

    bar: Progress
    artifact: UUID
    logger: Any
    total: Counts = field(default_factory=Counts)

    @classmethod
    def start(cls, specs: list[BatchSpec], logger: Any) -> RunTally:
        """Start the tally of a run's batches, with its progress artifact."""
        artifact = create_progress_artifact(
            0.0, key="wiredesk-progress", description="Batches loaded in this run"
        )
        return cls(Progress(len(specs), sum(len(s.files) for s in specs)), artifact, logger)

    def done(self, label: str, counts: Counts) -> None:
        """Add one loaded batch's counts."""
        self.total.add(counts)
        self.bar.advance(counts)
        update_progress_artifact(self.artifact, 100.0 * self.bar.done / self.bar.batches)
        self.logger.info("batch %s: %s", label, counts)


@dataclass(slots=True)
class BatchWindow:
    """The batches whose extraction runs ahead of the single-writer load, oldest first.

    Extraction of the next batches runs ahead (threads here, workers on Dask) while batches
    are deduplicated and loaded one at a time, in order, by this process.
    """

    store: Warehouse
    run_id: str
    done: Callable[[str, Counts], None]
    size: int = IN_FLIGHT
    pending: deque[Pending] = field(default_factory=deque)

    def add(self, item: Pending) -> None:
        """Queue a batch whose extraction was submitted; load the oldest once the window is full."""
        self.pending.append(item)
        if len(self.pending) >= self.size:
            self.finish_oldest()

    def finish_oldest(self) -> None:
        """Deduplicate and load the oldest batch."""
        item = self.pending.popleft()
        self.done(item.spec.label, finish_batch(self.store, self.run_id, item))

    def drain(self) -> None:
        """Load every batch left, in order."""
        while self.pending:
            self.finish_oldest()


@lru_cache(maxsize=1)
def import_batch_stages() -> None:
    """Import dedup and the entity index (scikit-learn, SciPy) once, then freeze the heap."""
    # Here, not at the top: a run with nothing new never needs them.
    import tasks.dedup
    import tasks.entity_index  # noqa: F401

    freeze_heap()


def parses_here() -> bool:
    """Return whether extraction runs in this process's threads (not on Dask workers)."""
    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    return isinstance(runner, ThreadPoolTaskRunner)


@dataclass(slots=True)
class Pending:
    """A batch whose extraction was submitted and that waits for dedup and load."""

    spec: BatchSpec
    ingested: Staged
    cleaned: Staged
    selected: Staged
    extraction: PrefectFuture[Staged]


def finish_batch(store: Warehouse, run_id: str, item: Pending) -> Counts:
    """Deduplicate and load one extracted batch, after the batches before it are loaded."""
    import_batch_stages()
    from tasks.dedup import dedup
    from tasks.entity_index import index_entities

    extracted = item.extraction.result()
    label = item.spec.label
    mentions, quotes = rows(extracted, "mentions"), rows(extracted, "quotes")
    log_stage("extract", label, mentions=mentions, quotes=quotes)
    deduped = dedup(item.spec, item.selected, extracted, store)
    log_stage("dedup", label, links=rows(deduped, "links"))
    indexed = index_entities(item.spec, deduped, extracted, store)
    staged = StagedBatch(item.ingested, item.cleaned, item.selected, deduped, indexed, extracted)
    counts = load(item.spec, run_id, store, staged)
    release_memory()
    log_stage("load", label, articles=counts.articles_loaded, duplicates=counts.duplicates,
              new_stories=counts.stories_new, rejects=counts.rejects)  # fmt: skip
    return counts


def rows(staged: Staged, name: str) -> int:
    """Return the rows of one table a stage staged (0 when it wrote none)."""
    table = staged.optional(name)
    return table.num_rows if table is not None else 0


def log_stage(stage: str, label: str, **numbers: int) -> None:
    """Log one line per stage and batch: the run's Logs tab in the UI shows it."""
    said = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in numbers.items())
    get_run_logger().info("%s %s: %s", stage, label, said)


def publish_artifacts(store: Warehouse, run_id: str, total: Counts) -> None:
    """Publish the run's summary as markdown and table artifacts with stable keys."""
    counts = {k: v for k, v in asdict(total).items() if isinstance(v, int)}
    digest = digest_run(store, run_id, counts, total.rejects_by_reason)
    create_markdown_artifact(
        markdown(digest), key="wiredesk-run-summary", description="What this run added"
    )
    create_table_artifact(
        table_rows(digest), key="wiredesk-run-counts", description="Counts per stage"
    )
