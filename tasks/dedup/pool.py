"""The pool: the articles dedup compares against, stored recent ones and those of this run.

A pool row holds an article's MinHash, band keys and story vector. Stored rows are rebuilt from
the `signatures` table (nothing is recomputed); new rows are computed from the batch and written
back as signature rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from tasks.dedup.features import STORY_FEATURES, story_features, story_keys, story_names
from tasks.dedup.signatures import (
    BANDS,
    NUM_PERM,
    SIGNATURE_CHUNK,
    band_keys,
    fold_words,
    word_signatures,
)
from warehouse import Warehouse
from warehouse.schemas import SIGNATURES

LOOKBACK = timedelta(days=14)  # how far back stored articles are read

MAX_POOL = 20_000  # at most this many recent stored articles are compared (bounds memory)


@dataclass(slots=True)
class Pool:
    """Articles dedup compares against: stored recent ones, then those placed in this run."""

    article_id: list[str] = field(default_factory=list)
    story_id: list[str] = field(default_factory=list)
    duplicate_of: list[str | None] = field(default_factory=list)
    seen_at: list[datetime | None] = field(default_factory=list)
    dated: list[bool] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # folded-body hashes, by row
    body_hash: dict[str, int] = field(default_factory=dict)  # hash -> first row
    minhash: np.ndarray = field(default_factory=lambda: np.empty((0, NUM_PERM), np.uint32))
    bands: np.ndarray = field(default_factory=lambda: np.empty((0, BANDS), np.uint64))
    n_shingles: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    tf: sp.csr_matrix = field(
        default_factory=lambda: sp.csr_matrix((0, STORY_FEATURES), dtype=np.float32)
    )
    merged: dict[str, str] = field(default_factory=dict)  # stored story -> the one it joined

    def __len__(self) -> int:
        return len(self.article_id)

    def extend(self, other: Pool) -> None:
        """Append another pool's rows."""
        offset = len(self)
        for name in ("article_id", "story_id", "duplicate_of", "seen_at", "dated", "digests"):
            getattr(self, name).extend(getattr(other, name))
        for row, digest in enumerate(other.digests):
            self.body_hash.setdefault(digest, row + offset)
        self.minhash = np.concatenate((self.minhash, other.minhash))
        self.bands = np.concatenate((self.bands, other.bands))
        self.n_shingles = np.concatenate((self.n_shingles, other.n_shingles))
        self.tf = sp.vstack((self.tf, other.tf), format="csr")

    def merge(self, merges: dict[str, str], base: int) -> None:
        """Record stories merged into others and move every pool row to the surviving story.

        Only stories stored before this run (rows before base) are recorded: a story this run
        started and merged was never written, so it simply disappears.
        """
        stored = set(self.story_id[:base])
        for merged, survivor in merges.items():
            if merged in stored:
                self.merged[merged] = survivor
        for story, survivor in list(self.merged.items()):  # a survivor merged in turn
            while survivor in merges:
                survivor = merges[survivor]
            self.merged[story] = survivor
        self.story_id = [merges.get(story, story) for story in self.story_id]

    def root(self, row: int) -> str:
        """Return the original an article copies, or the article itself."""
        return self.duplicate_of[row] or self.article_id[row]


