"""A lost commit point (`_current` link, S3 manifests) is damage to report and repair, never an
empty warehouse to write over."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_store import articles, rejects
from warehouse import Warehouse, WarehouseError
from warehouse.store import CURRENT, MANIFEST, SNAPSHOTS

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


def filled(root) -> Warehouse:
    """Two commits: snapshot 00000002 holds 3 rejects and 3 articles."""
    wh = Warehouse(root)
    wh.commit("c1", {"rejects": rejects("a", "b"), "articles": articles(3, None)})
    wh.commit("c2", {"rejects": rejects("c")})
    return wh


def rows(wh: Warehouse) -> tuple[int, int]:
    return wh.read("rejects").num_rows, wh.read("articles").num_rows


def copy_without_symlinks(source: Path, target: Path) -> None:
    """What `rsync -r` without -l does: symlinks are skipped, everything else copied."""
    shutil.copytree(source, target, ignore=lambda d, names: [
        n for n in names if os.path.islink(os.path.join(d, n))
    ])  # fmt: skip


def copy_following_symlinks(source: Path, target: Path) -> None:
    """What `zip -r` or `cp -rL` does: each link becomes a plain copy of what it points to."""
    shutil.copytree(source, target, symlinks=False)


def assert_refused_then_repaired(wh: Warehouse, before: tuple[int, int]) -> None:
    """check exits 1 naming snapshot 2; a run refuses and deletes nothing; repair restores it."""
    root = wh.root
    snaps = sorted(p.name for p in (Path(root) / SNAPSHOTS).iterdir())
    result = cli("check", "-w", root)
    assert result.exit_code == 1
    message = result.output.strip()
    assert "newest complete snapshot is 00000002" in message and "--repair" in message
    assert len(message.splitlines()) == 1
    with pytest.raises(WarehouseError) as refused:
        wh.commit("c3", {"rejects": rejects("d")})
    assert str(refused.value).splitlines()[0] in message
    assert sorted(p.name for p in (Path(root) / SNAPSHOTS).iterdir()) == snaps  # nothing deleted
    result = cli("check", "--repair", "-w", root)
    assert result.exit_code == 0, result.output
    assert "00000002" in result.output
    assert (Path(root) / CURRENT).is_symlink()
    assert rows(wh) == before
    assert cli("check", "-w", root).exit_code == 0
    wh.commit("c3", {"rejects": rejects("d")})
    assert wh.current().commits == ["c1", "c2", "c3"] and rows(wh)[0] == before[0] + 1


def test_a_missing_current_link_is_damage_not_an_empty_warehouse(tmp_path):
    wh = filled(tmp_path)
    before = rows(wh)
    (tmp_path / CURRENT).unlink()
    assert_refused_then_repaired(wh, before)


@pytest.mark.parametrize("copy", [copy_without_symlinks, copy_following_symlinks])
def test_a_copy_that_did_not_keep_symlinks_is_repaired_without_loss(tmp_path, copy):
    before = rows(filled(tmp_path / "a"))
    copy(tmp_path / "a", tmp_path / "b")
    assert_refused_then_repaired(Warehouse(tmp_path / "b"), before)
    if copy is copy_following_symlinks:  # the plain folders are set aside, never deleted
        aside = list((tmp_path / "b" / "_set_aside").rglob("*.parquet"))
        assert aside


def test_current_as_a_plain_file_is_damage(tmp_path):
    wh = filled(tmp_path)
    before = rows(wh)
    target = os.readlink(tmp_path / CURRENT)
    (tmp_path / CURRENT).unlink()
    (tmp_path / CURRENT).write_text(target)  # how some tools store a symlink
    assert_refused_then_repaired(wh, before)


def test_a_link_older_than_the_last_commit_is_damage(tmp_path):
    """Restoring half a backup: `_current` from before the last commit, the snapshots after."""
    wh = filled(tmp_path)
    before = rows(wh)
    with wh.snapshot():  # keeps snapshot 2 from being collected by the next commit
        wh.commit("c3", {"rejects": rejects("d")})
    (tmp_path / CURRENT).unlink()
    (tmp_path / CURRENT).symlink_to(f"{SNAPSHOTS}/00000002")
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1 and "00000003" in result.output
    with pytest.raises(WarehouseError, match="00000003"):
        wh.commit("c4", {"rejects": rejects("e")})
    assert (tmp_path / SNAPSHOTS / "00000003").is_dir()
    assert cli("check", "--repair", "-w", str(tmp_path)).exit_code == 0
    assert rows(wh) == (before[0] + 1, before[1])


def test_no_complete_snapshot_left_says_restore_from_a_backup(tmp_path):
    filled(tmp_path)
    (tmp_path / CURRENT).unlink()
    for path in (tmp_path / SNAPSHOTS).rglob("*.parquet"):
        path.unlink()
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1 and "backup" in result.output
    assert cli("check", "--repair", "-w", str(tmp_path)).exit_code == 1
    assert (tmp_path / SNAPSHOTS / "00000002" / MANIFEST).exists()


def test_the_first_commit_of_a_writer_that_died_is_still_cleaned_up(tmp_path):
    from warehouse.heads import HEAD

    wh = Warehouse(tmp_path)
    with wh.lock():  # a writer took the lock of a new warehouse, then died mid-commit
        pass
    assert json.loads((tmp_path / HEAD).read_text())["snapshot"] == 0
    dead = tmp_path / SNAPSHOTS / "00000001" / "rejects"
    dead.mkdir(parents=True)
    (dead / "part-c1.parquet").write_bytes(b"never published")
    wh.commit("c1", {"rejects": rejects("a")})
    assert wh.read("rejects").num_rows == 1 and cli("check", "-w", str(tmp_path)).exit_code == 0


def test_a_table_folder_where_its_link_belongs_is_damage_set_aside_by_repair(tmp_path):
    wh = filled(tmp_path)
    before = rows(wh)
    link = tmp_path / "rejects"
    target = link.resolve()
    link.unlink()
    shutil.copytree(target, link)  # what `cp -rL` of the table path leaves
    result = cli("check", "-w", str(tmp_path))
    assert result.exit_code == 1 and "rejects is a folder where links" in result.output
    with pytest.raises(WarehouseError, match="rejects is a folder"):
        wh.commit("c3", {"rejects": rejects("d")})
    assert link.is_dir() and not link.is_symlink()  # never deleted
    assert cli("check", "--repair", "-w", str(tmp_path)).exit_code == 0
    assert link.is_symlink() and rows(wh) == before
    assert list((tmp_path / "_set_aside").rglob("*.parquet"))


def test_a_run_onto_a_lost_link_fails_before_it_starts_and_deletes_nothing(
    prefect_harness, tmp_path
):
    from flows.pipeline import ingest_flow
    from tests.conftest import SAMPLE_INBOX

    wh = filled(tmp_path)
    (tmp_path / CURRENT).unlink()
    with pytest.raises(WarehouseError, match="newest complete snapshot is 00000002"):
        ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(tmp_path))
    assert (tmp_path / SNAPSHOTS / "00000002" / MANIFEST).exists()
    assert cli("check", "--repair", "-w", str(tmp_path)).exit_code == 0
    assert wh.current().commits == ["c1", "c2"]


def test_recovery_leaves_folders_it_did_not_write_alone(tmp_path):
    wh = filled(tmp_path)
    backup = tmp_path / SNAPSHOTS / "00000002.bak"
    shutil.copytree(tmp_path / SNAPSHOTS / "00000002", backup)  # an operator's copy
    wh.commit("c3", {"rejects": rejects("d")})
    assert (backup / MANIFEST).exists()
