"""Reading made easy: pandas per table, and `wiredesk sql` over DuckDB views."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
from typer.testing import CliRunner

from flows.cli import app
from tests.warehouse.test_store import articles, rejects
from warehouse import TABLES, Warehouse, warehouse
from warehouse.query import connect

runner = CliRunner()


def filled(root) -> Warehouse:
    wh = Warehouse(root)
    wh.commit("c1", {"rejects": rejects("x", "y"), "articles": articles(3, None)})
    wh.commit("c2", {"articles": articles(2, datetime(2024, 5, 1, tzinfo=UTC))})
    return wh


def test_warehouse_returns_a_dataframe_per_table_with_declared_columns(tmp_path):
    filled(tmp_path)
    frames = warehouse(tmp_path)
    assert set(frames) == set(TABLES)
    assert len(frames["articles"]) == 5 and len(frames["quotes"]) == 0
    assert list(frames["rejects"].columns) == TABLES["rejects"].schema.names
    assert isinstance(frames["runs"], pd.DataFrame)


def test_sql_views_cover_every_table_even_empty_ones(tmp_path):
    filled(tmp_path)
    with connect(tmp_path) as con:
        assert con.sql("select count(*) from quotes").fetchone() == (0,)
        months = con.sql("select month, count(*) from articles group by 1 order by 1").fetchall()
    assert months == [("2024-05", 2), ("2026-01", 3)]


def test_sql_command_prints_a_table_and_writes_csv_and_parquet(tmp_path):
    root = tmp_path / "wh"
    filled(root)
    query = "select reject_id, reason from rejects order by 1"
    result = runner.invoke(app, ["sql", query, "--warehouse", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["reject_id", "reason"] and lines[1].split() == ["x", "empty_body"]
    out = tmp_path / "out" / "r.csv"
    result = runner.invoke(app, ["sql", query, "-w", str(root), "--out", str(out)])
    assert result.exit_code == 0 and pd.read_csv(out)["reject_id"].tolist() == ["x", "y"]
    out = tmp_path / "out" / "r.parquet"
    result = runner.invoke(app, ["sql", query, "-w", str(root), "--out", str(out)])
    assert result.exit_code == 0 and pq.read_table(out).num_rows == 2


def test_sql_command_reports_a_bad_query_in_one_line(tmp_path):
    filled(tmp_path)
    result = runner.invoke(app, ["sql", "select * from nope", "-w", str(tmp_path)])
    assert result.exit_code == 1
    assert "nope" in result.output and len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, ["sql", "select 1", "-w", str(tmp_path / "typo")])
    assert result.exit_code == 1 and "no warehouse at" in result.output


def test_compact_command_reports_what_it_merged(tmp_path):
    wh = filled(tmp_path)
    more = articles(4, datetime(2024, 5, 9, tzinfo=UTC)).slice(2)  # a2, a3 in 2024-05 again
    wh.commit("c3", {"articles": more})
    result = runner.invoke(app, ["compact", "--warehouse", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "articles     files 3 -> 2  (4 rows merged)" in result.output
    assert "rejects" not in result.output  # a single file: nothing to merge
    result = runner.invoke(app, ["compact", "--warehouse", str(tmp_path)])
    assert "nothing to compact" in result.output


def test_sql_out_writes_json_lines_and_json_with_nested_columns_as_json(tmp_path):
    import json

    import pyarrow as pa

    from warehouse.schemas import QUOTES

    wh = filled(tmp_path / "wh")
    quote = {"article_id": "a1", "quote_idx": 0, "text": "We will stay", "confidence": 0.9,
             "segments": [{"start_char": 3, "end_char": 15}], "run_id": "r1"}  # fmt: skip
    wh.commit("c3", {"quotes": pa.Table.from_pylist([quote], schema=QUOTES)})
    query = "select article_id, segments, confidence from quotes"
    for name in ("q.jsonl", "q.json", "q.csv"):
        out = tmp_path / "out" / name
        result = runner.invoke(app, ["sql", query, "-w", str(wh.root), "--out", str(out)])
        assert result.exit_code == 0 and result.output == f"wrote 1 rows to {out}\n"
    want = {"article_id": "a1", "segments": [{"start_char": 3, "end_char": 15}], "confidence": 0.9}
    lines = (tmp_path / "out" / "q.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [want]
    assert json.loads((tmp_path / "out" / "q.json").read_text()) == [want]
    frame = pd.read_csv(tmp_path / "out" / "q.csv")
    assert json.loads(frame["segments"][0]) == want["segments"]
    out = tmp_path / "out" / "none.jsonl"  # an empty result is an empty file, not an error
    result = runner.invoke(app, ["sql", "select * from quotes where false", "-w",
                                 str(wh.root), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0 and out.read_text() == ""


def test_sql_prints_every_result_an_empty_one_in_a_line_and_allows_pivot(tmp_path):
    filled(tmp_path / "wh")
    tmp_path, out = tmp_path / "wh", tmp_path / "two.csv"
    result = runner.invoke(app, ["sql", "select 1 as a; select 2 as b", "-w", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["a", "1", "(1", "rows)", "b", "2", "(1", "rows)"]
    query = "select reject_id from rejects where false"
    result = runner.invoke(app, ["sql", query, "-w", str(tmp_path)])
    assert result.output == "(no rows; columns: reject_id)\n"
    query = "pivot (select reason, reject_id from rejects) on reason using count(*)"
    result = runner.invoke(app, ["sql", query, "-w", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.split()[:2] == ["reject_id", "empty_body"]
    result = runner.invoke(app, ["sql", "select 1; select 2", "-w", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 1 and "--out writes one result; the query gives 2" in result.output
    result = runner.invoke(app, ["sql", "pivot (select read_csv('/etc/passwd') x) on x using "
                                 "count(*)", "-w", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 1 and "read_csv() is refused" in result.output
