"""Quote keys: one key for the same quoted words across wires, fragments and small edits included.

A key computed from one quote alone cannot express "fragment of", so keys are assigned in two
steps. ``quote_key`` is the per-quote default: a hash of the folded words without the most common
function words, so case, punctuation, quote marks and small words ("by", "the") never split a key.
``assign_keys`` then clusters a whole extraction batch: two quotes join when the shorter one has at
least ``MIN_KEY_WORDS`` distinctive words and all but at most ``MAX_KEY_GAP`` of its words occur
in order in the longer one (so a couple of shared common words never link quotes); each cluster
takes the smallest default key among its members, which is deterministic for a given batch and
stable across runs whenever the same quotes meet again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from difflib import SequenceMatcher
from itertools import pairwise

from tasks.common import normalize_for_match

# Function words left out of the per-quote key and not counted as distinctive words.
FUNCTION_WORDS = (
    "a an the and or but of to in on at by for with from as is are was were be been being "
    "it its this that these those he she they we i you his her their our my your them us "
    "will would can could should may might must shall do does did has have had not no so "
    "there here than then also just very all any some"
)
STOPWORDS = frozenset(FUNCTION_WORDS.split())
MIN_KEY_WORDS = 3
MAX_KEY_GAP = 2
MAX_BLOCK = 200  # quotes sharing one word pair: a pair this common is not evidence of one quote


def key_words(text: str) -> list[str]:
    """Return the folded words of a quote."""
    return normalize_for_match(text).split()


def quote_key(text: str) -> str:
    """Return the default key of a quote: a hash of its folded words without function words."""
    words = [w for w in key_words(text) if w not in STOPWORDS] or key_words(text)
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()[:16]


def same_words(short: list[str], long: list[str]) -> bool:
    """Return whether the shorter quote's words occur as one run of the longer, up to a word or two.

    The run may miss or add at most MAX_KEY_GAP words, and must hold MIN_KEY_WORDS distinctive
    words: a couple of common words never make two quotes one.
    """
    if len(short) > len(long):
        short, long = long, short
    if sum(w not in STOPWORDS for w in short) < MIN_KEY_WORDS:
        return False
    matcher = SequenceMatcher(None, short, long, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return False
    shared = [w for a, _, n in blocks for w in short[a : a + n]]
    run = blocks[-1].b + blocks[-1].size - blocks[0].b  # words of the longer the match spans
    distinct = sum(w not in STOPWORDS for w in shared)
    return (
        len(short) - len(shared) <= MAX_KEY_GAP
        and run - len(shared) <= MAX_KEY_GAP
        and distinct >= MIN_KEY_WORDS
    )


def may_share_words(short: frozenset[str], long: frozenset[str]) -> bool:
    """Return whether same_words could hold: the shorter quote misses at most a word or two."""
    return len(short - long) <= MAX_KEY_GAP


class Clusters:
    """Union-find over quote positions: which quotes are one quote."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        """Return the representative of i's cluster."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        """Put i's cluster into j's."""
        root = self.find(j)
        self.parent[self.find(i)] = root


def word_pair_blocks(words: list[list[str]]) -> dict[tuple[str, str], list[int]]:
    """Return the quotes holding each pair of adjacent distinctive words, in quote order."""
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        distinct = [w for w in ws if w not in STOPWORDS]
        for pair in set(pairwise(distinct)):
            blocks[pair].append(i)
    return blocks


def join_same_words(words: list[list[str]], keys: list[str], clusters: Clusters) -> None:
    """Join quotes with the same words; only quotes sharing a distinctive word pair are compared."""
    vocab = [frozenset(ws) for ws in words]
    sizes = [len(ws) for ws in words]
    seen: set[tuple[int, int]] = set()
    find = clusters.find
    for members in word_pair_blocks(words).values():
        if len(members) > MAX_BLOCK:
            continue
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                shorter = (vocab[i], vocab[j]) if sizes[i] <= sizes[j] else (vocab[j], vocab[i])
                if not may_share_words(*shorter) or (i, j) in seen or find(i) == find(j):
                    continue
                seen.add((i, j))
                if keys[i] != keys[j] and same_words(words[i], words[j]):
                    clusters.join(i, j)


def assign_keys(texts: list[str]) -> list[str]:
    """Return a key per quote text, shared by quotes with the same words (clustered)."""
    words = [key_words(t) for t in texts]
    keys = [quote_key(t) for t in texts]
    clusters = Clusters(len(texts))
    join_same_words(words, keys, clusters)
    first: dict[str, int] = {}
    for i, k in enumerate(keys):  # identical default keys are one quote already
        clusters.join(i, first.setdefault(k, i))
    best: dict[int, str] = {}
    for i, k in enumerate(keys):
        root = clusters.find(i)
        best[root] = min(best.get(root, k), k)
    return [best[clusters.find(i)] for i in range(len(texts))]
