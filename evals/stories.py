"""Same-story accuracy: B-cubed and adjusted Rand of the pipeline's story ids against gold."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from tasks.clean import clean_documents
from tasks.common import Batch, Document
from tasks.dedup import deduplicate_articles
from tasks.extract import DEFAULT_MODEL, extract_articles

SAME_BODY = re.compile(r"same body as item (?P<item>.+)\Z")


@dataclass(slots=True)
class StoryScores:
    """B-cubed precision, recall and F1, adjusted Rand index, and counts."""

    precision: float
    recall: float
    f1: float
    ari: float
    articles: int
    gold_stories: int
    predicted_stories: int


def bcubed(predicted: list[str], gold: list[str]) -> tuple[float, float, float]:
    """Return B-cubed precision, recall and F1 of a clustering against gold clusters."""
    by_pred: dict[str, set[int]] = defaultdict(set)
    by_gold: dict[str, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(predicted, gold, strict=True)):
        by_pred[p].add(i)
        by_gold[g].add(i)
    precision = recall = 0.0
    for p, g in zip(predicted, gold, strict=True):
        shared = len(by_pred[p] & by_gold[g])
        precision += shared / len(by_pred[p])
        recall += shared / len(by_gold[g])
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def score(predicted: list[str], gold: list[str]) -> StoryScores:
    """Return the story scores of predicted ids against gold ids (same order)."""
    precision, recall, f1 = bcubed(predicted, gold)
    return StoryScores(
        precision,
        recall,
        f1,
        adjusted_rand_score(gold, predicted),
        len(gold),
        len(set(gold)),
        len(set(predicted)),
    )


def read_gold(path: str | Path) -> list[dict]:
    """Read {"id", "story", "text"} records."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def predict_stories(
    records: list[dict], model: str | None = None, full_parse: bool = False
) -> dict[str, str]:
    """Run clean, extract and dedup on the records and return each id's story id."""
    batch = Batch([Document("eval", str(r["id"]), r["text"]) for r in records])
    articles, rejects = clean_documents(batch, datetime.now(UTC))
    mentions, quotes = extract_articles(articles, model or DEFAULT_MODEL, full_parse=full_parse)
    placed, _, _ = deduplicate_articles(articles, mentions, quotes)
    story = dict(
        zip(placed["source_item_id"].to_pylist(), placed["story_id"].to_pylist(), strict=True)
    )
    for reject in rejects:  # an item with another item's body is that item's copy
        match = SAME_BODY.search(reject.detail)
        if match and match.group("item") in story:
            story[reject.source_item_id] = story[match.group("item")]
        else:
            story[reject.source_item_id] = f"rejected-{reject.source_item_id}"
    return story


def evaluate(path: str | Path, model: str | None = None, full_parse: bool = False) -> StoryScores:
    """Score the pipeline's stories on a gold file."""
    records = read_gold(path)
    story = predict_stories(records, model, full_parse)
    return score([story[str(r["id"])] for r in records], [str(r["story"]) for r in records])


def report(scores: StoryScores) -> str:
    """Return the scores as a short table."""
    return "\n".join(
        [
            f"articles {scores.articles}  gold stories {scores.gold_stories}  "
            f"predicted stories {scores.predicted_stories}",
            f"B-cubed precision {scores.precision:.3f}  recall {scores.recall:.3f}  "
            f"F1 {scores.f1:.3f}",
            f"adjusted Rand index {scores.ari:.3f}",
        ]
    )
