"""Named-entity accuracy on CoNLL-format data (CoNLL-2003 / CoNLL++ English).

The metric follows ../shared/eval/README.md: entity-level exact-span micro precision, recall and
F1 over PER, ORG and LOC, mapping spaCy labels PERSON→PER, ORG→ORG, GPE/LOC/FAC→LOC; MISC
(NORP, EVENT, PRODUCT, ...) is reported apart.

The extractor is the production one: ``load_nlp`` from tasks/extract.py and
``doc._.wd_mentions``, run document by document (``-DOCSTART-`` splits documents). A document's
text is its tokens joined by single spaces, one sentence a line, so predicted character offsets
map back to token indices exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tasks.extract import DEFAULT_MODEL, load_nlp

CLASSES = ("PER", "ORG", "LOC")
SPACY_TO_CONLL = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
Entity = tuple[int, int, str]  # first token, token after the last, class


@dataclass(frozen=True, slots=True)
class Document:
    """One eval document: sentences of tokens and its gold entities."""

    sentences: tuple[tuple[str, ...], ...]
    gold: frozenset[Entity]

    def text_and_starts(self) -> tuple[str, list[int]]:
        """Return the text (tokens joined by spaces, one sentence a line) and token offsets."""
        starts: list[int] = []
        pos = 0
        lines = []
        for sentence in self.sentences:
            for token in sentence:
                starts.append(pos)
                pos += len(token) + 1
            lines.append(" ".join(sentence))
        return "\n".join(lines), starts


@dataclass(slots=True)
class EntityTally:
    """True positives, predictions and gold entities per class."""

    tp: dict[str, int] = field(default_factory=dict)
    pred: dict[str, int] = field(default_factory=dict)
    gold: dict[str, int] = field(default_factory=dict)

    def add(self, gold: frozenset[Entity], pred: set[Entity]) -> None:
        """Count one document's gold and predicted entities."""
        for name, items in (("gold", gold), ("pred", pred), ("tp", gold & pred)):
            tally = getattr(self, name)
            for _, _, cls in items:
                tally[cls] = tally.get(cls, 0) + 1

    def scores(self, classes: tuple[str, ...]) -> tuple[float, float, float]:
        """Return micro precision, recall and F1 over the given classes."""
        tp = sum(self.tp.get(c, 0) for c in classes)
        pred = sum(self.pred.get(c, 0) for c in classes)
        gold = sum(self.gold.get(c, 0) for c in classes)
        p = tp / pred if pred else 0.0
        r = tp / gold if gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def spans_from_tags(tags: list[str]) -> set[Entity]:
    """Return entities from IOB1/IOB2 tags (an I- after another class also opens an entity)."""
    found: set[Entity] = set()
    start, cls = None, None
    for i, tag in enumerate([*tags, "O"]):
        kind, _, name = tag.partition("-")
        opens = kind == "B" or (kind == "I" and name != cls)
        if cls is not None and (kind == "O" or opens):
            found.add((start, i, cls))
            start, cls = None, None
        if opens:
            start, cls = i, name
    return found


def read_conll(path: Path) -> list[Document]:
    """Read a CoNLL file (WORD ... TAG per line) into documents split at -DOCSTART-."""
    docs: list[Document] = []
    sentences: list[tuple[str, ...]] = []
    sentence: list[str] = []
    tags: list[str] = []

    def close_sentence() -> None:
        if sentence:
            sentences.append(tuple(sentence))
            sentence.clear()

    def close_document() -> None:
        close_sentence()
        if sentences:
            docs.append(Document(tuple(sentences), frozenset(spans_from_tags(tags))))
        sentences.clear()
        tags.clear()

    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            close_sentence()
        elif parts[0] == "-DOCSTART-":
            close_document()
        else:
            sentence.append(parts[0])
            tags.append(parts[-1])
    close_document()
    return docs


def predict(
    docs: list[Document], model: str | None = None, full_parse: bool = False
) -> Iterator[set[Entity]]:
    """Run the production pipeline on each document and yield its entities as token spans."""
    nlp = load_nlp(model or DEFAULT_MODEL, full_parse)
    texts = [d.text_and_starts() for d in docs]
    parsed = nlp.pipe((text for text, _ in texts), batch_size=16)
    for (_, starts), doc in zip(texts, parsed, strict=True):
        found: set[Entity] = set()
        for m in doc._.wd_mentions or []:
            cls = SPACY_TO_CONLL.get(m[3])
            if cls is None:
                continue
            first = bisect.bisect_right(starts, m[0]) - 1
            last = bisect.bisect_right(starts, m[1] - 1) - 1
            found.add((first, last + 1, cls))
        yield found


def evaluate(
    path: Path, model: str | None = None, limit: int | None = None, full_parse: bool = False
) -> EntityTally:
    """Return entity counts for a CoNLL-format file."""
    docs = read_conll(Path(path))[:limit]
    if not docs:
        raise FileNotFoundError(f"no CoNLL documents in {path}")
    counts = EntityTally()
    for doc, pred in zip(docs, predict(docs, model, full_parse), strict=True):
        counts.add(doc.gold, pred)
    return counts


def report(counts: EntityTally) -> str:
    """Return precision, recall and F1 per class and micro-averaged over PER, ORG, LOC."""
    lines = [f"{'class':<14}{'gold':>7}{'pred':>7}{'tp':>7}{'P':>8}{'R':>8}{'F1':>8}"]
    rows = [(c, (c,)) for c in (*CLASSES, "MISC")] + [("PER+ORG+LOC", CLASSES)]
    for name, classes in rows:
        p, r, f = counts.scores(classes)
        gold = sum(counts.gold.get(c, 0) for c in classes)
        pred = sum(counts.pred.get(c, 0) for c in classes)
        tp = sum(counts.tp.get(c, 0) for c in classes)
        lines.append(f"{name:<14}{gold:>7}{pred:>7}{tp:>7}{p:>8.3f}{r:>8.3f}{f:>8.3f}")
    return "\n".join(lines)
