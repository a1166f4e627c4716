"""Quote extraction accuracy on PolNeAR-format data (brat standoff attributions).

The metric follows ../shared/eval/README.md (the Gender Gap Tracker's definitions): a gold
Content span is matched by the best not-yet-used predicted quote whose overlap
|gold ∩ pred| / |gold| (characters) exceeds θ; precision = matched / predicted, recall =
matched / gold. A predicted quote covers its quoted pieces (``segments``), not the attribution
between them. Among matched quotes, speaker accuracy credits a predicted speaker span that
overlaps the gold Source (or an empty speaker for a source-less relation, or a resolved name
containing the Source text) and cue accuracy credits an exact (case-folded) cue. The "direct"
slice keeps gold Contents that contain a quotation mark (not an apostrophe) and predictions
whose span, widened by one character each side to take in its own marks, contains one. The
"speech" slice keeps gold relations whose cue and source the project's rules call speech
(``cue_kind``: not a belief, wish or finding) and rows whose ``cue_kind`` is speech.

What is scored is what users get: by default the articles go through the real flow (ingest →
clean → extract → load into a temporary warehouse) and the quotes rows that land are scored,
their offsets mapped from the cleaned body back to the eval text. ``extractor_only`` scores the
extractor on the raw eval text instead (``python -m evals.quotes FOLDER --extractor-only``).
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from tasks.components.quotes import KINDS, OPENERS, cue_kind, opener_start, past_closer

THRESHOLDS = (0.3, 0.8)
SLICES = ("all", "direct", "speech")
# Precision and recall per row kind and type: gold classified by the same word rules
# (cue_kind) and by its quotation marks (gold_type).
KIND_SLICES = tuple(f"kind={k}" for k in KINDS if k != "speech")  # speech: its own slice
TYPE_SLICES = ("type=direct", "type=partial", "type=indirect")
ALL_SLICES = SLICES + KIND_SLICES + TYPE_SLICES
BANDS = (0.0, 0.3, 0.5, 0.7, 0.9)  # confidence bands: [0, 0.3), [0.3, 0.5) ... [0.9, 1]
# A quotation mark, not an apostrophe: ’ and ' between letters ("Trump’s", "don’t") are not.
QUOTE_CHARS = re.compile(r"[\"“”‘«»]|(?<![^\W\d_])[’']|[’'](?![^\W\d_])")
WORD = re.compile(r"\S+")
SOURCE_NAME = "polnear"  # the inbox folder, so the wire of every eval article
Ranges = tuple[tuple[int, int], ...]
Place = Callable[[int, int], tuple[int, int]]  # a range of the scored text to the eval text's


@dataclass(frozen=True, slots=True)
class Gold:
    """One gold attribution: content ranges, source ranges and cue text."""

    content: Ranges
    content_text: str
    source: Ranges
    source_text: str
    cue: str


@dataclass(frozen=True, slots=True)
class Article:
    """One eval article: its raw text and gold attributions."""

    name: str
    text: str
    gold: tuple[Gold, ...]


@dataclass(frozen=True, slots=True)
class Pred:
    """One predicted quote in the eval text's characters: its pieces, speaker and cue."""

    segments: Ranges
    quote_type: str
    speaker: str | None = None
    speaker_text: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    cue: str | None = None
    cue_start: int | None = None
    cue_kind: str | None = None
    confidence: float | None = None

    @property
    def start_char(self) -> int:
        """Return where the first piece starts."""
        return self.segments[0][0]

    @property
    def end_char(self) -> int:
        """Return where the last piece ends."""
        return self.segments[-1][1]


