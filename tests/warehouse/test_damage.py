"""Damage the quick check sees stops every write; paths stay inside their tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_manifest import filled
from tests.warehouse.test_store import rejects
from warehouse import Warehouse, WarehouseError
from warehouse.store import MANIFEST, quick_problems

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


def one_file(wh: Warehouse, table: str, name: str) -> Path:
    (path,) = [Path(p) for p in wh.files(table) if p.endswith(f"/{name}")]
    return path


def edit_manifest(wh: Warehouse, change) -> None:
    """Edit the published snapshot's manifest in place, as an operator's editor would."""
    path = Path(wh.current().path) / MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest, indent=1))


def assert_refused(wh: Warehouse, rel: str, kind: str) -> None:
    """A commit and a run's lock both refuse, naming the file and the repair; nothing lands."""
    commits = wh.current().commits
    with pytest.raises(WarehouseError) as refused:
        wh.commit("c9", {"rejects": rejects("z")})
    message = str(refused.value)
    assert rel in message and kind in message and "wiredesk check --repair" in message
    with pytest.raises(WarehouseError, match=rel.replace(".", r"\.")), wh.lock():
        pass
    assert wh.current().commits == commits


def test_a_changed_tail_stops_commits(tmp_path):
    wh = filled(tmp_path)
    path = one_file(wh, "rejects", "part-c1.parquet")
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x01  # same size: only the tail checksum sees it
    path.write_bytes(bytes(data))
    assert_refused(wh, "rejects/part-c1.parquet", "changed")


def test_an_edited_row_count_stops_commits(tmp_path):
    wh = filled(tmp_path)
    edit_manifest(wh, lambda m: m["files"]["rejects/part-c1.parquet"].update(rows=7))
    assert_refused(wh, "rejects/part-c1.parquet", "rows")


def test_the_quick_check_reads_each_tail_once_per_process(tmp_path, monkeypatch):
    from warehouse import verify

    wh = filled(tmp_path)
    opened: list[str] = []
    real = verify.read_tail

    def counting(fs, path, size):
        opened.append(path)
        return real(fs, path, size)

    monkeypatch.setattr(verify, "read_tail", counting)
    monkeypatch.setattr(verify, "_VERIFIED", set())  # as in a new process
    assert quick_problems(wh.current()) == []
    first = len(opened)
    assert first == 3
    wh.commit("c3", {"rejects": rejects("d")})  # links the same files into a new snapshot
    assert len(opened) == first  # the checks before it found every file verified
    assert quick_problems(wh.current()) == []
    assert len(opened) == first + 1  # only the new file's tail was read
    assert quick_problems(wh.current()) == []
    assert len(opened) == first + 1


@pytest.mark.parametrize("bad", ["rejects/../../outside.parquet", "/tmp/outside.parquet"])
def test_a_manifest_path_outside_its_table_is_damage_never_followed(tmp_path, bad):
    wh = filled(tmp_path / "wh")
    outside = tmp_path / "outside.parquet"
    outside.write_bytes(one_file(wh, "rejects", "part-c1.parquet").read_bytes())
    bad = bad if bad.startswith("rejects") else str(outside)
    entry = dict(wh.current().manifest["files"]["rejects/part-c1.parquet"])
    edit_manifest(wh, lambda m: m["files"].update({bad: entry}))
    assert wh.read("rejects").num_rows == 3  # the outside file is never read
    result = cli("sql", "select count(*) from rejects", "-w", str(tmp_path / "wh"))
    named = result.exit_code == 1 and bad in result.output  # the table names it
    assert named or result.output.split()[1] == "3"  # or it belongs to no table: never read
    result = cli("check", "-w", str(tmp_path / "wh"))
    assert result.exit_code == 1 and f"outside: {bad}" in result.output
    assert_refused(wh, bad, "no path inside its table")
    assert cli("check", "--repair", "-w", str(tmp_path / "wh")).exit_code == 0
    assert outside.exists() and wh.read("rejects").num_rows == 3  # left out, not deleted


def test_check_reports_symlinks_inside_a_table_folder(tmp_path):
    wh = filled(tmp_path / "wh")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "wh" / "rejects" / "more").symlink_to(elsewhere)
    (tmp_path / "wh" / "rejects" / "again.parquet").symlink_to(
        one_file(wh, "rejects", "part-c1.parquet")
    )
    result = cli("check", "-w", str(tmp_path / "wh"))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("symlink: rejects/again.parquet (a symlink to ")
    assert lines[1].startswith(f"symlink: rejects/more (a symlink to {elsewhere}")
    assert cli("check", "--repair", "-w", str(tmp_path / "wh")).exit_code == 0
    assert elsewhere.is_dir() and wh.read("rejects").num_rows == 3
