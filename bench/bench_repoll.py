"""Benchmark re-polling: a 1,000-URL news sitemap polled again with nothing new vs the first poll.

Run: .venv/bin/python -m bench.bench_repoll [--pages 1000] [--young 20] [--day 100]

The site is served by a separate process. Its pages carry a Last-Modified of their age: `--young`
changed within the hour, `--day` within the day, the rest days ago. Each poll fetches the sitemap
and the pages that are due (tasks.web.poll.due: all of them the first time), 100 to a batch, and
records its requests in a warehouse as the flow does; extraction is left out (the bench measures
what polling costs). A third poll revalidates every page (`revalidate = "*:0"`), as a schedule
without decay would. Politeness delay 0, so the seconds are the server's and the client's; at
the default 1 s delay a poll lasts about one second a request, which the bench prints too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from flows.runners import free_port
from scripts.live_site import build_site
from tasks.web import WebOptions, fetch_pages, fetches_table, survey
from tasks.web.client import REVALIDATE
from warehouse import Warehouse

BATCH = 100  # pages fetched per batch, as tasks.ingest.PAGES_PER_BATCH


def age_pages(folder: Path, young: int, day: int) -> None:
    """Set the pages' modification times: young ones minutes old, then hours, then days."""
    now = time.time()
    for number, page in enumerate(sorted((folder / "articles").glob("*.html"))):
        if number < young:
            age = 60.0 * (1 + number % 50)
        elif number < young + day:
            age = 3600.0 * (2 + number % 20)
        else:
            age = 86400.0 * (2 + number % 30)
        os.utime(page, (now - age, now - age))


def poll(
    origin: str, warehouse: Warehouse, number: int, revalidate: str = REVALIDATE
) -> tuple[int, float, int]:
    """Poll the sitemap once; return the requests made, the seconds taken and the pages fetched."""
    options = WebOptions(min_delay=0, revalidate=revalidate)
    started = time.perf_counter()
    polled = survey([f"{origin}/sitemap.xml"], "bench", options, warehouse)
    tables = [fetches_table(polled.fetches, "bench")]
    fetched = 0
    for start in range(0, len(polled.jobs), BATCH):
        pages = fetch_pages(polled.jobs[start : start + BATCH], "bench", options, {origin})
        assert not pages.batch.rejects, pages.batch.rejects[:3]
        fetched += len(pages.batch.documents)
        tables.append(fetches_table(pages.fetches, "bench"))
    seconds = time.perf_counter() - started
    requests = pa.concat_tables(tables)
    warehouse.commit(f"poll-{number}", {"fetches": requests})
    return requests.num_rows, seconds, fetched


def main() -> None:
    """Build and serve the site, poll it twice and print requests and seconds of each poll."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--young", type=int, default=20)
    parser.add_argument("--day", type=int, default=100)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wiredesk-repoll-"))
    build_site(folder, args.pages)
    age_pages(folder, args.young, args.day)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.live_site", "serve", str(folder), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server.stdout.readline()  # "serving ..." once listening
        origin = f"http://127.0.0.1:{port}"
        warehouse = Warehouse(folder / "warehouse")
        first = poll(origin, warehouse, 1)
        again = poll(origin, warehouse, 2)
        every = poll(origin, warehouse, 3, revalidate="*:0")  # each page at each poll
    finally:
        server.terminate()
        server.wait()
    assert first[2] == args.pages, first
    polls = (("first poll", first), ("re-poll", again), ("re-poll, every page revalidated", every))
    for name, (requests, seconds, fetched) in polls:
        print(f"{name}: {requests} requests, {seconds:.2f} s, {fetched} pages read; "
              f"about {requests} s at the default 1 s delay")  # fmt: skip
    print(f"pages: {args.pages} ({args.young} changed within the hour, {args.day} within the day)")
    print(f"ratio re-poll / first poll: requests {again[0] / first[0]:.3f}, "
          f"seconds {again[1] / first[1]:.3f}")  # fmt: skip
    print(f"ratio re-poll / re-poll revalidating every page: requests {again[0] / every[0]:.3f}, "
          f"seconds {again[1] / every[1]:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