@dataclass(slots=True)
class QuoteTally:
    """Tallies for one slice at one threshold."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    speaker_ok: int = 0
    cue_ok: int = 0
    stray: int = 0  # predicted rows that overlap no gold content of their article at all
    misses: list[tuple[str, Gold]] = field(default_factory=list)
    rows: list[tuple[float | None, bool, bool]] = field(default_factory=list)

    def add(self, other: QuoteTally) -> None:
        """Add another tally into this one."""
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched
        self.speaker_ok += other.speaker_ok
        self.cue_ok += other.cue_ok
        self.stray += other.stray
        self.misses.extend(other.misses)
        self.rows.extend(other.rows)

    def scores(self) -> dict[str, float]:
        """Return precision, recall, F1, speaker and cue accuracy."""
        p = self.matched / self.predicted if self.predicted else 0.0
        r = self.matched / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        m = self.matched or 1
        return {
            "precision": p,
            "recall": r,
            "f1": f,
            "speaker": self.speaker_ok / m,
            "cue": self.cue_ok / m,
            "stray": self.stray / self.predicted if self.predicted else 0.0,
        }

    def bands(self) -> list[tuple[float, float, int, float, float]]:
        """Return (low, high, rows, share matched, share matched with the right speaker) for
        each confidence band."""
        out = []
        for low, high in zip(BANDS, (*BANDS[1:], 1.01), strict=True):
            rows = [r for r in self.rows if r[0] is not None and low <= r[0] < high]
            n = len(rows) or 1
            matched = sum(m for _, m, _ in rows) / n
            out.append((low, min(high, 1.0), len(rows), matched, sum(s for *_, s in rows) / n))
        return out


@dataclass(slots=True)
class Evaluation:
    """Tallies per slice and threshold, and what was scored: pipeline rows or the raw extractor."""

    mode: str  # "pipeline" or "extractor"
    articles: int
    landed: int  # articles that reached the warehouse (all of them for the extractor)
    counts: dict[str, dict[float, QuoteTally]]


def parse_ranges(spec: str) -> Ranges:
    """Return the (start, end) ranges of a brat span spec such as '10 20;30 40'."""
    out = []
    for part in spec.split(";"):
        start, end = part.split()
        out.append((int(start), int(end)))
    return tuple(out)


def read_ann(path: Path) -> tuple[Gold, ...]:
    """Read brat attributions: T lines for spans, E lines tying Content, Cue and Source."""
    spans: dict[str, tuple[str, Ranges, str]] = {}
    relations: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            kind, _, spec = parts[1].partition(" ")
            spans[parts[0]] = (kind, parse_ranges(spec), parts[2] if len(parts) > 2 else "")
        elif line.startswith("E") and len(parts) >= 2:
            roles = dict(arg.split(":", 1) for arg in parts[1].split() if ":" in arg)
            relations.append(roles)
    gold = []
    for roles in relations:
        content = spans.get(roles.get("Content", ""))
        if content is None:
            continue
        source = spans.get(roles.get("Source", ""), ("", (), ""))
        cue = spans.get(roles.get("Cue", ""), ("", (), ""))
        gold.append(Gold(content[1], content[2], source[1], source[2], cue[2]))
    return tuple(gold)


def load_folder(folder: Path) -> list[Article]:
    """Load text/NAME.txt with the first attributions/NAME_*.ann in name order."""
    articles = []
    for text_path in sorted((folder / "text").glob("*.txt")):
        anns = sorted((folder / "attributions").glob(f"{text_path.stem}_*.ann"))
        if not anns:
            continue
        text = text_path.read_text(encoding="utf-8")
        articles.append(Article(text_path.stem, text, read_ann(anns[0])))
    return articles


def overlap(gold: Ranges, pieces: Ranges) -> float:
    """Return |gold ∩ pieces| / |gold| in characters."""
    size = sum(e - s for s, e in gold)
    if size <= 0:
        return 0.0
    inter = sum(max(0, min(e, pe) - max(s, ps)) for s, e in gold for ps, pe in pieces)
    return inter / size


def gold_type(g: Gold) -> str:
    """Return a gold Content's quote type: direct (within marks), partial (marks inside) or
    indirect (none)."""
    if not QUOTE_CHARS.search(g.content_text):
        return "indirect"
    words = g.content_text.strip(" \t\n,.;:—–-")
    if words[:1] and QUOTE_CHARS.match(words[:1]) and QUOTE_CHARS.search(words[-1:]):
        return "direct"
    return "partial"


def touches_gold(gold: Iterable[Gold], q: Pred) -> bool:
    """Return whether a predicted quote overlaps any gold content at all."""
    return any(overlap(g.content, q.segments) > 0 for g in gold)


def gold_is_direct(g: Gold) -> bool:
    """Return whether a gold Content contains a quotation mark."""
    return bool(QUOTE_CHARS.search(g.content_text))


def pred_is_direct(text: str, q: Pred) -> bool:
    """Return whether a predicted piece, with one character either side, holds a quotation mark."""
    return any(QUOTE_CHARS.search(text[max(0, s - 1) : e + 1]) for s, e in q.segments)


def speaker_ok(g: Gold, q: Pred) -> bool:
    """Return whether the predicted speaker agrees with the gold Source."""
    if not g.source:
        return q.speaker_text is None
    if (
        q.speaker_start is not None
        and q.speaker_end is not None
        and any(s < q.speaker_end and q.speaker_start < e for s, e in g.source)
    ):
        return True
    name = (q.speaker or "").casefold()
    return bool(name) and bool(g.source_text.strip()) and g.source_text.casefold() in name


def cue_ok(g: Gold, q: Pred) -> bool:
    """Return whether the predicted cue equals the gold cue text, case-folded."""
    return bool(q.cue) and q.cue.strip().casefold() == g.cue.strip().casefold()


def score_article(
    gold: Iterable[Gold], preds: list[Pred], theta: float, name: str = ""
) -> QuoteTally:
    """Match gold to predictions greedily (best unused overlap > θ) and tally."""
    counts = QuoteTally(predicted=len(preds))
    used: set[int] = set()
    right: set[int] = set()  # matched rows whose speaker is right too
    for g in gold:
        counts.gold += 1
        best, best_i = theta, None
        for i, q in enumerate(preds):
            if i in used:
                continue
            o = overlap(g.content, q.segments)
            if o > best:
                best, best_i = o, i
        if best_i is None:
            counts.misses.append((name, g))
            continue
        used.add(best_i)
        counts.matched += 1
        if speaker_ok(g, preds[best_i]):
            counts.speaker_ok += 1
            right.add(best_i)
        counts.cue_ok += cue_ok(g, preds[best_i])
    counts.rows = [(q.confidence, i in used, i in right) for i, q in enumerate(preds)]
    return counts


def attributions(preds: list[Pred]) -> list[Pred]:
    """Return one prediction per attribution: drop a quote inside the reported clause holding it.

    PolNeAR labels one Content per relation; the extractor also reports the quoted words of a
    reported clause (for quote tracking), which lie inside that clause's relation: a fragment
    inside any reported clause, or a quote inside a clause with the same cue.
    """
    return [
        q
        for q in preds
        if not any(
            o is not q
            and o.quote_type == "indirect"
            and (q.quote_type == "partial" or o.cue_start == q.cue_start)
            and o.start_char <= q.start_char
            and q.end_char <= o.end_char
            for o in preds
        )
    ]


def with_marks(text: str, q: Pred) -> Pred:
    """Return a quote whose pieces take in the quotation marks around them, as PolNeAR's do.

    wiredesk's offsets stop inside the marks; PolNeAR's include them, which decides short quotes
    ("“USA! USA!”" is 11 characters, its words 9: an overlap of 0.82 with the gold, not 1.0).
    """
    pieces = []
    for start, end in q.segments:
        opener = opener_start(text, start)
        if 0 <= opener < start and text[opener:start] in OPENERS:
            start = opener
        pieces.append((start, past_closer(text, end)))
    return Pred(tuple(pieces), *(getattr(q, f) for f in PRED_FIELDS[1:]))


PRED_FIELDS = tuple(Pred.__dataclass_fields__)


def polnear_quotes(text: str, preds: list[Pred]) -> list[Pred]:
    """Return predictions as PolNeAR annotates them: one per attribution, marks in."""
    return [with_marks(text, q) for q in attributions(preds)]


def as_pred(row: Mapping[str, Any], place: Place) -> Pred:
    """Return a quote row (a Quote or a warehouse row) as a Pred in the eval text's characters."""
    pieces = row.get("segments") or [(row["start_char"], row["end_char"])]
    pieces = [(p["start_char"], p["end_char"]) if isinstance(p, Mapping) else p for p in pieces]
    speaker = (None, None)
    if row["speaker_start"] is not None and row["speaker_end"] is not None:
        speaker = place(row["speaker_start"], row["speaker_end"])
    cue_start = None if row["cue_start"] is None else place(row["cue_start"], row["cue_end"])[0]
    return Pred(
        tuple(place(s, e) for s, e in pieces),
        row["quote_type"],
        row["speaker"],
        row["speaker_text"],
        *speaker,
        row["cue"],
        cue_start,
        row.get("cue_kind"),
        None if row.get("confidence") is None else round(row["confidence"], 2),  # float32
    )


