"""A file of many items goes through the flow in parts bounded in documents, losing nothing."""

from __future__ import annotations

import json

import pytest

import tasks.dedup
import tasks.ingest
from flows.pipeline import ingest_flow
from scripts.live_site import generated_article
from warehouse import Warehouse


@pytest.fixture
def big_file(tmp_path, monkeypatch):
    """A JSON Lines file of 25 items, with parts of at most 10 documents."""
    monkeypatch.setattr(tasks.ingest, "MAX_DOCUMENTS", 10)
    folder = tmp_path / "inbox" / "bulk"
    folder.mkdir(parents=True)
    lines = []
    for number in range(1, 26):
        article = generated_article(number)
        record = {"id": f"bulk-{number}", "title": article.title,
                  "body": "\n\n".join(article.paragraphs)}  # fmt: skip
        lines.append(json.dumps(record))
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_big_file_loads_in_parts_once(prefect_harness, big_file, tmp_path):
    root = str(tmp_path / "wh")
    report = ingest_flow(paths=[str(big_file)], warehouse=root)
    assert report.counts.articles_loaded == 25
    warehouse = Warehouse(root)
    assert warehouse.read("articles").num_rows == 25
    assert warehouse.read("raw").num_rows == 1  # with the last part
    again = ingest_flow(paths=[str(big_file)], warehouse=root)
    assert again.counts.articles_loaded == 0 and again.counts.documents_skipped == 1


def test_a_run_stopped_between_parts_is_finished_by_the_next(
    prefect_harness, big_file, tmp_path, monkeypatch
):
    root = str(tmp_path / "wh")
    real = tasks.dedup.deduplicate_articles
    calls = []

    def second_part_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("stopped between parts")
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks.dedup, "deduplicate_articles", second_part_fails)
    with pytest.raises(RuntimeError, match="between parts"):
        ingest_flow(paths=[str(big_file)], warehouse=root)
    warehouse = Warehouse(root)
    assert warehouse.read("articles").num_rows == 10  # the first part only
    assert warehouse.read("raw").num_rows == 0  # so the file is read again
    monkeypatch.setattr(tasks.dedup, "deduplicate_articles", real)
    ingest_flow(paths=[str(big_file)], warehouse=root)
    articles = warehouse.read("articles")
    assert articles.num_rows == 25 == len(set(articles["article_id"].to_pylist()))
    assert warehouse.read("raw").num_rows == 1
