"""Load: skip what is already stored and commit a batch's tables to the warehouse atomically."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from prefect import task

from tasks.common import Counts, Reject, rejects_table
from tasks.policies import CACHED_IO, COMMIT, LOAD
from tasks.staging import BatchSpec, Staged, StagedBatch, rejects_from_table, stage
from warehouse import Warehouse
from warehouse.schemas import RUNS


def with_run_id(table: pa.Table, run_id: str) -> pa.Table:
    """Return the table with its run_id column set."""
    index = table.schema.get_field_index("run_id")
    return table.set_column(index, "run_id", pa.array([run_id] * table.num_rows, pa.string()))


def split_new(warehouse: Warehouse, articles: pa.Table) -> tuple[pa.Table, int]:
    """Return the articles not yet in the warehouse and how many were already there."""
    if articles.num_rows == 0:
        return articles, 0
    ids = articles["article_id"]
    stored = warehouse.read(
        "articles", columns=["article_id"], filter=pc.field("article_id").isin(ids)
    )
    fresh = articles.filter(pc.invert(pc.is_in(ids, value_set=stored["article_id"])))
    return fresh, articles.num_rows - fresh.num_rows


def of_articles(table: pa.Table, articles: pa.Table) -> pa.Table:
    """Return the rows of a child table that belong to the given articles."""
    return table.filter(pc.is_in(table["article_id"], value_set=articles["article_id"]))


def new_raw(warehouse: Warehouse, raw: pa.Table) -> pa.Table:
    """Return the raw rows not archived yet (a file read again after a run stopped mid-way)."""
    if raw.num_rows == 0:
        return raw
    stored = warehouse.read(
        "raw", columns=["raw_id"], filter=pc.field("raw_id").isin(raw["raw_id"])
    )
    return raw.filter(pc.invert(pc.is_in(raw["raw_id"], value_set=stored["raw_id"])))


def new_rejects(warehouse: Warehouse, rejects: pa.Table) -> pa.Table:
    """Return the rejects not recorded by an earlier run."""
    if rejects.num_rows == 0:
        return rejects
    stored = warehouse.read(
        "rejects", columns=["reject_id"], filter=pc.field("reject_id").isin(rejects["reject_id"])
    )
    return rejects.filter(pc.invert(pc.is_in(rejects["reject_id"], value_set=stored["reject_id"])))


@dataclass(slots=True)
class BatchRows:
    """Everything one batch adds to the warehouse."""

    articles: pa.Table
    mentions: pa.Table
    quotes: pa.Table
    links: pa.Table
    signatures: pa.Table
    rejects: list[Reject]
    stories: pa.Table | None = None  # the stories and entities the batch adds or changes
    entities: pa.Table | None = None
    raw: pa.Table | None = None
    fetches: pa.Table | None = None
    documents_read: int = 0
    already_loaded: int = 0
    skipped: int = 0


def commit_batch(warehouse: Warehouse, commit_id: str, run_id: str, rows: BatchRows) -> Counts:
    """Commit one batch's rows in a single atomic unit and return its counts."""
    # Checked again at commit time: an earlier batch of this run may have loaded an article.
    articles, already = split_new(warehouse, rows.articles)
    reject_rows = new_rejects(warehouse, rejects_table(rows.rejects, run_id))
    tables = {
        name: with_run_id(of_articles(table, articles), run_id)
        for name, table in (
            ("mentions", rows.mentions),
            ("quotes", rows.quotes),
            ("links", rows.links),
            ("signatures", rows.signatures),
        )
    }
    tables |= {"rejects": reject_rows, "articles": with_run_id(articles, run_id)}
    for name, table in (("stories", rows.stories), ("entities", rows.entities)):
        if table is not None:
            tables[name] = table
    if rows.raw is not None:
        tables["raw"] = with_run_id(new_raw(warehouse, rows.raw), run_id)
    if rows.fetches is not None:
        tables["fetches"] = with_run_id(rows.fetches, run_id)
    stories_new = 0
    if rows.stories is not None and rows.stories.num_rows:  # the batch's upsert: new or changed
        known = warehouse.read(
            "stories",
            columns=["story_id"],
            filter=pc.field("story_id").isin(rows.stories["story_id"]),
        )
        stories_new = rows.stories.num_rows - known.num_rows
    warehouse.commit(commit_id, tables)
    reasons: dict[str, int] = {}
    for reason in reject_rows["reason"].to_pylist():
        reasons[reason] = reasons.get(reason, 0) + 1
    return Counts(
        documents_read=rows.documents_read,
        articles_loaded=articles.num_rows,
        already_loaded=rows.already_loaded + already,
        rejects=reject_rows.num_rows,
        duplicates=len(articles["duplicate_of"].drop_null()),
        stories_new=stories_new,
        mentions=tables["mentions"].num_rows,
        quotes=tables["quotes"].num_rows,
        rejects_by_reason=reasons,
        documents_skipped=rows.skipped,
        **request_counts(rows.fetches),
        sources=sources_of(rows.articles, reject_rows, rows.fetches),
    )


