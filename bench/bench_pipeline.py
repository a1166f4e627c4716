"""Benchmark the whole pipeline against spaCy itself, and its fixed, incremental and memory costs.

Run: .venv/bin/python -m bench.bench_pipeline   (or `make bench`)

Every figure is measured in this one run, and compared measurements are interleaved (A, B, A, B)
with the median reported, because absolute times on a shared machine mean little:

1. end to end: `wiredesk run` on real news text vs bare ``nlp.pipe`` (same model, components,
   process count and texts), each timed as a whole fresh process (start-up and model load
   included on both sides);
2. the same run vs the naive baseline: ``nlp(text)`` per article, every model component, one
   process;
3. fixed cost: a `wiredesk run` that finds nothing new minus an empty Prefect flow run;
4. scaling: dedup + load time per article as a synthetic warehouse grows batch by batch through
   the load functions, and a 1,000-article batch against 10k vs 100k articles;
5. memory: peak RSS of a backfill through the real flow with a fast stand-in model (a blank
   English pipeline plus a sentencizer and wiredesk's components), at two corpus sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
POLNEAR = REPO.parent / "shared" / "eval" / "polnear" / "train" / "text"
BIN = Path(sys.executable).parent
SCALE_BATCH = 1000
SCALE_ROUNDS = 5  # interleaved runs of the next batch against each frozen warehouse


# ---------------------------------------------------------------- subprocess helpers


PREFECT_API: dict[str, str] = {}  # a running server for every child, when --prefect-api is set


def env(prefect_home: Path, **extra: str) -> dict[str, str]:
    """Return the environment for a measured child: its own Prefect home, quiet logs."""
    out = dict(os.environ) | PREFECT_API
    out |= {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(REPO),
        # As `wiredesk run` sets it: under load the temporary server can take longer than 20 s.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    return out | extra


def watched(
    cmd: list[str], child_env: dict[str, str], sample: Callable[[float, float], None]
) -> tuple[float, str]:
    """Run a command, calling sample(RSS of its process tree in MiB, seconds) five times a second.

    Return its wall seconds and stdout; raise with its stderr when it fails.
    """
    start = time.perf_counter()
    proc = psutil.Popen(cmd, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            rss = 0
            with contextlib.suppress(psutil.Error):
                for p in [proc, *proc.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
            sample(rss / 2**20, time.perf_counter() - start)
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.decode()[-3000:]}")
    return seconds, out.decode()


def timed(cmd: list[str], child_env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; return its wall seconds, peak RSS of its process tree (MiB) and stdout."""
    peak = [0.0]

    def sample(rss: float, _: float) -> None:
        peak[0] = max(peak[0], rss)

    seconds, out = watched(cmd, child_env, sample)
    return seconds, peak[0], out


def wiredesk(args: list[str]) -> list[str]:
    """Return the command line of the wiredesk CLI in this environment."""
    return [sys.executable, "-c", "from flows.cli import app; app()", *args]


# ---------------------------------------------------------------- corpora


def real_corpus(folder: Path, n: int, source: Path = POLNEAR) -> Path:
    """Write n real news texts as .txt files; repeats get a unique last line so each is parsed.

    The mark goes into the body, not a first line: cleaning splits a first line off as the
    headline, and a repeat with the same body is the same article, which a run skips.
    """
    originals = sorted(source.glob("*.txt"))
    if not originals:
        raise SystemExit(f"{source} holds no .txt files (it ships in ../shared)")
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        path = originals[i % len(originals)]
        text = path.read_text(encoding="utf-8")
        if i >= len(originals):
            text = f"{text.rstrip()}\n\nWire copy {i // len(originals)} of this article.\n"
        (folder / f"{i:06d}_{path.name}").write_text(text, encoding="utf-8")
    return folder


def synthetic_corpus(folder: Path, n: int) -> Path:
    """Write n synthetic articles (originals, wire copies, decoys) as .txt files in sub-folders."""
    from evals.synthetic import corpus

    folder.mkdir(parents=True, exist_ok=True)
    items = corpus(max(1, int(n / 2.5)), seed=11)[:n]
    for i, item in enumerate(items):
        sub = folder / f"{i // 1000:04d}"
        if i % 1000 == 0:
            sub.mkdir(exist_ok=True)
        (sub / f"{i:07d}.txt").write_text(item.body, encoding="utf-8")
    return folder


