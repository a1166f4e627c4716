"""Benchmark a growing warehouse: what a small run, the analyst's queries, check and compact cost
at 10k, 100k (and 1M) stored articles, each against the same measure at the smallest size.

Run: nice -n 19 .venv/bin/python -m bench.bench_scale [--sizes 10000 100000] [--run-articles 1000]

1. build: a synthetic warehouse filled as runs fill it: wires, their rewrites (syndicated copies)
   and look-alike decoys, with people, organisations and places named in the text and quoted;
   batches of --batch articles go through the real dedup, entity index and `commit_batch` (no
   spaCy: mentions and quotes are found where the generator wrote them), with raw documents,
   rejects and a runs row per batch. The build rate is printed so a larger size can be estimated.
2. at each size, on a hard-link copy of the warehouse (the build goes on untouched):
   a. a `wiredesk run` of --run-articles real news texts (spaCy included): wall time and peak RSS
      summed over its process tree;
   b. per table, the files and bytes that run wrote against the table's files and bytes: an
      upserted table (entities, stories) or a dedup state (signatures) must not be rewritten whole;
   c. four analyst queries through `wiredesk sql` (the CLI, and `run_sql` in this process) and the
      same SQL on DuckDB native tables holding the same rows;
   d. `wiredesk check` (quick) and `wiredesk compact`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from bench.bench_pipeline import (
    POLNEAR,
    PREFECT_API,
    env,
    real_corpus,
    synthetic_corpus,
    timed,
    wiredesk,
)
from evals.synthetic import T0, article, decoy, sentence, syndicate, vocabulary

SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni"
WIRES = ("AFP", "Reuters", "AP", "DPA", "ANSA")
ORG_KINDS = ("Council", "Ministry", "Party", "Bank", "Union", "Agency")
REJECT_REASONS = ("empty_body", "not_text", "no_sentence", "unparseable")
UPSERTED = ("entities", "stories", "signatures")
QUERY_TARGET_RATIO = 2.0
QUERY_TARGET_S = 2.0
RUN_TARGET_RATIO = 1.3
RSS_TARGET_MIB = 2048
CHECK_TARGET_S = 5.0


# ---------------------------------------------------------------- synthetic wires


@dataclass(slots=True)
class Names:
    """Made-up people, organisations and places, drawn with a Zipf-like skew."""

    people: list[str]
    orgs: list[str]
    places: list[str]

    @classmethod
    def make(cls, rng: random.Random) -> Names:
        """Return a few thousand names of each kind."""
        parts = SYLLABLES.split()

        def word() -> str:
            return "".join(rng.choice(parts) for _ in range(rng.randint(2, 3))).capitalize()

        people = sorted({f"{word()} {word()}" for _ in range(40_000)})
        orgs = sorted({f"{word()} {rng.choice(ORG_KINDS)}" for _ in range(8000)})
        places = sorted({word() for _ in range(3000)})
        return cls(people, orgs, places)

    def pick(self, rng: random.Random, pool: list[str]) -> str:
        """Return a name: a few are everywhere, most are rare."""
        return pool[min(int(rng.paretovariate(0.9)) - 1, len(pool) - 1) * 7 % len(pool)]


@dataclass(slots=True)
class Doc:
    """One synthetic article as a wire sends it, with the names and quotes written into it."""

    item_id: str
    source: str
    body: str
    published_at: object
    names: list[tuple[str, str]] = field(default_factory=list)  # (text, label)
    speakers: list[str] = field(default_factory=list)
    credit: str | None = None


def quoted(rng: random.Random, words: list[str], names: Names) -> tuple[str, list, list]:
    """Return a paragraph quoting someone, the names it holds and its speaker."""
    person, org = names.pick(rng, names.people), names.pick(rng, names.orgs)
    place = names.pick(rng, names.places)
    said = sentence(rng, words).rstrip(".")
    text = f"“{said},” said {person}, a spokesperson for the {org} in {place}."
    return text, [(person, "PERSON"), (org, "ORG"), (place, "GPE")], [person]


class Wires:
    """Generate the stream batch by batch: originals, their rewrites and decoys, in time order."""

    def __init__(self, seed: int = 35) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.names = Names.make(self.rng)
        self.n = 0  # originals so far
        self.pending: list[Doc] = []

    def original(self) -> list[Doc]:
        """Return one original and its copies and decoys."""
        rng, i = self.rng, self.n
        self.n += 1
        when = T0 + timedelta(minutes=3 * i)
        paragraphs = article(rng, self.words).split("\n\n")
        names, speakers = [], []
        for _ in range(rng.randint(1, 3)):
            text, found, who = quoted(rng, self.words, self.names)
            paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), text)
            names += found
            speakers += who
        for _ in range(rng.randint(1, 3)):  # people and bodies named without a quote
            person, org = self.names.pick(rng, self.names.people), rng.choice(self.names.orgs)
            place = rng.choice(self.names.places)
            paragraphs.insert(rng.randrange(1, len(paragraphs) + 1),
                              f"{person} met officials of the {org} in {place}.")  # fmt: skip
            names += [(person, "PERSON"), (org, "ORG"), (place, "GPE")]
        body = "\n\n".join(paragraphs)
        wire = rng.choice(WIRES)
        docs = [Doc(f"w{i}", wire.lower(), body, when, names, speakers, wire)]
        for c in range(rng.randint(0, 2)):
            late = when + timedelta(minutes=rng.randint(1, 600))
            docs.append(Doc(f"w{i}c{c}", f"outlet{rng.randrange(40)}", syndicate(rng, body),
                            late, names, speakers, wire))  # fmt: skip
        if rng.random() < 0.4:
            late = when + timedelta(minutes=rng.randint(1, 600))
            docs.append(Doc(f"w{i}d", f"outlet{rng.randrange(40)}",
                            decoy(rng, body, self.words), late, names, speakers))  # fmt: skip
        return docs

    def batch(self, size: int) -> list[Doc]:
        """Return the next size documents."""
        while len(self.pending) < size:
            self.pending += self.original()
        out, self.pending = self.pending[:size], self.pending[size:]
        return sorted(out, key=lambda d: d.published_at)


def found_rows(docs: list[Doc], ids: list[str]) -> tuple[pa.Table, pa.Table]:
    """Return the mentions and quotes of documents where the names and quotes occur in the text."""
    from tasks.components.quotes import quote_key
    from warehouse.schemas import MENTIONS, QUOTES

    mentions, quotes = [], []
    for doc, article_id in zip(docs, ids, strict=True):
        seen = 0
        for text, label in doc.names:
            start = doc.body.find(text)
            if start < 0:
                continue
            mentions.append({"article_id": article_id, "mention_idx": seen, "text": text,
                             "label": label, "start_char": start, "end_char": start + len(text),
                             "canonical": text})  # fmt: skip
            seen += 1
        at = 0
        for speaker in doc.speakers:
            open_, close = doc.body.find("“", at), doc.body.find("”", at)
            who = doc.body.find(speaker, max(close, 0))
            if open_ < 0 or close < open_ or who < 0:
                continue
            at = close + 1
            text = doc.body[open_ + 1 : close]
            cue = doc.body.find("said", close)
            quotes.append({"article_id": article_id, "quote_idx": len(quotes), "text": text,
                           "quote_type": "direct", "start_char": open_ + 1, "end_char": close,
                           "speaker": speaker, "speaker_text": speaker, "speaker_start": who,
                           "speaker_end": who + len(speaker), "cue": "said", "cue_start": cue,
                           "cue_end": cue + 4, "confidence": 0.9, "quote_key": quote_key(text),
                           "segments": [{"start_char": open_ + 1, "end_char": close}],
                           "cue_kind": "speech"})  # fmt: skip
    return (pa.Table.from_pylist(mentions, schema=MENTIONS),
            pa.Table.from_pylist(quotes, schema=QUOTES))  # fmt: skip


def articles_of(docs: list[Doc], ingested_at) -> tuple[pa.Table, pa.Table]:
    """Return the documents as articles rows (as clean makes them) and their raw rows."""
    from tasks.clean import body_hash
    from tasks.common import stable_id
    from warehouse.schemas import ARTICLES, RAW

    articles, raw = [], []
    for doc in docs:
        digest = body_hash(doc.body)
        data = doc.body.encode("utf-8")
        raw_id = stable_id("raw", doc.source, doc.item_id)
        articles.append({"article_id": stable_id(doc.source, doc.item_id, digest),
                         "source": doc.source, "source_item_id": doc.item_id,
                         "title": " ".join(doc.body.split()[:8]), "published_at": doc.published_at,
                         "ingested_at": ingested_at, "language": "en", "body": doc.body,
                         "body_hash": digest, "word_count": len(doc.body.split()),
                         "credit": doc.credit, "version": 1, "withdrawn": False,
                         "raw_id": raw_id, "language_confidence": 0.99})  # fmt: skip
        raw.append({"raw_id": raw_id, "source": doc.source, "item_id": doc.item_id,
                    "path": f"inbox/{doc.source}/{doc.item_id}.txt", "format": "text",
                    "content_hash": digest, "size": len(data), "received_at": ingested_at,
                    "data": data})  # fmt: skip
    return (pa.Table.from_pylist(articles, schema=ARTICLES),
            pa.Table.from_pylist(raw, schema=RAW))  # fmt: skip


def rejects_of(rng: random.Random, docs: list[Doc]) -> list:
    """Return the rejects a batch of documents brings: about 2 in 100, by reason."""
    from tasks.common import Reject

    return [
        Reject(d.source, f"{d.item_id}x", "clean", rng.choice(REJECT_REASONS), "synthetic")
        for d in docs
        if rng.random() < 0.02
    ]


def load_batch(root: Path, docs: list[Doc], n: int, rng: random.Random) -> None:
    """Dedup, index and commit one batch through the run's own load code."""
    from tasks.common import Counts
    from tasks.dedup import (
        deduplicate_articles,
        pool_from_signatures,
        recent_signatures,
        touched_stories,
        update_stories,
    )
    from tasks.entity_index import index_mentions, stored_entities
    from tasks.load import BatchRows, commit_batch, record_run, split_new
    from warehouse import Warehouse

    warehouse = Warehouse(root)
    ingested = docs[-1].published_at + timedelta(hours=1)
    table, raw = articles_of(docs, ingested)
    mentions, quotes = found_rows(docs, table["article_id"].to_pylist())
    run_id = f"build-{n:07d}"
    with warehouse.lock():  # as in a run: the batch's reads and its commit under the lock
        fresh, already = split_new(warehouse, table)
        pool = pool_from_signatures(recent_signatures(warehouse, fresh))
        placed, links, signatures = deduplicate_articles(fresh, mentions, quotes, pool)
        stories = update_stories(warehouse.read("stories", filter=touched_stories(placed)), placed)
        keyed, entities = index_mentions(mentions, placed, stored_entities(warehouse, mentions))
        rows = BatchRows(articles=placed, mentions=keyed, quotes=quotes, links=links,
                         signatures=signatures, rejects=rejects_of(rng, docs), stories=stories,
                         entities=entities, raw=raw, documents_read=len(docs),
                         already_loaded=already)  # fmt: skip
        counts: Counts = commit_batch(warehouse, f"{run_id}-b0", run_id, rows)
        record_run(warehouse, run_id, ingested, ingested, "completed", counts)


