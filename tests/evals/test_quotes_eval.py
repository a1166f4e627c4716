from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from evals.quotes import Gold, load_folder, overlap, score_article
from flows.cli import app
from tasks.components.quotes import Quote
from tests.conftest import EVAL, need

POLNEAR_DEV = EVAL / "polnear" / "dev"
TEXT = (
    "“The bridge will reopen in May,” said Anna Lindqvist.\n\nThe mayor is pleased, aides said.\n"
)
ANN = (
    "T1\tContent 0 33\t“The bridge will reopen in May,”\n"
    "T2\tSource 39 53\tAnna Lindqvist\n"
    "T3\tCue 34 38\tsaid\n"
    "T4\tAttribution 34 38\tsaid\n"
    "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2\n"
    "T5\tContent 55 76\tThe mayor is pleased\n"
    "T6\tCue 83 87\tsaid\n"
    "T7\tAttribution-no-source 83 87\tsaid\n"
    "E2\tAttribution-no-source:T7 Content:T5 Cue:T6\n"
)


def write_folder(root: Path) -> Path:
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    (root / "text" / "a1.txt").write_text(TEXT, encoding="utf-8")
    (root / "attributions" / "a1_zz.ann").write_text("junk line\n", encoding="utf-8")
    (root / "attributions" / "a1_aa.ann").write_text(ANN, encoding="utf-8")
    return root


def quote(start: int, end: int, speaker: tuple[int, int] | None, cue: str | None) -> Quote:
    s0, s1 = speaker or (None, None)
    return Quote(
        start, end, "", "direct", None, "x" if speaker else None, s0, s1, cue, None, None, 0.5, ""
    )


def test_reads_the_first_annotation_file(tmp_path):
    articles = load_folder(write_folder(tmp_path))
    assert len(articles) == 1 and len(articles[0].gold) == 2
    gold = articles[0].gold[0]
    assert gold.source_text == "Anna Lindqvist" and gold.cue == "said"
    assert articles[0].gold[1].source == ()


def test_overlap_matching_speaker_and_cue():
    gold = [Gold(((0, 100),), "", ((200, 210),), "Kirby", "said")]
    assert overlap(((0, 10), (20, 30)), 0, 25) == 15 / 20
    preds = [quote(0, 50, (200, 205), "said"), quote(0, 90, (300, 305), "Said")]
    low = score_article(gold, preds, 0.3)
    assert (low.matched, low.speaker_ok, low.cue_ok) == (1, 0, 1)  # the best overlap wins
    high = score_article(gold, preds[:1], 0.8)
    assert (high.matched, high.predicted, high.gold) == (0, 1, 1)


def test_cli_prints_scores_on_a_small_folder(tmp_path, nlp):
    result = CliRunner().invoke(app, ["eval", "quotes", str(write_folder(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = {tuple(line.split()[:2]): line.split() for line in result.output.splitlines()[1:]}
    assert float(lines[("all", "0.3")][7]) == 1.0  # both attributions found: F1 1.0


def test_cli_missing_folder_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["eval", "quotes", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such file or folder" in result.output


def test_polnear_dev_floors(nlp):
    from evals.quotes import evaluate

    result = evaluate(need(POLNEAR_DEV))
    scores = {(s, t): c.scores() for s, by_t in result.items() for t, c in by_t.items()}
    # Floors just under the measured figures (README "Quote extraction"), so accuracy never
    # silently drops.
    assert scores[("direct", 0.3)]["f1"] >= 0.915  # measured 0.921
    assert scores[("direct", 0.8)]["f1"] >= 0.855  # 0.862
    assert scores[("direct", 0.3)]["speaker"] >= 0.895  # 0.901
    assert scores[("all", 0.3)]["f1"] >= 0.735  # 0.742
    assert scores[("all", 0.8)]["f1"] >= 0.66  # 0.668
    assert scores[("all", 0.3)]["speaker"] >= 0.89  # 0.896
    assert scores[("all", 0.3)]["cue"] >= 0.695  # 0.703
