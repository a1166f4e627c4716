"""Same-story placement: cluster new articles and attach each cluster to an earlier story.

Cosine similarity of story vectors, sharpened by shared nearest neighbours and limited to
articles within STORY_WINDOW of each other, then average-link clustering of the new articles;
each cluster joins the earlier story with the best mean score, or starts one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from tasks.dedup.features import inverse_document_frequency, weigh
from tasks.dedup.pool import Pool

STORY_WINDOW = timedelta(hours=72)

SNN_K = 8  # shared-nearest-neighbour size

SNN_MIN = 0.1  # a neighbour must be at least this similar

SNN_WEIGHT = 0.5

STORY_THRESHOLD = 0.24

MEAN_SLACK = 1e-4  # relative; far above the rounding of a float32 mean

CANDIDATES = 20  # stored articles considered per new article


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
    cand_local = stored_candidates(sims_new[:, : len(stored)])
    local = np.concatenate((cand_local, np.arange(len(stored), len(idf_rows))))
    block = vectors[local]
    sim = (block @ block.T).toarray()
    global_rows = idf_rows[local]
    sim *= window_mask(all_pool.seen_at, all_pool.dated, global_rows, global_rows)
    np.fill_diagonal(sim, 1.0)
    score = (1 - SNN_WEIGHT) * sim + SNN_WEIGHT * shared_neighbours(sim)
    n_old = len(cand_local)
    new_score = score[n_old:, n_old:]
    clusters = average_link(new_score)
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


def stored_candidates(to_stored: np.ndarray) -> np.ndarray:
    """Return the stored columns (sorted) among the most similar ones of some new article."""
    picked: set[int] = set()
    if to_stored.shape[1]:
        k = min(CANDIDATES, to_stored.shape[1])
        top = np.argpartition(-to_stored, k - 1, axis=1)[:, :k]
        for i, cols in enumerate(top):
            picked.update(int(c) for c in cols if to_stored[i, c] >= SNN_MIN)
    return np.array(sorted(picked), np.int64)


def average_link(score: np.ndarray) -> np.ndarray:
    """Return the cluster number of each new article: average link, cut at STORY_THRESHOLD."""
    if len(score) <= 1:
        return np.array([1])
    distance = np.clip(1 - score, 0, None)
    np.fill_diagonal(distance, 0)
    tree = linkage(squareform(distance, checks=False), "average")
    return fcluster(tree, 1 - STORY_THRESHOLD, "distance")


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
