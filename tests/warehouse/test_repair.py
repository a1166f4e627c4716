"""Repair keeps what verifies, says what is lost per table, and lets a re-run bring it back."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_manifest import filled
from warehouse import Warehouse, WarehouseError
from warehouse.store import MANIFEST, SNAPSHOTS

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


def edit_manifest(wh: Warehouse, change) -> None:
    path = Path(wh.current().path) / MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest, indent=1))


@pytest.mark.parametrize("field,value", [("rows", 5), ("bytes", 99999), ("tail_crc32", 1)])
def test_repair_corrects_an_edited_manifest_entry_and_keeps_the_file(tmp_path, field, value):
    wh = filled(tmp_path)
    rel = "rejects/part-c1.parquet"
    edit_manifest(wh, lambda m: m["files"][rel].update({field: value}))
    assert cli("check", "-w", str(tmp_path)).exit_code == 1
    result = cli("check", "--repair", "-w", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"kept {rel} (its content verifies" in result.output
    assert "lost" not in result.output.replace("rows lost)", "")
    assert wh.read("rejects").num_rows == 3
    assert wh.current().manifest["files"][rel]["rows"] == 2


def test_a_replaced_file_with_other_rows_is_still_dropped(tmp_path):
    import pyarrow.parquet as pq

    from tests.warehouse.test_store import rejects

    wh = filled(tmp_path)
    (path,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c1.parquet")]
    pq.write_table(rejects("x", "y", "z", "w"), path)
    result = cli("check", "--repair", "-w", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "dropped rejects/part-c1.parquet" in result.output
    assert "rejects: 2 rows lost" in result.output
    assert wh.read("rejects")["reject_id"].to_pylist() == ["c"]
    kept = list((tmp_path / "_set_aside").rglob("part-c1.parquet"))
    assert len(kept) == 1 and pq.read_table(kept[0]).num_rows == 4  # never destroyed


@pytest.mark.parametrize("damage", ["garbage", "deleted"])
def test_an_unreadable_manifest_is_named_and_repaired_from_the_head(tmp_path, damage):
    wh = filled(tmp_path)
    manifest = tmp_path / SNAPSHOTS / "00000002" / MANIFEST
    if damage == "garbage":
        manifest.write_text('{"snapshot": 2, "files": ')
    else:
        manifest.unlink()
    rel = f"{SNAPSHOTS}/00000002/{MANIFEST}"
    for args in (["check"], ["sql", "select count(*) from rejects"]):
        result = cli(*args, "-w", str(tmp_path))
        assert result.exit_code == 1 and rel in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(WarehouseError, match=rel):
        wh.read("rejects")
    result = cli("check", "--repair", "-w", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert wh.read("rejects").num_rows == 3 and wh.read("articles").num_rows == 3
    assert wh.current().commits == ["c1", "c2"]


def orphans(root: Path) -> dict[str, int]:
    """Return rows of child tables whose article is not in articles, as a glob reader sees them."""
    found = {}
    articles = f"read_parquet('{root}/articles/**/*.parquet')"
    for table in ("mentions", "quotes", "signatures", "links"):
        if not list((root / table).rglob("*.parquet")):
            found[table] = 0
            continue
        query = (
            f"select count(*) from read_parquet('{root}/{table}/**/*.parquet') "
            f"where article_id not in (select article_id from {articles})"
        )
        found[table] = duckdb.sql(query).fetchone()[0]
    return found


def counts(wh: Warehouse) -> dict[str, int]:
    return {
        name: wh.read(name).num_rows
        for name in ("articles", "mentions", "quotes", "signatures", "raw")
    }


def links(wh: Warehouse) -> set[tuple]:
    table = wh.read("links", columns=["article_id", "other_article_id", "relation"])
    return set(zip(*table.to_pydict().values(), strict=True))


def test_a_lost_articles_file_comes_back_when_the_same_input_runs_again(prefect_harness, tmp_path):
    from flows.pipeline import ingest_flow
    from tests.conftest import SAMPLE_INBOX

    root = tmp_path / "wh"
    first = [str(SAMPLE_INBOX / "northwire")]
    ingest_flow(paths=first, warehouse=str(root))
    wh = Warehouse(root)
    earlier = {wh.current().rel(p) for p in wh.files("articles")}
    rest = [str(SAMPLE_INBOX / "harbour-press"), str(SAMPLE_INBOX / "daily-ledger")]
    ingest_flow(paths=rest, warehouse=str(root))
    before, linked = counts(wh), links(wh)
    snap = wh.current()
    lost = Path(sorted(p for p in wh.files("articles") if snap.rel(p) in earlier)[0])
    lost_rows = wh.current().rows(str(lost))
    assert 0 < lost_rows < before["articles"]
    lost.unlink()
    result = cli("check", "--repair", "-w", str(root))
    assert result.exit_code == 0, result.output
    assert f"articles: {lost_rows} rows lost" in result.output
    assert "took out" in result.output
    assert wh.read("articles").num_rows == before["articles"] - lost_rows
    assert set(orphans(root).values()) == {0}
    ingest_flow(paths=first, warehouse=str(root))  # the same input again
    assert counts(wh) == before
    # Links to the lost articles stay (their ids are stable); the loaded-again ones find theirs.
    assert links(wh) >= linked
    ids = set(wh.read("articles", columns=["article_id"])["article_id"].to_pylist())
    assert {other for _, other, _ in links(wh)} <= ids
    assert set(orphans(root).values()) == {0}
    assert cli("check", "--full", "-w", str(root)).exit_code == 0
