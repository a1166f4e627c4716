"""On an object store, lost manifests are damage to report and repair, never an empty warehouse."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_objectstore import LEASE, bucket_keys
from tests.warehouse.test_store import rejects, stories
from warehouse import Warehouse, WarehouseError
from warehouse.check import check
from warehouse.locations import resolve
from warehouse.repair import repair

runner = CliRunner()


@pytest.fixture
def wh(s3, monkeypatch) -> Warehouse:
    """An empty warehouse in a fresh bucket, with a short lock lease."""
    monkeypatch.setenv("WIREDESK_LOCK_LEASE", LEASE)
    return Warehouse(f"s3://{s3.bucket()}/wh")


def filled(s3, wh) -> int:
    """Three commits; return how many data objects they left."""
    wh.commit("c1", {"rejects": rejects("a", "b"), "stories": stories(("s1", 1))})
    wh.commit("c2", {"rejects": rejects("c")})
    wh.commit("c3", {"rejects": rejects("d"), "stories": stories(("s2", 1))})
    return len(data_keys(s3, wh))


def data_keys(s3, wh) -> list[str]:
    """Return the data objects under the table prefixes."""
    return [k for k in bucket_keys(s3, wh) if k.endswith(".parquet") and not k.startswith("_")]


def delete(wh, rels: list[str]) -> None:
    """Delete objects by their path under the warehouse root."""
    fs, base = resolve(wh.root)
    for rel in rels:
        fs.delete_file(f"{base}/{rel}")


def test_deleted_manifests_are_damage_and_repair_restores_them(s3, wh):
    objects = filled(s3, wh)
    delete(wh, [k for k in bucket_keys(s3, wh) if k.startswith("_snapshots/")])
    result = runner.invoke(app, ["check", "-w", wh.root])
    assert result.exit_code == 1
    assert "newest complete snapshot is 00000003" in result.output and "--repair" in result.output
    with pytest.raises(WarehouseError, match="00000003"):
        wh.commit("c4", {"rejects": rejects("e")})
    assert len(data_keys(s3, wh)) == objects  # nothing deleted
    report = repair(wh.root)
    assert any("00000003" in line for line in report.lines())
    assert check(wh.root).ok
    assert wh.read("rejects").num_rows == 4 and wh.read("stories").num_rows == 2
    wh.commit("c4", {"rejects": rejects("e")})
    assert wh.current().commits == ["c1", "c2", "c3", "c4"]


def test_a_deleted_newest_manifest_is_damage_not_a_rollback(s3, wh):
    objects = filled(s3, wh)
    delete(wh, ["_snapshots/00000003.json"])
    with pytest.raises(WarehouseError, match="00000003"):
        wh.commit("c4", {"rejects": rejects("e")})
    assert len(data_keys(s3, wh)) == objects
    repair(wh.root)
    assert wh.read("rejects").num_rows == 4 and wh.current().commits == ["c1", "c2", "c3"]


def test_a_garbage_manifest_is_named_and_repaired(s3, wh):
    filled(s3, wh)
    fs, base = resolve(wh.root)
    with fs.open_output_stream(f"{base}/_snapshots/00000003.json") as sink:
        sink.write(b"{not json")
    with pytest.raises(WarehouseError, match=r"_snapshots/00000003\.json"):
        wh.read("rejects")
    result = runner.invoke(app, ["check", "-w", wh.root])
    assert result.exit_code == 1 and "00000003.json" in result.output
    repair(wh.root)
    assert check(wh.root).ok and wh.read("rejects").num_rows == 4


def test_damage_is_refused_and_repaired_as_on_a_local_disk(s3, wh):
    """An edited row count stops commits and is corrected; a flipped data page is found."""
    import json

    from tests.warehouse.test_damage import raw_rows

    filled(s3, wh)
    wh.commit("c4", {"raw": raw_rows(600)})
    fs, base = resolve(wh.root)
    rel = "rejects/part-c1.parquet"
    top = f"{base}/_snapshots/00000004.json"
    with fs.open_input_stream(top) as stream:
        manifest = json.loads(stream.read())
    manifest["files"][rel]["rows"] = 9
    with fs.open_output_stream(top) as sink:
        sink.write(json.dumps(manifest).encode())
    with pytest.raises(WarehouseError, match=rf"{rel} holds other rows.*--repair"):
        wh.commit("c5", {"rejects": rejects("e")})
    report = repair(wh.root)
    assert [p.rel for p in report.corrected] == [rel] and not report.dropped
    assert check(wh.root).ok and wh.read("rejects").num_rows == 4
    (raw,) = wh.files("raw")
    with fs.open_input_file(raw) as handle:
        data = bytearray(handle.read())
    middle = len(data) // 3
    data[middle : middle + 8] = bytes(b ^ 0x5A for b in data[middle : middle + 8])
    with fs.open_output_stream(raw) as sink:
        sink.write(bytes(data))
    assert check(wh.root).ok  # size and tail unchanged
    problems = check(wh.root, full=True).problems
    assert [(p.kind, p.rel) for p in problems] == [("unreadable", wh.current().rel(raw))]