def same_place(start: int, end: int) -> tuple[int, int]:
    """Return a range unchanged: the extractor read the eval text itself."""
    return start, end


def body_places(raw: str, body: str) -> Place:
    """Return a mapper of cleaned-body ranges to the raw text they were cleaned from.

    Cleaning drops a headline, byline, dateline, boilerplate and credit lines and folds spaces;
    the words that remain are aligned to the raw words, and a body character maps to its word's
    raw character (one between words to the raw character after the word before it).
    """
    raw_words = [(m.start(), m.group()) for m in WORD.finditer(raw)]
    body_words = [(m.start(), m.group()) for m in WORD.finditer(body)]
    matcher = SequenceMatcher(
        None, [w for _, w in raw_words], [w for _, w in body_words], autojunk=False
    )
    starts: list[int] = []  # body positions where an aligned run of characters begins
    shifts: list[int] = []  # raw position minus body position over that run
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            starts.append(body_words[b + k][0])
            shifts.append(raw_words[a + k][0] - body_words[b + k][0])

    def place(start: int, end: int) -> tuple[int, int]:
        """Return a body range in raw characters."""
        if not starts:
            return start, end
        first = shifts[max(0, bisect_right(starts, start) - 1)]
        last = shifts[max(0, bisect_right(starts, max(start, end - 1)) - 1)]
        return start + first, end + last

    return place


