"""Stories do not depend on batching: one run or four shuffled runs give the same partition."""

from __future__ import annotations

import random
import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from evals.stories import bcubed
from flows.pipeline import ingest_flow
from tests.flows.story_corpus import write_corpus
from warehouse import Warehouse


def stories_by_file(root: Path) -> dict[str, str]:
    """Return each loaded file's story id, read back from the warehouse's articles."""
    articles = Warehouse(root).read("articles")
    return dict(
        zip(articles["source_item_id"].to_pylist(), articles["story_id"].to_pylist(), strict=True)
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
    (one,) = load_in_runs(corpus, tmp_path / "one", [names])
    shuffled = random.Random(3).sample(names, len(names))
    runs = load_in_runs(corpus, tmp_path / "four", [shuffled[i::4] for i in range(4)])
    four = runs[-1]
    assert sorted(one) == sorted(four) == sorted(gold)
    assert same_partition(one, four) >= 0.98
    for placed in (one, four):  # every outlet's rewrite of an event is in the event's story
        _, recall, _ = bcubed([placed[i] for i in sorted(gold)], [gold[i] for i in sorted(gold)])
        assert recall == 1.0
    # A story id, once written, stays: later runs add to the stories, never rename them.
    for before, later in pairwise(runs):
        assert {k: later[k] for k in before} == before
    stored = set(Warehouse(tmp_path / "four").read("stories")["story_id"].to_pylist())
    assert set(four.values()) == stored
