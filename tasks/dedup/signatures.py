"""Near-copy signatures: one-permutation MinHash over word shingles and LSH band keys.

Vectorised with numpy: every distinct word is hashed once, shingles combine word hashes, and a
body's signature keeps the least hash per bin (empty bins filled from their neighbours). Band
keys put bodies sharing ROWS consecutive bins in one bucket, so candidates are found without
comparing every pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from tasks.common import match_words

NUM_PERM = 128  # one-permutation MinHash bins

BANDS, ROWS = 64, 2  # LSH: a candidate at Jaccard 0.25 with probability ~98 %

SHINGLE_WORDS = 4

MIN_CONTAINMENT_SHINGLES = 20  # containment of a very short text proves little

MAX_BUCKET = 200  # band buckets larger than this are boilerplate, not evidence

EMPTY = np.uint32(0xFFFFFFFF)

SIGNATURE_CHUNK = 2000  # bodies hashed together

PUNCT_TO_SPACE = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)

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