# ---------------------------------------------------------------- measures


def queries(root: Path) -> dict[str, str]:
    """Return the analyst queries, with the story and entity they look at picked from the data."""
    import duckdb

    from warehouse import Warehouse
    from warehouse.query import create_views

    con = duckdb.connect()
    with Warehouse(root).snapshot() as snap:
        create_views(con, snap)
        story = con.execute(
            "select story_id from stories order by n_articles desc, story_id limit 1"
        ).fetchone()[0]
        entity = con.execute(
            "select entity_key from entities where label = 'ORG' "
            "order by n_mentions desc, entity_key limit 1"
        ).fetchone()[0]
    return {
        "top speakers by week": (
            "select date_trunc('week', a.published_at) as week, q.speaker, count(*) as quotes "
            "from quotes q join articles a using (article_id) where q.speaker is not null "
            "group by week, q.speaker qualify row_number() over (partition by week "
            "order by quotes desc, q.speaker) <= 5 order by week, quotes desc"
        ),
        "articles and carriers of one story": (
            "select a.published_at, a.source, a.credit, a.title, a.duplicate_of from articles a "
            f"where a.story_id = '{story}' order by a.published_at"
        ),
        "one entity's mentions by month": (
            "select date_trunc('month', a.published_at) as month, count(*) as mentions, "
            "count(distinct a.source) as sources from mentions m join articles a "
            f"using (article_id) where m.entity_key = '{entity}' group by all order by month"
        ),
        "rejects by reason per source": (
            "select source, reason, count(*) as n from rejects group by all order by all"
        ),
    }


