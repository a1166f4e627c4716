"""`wiredesk sql` reads the warehouse tables and nothing else: no files, writes or extensions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_store import articles, rejects
from warehouse import Warehouse
from warehouse.query import connect
from warehouse.schemas import RAW, STORIES

REPO = Path(__file__).resolve().parents[2]

runner = CliRunner()


@pytest.fixture
def root(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    wh.commit("c1", {"rejects": rejects("x", "y"), "articles": articles(3, None)})
    wh.commit("c2", {"articles": articles(2, datetime(2024, 5, 1, tzinfo=UTC))})
    return tmp_path / "wh"


def sql(root, query: str, *extra: str):
    return runner.invoke(app, ["sql", query, "--warehouse", str(root), *extra])


def refused(result) -> str:
    """Assert the command failed with one line on the terminal and return that line."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("wiredesk: error: ")
    return lines[0]


def count(root, table: str) -> int:
    return Warehouse(root).read(table).num_rows


def test_reading_a_file_outside_the_warehouse_is_refused(root, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    for query in (
        f"select * from read_text('{secret}')",
        "select * from read_text('/etc/passwd')",
        f"select * from read_csv('{secret}')",
        "select * from glob('/etc/*')",
    ):
        line = refused(sql(root, query))
        assert "TOPSECRET" not in line and "root:" not in line
        assert "wiredesk sql" in line  # says which tool refused and why


def test_copy_to_any_path_is_refused_and_writes_nothing(root, tmp_path):
    target = tmp_path / "out.csv"
    refused(sql(root, f"copy (select * from articles) to '{target}'"))
    assert not target.exists()


def test_attach_is_refused_for_files_and_memory(root, tmp_path):
    refused(sql(root, f"attach '{tmp_path / 'new.db'}' as n"))
    assert not (tmp_path / "new.db").exists()
    refused(sql(root, "attach ':memory:' as m"))


def test_extensions_are_neither_installed_nor_loaded(root, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # where DuckDB would put downloaded extensions
    assert "INSTALL statements are refused" in refused(sql(root, "install httpfs"))
    assert "LOAD statements are refused" in refused(sql(root, "load httpfs"))
    refused(sql(root, "select * from read_parquet('https://example.com/x.parquet')"))
    assert not (home / ".duckdb").exists()


def test_copy_over_a_committed_file_is_refused_and_leaves_it_intact(root):
    (path,) = [p for p in map(Path, Warehouse(root).files("articles")) if "2024-05" in str(p)]
    before = path.read_bytes()
    link = root / "articles" / path.parent.name / path.name  # the stable reader path
    refused(sql(root, f"copy (select * from articles limit 0) to '{link}' (format parquet)"))
    assert path.read_bytes() == before and count(root, "articles") == 5


def test_partition_by_overwrite_is_refused_and_deletes_nothing(root):
    folder = root / "rejects"
    query = f"copy rejects to '{folder}' (format parquet, partition_by (reason), overwrite)"
    refused(sql(root, query))
    assert count(root, "rejects") == 2
    assert [p.name for p in map(Path, Warehouse(root).files("rejects"))] == ["part-c1.parquet"]


def test_statements_that_change_anything_are_refused(root):
    for query in (
        "create table t as select 1",
        "insert into articles select * from articles",
        "set enable_external_access = true",
        "reset lock_configuration",
        "select 1; create table t as select 1",
        "pragma memory_limit='1GB'",
        "explain analyze create table t as select 1",
        "explain (format json) insert into articles select * from articles",
    ):
        line = refused(sql(root, query))
        assert "read-only" in line, line


def test_read_only_queries_still_work(root):
    for query, want in (
        ("select count(*) from articles", "5"),
        ("describe rejects", "reject_id"),
        ("show tables", "articles"),
        ("with a as (select * from articles) select month, count(*) from a group by 1", "2024-05"),
        ("explain select * from rejects", "physical_plan"),
        ("explain analyze select count(*) from rejects", "analyzed_plan"),
    ):
        result = sql(root, query)
        assert result.exit_code == 0, (query, result.output)
        assert want in result.output, (query, result.output)


def test_out_writes_nested_and_binary_columns_without_duckdb_copy(root, tmp_path):
    wh = Warehouse(root)
    story = {"story_id": "s1", "title": "t", "n_articles": 1, "sources": ["afp", "ap"]}
    raw = {"raw_id": "r1", "source": "w", "data": b"\xff\x00bytes"}
    wh.commit(
        "c3",
        {
            "stories": pa.Table.from_pylist([story], schema=STORIES),
            "raw": pa.Table.from_pylist([raw], schema=RAW),
        },
    )
    out = tmp_path / "o" / "stories.csv"
    assert sql(root, "select story_id, sources from stories", "--out", str(out)).exit_code == 0
    assert out.read_text().splitlines() == ['"story_id","sources"', '"s1","[""afp"",""ap""]"']
    out = tmp_path / "o" / "stories.parquet"
    assert sql(root, "select * from stories", "--out", str(out)).exit_code == 0
    assert pq.read_table(out)["sources"].to_pylist() == [["afp", "ap"]]
    out = tmp_path / "o" / "raw.csv"
    result = sql(root, "select raw_id, data from raw", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1] == '"r1","/wBieXRlcw=="'  # base64
    out = tmp_path / "o" / "raw.parquet"
    assert sql(root, "select raw_id, data from raw", "--out", str(out)).exit_code == 0
    assert pq.read_table(out)["data"].to_pylist() == [b"\xff\x00bytes"]
    refused(sql(root, "select 1", "--out", str(tmp_path / "o" / "x.txt")))
    assert not list((tmp_path / "o").glob(".*tmp"))


# ---------------------------------------------------------------- confinement (issue 28, item 5)


def wiredesk_sql(root, query: str, *extra: str, cwd=None) -> subprocess.CompletedProcess:
    """Run `wiredesk sql` as its own process: an abort (SIGABRT) would show as its exit code."""
    command = [sys.executable, "-c", "from flows.cli import app; app()", "sql", query,
               "--warehouse", str(root), *extra]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def refused_process(done: subprocess.CompletedProcess) -> str:
    """Assert a `wiredesk sql` process failed with one line on stderr, no traceback."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wiredesk: error: "), done.stderr
    return lines[0]


@pytest.fixture
def linked_tmp(tmp_path, monkeypatch):
    """A working directory whose `.tmp` (DuckDB's default temporary directory) links elsewhere."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_text("TOPSECRET\n")
    (secret / "rows.csv").write_text("a\nTOPSECRET\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".tmp").symlink_to(secret)
    monkeypatch.chdir(work)
    return secret


def test_duckdb_has_no_temporary_or_allowed_directory(root, linked_tmp):
    with connect(root) as con:
        settings = dict(con.execute("select name, value from duckdb_settings()").fetchall())
    assert settings["temp_directory"] == ""
    assert settings["allowed_directories"] == "[]" and settings["allowed_paths"] == "[]"
    assert settings["enable_external_access"] == "false"
    assert settings["lock_configuration"] == "true"
    for query in (
        "select content from read_text('.tmp/passwd')",
        "select * from '.tmp/rows.csv'",  # a replacement scan, not a table function
        "select * from read_csv('.tmp/rows.csv')",
    ):
        line = refused(sql(root, query))
        assert "TOPSECRET" not in line


def test_table_functions_with_side_effects_are_refused_without_an_abort(root, linked_tmp, tmp_path):
    work = Path.cwd()
    for query in (
        "select * from enable_logging(storage='file', storage_path='.tmp/x')",
        f"select * from enable_logging(storage='file', storage_path='{tmp_path / 'log'}')",
        "select * from articles, lateral (select * from enable_logging())",
        "select (select count(*) from truncate_duckdb_logs())",
        "with c as (select * from checkpoint()) select * from c",
        "select * from query('select 1')",
        "describe select * from disable_logging()",
        "select write_log('hello')",
    ):
        line = refused_process(wiredesk_sql(root, query, cwd=work))
        assert "is refused" in line, line
    assert sorted(p.name for p in linked_tmp.iterdir()) == ["passwd", "rows.csv"]
    assert not (tmp_path / "log").exists()


def test_read_only_table_functions_still_work(root):
    for query, want in (
        ("select sum(range) from range(5)", "10"),
        ("select count(*) from generate_series(1, 4)", "4"),
        ("select * from unnest([7, 8])", "8"),
        ("select table_name from duckdb_tables() union all select 'x'", "x"),
        ("summarize articles", "article_id"),
        ("select * from (pivot articles on source in ('w') using count(*))", "w"),
    ):
        result = sql(root, query)
        assert result.exit_code == 0, (query, result.output)
        assert want in result.output, (query, result.output)


def test_a_query_over_the_memory_limit_stops_with_one_line(root):
    query = "select count(distinct range) from range(100000000::bigint)"
    done = wiredesk_sql(root, query, "--memory-limit", "64MB")
    assert "memory limit 64MB (--memory-limit)" in refused_process(done)


def test_a_query_over_the_time_limit_is_interrupted(root):
    started = time.monotonic()
    done = wiredesk_sql(root, "select count(*) from range(1000000000000::bigint)", "--timeout", "1")
    assert "time limit" in refused_process(done)
    assert time.monotonic() - started < 60


def test_out_inside_the_warehouse_is_refused_and_writes_nothing(root, tmp_path):
    folder = next((root / "articles").glob("month=*"))
    before = sorted(p.name for p in folder.iterdir())
    line = refused(sql(root, "select * from articles", "--out", str(folder / "copy.parquet")))
    assert "inside the warehouse" in line
    link = tmp_path / "elsewhere"
    link.symlink_to(folder)  # a path that only leads into the warehouse through a link
    refused(sql(root, "select * from articles", "--out", str(link / "copy.parquet")))
    refused(sql(root, "select * from articles", "--out", str(root / "copy.csv")))
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not (root / "copy.csv").exists()
    assert count(root, "articles") == 5
