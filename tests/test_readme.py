"""The README stays product documentation: short, current, linked, and true to the schemas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse.schemas import TABLES

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MAX_LINES = 400
# Wording that dates a page: the docs describe the product as it is, not how it got there.
HISTORY = ("this session", "previous session", "last session", "sessions ago")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)")


def pages() -> list[Path]:
    """Return the README and every page under docs/."""
    return [README, *sorted((REPO / "docs").glob("*.md"))]


def test_readme_is_under_the_line_limit():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; move detail into docs/ pages"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_pages_do_not_describe_the_past(page: Path):
    text = page.read_text(encoding="utf-8").lower()
    found = [phrase for phrase in HISTORY if phrase in text]
    assert not found, f"{page.name} says {found}: describe the product as it is"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_relative_links_point_at_files(page: Path):
    targets = [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"


def table_sections(text: str) -> dict[str, str]:
    """Split the README's 'The tables' section into one chunk per **table** heading."""
    section = text.split("\n## The tables\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^\*\*(\w+)\*\*", section, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_schema_column_is_documented_under_its_table():
    sections = table_sections(README.read_text(encoding="utf-8"))
    assert set(sections) == set(TABLES), "one **table** entry per warehouse table"
    undocumented = {
        name: [c for c in spec.schema.names if not re.search(rf"\b{c}\b", sections[name])]
        for name, spec in TABLES.items()
    }
    assert not any(undocumented.values()), f"columns missing from README: {undocumented}"
