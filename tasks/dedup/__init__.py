"""Dedup: exact copies, near copies (MinHash LSH) and same-story grouping across wires.

Three relations, each recorded in `links` with its evidence:

- exact: the same body once folded for matching (case, accents, punctuation, quote marks;
  headline, dateline and byline are split off by the clean stage).
- near_copy: syndicated copies. One-permutation MinHash over word shingles (vectorised with
  numpy), LSH bands with a low candidate threshold, then verification by estimated Jaccard or
  containment, so an added byline, a few edited words or trimmed closing paragraphs still match.
- same_story: independent reports of one event. Hashed TF-IDF vectors of words and entities
  (plus shared quotes), cosine similarity sharpened by shared nearest neighbours, average-link
  clustering of each batch, then each new cluster joins the best existing story or starts one.

Every article's MinHash, LSH band keys and story vector are stored in `signatures`, so a run
reads the recent warehouse instead of recomputing it.

Modules: ``signatures`` (MinHash, band keys), ``copies`` (exact and near copies), ``features``
(story vectors), ``stories`` (placing articles in stories), ``pool`` (what a batch is compared
against), ``story_table`` (story rows), ``batch`` (one batch, end to end); this module holds
the Prefect task.
"""

from __future__ import annotations

import pyarrow as pa
from prefect import task

from tasks.dedup.batch import deduplicate_articles
from tasks.dedup.copies import find_copies
from tasks.dedup.pool import (
    Pool,
    current_stories,
    pool_from_signatures,
    recent_signatures,
    stored_pool,
)
from tasks.dedup.signatures import band_keys, minhash_signatures
from tasks.dedup.story_table import touched_stories, update_stories
from tasks.policies import CACHED
from tasks.staging import BatchSpec, Staged, stage
from warehouse import Warehouse

__all__ = [
    "Pool",
    "band_keys",
    "current_stories",
    "dedup",
    "deduplicate_articles",
    "find_copies",
    "minhash_signatures",
    "place_batch",
    "pool_from_signatures",
    "recent_signatures",
    "stored_pool",
    "touched_stories",
    "update_stories",
]


def place_batch(
    warehouse: Warehouse, articles: pa.Table, mentions: pa.Table, quotes: pa.Table
) -> dict[str, pa.Table]:
    """Place new articles against the warehouse; return their articles, links, signatures, stories.

    Stored stories found to be one event are merged: the stories rows record it.
    """
    pool = stored_pool(warehouse, articles)
    placed, links, signatures = deduplicate_articles(articles, mentions, quotes, pool)
    # Only the stories this batch touches are read and rewritten, not the whole table.
    stored = warehouse.read("stories", filter=touched_stories(placed, pool.merged))
    stories = update_stories(stored, placed, pool.merged)
    return {"articles": placed, "links": links, "signatures": signatures, "stories": stories}


@task(name="dedup", task_run_name="dedup-{spec.label}", **CACHED)
def dedup(spec: BatchSpec, selected: Staged, extracted: Staged, warehouse: Warehouse) -> Staged:
    """Place a batch of new articles in stories; stage articles, links, signatures, stories."""
    tables = place_batch(
        warehouse,
        selected.table("articles"),
        extracted.table("mentions"),
        extracted.table("quotes"),
    )
    return stage(spec, "dedup", tables)
