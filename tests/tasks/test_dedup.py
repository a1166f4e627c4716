from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from tasks.dedup import (
    Pool,
    deduplicate_articles,
    minhash_signatures,
    pool_from_signatures,
    update_stories,
)
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
                "body_hash": body,
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


def run(table: pa.Table, found: pa.Table | None = None, pool: Pool | None = None):
    return deduplicate_articles(table, found or empty("mentions"), empty("quotes"), pool)


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


QUAKE = "A strong earthquake struck the region on Monday, damaging buildings and roads. "
REPORT_A = QUAKE + "Rescuers in Aldport searched the rubble, mayor Ana Ruiz said."
REPORT_B = QUAKE + "Ana Ruiz, the Aldport mayor, said rescuers searched the rubble."


def test_outside_the_time_window_is_not_the_same_story():
    names = {"a": ["Ana Ruiz", "Aldport"], "b": ["Ana Ruiz", "Aldport"]}
    near, _, _ = run(
        articles(("a", REPORT_A, T0), ("b", REPORT_B, T0 + timedelta(hours=30))), mentions(names)
    )
    far, _, _ = run(
        articles(("a", REPORT_A, T0), ("b", REPORT_B, T0 + timedelta(days=10))), mentions(names)
    )
    assert len(set(near["story_id"].to_pylist())) == 1
    assert len(set(far["story_id"].to_pylist())) == 2


def test_stored_signatures_match_later_runs_and_story_ids_stay():
    first, _, signatures = run(articles(("orig", BODY, T0)))
    second, links, _ = run(
        articles(("copy", BODY + " extra", T0)), pool=pool_from_signatures(signatures)
    )
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


def test_minhash_estimates_jaccard_and_is_stable():
    words = BODY.split()
    half = " ".join(words[:100] + [f"new{i}" for i in range(100)])
    sig, counts = minhash_signatures([BODY, half, BODY])
    assert (sig[0] == sig[2]).all() and counts.tolist() == [197, 197, 197]
    true = 97 / (197 + 197 - 97)  # shared 4-word shingles over all
    assert abs((sig[0] == sig[1]).mean() - true) < 0.12


def test_undated_same_topic_different_people_stay_apart():
    table = articles(
        ("a", REPORT_A, None),
        ("b", REPORT_B, None),
        ("c", "Voters in Brenmark chose a new parliament on Sunday, officials said.", None),
    )
    names = {"a": ["Ana Ruiz", "Aldport"], "b": ["Ana Ruiz", "Aldport"], "c": ["Brenmark"]}
    placed, links, _ = run(table, mentions(names))
    story = dict(zip(placed["article_id"].to_pylist(), placed["story_id"].to_pylist(), strict=True))
    assert story["a"] == story["b"] != story["c"]
    assert "same_story" in links["relation"].to_pylist()


def test_the_credited_wire_becomes_the_original():
    placed, _, _ = run(articles(("rewrite", BODY, T0)))
    rewrite = placed.to_pylist()[0] | {"credit": "AFP", "source": "daily"}
    stories = update_stories(
        empty("stories"), pa.Table.from_pylist([rewrite], schema=placed.schema)
    )
    wire = articles(("wire", BODY + " more", T0 + timedelta(hours=1))).to_pylist()[0]
    wire |= {"story_id": rewrite["story_id"], "source": "AFP"}
    stories = update_stories(stories, pa.Table.from_pylist([wire], schema=placed.schema))
    row = stories.to_pylist()[0]
    assert (row["original_article_id"], row["credits"], row["n_sources"]) == ("wire", ["AFP"], 2)


def test_the_pool_is_capped_to_the_most_recent_articles_plus_exact_copies(tmp_path, monkeypatch):
    import tasks.dedup.pool as dedup_module
    from warehouse import Warehouse

    monkeypatch.setattr(dedup_module, "MAX_POOL", 4)
    wh = Warehouse(tmp_path)
    for batch in range(4):  # undated articles: seen when loaded, one batch an hour
        rows = [(f"b{batch}-{i}", f"{BODY} batch{batch} item{i}", None) for i in range(2)]
        table = articles(*rows)
        when = pa.array([T0 + timedelta(hours=batch)] * 2, table.schema.field("ingested_at").type)
        table = table.set_column(table.schema.get_field_index("ingested_at"), "ingested_at", when)
        _, _, signatures = run(table)
        wh.commit(f"c{batch}", {"signatures": signatures})
    new = articles(("again", f"{BODY} batch0 item1", None), ("other", "fresh text here", None))
    got = dedup_module.recent_signatures(wh, new)
    # The two newest batches fill the cap; the older exact copy is read as well.
    assert sorted(got["article_id"].to_pylist()) == ["b0-1", "b2-0", "b2-1", "b3-0", "b3-1"]


