"""End to end: whole flow runs under Prefect's test harness, checked through the Parquet tables."""

from __future__ import annotations

import duckdb
import pytest

from flows.pipeline import ingest_flow
from tests.conftest import SAMPLE_INBOX, SEEDS, need
from warehouse import Warehouse


def sql(root, query: str) -> list[tuple]:
    views = "".join(
        f"create or replace view {t} as select * from read_parquet('{root}/{t}/**/*.parquet', "
        "hive_partitioning=true, union_by_name=true);"
        for t in ("articles", "mentions", "quotes", "links", "stories", "rejects", "runs")
        if any((root / t).rglob("*.parquet"))
    )
    con = duckdb.connect()
    con.execute(views)
    return con.sql(query).fetchall()


@pytest.fixture(scope="module")
def sample_run(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("wh")
    report = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(root))
    return root, report


def test_sample_inbox_loads_every_good_article_and_rejects_the_bad(sample_run):
    root, report = sample_run
    assert report.counts.articles_loaded == 14
    assert sql(root, "select count(*), count(distinct article_id) from articles") == [(14, 14)]
    assert sql(root, "select source, count(*) from articles group by 1 order by 1") == [
        ("daily-ledger", 4),
        ("harbour-press", 5),
        ("northwire", 5),
    ]
    assert sql(root, "select source_item_id, reason from rejects order by 1") == [
        ("broken:1", "bad_json"),
        ("dl-0199-empty", "empty_body"),
        ("hp-0299", "empty_body"),
        ("nw-0099-binary", "not_text"),
    ]


def test_sample_copies_point_to_the_agency_original(sample_run):
    root, _ = sample_run
    rows = sql(
        root,
        """
        select a.source_item_id, o.source_item_id from articles a
        join articles o on a.duplicate_of = o.article_id order by 1""",
    )
    assert rows == [("hp-0201", "nw-0001"), ("hp-0202", "nw-0001")]
    relations = sql(
        root,
        """
        select a.source_item_id, l.relation from links l
        join articles a using (article_id) order by 1""",
    )
    assert ("hp-0201", "exact") in relations and ("hp-0202", "near_copy") in relations


def test_sample_stories_group_rewrites_and_keep_unrelated_apart(sample_run):
    root, _ = sample_run
    groups = sql(
        root,
        """
        select list(source_item_id order by source_item_id) from articles
        group by story_id having count(*) > 1 order by 1""",
    )
    assert groups == [(["dl-0101", "hp-0201", "hp-0202", "nw-0001"],), (["hp-0203", "nw-0002"],)]
    assert sql(root, "select count(*) from stories") == [(10,)]
    story = sql(
        root,
        """
        select s.n_articles, s.n_sources, o.source_item_id from stories s
        join articles o on o.article_id = s.original_article_id where s.n_articles = 4""",
    )
    assert story == [(4, 3, "nw-0001")]


def test_sample_mentions_and_quotes_point_into_the_body(sample_run):
    root, _ = sample_run
    bad = sql(
        root,
        """
        select count(*) from mentions t join articles a using (article_id)
        where substr(a.body, t.start_char + 1, t.end_char - t.start_char) <> t.text""",
    )
    assert bad == [(0,)]
    # A quote's text is its pieces joined by a space, without the attribution between them.
    bad = sql(
        root,
        """
        select count(*) from quotes t join articles a using (article_id)
        where array_to_string(list_transform(t.segments,
                s -> substr(a.body, s.start_char + 1, s.end_char - s.start_char)), ' ') <> t.text
            or t.segments[1].start_char <> t.start_char
            or t.segments[-1].end_char <> t.end_char""",
    )
    assert bad == [(0,)]
    speakers = {
        row[0]
        for row in sql(
            root,
            """
        select q.speaker from quotes q join articles a using (article_id)
        where a.source_item_id = 'nw-0001' and q.quote_type = 'direct'""",
        )
    }
    assert {"Tomas Brandt", "Ingrid Solberg"} <= speakers


def test_second_run_adds_nothing(sample_run):
    root, _ = sample_run
    before = {
        t: sql(root, f"select count(*) from {t}")[0][0]
        for t in ("articles", "mentions", "quotes", "links", "stories", "rejects")
    }
    report = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(root))
    # every file is already in the raw archive, so the second run skips them unparsed
    assert report.counts.articles_loaded == 0 and report.counts.documents_skipped == 13
    after = {t: sql(root, f"select count(*) from {t}")[0][0] for t in before}
    assert after == before
    assert sql(root, "select count(*), sum(articles_loaded) from runs") == [(2, 14)]


