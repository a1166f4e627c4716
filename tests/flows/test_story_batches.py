"""Stories do not depend on batching: one run or several shuffled runs give the same partition.

An article's story is the one its story_id resolves to (story_current): stories that later runs
find to be one event are merged, while every article keeps the story_id it was given.
"""

from __future__ import annotations

import random
import shutil
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bench.bench_batching import parsed, place_in_runs
from evals.stories import bcubed
from flows.pipeline import ingest_flow
from tests.flows.story_corpus import write_corpus
from warehouse import Warehouse
from warehouse.query import run_sql


def stories_by_file(root: Path) -> dict[str, str]:
    """Return each loaded file's story id, read back from the warehouse's articles."""
    articles = Warehouse(root).read("articles")
    return dict(
        zip(articles["source_item_id"].to_pylist(), articles["story_id"].to_pylist(), strict=True)
    )


def current_by_file(root: Path) -> dict[str, str]:
    """Return each loaded file's current story, resolved by `wiredesk sql`'s story_current."""
    out = root.parent / f"{root.name}-current.parquet"
    run_sql(
        "select a.source_item_id, c.current_story_id from articles a "
        "join story_current c using (story_id)",
        root,
        out,
    )
    table = pq.read_table(out)
    return dict(
        zip(
            table["source_item_id"].to_pylist(),
            table["current_story_id"].to_pylist(),
            strict=True,
        )
    )


def load_in_runs(corpus: Path, root: Path, runs: list[list[str]]) -> list[dict[str, str]]:
    """Load the corpus's files, one flow run per group; return the stories after each run."""
    after = []
    for number, names in enumerate(runs):
        inbox = root.parent / f"{root.name}-run{number}"
        inbox.mkdir()
        for name in names:
            shutil.copy(corpus / name, inbox / name)
        ingest_flow(paths=[str(inbox)], source="wires", warehouse=str(root))
        after.append(stories_by_file(root))
    return after


def same_partition(a: dict[str, str], b: dict[str, str]) -> float:
    """Return the B-cubed F1 of one partition of the same items against another."""
    items = sorted(a)
    return bcubed([a[i] for i in items], [b[i] for i in items])[2]


@pytest.mark.usefixtures("prefect_harness")
def test_one_run_and_four_shuffled_runs_give_the_same_stories(tmp_path: Path):
    corpus = tmp_path / "corpus"
    gold = {Path(name).stem: event for name, event in write_corpus(corpus).items()}
    names = sorted(f"{stem}.txt" for stem in gold)
    load_in_runs(corpus, tmp_path / "one", [names])
    one = current_by_file(tmp_path / "one")
    shuffled = random.Random(3).sample(names, len(names))
    runs = load_in_runs(corpus, tmp_path / "four", [shuffled[i::4] for i in range(4)])
    four = current_by_file(tmp_path / "four")
    assert sorted(one) == sorted(four) == sorted(gold)
    assert same_partition(one, four) >= 0.95
    # One run keeps every outlet's rewrite of an event in the event's story; in four runs an
    # early story that holds reports of two look-alike events may keep one report apart.
    for placed, least in ((one, 1.0), (four, 0.95)):
        _, recall, _ = bcubed([placed[i] for i in sorted(gold)], [gold[i] for i in sorted(gold)])
        assert recall >= least
    # An article's story_id, once written, stays: later runs add or merge, never rename.
    for before, later in pairwise(runs):
        assert {k: later[k] for k in before} == before
    stories = Warehouse(tmp_path / "four").read("stories")
    given = set(stories["story_id"].to_pylist())
    live = {s["story_id"] for s in stories.to_pylist() if s["merged_into"] is None}
    assert set(runs[-1].values()) <= given and set(four.values()) == live


def test_one_four_and_twenty_shuffled_runs_give_nearly_the_same_stories(tmp_path: Path):
    corpus = tmp_path / "corpus"
    gold = {Path(name).stem: event for name, event in write_corpus(corpus).items()}
    records = [
        {"id": stem, "text": (corpus / f"{stem}.txt").read_text(encoding="utf-8")}
        for stem in sorted(gold)
    ]
    tables = parsed(records)
    n = tables[0].num_rows
    one = place_in_runs(tables, [list(range(n))])
    assert sorted(one) == sorted(gold)
    for runs in (4, 20):
        for seed in (1, 2, 3):
            order = random.Random(seed).sample(range(n), n)
            split = place_in_runs(tables, [order[i::runs] for i in range(runs)])
            assert same_partition(one, split) >= 0.95, (runs, seed)
