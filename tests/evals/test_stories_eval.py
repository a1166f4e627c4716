"""Story accuracy on ECB+ dev (skipped without ../shared) and near copies on synthetic wires."""

from __future__ import annotations

from evals.stories import bcubed, evaluate, score
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
    assert scores.f1 >= 0.87 and scores.ari >= 0.81, scores
