"""Benchmark one huge input: 100,000 items in one RSS or JSON Lines file go through `wiredesk run`
in batches bounded in documents; the peak memory of the run's whole process tree is the figure.

Run: .venv/bin/python -m bench.bench_bigfeed [--items 100000] [--n-process 2] [--format jsonl]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import tempfile
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

from bench.bench_pipeline import env, timed, wiredesk
from evals.synthetic import sentence, vocabulary
from scripts.live_site import START

TARGET_MIB = 2048


def item(number: int, rng: random.Random, words: list[str]) -> str:
    """Return one RSS item: a one-sentence summary of its own, as feeds carry."""
    body = sentence(rng, words)
    when = format_datetime(START + timedelta(seconds=30 * number))
    return (
        f"<item><title>{html.escape(' '.join(sentence(rng, words).split()[:6]))}</title>"
        f"<guid>bulk-{number}</guid><pubDate>{when}</pubDate>"
        f"<description>{html.escape(body)}</description></item>"
    )


def record(number: int, rng: random.Random, words: list[str]) -> str:
    """Return one JSON Lines record: the same kind of item as a feed's."""
    when = START + timedelta(seconds=30 * number)
    title = " ".join(sentence(rng, words).split()[:6])
    body = sentence(rng, words)
    return json.dumps(
        {"id": f"bulk-{number}", "title": title, "body": body, "published_at": when.isoformat()}
    )


def write_jsonl(path: Path, items: int) -> int:
    """Write a JSON Lines file of items; return its size in bytes."""
    rng = random.Random(7)
    words = vocabulary(rng)
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, items + 1):
            out.write(record(number, rng, words) + "\n")
    return path.stat().st_size


def write_feed(path: Path, items: int) -> int:
    """Write an RSS feed of items; return its size in bytes."""
    rng = random.Random(7)
    words = vocabulary(rng)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>')
        out.write("<title>Bulk</title><link>https://bulk.example/</link>\n")
        for number in range(1, items + 1):
            out.write(item(number, rng, words) + "\n")
        out.write("</channel></rss>\n")
    return path.stat().st_size


def main() -> None:
    """Write the feed, run wiredesk on it once and print time, rate and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--n-process", type=int, default=2)
    parser.add_argument("--format", choices=["rss", "jsonl"], default="rss")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wiredesk-bigfeed-"))
    feed = work / "bulk" / ("feed.rss" if args.format == "rss" else "items.jsonl")
    feed.parent.mkdir()
    size = (write_feed if args.format == "rss" else write_jsonl)(feed, args.items)
    command = wiredesk(["run", str(feed), "--source", "bulk", "-w", str(work / "wh"),
                        "--n-process", str(args.n_process)])  # fmt: skip
    seconds, peak, out = timed(command, env(work / "prefect"))
    print(out)
    verdict = "met" if peak < TARGET_MIB else "missed"
    print(f"{args.format}: {args.items} items, {size / 2**20:.1f} MiB, one file")
    print(f"run: {seconds:.0f} s, {args.items / seconds:.0f} items/s")
    print(f"peak RSS of the run's process tree: {peak:.0f} MiB (target < {TARGET_MIB}: {verdict})")


if __name__ == "__main__":
    main()