def extractor_predictions(
    articles: list[Article], model: str | None, full_parse: bool = False
) -> list[list[Pred]]:
    """Run the extractor on each article's raw text and return its quotes."""
    from tasks.extract import DEFAULT_MODEL, load_nlp

    nlp = load_nlp(model or DEFAULT_MODEL, full_parse)
    docs = nlp.pipe((a.text for a in articles), batch_size=16)
    return [[as_pred(q._asdict(), same_place) for q in doc._.wd_quotes or []] for doc in docs]


def run_pipeline(inbox: Path, root: Path, model: str | None, full_parse: bool = False) -> None:
    """Run the ingest flow on an inbox folder into a warehouse, on a temporary Prefect server."""
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    from flows.pipeline import ingest_flow
    from flows.runners import start_server_early

    server = start_server_early()  # none when an API is configured (tests, a served install)
    api = {}
    try:
        if server is not None:
            server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
            api = {PREFECT_API_URL: server.api_url}
        with temporary_settings(api), quiet_run_logs():
            ingest_flow(
                paths=[str(inbox)],
                warehouse=str(root),
                model=model,
                n_process=1,
                full_parse=full_parse or None,  # None: the settings'
            )
    finally:
        APILogHandler().flush()  # the run's last logs reach the server before it stops
        if server is not None:
            server.stop()


