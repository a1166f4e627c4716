"""Dedup: exact copies, near copies (MinHash LSH) and same-story grouping across wires."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasketch import MinHash, MinHashLSH
from prefect import task

from tasks.common import normalize_for_match
from warehouse import Warehouse
from warehouse.schemas import LINKS, SIGNATURES, STORIES

NUM_PERM = 128
SCHEME = "affine32"
SHINGLE_WORDS = 5
LSH_THRESHOLD = 0.5  # low, to find candidates; each is verified below
NEAR_COPY_JACCARD = 0.6
STORY_WINDOW = timedelta(hours=72)
LOOKBACK = timedelta(days=14)
STORY_ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT"}
STORY_MIN_SCORE = 0.25
QUOTE_MIN_WORDS = 5
QUOTE_CONTAINMENT = 0.8
TITLE_CHARS = 120


@dataclass(slots=True)
class Candidate:
    """An article dedup compares against: already stored or earlier in the batch."""

    article_id: str
    story_id: str
    published_at: datetime | None
    body_hash: str
    minhash: MinHash
    entities: set[str]
    quote_texts: list[str]
    duplicate_of: str | None = None


@dataclass(slots=True)
class Decision:
    """Where dedup placed one article, and why."""

    duplicate_of: str | None
    story_id: str
    links: list[tuple[str, str, float, str]] = field(
        default_factory=list
    )  # other, relation, score, method


def shingles(body: str) -> set[bytes]:
    """Return the word shingles of a body folded for matching."""
    words = normalize_for_match(body).split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()}
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def minhash_of(body: str) -> MinHash:
    """Return the MinHash signature of a body's shingles."""
    signature = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    signature.update_batch(list(shingles(body)))
    return signature


def entity_set(mentions: pa.Table, article_id: str) -> set[str]:
    """Return the folded canonical names of an article's story-defining entities."""
    mine = mentions.filter(pc.equal(mentions["article_id"], article_id))
    return {
        normalize_for_match(name)
        for name, label in zip(
            mine["canonical"].to_pylist(), mine["label"].to_pylist(), strict=True
        )
        if label in STORY_ENTITY_LABELS and name
    }


def quote_texts(quotes: pa.Table, article_id: str) -> list[str]:
    """Return the folded texts of an article's longer quotes."""
    mine = quotes.filter(pc.equal(quotes["article_id"], article_id))
    folded = (normalize_for_match(t) for t in mine["text"].to_pylist())
    return sorted({t for t in folded if len(t.split()) >= QUOTE_MIN_WORDS})


def shared_quote(a: list[str], b: list[str]) -> bool:
    """Return True when a quote of one article is mostly contained in a quote of the other."""
    for x in a:
        xs = set(x.split())
        for y in b:
            ys = set(y.split())
            small = min(len(xs), len(ys))
            if small >= QUOTE_MIN_WORDS and len(xs & ys) / small >= QUOTE_CONTAINMENT:
                return True
    return False


def story_score(a: Candidate, b: Candidate) -> float:
    """Return how likely two articles report the same event, from entities and quotes."""
    if a.published_at and b.published_at and abs(a.published_at - b.published_at) > STORY_WINDOW:
        return 0.0
    score = 0.0
    if a.entities and b.entities:
        score = len(a.entities & b.entities) / len(a.entities | b.entities)
    if shared_quote(a.quote_texts, b.quote_texts):
        score = max(score, 0.5) + 0.25
    return min(score, 1.0)


class Index:
    """Known articles: exact hashes, a MinHash LSH index and the entity/quote features."""

    def __init__(self) -> None:
        self.by_id: dict[str, Candidate] = {}
        self.by_hash: dict[str, str] = {}
        self.lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)

    def add(self, candidate: Candidate) -> None:
        """Make an article findable."""
        self.by_id[candidate.article_id] = candidate
        self.by_hash.setdefault(candidate.body_hash, candidate.article_id)
        self.lsh.insert(candidate.article_id, candidate.minhash)

    def place(self, new: Candidate) -> Decision:
        """Decide whether an article copies a known one, joins a story, or starts one."""
        exact = self.by_hash.get(new.body_hash)
        if exact:
            original = self.by_id[exact]
            root = original.duplicate_of or original.article_id
            return Decision(root, original.story_id, [(exact, "exact", 1.0, "body_hash")])
        copies = []
        for other_id in self.lsh.query(new.minhash):
            other = self.by_id[other_id]
            jaccard = float(new.minhash.jaccard(other.minhash))
            if jaccard >= NEAR_COPY_JACCARD:
                copies.append((jaccard, other))
        if copies:
            jaccard, original = max(copies, key=lambda pair: pair[0])
            root = original.duplicate_of or original.article_id
            return Decision(
                root, original.story_id, [(original.article_id, "near_copy", jaccard, "minhash")]
            )
        scored = [(story_score(new, other), other) for other in self.by_id.values()]
        scored = [(s, o) for s, o in scored if s >= STORY_MIN_SCORE]
        if scored:
            score, best = max(scored, key=lambda pair: pair[0])
            return Decision(
                None, best.story_id, [(best.article_id, "same_story", score, "entities+quotes")]
            )
        return Decision(None, f"s-{new.article_id}")


