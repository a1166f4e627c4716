"""Deduplicate a batch: place each new article, in publication order, as a copy or in a story."""

from __future__ import annotations

import pyarrow as pa

from tasks.dedup.copies import find_copies
from tasks.dedup.pool import Pool, signatures_pool, signatures_table
from tasks.dedup.stories import place_stories
from warehouse.schemas import LINKS, SIGNATURES

Link = tuple[str, str, str, float, str]  # article, other article, relation, score, method
CHUNK = 1000  # new articles clustered together


def deduplicate_articles(
    articles: pa.Table, mentions: pa.Table, quotes: pa.Table, pool: Pool | None = None
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Place each new article (in publication order) and return (articles, links, signatures)."""
    pool = pool if pool is not None else Pool()
    if articles.num_rows == 0:
        return articles, LINKS.empty_table(), SIGNATURES.empty_table()
    order = sorted(
        range(articles.num_rows),
        key=lambda i: (
            articles["published_at"][i].as_py() is None,
            articles["published_at"][i].as_py() or 0,
            i,
        ),
    )
    articles = articles.take(pa.array(order, pa.int64()))
    new = signatures_pool(articles, mentions, quotes)
    base = len(pool)
    copies = find_copies(new, pool)
    pool.extend(new)
    links: list[Link] = []
    for row, (other, relation, score, method) in sorted(copies.items()):
        pool.duplicate_of[base + row] = pool.root(other)
        links.append((pool.article_id[base + row], pool.article_id[other], relation, score, method))
    originals = [base + r for r in range(len(new)) if r not in copies]
    for start in range(0, len(originals), CHUNK):
        chunk = originals[start : start + CHUNK]
        stories, story_links, merges = place_stories(chunk, pool)
        if merges:
            pool.merge(merges, base)
        for row, story in stories.items():
            pool.story_id[row] = story
        for row, other, score in story_links:
            links.append(
                (
                    pool.article_id[row],
                    pool.article_id[other],
                    "same_story",
                    round(score, 4),
                    "tfidf+entities+quotes",
                )
            )
    for row in sorted(copies):  # in order, so a copy of a copy finds its story set
        other = copies[row][0]
        pool.story_id[base + row] = pool.story_id[other]
    placed = placed_articles(articles, pool, base)
    return placed, links_table(links), signatures_table(pool, base, articles)


def placed_articles(articles: pa.Table, pool: Pool, base: int) -> pa.Table:
    """Return the articles with the copy and story the pool rows from base on give them."""
    rows = range(base, base + articles.num_rows)
    return articles.set_column(
        articles.schema.get_field_index("duplicate_of"),
        "duplicate_of",
        pa.array([pool.duplicate_of[r] for r in rows], pa.string()),
    ).set_column(
        articles.schema.get_field_index("story_id"),
        "story_id",
        pa.array([pool.story_id[r] for r in rows], pa.string()),
    )


def links_table(links: list[Link]) -> pa.Table:
    """Return link rows in the links schema."""
    return pa.table(
        {
            "article_id": [x[0] for x in links],
            "other_article_id": [x[1] for x in links],
            "relation": [x[2] for x in links],
            "score": pa.array([x[3] for x in links], pa.float32()),
            "method": [x[4] for x in links],
            "run_id": pa.nulls(len(links), pa.string()),
        },
        schema=LINKS,
    )
