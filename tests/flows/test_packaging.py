"""Packaging: a wheel ships the sample inbox that `wiredesk run` reads by default."""

from __future__ import annotations

import tomllib
from pathlib import Path

import flows
from flows.pipeline import SAMPLE_INBOX
from tests.conftest import REPO


def flows_package_data() -> set[Path]:
    """Return the files setuptools collects as the flows package's data, by pyproject's globs."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    folder = Path(flows.__file__).parent
    patterns = project["tool"]["setuptools"]["package-data"]["flows"]
    return {p.resolve() for pattern in patterns for p in folder.glob(pattern) if p.is_file()}


def test_the_default_inbox_is_package_data_of_flows() -> None:
    assert (REPO / "samples" / "inbox").resolve() == SAMPLE_INBOX
    inbox = {p.resolve() for p in SAMPLE_INBOX.rglob("*") if p.is_file()}
    assert len(inbox) >= 10
    assert inbox <= flows_package_data()
