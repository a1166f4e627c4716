"""Benchmark live sources: pages/s polled from a loopback site against extraction alone.

Run: .venv/bin/python -m bench.bench_fetch [--pages 200] [--rounds 3]

The site (pages of about 70 KB: a story inside the chrome of a real news page, a mega-menu,
teasers, a tracking script and comments; a news sitemap) is served by a separate process, so the
server does not share this process's interpreter lock. Each round times, on the same pages:
- extraction alone: the page files read from disk and parsed by the `html` format (trafilatura);
- live: the sitemap polled, every page fetched over HTTP (politeness delay 0) and extracted.
The ratio live / extraction alone (pages/s) is the figure; the target is at least 0.8.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.live_site import build_site
from tasks.formats import parse
from tasks.formats.base import Origin
from tasks.web import WebOptions, fetch_pages, survey

TARGET = 0.8


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def extraction_alone(folder: Path) -> tuple[float, int]:
    """Return seconds to extract every page file, and the documents found."""
    pages = sorted((folder / "articles").glob("*.html"))
    data = [p.read_bytes() for p in pages]
    started = time.perf_counter()
    found = sum(
        1
        for page, body in zip(pages, data, strict=True)
        for _ in parse(body, Origin("bench", "bench", page.name, page.stem), "html")
    )
    return time.perf_counter() - started, found


def live(origin: str) -> tuple[float, int]:
    """Return seconds to poll the sitemap and fetch and extract every page, and the documents."""
    options = WebOptions(min_delay=0)
    started = time.perf_counter()
    polled = survey([f"{origin}/sitemap.xml"], "bench", options, None)
    pages = fetch_pages(polled.jobs, "bench", options, {origin})
    elapsed = time.perf_counter() - started
    assert not pages.batch.rejects, pages.batch.rejects[:3]
    return elapsed, len(pages.batch.documents)


def main() -> None:
    """Build the site, serve it, time both ways in interleaved rounds and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wiredesk-site-"))
    build_site(folder, args.pages, heavy=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.live_site", "serve", str(folder), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server.stdout.readline()  # "serving ..." once listening
        origin = f"http://127.0.0.1:{port}"
        alone, polled = [], []
        for number in range(args.rounds):
            seconds, found = extraction_alone(folder)
            alone.append(found / seconds)
            seconds, fetched = live(origin)
            assert fetched == found == args.pages, (fetched, found)
            polled.append(fetched / seconds)
            print(f"round {number + 1}: extraction alone {alone[-1]:.1f} pages/s, "
                  f"live {polled[-1]:.1f} pages/s", flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait()
    ratio = statistics.median(polled) / statistics.median(alone)
    verdict = "met" if ratio >= TARGET else "missed"
    print(f"pages: {args.pages}, rounds: {args.rounds} (medians)")
    print(f"extraction alone: {statistics.median(alone):.1f} pages/s")
    print(f"live (poll + fetch + extract): {statistics.median(polled):.1f} pages/s")
    print(f"ratio live / extraction alone: {ratio:.2f} (target >= {TARGET}: {verdict})")


if __name__ == "__main__":
    main()
