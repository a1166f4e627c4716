"""Extract: one spaCy parse per article, shared by the entity and quote components."""

from __future__ import annotations

import atexit
import importlib.util
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache, partial
from pathlib import Path

import pyarrow as pa
from prefect import task

from tasks.components.nlp import (
    DEFAULT_MODEL,
    UNUSED,
    Found,
    ModelNotFound,
    load_nlp,
    parse_texts,
    ready,
    start_worker,
)
from tasks.options import RunOptions
from tasks.policies import CACHED
from tasks.staging import BatchSpec, Staged, stage
from warehouse.schemas import MENTIONS, QUOTES

__all__ = ["DEFAULT_MODEL", "UNUSED", "ModelNotFound", "load_nlp", "parse_texts"]

MAX_CHARS = 100_000  # bound the parse of huge documents; offsets stay valid for the prefix
ENGLISH = {"en", "und"}
PARALLEL_FROM = 64  # fewer texts than this are parsed in-process, unless the workers run already
# Texts per task sent to a worker: small enough that no core idles long at a batch's end while
# the other finishes, large enough to keep nlp.pipe batching.
CHUNK_TEXTS = (16, 64)
CHUNKS_PER_WORKER = 8
_started: set[tuple[str, int, bool]] = set()  # pools whose workers were started (see warm_up)
_lock = threading.Lock()


def workers(n_process: int) -> int:
    """Return the worker count: n_process, or one per core when it is 0 or less."""
    return n_process if n_process > 0 else os.cpu_count() or 1


def check_model(model: str) -> None:
    """Raise ModelNotFound unless the pipeline is an installed package or a folder, cheaply."""
    if Path(model).is_dir():
        return
    try:
        found = importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ModelNotFound(
            f"spaCy pipeline {model!r} is not installed (pip install it or set WIREDESK_MODEL)"
        )


@lru_cache(maxsize=2)
def worker_pool(model: str, n_process: int, full_parse: bool = False) -> ProcessPoolExecutor:
    """Start worker processes once; each loads the pipeline once and serves every batch."""
    # spawn, not fork: the parent runs Prefect's threads, which fork would copy mid-flight.
    pool = ProcessPoolExecutor(
        n_process,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(model, os.getpid(), full_parse),
    )
    atexit.register(pool.shutdown, cancel_futures=True)
    return pool


def warm_up(model: str, n_process: int, full_parse: bool = False) -> list[Future[int]]:
    """Start the workers now, without waiting: each loads the pipeline while the run goes on."""
    n_process = workers(n_process)
    if n_process <= 1:
        return []
    check_model(model)
    with _lock:
        _started.add((model, n_process, full_parse))
        pool = worker_pool(model, n_process, full_parse)
    # One call per worker: a spawn pool starts a process per call while none is idle.
    return [pool.submit(ready, model, full_parse) for _ in range(n_process)]


def parse_parallel(
    model: str, texts: list[str], n_process: int, full_parse: bool = False
) -> list[Found]:
    """Parse texts on worker processes; only the rows come back, never whole Docs."""
    n_process = workers(n_process)
    warm = (model, n_process, full_parse) in _started
    if n_process <= 1 or not texts or (len(texts) < PARALLEL_FROM and not warm):
        return parse_texts(model, texts, full_parse)
    low, high = CHUNK_TEXTS
    size = min(high, max(low, -(-len(texts) // (n_process * CHUNKS_PER_WORKER))))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    with _lock:
        pool = worker_pool(model, n_process, full_parse)
    results = pool.map(partial(parse_texts, model, full_parse=full_parse), chunks)
    return [found for chunk in results for found in chunk]


def extract_articles(
    articles: pa.Table, model: str, n_process: int = 1, full_parse: bool = False
) -> tuple[pa.Table, pa.Table]:
    """Parse English article bodies once and return (mentions, quotes) tables."""
    check_model(model)  # fail here, clearly, when the model is missing
    languages = articles["language"].to_pylist()
    chosen = [i for i, lang in enumerate(languages) if lang in ENGLISH]
    if not chosen:  # nothing to parse: no model load, no worker start
        return MENTIONS.empty_table(), QUOTES.empty_table()
    # The parent needs only the row builders, not a model.
    from tasks.rows import mentions_table, quotes_table

    ids = articles["article_id"].to_pylist()
    bodies = articles["body"].to_pylist()
    texts = [bodies[i][:MAX_CHARS] for i in chosen]
    found = parse_parallel(model, texts, n_process, full_parse)
    chosen_ids = [ids[i] for i in chosen]
    return (
        mentions_table(chosen_ids, [m for m, _ in found]),
        quotes_table(chosen_ids, [q for _, q in found]),
    )


@task(name="extract", task_run_name="extract-{spec.label}", **CACHED)
def extract(spec: BatchSpec, selected: Staged, options: RunOptions) -> Staged:
    """Extract entity mentions and quotes from a batch of new articles."""
    articles = selected.table("articles")
    mentions, quotes = extract_articles(
        articles, options.model or DEFAULT_MODEL, options.n_process, options.full_parse
    )
    return stage(spec, "extract", {"mentions": mentions, "quotes": quotes})
