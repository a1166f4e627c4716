"""Copies: exact copies (the same folded body) and near copies (MinHash Jaccard or containment).

Near copies are syndicated text: an added byline, a few edited words or trimmed closing
paragraphs still match, by estimated Jaccard, or by containment of the shorter in the longer.
"""

from __future__ import annotations

import numpy as np

from tasks.dedup.pool import Pool
from tasks.dedup.signatures import candidate_pairs, estimate

NEAR_COPY_JACCARD = 0.5

NEAR_COPY_CONTAINMENT = 0.8  # the shorter text mostly inside the longer: trimmed copies


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
