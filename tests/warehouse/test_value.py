"""The Warehouse value tasks receive: resolved once, picklable, cached by its root."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from prefect.cache_policies import INPUTS

from warehouse import Warehouse, WarehouseError
from warehouse.schemas import REJECTS


def rejects(*ids: str) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "reject_id": list(ids),
            "run_id": ["r1"] * n,
            "source": ["w"] * n,
            "source_item_id": list(ids),
            "stage": ["clean"] * n,
            "reason": ["empty_body"] * n,
            "detail": [""] * n,
        },
        schema=REJECTS,
    )


def test_resolve_takes_the_argument_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIREDESK_WAREHOUSE", str(tmp_path / "env"))  # read by flows/settings.py
    assert Warehouse.resolve(tmp_path / "given").root == str(tmp_path / "given")
    assert Warehouse.resolve().root == "data/warehouse"
    from flows.settings import build

    assert build().warehouse == str(tmp_path / "env")


def test_value_pickles_compares_and_names_its_work_dir(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    assert isinstance(warehouse.root, str)
    assert pickle.loads(pickle.dumps(warehouse)) == warehouse
    assert hash(Warehouse(str(tmp_path))) == hash(warehouse)
    assert warehouse.work_dir == str(tmp_path / "_work")
    remote = Warehouse("s3://bucket/wh/")
    assert remote.root == "s3://bucket/wh" and remote.remote and not warehouse.remote
    assert (
        remote.work_dir == "s3://bucket/wh/_work"
        and remote.path("quotes") == "s3://bucket/wh/quotes"
    )
    assert pickle.loads(pickle.dumps(remote)) == remote
    with pytest.raises(AttributeError):
        warehouse.root = "elsewhere"  # type: ignore[misc]


def test_prefect_input_key_follows_the_root(tmp_path: Path) -> None:
    def key(warehouse: Warehouse) -> str | None:
        return INPUTS.compute_key(None, {"warehouse": warehouse}, {})  # type: ignore[arg-type]

    assert key(Warehouse(tmp_path / "a")) == key(Warehouse(str(tmp_path / "a")))
    assert key(Warehouse(tmp_path / "a")) != key(Warehouse(tmp_path / "b"))


def test_a_filesystem_without_a_uri_root_is_refused_with_a_reason(tmp_path: Path) -> None:
    remote = pafs.SubTreeFileSystem(str(tmp_path), pafs.LocalFileSystem())
    with pytest.raises(WarehouseError, match="a subtree warehouse needs a URI root"):
        Warehouse("bucket/wh", remote)
    assert Warehouse(tmp_path, pafs.LocalFileSystem()) == Warehouse(tmp_path)


def test_dataset_reads_the_committed_files_only(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    warehouse.commit("c1", {"rejects": rejects("r1", "r2")})
    # A file copied into the table folder is not committed: readers must not see it.
    pq.write_table(rejects("stray"), Path(warehouse.path("rejects")) / "part-stray.parquet")
    with warehouse.snapshot() as snap:
        assert sorted(snap.dataset("rejects").to_table()["reject_id"].to_pylist()) == ["r1", "r2"]
    with warehouse.lock():
        assert warehouse.dataset("rejects").count_rows() == 2
    assert Warehouse(tmp_path / "empty").current().dataset("rejects").count_rows() == 0