def sources_of(*tables: pa.Table | None) -> list[str]:
    """Return the sources named in a batch's tables, sorted."""
    found: set[str] = set()
    for table in tables:
        if table is not None and "kind" in table.column_names:  # robots.txt serves no source
            table = table.filter(pc.not_equal(table["kind"], "robots"))
        if table is not None:
            found.update(table["source"].drop_null().to_pylist())
    return sorted(found)


def request_counts(fetches: pa.Table | None) -> dict[str, int]:
    """Return how many requests a batch made and how many were answered 304."""
    if fetches is None:
        return {"requests": 0, "not_modified": 0}
    statuses = fetches["status"].to_pylist()
    left = fetches["reason"].to_pylist().count("deadline")  # rows of requests never sent
    return {"requests": len(statuses) - left, "not_modified": statuses.count(304)}


def record_run(
    warehouse: Warehouse,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    status: str,
    counts: Counts,
    error: str | None = None,
    source: str | None = None,
) -> None:
    """Commit the run's row to the runs table."""
    values = asdict(counts)
    values.pop("rejects_by_reason")
    row = {
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": finished_at,
        "status": status,
        "error": error,
        "source": source,
        **values,
    }
    warehouse.commit(f"{run_id}-run", {"runs": pa.Table.from_pylist([row], schema=RUNS)})


@task(name="select-new", task_run_name="select-new-{spec.label}", **CACHED_IO)
def select_new(spec: BatchSpec, cleaned: Staged, warehouse: Warehouse) -> Staged:
    """Drop articles the warehouse already holds."""
    fresh, already = split_new(warehouse, cleaned.table("articles"))
    return stage(spec, "select", {"articles": fresh}, already=already)


@task(
    name="load",
    task_run_name="load-{spec.label}",
    **LOAD,
)
def load(spec: BatchSpec, run_id: str, warehouse: Warehouse, batch: StagedBatch) -> Counts:
    """Commit a batch to the warehouse."""
    ingested, cleaned, selected = batch.ingested, batch.cleaned, batch.selected
    deduped, indexed, extracted = batch.deduped, batch.indexed, batch.extracted
    rows = BatchRows(
        articles=deduped.table("articles"),
        mentions=indexed.table("mentions"),
        quotes=extracted.table("quotes"),
        links=deduped.table("links"),
        signatures=deduped.table("signatures"),
        rejects=rejects_from_table(cleaned.table("rejects")),
        stories=deduped.optional("stories"),
        entities=indexed.optional("entities"),
        raw=ingested.optional("raw"),
        fetches=ingested.optional("fetches"),
        documents_read=ingested.count("read"),
        already_loaded=selected.count("already"),
        skipped=ingested.count("skipped"),
    )
    return commit_batch(warehouse, spec.commit_id(run_id), run_id, rows)


@task(name="load-fetches", task_run_name="load-fetches-{spec.label}", **COMMIT)
def load_fetches(spec: BatchSpec, run_id: str, warehouse: Warehouse, ingested: Staged) -> Counts:
    """Commit the requests of a batch that read nothing new (every answer a 304 or known)."""
    fetches = ingested.optional("fetches")
    if fetches is None or fetches.num_rows == 0:
        return Counts(documents_skipped=ingested.count("skipped"))
    warehouse.commit(spec.commit_id(run_id), {"fetches": with_run_id(fetches, run_id)})
    return Counts(
        documents_skipped=ingested.count("skipped"),
        **request_counts(fetches),
        sources=sources_of(fetches),
    )


@task(name="record-run", task_run_name="record-run-{run_id}", **COMMIT)
def record(
    warehouse: Warehouse,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    status: str,
    counts: Counts,
    error: str | None = None,
    source: str | None = None,
) -> None:
    """Record the run in the runs table."""
    record_run(warehouse, run_id, started_at, finished_at, status, counts, error, source)
