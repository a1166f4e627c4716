"""Story vectors: hashed TF-IDF of an article's words, entities and longer quotes.

Words and names are normalised apart and mixed by WORD_WEIGHT; the headline and lead count
twice, since they name the event. The years an article names ("y:2011") are name features too,
so stored vectors carry them and two reports naming only different years can be told apart.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

from tasks.dedup.signatures import fold, fold_words

WORD_FEATURES = 1 << 20  # hashed word features; entity and quote features follow them

WORD_WEIGHT = 0.55  # share of the similarity from words; the rest from entities and quotes

LEAD_WORDS = 60  # the headline and lead are counted twice: they name the event

STORY_LABELS = {
    "PERSON",
    "ORG",
    "GPE",
    "LOC",
    "FAC",
    "EVENT",
    "NORP",
    "WORK_OF_ART",
    "PRODUCT",
    "LAW",
}

QUOTE_MIN_WORDS = 5

FIRST_YEAR, LAST_YEAR = 1900, 2099

YEAR = re.compile(r"(?<![\w.,])(?:19|20)\d\d(?![\w.,]\d|\w)")  # not a part of 12,000 or 3.2019

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)

_TOKENS = HashingVectorizer(  # hashes given tokens: words are folded once for MinHash and here
    n_features=WORD_FEATURES, analyzer=lambda tokens: tokens, alternate_sign=False, norm=None
)


def story_words(title: str | None, words: list[str], body: str) -> list[str]:
    """Return an article's words without stop words: headline, body, then headline and lead."""
    head = fold_words(title or "")
    lead = fold_words(" ".join(body.split()[:LEAD_WORDS]))
    return [w for w in (*head, *words, *head, *lead) if w not in STOP_WORDS]


def story_features(
    titles: list[str | None], bodies: list[str], folded: list[list[str]], names: list[list[str]]
) -> sp.csr_matrix:
    """Return sublinear term counts: words (headline and lead twice), then entities and quotes."""
    docs = [story_words(*row) for row in zip(titles, folded, bodies, strict=True)]
    words = _TOKENS.transform(docs)
    dated = [
        [*found, *year_tokens(f"{title or ''}\n{body}")]
        for found, title, body in zip(names, titles, bodies, strict=True)
    ]
    extra = _TOKENS.transform(dated)
    matrix = sp.hstack([words, extra], format="csr", dtype=np.float32)
    matrix.data = 1 + np.log(matrix.data)
    matrix.sort_indices()
    return matrix


def year_tokens(text: str) -> list[str]:
    """Return the year features of the distinct years a text names."""
    return [f"y:{year}" for year in sorted(set(YEAR.findall(text)))]


def year_columns() -> np.ndarray:
    """Return the columns of the year features in a story vector, one per year in order."""
    tokens = [[f"y:{year}"] for year in range(FIRST_YEAR, LAST_YEAR + 1)]
    return _TOKENS.transform(tokens).indices.astype(np.int64) + WORD_FEATURES


def story_names(mentions: pa.Table, quotes: pa.Table, ids: list[str]) -> list[list[str]]:
    """Return each article's entity names (once per mention) and longer quotes, folded."""
    found: dict[str, list[str]] = {i: [] for i in ids}
    names: dict[str, str] = {}  # canonical -> feature: a name recurs in many mentions
    for aid, label, canonical in zip(
        mentions["article_id"].to_pylist(),
        mentions["label"].to_pylist(),
        mentions["canonical"].to_pylist(),
        strict=True,
    ):
        if aid in found and label in STORY_LABELS and canonical:
            if canonical not in names:
                names[canonical] = "e:" + fold(canonical)
            found[aid].append(names[canonical])
    for aid, text in zip(quotes["article_id"].to_pylist(), quotes["text"].to_pylist(), strict=True):
        if aid in found:
            words = fold_words(text or "")
            if len(words) >= QUOTE_MIN_WORDS:
                found[aid].append("q:" + " ".join(words))
    return [found[i] for i in ids]


def weigh(tf: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Return TF-IDF rows with words and names normalised apart and mixed by WORD_WEIGHT."""
    # Entries are scaled in place of products with diagonal matrices 2 * WORD_FEATURES wide:
    # the same float32 products, in the same order within each row.
    weighted = with_data(tf, tf.data * idf[tf.indices].astype(np.float32))
    words, names = weighted[:, :WORD_FEATURES], weighted[:, WORD_FEATURES:]
    out = []
    for block, share in ((words, WORD_WEIGHT), (names, 1 - WORD_WEIGHT)):
        norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1)).ravel())
        scale = np.where(norms > 0, np.sqrt(share) / np.maximum(norms, 1e-12), 0.0)
        rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        out.append(with_data(block, block.data * scale.astype(np.float32)[rows]))
    return sp.hstack(out, format="csr")


def with_data(matrix: sp.csr_matrix, data: np.ndarray) -> sp.csr_matrix:
    """Return a matrix with the same entries as matrix but the given values."""
    return sp.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)


def inverse_document_frequency(tf: sp.csr_matrix) -> np.ndarray:
    """Return smoothed IDF over the given rows (the recent warehouse plus the new articles)."""
    df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float64)
    return np.log((1 + tf.shape[0]) / (1 + df)) + 1
