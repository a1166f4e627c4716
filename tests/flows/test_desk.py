"""A desk that reports itself: `wiredesk status` and `wiredesk export` over real runs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import ingest_flow
from warehouse import Warehouse

runner = CliRunner()
QUAY = "Cranes stand idle at the quay\n\n“We will not unload a ship until the talks resume,” said Ana Lind, who leads the dockers' union."  # noqa: E501
HARBOUR = "Harbour fees rise\n\n“The fees pay for the new breakwater,” the port authority said on Monday in a statement."  # noqa: E501


@pytest.fixture(scope="module")
def desk(prefect_harness, tmp_path_factory):
    """Run two sources (one with a bad document) and one failing run into a warehouse."""
    base = tmp_path_factory.mktemp("desk")
    quay, harbour = base / "in" / "quay", base / "in" / "harbour"
    quay.mkdir(parents=True)
    harbour.mkdir(parents=True)
    (quay / "a.txt").write_text(QUAY)
    (quay / "empty.txt").write_text("   \n")
    (harbour / "b.txt").write_text(HARBOUR)
    root = str(base / "wh")
    first = ingest_flow(paths=[str(quay)], source="quay", warehouse=root, n_process=1)
    second = ingest_flow(paths=[str(harbour)], source="harbour", warehouse=root, n_process=1)
    (base / "in" / "later").mkdir()
    (base / "in" / "later" / "c.txt").write_text(HARBOUR.replace("Monday", "Tuesday"))
    with pytest.raises(Exception, match="en_core_web_lg"):  # fails once it has a new document
        ingest_flow(paths=[str(base / "in" / "later")], source="harbour", warehouse=root,
                    model="en_core_web_lg")  # fmt: skip
    return base, root, first.run_id, second.run_id


def test_status_shows_each_source_its_runs_rejects_and_failures(desk, monkeypatch):
    _, root, first, second = desk
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = runner.invoke(app, ["status", "-w", root])
    assert result.exit_code == 0, result.output
    text = result.output
    quay = text.split("\nquay")[1]
    assert text.startswith("harbour")
    assert f"completed read 1  loaded 1  rejects 0  duplicates 0  quotes 1  run {second}" in text
    assert "completed read 2  loaded 1  rejects 1" in quay and first in quay
    assert "rejects in these runs: empty_body=1" in quay
    harbour = text.split("\nquay")[0]
    assert "failed " in harbour and "failed: " in harbour and "en_core_web_lg" in harbour
    assert "next runs: set PREFECT_API_URL" in text


def test_export_since_a_run_gives_what_came_after(desk):
    base, root, first, second = desk
    out = base / "quotes.jsonl"
    result = runner.invoke(app, ["export", "quotes", "--since", first, "-w", root, "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    loaded = Warehouse(root).read("quotes").to_pylist()
    assert rows and {r["run_id"] for r in rows} == {second}
    assert len(rows) == sum(q["run_id"] == second for q in loaded)
    assert rows[0]["segments"] and isinstance(rows[0]["segments"], list)
    # The failed run landed nothing: the cursor moves past it all the same.
    last = result.output.splitlines()[-1]
    assert last.startswith("next: --since ") and last != f"next: --since {first}"
    again = runner.invoke(app, ["export", "quotes", "--since", last.split()[-1], "-w", root,
                                "-f", "csv", "-o", str(base / "none.csv")])  # fmt: skip
    assert again.exit_code == 0 and "wrote 0 rows of quotes from no new runs" in again.output


def test_export_refuses_an_unknown_table_or_format_in_one_line(desk):
    _, root, _, _ = desk
    for args, said in (
        (["export", "quote", "-w", root], "no table 'quote'"),
        (["export", "quotes", "-w", root, "-f", "xml"], "--format must be"),
        (["export", "quotes", "-w", root, "--since", "yesterday"], "neither a settled run"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and said in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
