"""End to end: the entities table over the seed documents, loaded from two wires in two runs."""

from __future__ import annotations

import duckdb

from flows.pipeline import ingest_flow
from tests.conftest import SEEDS, need


def rows(root, query: str) -> list[tuple]:
    con = duckdb.connect()
    for table in ("mentions", "entities"):
        con.execute(
            f"create view {table} as select * from read_parquet('{root}/{table}/**/*.parquet', "
            "union_by_name=true)"
        )
    return con.sql(query).fetchall()


def test_seed_entities_are_counted_across_wires_and_reruns_change_nothing(
    prefect_harness, tmp_path
):
    first, second = sorted(need(SEEDS).glob("*.txt"))
    ingest_flow(paths=[str(first)], source="wire-a", warehouse=str(tmp_path))
    ingest_flow(paths=[str(second)], source="wire-b", warehouse=str(tmp_path))
    counted = {
        name: (n_articles, n_sources)
        for name, n_articles, n_sources in rows(
            tmp_path, "select name, n_articles, n_sources from entities where label = 'PERSON'"
        )
    }
    assert counted["Emmanuel Macron"] == (2, 2) and counted["Ebrahim Raisi"] == (2, 2)
    keys = dict(
        rows(
            tmp_path,
            """
            select canonical_group, count(distinct entity_key) from (
              select case
                when canonical ilike '%macron%' then 'macron'
                when canonical ilike '%ra%ssi%' or canonical ilike '%raisi%' then 'raisi'
                when canonical ilike '%kirby%' then 'kirby'
                when canonical ilike '%lys%e%' then 'elysee' end canonical_group, entity_key
              from mentions) where canonical_group is not null group by 1""",
        )
    )
    assert keys == {"macron": 1, "raisi": 1, "kirby": 1, "elysee": 1}
    assert rows(tmp_path, "select count(*) from mentions where entity_key is null") == [(0,)]
    assert rows(
        tmp_path, "select count(*) from mentions where text = 'Kyiv' and label = 'PERSON'"
    ) == [(0,)]
    before = rows(tmp_path, "select * from entities order by entity_key")
    ingest_flow(paths=[str(second)], source="wire-b", warehouse=str(tmp_path))
    assert rows(tmp_path, "select * from entities order by entity_key") == before