def native_copy(root: Path, path: Path) -> None:
    """Copy the warehouse's tables into a DuckDB database file (native tables, same rows)."""
    import duckdb

    from warehouse import Warehouse
    from warehouse.query import create_views

    path.unlink(missing_ok=True)
    con = duckdb.connect()
    with Warehouse(root).snapshot() as snap:
        create_views(con, snap)
        con.execute(f"attach '{path}' as native")
        for name in ("articles", "quotes", "mentions", "rejects", "stories", "entities"):
            con.execute(f"create table native.{name} as select * from {name}")
    con.close()


def time_queries(root: Path, native: Path, home: Path, rounds: int) -> dict[str, dict]:
    """Time each query through `wiredesk sql` (CLI and in process) and on native tables."""
    import duckdb

    from warehouse.query import Limits, run_sql

    out = {}
    floor = [timed(wiredesk(["sql", "select 1", "-w", str(root)]), env(home))[0]
             for _ in range(rounds)]  # fmt: skip
    out["floor"] = {"cli": min(floor)}  # the CLI's start-up and a snapshot's views, no query
    for label, sql in queries(root).items():
        cli, mine, theirs = [], [], []
        for _ in range(rounds):  # interleaved; the best of each is the figure
            cli.append(timed(wiredesk(["sql", sql, "-w", str(root), "--max-rows", "5"]),
                             env(home))[0])  # fmt: skip
            t0 = time.perf_counter()
            run_sql(sql, root, None, 5, Limits("1GB", 300.0))
            mine.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            con = duckdb.connect(str(native), read_only=True)
            con.execute("set memory_limit = '1GB'")
            con.execute(sql).fetchall()
            con.close()
            theirs.append(time.perf_counter() - t0)
        out[label] = {"cli": min(cli), "warehouse": min(mine), "native": min(theirs)}
    return out


