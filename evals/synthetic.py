"""Synthetic syndicated copies: originals, their edited wire copies, and look-alike decoys."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from tasks.clean import body_hash
from tasks.common import stable_id
from warehouse.schemas import ARTICLES

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni"
COMMON = tuple(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "that",
        "said",
        "on",
        "for",
        "with",
        "was",
        "is",
        "by",
        "at",
        "as",
        "from",
        "it",
        "he",
        "she",
        "they",
        "has",
        "have",
        "were",
        "will",
        "would",
        "after",
        "officials",
        "government",
        "police",
        "minister",
        "people",
        "city",
        "year",
        "week",
    ]
)
BYLINES = ("By Staff Reporter", "By Ana Ruiz", "From our correspondent", "By Tom Hale (Agencies)")


@dataclass(slots=True)
class Item:
    """One synthetic article: copy_of names the original it copies, None for originals."""

    item_id: str
    source: str
    body: str
    published_at: datetime
    copy_of: str | None = None


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Return made-up words (so no real text is needed), to be drawn with a Zipf-like skew."""
    parts = SYLLABLES.split()
    return sorted(
        {"".join(rng.choice(parts) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    )


def sentence(rng: random.Random, words: list[str]) -> str:
    """Return a sentence mixing common words with skewed draws from the vocabulary."""
    n = rng.randint(12, 28)
    picked = [
        rng.choice(COMMON)
        if rng.random() < 0.45
        else words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)]
        if rng.random() < 0.5
        else rng.choice(words)
        for _ in range(n)
    ]
    text = " ".join(picked)
    return text[0].upper() + text[1:] + "."


def article(rng: random.Random, words: list[str]) -> str:
    """Return a body of 5-12 paragraphs of 1-4 sentences."""
    return "\n\n".join(
        " ".join(sentence(rng, words) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(5, 12))
    )


def syndicate(rng: random.Random, body: str) -> str:
    """Return a wire copy: byline, a few edited words, trimmed ending, re-punctuation."""
    paragraphs = body.split("\n\n")
    if rng.random() < 0.5 and len(paragraphs) > 3:  # trim closing paragraphs
        paragraphs = paragraphs[: max(2, len(paragraphs) - rng.randint(1, len(paragraphs) // 2))]
    text = "\n\n".join(paragraphs)
    words = text.split(" ")
    for _ in range(rng.randint(0, max(1, len(words) // 60))):  # a few edited words
        words[rng.randrange(len(words))] = rng.choice(COMMON)
    text = " ".join(words)
    if rng.random() < 0.5:  # re-punctuation and quote marks
        text = text.replace(". ", "; ", rng.randint(1, 3)).replace(" said", ", said")
    if rng.random() < 0.5:
        text = f"{rng.choice(BYLINES)}\n\n{text}"
    if rng.random() < 0.3:
        text += "\n\n(Reporting by the wire; editing by the desk)"
    return text


def decoy(rng: random.Random, body: str, words: list[str]) -> str:
    """Return an independent report sharing one paragraph (a quote) with the original."""
    shared = rng.choice(body.split("\n\n"))
    own = article(rng, words).split("\n\n")
    own.insert(rng.randrange(len(own) + 1), shared)
    return "\n\n".join(own)


def corpus(n_originals: int, seed: int = 7, copies: int = 2, decoys: int = 1) -> list[Item]:
    """Return originals, their syndicated copies and decoys, shuffled within days."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    items: list[Item] = []
    for i in range(n_originals):
        when = T0 + timedelta(minutes=10 * i)
        body = article(rng, words)
        items.append(Item(f"o{i}", "wire", body, when))
        for c in range(rng.randint(0, copies)):
            late = when + timedelta(minutes=rng.randint(1, 600))
            items.append(Item(f"o{i}c{c}", f"outlet{c}", syndicate(rng, body), late, f"o{i}"))
        for d in range(rng.randint(0, decoys)):
            late = when + timedelta(minutes=rng.randint(1, 600))
            items.append(Item(f"o{i}d{d}", "other", decoy(rng, body, words), late))
    return items


def articles_table(items: list[Item], ingested_at: datetime = T0) -> pa.Table:
    """Return items as rows of the articles table (as the clean stage would make them)."""
    rows = []
    for item in items:
        digest = body_hash(item.body)
        rows.append(
            {
                "article_id": stable_id(item.source, item.item_id, digest),
                "source": item.source,
                "source_item_id": item.item_id,
                "published_at": item.published_at,
                "ingested_at": ingested_at,
                "language": "en",
                "body": item.body,
                "body_hash": digest,
                "word_count": len(item.body.split()),
            }
        )
    return pa.Table.from_pylist(rows, schema=ARTICLES)


def copy_scores(items: list[Item], placed: pa.Table) -> dict[str, float]:
    """Return near-copy precision and recall: each copy must point at its own original."""
    by_item = dict(
        zip(placed["source_item_id"].to_pylist(), placed["duplicate_of"].to_pylist(), strict=True)
    )
    item_of = dict(
        zip(placed["article_id"].to_pylist(), placed["source_item_id"].to_pylist(), strict=True)
    )
    predicted = {i: item_of[d] for i, d in by_item.items() if d}
    gold = {it.item_id: it.copy_of for it in items if it.copy_of}
    right = sum(predicted.get(i) == o for i, o in gold.items())
    precision = right / len(predicted) if predicted else 1.0
    recall = right / len(gold) if gold else 1.0
    return {"precision": precision, "recall": recall, "copies": len(gold), "found": len(predicted)}
