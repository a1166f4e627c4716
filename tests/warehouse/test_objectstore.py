"""The warehouse on a real S3-compatible server (moto, on loopback): commits, lock, crashes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts.s3_server import s3_server
from tests.conftest import REPO
from tests.warehouse.test_store import rejects, stories
from warehouse import Warehouse, WarehouseError, WarehouseLocked
from warehouse.check import check
from warehouse.compact import compact
from warehouse.query import create_views, run_sql, warehouse
from warehouse.repair import repair

LEASE = "2"  # seconds: a dead holder's lock is taken over that soon


@pytest.fixture
def wh(s3, monkeypatch) -> Warehouse:
    """An empty warehouse in a fresh bucket, with a short lock lease."""
    monkeypatch.setenv("WIREDESK_LOCK_LEASE", LEASE)
    return Warehouse(f"s3://{s3.bucket()}/wh")


def glob_rows(wh: Warehouse, name: str) -> int:
    """Return the rows a plain reader globbing the table prefix sees."""
    return pq.read_table(wh.path(name)).num_rows


def bucket_keys(s3, wh: Warehouse, prefix: str = "") -> list[str]:
    """Return the keys under the warehouse prefix, relative to it."""
    bucket = wh.root.removeprefix("s3://").split("/", 1)[0]
    return [k.removeprefix("wh/") for k in s3.keys(bucket, f"wh/{prefix}")]


def in_child(wh: Warehouse, code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python code in a child process with `wh` bound to the warehouse."""
    script = f"from warehouse import Warehouse\nwh = Warehouse({wh.root!r})\n" + textwrap.dedent(
        code
    )
    prelude = "from tests.warehouse.test_store import rejects, stories\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commits_read_back_and_a_plain_glob_sees_exactly_them(s3, wh):
    wh.commit("c1", {"rejects": rejects("a", "b"), "stories": stories(("s1", 1), ("s2", 1))})
    wh.commit("c1", {"rejects": rejects("a", "b")})  # a retried commit adds nothing
    wh.commit("c2", {"rejects": rejects("c"), "stories": stories(("s1", 2))})
    assert wh.read("rejects").num_rows == 3 and glob_rows(wh, "rejects") == 3
    seen = pq.read_table(wh.path("stories")).to_pydict()
    assert sorted(zip(seen["story_id"], seen["n_articles"], strict=True)) == [("s1", 2), ("s2", 1)]
    assert wh.read("stories").num_rows == 2
    assert wh.current().commits == ["c1", "c2"]
    keys = bucket_keys(s3, wh)
    assert "_lock" not in keys  # released
    assert [k for k in keys if k.startswith("_snapshots/")] == [
        "_snapshots/00000001.json",
        "_snapshots/00000002.json",
    ]
    assert sorted(k for k in keys if k.startswith("stories/")) == [
        "stories/part-c2-k0000.parquet",  # c1's file rewritten without s1, which c2 changed
        "stories/part-c2.parquet",
    ]


def test_sql_check_and_compact_work_on_the_store(wh):
    for n in range(5):
        wh.commit(f"c{n}", {"rejects": rejects(f"r{n}")})
    assert "5" in run_sql("select count(*) as n from rejects", wh.root)
    con = duckdb.connect()
    with wh.snapshot() as snap:  # the README's recipe: DuckDB without httpfs
        create_views(con, snap)
        assert con.sql("select count(*) from rejects").fetchone() == (5,)
    assert len(warehouse(wh.root)["rejects"]) == 5
    assert check(wh.root).summary().startswith("ok: 11 tables, 5 files, 5 rows")
    report = compact(wh.root)
    assert report.files_before["rejects"] == 5 and report.files_after["rejects"] == 1
    assert wh.read("rejects").num_rows == 5 and glob_rows(wh, "rejects") == 5
    assert check(wh.root).ok


def test_check_finds_a_replaced_object(s3, wh):
    wh.commit("c1", {"rejects": rejects("a", "b")})
    (path,) = wh.files("rejects")
    pq.write_table(rejects("x", "y", "z"), path, filesystem=wh.current().fs)
    report = check(wh.root)
    assert not report.ok
    assert "rejects/part-c1.parquet" in report.lines()[0]
    with pytest.raises(WarehouseError, match="does not match its manifest"):
        wh.commit("c2", {"rejects": rejects("c")})


def test_repair_drops_a_lost_object_and_says_which_rows_are_lost(s3, wh):
    wh.commit("c1", {"rejects": rejects("a", "b")})
    wh.commit("c2", {"rejects": rejects("c")})
    (lost,) = [p for p in wh.files("rejects") if p.endswith("/part-c1.parquet")]
    wh.current().fs.delete_file(lost)
    assert [p.kind for p in check(wh.root).problems] == ["missing"]
    report = repair(wh.root)
    assert report.rows_lost == {"rejects/part-c1.parquet": 2}
    assert check(wh.root).ok and wh.read("rejects").num_rows == 1 and glob_rows(wh, "rejects") == 1


