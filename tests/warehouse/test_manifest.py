"""Each snapshot lists its files; readers use that list, and `wiredesk check` verifies it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import REPO
from tests.warehouse.test_store import articles, rejects
from warehouse import TABLES, Warehouse, WarehouseError
from warehouse.compact import compact
from warehouse.store import MANIFEST, TAIL_BYTES

runner = CliRunner()


def filled(root) -> Warehouse:
    """Two commits over two tables; rejects ends in two files."""
    wh = Warehouse(root)
    wh.commit("c1", {"rejects": rejects("a", "b"), "articles": articles(3, None)})
    wh.commit("c2", {"rejects": rejects("c")})
    return wh


def cli(*args: str):
    return runner.invoke(app, list(args))


def glob_count(root, table: str) -> int:
    query = f"select count(*) from read_parquet('{root}/{table}/**/*.parquet')"
    return duckdb.sql(query).fetchone()[0]


def test_a_snapshot_records_each_file_with_rows_bytes_and_tail_checksum(tmp_path):
    wh = filled(tmp_path)
    snap = wh.current()
    manifest = json.loads((Path(snap.path) / MANIFEST).read_text())
    listed = manifest["files"]
    on_disk = sorted(str(p.relative_to(snap.path)) for p in Path(snap.path).rglob("*.parquet"))
    assert sorted(listed) == on_disk
    for rel, entry in listed.items():
        data = (Path(snap.path) / rel).read_bytes()
        assert entry["rows"] == pq.ParquetFile(Path(snap.path) / rel).metadata.num_rows
        assert entry["bytes"] == len(data)
        assert entry["tail_crc32"] == zlib.crc32(data[-TAIL_BYTES:])
    assert sum(e["rows"] for r, e in listed.items() if r.startswith("rejects/")) == 3


def test_a_deleted_file_fails_reads_commits_and_check_by_name(tmp_path):
    wh = filled(tmp_path)
    (gone,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c1.parquet")]
    gone.unlink()  # what a user who deleted <root>/rejects/part-c1.parquet did
    with pytest.raises(WarehouseError, match=r"rejects/part-c1\.parquet is missing"):
        wh.read("rejects")
    with pytest.raises(WarehouseError, match=r"rejects/part-c1\.parquet is missing.*check"):
        wh.commit("c3", {"rejects": rejects("d")})
    with pytest.raises(WarehouseError, match="missing"), wh.lock():
        pass  # a run is refused when it starts, before it does any work
    assert wh.current().commits == ["c1", "c2"]
    result = cli("sql", "select count(*) from rejects", "-w", str(tmp_path))
    assert result.exit_code == 1 and "rejects/part-c1.parquet is missing" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = cli("sql", "select count(*) from articles", "-w", str(tmp_path))
    assert result.exit_code == 0 and "3" in result.output  # other tables still answer
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert "missing: rejects/part-c1.parquet (2 rows)" in result.stdout
    assert "rejects: 1 of 3 committed rows readable" in result.stdout


def test_a_stray_file_is_never_read_and_check_reports_it(tmp_path):
    wh = filled(tmp_path)
    (source,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c1.parquet")]
    shutil.copy(source, tmp_path / "rejects" / "part-c1 (copy).parquet")
    assert wh.read("rejects").num_rows == 3
    with wh.snapshot() as snap:
        assert len(snap.files("rejects")) == 2
    result = cli("sql", "select count(*) from rejects", "-w", str(tmp_path))
    assert result.exit_code == 0 and result.output.split()[1] == "3"
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "stray: rejects/part-c1 (copy).parquet (not in the manifest; globs over the folder read it)"
    ]
    assert compact(tmp_path).rows == {"rejects": 3}  # the stray file is not merged in
    assert wh.read("rejects").num_rows == 3
    assert glob_count(tmp_path, "rejects") == 3  # the next snapshot leaves it out
    assert cli("check", "-w", str(tmp_path)).exit_code == 0


def test_a_truncated_file_fails_only_its_own_table(tmp_path):
    wh = filled(tmp_path)
    (path,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c2.parquet")]
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    result = cli("sql", "select count(*) from articles", "-w", str(tmp_path))
    assert result.exit_code == 0 and result.output.split()[1] == "3"
    result = cli("sql", "select * from rejects join articles on true", "-w", str(tmp_path))
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert f"rejects/part-c2.parquet is truncated ({size // 2} bytes of {size})" in result.output
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert f"truncated: rejects/part-c2.parquet ({size // 2} bytes of {size})" in result.stdout
    with pytest.raises(WarehouseError, match="truncated"):
        wh.commit("c3", {"articles": articles(1, None)})


def test_a_file_rewritten_in_place_is_reported_as_changed(tmp_path):
    wh = filled(tmp_path)
    (path,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c1.parquet")]
    replaced = bytearray(path.read_bytes())
    replaced[-20] ^= 0xFF  # same size, different footer
    path.write_bytes(bytes(replaced))
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.startswith("changed: rejects/part-c1.parquet (")
    result = cli("sql", "select * from rejects", "-w", str(tmp_path))
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "rejects/part-c1.parquet" in result.output and "wiredesk check" in result.output


def test_full_check_decodes_pages_the_tail_checksum_does_not_cover(tmp_path):
    wh = Warehouse(tmp_path)
    ids = [f"r{i}" for i in range(3000)]
    noise = pa.array([os.urandom(60).hex() for _ in ids])  # incompressible: a file > TAIL_BYTES
    wh.commit("c1", {"rejects": rejects(*ids).set_column(6, "detail", noise)})
    (path,) = [Path(p) for p in wh.files("rejects")]
    data = bytearray(path.read_bytes())
    assert len(data) > 2 * TAIL_BYTES
    data[4] ^= 0xFF  # the first page header, right after the leading magic bytes
    path.write_bytes(bytes(data))
    assert cli("check", "-w", str(tmp_path)).exit_code == 0  # size, tail and footer still match
    result = cli("check", "--full", "-w", str(tmp_path))
    assert result.exit_code == 1
    problem, rows = result.stdout.splitlines()
    assert problem.startswith("unreadable: rejects/part-c1.parquet (")  # with Arrow's reason
    assert rows == "rejects: 0 of 3000 committed rows readable"


def test_repair_drops_damaged_files_and_says_which_rows_were_lost(tmp_path):
    wh = filled(tmp_path)
    (path,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c1.parquet")]
    path.unlink()
    result = cli("check", "--repair", "-w", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "dropped rejects/part-c1.parquet (missing; 2 rows lost)" in result.output
    assert wh.read("rejects")["reject_id"].to_pylist() == ["c"]
    assert glob_count(tmp_path, "rejects") == 1
    assert cli("check", "-w", str(tmp_path)).exit_code == 0
    wh.commit("c3", {"rejects": rejects("d")})  # runs go on
    assert wh.current().commits == ["c1", "c2", "c3"]


def test_check_exit_codes_through_the_installed_command_line(tmp_path):
    filled(tmp_path)

    def check() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flows.cli", "check", "--warehouse", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=os.environ | {"PYTHONPATH": str(REPO)},
        )

    done = check()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ok: {len(TABLES)} tables, 3 files, 6 rows"
    for path in map(Path, Warehouse(tmp_path).files("articles")):
        path.unlink()
    done = check()
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "missing: articles/month=2026-01/part-c1.parquet (3 rows)",
        "articles: 0 of 3 committed rows readable",
    ]
    assert "1 problem in" in done.stderr and "wiredesk check --repair" in done.stderr


@pytest.mark.parametrize("written_by", ["before lists", "older code after newer"])
def test_a_warehouse_whose_snapshot_lists_no_files_opens_and_gets_its_list(tmp_path, written_by):
    wh = filled(tmp_path)
    snap = wh.current()
    manifest = json.loads((Path(snap.path) / MANIFEST).read_text())
    if written_by == "before lists":
        del manifest["files"], manifest["files_of"]
    else:  # an older wiredesk copies the previous manifest, list included, and adds a file
        manifest["files_of"] = snap.number - 1
        del manifest["files"]["rejects/part-c2.parquet"]
    (Path(snap.path) / MANIFEST).write_text(json.dumps(manifest))
    assert wh.read("rejects").num_rows == 3  # read from the folder listing meanwhile
    result = cli("sql", "select count(*) from rejects", "-w", str(tmp_path))
    assert result.exit_code == 0 and result.output.split()[1] == "3"
    with wh.lock():  # the next writer records the list in a new snapshot
        pass
    assert wh.current().number == snap.number + 1
    assert len(wh.current().manifest["files"]) == 3
    assert wh.current().commits == ["c1", "c2"]
    assert cli("check", "-w", str(tmp_path)).exit_code == 0


def test_check_refuses_a_missing_warehouse(tmp_path):
    result = cli("check", "-w", str(tmp_path / "typo"))
    assert result.exit_code == 1 and "no warehouse at" in result.output


def test_a_run_onto_a_damaged_warehouse_fails_before_it_starts(prefect_harness, tmp_path):
    from flows.pipeline import ingest_flow
    from tests.conftest import SAMPLE_INBOX

    wh = filled(tmp_path)
    (path,) = [Path(p) for p in wh.files("rejects") if p.endswith("/part-c2.parquet")]
    path.unlink()
    with pytest.raises(WarehouseError, match=r"rejects/part-c2\.parquet is missing"):
        ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(tmp_path))
    assert wh.current().commits == ["c1", "c2"]  # nothing was committed, no runs row either
