"""Shared fixtures: an isolated Prefect test server, the spaCy pipeline, data paths."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before Prefect is imported anywhere: keep its database and cached results out of ~/.prefect.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="wiredesk-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"
SAMPLE_INBOX = REPO / "samples" / "inbox"


@pytest.fixture(scope="session")
def prefect_harness():
    """Run flows against a temporary Prefect server for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def nlp():
    """Load the default spaCy pipeline with wiredesk's components once."""
    from tasks.extract import DEFAULT_MODEL, load_nlp

    return load_nlp(DEFAULT_MODEL)


def need(path: Path) -> Path:
    """Skip the test with a message when shared data is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent (it ships in ../shared beside the repository)")
    return path


@pytest.fixture(scope="session")
def s3():
    """Run a local S3-compatible server (moto) for the session; point AWS_* at it."""
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    from scripts.s3_server import s3_server

    with s3_server() as server:
        saved = {k: os.environ.get(k) for k in server.env}
        os.environ.update(server.env)
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
