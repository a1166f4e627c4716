"""Batches: small first and last batches, and spaCy workers started before the first parse."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

import tasks.ingest
from flows.pipeline import ingest_flow
from tasks.extract import DEFAULT_MODEL, parse_parallel, parse_texts, warm_up
from tasks.ingest import discover, looks_new, ramp_sizes
from tasks.options import RunOptions
from tests.conftest import SAMPLE_INBOX
from tests.flows.test_resume import tables
from warehouse import Warehouse


@pytest.mark.parametrize(
    ("n", "size", "expected"),
    [
        (840, 500, [32, 64, 128, 392, 128, 64, 32]),
        (100, 500, [32, 36, 32]),
        (70, 500, [70]),  # too few to ramp: one batch
        (18, 4, [4, 4, 3, 3, 4]),
        (0, 500, []),
    ],
)
def test_batches_ramp_up_and_down_and_never_exceed_the_size(n, size, expected):
    assert ramp_sizes(n, size) == expected


def test_long_inputs_ramp_to_full_batches():
    sizes = ramp_sizes(100_000, 500)
    assert sum(sizes) == 100_000 and max(sizes) == 500
    assert sizes[:4] == [32, 64, 128, 256] and sizes[-4:] == [256, 128, 64, 32]
    assert all(250 <= s <= 500 for s in sizes[4:-4])  # the rest near-equal, near full


def test_discover_splits_by_ramp_and_still_by_bytes(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(100):
        (inbox / f"{i:03d}.txt").write_text("x" * 100)
    options = RunOptions(source="wire", batch_files=500)
    specs = discover.fn([str(inbox)], Warehouse(tmp_path / "wh"), options)
    assert [len(s.files) for s in specs] == [32, 36, 32]
    assert [s.label for s in specs] == ["wire-1of3", "wire-2of3", "wire-3of3"]
    assert sorted(f for s in specs for f in s.files) == sorted(str(p) for p in inbox.iterdir())


def test_warm_workers_parse_even_a_small_batch_off_this_process(nlp):
    started = warm_up(DEFAULT_MODEL, 2)
    pids = {f.result(timeout=120) for f in started}  # a worker that is ready may serve both
    assert pids and os.getpid() not in pids
    spawned = [p for p in psutil.Process().children() if "spawn_main" in " ".join(p.cmdline())]
    assert len(spawned) == 2  # both workers started, before any text was sent
    texts = ["“We will not give up,” said Anna de Vries, the union leader.", "Rain fell."]
    assert parse_parallel(DEFAULT_MODEL, texts, 2) == parse_texts(DEFAULT_MODEL, texts)


def test_ramped_run_on_warm_workers_equals_one_in_process_and_reruns_add_nothing(
    prefect_harness, tmp_path, monkeypatch
):
    monkeypatch.setattr(tasks.ingest, "RAMP_FILES", 2)  # 18 files: batches of 2, 4, 6, 4, 2
    here, workers = tmp_path / "here", tmp_path / "workers"
    assert looks_new([str(SAMPLE_INBOX)], Warehouse(workers), None)
    ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(here), n_process=1)
    report = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(workers), n_process=2)
    assert report.counts.articles_loaded == 14 and report.counts.mentions > 0
    loaded = tables(workers)
    assert loaded == tables(here)
    assert not looks_new([str(SAMPLE_INBOX)], Warehouse(workers), None)
    again = ingest_flow(paths=[str(SAMPLE_INBOX)], warehouse=str(workers), n_process=2)
    assert again.counts.articles_loaded == 0 and again.counts.documents_skipped == 13
    after = tables(workers)
    assert len(after.pop("runs")) == 2 and after == {k: v for k, v in loaded.items() if k != "runs"}


def test_looks_new_sees_a_file_the_raw_archive_lacks_by_name_and_bytes(prefect_harness, tmp_path):
    inbox = tmp_path / "inbox" / "wire"
    inbox.mkdir(parents=True)
    (inbox / "a.txt").write_text("Dock strike ends\n\nWorkers returned to the port on Monday.")
    root = tmp_path / "wh"
    ingest_flow(paths=[str(inbox)], warehouse=str(root), n_process=1)
    assert not looks_new([str(inbox)], Warehouse(root), None)
    # A byte-identical copy under a new name is archived already: nothing new to parse.
    (inbox / "a-copy.txt").write_bytes((inbox / "a.txt").read_bytes())
    assert not looks_new([str(inbox)], Warehouse(root), None)
    (inbox / "b.txt").write_text("Rates held\n\nThe central bank kept rates unchanged.")
    assert looks_new([str(inbox)], Warehouse(root), None)


def test_workers_exit_by_themselves_when_their_parent_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    script = (
        "from tasks.extract import DEFAULT_MODEL, warm_up\n"
        "print(*sorted({f.result() for f in warm_up(DEFAULT_MODEL, 2)}), flush=True)\n"
        "import time; time.sleep(300)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
    )
    pids = [int(p) for p in parent.stdout.readline().split()]
    workers = [psutil.Process(p) for p in pids]
    assert workers and all(w.is_running() for w in workers)
    parent.send_signal(signal.SIGKILL)  # no atexit, no pool shutdown
    parent.wait()

    def alive(worker: psutil.Process) -> bool:
        try:
            return worker.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(map(alive, workers)):
        time.sleep(0.2)
    assert not any(map(alive, workers))
