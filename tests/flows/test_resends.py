"""Resends: a body a source already sent under another item id loads as an exact copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.pipeline import ingest_flow
from warehouse import Warehouse

BODY = (
    "Dockworkers at the three largest container ports walked off the job on Tuesday after "
    "overnight wage talks broke down, leaving dozens of cargo ships waiting at anchor.\n\n"
    "“We have waited eleven months for a fair deal,” said union leader Tomas Brandt."
)


def write(inbox: Path, name: str, day: str, headline: str) -> None:
    """Write one wire item in the text form: date line, headline, body."""
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_text(f"date {day}\n\n{headline}\n\n{BODY}\n", encoding="utf-8")


def loaded(root: Path) -> dict[str, tuple]:
    """Return each article's (article_id, duplicate_of, story_id) by item id."""
    warehouse = Warehouse(root)
    articles = warehouse.read("articles").to_pylist()
    return {
        a["source_item_id"]: (a["article_id"], a["duplicate_of"], a["story_id"]) for a in articles
    }


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("runs", [1, 2])
def test_a_resent_body_is_an_exact_copy_and_a_rerun_adds_nothing(tmp_path: Path, runs: int):
    root = tmp_path / "wh"
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "strike.txt", "2026-03-03", "Port strike halts container traffic")
    write(first if runs == 1 else second, "strike-resent.txt", "2026-03-04", "Port strike (resent)")
    ingest_flow(paths=[str(first)], source="northwire", warehouse=str(root))
    if runs == 2:
        ingest_flow(paths=[str(second)], source="northwire", warehouse=str(root))
    rows = loaded(root)
    assert set(rows) == {"strike", "strike-resent"}
    original, copy = rows["strike"], rows["strike-resent"]
    assert original[1] is None and copy[1] == original[0] and copy[2] == original[2]
    warehouse = Warehouse(root)
    links = warehouse.read("links").to_pylist()
    assert [(x["article_id"], x["other_article_id"], x["relation"]) for x in links] == [
        (copy[0], original[0], "exact")
    ]
    assert "duplicate_item" not in warehouse.read("rejects")["reason"].to_pylist()
    before = {name: warehouse.read(name).num_rows for name in ("articles", "links", "stories")}
    # The same files again add nothing, whichever run they came in.
    inboxes = [str(p) for p in (first, second) if p.exists()]
    again = ingest_flow(paths=inboxes, source="northwire", warehouse=str(root))
    assert again.counts.articles_loaded == 0
    after = {name: warehouse.read(name).num_rows for name in ("articles", "links", "stories")}
    assert after == before == {"articles": 2, "links": 1, "stories": 1}
