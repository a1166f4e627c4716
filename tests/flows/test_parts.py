"""A file of many items goes through the flow in parts bounded in documents, losing nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tasks.dedup
import tasks.ingest
from flows.pipeline import ingest_flow
from scripts.live_site import generated_article
from tasks.staging import pending_raw_ids
from tests.conftest import REPO
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
    assert warehouse.read("raw").num_rows == 1  # with the first part, kept once
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
    assert warehouse.read("raw").num_rows == 1  # with it: every article has its raw row
    monkeypatch.setattr(tasks.dedup, "deduplicate_articles", real)
    ingest_flow(paths=[str(big_file)], warehouse=root)
    articles = warehouse.read("articles")
    assert articles.num_rows == 25 == len(set(articles["article_id"].to_pylist()))
    assert warehouse.read("raw").num_rows == 1


def jsonl_record(number: int) -> str:
    """Return one JSON Lines item with a body of its own."""
    article = generated_article(number)
    body = "\n\n".join(article.paragraphs)
    return json.dumps({"id": f"bulk-{number}", "title": article.title, "body": body})


def run_in_parts(path: Path, root: Path, home: Path) -> subprocess.Popen:
    """Start `wiredesk run` as its own process, with parts of 10 documents."""
    from prefect.settings import PREFECT_API_URL

    code = "import tasks.ingest; tasks.ingest.MAX_DOCUMENTS = 10; from flows.cli import app; app()"
    command = [sys.executable, "-c", code, "run", str(path), "-w", str(root), "--n-process", "1"]
    env = os.environ | {"PYTHONPATH": str(REPO), "PREFECT_HOME": str(home),
                        "PREFECT_API_URL": PREFECT_API_URL.value()}  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def articles_without_raw(root: Path) -> int:
    """Return how many committed articles have no raw row."""
    warehouse = Warehouse(root)
    raw = set(warehouse.read("raw", columns=["raw_id"])["raw_id"].to_pylist())
    ids = warehouse.read("articles", columns=["raw_id"])["raw_id"].to_pylist()
    return sum(raw_id not in raw for raw_id in ids)


def finished(process: subprocess.Popen) -> str:
    """Wait for a run; return its output, failing the test if it failed."""
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out.decode()[-3000:]
    return out.decode()


def test_a_run_killed_between_parts_leaves_every_article_with_its_raw_row(
    prefect_harness, tmp_path
):
    items = tmp_path / "inbox" / "bulk" / "items.jsonl"
    items.parent.mkdir(parents=True)
    items.write_text("".join(jsonl_record(n) + "\n" for n in range(1, 81)), encoding="utf-8")
    root = tmp_path / "wh"
    run = run_in_parts(items, root, tmp_path / "home-1")
    deadline = time.monotonic() + 600
    loaded = 0
    while loaded < 20 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        if (root / "_current").exists():
            loaded = Warehouse(root).read("articles", columns=["article_id"]).num_rows
    os.kill(run.pid, signal.SIGKILL)  # mid-way: some parts committed, the others not
    run.wait()
    assert 20 <= loaded < 80, loaded
    assert articles_without_raw(root) == 0
    # Rerun in a Prefect home of its own: no cached stage, the file is read again from disk.
    finished(run_in_parts(items, root, tmp_path / "home-2"))
    articles = Warehouse(root).read("articles", columns=["article_id", "raw_id"])
    assert articles.num_rows == 80 == len(set(articles["article_id"].to_pylist()))
    assert Warehouse(root).read("raw").num_rows == 1 and articles_without_raw(root) == 0
    # The feed gains an entry: a new raw row, and the earlier articles keep theirs.
    with items.open("a", encoding="utf-8") as out:
        out.write(jsonl_record(81) + "\n")
    finished(run_in_parts(items, root, tmp_path / "home-2"))
    assert Warehouse(root).read("articles").num_rows == 81
    assert Warehouse(root).read("raw").num_rows == 2 and articles_without_raw(root) == 0
    assert "nothing new" in finished(run_in_parts(items, root, tmp_path / "home-2"))
    assert not pending_raw_ids(Warehouse(root).work_dir)  # every mark cleared with its run
