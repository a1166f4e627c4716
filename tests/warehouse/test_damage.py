"""Damage the quick check sees stops every write; paths stay inside their tables."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_manifest import filled
from tests.warehouse.test_store import rejects
from warehouse import TABLES, Warehouse, WarehouseError
from warehouse.store import MANIFEST, TAIL_BYTES, quick_problems

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


def raw_rows(n: int) -> pa.Table:
    """Raw rows of incompressible data, so the file holds data pages far from its tail."""
    import hashlib
    import os
    from datetime import UTC, datetime

    datas = [os.urandom(400) for _ in range(n)]
    rows = [
        {
            "raw_id": f"r{i}",
            "source": "w",
            "item_id": str(i),
            "path": f"{i}.txt",
            "format": "text",
            "content_hash": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "received_at": datetime(2026, 1, 2, tzinfo=UTC),
            "data": data,
        }
        for i, data in enumerate(datas)
    ]
    return pa.Table.from_pylist(rows, schema=TABLES["raw"].schema)


def flip_middle(path: Path) -> None:
    """Flip eight bytes in the middle of a file: its size, tail and footer stay as committed."""
    data = bytearray(path.read_bytes())
    assert len(data) > 3 * TAIL_BYTES
    middle = len(data) // 3
    for n in range(middle, middle + 8):
        data[n] ^= 0x5A
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_a_data_page_is_found_by_the_full_check(tmp_path):
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"raw": raw_rows(600)})
    (path,) = [Path(p) for p in wh.files("raw")]
    flip_middle(path)
    assert cli("check", "-w", str(tmp_path)).exit_code == 0  # the quick check reads only tails
    result = cli("check", "--full", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"unreadable: raw/{path.name} (")
    assert "raw: 0 of 600 committed rows readable" in result.stdout
    assert "wiredesk check --repair" in result.output
    with pytest.raises(WarehouseError, match=f"raw/{path.name}"):
        wh.read("raw")  # wiredesk's readers verify page checksums too


def test_the_full_check_verifies_raw_content_hashes(tmp_path):
    """A file rewritten with changed data (valid pages, valid footer) fails its content hash."""
    wh = Warehouse(tmp_path)
    wh.commit("c1", {"raw": raw_rows(3)})
    (path,) = [Path(p) for p in wh.files("raw")]
    table = pq.read_table(path)
    changed = table.set_column(8, "data", pa.array([b"x", b"y", b"z"], pa.large_binary()))
    pq.write_table(changed, path)
    edit_manifest(wh, lambda m: m["files"][f"raw/{path.name}"].update(
        bytes=path.stat().st_size, tail_crc32=zlib.crc32(path.read_bytes()[-TAIL_BYTES:])
    ))  # fmt: skip
    assert cli("check", "-w", str(tmp_path)).exit_code == 0
    result = cli("check", "--full", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert f"content: raw/{path.name} (raw_id r0: the sha256 of its data" in result.stdout