def table_files(root: Path) -> dict[str, dict[str, int]]:
    """Return every data file's size by table and relative path, from the current manifest."""
    from warehouse import Warehouse

    by_table: dict[str, dict[str, int]] = {}
    for rel, size in Warehouse(root).current().sizes().items():
        by_table.setdefault(rel.split("/", 1)[0], {})[rel] = size
    return by_table


def rewritten(before: dict, after: dict) -> dict[str, dict]:
    """Return per table: files and bytes before and after, the bytes the run wrote, and the
    bytes of stored files it replaced (upserted or merged into new files)."""
    out = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, {}), after.get(name, {})
        written = sum(size for rel, size in new.items() if rel not in old)
        replaced = sum(size for rel, size in old.items() if rel not in new)
        out[name] = {"files_before": len(old), "bytes_before": sum(old.values()),
                     "files_after": len(new), "bytes_after": sum(new.values()),
                     "written": written, "replaced": replaced}  # fmt: skip
    return out


def measure(root: Path, work: Path, args: argparse.Namespace, inbox: Path) -> dict:
    """Measure a-d on a hard-link copy of the warehouse at its current size."""
    copy = work / "measured"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True, copy_function=os.link)
    home = work / "prefect"
    native = work / "native.duckdb"
    native_copy(copy, native)
    result: dict = {"queries": time_queries(copy, native, home, args.rounds)}
    before = table_files(copy)
    cmd = ["run", str(inbox), "-w", str(copy), "--n-process", str(args.n_process)]
    if args.model:
        cmd += ["--model", args.model]
    result["run_s"], result["run_mib"], _ = timed(wiredesk(cmd), env(home))
    result["tables"] = rewritten(before, table_files(copy))
    result["check_s"] = timed(wiredesk(["check", "-w", str(copy)]), env(home))[0]
    result["compact_s"] = timed(wiredesk(["compact", "-w", str(copy)]), env(home))[0]
    result["bytes"] = sum(t["bytes_after"] for t in result["tables"].values())
    shutil.rmtree(copy, ignore_errors=True)
    native.unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------- report


def ratio(value: float, base: float) -> str:
    """Return value / base as text."""
    return f"{value / base:.2f}x" if base > 0 else "n/a"


