"""Story rows: fold newly placed articles into the `stories` table's rows they change.

A story's original is its earliest article, unless a later one comes from the wire the others
credit.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tasks.dedup.signatures import fold
from warehouse.schemas import STORIES

TITLE_CHARS = 120


def lead(body: str) -> str:
    """Return an article's first paragraph, cut to a title's length."""
    first = body.split("\n\n", 1)[0]
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def credited(credit: str | None, source: str) -> bool:
    """Return True when a credit names the source (folded, either containing the other)."""
    if not credit:
        return False
    a, b = fold(credit), fold(source)
    return bool(a and b) and (a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} ")


def touched_stories(articles: pa.Table) -> pc.Expression:
    """Return the filter that selects the stored stories of placed articles."""
    ids = pa.array(sorted(set(articles["story_id"].drop_null().to_pylist())), pa.string())
    return pc.field("story_id").isin(ids)


def update_stories(stories: pa.Table, articles: pa.Table) -> pa.Table:
    """Fold newly placed articles into their stories; return only the stories they change.

    stories holds the stored rows of those stories (more rows are ignored); the result is the
    batch's upsert into the stories table. The original is the earliest article, unless a later
    one comes from the wire the others credit ("(AFP)", "AFP quoted ... as saying", "with
    inputs from AFP").
    """
    touched = set(articles["story_id"].to_pylist())
    mask = pc.is_in(stories["story_id"], value_set=pa.array(sorted(touched), pa.string()))
    rows = {row["story_id"]: row for row in stories.filter(mask).to_pylist()}
    for art in articles.to_pylist():
        seen = art["published_at"] or art["ingested_at"]
        title = art["title"] or lead(art["body"])
        story = rows.get(art["story_id"])
        if story is None:
            rows[art["story_id"]] = {
                "story_id": art["story_id"],
                "title": title,
                "first_seen": seen,
                "last_seen": seen,
                "n_articles": 1,
                "n_sources": 1,
                "sources": [art["source"]],
                "credits": [art["credit"]] if art["credit"] else [],
                "original_article_id": art["article_id"],
                "original_source": art["source"],
            }
            continue
        story["n_articles"] += 1
        story["sources"] = sorted(set(story["sources"]) | {art["source"]})
        story["n_sources"] = len(story["sources"])
        story["credits"] = sorted(set(story["credits"] or []) | ({art["credit"]} - {None}))
        story["last_seen"] = max(story["last_seen"], seen)
        credits = story["credits"]
        original_credited = any(credited(c, story["original_source"]) for c in credits)
        new_credited = any(credited(c, art["source"]) for c in credits)
        earlier = seen < story["first_seen"]
        if (new_credited and not original_credited) or (
            earlier and (new_credited or not original_credited)
        ):
            story.update(
                original_article_id=art["article_id"],
                original_source=art["source"],
                title=title,
            )
        story["first_seen"] = min(story["first_seen"], seen)
    table = pa.Table.from_pylist(list(rows.values()), schema=STORIES)
    return table.sort_by([("first_seen", "ascending"), ("story_id", "ascending")])
