"""Benchmark the warehouse on an object store against a local folder, in the same run.

Run: .venv/bin/python -m bench.bench_objectstore [--articles 1000] [--rounds 3]
Starts a local S3-compatible server (moto, on loopback), writes a synthetic corpus, then runs
`wiredesk run` over it into a fresh local warehouse and into a fresh s3:// warehouse, in turn,
`--rounds` times. Prints the median wall seconds of each and their ratio (object store over
local folder; target at most 1.5), and the same for the load stage alone: every commit of one
run's tables replayed into an empty warehouse.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.bench_pipeline import REPO, synthetic_corpus
from scripts.s3_server import s3_server
from warehouse import TABLES, Warehouse


def timed_run(corpus: Path, root: str, env: dict[str, str]) -> float:
    """Run wiredesk over the corpus into root; return its wall seconds."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", str(corpus), "-w", root, "--source", "bench"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"run into {root} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def timed_commits(source: Warehouse, root: str) -> float:
    """Commit every table of source into an empty warehouse at root, one commit per table."""
    tables = {name: source.read(name) for name in TABLES}
    target = Warehouse(root)
    start = time.perf_counter()
    with target.lock():
        for name, table in tables.items():
            target.commit(f"bench-{name}", {name: table})
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Measure and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with s3_server() as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = synthetic_corpus(work / "corpus", args.articles)
        os.environ.update(server.env)
        env = {**os.environ, "PYTHONPATH": str(REPO), "PREFECT_LOGGING_LEVEL": "WARNING"}
        bucket = server.bucket()
        runs: dict[str, list[float]] = {"local": [], "s3": []}
        commits: dict[str, list[float]] = {"local": [], "s3": []}
        for n in range(args.rounds):
            local, remote = str(work / f"local-{n}"), f"s3://{bucket}/run-{n}"
            runs["local"].append(timed_run(corpus, local, env))
            runs["s3"].append(timed_run(corpus, remote, env))
            tag = uuid.uuid4().hex[:8]
            commits["local"].append(timed_commits(Warehouse(local), str(work / f"c-{tag}")))
            commits["s3"].append(timed_commits(Warehouse(local), f"s3://{bucket}/c-{tag}"))
            print(
                f"round {n + 1}: run local {runs['local'][-1]:.1f} s, s3 {runs['s3'][-1]:.1f} s; "
                f"commits local {commits['local'][-1]:.2f} s, s3 {commits['s3'][-1]:.2f} s",
                flush=True,
            )
        articles = Warehouse(str(work / "local-0")).read("articles").num_rows
    print(f"\n{articles} articles, {args.rounds} rounds, medians (s3 is moto on loopback):")
    for label, series in (("wiredesk run", runs), ("load: every table committed", commits)):
        local, remote = statistics.median(series["local"]), statistics.median(series["s3"])
        verdict = "ok" if remote / local <= 1.5 else "over target"
        print(
            f"  {label:<30} local {local:7.2f} s   s3 {remote:7.2f} s   "
            f"ratio {remote / local:.2f} (target <= 1.5: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