def stand_in_model(folder: Path) -> Path:
    """Save a blank English pipeline with a sentencizer: wiredesk's components run on it fast."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(folder)
    return folder


# ---------------------------------------------------------------- child modes


def bare_main(folder: str, model: str, n_process: int, naive: bool, numpy_gemm: bool) -> None:
    """Parse the folder's texts with bare spaCy and print the token count as JSON."""
    import spacy
    from threadpoolctl import threadpool_limits

    from tasks.components.nlp import use_numpy_gemm
    from tasks.extract import MAX_CHARS, UNUSED

    texts = [p.read_text(encoding="utf-8")[:MAX_CHARS] for p in sorted(Path(folder).glob("*.txt"))]
    if naive:  # the textbook way: every component, one process, one call per article
        nlp = spacy.load(model)
        tokens = sum(len(nlp(t)) for t in texts)
    else:
        nlp = spacy.load(model, exclude=list(UNUSED))
        if numpy_gemm:  # as wiredesk does; the forked workers inherit the models and the limit
            use_numpy_gemm(nlp)
            if n_process > 1:
                threadpool_limits(1)
        tokens = sum(len(d) for d in nlp.pipe(texts, batch_size=64, n_process=n_process))
    print(json.dumps({"texts": len(texts), "tokens": tokens}))


def empty_flow_main() -> None:
    """Run an empty Prefect flow: the floor under any flow run."""
    from prefect import flow

    @flow(name="bench-empty")
    def empty() -> int:
        return 0

    empty()


# ---------------------------------------------------------------- measurements


