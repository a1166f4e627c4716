"""`wiredesk run` into a warehouse on a real S3-compatible server (moto, on loopback)."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO, SAMPLE_INBOX, SEEDS, need
from tests.flows.test_resume import tables

pytestmark = pytest.mark.slow


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the wiredesk command line against the test Prefect server."""
    from prefect.settings import PREFECT_API_URL

    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", *args],
        cwd=REPO,
        env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_seeds_load_into_the_store_and_a_rerun_adds_nothing(s3, prefect_harness):
    root = f"s3://{s3.bucket()}/wh"
    first = run(str(need(SEEDS)), "--source", "seeds", "--warehouse", root)
    assert first.returncode == 0, first.stderr[-2000:]
    articles = pd.read_parquet(f"{root}/articles", columns=["article_id", "story_id"])
    assert len(articles) == 2 and articles["story_id"].nunique() == 1
    assert len(pd.read_parquet(f"{root}/stories")) == 1
    before = tables(root)
    again = run(str(SEEDS), "--source", "seeds", "--warehouse", root)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "nothing new" in again.stdout
    after = tables(root)
    assert len(after.pop("runs")) == 2 and len(before.pop("runs")) == 1
    assert after == before
    bucket = root.removeprefix("s3://").split("/")[0]
    assert not [k for k in s3.keys(bucket, "wh/_work/") if not k.endswith("/")]  # staging cleared


ARGS = [str(SAMPLE_INBOX), "--batch-files", "4", "--n-process", "1"]


@pytest.fixture(scope="module")
def clean(s3, prefect_harness) -> dict[str, list[str]]:
    """Return the tables of one uninterrupted run of the sample, without its runs row."""
    root = f"s3://{s3.bucket()}/wh"
    assert run(*ARGS, "--warehouse", root).returncode == 0
    found = tables(root)
    assert len(found.pop("runs")) == 1
    return found


def test_a_run_killed_mid_way_then_rerun_loses_and_doubles_nothing(s3, clean):
    killed = f"s3://{s3.bucket()}/wh"
    args = ARGS
    # Killed at its 30th upload step: inside the second batch's commit, after its first.
    crashed = run(*args, "--warehouse", killed, WIREDESK_FAILPOINT="30")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    partial = tables(killed)
    assert 0 < len(partial["articles"]) < len(clean["articles"])
    rerun = run(*args, "--warehouse", killed, WIREDESK_LOCK_LEASE="2")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    got = tables(killed)
    assert len(got.pop("runs")) == 1  # the killed run left none
    assert got == clean
    assert len(pd.read_parquet(f"{killed}/articles")) == len(clean["articles"])


def test_two_runs_at_once_end_like_one_run(s3, clean):
    two = f"s3://{s3.bucket()}/wh"
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    both = [
        subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", *ARGS, "--warehouse", two],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    assert [p.wait(timeout=600) for p in both] == [0, 0], [p.stderr.read()[-1000:] for p in both]
    got = tables(two)
    assert len(got.pop("runs")) == 2
    assert got == clean
