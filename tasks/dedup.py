"""Dedup: exact copies, near copies (MinHash LSH) and same-story grouping across wires.

Three relations, each recorded in `links` with its evidence:

- exact: the same body once folded for matching (case, accents, punctuation, quote marks;
  headline, dateline and byline are split off by the clean stage).
- near_copy: syndicated copies. One-permutation MinHash over word shingles (vectorised with
  numpy), LSH bands with a low candidate threshold, then verification by estimated Jaccard or
  containment, so an added byline, a few edited words or trimmed closing paragraphs still match.
- same_story: independent reports of one event. Hashed TF-IDF vectors of words and entities
  (plus shared quotes), cosine similarity sharpened by shared nearest neighbours, average-link
  clustering of each batch, then each new cluster joins the best existing story or starts one.

Every article's MinHash, LSH band keys and story vector are stored in `signatures`, so a run
reads the recent warehouse instead of recomputing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import scipy.sparse as sp
from prefect import task
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

from tasks.common import match_words
from tasks.staging import CACHED, BatchSpec, Staged, stage
from warehouse import Warehouse
from warehouse.schemas import LINKS, SIGNATURES, STORIES

# -- near copies --
NUM_PERM = 128  # one-permutation MinHash bins
BANDS, ROWS = 64, 2  # LSH: a candidate at Jaccard 0.25 with probability ~98 %
SHINGLE_WORDS = 4
NEAR_COPY_JACCARD = 0.5
NEAR_COPY_CONTAINMENT = 0.8  # the shorter text mostly inside the longer: trimmed copies
MIN_CONTAINMENT_SHINGLES = 20  # containment of a very short text proves little
MAX_BUCKET = 200  # band buckets larger than this are boilerplate, not evidence
EMPTY = np.uint32(0xFFFFFFFF)
SIGNATURE_CHUNK = 2000  # bodies hashed together

# -- same story --
STORY_WINDOW = timedelta(hours=72)
LOOKBACK = timedelta(days=14)  # how far back stored articles are read
WORD_FEATURES = 1 << 20  # hashed word features; entity and quote features follow them
WORD_WEIGHT = 0.7  # share of the similarity from words; the rest from entities and quotes
LEAD_WORDS = 60  # the headline and lead are counted twice: they name the event
SNN_K = 8  # shared-nearest-neighbour size
SNN_MIN = 0.1  # a neighbour must be at least this similar
SNN_WEIGHT = 0.5
STORY_THRESHOLD = 0.24
MEAN_SLACK = 1e-4  # relative; far above the rounding of a float32 mean
MAX_POOL = 20_000  # at most this many recent stored articles are compared (bounds memory)
CANDIDATES = 20  # stored articles considered per new article
CHUNK = 1000  # new articles clustered together
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
TITLE_CHARS = 120

PUNCT_TO_SPACE = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)
SPACES = re.compile(r"\s+")
_RNG = np.random.default_rng(20260303)
SHINGLE_MULT = (_RNG.integers(1, 1 << 63, SHINGLE_WORDS, dtype=np.uint64) << np.uint64(1)) | 1
BAND_MULT = (_RNG.integers(1, 1 << 63, ROWS, dtype=np.uint64) << np.uint64(1)) | 1
BAND_SALT = _RNG.integers(1, 1 << 63, BANDS, dtype=np.uint64)
FILL_STEP = np.uint32(0x9E3779B1)


def fold_words(text: str) -> list[str]:
    """Return the words of text folded for matching (as match_words, faster for ASCII)."""
    if text.isascii():
        return text.lower().translate(PUNCT_TO_SPACE).split()
    return match_words(text)


def fold(text: str) -> str:
    """Return text folded for matching."""
    return " ".join(fold_words(text))


def mix64(x: np.ndarray) -> np.ndarray:
    """Return the splitmix64 finaliser of uint64 values (spreads every bit)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def shingle_hashes(folded: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Return the 64-bit hashes of every body's word shingles and each body's shingle count."""
    words: list[str] = []
    lengths = np.empty(len(folded), np.int64)
    for i, body_words in enumerate(folded):
        split = body_words or [""]
        lengths[i] = len(split)
        words.extend(split)
    # Hash each distinct word once: Arrow finds them, pandas hashes them stably (SipHash).
    encoded = pa.array(words, pa.string()).dictionary_encode()
    distinct = pd.util.hash_array(
        np.array(encoded.dictionary.to_pylist(), dtype=object), categorize=False
    )
    word_hash = distinct[encoded.indices.to_numpy()]
    total = len(word_hash)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    windows = max(total - SHINGLE_WORDS + 1, 0)
    combined = np.zeros(windows, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE_WORDS):
            combined += word_hash[k : k + windows] * SHINGLE_MULT[k]
    # A shingle starts at every word with SHINGLE_WORDS words of its own body ahead of it.
    ends = np.repeat(starts + lengths - SHINGLE_WORDS, lengths)[:windows]
    keep = np.arange(windows) <= ends
    counts = np.maximum(lengths - SHINGLE_WORDS + 1, 0)
    hashes = combined[keep]
    short = np.flatnonzero(counts == 0)
    if len(short):  # a body shorter than a shingle is one shingle: the hash of its words
        extra = np.empty(len(short), np.uint64)
        with np.errstate(over="ignore"):
            for n, i in enumerate(short.tolist()):
                part = word_hash[starts[i] : starts[i] + lengths[i]]
                extra[n] = (part * SHINGLE_MULT[: len(part)]).sum(dtype=np.uint64)
        at = np.cumsum(counts)[short]
        hashes = np.insert(hashes, at, extra)
        counts[short] = 1
    return mix64(hashes), counts


def minhash_signatures(bodies: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return one-permutation MinHash signatures (n, NUM_PERM) uint32 and shingle counts."""
    if len(bodies) > SIGNATURE_CHUNK:  # bound the memory of the shingle arrays
        parts = [
            minhash_signatures(bodies[i : i + SIGNATURE_CHUNK])
            for i in range(0, len(bodies), SIGNATURE_CHUNK)
        ]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return word_signatures([fold_words(body) for body in bodies])


def word_signatures(folded: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Return the MinHash signatures and shingle counts of bodies given as folded words."""
    hashes, counts = shingle_hashes(folded)
    doc = np.repeat(np.arange(len(folded), dtype=np.int64), counts)
    bins = (hashes >> np.uint64(57)).astype(np.int64)  # top 7 bits: the bin (NUM_PERM = 128)
    values = (hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    sig = np.full(len(folded) * NUM_PERM, EMPTY, np.uint32)
    np.minimum.at(sig, doc * NUM_PERM + bins, values)
    sig = sig.reshape(len(folded), NUM_PERM)
    return densify(sig), counts


def densify(sig: np.ndarray) -> np.ndarray:
    """Fill empty bins from the next non-empty bin to the right (rotation densification)."""
    empty = sig == EMPTY
    if not empty.any():
        return sig
    filled = sig.copy()
    for distance in range(1, NUM_PERM):
        todo = filled == EMPTY
        if not todo.any():
            break
        rolled = np.roll(sig, -distance, axis=1)
        usable = todo & (rolled != EMPTY)
        with np.errstate(over="ignore"):
            filled[usable] = rolled[usable] + FILL_STEP * np.uint32(distance)
    return filled


def band_keys(sig: np.ndarray) -> np.ndarray:
    """Return the LSH band keys (n, BANDS) uint64 of MinHash signatures."""
    rows = sig.astype(np.uint64).reshape(len(sig), BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = (rows * BAND_MULT).sum(axis=2, dtype=np.uint64) + BAND_SALT
    return mix64(keys)


def estimate(sig_a: np.ndarray, sig_b: np.ndarray, n_a: np.ndarray, n_b: np.ndarray):
    """Return estimated Jaccard and containment (of the smaller in the larger) of pairs."""
    jaccard = (sig_a == sig_b).mean(axis=1)
    shared = jaccard / (1 + jaccard) * (n_a + n_b)
    smaller = np.minimum(n_a, n_b)
    containment = np.where(
        smaller >= MIN_CONTAINMENT_SHINGLES, np.minimum(shared / smaller, 1.0), 0.0
    )
    return jaccard, containment


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """Return the (i, j) row pairs, i < j, that share an LSH band key."""
    flat = keys.ravel()
    rows = np.repeat(np.arange(len(keys), dtype=np.int64), keys.shape[1])
    order = np.argsort(flat, kind="stable")
    flat, rows = flat[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(flat)])))
    # Boilerplate buckets are no evidence; drop them before pairing.
    keep = np.repeat((sizes > 1) & (sizes <= MAX_BUCKET), sizes)
    flat, rows = flat[keep], rows[keep]
    found = []
    for distance in range(1, MAX_BUCKET):  # pair each entry with the ones after it in its bucket
        if distance >= len(flat):
            break
        same = flat[distance:] == flat[:-distance]
        if not same.any():
            break
        i, j = rows[:-distance][same], rows[distance:][same]
        found.append(np.stack((np.minimum(i, j), np.maximum(i, j)), axis=1))
    if not found:
        return np.empty((0, 2), np.int64)
    pairs = np.concatenate(found)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    code = np.unique(pairs[:, 0] * len(keys) + pairs[:, 1])
    return np.stack((code // len(keys), code % len(keys)), axis=1)


# -- story vectors --

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
    extra = _TOKENS.transform(names)
    matrix = sp.hstack([words, extra], format="csr", dtype=np.float32)
    matrix.data = 1 + np.log(matrix.data)
    matrix.sort_indices()
    return matrix


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


def shared_neighbours(sim: np.ndarray) -> np.ndarray:
    """Return the share of nearest neighbours (self included) two rows have in common."""
    k = min(SNN_K + 1, sim.shape[1])
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    member = np.zeros(sim.shape, np.float32)
    rows = np.repeat(np.arange(sim.shape[0]), k)
    cols = top.ravel()
    keep = sim[rows, cols] >= SNN_MIN
    member[rows[keep], cols[keep]] = 1
    return (member @ member.T) / (SNN_K + 1)


# -- state --


@dataclass(slots=True)
class Pool:
    """Articles dedup compares against: stored recent ones, then those placed in this run."""

    article_id: list[str] = field(default_factory=list)
    story_id: list[str] = field(default_factory=list)
    duplicate_of: list[str | None] = field(default_factory=list)
    seen_at: list[datetime | None] = field(default_factory=list)
    dated: list[bool] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # folded-body hashes, by row
    body_hash: dict[str, int] = field(default_factory=dict)  # hash -> first row
    minhash: np.ndarray = field(default_factory=lambda: np.empty((0, NUM_PERM), np.uint32))
    bands: np.ndarray = field(default_factory=lambda: np.empty((0, BANDS), np.uint64))
    n_shingles: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    tf: sp.csr_matrix = field(
        default_factory=lambda: sp.csr_matrix((0, 2 * WORD_FEATURES), dtype=np.float32)
    )

    def __len__(self) -> int:
        return len(self.article_id)

    def extend(self, other: Pool) -> None:
        """Append another pool's rows."""
        offset = len(self)
        for name in ("article_id", "story_id", "duplicate_of", "seen_at", "dated", "digests"):
            getattr(self, name).extend(getattr(other, name))
        for row, digest in enumerate(other.digests):
            self.body_hash.setdefault(digest, row + offset)
        self.minhash = np.concatenate((self.minhash, other.minhash))
        self.bands = np.concatenate((self.bands, other.bands))
        self.n_shingles = np.concatenate((self.n_shingles, other.n_shingles))
        self.tf = sp.vstack((self.tf, other.tf), format="csr")

    def root(self, row: int) -> str:
        """Return the original an article copies, or the article itself."""
        return self.duplicate_of[row] or self.article_id[row]


def pool_from_signatures(table: pa.Table) -> Pool:
    """Rebuild a pool from stored signature rows (nothing is recomputed)."""
    n = table.num_rows
    pool = Pool()
    if n == 0:
        return pool
    pool.article_id = table["article_id"].to_pylist()
    pool.story_id = table["story_id"].to_pylist()
    pool.duplicate_of = table["duplicate_of"].to_pylist()
    pool.seen_at = table["seen_at"].to_pylist()
    pool.dated = [bool(d) for d in table["dated"].to_pylist()]
    pool.digests = table["body_hash"].to_pylist()
    for row, digest in enumerate(pool.digests):
        pool.body_hash.setdefault(digest, row)
    pool.minhash = list_matrix(table["minhash"], np.uint32, NUM_PERM)
    pool.bands = list_matrix(table["lsh_bands"], np.uint64, BANDS)
    pool.n_shingles = table["n_shingles"].to_numpy().astype(np.int64)
    terms = table["terms"].combine_chunks()
    weights = table["term_weights"].combine_chunks()
    indptr = terms.offsets.to_numpy().astype(np.int64)
    pool.tf = sp.csr_matrix(
        (
            weights.values.to_numpy(zero_copy_only=False).astype(np.float32),
            terms.values.to_numpy(zero_copy_only=False).astype(np.int64),
            indptr - indptr[0],
        ),
        shape=(n, 2 * WORD_FEATURES),
    )
    return pool


def list_matrix(column: pa.ChunkedArray, dtype: type, width: int) -> np.ndarray:
    """Return a fixed-width list column as a 2-D numpy array."""
    flat = pc.list_flatten(column).to_numpy(zero_copy_only=False)
    return flat.astype(dtype).reshape(-1, width)


def recent_signatures(warehouse: Warehouse, articles: pa.Table) -> pa.Table:
    """Read the stored signatures new articles can match: the recent ones, or the same body.

    Recent means seen within LOOKBACK of the batch, and at most the MAX_POOL most recently
    seen (ties at the boundary included), so an undated backfill, where every article counts as
    seen when it was loaded, compares against a bounded pool, not the whole warehouse. Only the
    time column is read to find the window (row-group statistics skip older files), and only the
    body_hash column of older files to find exact copies, so the cost follows the window.
    """
    if articles.num_rows == 0:
        return SIGNATURES.empty_table()
    seen_type = SIGNATURES.field("seen_at").type
    table_seen = pc.coalesce(articles["published_at"], articles["ingested_at"])
    earliest = pc.min(table_seen).as_py()
    since = pa.scalar(earliest - LOOKBACK if earliest else datetime.min, type=seen_type)
    with warehouse.snapshot() as snap:
        files = snap.files("signatures")
        if not files:
            return SIGNATURES.empty_table()
        dataset = ds.dataset([str(f) for f in files], schema=SIGNATURES, format="parquet")
        seen = dataset.to_table(columns=["seen_at"], filter=pc.field("seen_at") >= since)
        if seen.num_rows > MAX_POOL:
            times = seen["seen_at"].cast(pa.int64()).to_numpy()
            cut = np.partition(times, len(times) - MAX_POOL)[len(times) - MAX_POOL]
            since = pa.scalar(int(cut), pa.int64()).cast(seen_type)
        parts = [dataset.to_table(filter=pc.field("seen_at") >= since)]
        hashes = pa.array(articles["body_hash"].to_pylist(), pa.string())
        copies = (pc.field("seen_at") < since) & pc.field("body_hash").isin(hashes)
        if dataset.count_rows(filter=copies):  # rare: exact copies of older articles
            for fragment in dataset.get_fragments(filter=copies):
                if fragment.count_rows(filter=copies):  # read only the files that hold them
                    parts.append(fragment.to_table(schema=SIGNATURES, filter=copies))
    return pa.concat_tables(parts)


# -- placing articles --


def find_copies(new: Pool, pool: Pool) -> dict[int, tuple[int, str, float, str]]:
    """Return, per new row, the earlier row it copies: (pool row, relation, score, method).

    Rows index the pool followed by the new articles (in publication order).
    """
    base = len(pool)
    found: dict[int, tuple[int, str, float, str]] = {}
    hashes = dict(pool.body_hash)
    for row, digest in enumerate(new.digests):
        if digest in hashes:
            found[row] = (hashes[digest], "exact", 1.0, "body_hash")
        else:
            hashes[digest] = base + row
    keys = np.concatenate((pool.bands, new.bands))
    sigs = np.concatenate((pool.minhash, new.minhash))
    counts = np.concatenate((pool.n_shingles, new.n_shingles))
    pairs = candidate_pairs(keys)
    pairs = pairs[pairs[:, 1] >= base]  # the later one of each pair is new
    if len(pairs) == 0:
        return found
    jaccard, containment = estimate(
        sigs[pairs[:, 0]], sigs[pairs[:, 1]], counts[pairs[:, 0]], counts[pairs[:, 1]]
    )
    best: dict[int, tuple[float, int, str]] = {}
    for (i, j), jac, con in zip(
        pairs.tolist(), jaccard.tolist(), containment.tolist(), strict=True
    ):
        if jac >= NEAR_COPY_JACCARD:
            score, method = jac, "minhash_jaccard"
        elif con >= NEAR_COPY_CONTAINMENT:
            score, method = con, "minhash_containment"
        else:
            continue
        if (j - base) not in best or score > best[j - base][0]:
            best[j - base] = (score, i, method)
    for row, (score, other, method) in best.items():
        found.setdefault(row, (other, "near_copy", round(score, 4), method))
    return found


def window_mask(when: list[datetime | None], dated: list[bool], rows, cols) -> np.ndarray:
    """Return True where two articles may be one story: either undated, or within the window."""
    seconds = np.array([w.timestamp() if w else np.nan for w in when])
    known = np.array(dated, bool)
    a, b = seconds[rows][:, None], seconds[cols][None, :]
    both = known[rows][:, None] & known[cols][None, :]
    return ~both | (np.abs(a - b) <= STORY_WINDOW.total_seconds())


def story_columns(stories: list[str]) -> dict[str, np.ndarray]:
    """Return the positions (ascending) of each story in a list, the stories in sorted order."""
    found: dict[str, list[int]] = {}
    for col, story in enumerate(stories):
        found.setdefault(story, []).append(col)
    return {story: np.array(found[story], np.int64) for story in sorted(found)}


def story_peaks(to_old: np.ndarray, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Return each new row's highest score to each earlier story (n_new, stories)."""
    if not columns:
        return np.zeros((len(to_old), 0), to_old.dtype)
    order = np.concatenate(list(columns.values()))
    starts = np.cumsum([0] + [len(c) for c in columns.values()])[:-1]
    return np.maximum.reduceat(to_old[:, order], starts, axis=1)


def best_story(
    score: np.ndarray, members: np.ndarray, columns: dict[str, np.ndarray], peaks: np.ndarray
) -> str | None:
    """Return the earlier story with the highest mean score to the members, if one is enough.

    A mean is at most its block's peak, so stories peaking below the threshold are skipped
    unmeasured; the slack covers a float32 mean rounding above its peak.
    """
    story, best = None, STORY_THRESHOLD
    for candidate, reach in zip(columns, peaks.tolist(), strict=True):
        if reach < STORY_THRESHOLD * (1 - MEAN_SLACK):
            continue
        mean = float(score[np.ix_(members, columns[candidate])].mean())
        if mean >= best:  # ties go to the later story in sorted order
            story, best = candidate, mean
    return story


def place_stories(
    rows: list[int], all_pool: Pool
) -> tuple[dict[int, str], list[tuple[int, int, float]]]:
    """Cluster new pool rows and attach each cluster to the best earlier story or start one.

    Returns the story of each row and (row, best earlier row of its story, score) links.
    """
    new_rows = np.array(rows, np.int64)
    first_new = int(new_rows.min())
    stored = np.array(
        [r for r in range(first_new) if all_pool.duplicate_of[r] is None], np.int64
    )  # copies add nothing a story's original does not
    idf_rows = np.concatenate((stored, new_rows))
    tf = all_pool.tf[idf_rows]
    vectors = weigh(tf, inverse_document_frequency(tf))
    new_vec = vectors[len(stored) :]
    sims_new = (new_vec @ vectors.T).toarray()
    # Stored candidates: the most similar stored articles of each new one.
    picked: set[int] = set()
    if len(stored):
        to_stored = sims_new[:, : len(stored)]
        k = min(CANDIDATES, len(stored))
        top = np.argpartition(-to_stored, k - 1, axis=1)[:, :k]
        for i, cols in enumerate(top):
            picked.update(int(c) for c in cols if to_stored[i, c] >= SNN_MIN)
    cand_local = np.array(sorted(picked), np.int64)
    local = np.concatenate((cand_local, np.arange(len(stored), len(idf_rows))))
    block = vectors[local]
    sim = (block @ block.T).toarray()
    global_rows = idf_rows[local]
    sim *= window_mask(all_pool.seen_at, all_pool.dated, global_rows, global_rows)
    np.fill_diagonal(sim, 1.0)
    score = (1 - SNN_WEIGHT) * sim + SNN_WEIGHT * shared_neighbours(sim)
    n_old = len(cand_local)
    new_score = score[n_old:, n_old:]
    if len(new_rows) > 1:
        distance = np.clip(1 - new_score, 0, None)
        np.fill_diagonal(distance, 0)
        tree = linkage(squareform(distance, checks=False), "average")
        clusters = fcluster(tree, 1 - STORY_THRESHOLD, "distance")
    else:
        clusters = np.array([1])
    old_story = [all_pool.story_id[int(r)] for r in global_rows[:n_old]]
    columns = story_columns(old_story)
    peaks = story_peaks(score[n_old:, :n_old], columns)
    result: dict[int, str] = {}
    first_of = {c: int(np.flatnonzero(clusters == c)[0]) for c in np.unique(clusters)}
    for cluster in sorted(first_of, key=first_of.__getitem__):
        members = np.flatnonzero(clusters == cluster)
        story = best_story(score, members + n_old, columns, peaks[members].max(axis=0))
        if story is None:
            story = f"s-{all_pool.article_id[int(new_rows[members[0]])]}"
        for m in members:
            result[int(new_rows[m])] = story
    story_local = old_story + [result[int(r)] for r in new_rows]
    links = [
        (int(global_rows[i]), int(global_rows[j]), float(score[i, j]))
        for i, j in closest_earlier(score, story_local, n_old)
    ]
    return result, links


def closest_earlier(score: np.ndarray, story_local: list[str], start: int) -> list[tuple[int, int]]:
    """Return (i, j) for each row i from start on: j the highest-scoring earlier row of its story.

    On a tie the first such row wins; a row alone in its story so far has no pair.
    """
    columns = story_columns(story_local)
    seen = dict.fromkeys(columns, 0)  # how many rows of each story precede the current one
    for story in story_local[:start]:
        seen[story] += 1
    pairs = []
    for i in range(start, len(story_local)):
        story = story_local[i]
        earlier = columns[story][: seen[story]]
        seen[story] += 1
        if len(earlier):
            pairs.append((i, int(earlier[np.argmax(score[i, earlier])])))
    return pairs


def signatures_pool(articles: pa.Table, mentions: pa.Table, quotes: pa.Table) -> Pool:
    """Compute the pool rows (MinHash, bands, story vectors) of new articles, in table order."""
    ids = articles["article_id"].to_pylist()
    bodies = articles["body"].to_pylist()
    titles = articles["title"].to_pylist()
    published = articles["published_at"].to_pylist()
    ingested = articles["ingested_at"].to_pylist()
    names = story_names(mentions, quotes, ids)
    parts = [
        body_signatures(*(column[i : i + SIGNATURE_CHUNK] for column in (titles, bodies, names)))
        for i in range(0, max(len(ids), 1), SIGNATURE_CHUNK)
    ]
    pool = Pool()
    pool.article_id = ids
    pool.story_id = [""] * len(ids)
    pool.duplicate_of = [None] * len(ids)
    pool.seen_at = [p or i for p, i in zip(published, ingested, strict=True)]
    pool.dated = [p is not None for p in published]
    pool.digests = articles["body_hash"].to_pylist()
    pool.minhash = np.concatenate([p[0] for p in parts])
    pool.bands = band_keys(pool.minhash)
    pool.n_shingles = np.concatenate([p[1] for p in parts])
    pool.tf = sp.vstack([p[2] for p in parts], format="csr")
    return pool


def body_signatures(
    titles: list[str | None], bodies: list[str], names: list[list[str]]
) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """Return the MinHash signatures, shingle counts and story term counts of some bodies."""
    folded = [fold_words(body) for body in bodies]  # once: MinHash and story words share them
    sig, counts = word_signatures(folded)
    return sig, counts, story_features(titles, bodies, folded, names)


def deduplicate_articles(
    articles: pa.Table, mentions: pa.Table, quotes: pa.Table, pool: Pool | None = None
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Place each new article (in publication order) and return (articles, links, signatures)."""
    pool = pool if pool is not None else Pool()
    if articles.num_rows == 0:
        return articles, LINKS.empty_table(), SIGNATURES.empty_table()
    order = sorted(
        range(articles.num_rows),
        key=lambda i: (
            articles["published_at"][i].as_py() is None,
            articles["published_at"][i].as_py() or 0,
            i,
        ),
    )
    articles = articles.take(pa.array(order, pa.int64()))
    new = signatures_pool(articles, mentions, quotes)
    base = len(pool)
    copies = find_copies(new, pool)
    pool.extend(new)
    links: list[tuple[str, str, str, float, str]] = []
    for row, (other, relation, score, method) in sorted(copies.items()):
        pool.duplicate_of[base + row] = pool.root(other)
        links.append((pool.article_id[base + row], pool.article_id[other], relation, score, method))
    originals = [base + r for r in range(len(new)) if r not in copies]
    for start in range(0, len(originals), CHUNK):
        chunk = originals[start : start + CHUNK]
        stories, story_links = place_stories(chunk, pool)
        for row, story in stories.items():
            pool.story_id[row] = story
        for row, other, score in story_links:
            links.append(
                (
                    pool.article_id[row],
                    pool.article_id[other],
                    "same_story",
                    round(score, 4),
                    "tfidf+entities+quotes",
                )
            )
    for row in sorted(copies):  # in order, so a copy of a copy finds its story set
        other = copies[row][0]
        pool.story_id[base + row] = pool.story_id[other]
    rows = range(base, base + len(new))
    placed = articles.set_column(
        articles.schema.get_field_index("duplicate_of"),
        "duplicate_of",
        pa.array([pool.duplicate_of[r] for r in rows], pa.string()),
    ).set_column(
        articles.schema.get_field_index("story_id"),
        "story_id",
        pa.array([pool.story_id[r] for r in rows], pa.string()),
    )
    link_table = pa.table(
        {
            "article_id": [x[0] for x in links],
            "other_article_id": [x[1] for x in links],
            "relation": [x[2] for x in links],
            "score": pa.array([x[3] for x in links], pa.float32()),
            "method": [x[4] for x in links],
            "run_id": pa.nulls(len(links), pa.string()),
        },
        schema=LINKS,
    )
    return placed, link_table, signatures_table(pool, base, articles)


def signatures_table(pool: Pool, base: int, articles: pa.Table) -> pa.Table:
    """Return the signature rows of the pool's new articles."""
    n = len(pool) - base
    tf = pool.tf[base:]
    indptr = tf.indptr.astype(np.int32)
    return pa.table(
        {
            "article_id": pool.article_id[base:],
            "story_id": pool.story_id[base:],
            "duplicate_of": pool.duplicate_of[base:],
            "published_at": articles["published_at"],
            "seen_at": pa.array(pool.seen_at[base:], SIGNATURES.field("seen_at").type),
            "dated": pool.dated[base:],
            "body_hash": articles["body_hash"],
            "n_shingles": pa.array(pool.n_shingles[base:], pa.int32()),
            "minhash": pa.FixedSizeListArray.from_arrays(
                pa.array(pool.minhash[base:].ravel()), NUM_PERM
            ).cast(SIGNATURES.field("minhash").type),
            "lsh_bands": pa.FixedSizeListArray.from_arrays(
                pa.array(pool.bands[base:].ravel()), BANDS
            ).cast(SIGNATURES.field("lsh_bands").type),
            "terms": pa.ListArray.from_arrays(
                pa.array(indptr), pa.array(tf.indices.astype(np.uint32))
            ),
            "term_weights": pa.ListArray.from_arrays(
                pa.array(indptr), pa.array(tf.data.astype(np.float32))
            ),
            "run_id": pa.nulls(n, pa.string()),
        },
        schema=SIGNATURES,
    )


# -- stories --


def lead(body: str) -> str:
    """Return an article's first paragraph, cut to a title's length."""
    first = body.split("\n\n", 1)[0]
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def credited(credit: str | None, source: str) -> bool:
    """Return True when a credit names the source (folded, either containing the other)."""
    if not credit:
        return False
    a, b = fold(credit), fold(source)
    return bool(a and b) and (a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} ")


def touched_stories(articles: pa.Table) -> pc.Expression:
    """Return the filter that selects the stored stories of placed articles."""
    ids = pa.array(sorted(set(articles["story_id"].drop_null().to_pylist())), pa.string())
    return pc.field("story_id").isin(ids)


def update_stories(stories: pa.Table, articles: pa.Table) -> pa.Table:
    """Fold newly placed articles into their stories; return only the stories they change.

    stories holds the stored rows of those stories (more rows are ignored); the result is the
    batch's upsert into the stories table. The original is the earliest article, unless a later
    one comes from the wire the others credit ("(AFP)", "AFP quoted ... as saying", "with
    inputs from AFP").
    """
    touched = set(articles["story_id"].to_pylist())
    mask = pc.is_in(stories["story_id"], value_set=pa.array(sorted(touched), pa.string()))
    rows = {row["story_id"]: row for row in stories.filter(mask).to_pylist()}
    for art in articles.to_pylist():
        seen = art["published_at"] or art["ingested_at"]
        title = art["title"] or lead(art["body"])
        story = rows.get(art["story_id"])
        if story is None:
            rows[art["story_id"]] = {
                "story_id": art["story_id"],
                "title": title,
                "first_seen": seen,
                "last_seen": seen,
                "n_articles": 1,
                "n_sources": 1,
                "sources": [art["source"]],
                "credits": [art["credit"]] if art["credit"] else [],
                "original_article_id": art["article_id"],
                "original_source": art["source"],
            }
            continue
        story["n_articles"] += 1
        story["sources"] = sorted(set(story["sources"]) | {art["source"]})
        story["n_sources"] = len(story["sources"])
        story["credits"] = sorted(set(story["credits"] or []) | ({art["credit"]} - {None}))
        story["last_seen"] = max(story["last_seen"], seen)
        credits = story["credits"]
        original_credited = any(credited(c, story["original_source"]) for c in credits)
        new_credited = any(credited(c, art["source"]) for c in credits)
        earlier = seen < story["first_seen"]
        if (new_credited and not original_credited) or (
            earlier and (new_credited or not original_credited)
        ):
            story.update(
                original_article_id=art["article_id"],
                original_source=art["source"],
                title=title,
            )
        story["first_seen"] = min(story["first_seen"], seen)
    table = pa.Table.from_pylist(list(rows.values()), schema=STORIES)
    return table.sort_by([("first_seen", "ascending"), ("story_id", "ascending")])


@task(name="dedup", task_run_name="dedup-{spec.label}", **CACHED)
def dedup(spec: BatchSpec, selected: Staged, extracted: Staged, warehouse_root: str) -> Staged:
    """Place a batch of new articles in stories; stage articles, links, signatures, stories."""
    articles = selected.table("articles")
    mentions, quotes = extracted.table("mentions"), extracted.table("quotes")
    warehouse = Warehouse(warehouse_root)
    pool = pool_from_signatures(recent_signatures(warehouse, articles))
    placed, links, signatures = deduplicate_articles(articles, mentions, quotes, pool)
    # Only the stories this batch touches are read and rewritten, not the whole table.
    stories = update_stories(warehouse.read("stories", filter=touched_stories(placed)), placed)
    tables = {"articles": placed, "links": links, "signatures": signatures, "stories": stories}
    return stage(spec, "dedup", tables)
