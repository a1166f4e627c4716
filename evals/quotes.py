"""Quote extraction accuracy on PolNeAR-format data (brat standoff attributions).

The metric follows ../shared/eval/README.md (the Gender Gap Tracker's definitions): a gold
Content span is matched by the best not-yet-used predicted quote whose overlap
|gold ∩ pred| / |gold| (characters) exceeds θ; precision = matched / predicted, recall =
matched / gold. Among matched quotes, speaker accuracy credits a predicted speaker span that
overlaps the gold Source (or an empty speaker for a source-less relation, or a resolved name
containing the Source text) and cue accuracy credits an exact (case-folded) cue. The "direct"
slice keeps gold Contents that contain a quotation mark (not an apostrophe) and predictions
whose span, widened by one character each side to take in its own marks, contains one.

The extractor is the production one: ``load_nlp`` from tasks/extract.py, then ``doc._.wd_quotes``
on the raw eval text, so offsets are the eval file's characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tasks.components.quotes import OPENERS, Quote, opener_start, past_closer
from tasks.extract import load_nlp, model_name

THRESHOLDS = (0.3, 0.8)
# A quotation mark, not an apostrophe: ’ and ' between letters ("Trump’s", "don’t") are not.
QUOTE_CHARS = re.compile(r"[\"“”‘«»]|(?<![^\W\d_])[’']|[’'](?![^\W\d_])")
Ranges = tuple[tuple[int, int], ...]


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


@dataclass(slots=True)
class Counts:
    """Tallies for one slice at one threshold."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    speaker_ok: int = 0
    cue_ok: int = 0
    misses: list[tuple[str, Gold]] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        """Add another tally into this one."""
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched
        self.speaker_ok += other.speaker_ok
        self.cue_ok += other.cue_ok
        self.misses.extend(other.misses)

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
        }


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


def overlap(gold: Ranges, start: int, end: int) -> float:
    """Return |gold ∩ [start, end)| / |gold| in characters."""
    size = sum(e - s for s, e in gold)
    if size <= 0:
        return 0.0
    inter = sum(max(0, min(e, end) - max(s, start)) for s, e in gold)
    return inter / size


def gold_is_direct(g: Gold) -> bool:
    """Return whether a gold Content contains a quotation mark."""
    return bool(QUOTE_CHARS.search(g.content_text))


def pred_is_direct(text: str, q: Quote) -> bool:
    """Return whether a predicted span, with one character either side, holds a quotation mark."""
    return bool(QUOTE_CHARS.search(text[max(0, q.start_char - 1) : q.end_char + 1]))


def speaker_ok(g: Gold, q: Quote) -> bool:
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


def cue_ok(g: Gold, q: Quote) -> bool:
    """Return whether the predicted cue equals the gold cue text, case-folded."""
    return bool(q.cue) and q.cue.strip().casefold() == g.cue.strip().casefold()


def score_article(gold: Iterable[Gold], preds: list[Quote], theta: float, name: str = "") -> Counts:
    """Match gold to predictions greedily (best unused overlap > θ) and tally."""
    counts = Counts(predicted=len(preds))
    used: set[int] = set()
    for g in gold:
        counts.gold += 1
        best, best_i = theta, None
        for i, q in enumerate(preds):
            if i in used:
                continue
            o = overlap(g.content, q.start_char, q.end_char)
            if o > best:
                best, best_i = o, i
        if best_i is None:
            counts.misses.append((name, g))
            continue
        used.add(best_i)
        counts.matched += 1
        counts.speaker_ok += speaker_ok(g, preds[best_i])
        counts.cue_ok += cue_ok(g, preds[best_i])
    return counts


def attributions(preds: list[Quote]) -> list[Quote]:
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


def with_marks(text: str, q: Quote) -> Quote:
    """Return a quote whose span takes in the quotation marks around it, as PolNeAR's Content does.

    wiredesk's offsets stop inside the marks; PolNeAR's include them, which decides short quotes
    ("“USA! USA!”" is 11 characters, its words 9: an overlap of 0.82 with the gold, not 1.0).
    """
    start, end = q.start_char, q.end_char
    opener = opener_start(text, start)
    if 0 <= opener < start and text[opener:start] in OPENERS:
        start = opener
    return q._replace(start_char=start, end_char=past_closer(text, end))


def polnear_quotes(text: str, quotes: list[Quote]) -> list[Quote]:
    """Return the extractor's quotes as PolNeAR annotates them: one per attribution, marks in."""
    return [with_marks(text, q) for q in attributions(quotes)]


def predict(articles: list[Article], model: str | None = None) -> Iterator[list[Quote]]:
    """Run the production pipeline on each article's raw text and yield its quotes."""
    nlp = load_nlp(model or model_name())
    docs = nlp.pipe((a.text for a in articles), batch_size=16)
    for article, doc in zip(articles, docs, strict=True):
        yield polnear_quotes(article.text, list(doc._.wd_quotes or []))


def evaluate(
    folder: Path, model: str | None = None, limit: int | None = None
) -> dict[str, dict[float, Counts]]:
    """Return counts per slice ('all', 'direct') and threshold for a PolNeAR-format folder."""
    articles = load_folder(Path(folder))[:limit]
    if not articles:
        raise FileNotFoundError(
            f"no PolNeAR articles (text/*.txt + attributions/*.ann) in {folder}"
        )
    result = {s: {t: Counts() for t in THRESHOLDS} for s in ("all", "direct")}
    for article, preds in zip(articles, predict(articles, model), strict=True):
        direct_preds = [q for q in preds if pred_is_direct(article.text, q)]
        direct_gold = [g for g in article.gold if gold_is_direct(g)]
        for t in THRESHOLDS:
            result["all"][t].add(score_article(article.gold, preds, t, article.name))
            result["direct"][t].add(score_article(direct_gold, direct_preds, t, article.name))
    return result


def report(result: dict[str, dict[float, Counts]]) -> str:
    """Return the metrics as a small table."""
    lines = [
        f"{'slice':<8}{'θ':>5}{'gold':>7}{'pred':>7}{'match':>7}"
        f"{'P':>7}{'R':>7}{'F1':>7}{'speaker':>9}{'cue':>7}"
    ]
    for slice_name, by_theta in result.items():
        for t, c in by_theta.items():
            s = c.scores()
            lines.append(
                f"{slice_name:<8}{t:>5.1f}{c.gold:>7}{c.predicted:>7}{c.matched:>7}"
                f"{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                f"{s['speaker']:>9.3f}{s['cue']:>7.3f}"
            )
    return "\n".join(lines)
