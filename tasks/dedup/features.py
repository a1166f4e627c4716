"""Story vectors: hashed TF-IDF of an article's words, entities and longer quotes.

Words and names are normalised apart and mixed by WORD_WEIGHT; the headline and lead count
twice, since they name the event. The years an article names ("y:2011") are name features too,
so stored vectors carry them and two reports naming only different years can be told apart.

A third block marks an article's key participants: the last word of each person, organisation
or place it names at least KEY_MENTIONS times or in its headline, hashed to the same column as
that word in the word block (offset by KEY_OFFSET). It takes no part in similarity; it lets
placement ask whether one group's key participant is named at all by another group.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

from tasks.dedup.signatures import fold, fold_words

WORD_FEATURES = 1 << 20  # hashed word features; entity and quote features follow them

KEY_OFFSET = 2 * WORD_FEATURES  # key participant columns: a word's column plus this

STORY_FEATURES = 3 * WORD_FEATURES  # words, names (entities, quotes, years), key participants

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

KEY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC"}  # who and where an event happened to

KEY_MENTIONS = 3  # a name this often in the body is a key participant (or once in the headline)

YEAR_LEAD_WORDS = 40  # a year named this early (or in the headline) dates the event itself

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
    titles: list[str | None],
    bodies: list[str],
    folded: list[list[str]],
    names: list[list[str]],
    keys: list[list[str]],
) -> sp.csr_matrix:
    """Return sublinear term counts: words (headline and lead twice), names, key participants."""
    docs = [story_words(*row) for row in zip(titles, folded, bodies, strict=True)]
    words = _TOKENS.transform(docs)
    dated = [
        [*found, *year_tokens(f"{title or ''}\n{body}")]
        for found, title, body in zip(names, titles, bodies, strict=True)
    ]
    extra = _TOKENS.transform(dated)
    lead_years = [
        year_tokens(f"{title or ''}\n{' '.join(body.split()[:YEAR_LEAD_WORDS])}")
        for title, body in zip(titles, bodies, strict=True)
    ]
    marked = _TOKENS.transform(  # once each: a count of 1
        [sorted({*k, *y}) for k, y in zip(keys, lead_years, strict=True)]
    )
    matrix = sp.hstack([words, extra, marked], format="csr", dtype=np.float32)
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


def story_keys(mentions: pa.Table, titles: list[str | None], ids: list[str]) -> list[list[str]]:
    """Return each article's key participants: folded last words of its central names.

    A name is central when the body names it at least KEY_MENTIONS times (short and long forms
    share a canonical name) or its last word is in the headline. The last word ("Thompson" of
    "Tony Thompson") is what another report of the event names even when it never writes the
    full name.
    """
    counts: dict[str, dict[tuple[str, str], int]] = {i: {} for i in ids}
    for aid, label, canonical in zip(
        mentions["article_id"].to_pylist(),
        mentions["label"].to_pylist(),
        mentions["canonical"].to_pylist(),
        strict=True,
    ):
        if aid in counts and label in KEY_LABELS and canonical:
            counts[aid][label, canonical] = counts[aid].get((label, canonical), 0) + 1
    found = []
    for aid, title in zip(ids, titles, strict=True):
        headline = set(fold_words(title or ""))
        keys = set()
        for (label, canonical), n in counts[aid].items():
            words = [w for w in fold_words(canonical) if w not in STOP_WORDS]
            word = (words[-1] if label == "PERSON" else words[0]) if words else ""
            if word and (n >= KEY_MENTIONS or word in headline):
                keys.add(word)
        found.append(sorted(keys))
    return found


def weigh(tf: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Return TF-IDF rows with words and names normalised apart and mixed by WORD_WEIGHT."""
    # Entries are scaled in place of products with diagonal matrices 2 * WORD_FEATURES wide:
    # the same float32 products, in the same order within each row.
    weighted = with_data(tf, tf.data * idf[tf.indices].astype(np.float32))
    words, names = weighted[:, :WORD_FEATURES], weighted[:, WORD_FEATURES:KEY_OFFSET]
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
