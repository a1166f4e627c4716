"""Benchmark one huge feed: 100,000 items in one RSS file (about 22 MB) go through `wiredesk run`
in batches bounded in documents; the peak memory of the run's whole process tree is the figure.

Run: .venv/bin/python -m bench.bench_bigfeed [--items 100000] [--n-process 2]
"""

from __future__ import annotations

import argparse
import html
import random
import tempfile
from email.utils import format_datetime
from pathlib import Path

from bench.bench_pipeline import env, timed, wiredesk
from scripts.live_site import PEOPLE, PLACES, START

TARGET_MIB = 2048
VERBS = ["opened", "closed", "expanded", "reviewed", "delayed", "approved", "cut", "renamed"]
THINGS = ["bridge", "school", "clinic", "depot", "market", "harbour", "library", "stadium"]


def item(number: int, rng: random.Random) -> str:
    """Return one RSS item: a short report of its own, with its own numbers and names."""
    place, person = rng.choice(PLACES), rng.choice(PEOPLE)
    thing, verb = rng.choice(THINGS), rng.choice(VERBS)
    body = (
        f"{place} {verb} the {thing} after {rng.randint(2, 40)} weeks, register item {number} "
        f"shows. “It serves {rng.randint(100, 9000)} a day,” said {person}."
    )
    when = format_datetime(START.replace(minute=number % 60))
    return (
        f"<item><title>{place} {thing} {number}</title>"
        f"<guid>bulk-{number}</guid><pubDate>{when}</pubDate>"
        f"<description>{html.escape(body)}</description></item>"
    )


def write_feed(path: Path, items: int) -> int:
    """Write an RSS feed of items; return its size in bytes."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>')
        out.write("<title>Bulk</title><link>https://bulk.example/</link>\n")
        for number in range(1, items + 1):
            out.write(item(number, rng) + "\n")
        out.write("</channel></rss>\n")
    return path.stat().st_size


def main() -> None:
    """Write the feed, run wiredesk on it once and print time, rate and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--n-process", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wiredesk-bigfeed-"))
    feed = work / "bulk" / "feed.rss"
    feed.parent.mkdir()
    size = write_feed(feed, args.items)
    command = wiredesk(["run", str(feed), "--source", "bulk", "-w", str(work / "wh"),
                        "--n-process", str(args.n_process)])  # fmt: skip
    seconds, peak, out = timed(command, env(work / "prefect"))
    print(out)
    verdict = "met" if peak < TARGET_MIB else "missed"
    print(f"feed: {args.items} items, {size / 2**20:.1f} MiB, one file")
    print(f"run: {seconds:.0f} s, {args.items / seconds:.0f} items/s")
    print(f"peak RSS of the run's process tree: {peak:.0f} MiB (target < {TARGET_MIB}: {verdict})")


if __name__ == "__main__":
    main()
