"""The Python face: `wiredesk.run` lands a real run, `wiredesk.open` reads it back."""

from __future__ import annotations

import subprocess
import sys

import pytest

import wiredesk
from tests.conftest import REPO, SAMPLE_INBOX


def test_run_then_open_reads_what_the_run_landed(prefect_harness, tmp_path) -> None:
    root = str(tmp_path / "wh")
    report = wiredesk.run([str(SAMPLE_INBOX)], warehouse=root)
    desk = wiredesk.open(root)
    loaded = report.counts.articles_loaded
    assert loaded > 0 and desk.root == root
    assert desk.sql("select count(*) as n from articles")["n"][0] == loaded
    assert len(desk.table("articles")) == loaded
    assert set(desk.tables(["articles", "quotes"])) == {"articles", "quotes"}
    with desk.snapshot() as snap:
        assert snap.read("articles").num_rows == loaded


def test_open_refuses_a_missing_warehouse_and_run_a_missing_path(tmp_path) -> None:
    with pytest.raises(wiredesk.WiredeskError, match="no warehouse at"):
        wiredesk.open(str(tmp_path / "none"))
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        wiredesk.run([str(tmp_path / "nothing-here")], warehouse=str(tmp_path / "wh"))


def test_importing_wiredesk_loads_neither_prefect_nor_spacy_nor_duckdb() -> None:
    code = "import sys, wiredesk; print(sorted({'prefect', 'spacy', 'duckdb'} & set(sys.modules)))"
    shown = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert shown.stdout.strip() == "[]", shown.stderr