def test_seeds_are_one_story_of_two_articles_with_speakers(prefect_harness, tmp_path):
    need(SEEDS)
    ingest_flow(paths=[str(SEEDS)], source="seeds", warehouse=str(tmp_path))
    assert sql(
        tmp_path, "select count(*), count(distinct story_id), count(duplicate_of) from articles"
    ) == [(2, 1, 0)]
    assert sql(tmp_path, "select relation from links") == [("same_story",)]
    assert sql(tmp_path, "select source_item_id, credit from articles order by 1") == [
        ("000_a0228c27b5a27831", None),
        ("002_0dd5c0da990a13a2", "AFP"),
    ]
    names = {
        r[0]
        for r in sql(tmp_path, "select distinct canonical from mentions where label = 'PERSON'")
    }
    assert {"Emmanuel Macron", "Ebrahim Raisi", "John Kirby"} <= names
    speakers = {r[0] for r in sql(tmp_path, "select distinct speaker from quotes")}
    assert {"Emmanuel Macron", "John Kirby"} <= speakers
    # A quoted fragment inside nested reports is its own speaker's: Macron called on Iran
    # “to ...”, the Elysee said. "He added" resolves to Kirby.
    cues = set(sql(tmp_path, "select speaker, cue from quotes where quote_type <> 'indirect'"))
    assert {("Emmanuel Macron", "called"), ("John Kirby", "added")} <= cues
    # The drone-factory quote both articles carry is one quote, one key, two articles.
    shared = sql(
        tmp_path,
        "select quote_key, count(distinct article_id) from quotes"
        " where quote_type <> 'indirect' and text ilike '%fully operational%' group by 1",
    )
    assert len(shared) == 1 and shared[0][1] == 2


def test_a_path_that_is_a_link_is_refused_not_followed(prefect_harness, tmp_path):
    outside = tmp_path / "outside" / "secrets"
    outside.mkdir(parents=True)
    (outside / "note.txt").write_text(
        "TOP SECRET: the harbour board will sell the old pier to a developer next spring."
    )
    link = tmp_path / "inbox-link"
    link.symlink_to(outside, target_is_directory=True)
    report = ingest_flow(paths=[str(link)], warehouse=str(tmp_path / "wh"))
    assert report.counts.articles_loaded == 0
    assert report.counts.rejects_by_reason == {"symlink": 1}
    assert sql(tmp_path / "wh", "select source_item_id, reason from rejects") == [
        ("inbox-link", "symlink")
    ]
    assert Warehouse(tmp_path / "wh").read("raw").num_rows == 0  # nothing behind the link read


def test_a_path_through_a_link_is_refused_not_followed(prefect_harness, tmp_path):
    outside = tmp_path / "outside" / "secrets"
    outside.mkdir(parents=True)
    (outside / "note.txt").write_text(
        "TOP SECRET: the harbour board will sell the old pier to a developer next spring."
    )
    link = tmp_path / "inbox-link"
    link.symlink_to(outside.parent, target_is_directory=True)
    report = ingest_flow(paths=[str(link / "secrets")], warehouse=str(tmp_path / "wh"))
    assert report.counts.articles_loaded == 0
    assert report.counts.rejects_by_reason == {"symlink": 1}
    assert Warehouse(tmp_path / "wh").read("raw").num_rows == 0  # nothing behind the link read


def test_unknown_files_are_archived_and_rejected_once(prefect_harness, tmp_path):
    wire = tmp_path / "inbox" / "wire"
    wire.mkdir(parents=True)
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    (wire / "photo.png").write_bytes(photo)
    (wire / "a.txt").write_text("Dock strike ends\n\nWorkers returned to the port on Monday.")
    first = ingest_flow(paths=[str(wire)], warehouse=str(tmp_path / "wh"))
    assert first.counts.rejects_by_reason == {"unsupported_format": 1}
    second = ingest_flow(paths=[str(wire)], warehouse=str(tmp_path / "wh"))
    # Both files are in the raw archive: the re-run skips them, adds no raw row and no reject.
    assert (second.counts.documents_skipped, second.counts.rejects) == (2, 0)
    root = tmp_path / "wh"
    raw = Warehouse(root).read("raw", columns=["path", "format", "data"]).sort_by("path")
    assert raw.to_pylist() == [
        {"path": "wire/a.txt", "format": "text", "data": (wire / "a.txt").read_bytes()},
        {"path": "wire/photo.png", "format": "unknown", "data": photo},
    ]
    assert sql(root, "select source_item_id, reason from rejects") == [
        ("photo", "unsupported_format")
    ]


def test_readme_demo_output_is_what_the_demo_prints(sample_run, capsys):
    """The README's `make demo` block shows the counts `wiredesk run` prints on the sample."""
    from flows.cli import print_summary
    from tests.conftest import REPO

    _, report = sample_run
    print_summary(report)
    printed = capsys.readouterr().out.splitlines()[1:]  # without the run's id and path
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("prints what each stage did:\n\n```\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == printed
