"""Story accuracy on ECB+ dev (skipped without ../shared) and near copies on synthetic wires."""

from __future__ import annotations

import random

from bench.bench_batching import parsed, place_in_runs
from evals.stories import bcubed, evaluate, read_gold, score
from evals.synthetic import articles_table, copy_scores, corpus
from tasks.dedup import deduplicate_articles
from tests.conftest import EVAL, need
from warehouse import empty


def test_bcubed_and_ari_on_a_small_case():
    perfect = score(["x", "x", "y"], ["a", "a", "b"])
    assert (perfect.f1, perfect.ari) == (1.0, 1.0)
    precision, recall, _ = bcubed(["x", "x", "x"], ["a", "a", "b"])
    assert abs(precision - 5 / 9) < 1e-9 and recall == 1.0


def test_synthetic_syndicated_copies_are_found_precisely():
    items = corpus(400, seed=11)
    placed, _, _ = deduplicate_articles(articles_table(items), empty("mentions"), empty("quotes"))
    found = copy_scores(items, placed)
    assert found["copies"] > 300
    assert found["precision"] >= 0.99 and found["recall"] >= 0.97


def test_ecbplus_dev_stories_reach_the_floors():
    path = need(EVAL / "ecbplus" / "dev.jsonl")
    scores = evaluate(path)
    assert scores.precision >= 0.935 and scores.recall >= 0.95, scores
    assert scores.f1 >= 0.945 and scores.ari >= 0.935, scores


def test_ecbplus_dev_stories_in_four_and_twenty_shuffled_runs_reach_the_floors():
    path = need(EVAL / "ecbplus" / "dev.jsonl")
    records = read_gold(path)
    gold = {str(r["id"]): str(r["story"]) for r in records}
    tables = parsed(records)
    n = tables[0].num_rows
    one = place_in_runs(tables, [list(range(n))])
    order = random.Random(1).sample(range(n), n)
    items = sorted(one)
    floors = {4: (0.95, 0.915, 0.93, 0.925, 0.905), 20: (0.93, 0.875, 0.93, 0.9, 0.88)}
    for runs, (agreement, precision, recall, f1, ari) in floors.items():
        split = place_in_runs(tables, [order[i::runs] for i in range(runs)])
        agree = bcubed([split[i] for i in items], [one[i] for i in items])[2]
        scores = score([split[i] for i in items], [gold[i] for i in items])
        assert agree >= agreement, (runs, agree)
        assert scores.precision >= precision and scores.recall >= recall, (runs, scores)
        assert scores.f1 >= f1 and scores.ari >= ari, (runs, scores)