def load_index(signatures: pa.Table) -> Index:
    """Build an index from stored signatures."""
    index = Index()
    for row in signatures.to_pylist():
        signature = MinHash(
            num_perm=NUM_PERM,
            seed=1,
            scheme=SCHEME,
            hashvalues=np.array(row["minhash"], dtype=np.uint32),
        )
        index.add(
            Candidate(
                row["article_id"],
                row["story_id"],
                row["published_at"],
                row["body_hash"],
                signature,
                set(row["entities"] or []),
                list(row["quote_texts"] or []),
            )
        )
    return index


def recent_signatures(warehouse: Warehouse, articles: pa.Table) -> pa.Table:
    """Read the stored signatures that new articles can match: recent or undated."""
    dates = [d for d in articles["published_at"].to_pylist() if d is not None]
    table = warehouse.read("signatures")
    if not dates or table.num_rows == 0:
        return table
    since = pa.scalar(min(dates) - LOOKBACK, type=SIGNATURES.field("published_at").type)
    keep = pc.or_kleene(
        pc.is_null(table["published_at"]), pc.greater_equal(table["published_at"], since)
    )
    return table.filter(keep)


def deduplicate_articles(
    articles: pa.Table, mentions: pa.Table, quotes: pa.Table, index: Index
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Place each new article (in publication order) and return (articles, links, signatures)."""
    order = sorted(
        range(articles.num_rows),
        key=lambda i: (
            articles["published_at"][i].as_py() is None,
            articles["published_at"][i].as_py() or 0,
            i,
        ),
    )
    articles = articles.take(pa.array(order, pa.int64()))
    duplicate_of, story_ids = [], []
    links: dict[str, list] = {name: [] for name in LINKS.names}
    sigs: dict[str, list] = {name: [] for name in SIGNATURES.names}
    for row in articles.select(["article_id", "published_at", "body", "body_hash"]).to_pylist():
        new = Candidate(
            row["article_id"],
            "",
            row["published_at"],
            row["body_hash"],
            minhash_of(row["body"]),
            entity_set(mentions, row["article_id"]),
            quote_texts(quotes, row["article_id"]),
        )
        decision = index.place(new)
        new.story_id, new.duplicate_of = decision.story_id, decision.duplicate_of
        index.add(new)
        duplicate_of.append(decision.duplicate_of)
        story_ids.append(decision.story_id)
        for other, relation, score, method in decision.links:
            for name, value in zip(
                LINKS.names, (new.article_id, other, relation, score, method, None), strict=True
            ):
                links[name].append(value)
        for name, value in (
            ("article_id", new.article_id),
            ("story_id", new.story_id),
            ("published_at", new.published_at),
            ("body_hash", new.body_hash),
            ("minhash", new.minhash.hashvalues.astype(np.uint32).tolist()),
            ("entities", sorted(new.entities)),
            ("quote_texts", new.quote_texts),
            ("run_id", None),
        ):
            sigs[name].append(value)
    articles = articles.set_column(
        articles.schema.get_field_index("duplicate_of"),
        "duplicate_of",
        pa.array(duplicate_of, pa.string()),
    ).set_column(
        articles.schema.get_field_index("story_id"), "story_id", pa.array(story_ids, pa.string())
    )
    return articles, pa.table(links, schema=LINKS), pa.table(sigs, schema=SIGNATURES)


def lead(body: str) -> str:
    """Return an article's first sentence, cut to a title's length."""
    first = body.split("\n\n", 1)[0]
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def update_stories(stories: pa.Table, articles: pa.Table) -> pa.Table:
    """Fold newly placed articles into the stories table (one row per story)."""
    rows = {row["story_id"]: row for row in stories.to_pylist()}
    for art in articles.to_pylist():
        seen = art["published_at"] or art["ingested_at"]
        story = rows.get(art["story_id"])
        if story is None:
            rows[art["story_id"]] = {
                "story_id": art["story_id"],
                "title": art["title"] or lead(art["body"]),
                "first_seen": seen,
                "last_seen": seen,
                "n_articles": 1,
                "n_sources": 1,
                "sources": [art["source"]],
                "original_article_id": art["article_id"],
            }
            continue
        story["n_articles"] += 1
        story["sources"] = sorted(set(story["sources"]) | {art["source"]})
        story["n_sources"] = len(story["sources"])
        story["last_seen"] = max(story["last_seen"], seen)
        if seen < story["first_seen"]:
            story.update(
                first_seen=seen,
                original_article_id=art["article_id"],
                title=art["title"] or lead(art["body"]),
            )
    table = pa.Table.from_pylist(list(rows.values()), schema=STORIES)
    return table.sort_by([("first_seen", "ascending"), ("story_id", "ascending")])


@task(name="dedup", task_run_name="dedup-{label}")
def dedup(
    articles: pa.Table, mentions: pa.Table, quotes: pa.Table, warehouse_root: str, label: str
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Place a batch of new articles; return (articles, links, signatures, stories)."""
    warehouse = Warehouse(warehouse_root)
    index = load_index(recent_signatures(warehouse, articles))
    placed, links, signatures = deduplicate_articles(articles, mentions, quotes, index)
    stories = update_stories(warehouse.read("stories"), placed)
    return placed, links, signatures, stories
