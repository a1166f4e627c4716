"""The written speech cases through the real pipeline: every row's pieces, speaker and cue kind."""

from __future__ import annotations

import re

import pytest

from tasks.components.quotes import KINDS, Quote
from tests.tasks.speech_cases import CASES, Case, Expected

# Share of cases fully right, and of expected speech pieces found with their speaker, measured
# on the cases below; a floor just under each so a regression fails.
MIN_CASES_RIGHT = 1.0  # 38 of 38
MIN_SPEECH_PIECES = 1.0  # 35 of 35

Row = tuple[tuple[str, ...], str, str]
EDGE = re.compile(r"^[\W_]+|[\W_]+$")
ARTICLE = re.compile(r"^(a|an|the)\s+")


def piece(text: str) -> str:
    """Fold a quoted piece: no case, edge punctuation or leading "that"."""
    folded = EDGE.sub("", text.casefold())
    return EDGE.sub("", folded.removeprefix("that "))


def who(name: str | None) -> str:
    """Fold a speaker name: no case or leading article."""
    return ARTICLE.sub("", (name or "").casefold().strip())


def expected_rows(case: Case) -> list[Row]:
    """The rows a case expects, folded and sorted."""
    return sorted(expected_row(e) for e in case.quotes)


def expected_row(e: Expected) -> Row:
    """Fold one expected quote."""
    return tuple(piece(s) for s in e.segments), who(e.speaker), e.cue_kind


def found_rows(nlp, text: str) -> list[Row]:
    """The rows the quote component gives for a text, folded and sorted."""
    doc = nlp(text)
    return sorted(found_row(text, q) for q in doc._.wd_quotes)


def found_row(text: str, q: Quote) -> Row:
    """Fold one extracted quote."""
    return tuple(piece(text[s:e]) for s, e in q.segments), who(q.speaker), q.cue_kind


def speech_pieces(rows: list[Row]) -> set[tuple[str, str]]:
    """Each speech row's pieces as separate quotes with their speaker."""
    return {(p, speaker) for pieces, speaker, kind in rows if kind == "speech" for p in pieces}


def case_param(case: Case):
    """A case as a test parameter, expected to fail strictly under its error category."""
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.name, marks=marks)


def test_case_names_are_unique_and_kinds_known():
    assert len({c.name for c in CASES}) == len(CASES) >= 30
    assert {e.cue_kind for c in CASES for e in c.quotes} == set(KINDS)


@pytest.mark.parametrize("case", [case_param(c) for c in CASES])
def test_speech_case(nlp, case: Case):
    assert found_rows(nlp, case.text) == expected_rows(case)


def test_share_of_cases_right(nlp):
    right = 0
    gold: set[tuple[str, str, str]] = set()
    hits: set[tuple[str, str, str]] = set()
    for case in CASES:
        found, expected = found_rows(nlp, case.text), expected_rows(case)
        right += found == expected
        gold |= {(case.name, *p) for p in speech_pieces(expected)}
        hits |= {(case.name, *p) for p in speech_pieces(found)} & gold
    print(f"cases right {right}/{len(CASES)}; speech pieces found {len(hits)}/{len(gold)}")
    assert right / len(CASES) >= MIN_CASES_RIGHT
    assert len(hits) / len(gold) >= MIN_SPEECH_PIECES
    # xfail marks and results agree: a case is right exactly when it carries no category
    assert right == sum(c.xfail is None for c in CASES)
