"""Benchmark batch invariance: stories from one run against stories from several shuffled runs.

Run: .venv/bin/python -m bench.bench_batching [../shared/eval/ecbplus/dev.jsonl] [--runs 4 20]
The articles are cleaned and parsed once; each run then places its share through the
warehouse (stored signatures and stories read back, new ones and merges committed), as a run of
the flow does. Prints B-cubed F1 between the one-run and the n-run partitions for a few
shuffles, and each partition's B-cubed scores against the gold stories; an article's story is
the one its story_id resolves to after the last run. With --scale 10000 100000 it times a run of
1,000 new synthetic articles (with stories and merges) against warehouses of those sizes.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from evals.stories import bcubed, read_gold, score
from evals.synthetic import articles_table, corpus
from flows.settings import build
from tasks.clean import clean_documents
from tasks.common import Batch, Document
from tasks.dedup import current_stories, place_batch
from tasks.extract import extract_articles
from warehouse import Warehouse, empty

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "ecbplus" / "dev.jsonl"


def parsed(records: list[dict]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Clean and parse the records once: (articles, mentions, quotes)."""
    batch = Batch([Document("eval", str(r["id"]), r["text"]) for r in records])
    articles, _ = clean_documents(batch, datetime.now(UTC))
    return articles, *extract_articles(articles, build().model)


def place_in_runs(
    tables: tuple[pa.Table, pa.Table, pa.Table], runs: list[list[int]]
) -> dict[str, str]:
    """Place the articles run by run through a fresh warehouse; return each item's story now.

    Each run reads the stored signatures and stories and commits what the flow's dedup stage
    stages for them; an item's story is the one its story_id resolves to after the last run
    (stories merged into others followed to the end, as the view story_current does).
    """
    articles, mentions, quotes = tables
    story: dict[str, str] = {}
    start = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as root:
        warehouse = Warehouse(root)
        for number, rows in enumerate(runs):
            batch = articles.take(pa.array(rows, pa.int64()))
            when = pa.array([start + timedelta(minutes=number)] * len(rows))
            index = batch.schema.get_field_index("ingested_at")
            batch = batch.set_column(index, "ingested_at", when.cast(batch["ingested_at"].type))
            ids = batch["article_id"]
            staged = place_batch(
                warehouse,
                batch,
                mentions.filter(pc.is_in(mentions["article_id"], ids)),
                quotes.filter(pc.is_in(quotes["article_id"], ids)),
            )
            warehouse.commit(
                f"run-{number}", {name: staged[name] for name in ("signatures", "stories")}
            )
            placed = staged["articles"]
            items = placed["source_item_id"].to_pylist()
            story.update(zip(items, placed["story_id"].to_pylist(), strict=True))
        current = current_stories(warehouse, set(story.values()))
    return {item: current.get(given, given) for item, given in story.items()}


def run_cost(warehouse_articles: int, new_articles: int = 1000) -> tuple[float, int]:
    """Return the seconds to place new synthetic articles against a warehouse of a given size.

    The warehouse is filled the way runs fill it (signatures and stories committed batch after
    batch); the timed run reads, places, merges and folds its stories as the dedup stage does.
    """
    items = corpus(int((warehouse_articles + new_articles) / 2.5), seed=5)
    items.sort(key=lambda it: it.published_at)
    old, new = items[:warehouse_articles], items[warehouse_articles:][:new_articles]
    none = empty("mentions"), empty("quotes")
    with tempfile.TemporaryDirectory() as root:
        warehouse = Warehouse(root)
        for i in range(0, len(old), 20_000):
            staged = place_batch(warehouse, articles_table(old[i : i + 20_000]), *none)
            warehouse.commit(f"fill-{i}", {n: staged[n] for n in ("signatures", "stories")})
        table = articles_table(new, ingested_at=new[-1].published_at + timedelta(hours=1))
        started = time.perf_counter()
        place_batch(warehouse, table, *none)
        return time.perf_counter() - started, warehouse.read("stories").num_rows


def main() -> None:
    """Print the agreement of one-run and n-run stories on a gold file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("gold", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, nargs="+", default=[4, 20])
    parser.add_argument("--shuffles", type=int, default=3)
    parser.add_argument(
        "--scale", type=int, nargs="*", help="time 1,000 new articles vs warehouses of these sizes"
    )
    args = parser.parse_args()
    if args.scale:
        costs = []
        for size in args.scale:
            seconds, stories = run_cost(size)
            costs.append(seconds)
            print(f"1000 new vs {size} stored ({stories} stories): {seconds:.2f} s")
        print(f"ratio largest/smallest warehouse: {costs[-1] / costs[0]:.2f}")
        return
    records = read_gold(args.gold)
    gold = {str(r["id"]): str(r["story"]) for r in records}
    tables = parsed(records)
    n = tables[0].num_rows
    started = time.perf_counter()
    one = place_in_runs(tables, [list(range(n))])
    one_seconds = time.perf_counter() - started
    items = sorted(one)
    truth = [gold[i] for i in items]
    base = score([one[i] for i in items], truth)
    print(f"{n} articles, {base.gold_stories} gold stories")
    print(
        f"1 run: {base.predicted_stories} stories, B3 precision {base.precision:.3f} "
        f"recall {base.recall:.3f} F1 {base.f1:.3f}, ARI {base.ari:.3f} ({one_seconds:.1f} s)"
    )
    for runs in args.runs:
        for seed in range(1, args.shuffles + 1):
            order = random.Random(seed).sample(range(n), n)
            split = place_in_runs(tables, [order[i::runs] for i in range(runs)])
            agree = bcubed([split[i] for i in items], [one[i] for i in items])[2]
            got = score([split[i] for i in items], truth)
            print(
                f"{runs} shuffled runs (seed {seed}): B3 F1 against 1 run {agree:.3f}; "
                f"{got.predicted_stories} stories, against gold precision {got.precision:.3f} "
                f"recall {got.recall:.3f} F1 {got.f1:.3f}, ARI {got.ari:.3f}"
            )
    print(f"placement time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
