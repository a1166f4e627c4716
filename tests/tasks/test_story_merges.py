"""Stories converge: stored stories that later articles show to be one event are merged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from tasks.dedup import current_stories, place_batch, update_stories
from tests.tasks.test_dedup import articles, mentions
from warehouse import Warehouse, empty
from warehouse.query import run_sql

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)
HARBOUR = (
    "A passenger ferry capsized in the harbour of Port Elra early on Sunday. The coast guard "
    "pulled forty passengers from the cold water and took them to the hospital by the docks."
)
DAM = (
    "Engineers inspected the cracked wall of the Vessany reservoir after the overnight storm. "
    "Farmers downstream were told to move their cattle to higher ground until the checks end."
)
BRIDGES = {  # three reports that tell the storm did both: one event
    "c": "The storm that capsized a ferry in Port Elra also cracked the Vessany reservoir wall; "
    "the coast guard rescued forty passengers while engineers inspected the dam.",
    "d": "Forty ferry passengers were pulled from the harbour and farmers below the Vessany "
    "reservoir moved their cattle as the same overnight storm swept the coast.",
    "e": "After the ferry capsized off the docks of Port Elra, engineers found the Vessany "
    "reservoir wall cracked; hospital staff treated passengers and farmers fled to higher ground.",
}
NAMES = {"harbour": ["Port Elra", "Port Elra", "Port Elra"], "dam": ["Vessany"] * 3}


def report(aid: str, text: str, hours: int) -> tuple[str, str, datetime]:
    return aid, text, T0 + timedelta(hours=hours)


def place(warehouse: Warehouse, rows: list[tuple[str, str, datetime]], names: dict) -> pa.Table:
    """Place one run's articles against the warehouse and commit what dedup stages."""
    staged = place_batch(warehouse, articles(*rows), mentions(names), empty("quotes"))
    run = f"run-{len(warehouse.read('signatures'))}"
    warehouse.commit(run, {name: staged[name] for name in ("signatures", "stories")})
    return staged["articles"]


def story_of(placed: pa.Table) -> dict[str, str]:
    return dict(zip(placed["article_id"].to_pylist(), placed["story_id"].to_pylist(), strict=True))


def test_later_reports_that_tie_two_stories_merge_them(tmp_path: Path):
    warehouse = Warehouse(tmp_path / "wh")
    first = story_of(place(warehouse, [report("a", HARBOUR, 0)], {"a": NAMES["harbour"]}))
    second = story_of(place(warehouse, [report("b", DAM, 1)], {"b": NAMES["dam"]}))
    assert first["a"] != second["b"]
    bridge = {aid: NAMES["harbour"] + NAMES["dam"] for aid in BRIDGES}
    third = story_of(
        place(
            warehouse,
            [report(a, text, 2 + n) for n, (a, text) in enumerate(BRIDGES.items())],
            bridge,
        )
    )
    stories = {row["story_id"]: row for row in warehouse.read("stories").to_pylist()}
    merged = [s for s in stories.values() if s["merged_into"]]
    assert len(merged) == 1 and merged[0]["merged_at"] is not None
    (survivor,) = {third[aid] for aid in bridge}
    assert {merged[0]["story_id"], merged[0]["merged_into"]} == {first["a"], second["b"]}
    assert merged[0]["merged_into"] == survivor
    assert stories[survivor]["n_articles"] == 5 and stories[survivor]["merged_into"] is None
    # Articles keep the ids they were given; the resolution maps both to the survivor.
    resolved = current_stories(warehouse, {first["a"], second["b"]})
    assert resolved == {merged[0]["story_id"]: survivor}
    shown = run_sql(
        "select count(distinct current_story_id) as n from story_current", warehouse.root
    )
    assert shown.split()[1] == "1"
    # A later report of the event joins the survivor, not the merged story.
    fourth = story_of(place(warehouse, [report("f", HARBOUR, 6)], {"f": NAMES["harbour"]}))
    assert fourth["f"] == survivor


def test_chains_of_merges_resolve_to_the_last_story(tmp_path: Path):
    warehouse = Warehouse(tmp_path / "wh")
    rows = [
        {"story_id": "s-a", "merged_into": "s-b"},
        {"story_id": "s-b", "merged_into": "s-c"},
        {"story_id": "s-c", "merged_into": None},
        {"story_id": "s-d", "merged_into": None},
    ]
    for row in rows:
        row |= {"title": row["story_id"], "first_seen": T0, "last_seen": T0, "n_articles": 1}
    warehouse.commit(
        "stories", {"stories": pa.Table.from_pylist(rows, schema=empty("stories").schema)}
    )
    assert current_stories(warehouse, {"s-a", "s-b", "s-c", "s-d"}) == {"s-a": "s-c", "s-b": "s-c"}
    shown = run_sql(
        "select story_id || '>' || current_story_id || ':' || merges as r from story_current "
        "order by 1",
        warehouse.root,
    )
    for line in ("s-a>s-c:2", "s-b>s-c:1", "s-c>s-c:0", "s-d>s-d:0"):
        assert line in shown


def test_a_merged_story_passes_its_counts_and_earlier_original_on():
    rows = [
        {"article_id": "x1", "source": "Northwire", "published_at": T0 + timedelta(hours=3)},
        {"article_id": "y1", "source": "Harbour Press", "published_at": T0},
    ]
    placed = pa.Table.from_pylist(
        [
            r
            | {
                "story_id": f"s-{r['article_id']}",
                "source_item_id": r["article_id"],
                "ingested_at": T0,
                "body": "text",
                "title": r["article_id"],
            }
            for r in rows
        ],
        schema=empty("articles").schema,
    )
    stored = update_stories(empty("stories"), placed)
    when = T0 + timedelta(days=1)
    merged = update_stories(stored, placed.slice(0, 0), {"s-y1": "s-x1"}, when)
    got = {row["story_id"]: row for row in merged.to_pylist()}
    assert got["s-y1"]["merged_into"] == "s-x1" and got["s-y1"]["merged_at"] == when
    assert got["s-y1"]["n_articles"] == 1  # the merged row keeps its own figures
    survivor = got["s-x1"]
    assert survivor["n_articles"] == 2 and survivor["n_sources"] == 2
    assert survivor["original_article_id"] == "y1" and survivor["first_seen"] == T0
    assert survivor["merged_into"] is None
