"""Same-story placement: cluster new articles with their stored neighbours, give each a story.

Cosine similarity of story vectors, sharpened by shared neighbours, limited to articles within
STORY_WINDOW of each other and damped between articles that name only different years. Each
run clusters its new articles together with the stored articles nearest them (average link),
as one run would cluster them all, so the partition does not depend on how articles were split
into runs or in what order they came. Two groups of articles that tell different events of
one kind (two earthquakes, two title fights of one boxer) score alike on topic words, so the
average link refuses to join groups whose key participants or lead years disagree
(`EventProfile.conflict`). Stored stories are clustered whole (up to MAX_STORY_ROWS rows each)
with the new articles. Stored articles keep their stories: each stored story continues in the
cluster holding most of its articles there; stored stories that continue in one cluster are one
event and merge into the largest (its id survives, the others record merged_into); a cluster's
new articles join the story it continues, or start one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from tasks.dedup.features import (
    KEY_OFFSET,
    WORD_FEATURES,
    inverse_document_frequency,
    weigh,
    year_columns,
)
from tasks.dedup.pool import Pool

STORY_WINDOW = timedelta(hours=72)

SNN_MIN = 0.12  # a neighbour must be at least this similar

SNN_WEIGHT = 0.65

STORY_THRESHOLD = 0.28

CANDIDATES = 20  # stored articles considered per new article
SCORE_CHUNK = 8192  # stored rows scored against the new articles at once
# Stored rows clustered with a batch at most: the block's square matrices (similarity, shared
# neighbours, linkage) stay under about 1 GB at 500 new articles however large the warehouse.
MAX_STORED = 4000
MASK_ROWS = 512  # rows of the time-window mask computed at once
MAX_STORY_ROWS = 50  # rows of one stored story clustered with a batch at most (its latest)

YEAR_CONFLICT = 0.7  # the similarity kept by two articles that name years, none of them shared

YEAR_COLUMNS = year_columns()

# Event conflicts are judged between groups of articles, never between two single articles:
# one report may well skip a participant or a year, a consistent group of reports does not.
MIN_GROUP = 3  # groups this large conflict on one group's mark the other does not know
PAIR_MARKS = 2  # smaller groups: two articles that each hold this many marks the other lacks
KEY_SHARE = 0.6  # a group's mark: held by at least this share of its articles
ABSENT_SHARE = 0.1  # the other group does not know it: at most this share names it at all
SINGLE_START = 1000  # larger clusters start the checked merging from tight groups (cost)
TIGHT = 0.7  # the average-link cut that forms those tight groups


def shared_neighbours(sim: np.ndarray) -> np.ndarray:
    """Return the Jaccard overlap of two rows' neighbourhoods (rows at least SNN_MIN similar).

    A share of neighbourhoods, not a count of the k nearest: it stays the same in expectation
    when only part of a story has arrived, so a small run scores pairs as a large one does.
    """
    member = (sim >= SNN_MIN).astype(np.float32)
    shared = member @ member.T
    sizes = member.sum(axis=1)
    del member
    # In place: at the 4,500 rows of a full block each square float32 copy is 81 MB.
    union = np.add.outer(sizes, sizes)
    union -= shared
    np.maximum(union, 1, out=union)
    np.divide(shared, union, out=shared)
    return shared


def window_mask(when: list[datetime | None], dated: list[bool], rows, cols) -> np.ndarray:
    """Return True where two articles may be one story: either undated, or within the window."""
    seconds = np.array([w.timestamp() if w else np.nan for w in when])
    known = np.array(dated, bool)
    a, b = seconds[rows], seconds[cols][None, :]
    known_a, known_b = known[rows], known[cols][None, :]
    out = np.empty((len(a), b.shape[1]), bool)
    # A band of rows at a time: the float64 gaps of a whole block would be 162 MB apiece.
    for start in range(0, len(a), MASK_ROWS):
        band = slice(start, start + MASK_ROWS)
        near = np.abs(a[band, None] - b) <= STORY_WINDOW.total_seconds()
        out[band] = ~(known_a[band, None] & known_b) | near
    return out


def year_conflicts(tf: sp.csr_matrix) -> np.ndarray:
    """Return True where two articles both name years but not one in common."""
    years = (tf[:, YEAR_COLUMNS] > 0).astype(np.float32)
    named = np.asarray(years.sum(axis=1)).ravel() > 0
    shared = (years @ years.T).toarray() > 0
    return named[:, None] & named[None, :] & ~shared


def story_columns(stories: list[str]) -> dict[str, np.ndarray]:
    """Return the positions (ascending) of each story in a list, the stories in sorted order."""
    found: dict[str, list[int]] = {}
    for col, story in enumerate(stories):
        found.setdefault(story, []).append(col)
    return {story: np.array(found[story], np.int64) for story in sorted(found)}


def place_stories(
    rows: list[int], all_pool: Pool
) -> tuple[dict[int, str], list[tuple[int, int, float]], dict[str, str]]:
    """Cluster new pool rows with their stored neighbours and give each row a story.

    The stored neighbours are clustered again with the new rows, as one run would cluster
    them all. Stored rows keep their stories; a story continues in the one cluster holding
    most of its stored rows. Stored stories that continue in one cluster are one event: they
    merge into the one with most articles (`survivor`). A cluster's new rows join the story it
    continues, or start one. Returns the story of each row, (row, best earlier row of its story,
    score) links, and the merges (merged story -> surviving story).
    """
    new_rows = np.array(rows, np.int64)
    global_rows, score = local_scores(new_rows, all_pool)
    n_old = len(global_rows) - len(new_rows)
    clusters = story_clusters(score, EventProfile.of(all_pool.tf[global_rows]))
    old_story = [all_pool.story_id[int(r)] for r in global_rows[:n_old]]
    continued = continued_stories(clusters, story_columns(old_story))
    merges = story_merges(continued, all_pool)
    old_story = [merges.get(story, story) for story in old_story]
    result: dict[int, str] = {}
    for cluster in dict.fromkeys(clusters[n_old:].tolist()):  # in order of first new row
        members = np.flatnonzero(clusters[n_old:] == cluster) + n_old
        stories = continued.get(cluster, {})
        story = merges.get(min(stories), min(stories)) if stories else None
        started = f"s-{all_pool.article_id[int(global_rows[members[0]])]}"
        for m in members:
            result[int(global_rows[m])] = story or started
    story_local = old_story + [result[int(r)] for r in new_rows]
    links = [
        (int(global_rows[i]), int(global_rows[j]), float(score[i, j]))
        for i, j in closest_earlier(score, story_local, n_old)
    ]
    return result, links, merges


def story_merges(continued: dict[int, dict[str, np.ndarray]], pool: Pool) -> dict[str, str]:
    """Return merged story -> surviving story for clusters that continue several stored stories.

    The survivor is the story with most articles in the pool, then the earliest seen, then the
    lowest id: the choice most readers' ids already point at.
    """
    several = [sorted(stories) for stories in continued.values() if len(stories) > 1]
    if not several:
        return {}
    wanted = {story for stories in several for story in stories}
    size: dict[str, int] = dict.fromkeys(wanted, 0)
    first: dict[str, float] = dict.fromkeys(wanted, float("inf"))
    for story, seen in zip(pool.story_id, pool.seen_at, strict=True):
        if story in size:
            size[story] += 1
            if seen is not None:
                first[story] = min(first[story], seen.timestamp())
    merges = {}
    for stories in several:
        survivor = min(stories, key=lambda s: (-size[s], first[s], s))
        merges.update({story: survivor for story in stories if story != survivor})
    return merges


def continued_stories(
    clusters: np.ndarray, columns: dict[str, np.ndarray]
) -> dict[int, dict[str, np.ndarray]]:
    """Return, per cluster, the stored stories it continues and their columns in it.

    A story continues in the cluster holding most of its stored rows (on a tie, the lowest
    cluster number), so a story that one early run made of two events grows with one of them
    only, and the other event's later rows start a story of their own.
    """
    found: dict[int, dict[str, np.ndarray]] = {}
    for story, cols in columns.items():
        labels, counts = np.unique(clusters[cols], return_counts=True)
        home = int(labels[np.argmax(counts)])
        found.setdefault(home, {})[story] = cols[clusters[cols] == home]
    return found


def local_scores(new_rows: np.ndarray, all_pool: Pool) -> tuple[np.ndarray, np.ndarray]:
    """Return the pool rows compared (stored neighbours, then new rows) and their scores."""
    first_new = int(new_rows.min())
    stored = np.array(
        [r for r in range(first_new) if all_pool.duplicate_of[r] is None], np.int64
    )  # copies add nothing a story's original does not
    idf_rows = np.concatenate((stored, new_rows))
    tf = all_pool.tf[idf_rows]
    vectors = weigh(tf, inverse_document_frequency(tf))
    new_vec = vectors[len(stored) :]
    cand_local = stored_candidates(new_vec, vectors[: len(stored)])
    cand_local = whole_stories(cand_local, [all_pool.story_id[int(r)] for r in stored])
    local = np.concatenate((cand_local, np.arange(len(stored), len(idf_rows))))
    block = vectors[local]
    sim = (block @ block.T).toarray()
    global_rows = idf_rows[local]
    sim *= window_mask(all_pool.seen_at, all_pool.dated, global_rows, global_rows)
    np.fill_diagonal(sim, 1.0)
    # score = (1 - SNN_WEIGHT) * sim + SNN_WEIGHT * snn, in place (the same float32 products).
    score = shared_neighbours(sim)
    score *= SNN_WEIGHT
    sim *= 1 - SNN_WEIGHT
    score += sim
    del sim
    conflicts = year_conflicts(all_pool.tf[global_rows])
    score[conflicts] = score[conflicts] * np.float64(YEAR_CONFLICT)  # as a float64 product
    return global_rows, score


def stored_candidates(new_vec: sp.csr_matrix, stored_vec: sp.csr_matrix) -> np.ndarray:
    """Return the stored rows (sorted) among the most similar ones of some new article.

    Scored SCORE_CHUNK stored rows at a time, keeping each new article's CANDIDATES best, so no
    new-by-stored matrix is ever whole; at most MAX_STORED rows are kept, the most similar first,
    which bounds the block that is clustered (its square matrices) whatever the warehouse holds.
    """
    n_new, n_stored = new_vec.shape[0], stored_vec.shape[0]
    if not n_stored or not n_new:
        return np.zeros(0, np.int64)
    k = min(CANDIDATES, n_stored)
    best = np.zeros((n_new, 0), np.float32)
    cols = np.zeros((n_new, 0), np.int64)
    for start in range(0, n_stored, SCORE_CHUNK):
        block = (new_vec @ stored_vec[start : start + SCORE_CHUNK].T).toarray()
        best = np.hstack((best, block.astype(np.float32)))
        cols = np.hstack(
            (cols, np.broadcast_to(np.arange(start, start + block.shape[1]), block.shape))
        )
        if best.shape[1] > k:
            top = np.argpartition(-best, k - 1, axis=1)[:, :k]
            best = np.take_along_axis(best, top, axis=1)
            cols = np.take_along_axis(cols, top, axis=1)
    keep = best >= SNN_MIN
    peak: dict[int, float] = {}
    for col, score in zip(cols[keep].tolist(), best[keep].tolist(), strict=True):
        peak[col] = max(peak.get(col, 0.0), score)
    chosen = sorted(peak, key=lambda c: (-peak[c], c))[:MAX_STORED]
    return np.array(sorted(chosen), np.int64)


def average_link(score: np.ndarray, threshold: float = STORY_THRESHOLD) -> np.ndarray:
    """Return the cluster number of each article: average link, cut at threshold."""
    if len(score) <= 1:
        return np.ones(len(score), np.int64)
    distance = 1 - score
    np.clip(distance, 0, None, out=distance)
    np.fill_diagonal(distance, 0)
    condensed = squareform(distance, checks=False)
    del distance  # the square is not needed while the tree is built
    tree = linkage(condensed, "average")
    return fcluster(tree, 1 - threshold, "distance")


@dataclass(slots=True)
class EventProfile:
    """Per article: key participants and lead years it marks, and whether it names each at all.

    Columns are the participants and years marked among the articles compared, so the
    matrices stay as small as the block.
    """

    keys: np.ndarray  # articles x marks (participants, then lead years), 1 where marked
    named: np.ndarray  # articles x marks, 1 where the article names it anywhere

    @classmethod
    def of(cls, tf: sp.csr_matrix) -> EventProfile:
        """Return the profiles of story vector rows."""
        marked = tf[:, KEY_OFFSET:]
        found = np.unique(marked.indices)
        year_hash = YEAR_COLUMNS - WORD_FEATURES
        years = found[np.isin(found, year_hash)]
        words = found[~np.isin(found, year_hash)]
        # A participant is named where its word is; a lead year where the article names it.
        named_at = np.concatenate((words, years + WORD_FEATURES))
        columns = np.concatenate((words, years))
        return cls(
            (marked[:, columns] > 0).toarray().astype(np.float32),
            (tf[:, named_at] > 0).toarray().astype(np.float32),
        )

    def conflict(self, a: list[int], b: list[int]) -> bool:
        """Return True where two groups of articles tell different events of one kind.

        Groups of MIN_GROUP or more conflict when a mark held by KEY_SHARE of one group is
        named by at most ABSENT_SHARE of the other. Two groups of two or more conflict when
        each holds a mark all its articles share and the other never names. Otherwise an
        article is apart from another when each holds PAIR_MARKS marks the other never names
        (one report may well skip a participant or a year, hardly two each way); two small
        groups conflict when some pair is apart, a small group and a large one when one of the
        small group's articles is apart from KEY_SHARE of the large one.
        """
        if len(a) >= MIN_GROUP and len(b) >= MIN_GROUP:
            keys_a, keys_b = self.keys[a].mean(axis=0), self.keys[b].mean(axis=0)
            named_a, named_b = self.named[a].mean(axis=0), self.named[b].mean(axis=0)
            return bool(
                np.any((keys_a >= KEY_SHARE) & (named_b <= ABSENT_SHARE))
                or np.any((keys_b >= KEY_SHARE) & (named_a <= ABSENT_SHARE))
            )
        if len(a) >= 2 and len(b) >= 2:  # two reports agreeing on a mark, both ways
            shared_a = self.keys[a].min(axis=0) * (1 - self.named[b].max(axis=0))
            shared_b = self.keys[b].min(axis=0) * (1 - self.named[a].max(axis=0))
            if shared_a.any() and shared_b.any():
                return True
        unknown_ab = self.keys[a] @ (1 - self.named[b]).T  # marks of a's rows b's rows lack
        unknown_ba = self.keys[b] @ (1 - self.named[a]).T
        apart = (unknown_ab >= PAIR_MARKS) & (unknown_ba.T >= PAIR_MARKS)
        if len(a) >= MIN_GROUP or len(b) >= MIN_GROUP:
            # Against a group, a report must be apart from most of it, not from its one
            # most unusual member: some report of a large story always names others.
            across = apart.mean(axis=1) if len(b) >= MIN_GROUP else apart.mean(axis=0)
            return bool(np.any(across >= KEY_SHARE))
        return bool(np.any(apart))


def story_clusters(score: np.ndarray, profile: EventProfile) -> np.ndarray:
    """Return the cluster number of each article: average link that refuses conflicting merges.

    Plain average link first; each of its clusters large enough to hold two groups is merged
    again, step by step, skipping a merge of two groups that conflict. Refusing a merge can
    only split a cluster, so the plain clusters bound the work.
    """
    plain = average_link(score)
    clusters = np.zeros(len(score), np.int64)
    number = 0
    for label in np.unique(plain):
        members = np.flatnonzero(plain == label)
        groups = checked_merges(score, members, profile) if len(members) > 1 else [members.tolist()]
        for group in groups:
            number += 1
            clusters[group] = number
    return clusters


def checked_merges(
    score: np.ndarray, members: np.ndarray, profile: EventProfile
) -> list[list[int]]:
    """Return the groups average link makes of some rows when conflicting groups never merge.

    A refused pair stays refused until one of its groups grows. Ties go to the first pair.
    """
    block = score[np.ix_(members, members)].astype(np.float64)
    if len(members) > SINGLE_START:  # bounds the square loop; tight groups hold one event
        local = average_link(block, TIGHT)
        parts = [np.flatnonzero(local == g) for g in np.unique(local)]
    else:
        parts = [np.array([m]) for m in range(len(members))]
    groups = [members[part].tolist() for part in parts]
    index = np.zeros((len(groups), len(members)))
    for g, part in enumerate(parts):
        index[g, part] = 1.0
    total = index @ block @ index.T  # score sums between groups
    size = index.sum(axis=1)
    open_ = ~np.eye(len(groups), dtype=bool)  # pairs that may still merge
    alive = np.ones(len(groups), bool)
    while True:
        mean = np.where(open_, total / np.outer(size, size), -np.inf)
        i, j = divmod(int(np.argmax(mean)), len(groups))
        if mean[i, j] < STORY_THRESHOLD:
            break
        if profile.conflict(groups[i], groups[j]):
            open_[i, j] = open_[j, i] = False
            continue
        groups[i], groups[j] = groups[i] + groups[j], []
        total[i] += total[j]
        total[:, i] += total[:, j]
        size[i] += size[j]
        alive[j] = False
        open_[j] = open_[:, j] = False
        open_[i] = open_[:, i] = alive  # a grown group is judged afresh
        open_[i, i] = False
    return [sorted(g) for g in groups if g]


def whole_stories(chosen: np.ndarray, stories: list[str]) -> np.ndarray:
    """Return the chosen stored rows with the other rows of their stories (sorted).

    A stored story is judged whole, as one run would judge it: whether it continues, and
    whether it is one event with another, is not decided on the few of its rows nearest some
    new article. At most MAX_STORY_ROWS rows of a story are added, the latest first.
    """
    if not len(chosen):
        return chosen
    wanted = {stories[int(c)] for c in chosen}
    rows: dict[str, list[int]] = {}
    for row, story in enumerate(stories):
        if story in wanted:
            rows.setdefault(story, []).append(row)
    extra = [r for found in rows.values() for r in found[-MAX_STORY_ROWS:]]
    return np.array(sorted(set(chosen.tolist()) | set(extra)), np.int64)[-MAX_STORED:]


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