def test_a_writer_killed_before_its_manifest_publishes_nothing(s3, wh):
    wh.commit("c0", {"rejects": rejects("a")})
    tables = "{'rejects': rejects('b', 'c'), 'stories': stories(('s1', 1))}"
    # Killed at its 4th file operation: both data objects uploaded, no manifest yet.
    child = in_child(wh, f"wh.commit('c1', {tables})", WIREDESK_FAILPOINT="4")
    assert child.returncode == -9, child.stderr
    assert wh.read("rejects").num_rows == 1 and wh.current().commits == ["c0"]
    assert glob_rows(wh, "rejects") == 3  # a plain glob sees the dead writer's objects...
    assert "_lock" in bucket_keys(s3, wh)  # ...and its lock stays until its lease runs out
    started = time.monotonic()
    wh.commit("c1", {"rejects": rejects("b", "c"), "stories": stories(("s1", 1))})
    assert time.monotonic() - started < 30
    assert wh.read("rejects").num_rows == 3 and glob_rows(wh, "rejects") == 3
    assert wh.current().commits == ["c0", "c1"]
    assert check(wh.root).ok


def test_a_held_lock_makes_another_writer_wait_then_give_up(wh):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time\nfrom warehouse import Warehouse\n"
            f"with Warehouse({wh.root!r}).lock():\n    print('held', flush=True)\n"
            "    time.sleep(60)",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = r"another wiredesk run \(pid \d+ on .*\) is"
        with pytest.raises(WarehouseLocked, match=busy), wh.lock(wait_seconds=float(LEASE) * 2):
            pass  # the holder renews its lease: it never runs out
    finally:
        holder.kill()
        holder.wait()
    with wh.lock(wait_seconds=30):  # the killed holder's lease runs out, then it is taken over
        fence = wh.current()
    # The new holder published the snapshot again under the next number: a writer that lost
    # the lock can no longer publish the number it would take.
    assert fence.number == 1 and fence.manifest["operation"].startswith("fence")


def test_two_writers_at_once_both_land_in_full(wh):
    code = """
    for n in range(4):
        wh.commit(f"{tag}{n}", {"rejects": rejects(*(f"{tag}{n}-{i}" for i in range(3)))})
    """
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from warehouse import Warehouse\n"
                "from tests.warehouse.test_store import rejects\n"
                f"wh = Warehouse({wh.root!r})\ntag = {tag!r}\n" + textwrap.dedent(code),
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        for tag in ("a", "b")
    ]
    assert [c.wait(timeout=120) for c in children] == [0, 0]
    assert sorted(wh.current().commits) == [f"{t}{n}" for t in "ab" for n in range(4)]
    assert wh.read("rejects").num_rows == 24 and glob_rows(wh, "rejects") == 24


def test_a_lost_lease_commits_nothing(s3, wh):
    with wh.lock():
        bucket = wh.root.removeprefix("s3://").split("/", 1)[0]
        s3.client().put_object(Bucket=bucket, Key="wh/_lock", Body=b'{"pid": 1}')  # taken
        time.sleep(float(LEASE))  # a renewal finds the lock object changed
        with pytest.raises(WarehouseLocked, match="lost the writer lock"):
            wh.commit("c1", {"rejects": rejects("a")})
    assert wh.current().number == 0 and bucket_keys(s3, wh, "rejects") == []


def test_only_one_writer_can_publish_a_snapshot(wh):
    base = wh.current()
    store = wh.store()
    manifest = {**base.manifest, "commits": ["x"]}
    store.publish(
        base, [("rejects/part-x.parquet", rejects("a"), "rejects")], lambda r: False, manifest
    )
    with pytest.raises(WarehouseError, match="published by another writer meanwhile"):
        store.publish(
            base, [("rejects/part-y.parquet", rejects("b"), "rejects")], lambda r: False, manifest
        )
    assert wh.read("rejects").num_rows == 1 and glob_rows(wh, "rejects") == 1
    # A create whose reply was lost and whose retry finds the object: it is ours, so committed.
    published = wh.current()
    assert store.create_manifest(published.number, published.manifest)


def test_a_missing_bucket_and_wrong_credentials_say_so_in_one_line(s3):
    missing = Warehouse("s3://no-such-bucket-here/wh")
    with pytest.raises(WarehouseError, match="bucket 'no-such-bucket-here' does not exist at http"):
        missing.commit("c1", {"rejects": rejects("a")})
    with s3_server(authenticate=True) as strict:  # knows no keys at all
        child = subprocess.run(
            [sys.executable, "-m", "flows.cli", "check", "--warehouse", "s3://some-bucket/wh"],
            cwd=REPO,
            env={**os.environ, **strict.env, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert child.returncode == 1
    (line,) = child.stderr.strip().splitlines()
    assert line.startswith("wiredesk: error: s3://some-bucket/wh: the object store at http")
    assert "refused the credentials" in line


def test_stores_without_conditional_writes_are_read_only():
    with pytest.raises(WarehouseError, match="writes only to S3 and S3-compatible stores"):
        Warehouse("gs://bucket/wh").commit("c1", {"rejects": rejects("a")})


def test_plain_readers_read_the_table_prefix(s3, wh):
    wh.commit("c1", {"rejects": rejects("a", "b")})
    table = pq.read_table(wh.path("rejects"))
    assert isinstance(table, pa.Table) and sorted(table["source_item_id"].to_pylist()) == ["a", "b"]
