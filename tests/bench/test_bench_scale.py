"""Smoke run of the warehouse-size benchmark at a tiny size, so it never rots."""

from __future__ import annotations

import re
from pathlib import Path

from bench.bench_pipeline import stand_in_model
from bench.bench_scale import main

TEXTS = [
    "Ferry service resumes\n\nFerries between the two islands sailed again on Tuesday after "
    "storms kept them in port for four days. “Passengers should book ahead,” said harbour "
    "master Lena Ortiz. The operator added two extra crossings for the weekend.",
    "Library reopens after repairs\n\nThe city library opened its doors again on Saturday "
    "after a year of repairs to its roof. “We missed our readers,” said librarian Tomas Berg. "
    "Opening hours are longer than before, the council said.",
]


def test_bench_builds_every_table_and_prints_every_figure(
    tmp_path: Path, capsys, prefect_harness
) -> None:
    from prefect.settings import PREFECT_API_URL

    from warehouse import Warehouse

    source = tmp_path / "source"
    source.mkdir()
    for i, text in enumerate(TEXTS):
        (source / f"t{i}.txt").write_text(text, encoding="utf-8")
    model = stand_in_model(tmp_path / "stand-in")  # the run's figures, not spaCy's, are tested
    work = tmp_path / "work"
    args = ["--sizes", "300", "--batch", "100", "--run-articles", "4", "--rounds", "1",
            "--source", str(source), "--model", str(model), "--work", str(work),
            "--prefect-api", PREFECT_API_URL.value()]  # fmt: skip
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0
    assert "== 300 articles stored" in out, out
    for table in ("articles", "entities", "stories", "signatures", "quotes", "mentions", "raw"):
        assert re.search(rf"^   {table} +\d+ -> \d+ ", out, re.M), out
    for query in ("top speakers by week", "one story", "mentions by month", "rejects by reason"):
        assert re.search(rf"{query}.* \d+\.\d+x ", out), out
    assert re.search(r"d\. check \(quick\) \d+\.\d s.*compact \d+\.\d s", out), out
    assert re.search(r"a\. run of 4 articles: \d+\.\d s", out), out
    warehouse = Warehouse(work / "warehouse")
    assert warehouse.read("articles", columns=["article_id"]).num_rows == 300
    for table in ("mentions", "quotes", "entities", "stories", "links", "signatures", "raw",
                  "rejects", "runs"):  # fmt: skip
        assert warehouse.read(table).num_rows > 0, table
    copies = warehouse.read("articles", columns=["duplicate_of"])["duplicate_of"].drop_null()
    assert len(copies) > 0  # rewrites were found as copies of their wire
