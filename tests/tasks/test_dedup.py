from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from tasks.dedup import Index, deduplicate_articles, load_index, update_stories
from warehouse import empty

T0 = datetime(2026, 3, 3, 8, tzinfo=UTC)
BODY = " ".join(f"word{i}" for i in range(200))


def articles(*rows: tuple[str, str, datetime | None]) -> pa.Table:
    schema = empty("articles").schema
    return pa.Table.from_pylist(
        [
            {
                "article_id": aid,
                "source": "w",
                "source_item_id": aid,
                "published_at": when,
                "ingested_at": T0,
                "body": body,
                "body_hash": str(hash(body)),
                "word_count": 1,
            }
            for aid, body, when in rows
        ],
        schema=schema,
    )


def mentions(pairs: dict[str, list[str]]) -> pa.Table:
    rows = [
        {
            "article_id": aid,
            "mention_idx": i,
            "text": n,
            "label": "PERSON",
            "start_char": 0,
            "end_char": 1,
            "canonical": n,
        }
        for aid, names in pairs.items()
        for i, n in enumerate(names)
    ]
    return pa.Table.from_pylist(rows, schema=empty("mentions").schema)


def run(table: pa.Table, found: pa.Table | None = None, index: Index | None = None):
    return deduplicate_articles(
        table, found or empty("mentions"), empty("quotes"), index or Index()
    )


def test_exact_and_near_copies_point_to_the_original():
    edited = BODY.replace("word50", "changed").replace("word120", "edited")
    trimmed = " ".join(BODY.split()[:170])
    placed, links, _ = run(
        articles(
            ("orig", BODY, T0),
            ("copy", BODY, T0 + timedelta(hours=1)),
            ("edit", "By Staff " + edited, T0 + timedelta(hours=2)),
            ("trim", trimmed, T0 + timedelta(hours=3)),
        )
    )
    dup = dict(
        zip(placed["article_id"].to_pylist(), placed["duplicate_of"].to_pylist(), strict=True)
    )
    assert dup == {"orig": None, "copy": "orig", "edit": "orig", "trim": "orig"}
    assert len(set(placed["story_id"].to_pylist())) == 1
    assert sorted(links["relation"].to_pylist()) == ["exact", "near_copy", "near_copy"]


def test_same_story_by_shared_entities_but_not_unrelated():
    other = " ".join(f"other{i}" for i in range(200))
    third = " ".join(f"third{i}" for i in range(200))
    table = articles(("a", BODY, T0), ("b", other, T0), ("c", third, T0))
    names = {
        "a": ["Ingrid Solberg", "Tomas Brandt", "Oslo"],
        "b": ["Ingrid Solberg", "Tomas Brandt"],
        "c": ["Someone Else"],
    }
    placed, links, _ = run(table, mentions(names))
    story = dict(zip(placed["article_id"].to_pylist(), placed["story_id"].to_pylist(), strict=True))
    assert story["a"] == story["b"] != story["c"]
    assert placed["duplicate_of"].null_count == 3
    assert links["relation"].to_pylist() == ["same_story"]


def test_outside_the_time_window_is_not_the_same_story():
    other = " ".join(f"other{i}" for i in range(200))
    names = {"a": ["Ingrid Solberg", "Tomas Brandt"], "b": ["Ingrid Solberg", "Tomas Brandt"]}
    placed, _, _ = run(
        articles(("a", BODY, T0), ("b", other, T0 + timedelta(days=10))), mentions(names)
    )
    assert len(set(placed["story_id"].to_pylist())) == 2


def test_stored_signatures_match_later_runs_and_story_ids_stay():
    first, _, signatures = run(articles(("orig", BODY, T0)))
    second, links, _ = run(articles(("copy", BODY + " extra", T0)), index=load_index(signatures))
    assert second["duplicate_of"].to_pylist() == ["orig"]
    assert second["story_id"].to_pylist() == first["story_id"].to_pylist()
    assert links["relation"].to_pylist() == ["near_copy"]


def test_update_stories_counts_sources_and_picks_the_earliest_original():
    placed, _, _ = run(articles(("late", BODY, T0 + timedelta(hours=5))))
    stories = update_stories(empty("stories"), placed)
    earlier = articles(("early", BODY, T0)).to_pylist()[0]
    earlier |= {"story_id": placed["story_id"][0].as_py(), "source": "other-wire"}
    stories = update_stories(stories, pa.Table.from_pylist([earlier], schema=placed.schema))
    row = stories.to_pylist()[0]
    assert (row["n_articles"], row["n_sources"], row["original_article_id"]) == (2, 2, "early")
    assert row["sources"] == ["other-wire", "w"]