def test_update_stories_returns_only_the_stories_a_batch_changes():
    placed, _, _ = run(articles(("one", BODY, T0)))
    stored = update_stories(empty("stories"), placed)
    other = stored.to_pylist()[0] | {"story_id": "s-untouched", "n_articles": 7}
    stored = pa.concat_tables([stored, pa.Table.from_pylist([other], schema=stored.schema)])
    later = articles(("two", BODY + " more", T0 + timedelta(hours=1))).to_pylist()[0]
    later |= {"story_id": placed["story_id"][0].as_py(), "source": "other-wire"}
    changed = update_stories(stored, pa.Table.from_pylist([later], schema=placed.schema))
    assert changed["story_id"].to_pylist() == [placed["story_id"][0].as_py()]
    assert changed["n_articles"].to_pylist() == [2]


FIGHT = [
    "{champ} stopped {rival} in the {round} round in {city} on Saturday night to keep his "
    "heavyweight title belts.",
    "{champ} floored {rival} with a big right hand before the referee waved the fight off.",
    "{rival} never recovered after the knockdown, and the crowd in {city} cheered the champion.",
    "{champ} raised his arms in the ring while {rival} sat on his stool in the corner.",
    "Promoters in {city} said the champion would defend the belts again next year.",
]
FIGHTS = {
    "x": {"champ": "Wladimir Klitschko", "rival": "Hasim Rahman", "round": "seventh"},
    "y": {"champ": "Wladimir Klitschko", "rival": "Tony Thompson", "round": "sixth"},
}
CITIES = {"x": "Mannheim", "y": "Bern"}


def fight_reports() -> tuple[pa.Table, pa.Table]:
    """Return three rewrites of each of two title fights of one boxer, and their names."""
    rows, names = [], {}
    for event, facts in FIGHTS.items():
        for n in range(3):
            order = FIGHT[n:] + FIGHT[:n]  # each outlet tells it in its own order
            body = " ".join(s.format(**facts, city=CITIES[event]) for s in order)
            aid = f"{event}{n}"
            rows.append((aid, body, None))
            names[aid] = [facts["champ"]] * 3 + [facts["rival"]] * 4 + [CITIES[event]] * 3
    return articles(*rows), mentions(names)


def story_of(placed: pa.Table) -> dict[str, str]:
    return dict(zip(placed["article_id"].to_pylist(), placed["story_id"].to_pylist(), strict=True))


def test_two_events_of_one_kind_with_other_participants_are_two_stories(monkeypatch):
    table, found = fight_reports()
    placed, _, _ = run(table, found)
    story = story_of(placed)
    assert story["x0"] == story["x1"] == story["x2"] != story["y0"] == story["y1"] == story["y2"]
    # Loaded a pair at a time, the first pair already stays apart and later rewrites follow.
    stored, placed_in_runs = [], {}
    for pair in (["x0", "y0"], ["x1", "y1"], ["x2", "y2"]):
        rows = [i for i, a in enumerate(table["article_id"].to_pylist()) if a in pair]
        pool = pool_from_signatures(pa.concat_tables(stored)) if stored else None
        part, _, signatures = run(table.take(rows), found, pool)
        placed_in_runs |= story_of(part)
        stored.append(signatures)
    assert len({placed_in_runs[f"x{n}"] for n in range(3)}) == 1
    assert len({placed_in_runs[f"y{n}"] for n in range(3)}) == 1
    assert placed_in_runs["x0"] != placed_in_runs["y0"]
    # Without the participant check the shared topic words would join the two fights.
    monkeypatch.setattr("tasks.dedup.stories.MIN_GROUP", 10**6)
    monkeypatch.setattr("tasks.dedup.stories.PAIR_MARKS", 10**6)
    merged, _, _ = run(table, found)
    assert len(set(merged["story_id"].to_pylist())) == 1
