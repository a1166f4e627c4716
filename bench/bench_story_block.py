"""Benchmark the memory of placing one batch in stories: a full block of MAX_STORED stored rows
plus 500 new ones is scored (similarity, time window, shared neighbours, year conflicts) and
clustered (average link), the square matrices that bound dedup's peak in a long run.

Run: .venv/bin/python -m bench.bench_story_block [--stored 20000] [--new 500]
"""

from __future__ import annotations

import argparse
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
import scipy.sparse as sp

from tasks.dedup import stories
from tasks.dedup.features import STORY_FEATURES
from tasks.dedup.pool import Pool


def pool(stored: int, new: int) -> Pool:
    """Return a pool of stored rows then new ones: story vectors drawn from a small vocabulary,
    so every new article has many similar stored ones and the block is full."""
    rng = np.random.default_rng(1)
    rows = stored + new
    terms = rng.integers(0, 400, (rows, 12))  # 12 words of 400, a few shared by most pairs
    tf = sp.csr_matrix(
        (np.ones(terms.size, np.float32), terms.ravel(), np.arange(0, terms.size + 1, 12)),
        shape=(rows, STORY_FEATURES),
    )
    tf.sum_duplicates()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return Pool(
        article_id=[f"a{n}" for n in range(rows)],
        story_id=[f"s{n}" for n in range(rows)],
        duplicate_of=[None] * rows,
        seen_at=[start + timedelta(minutes=n) for n in range(rows)],
        dated=[True] * rows,
        tf=tf,
    )


def main() -> None:
    """Print the peak memory (tracemalloc, numpy's buffers) of scoring and clustering a block."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=20_000)
    parser.add_argument("--new", type=int, default=500)
    args = parser.parse_args()
    found = pool(args.stored, args.new)
    new_rows = np.arange(args.stored, args.stored + args.new)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rows, score = stories.local_scores(new_rows, found)
    scoring = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.reset_peak()
    stories.average_link(score)
    clustering = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    square = len(rows) ** 2 * 4 / 2**20
    print(f"block of {len(rows)} rows; one float32 square is {square:.0f} MiB")
    print(f"scoring: peak {scoring:.0f} MiB ({scoring / square:.1f} squares)")
    print(f"clustering: peak {clustering:.0f} MiB ({clustering / square:.1f} squares)")


if __name__ == "__main__":
    main()