@contextmanager
def quiet_run_logs() -> Iterator[None]:
    """Keep the flow's per-batch logs off the terminal: the eval prints only its scores."""
    loggers = [logging.getLogger(n) for n in ("prefect", "prefect.flow_runs", "prefect.task_runs")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def pipeline_predictions(
    articles: list[Article], model: str | None, full_parse: bool = False
) -> list[list[Pred] | None]:
    """Load the articles through the real flow into a temporary warehouse; return the rows."""
    from warehouse import Warehouse

    with tempfile.TemporaryDirectory(prefix="wiredesk-eval-") as tmp:
        inbox = Path(tmp, "inbox", SOURCE_NAME)
        inbox.mkdir(parents=True)
        for article in articles:
            (inbox / f"{article.name}.txt").write_text(article.text, encoding="utf-8")
        root = Path(tmp, "warehouse")
        run_pipeline(inbox, root, model, full_parse)
        return landed_predictions(articles, Warehouse(root))


def landed_predictions(articles: list[Article], warehouse: Any) -> list[list[Pred] | None]:
    """Return the quotes rows of each article in the warehouse (None: the article never landed)."""
    loaded = warehouse.read("articles", columns=["article_id", "source_item_id", "body"])
    rows: dict[str, list[dict]] = defaultdict(list)
    for row in warehouse.read("quotes").to_pylist():
        rows[row["article_id"]].append(row)
    by_name = {r["source_item_id"]: r for r in loaded.to_pylist()}
    out: list[list[Pred] | None] = []
    for article in articles:
        found = by_name.get(article.name)
        if found is None:
            out.append(None)
            continue
        place = body_places(article.text, found["body"])
        quotes = sorted(rows[found["article_id"]], key=lambda r: r["quote_idx"])
        out.append([as_pred(r, place) for r in quotes])
    return out


def evaluate(
    folder: Path,
    model: str | None = None,
    limit: int | None = None,
    extractor_only: bool = False,
    full_parse: bool = False,
) -> Evaluation:
    """Score the quotes of a PolNeAR-format folder per slice and threshold."""
    articles = load_folder(Path(folder))[:limit]
    if not articles:
        raise FileNotFoundError(
            f"no PolNeAR articles (text/*.txt + attributions/*.ann) in {folder}"
        )
    if extractor_only:
        found: list[list[Pred] | None] = list(extractor_predictions(articles, model, full_parse))
    else:
        found = pipeline_predictions(articles, model, full_parse)
    counts = {s: {t: QuoteTally() for t in THRESHOLDS} for s in ALL_SLICES}
    for article, preds in zip(articles, found, strict=True):
        score_into(counts, article, polnear_quotes(article.text, preds or []))
    landed = sum(p is not None for p in found)
    return Evaluation("extractor" if extractor_only else "pipeline", len(articles), landed, counts)


def score_into(
    counts: dict[str, dict[float, QuoteTally]], article: Article, preds: list[Pred]
) -> None:
    """Add one article's tallies per slice and threshold."""
    slices = {
        "all": (list(article.gold), preds),
        "direct": (
            [g for g in article.gold if gold_is_direct(g)],
            [q for q in preds if pred_is_direct(article.text, q)],
        ),
        "speech": (
            [g for g in article.gold if gold_kind(g) == "speech"],
            [q for q in preds if q.cue_kind == "speech"],
        ),
    }
    for kind in KINDS[1:]:
        slices[f"kind={kind}"] = (
            [g for g in article.gold if gold_kind(g) == kind],
            [q for q in preds if q.cue_kind == kind],
        )
    for kind in ("direct", "partial", "indirect"):
        slices[f"type={kind}"] = (
            [g for g in article.gold if gold_type(g) == kind],
            [q for q in preds if q.quote_type == kind],
        )
    for name, (gold, chosen) in slices.items():
        stray = sum(not touches_gold(article.gold, q) for q in chosen)
        for t in THRESHOLDS:
            tally = score_article(gold, chosen, t, article.name)
            tally.stray = stray
            counts[name][t].add(tally)


def gold_kind(g: Gold) -> str:
    """Return the cue kind the project's word rules give a gold attribution."""
    content = g.content_text if gold_type(g) == "indirect" else None
    return cue_kind(g.cue, g.source_text, content)


def report(result: Evaluation) -> str:
    """Return the metrics as a small table under a line saying what was scored."""
    if result.mode == "pipeline":
        what = (
            f"quotes rows loaded through the pipeline (ingest, clean, extract, load): "
            f"{result.landed} of {result.articles} articles landed"
        )
    else:
        what = f"extractor only, on the raw text of {result.articles} articles (not what lands)"
    lines = [
        what,
        f"{'slice':<15}{'θ':>5}{'gold':>7}{'pred':>7}{'match':>7}"
        f"{'P':>7}{'R':>7}{'F1':>7}{'speaker':>9}{'cue':>7}{'no-gold':>9}",
    ]
    for slice_name, by_theta in result.counts.items():
        for t, c in by_theta.items():
            s = c.scores()
            lines.append(
                f"{slice_name:<15}{t:>5.1f}{c.gold:>7}{c.predicted:>7}{c.matched:>7}"
                f"{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                f"{s['speaker']:>9.3f}{s['cue']:>7.3f}{s['stray']:>9.3f}"
            )
    lines += ["", "precision by confidence band (θ=0.3): rows, matched, matched with the speaker"]
    for name in ("all", "speech"):
        for low, high, n, matched, right in result.counts[name][0.3].bands():
            lines.append(f"band {name:<7}{low:.1f}-{high:.1f}{n:>7}{matched:>8.3f}{right:>8.3f}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Print the scores of a folder: `python -m evals.quotes FOLDER [--extractor-only]`."""
    args = [a for a in argv if a != "--extractor-only"]
    if len(args) != 1:
        print("usage: python -m evals.quotes FOLDER [--extractor-only]", file=sys.stderr)
        return 2
    print(report(evaluate(Path(args[0]), extractor_only="--extractor-only" in argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
