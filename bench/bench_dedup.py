"""Benchmark dedup: near-copy and story stages, and incremental runs against growing warehouses.

Run: .venv/bin/python -m bench.bench_dedup [--sizes 10000 100000] [--warehouses 10000 100000]
Each measurement runs in a fresh process so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from datetime import timedelta

import pyarrow.compute as pc

from evals.synthetic import articles_table, corpus
from tasks.dedup import (
    Pool,
    band_keys,
    deduplicate_articles,
    find_copies,
    minhash_signatures,
    pool_from_signatures,
    recent_signatures,
)
from warehouse import Warehouse, empty

NEW_ARTICLES = 1000


def originals_for(n_articles: int) -> int:
    """Return how many originals make about n_articles (each has ~1 copy and ~0.5 decoys)."""
    return max(1, int(n_articles / 2.5))


def peak_mib() -> float:
    """Return this process's peak resident memory in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def near_copy_stage(n: int) -> dict:
    """Time MinHash, LSH band keys and verified near-copy search over n synthetic articles."""
    table = articles_table(corpus(originals_for(n), seed=3))
    bodies = table["body"].to_pylist()
    start = time.perf_counter()
    sig, counts = minhash_signatures(bodies)
    new = Pool()
    new.article_id = table["article_id"].to_pylist()
    new.digests = table["body_hash"].to_pylist()
    new.minhash, new.bands, new.n_shingles = sig, band_keys(sig), counts
    copies = find_copies(new, Pool())
    seconds = time.perf_counter() - start
    return {"articles": len(bodies), "per_s": len(bodies) / seconds, "copies": len(copies)}


def story_stage(n: int) -> dict:
    """Time the whole dedup placement (copies and stories) over n synthetic articles."""
    table = articles_table(corpus(originals_for(n), seed=3))
    start = time.perf_counter()
    deduplicate_articles(table, empty("mentions"), empty("quotes"))
    seconds = time.perf_counter() - start
    return {"articles": table.num_rows, "per_s": table.num_rows / seconds}


def incremental(warehouse_articles: int) -> dict:
    """Time a run of NEW_ARTICLES new articles against a warehouse of the given size."""
    items = corpus(originals_for(warehouse_articles + NEW_ARTICLES), seed=5)
    items.sort(key=lambda it: it.published_at)
    old, new = items[:warehouse_articles], items[warehouse_articles:][:NEW_ARTICLES]
    with tempfile.TemporaryDirectory() as root:
        warehouse = Warehouse(root)
        chunk = 20_000  # the warehouse is filled the way runs fill it: batch after batch
        for i in range(0, len(old), chunk):
            table = articles_table(old[i : i + chunk])
            pool = pool_from_signatures(recent_signatures(warehouse, table))
            _, _, signatures = deduplicate_articles(table, empty("mentions"), empty("quotes"), pool)
            warehouse.commit(f"fill-{i:08d}", {"signatures": signatures})
        table = articles_table(new, ingested_at=new[-1].published_at + timedelta(hours=1))
        start = time.perf_counter()
        pool = pool_from_signatures(recent_signatures(warehouse, table))
        placed, _, _ = deduplicate_articles(table, empty("mentions"), empty("quotes"), pool)
        seconds = time.perf_counter() - start
        stored = warehouse.read("signatures", columns=["article_id"]).num_rows
    copies = int(pc.sum(pc.is_valid(placed["duplicate_of"])).as_py() or 0)
    return {"warehouse": stored, "seconds": seconds, "read_rows": len(pool), "copies": copies}


def _child(name: str, arg: int, out: mp.Queue) -> None:
    result = {"near-copy": near_copy_stage, "story": story_stage, "incremental": incremental}[name](
        arg
    )
    out.put(result | {"peak_mib": peak_mib()})


def measure(name: str, arg: int) -> dict:
    """Run one measurement in a fresh process and return its figures."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, arg, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--story-sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--warehouses", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    for n in args.sizes:
        r = measure("near-copy", n)
        print(
            f"near-copy stage  {r['articles']:>7} articles  {r['per_s']:>8.0f} articles/s  "
            f"peak {r['peak_mib']:.0f} MiB  ({r['copies']} copies)"
        )
    for n in args.story_sizes:
        r = measure("story", n)
        print(
            f"copies+stories   {r['articles']:>7} articles  {r['per_s']:>8.0f} articles/s  "
            f"peak {r['peak_mib']:.0f} MiB"
        )
    runs = [measure("incremental", w) for w in args.warehouses]
    for r in runs:
        print(
            f"run of {NEW_ARTICLES} new vs warehouse of {r['warehouse']:>7}: "
            f"{r['seconds']:.2f} s (read {r['read_rows']} recent signatures, "
            f"{r['copies']} copies found), peak {r['peak_mib']:.0f} MiB"
        )
    if len(runs) > 1:
        print(f"ratio largest/smallest warehouse: {runs[-1]['seconds'] / runs[0]['seconds']:.2f}")


if __name__ == "__main__":
    main()
