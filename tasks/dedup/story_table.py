"""Story rows: fold newly placed articles into the `stories` table's rows they change.

A story's original is its earliest article, unless a later one comes from the wire the others
credit. A story merged into another passes its articles' counts and sources on to it.
"""

from __future__ import annotations

from datetime import UTC, datetime

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


def touched_stories(articles: pa.Table, merges: dict[str, str] | None = None) -> pc.Expression:
    """Return the filter that selects the stored stories of placed articles and of merges."""
    found = set(articles["story_id"].drop_null().to_pylist())
    for merged, survivor in (merges or {}).items():
        found |= {merged, survivor}
    return pc.field("story_id").isin(pa.array(sorted(found), pa.string()))


def update_stories(
    stories: pa.Table,
    articles: pa.Table,
    merges: dict[str, str] | None = None,
    merged_at: datetime | None = None,
) -> pa.Table:
    """Fold newly placed articles and merged stories into stories; return the rows they change.

    stories holds the stored rows of those stories (more rows are ignored); the result is the
    batch's upsert into the stories table. The original is the earliest article, unless a later
    one comes from the wire the others credit ("(AFP)", "AFP quoted ... as saying", "with
    inputs from AFP"). A merged story's counts, sources and original pass to the story it
    joined; its own row keeps them as they were and records merged_into and merged_at.
    """
    merges = merges or {}
    touched = set(articles["story_id"].to_pylist()) | set(merges) | set(merges.values())
    mask = pc.is_in(stories["story_id"], value_set=pa.array(sorted(touched), pa.string()))
    rows = {row["story_id"]: row for row in stories.filter(mask).to_pylist()}
    for art in articles.to_pylist():
        row = article_story(art)
        story = rows.get(art["story_id"])
        if story is None:
            rows[art["story_id"]] = row
        else:
            absorb(story, row)
    for merged, survivor in sorted(merges.items()):
        if merged in rows and survivor in rows and not rows[merged]["merged_into"]:
            absorb(rows[survivor], rows[merged])
            rows[merged].update(merged_into=survivor, merged_at=merged_at or datetime.now(UTC))
    table = pa.Table.from_pylist(list(rows.values()), schema=STORIES)
    return table.sort_by([("first_seen", "ascending"), ("story_id", "ascending")])


def article_story(art: dict) -> dict:
    """Return the story row of one placed article alone."""
    seen = art["published_at"] or art["ingested_at"]
    return {
        "story_id": art["story_id"],
        "title": art["title"] or lead(art["body"]),
        "first_seen": seen,
        "last_seen": seen,
        "n_articles": 1,
        "n_sources": 1,
        "sources": [art["source"]],
        "credits": [art["credit"]] if art["credit"] else [],
        "original_article_id": art["article_id"],
        "original_source": art["source"],
        "merged_into": None,
        "merged_at": None,
    }


def absorb(story: dict, other: dict) -> None:
    """Fold another story row (or one article's) into a story row."""
    story["n_articles"] += other["n_articles"]
    story["sources"] = sorted(set(story["sources"]) | set(other["sources"]))
    story["n_sources"] = len(story["sources"])
    story["credits"] = sorted(set(story["credits"] or []) | set(other["credits"] or []))
    story["last_seen"] = max(story["last_seen"], other["last_seen"])
    credits = story["credits"]
    original_credited = any(credited(c, story["original_source"]) for c in credits)
    other_credited = any(credited(c, other["original_source"]) for c in credits)
    earlier = other["first_seen"] < story["first_seen"]
    if (other_credited and not original_credited) or (
        earlier and (other_credited or not original_credited)
    ):
        story.update(
            original_article_id=other["original_article_id"],
            original_source=other["original_source"],
            title=other["title"],
        )
    story["first_seen"] = min(story["first_seen"], other["first_seen"])
