"""The partial parser: the dependency parse of only the sentences quote extraction reads.

Runs before NER in place of the pipeline's tok2vec and parser; every other sentence gets a flat
tree, so sentences stay intact and no cue is ever looked for there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from spacy.attrs import DEP, HEAD, LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from tasks.common import token_spaces, token_words
from tasks.components.quotes.cues import CUES
from tasks.components.quotes.spans import MARK_TOKENS, QUOTE_MARK

SENTENCE_ENDS = {".", "!", "?"}
TRAILING_MARKS = {"”", "»"}  # a closing mark after . ! ? ends the sentence with it


def segments(words: list[str]) -> list[tuple[int, int]]:
    """Split token words into sentence-like (start, end) runs: at line breaks and . ! ? ends."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        if not word.strip() and bounds and start == i:  # as the parser does: to the one before
            bounds[-1] = (bounds[-1][0], i + 1)
            start = i + 1
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        ends = word in SENTENCE_ENDS or (
            word in TRAILING_MARKS and i > 0 and words[i - 1] in SENTENCE_ENDS
        )
        if ("\n" in word and not word.strip()) or (
            ends
            and after not in TRAILING_MARKS
            and (not after.strip() or after[:1].isupper() or after in MARK_TOKENS)
        ):
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(words):
        bounds.append((start, len(words)))
    return bounds


def parsed_runs(
    words: list[str], lowers: list[str], bounds: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return the runs of adjacent segments (bounds) quote extraction reads.

    That is a segment with a cue word or a quote mark, and the one right after a quote: its
    subject may be the speaker ("“...?” Lena Ruiz went on.").
    """
    cues = CUES | {"according"}
    runs: list[tuple[int, int]] = []
    after_quote = False
    for start, end in bounds:
        marked = any(QUOTE_MARK.search(w) for w in words[start:end])
        if marked or after_quote or any(w in cues for w in lowers[start:end]):
            # a paragraph is parsed on its own: the parse never runs a sentence over a break
            if runs and runs[-1][1] == start and "\n" not in words[start - 1]:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))
        last = next((w for w in reversed(words[start:end]) if w.strip()), "")
        after_quote = bool(QUOTE_MARK.search(last))
    return runs


class PartialParser:
    """Run the dependency parser only on the sentences quote extraction reads (parsed_runs).

    Every other sentence gets a flat tree (its first token the root), so sentences stay intact;
    no cue is ever looked for there. The parser and its tok2vec stay disabled in the pipeline.
    """

    def __init__(self, nlp: Language, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        strings = nlp.vocab.strings
        self.root, self.flat = strings.add("ROOT"), strings.add("dep")

    def __call__(self, doc: Doc) -> Doc:
        """Parse one doc's cue sentences."""
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Parse the cue sentences of a stream of docs, in batches."""
        tok2vec, parser = self.nlp.get_pipe("tok2vec"), self.nlp.get_pipe("parser")
        size = batch_size or self.batch_size
        for batch in minibatch(docs, size):
            plans, pieces = [], []
            for doc in batch:
                words = token_words(doc, ORTH)
                bounds = segments(words)
                runs = parsed_runs(words, token_words(doc, LOWER), bounds)
                spaces = token_spaces(doc)
                plans.append((doc, bounds, runs))
                pieces += [Doc(doc.vocab, words[s:e], spaces[s:e]) for s, e in runs]
            parsed = iter(parser.pipe(tok2vec.pipe(pieces, batch_size=size), batch_size=size))
            for doc, bounds, runs in plans:
                yield self.annotate(doc, bounds, runs, parsed)

    def annotate(
        self,
        doc: Doc,
        bounds: list[tuple[int, int]],
        runs: list[tuple[int, int]],
        parsed: Iterator[Doc],
    ) -> Doc:
        """Set heads and labels: the parser's inside runs, a flat tree per segment outside."""
        n = len(doc)
        if not n:
            return doc
        heads = np.arange(n, dtype=np.int64)
        deps = np.full(n, self.flat, dtype=np.uint64)
        for start, end in bounds:
            heads[start:end] = start
            deps[start] = self.root
        for start, end in runs:
            piece = next(parsed).to_array([HEAD, DEP])
            heads[start:end] = np.arange(start, end) + piece[:, 0].astype(np.int64)
            deps[start:end] = piece[:, 1]
        relative = (heads - np.arange(n)).astype(np.uint64)  # to_array's two's-complement offsets
        doc.from_array([HEAD, DEP], np.stack([relative, deps], axis=1))
        return doc