def interleave(rounds: int, runs: dict[str, Callable[[int], float]]) -> dict[str, list[float]]:
    """Run each measurement once per round, in turn, and return all their times."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name, run in runs.items():
            times[name].append(run(r))
            print(f"  round {r + 1}: {name} {times[name][-1]:.1f} s", file=sys.stderr, flush=True)
    return times


def throughput(args: argparse.Namespace, work: Path) -> dict:
    """Measure items 1-3: end to end vs bare spaCy vs the naive baseline, and the no-op run."""
    from flows.settings import build

    model = build(model=args.model).model
    corpus = real_corpus(work / "real", args.articles, Path(args.source))
    home = work / "prefect"
    tokens: list[int] = []

    def e2e(r: int) -> float:
        cmd = ["run", str(corpus), "--warehouse", str(work / f"wh{r}"), "--model", model]
        cmd += ["--n-process", str(args.n_process), "--batch-files", str(args.batch_files)]
        return timed(wiredesk(cmd), env(home))[0]

    def bare(*flags: str) -> Callable[[int], float]:
        def run(r: int) -> float:
            cmd = [sys.executable, "-m", "bench.bench_pipeline", "_bare", str(corpus)]
            cmd += ["--model", model, "--n-process", str(args.n_process), *flags]
            seconds, _, out = timed(cmd, env(home))
            tokens.append(json.loads(out.strip().splitlines()[-1])["tokens"])
            return seconds

        return run

    # Untimed: a fresh Prefect home costs the first server its database migrations (~13 s of CPU
    # here), which a scheduled run never pays.
    timed([sys.executable, "-m", "bench.bench_pipeline", "_empty"], env(home))
    runs = {"end to end": e2e, "bare nlp.pipe": bare(), "bare, numpy gemm": bare("--numpy-gemm")}
    if not args.skip_naive:
        runs["naive nlp(text)"] = bare("--naive")
    times = interleave(args.rounds, runs)

    def noop(r: int) -> float:  # the corpus again, into a warehouse that already holds it
        cmd = ["run", str(corpus), "--warehouse", str(work / "wh0"), "--model", model]
        return timed(wiredesk([*cmd, "--n-process", str(args.n_process)]), env(home))[0]

    def empty(r: int) -> float:
        cmd = [sys.executable, "-m", "bench.bench_pipeline", "_empty"]
        return timed(cmd, env(home))[0]

    fixed = interleave(args.rounds, {"no-op run": noop, "empty flow": empty})
    return {
        "articles": args.articles,
        "tokens": tokens[0],
        "n_process": args.n_process,
        "times": {k: statistics.median(v) for k, v in (times | fixed).items()},
    }


def scaling(sizes: list[int], batch: int, rounds: int = SCALE_ROUNDS) -> dict:
    """Measure item 4: fill a warehouse batch by batch and time dedup + load per batch.

    The per-article figures come from the fill. For the ratio, the warehouse is frozen (a copy
    of hard links) when it reaches the two largest sizes, and the next batch is then run
    against fresh copies of each, interleaved (A, B, A, B), the median of `rounds` reported.
    """
    from evals.synthetic import corpus

    items = sorted(corpus(int(max(sizes) / 2.3) + 10, seed=5), key=lambda it: it.published_at)
    items = items[: max(sizes) + batch]
    frozen_at = sorted(sizes)[-2:] if len(sizes) >= 2 else []
    stamps: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="wiredesk-bench-") as tmp:
        root = Path(tmp) / "warehouse"
        for n, start in enumerate(range(0, max(sizes), batch)):
            chunk = items[start : start + batch]
            dedup, load = scaling_batch(root, chunk, f"bench-{n:06d}")
            stored = start + len(chunk)
            stamps[stored] = {"before": start, "dedup": dedup, "load": load, "n": len(chunk)}
            if stored in frozen_at:
                shutil.copytree(
                    root, Path(tmp) / f"frozen{stored}", symlinks=True, copy_function=os.link
                )
            if stored % (10 * batch) == 0 or stored == max(sizes):
                t = dedup + load
                print(f"  warehouse {stored}: batch {t:.2f} s", file=sys.stderr, flush=True)
        files = sum(1 for _ in (root / "_current").rglob("*.parquet"))
        runs: dict[int, list[float]] = {size: [] for size in frozen_at}
        for r in range(rounds if frozen_at else 0):
            for size in frozen_at:
                copy = Path(tmp) / f"round{r}-{size}"
                shutil.copytree(
                    Path(tmp) / f"frozen{size}", copy, symlinks=True, copy_function=os.link
                )
                dedup, load = scaling_batch(copy, items[size : size + batch], f"next-{r}")
                runs[size].append(dedup + load)
                shutil.rmtree(copy)
                print(
                    f"  round {r + 1}: next batch vs {size}: {dedup + load:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
    out = {"batch": batch, "files": files, "at": {}, "rounds": rounds}
    for size in sizes:
        near = [s for s in stamps if s <= size][-3:]  # the last three batches up to this size
        dedup = sum(stamps[s]["dedup"] for s in near) / sum(stamps[s]["n"] for s in near)
        load = sum(stamps[s]["load"] for s in near) / sum(stamps[s]["n"] for s in near)
        out["at"][size] = {
            "dedup_ms": 1000 * dedup,
            "load_ms": 1000 * load,
            "run_s": statistics.median(
                runs.get(size) or [stamps[s]["dedup"] + stamps[s]["load"] for s in near]
            ),
            "before": size if size in runs else stamps[near[-1]]["before"],
        }
    return out


def scaling_batch(root: Path, chunk: list, commit_id: str) -> tuple[float, float]:
    """Dedup and load one batch of synthetic items into a warehouse; return both times."""
    from evals.synthetic import articles_table
    from tasks.dedup import (
        deduplicate_articles,
        pool_from_signatures,
        recent_signatures,
        touched_stories,
        update_stories,
    )
    from tasks.entity_index import index_mentions, stored_entities
    from tasks.load import BatchRows, commit_batch, split_new
    from warehouse import Warehouse, empty

    warehouse = Warehouse(root)
    table = articles_table(chunk, ingested_at=chunk[-1].published_at + timedelta(hours=1))
    t0 = time.perf_counter()
    with warehouse.lock():  # as in a run: the batch's reads and its commit under the lock
        fresh, already = split_new(warehouse, table)
        pool = pool_from_signatures(recent_signatures(warehouse, fresh))
        placed, links, signatures = deduplicate_articles(
            fresh, empty("mentions"), empty("quotes"), pool
        )
        stories = update_stories(warehouse.read("stories", filter=touched_stories(placed)), placed)
        found = empty("mentions")
        mentions, entities = index_mentions(found, placed, stored_entities(warehouse, found))
        t1 = time.perf_counter()
        rows = BatchRows(
            articles=placed,
            mentions=mentions,
            quotes=empty("quotes"),
            links=links,
            signatures=signatures,
            rejects=[],
            stories=stories,
            entities=entities,
            raw=None,
            documents_read=len(chunk),
            already_loaded=already,
        )
        commit_batch(warehouse, commit_id, "bench", rows)
    return t1 - t0, time.perf_counter() - t1


def rss_by_batch(cmd: list[str], child_env: dict[str, str], root: Path) -> tuple[float, list]:
    """Run a backfill; return its seconds and (snapshot, peak RSS MiB, seconds) per commit.

    The warehouse's snapshot number counts the batches committed so far, so the samples show
    whether memory grows with the articles loaded or stays bounded by the batch.
    """
    peaks: dict[int, float] = {}
    reached: dict[int, float] = {}  # when each snapshot was first seen

    def sample(rss: float, seconds: float) -> None:
        try:
            snapshot = int(Path(os.readlink(root / "_current")).name)
        except (OSError, ValueError):
            snapshot = 0
        peaks[snapshot] = max(peaks.get(snapshot, 0.0), rss)
        reached.setdefault(snapshot, seconds)

    seconds, _ = watched(cmd, child_env, sample)
    return seconds, [(n, peaks[n], reached[n]) for n in sorted(peaks)]


def memory(sizes: list[int], work: Path, batch_files: int) -> dict:
    """Measure item 5: peak RSS of one backfill through the real flow with the stand-in model.

    One backfill of max(sizes) articles is run, its memory sampled per committed batch; each
    size reports the peak RSS (whole process tree) until that many articles were committed, so
    the 10k and 100k figures come from the same run and the ratio is the growth between them.
    """
    model = stand_in_model(work / "stand-in")
    size = max(sizes)
    corpus = synthetic_corpus(work / f"backfill{size}", size)
    root = work / f"bwh{size}"
    cmd = ["run", str(corpus), "--warehouse", str(root), "--source", "bench"]
    cmd += ["--batch-files", str(batch_files), "--n-process", "1"]
    seconds, peaks = rss_by_batch(
        wiredesk(cmd), env(work / "prefect", WIREDESK_MODEL=str(model)), root
    )
    total = max(p for _, p, _ in peaks)
    out = {}
    for want in sorted(sizes):
        batches = -(-want // batch_files)  # snapshots 1..batches hold the first `want` files
        upto = [(p, t) for snap, p, t in peaks if snap <= batches] or [(total, seconds)]
        after = [t for snap, _, t in peaks if snap > batches] or [seconds]
        out[want] = {"seconds": min(after), "peak_mib": max(p for p, _ in upto)}
        print(
            f"  backfill {size}: peak {out[want]['peak_mib']:.0f} MiB until {want} articles "
            f"committed ({out[want]['seconds']:.0f} s)",
            file=sys.stderr,
        )
    out[size] = {"seconds": seconds, "peak_mib": total}
    print(f"  backfill {size}: {seconds:.0f} s, peak {total:.0f} MiB", file=sys.stderr)
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return out


# ---------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    """Return the table's word for a target met or missed."""
    return "met" if ok else "MISSED"


