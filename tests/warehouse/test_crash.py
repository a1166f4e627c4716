"""The crash test of scripts/crash_test.py at a few kill points (the script runs 50)."""

from __future__ import annotations

import importlib.util
import os

from tests.conftest import REPO
from warehouse import store


def load_script():
    spec = importlib.util.spec_from_file_location("crash_test", REPO / "scripts" / "crash_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readers_see_committed_state_after_sigkill_and_a_rerun_completes(tmp_path, monkeypatch):
    crash = load_script()
    # A killed process loses nothing fsync would keep, so skip the disk flushes to stay fast.
    monkeypatch.setenv(store.FSYNC_ENV, "0")
    monkeypatch.setattr(store, "_FSYNC", False)
    points = int(os.environ.get("WIREDESK_CRASH_POINTS", "5"))
    lines: list[str] = []
    assert crash.crash_test(points, tmp_path, echo=lines.append) == points
    kinds = " ".join(lines)
    assert "mid-file" in kinds and "symlink-staged" in kinds and "swapped" in kinds


def test_kill_points_cover_each_kind_then_spread_evenly():
    crash = load_script()
    labels = ["link"] * 40 + ["mid-file", "file-written", "file-renamed"] * 10 + ["swapped"]
    chosen = crash.kill_points(labels, 12)
    assert len(chosen) == len(set(chosen)) == 12
    assert {labels[i - 1] for i in chosen} >= {"link", "mid-file", "file-renamed", "swapped"}
    assert min(chosen) >= 1 and max(chosen) <= len(labels)