def pool_from_signatures(table: pa.Table) -> Pool:
    """Rebuild a pool from stored signature rows (nothing is recomputed)."""
    n = table.num_rows
    pool = Pool()
    if n == 0:
        return pool
    pool.article_id = table["article_id"].to_pylist()
    pool.story_id = table["story_id"].to_pylist()
    pool.duplicate_of = table["duplicate_of"].to_pylist()
    pool.seen_at = table["seen_at"].to_pylist()
    pool.dated = [bool(d) for d in table["dated"].to_pylist()]
    pool.digests = table["body_hash"].to_pylist()
    for row, digest in enumerate(pool.digests):
        pool.body_hash.setdefault(digest, row)
    pool.minhash = list_matrix(table["minhash"], np.uint32, NUM_PERM)
    pool.bands = list_matrix(table["lsh_bands"], np.uint64, BANDS)
    pool.n_shingles = table["n_shingles"].to_numpy().astype(np.int64)
    terms = table["terms"].combine_chunks()
    weights = table["term_weights"].combine_chunks()
    indptr = terms.offsets.to_numpy().astype(np.int64)
    pool.tf = sp.csr_matrix(
        (
            weights.values.to_numpy(zero_copy_only=False).astype(np.float32),
            terms.values.to_numpy(zero_copy_only=False).astype(np.int64),
            indptr - indptr[0],
        ),
        shape=(n, STORY_FEATURES),
    )
    return pool


def list_matrix(column: pa.ChunkedArray, dtype: type, width: int) -> np.ndarray:
    """Return a fixed-width list column as a 2-D numpy array."""
    flat = pc.list_flatten(column).to_numpy(zero_copy_only=False)
    return flat.astype(dtype).reshape(-1, width)


def recent_signatures(warehouse: Warehouse, articles: pa.Table) -> pa.Table:
    """Read the stored signatures new articles can match: the recent ones, or the same body.

    Recent means seen within LOOKBACK of the batch, and at most the MAX_POOL most recently
    seen (ties at the boundary included), so an undated backfill, where every article counts as
    seen when it was loaded, compares against a bounded pool, not the whole warehouse. Only the
    time column is read to find the window (row-group statistics skip older files), and only the
    body_hash column of older files to find exact copies, so the cost follows the window.
    """
    if articles.num_rows == 0:
        return SIGNATURES.empty_table()
    seen_type = SIGNATURES.field("seen_at").type
    table_seen = pc.coalesce(articles["published_at"], articles["ingested_at"])
    earliest = pc.min(table_seen).as_py()
    since = pa.scalar(earliest - LOOKBACK if earliest else datetime.min, type=seen_type)
    with warehouse.snapshot() as snap:
        if not snap.files("signatures"):
            return SIGNATURES.empty_table()
        dataset = snap.dataset("signatures")
        seen = dataset.to_table(columns=["seen_at"], filter=pc.field("seen_at") >= since)
        if seen.num_rows > MAX_POOL:
            times = seen["seen_at"].cast(pa.int64()).to_numpy()
            cut = np.partition(times, len(times) - MAX_POOL)[len(times) - MAX_POOL]
            since = pa.scalar(int(cut), pa.int64()).cast(seen_type)
        parts = [dataset.to_table(filter=pc.field("seen_at") >= since)]
        hashes = pa.array(articles["body_hash"].to_pylist(), pa.string())
        copies = (pc.field("seen_at") < since) & pc.field("body_hash").isin(hashes)
        if dataset.count_rows(filter=copies):  # rare: exact copies of older articles
            for fragment in dataset.get_fragments(filter=copies):
                if fragment.count_rows(filter=copies):  # read only the files that hold them
                    parts.append(fragment.to_table(schema=SIGNATURES, filter=copies))
    return pa.concat_tables(parts)


def stored_pool(warehouse: Warehouse, articles: pa.Table) -> Pool:
    """Return the stored articles new ones can match, each in its current (merged-into) story."""
    pool = pool_from_signatures(recent_signatures(warehouse, articles))
    current = current_stories(warehouse, set(pool.story_id))
    pool.story_id = [current.get(story, story) for story in pool.story_id]
    return pool