def report(fast: dict | None, scale: dict | None, mem: dict | None) -> list[tuple[str, ...]]:
    """Return the rows of the results table: measure, figure, target, verdict."""
    rows: list[tuple[str, ...]] = []
    if fast:
        t, n, tok = fast["times"], fast["articles"], fast["tokens"]
        e2e, p = t["end to end"], fast["n_process"]
        # The limit is the faster bare run: spaCy's own blis matmul, or numpy's, as wiredesk uses.
        bare = min(t["bare nlp.pipe"], t.get("bare, numpy gemm", t["bare nlp.pipe"]))
        if "bare, numpy gemm" in t:
            blis, numpy = t["bare nlp.pipe"], t["bare, numpy gemm"]
            rows.append(
                (
                    "   bare nlp.pipe: spaCy's blis matmul vs numpy's (OpenBLAS)",
                    f"{n / blis:.1f} vs {n / numpy:.1f} art/s: {blis / numpy:.2f}x",
                    "",
                    "",
                )
            )
        rows.append(
            (
                f"1. end to end / fastest bare nlp.pipe ({n} articles, {tok} tokens, "
                f"n_process={p})",
                f"{n / e2e:.1f} vs {n / bare:.1f} art/s ({tok / e2e:,.0f} vs {tok / bare:,.0f} "
                f"tok/s): {bare / e2e:.2f}",
                ">= 0.85",
                verdict(bare / e2e >= 0.85),
            )
        )
        if "naive nlp(text)" in t:
            naive = t["naive nlp(text)"]
            rows.append(
                (
                    "2. end to end / naive nlp(text), all components, 1 process",
                    f"{n / e2e:.1f} vs {n / naive:.1f} art/s: {naive / e2e:.2f}x",
                    ">= 2x",
                    verdict(naive / e2e >= 2),
                )
            )
        extra = t["no-op run"] - t["empty flow"]
        rows.append(
            (
                "3. fixed cost: no-op run - empty Prefect flow",
                f"{t['no-op run']:.1f} - {t['empty flow']:.1f} = {extra:.1f} s",
                "<= 3 s",
                verdict(extra <= 3),
            )
        )
    if scale:
        at = scale["at"]
        for size, f in at.items():
            rows.append(
                (
                    f"4. dedup + load per article, warehouse ~{size:,}",
                    f"{f['dedup_ms']:.2f} + {f['load_ms']:.2f} ms",
                    "flat",
                    "",
                )
            )
        sizes = sorted(at)
        if len(sizes) >= 2:
            small, big = at[sizes[-2]], at[sizes[-1]]
            ratio = big["run_s"] / small["run_s"]
            rows.append(
                (
                    f"4. {scale['batch']:,}-article batch vs {small['before']:,} / "
                    f"{big['before']:,} stored",
                    f"{small['run_s']:.2f} / {big['run_s']:.2f} s: ratio {ratio:.2f}",
                    "<= 1.2",
                    verdict(ratio <= 1.2),
                )
            )
    if mem:
        sizes = sorted(mem)
        for size in sizes:
            m = mem[size]
            rows.append(
                (
                    f"5. backfill peak RSS, {size:,} articles (stand-in model)",
                    f"{m['peak_mib']:,.0f} MiB in {m['seconds']:.0f} s "
                    f"({size / m['seconds']:.0f} art/s)",
                    "<= 2048 MiB",
                    verdict(m["peak_mib"] <= 2048),
                )
            )
        if len(sizes) >= 2:
            ratio = mem[sizes[-1]]["peak_mib"] / mem[sizes[0]]["peak_mib"]
            rows.append(
                (
                    f"5. peak RSS {sizes[-1]:,} / {sizes[0]:,} articles",
                    f"{ratio:.2f}",
                    "flat (<= 1.2)",
                    verdict(ratio <= 1.2),
                )
            )
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    """Print the results as a markdown table."""
    print("| measure | figure | target | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; return 1 if a target is missed and --strict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "_bare", "_empty"])
    parser.add_argument("folder", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--source", default=str(POLNEAR), help="folder of real .txt articles")
    parser.add_argument("--articles", type=int, default=2520, help="articles for items 1-3")
    parser.add_argument("--model", default=None, help="spaCy pipeline [env WIREDESK_MODEL]")
    parser.add_argument("--n-process", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-files", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (median)")
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--numpy-gemm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--scales", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--scale-batch", type=int, default=SCALE_BATCH)
    parser.add_argument("--backfills", type=int, nargs="*", default=[20_000, 100_000])
    parser.add_argument("--only", nargs="*", default=["throughput", "scaling", "memory"])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--prefect-api", help="use this Prefect server instead of one temporary server per run"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.mode == "_bare":
        from flows.settings import build

        model = build(model=args.model).model
        bare_main(args.folder, model, args.n_process, args.naive, args.numpy_gemm)
        return 0
    if args.mode == "_empty":
        empty_flow_main()
        return 0
    if args.prefect_api:
        PREFECT_API["PREFECT_API_URL"] = args.prefect_api
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="wiredesk-bench-") as tmp:
        work = Path(tmp)
        fast = throughput(args, work) if "throughput" in args.only else None
        scale = scaling(args.scales, args.scale_batch) if "scaling" in args.only else None
        mem = memory(args.backfills, work, args.batch_files) if "memory" in args.only else None
    rows = report(fast, scale, mem)
    end = os.getloadavg()
    print(f"\nload average {load[0]:.1f} at start, {end[0]:.1f} at end; {os.cpu_count()} cores")
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "load": [load, end]}, indent=1))
    return 1 if args.strict and any(r[3] == "MISSED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
