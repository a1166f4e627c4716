"""Smoke run of the pipeline benchmark on a tiny corpus, so it never rots."""

from __future__ import annotations

import re
from pathlib import Path

from bench.bench_pipeline import main

ARTICLES = [
    "Port strike ends after talks\n\nDock workers in Rotterdam returned to work on Monday after "
    "a week-long strike, the union said. “We have a deal that protects jobs,” said union leader "
    "Anna de Vries. The port authority said shipping would be back to normal by Friday.",
    "Central bank holds rates\n\nThe European Central Bank kept interest rates unchanged on "
    "Thursday. President Christine Lagarde said inflation was still too high and warned that "
    "cuts would come slowly. Markets had expected the decision, analysts said.",
    "Floods close roads in Kenya\n\nHeavy rain flooded parts of Nairobi overnight, closing roads "
    "and schools. “The water came in minutes,” a resident told reporters. The Kenya Red Cross "
    "said it had rescued dozens of people from their homes.",
]


def test_bench_prints_every_figure(tmp_path: Path, capsys, prefect_harness) -> None:
    from prefect.settings import PREFECT_API_URL

    source = tmp_path / "source"
    source.mkdir()
    for i, text in enumerate(ARTICLES):
        (source / f"a{i}.txt").write_text(text, encoding="utf-8")
    code = main(
        [
            "--source",
            str(source),
            "--articles",
            "6",  # the three texts twice: repeats get a unique first line
            "--rounds",
            "1",
            "--n-process",
            "1",
            "--scales",
            "100",
            "200",
            "--scale-batch",
            "50",
            "--backfills",
            "40",
            "--batch-files",
            "20",
            "--skip-naive",
            "--prefect-api",  # one test server for every child: CI pays its start-up once
            PREFECT_API_URL.value(),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    for item in ("1. end to end", "3. fixed cost", "4. ", "5. "):
        assert f"| {item}" in out, out
    ratio = re.search(r"\| 1\. end to end.*?: (\d+\.\d+) \|", out)
    assert ratio and float(ratio.group(1)) > 0