def current_stories(warehouse: Warehouse, ids: set[str]) -> dict[str, str]:
    """Return, for the merged stories among ids, the story each now belongs to (chains followed).

    Only the stories asked about are read (story_id and merged_into), then the stories they
    were merged into, and so on: a chain is as many reads as it is long.
    """
    step: dict[str, str] = {}
    ask = set(ids)
    while ask:
        found = warehouse.read(
            "stories",
            columns=["story_id", "merged_into"],
            filter=pc.field("story_id").isin(pa.array(sorted(ask), pa.string()))
            & pc.field("merged_into").is_valid(),
        )
        merged, into = found["story_id"].to_pylist(), found["merged_into"].to_pylist()
        new = dict(zip(merged, into, strict=True))
        step.update(new)
        ask = set(new.values()) - step.keys()
    current = {}
    for story in step:
        seen, end = {story}, step[story]
        while end in step and step[end] not in seen:  # a cycle cannot be written; stop anyway
            seen.add(end)
            end = step[end]
        current[story] = end
    return current


def signatures_pool(articles: pa.Table, mentions: pa.Table, quotes: pa.Table) -> Pool:
    """Compute the pool rows (MinHash, bands, story vectors) of new articles, in table order."""
    ids = articles["article_id"].to_pylist()
    bodies = articles["body"].to_pylist()
    titles = articles["title"].to_pylist()
    published = articles["published_at"].to_pylist()
    ingested = articles["ingested_at"].to_pylist()
    names = story_names(mentions, quotes, ids)
    keys = story_keys(mentions, titles, ids)
    parts = [
        body_signatures(
            *(column[i : i + SIGNATURE_CHUNK] for column in (titles, bodies, names, keys))
        )
        for i in range(0, max(len(ids), 1), SIGNATURE_CHUNK)
    ]
    pool = Pool()
    pool.article_id = ids
    pool.story_id = [""] * len(ids)
    pool.duplicate_of = [None] * len(ids)
    pool.seen_at = [p or i for p, i in zip(published, ingested, strict=True)]
    pool.dated = [p is not None for p in published]
    pool.digests = articles["body_hash"].to_pylist()
    pool.minhash = np.concatenate([p[0] for p in parts])
    pool.bands = band_keys(pool.minhash)
    pool.n_shingles = np.concatenate([p[1] for p in parts])
    pool.tf = sp.vstack([p[2] for p in parts], format="csr")
    return pool


def body_signatures(
    titles: list[str | None], bodies: list[str], names: list[list[str]], keys: list[list[str]]
) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """Return the MinHash signatures, shingle counts and story term counts of some bodies."""
    folded = [fold_words(body) for body in bodies]  # once: MinHash and story words share them
    sig, counts = word_signatures(folded)
    return sig, counts, story_features(titles, bodies, folded, names, keys)


def signatures_table(pool: Pool, base: int, articles: pa.Table) -> pa.Table:
    """Return the signature rows of the pool's new articles."""
    n = len(pool) - base
    tf = pool.tf[base:]
    indptr = tf.indptr.astype(np.int32)
    return pa.table(
        {
            "article_id": pool.article_id[base:],
            "story_id": pool.story_id[base:],
            "duplicate_of": pool.duplicate_of[base:],
            "published_at": articles["published_at"],
            "seen_at": pa.array(pool.seen_at[base:], SIGNATURES.field("seen_at").type),
            "dated": pool.dated[base:],
            "body_hash": articles["body_hash"],
            "n_shingles": pa.array(pool.n_shingles[base:], pa.int32()),
            "minhash": pa.FixedSizeListArray.from_arrays(
                pa.array(pool.minhash[base:].ravel()), NUM_PERM
            ).cast(SIGNATURES.field("minhash").type),
            "lsh_bands": pa.FixedSizeListArray.from_arrays(
                pa.array(pool.bands[base:].ravel()), BANDS
            ).cast(SIGNATURES.field("lsh_bands").type),
            "terms": pa.ListArray.from_arrays(
                pa.array(indptr), pa.array(tf.indices.astype(np.uint32))
            ),
            "term_weights": pa.ListArray.from_arrays(
                pa.array(indptr), pa.array(tf.data.astype(np.float32))
            ),
            "run_id": pa.nulls(n, pa.string()),
        },
        schema=SIGNATURES,
    )