def report(size: int, got: dict, base: dict) -> None:
    """Print every figure at one size, with its ratio against the smallest size."""
    print(f"\n== {size:,} articles stored ({got['bytes'] / 2**20:,.0f} MiB of Parquet), "
          f"built at {got['build_rate']:.0f} articles/s", flush=True)  # fmt: skip
    run_ok = got["run_s"] <= RUN_TARGET_RATIO * base["run_s"]
    rss_ok = got["run_mib"] <= RSS_TARGET_MIB
    print(f"a. run of {got['run_articles']} articles: {got['run_s']:.1f} s "
          f"({ratio(got['run_s'], base['run_s'])} of smallest; target <= {RUN_TARGET_RATIO}x: "
          f"{'met' if run_ok else 'missed'}), peak RSS {got['run_mib']:.0f} MiB "
          f"({ratio(got['run_mib'], base['run_mib'])}; target <= {RSS_TARGET_MIB}: "
          f"{'met' if rss_ok else 'missed'})")  # fmt: skip
    print("b. table       files before -> after   MiB before   MiB written   stored MiB replaced")
    for name, t in got["tables"].items():
        share = t["replaced"] / t["bytes_before"] if t["bytes_before"] else 0.0
        whole = name in UPSERTED and t["files_before"] and t["replaced"] == t["bytes_before"]
        flag = " REWRITTEN WHOLE" if whole else ""
        print(f"   {name:<12} {t['files_before']:>6} -> {t['files_after']:<6} "
              f"{t['bytes_before'] / 2**20:>12.2f} {t['written'] / 2**20:>13.2f} "
              f"{t['replaced'] / 2**20:>10.2f} ({share:.0%}){flag}")  # fmt: skip
    print(
        "c. query                               wiredesk sql  in process  native  ratio  "
        "vs smallest  (targets on the in-process time)"
    )
    floor = got["queries"]["floor"]["cli"]
    print(f'   `wiredesk sql "select 1"` (start-up, no query): {floor:.2f} s')
    for label, q in got["queries"].items():
        if label == "floor":
            continue
        r = q["warehouse"] / q["native"]
        ok = r <= QUERY_TARGET_RATIO and q["warehouse"] <= QUERY_TARGET_S
        print(f"   {label:<36} {q['cli']:>10.2f} s {q['warehouse']:>8.3f} s {q['native']:>6.3f} s "
              f"{r:>5.2f}x  {ratio(q['cli'], base['queries'][label]['cli'])} "
              f"{'met' if ok else 'missed'}")  # fmt: skip
    print(f"d. check (quick) {got['check_s']:.1f} s ({ratio(got['check_s'], base['check_s'])}; "
          f"target <= {CHECK_TARGET_S:.0f} s: "
          f"{'met' if got['check_s'] <= CHECK_TARGET_S else 'missed'}); "
          f"compact {got['compact_s']:.1f} s ({ratio(got['compact_s'], base['compact_s'])})",
          flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Build the warehouse size by size, measure at each and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=1000, help="articles per committed batch")
    parser.add_argument("--run-articles", type=int, default=1000)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="timings per query (best kept)")
    parser.add_argument("--model", default=None, help="spaCy model of the run [the default]")
    parser.add_argument("--source", default=str(POLNEAR), help="real texts for the run")
    parser.add_argument("--work", default=None, help="folder to build in [a temporary one]")
    parser.add_argument("--prefect-api", default=None, help="a running Prefect server to use")
    args = parser.parse_args(argv)
    if args.prefect_api:
        PREFECT_API["PREFECT_API_URL"] = args.prefect_api
    work = Path(args.work or tempfile.mkdtemp(prefix="wiredesk-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "warehouse"
    inbox = work / "inbox"
    if Path(args.source).is_dir() and any(Path(args.source).glob("*.txt")):
        real_corpus(inbox, args.run_articles, Path(args.source))
    else:
        synthetic_corpus(inbox, args.run_articles)
    # Untimed: a fresh Prefect home pays its database migrations once.
    timed([sys.executable, "-m", "bench.bench_pipeline", "_empty"], env(work / "prefect"))
    wires, rng = Wires(), random.Random(36)
    stored, built_s, results = 0, 0.0, {}
    try:
        for size in sorted(args.sizes):
            t0 = time.perf_counter()
            start = stored
            while stored < size:
                docs = wires.batch(min(args.batch, size - stored))
                load_batch(root, docs, stored // args.batch, rng)
                stored += len(docs)
                if stored % (10 * args.batch) == 0:
                    rate = (stored - start) / (time.perf_counter() - t0)
                    print(f"  built {stored:,} ({rate:.0f} articles/s)", file=sys.stderr,
                          flush=True)  # fmt: skip
            seconds = time.perf_counter() - t0
            built_s += seconds
            got = measure(root, work, args, inbox)
            got["build_rate"] = (stored - start) / seconds
            got["run_articles"] = args.run_articles
            results[size] = got
            report(size, got, results[min(results)])
        print(f"\nbuild: {stored:,} articles in {built_s:.0f} s; at the last size's rate "
              f"1,000,000 take about {1e6 / got['build_rate'] / 3600:.1f} h")  # fmt: skip
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
