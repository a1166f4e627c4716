"""Report: what one run added, read back from the warehouse for people and the Prefect UI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow.compute as pc

from warehouse import Warehouse

TOP = 10


@dataclass(slots=True)
class StoryLine:
    """A story that gained articles in the run."""

    story_id: str
    title: str
    n_articles: int
    sources: list[str]
    new: bool


@dataclass(slots=True)
class RunDigest:
    """Counts per stage plus the run's most notable rows."""

    run_id: str
    counts: dict[str, int]
    rejects_by_reason: dict[str, int]
    stories: list[StoryLine] = field(default_factory=list)
    top_speakers: list[tuple[str, int]] = field(default_factory=list)
    top_entities: list[tuple[str, str, int]] = field(default_factory=list)


def digest_run(
    warehouse: Warehouse, run_id: str, counts: dict[str, int], rejects_by_reason: dict[str, int]
) -> RunDigest:
    """Read the rows a run committed and summarise them."""
    in_run = pc.field("run_id") == run_id
    articles = warehouse.read("articles", columns=["article_id", "story_id"], filter=in_run)
    story_ids = set(articles["story_id"].to_pylist())
    stories = warehouse.read("stories").to_pylist()
    new_ids = {
        s
        for s, a in zip(
            articles["story_id"].to_pylist(), articles["article_id"].to_pylist(), strict=True
        )
        if s == f"s-{a}"
    }
    lines = [
        StoryLine(
            s["story_id"], s["title"] or "", s["n_articles"], s["sources"], s["story_id"] in new_ids
        )
        for s in stories
        if s["story_id"] in story_ids
    ]
    lines.sort(key=lambda line: (-line.n_articles, line.title))
    quotes = warehouse.read("quotes", columns=["speaker"], filter=in_run)
    speakers = Counter(s for s in quotes["speaker"].to_pylist() if s)
    mentions = warehouse.read("mentions", columns=["canonical", "label"], filter=in_run)
    named = Counter(
        zip(mentions["canonical"].to_pylist(), mentions["label"].to_pylist(), strict=True)
    )
    return RunDigest(
        run_id=run_id,
        counts=counts,
        rejects_by_reason=rejects_by_reason,
        stories=lines[:TOP],
        top_speakers=speakers.most_common(TOP),
        top_entities=[(name, label, n) for (name, label), n in named.most_common(TOP)],
    )


def markdown(digest: RunDigest) -> str:
    """Render a digest as the run's markdown artifact."""
    out = [f"# wiredesk run `{digest.run_id}`", "", "| stage | count |", "|---|---|"]
    out += [f"| {name.replace('_', ' ')} | {n} |" for name, n in digest.counts.items()]
    out += ["", "## Rejects by reason", ""]
    out += [f"- `{r}`: {n}" for r, n in sorted(digest.rejects_by_reason.items())] or ["- none"]
    out += ["", "## Stories", "", "| story | articles | sources | |", "|---|---|---|---|"]
    out += [
        f"| {s.title} | {s.n_articles} | {', '.join(s.sources)} | {'new' if s.new else 'grew'} |"
        for s in digest.stories
    ]
    out += ["", "## Most-quoted speakers", ""]
    out += [f"- {name}: {n}" for name, n in digest.top_speakers] or ["- none"]
    out += ["", "## Most-named entities", ""]
    out += [f"- {name} ({label}): {n}" for name, label, n in digest.top_entities] or ["- none"]
    return "\n".join(out)


def table_rows(digest: RunDigest) -> list[dict[str, object]]:
    """Render a digest's counts as rows for a table artifact."""
    rows: list[dict[str, object]] = [{"metric": k, "value": v} for k, v in digest.counts.items()]
    rows += [
        {"metric": f"rejects:{r}", "value": n} for r, n in sorted(digest.rejects_by_reason.items())
    ]
    return rows
