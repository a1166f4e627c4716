"""Entity index: one entity_key per real-world name across articles and wires.

Each mention's canonical name (already stripped of titles and expanded within its article by
tasks/components/entities.py) is folded (case, accents, punctuation) and matched against the
entities the warehouse already holds:

1. the same folded name or alias within the same key class → that entity;
2. else a multi-word name of the same label with as many words, sharing at least one word
   exactly, every other word a close spelling (rapidfuzz ratio ≥ 80: Raisi/Raïssi/Raeisi) →
   the closest such entity;
3. else a new entity, keyed by a hash of its key class and folded name.

A lone surname is matched only through an alias that points to exactly one entity, so two
people who share a surname are never merged on the surname alone. Keys never change once
written; each batch reads only the stored entities its names can match (by alias_keys, the
folded aliases) and commits only the entities it counts, as an upsert.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc
from prefect import task
from rapidfuzz import fuzz

from tasks.common import normalize_for_match, stable_id
from tasks.components.countries import country
from tasks.policies import CACHED
from tasks.staging import BatchSpec, Staged, stage
from warehouse import Warehouse
from warehouse.schemas import ENTITIES

PLACE_LIKE = {"ORG", "GPE", "LOC", "FAC"}  # "the Elysee said" is one name whatever the model says
# A full name the model read as a person in one article and as a body in another is one name.
OTHER_CLASS = {"PERSON": "NAMED", "NAMED": "PERSON"}
MIN_WORD_RATIO = 80.0
MAX_ALIASES = 50


@lru_cache(maxsize=1 << 17)
def fold_name(name: str) -> str:
    """Return a name folded for matching, cached: the same names recur in every batch."""
    return normalize_for_match(name)


def key_class(label: str) -> str:
    """Return the class within which names are matched: people apart from places and bodies."""
    return "NAMED" if label in PLACE_LIKE else label


@dataclass(slots=True)
class Entity:
    """One entity as the index tracks it."""

    entity_key: str
    key_class: str
    labels: Counter = field(default_factory=Counter)
    aliases: Counter = field(default_factory=Counter)
    articles: set[str] = field(default_factory=set)
    n_articles: int = 0
    sources: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    n_mentions: int = 0

    def label(self) -> str:
        """Return the label most of the entity's mentions carry (ties: alphabetical)."""
        return sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    def name(self) -> str:
        """Return the display name: the most used multi-word alias, else the most used one."""
        ranked = sorted(self.aliases.items(), key=lambda kv: (-(" " in kv[0]), -kv[1], kv[0]))
        return ranked[0][0] if ranked else ""

    def row(self) -> dict:
        """Return the entity as a row of the entities table."""
        top = sorted(self.aliases.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ALIASES]
        label = self.label()
        return {
            "entity_key": self.entity_key,
            "label": label,
            "name": self.name(),
            "aliases": [a for a, _ in top],
            "alias_counts": [n for _, n in top],
            "alias_keys": [fold_name(a) for a, _ in top],
            "n_mentions": self.n_mentions,
            "n_articles": self.n_articles + len(self.articles),
            "n_sources": len(self.sources),
            "sources": sorted(self.sources),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


class Index:
    """Known entities with lookups by folded alias and by folded word."""

    def __init__(self, stored: pa.Table) -> None:
        self.entities: dict[str, Entity] = {}
        self.by_alias: dict[tuple[str, str], set[str]] = {}
        self.by_word: dict[tuple[str, str], set[str]] = {}
        for row in stored.to_pylist():
            entity = Entity(
                row["entity_key"],
                key_class(row["label"]),
                Counter({row["label"]: row["n_mentions"] or 1}),
                Counter(dict(zip(row["aliases"] or [], row["alias_counts"] or [], strict=True))),
                n_articles=row["n_articles"] or 0,
                sources=set(row["sources"] or []),
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                n_mentions=row["n_mentions"] or 0,
            )
            self.entities[entity.entity_key] = entity
            # alias_keys holds the aliases folded already (older rows lack it: fold them here)
            for folded in row.get("alias_keys") or [fold_name(a) for a in entity.aliases]:
                self.remember_folded(entity, folded)
        self.touched: set[str] = set()

    def remember(self, entity: Entity, name: str) -> None:
        """Index a name of an entity by its folded form and its folded words."""
        self.remember_folded(entity, fold_name(name))

    def remember_folded(self, entity: Entity, folded: str) -> None:
        """Index an entity by one of its folded names and by that name's words."""
        if not folded:
            return
        self.by_alias.setdefault((entity.key_class, folded), set()).add(entity.entity_key)
        if " " in folded:
            for word in folded.split():
                self.by_word.setdefault((entity.key_class, word), set()).add(entity.entity_key)

    def fuzzy(self, cls: str, folded: str) -> str | None:
        """Return the entity whose multi-word name is a close spelling of this one, if any."""
        words = folded.split()
        if len(words) < 2:
            return None
        best: tuple[float, str] | None = None
        candidates = set().union(*(self.by_word.get((cls, w), set()) for w in words))
        for key in sorted(candidates):
            for alias in self.entities[key].aliases:
                other = fold_name(alias).split()
                if len(other) != len(words) or not set(other) & set(words):
                    continue
                ratios = [fuzz.ratio(a, b) for a, b in zip(words, other, strict=True)]
                if min(ratios) >= MIN_WORD_RATIO:
                    score = sum(ratios) / len(ratios)
                    if best is None or score > best[0]:
                        best = (score, key)
        return best[1] if best else None

    def resolve(self, label: str, canonical: str) -> str:
        """Return the entity_key for a name, creating the entity when it is new."""
        cls = key_class(label)
        folded = fold_name(canonical) or canonical.casefold()
        keys = self.by_alias.get((cls, folded), set())
        if len(keys) == 1:
            return next(iter(keys))
        if len(keys) > 1:  # an ambiguous short alias: the entity named exactly so, if any
            exact = [k for k in sorted(keys) if fold_name(self.entities[k].name()) == folded]
            if exact:
                return exact[0]
        if not keys and " " in folded and cls in OTHER_CLASS:
            across = self.by_alias.get((OTHER_CLASS[cls], folded), set())
            if len(across) == 1:  # the same full name, read the other way in another article
                return next(iter(across))
        found = self.fuzzy(cls, folded)
        if found:
            return found
        key = stable_id(cls, folded)
        if key not in self.entities:
            self.entities[key] = Entity(key, cls)
        return key

    def add(
        self, key: str, label: str, names: list[str], article: tuple[str, str, datetime]
    ) -> None:
        """Count one mention of an entity in an article (id, source, time)."""
        entity = self.entities[key]
        article_id, source, when = article
        entity.labels[label] += 1
        entity.n_mentions += 1
        for name in names:
            if name:
                entity.aliases[name] += 1
                if entity.aliases[name] == 1:  # a known alias is indexed already
                    self.remember(entity, name)
        entity.articles.add(article_id)
        if source:
            entity.sources.add(source)
        if when is not None:
            entity.first_seen = min(entity.first_seen or when, when)
            entity.last_seen = max(entity.last_seen or when, when)
        self.touched.add(key)

    def table(self) -> pa.Table:
        """Return the entities this batch counted mentions for: its upsert into the table."""
        rows = [self.entities[k].row() for k in sorted(self.touched)]
        return pa.Table.from_pylist([r for r in rows if r["n_mentions"]], schema=ENTITIES)


def entity_name(label: str, canonical: str) -> str:
    """Return the name that finds a mention's entity: a country's one name for "U.S."."""
    return (country(canonical, label) or canonical) if label == "GPE" else canonical


def strip_article(text: str) -> str:
    """Return a mention's text without a leading article and possessive ending."""
    words = text.split()
    if len(words) > 1 and words[0].lower() in {"the", "a", "an"}:
        words = words[1:]
    name = " ".join(words)
    for ending in ("'s", "’s", "'", "’"):
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)]
    return name


def index_mentions(
    mentions: pa.Table, articles: pa.Table, stored: pa.Table
) -> tuple[pa.Table, pa.Table | None]:
    """Return the mentions with entity_key set and the entities they change (None if none)."""
    # Only the articles this batch loads count; the load drops the other articles' mentions.
    mentions = mentions.filter(pc.is_in(mentions["article_id"], value_set=articles["article_id"]))
    if mentions.num_rows == 0:
        return mentions, None
    when = pc.coalesce(articles["published_at"], articles["ingested_at"]).to_pylist()
    info = {
        a: (a, s, w)
        for a, s, w in zip(
            articles["article_id"].to_pylist(), articles["source"].to_pylist(), when, strict=True
        )
    }
    index = Index(stored)
    rows = mentions.to_pylist()
    # Full names first, so that a bare surname can find the person its article named in full.
    order = sorted(range(len(rows)), key=lambda i: (" " not in (rows[i]["canonical"] or ""), i))
    keys: list[str | None] = [None] * len(rows)
    for i in order:
        row = rows[i]
        canonical = entity_name(row["label"], row["canonical"] or row["text"])
        key = index.resolve(row["label"], canonical)
        keys[i] = key
        article = info.get(row["article_id"])
        if article is not None:
            index.add(key, row["label"], [canonical, strip_article(row["text"])], article)
    position = mentions.schema.get_field_index("entity_key")
    keyed = mentions.set_column(position, "entity_key", pa.array(keys, pa.string()))
    labels = [
        agreed_label(row["label"], index.entities[k]) for row, k in zip(rows, keys, strict=True)
    ]
    position = keyed.schema.get_field_index("label")
    keyed = keyed.set_column(position, "label", pa.array(labels, pa.string()))
    return keyed, index.table()


def agreed_label(label: str, entity: Entity) -> str:
    """Return a mention's label, or its entity's when they disagree on person against body."""
    majority = entity.label()
    return majority if key_class(label) != key_class(majority) else label


def lookup_keys(mentions: pa.Table) -> tuple[set[str], set[str]]:
    """Return the folded names a batch's mentions can be matched by, and their words."""
    names = set()
    for label, canonical, text in zip(
        mentions["label"].to_pylist(),
        mentions["canonical"].to_pylist(),
        mentions["text"].to_pylist(),
        strict=True,
    ):
        for name in (entity_name(label, canonical or text or ""), strip_article(text or "")):
            folded = fold_name(name or "")
            if folded:
                names.add(folded)
    words = {w for name in names if " " in name for w in name.split()}
    return names, words


def stored_entities(warehouse: Warehouse, mentions: pa.Table) -> pa.Table:
    """Read the stored entities a batch's mentions can resolve to, not the whole table.

    Those are the entities with an alias equal to one of the batch's folded names (exact and
    surname matches) or sharing a word with one (close spellings of multi-word names). Only
    the alias_keys column is scanned to find them, in Arrow; their rows are then read whole.
    """
    if mentions.num_rows == 0:
        return ENTITIES.empty_table()
    names, words = lookup_keys(mentions)
    with warehouse.snapshot() as snap:
        keys = snap.read("entities", columns=["entity_key", "aliases", "alias_keys"])
        if keys.num_rows == 0:
            return ENTITIES.empty_table()
        legacy = pc.is_null(keys["alias_keys"])
        if pc.any(legacy).as_py():  # rows written before alias_keys existed: fold them here
            folded = [
                [fold_name(a) for a in aliases or []] if missing else given
                for aliases, given, missing in zip(
                    keys["aliases"].to_pylist(),
                    keys["alias_keys"].to_pylist(),
                    legacy.to_pylist(),
                    strict=True,
                )
            ]
            column = pa.array(folded, pa.list_(pa.string()))
        else:
            column = keys["alias_keys"].combine_chunks()
        aliases = pc.list_flatten(column)
        owner = pc.list_parent_indices(column)
        split = pc.utf8_split_whitespace(aliases)
        word_owner = pc.take(owner, pc.list_parent_indices(split))
        hit = pc.is_in(aliases, value_set=pa.array(sorted(names), pa.string()))
        word_hit = pc.is_in(pc.list_flatten(split), value_set=pa.array(sorted(words), pa.string()))
        rows = pa.concat_arrays([pc.filter(owner, hit), pc.filter(word_owner, word_hit)])
        wanted = pc.take(keys["entity_key"].combine_chunks(), pc.unique(rows))
        if len(wanted) == 0:
            return ENTITIES.empty_table()
        return snap.read("entities", filter=pc.field("entity_key").isin(wanted))


@task(name="entities", task_run_name="entities-{spec.label}", **CACHED)
def index_entities(
    spec: BatchSpec, deduped: Staged, extracted: Staged, warehouse: Warehouse
) -> Staged:
    """Give a batch's mentions their entity_key and fold them into the entities table."""
    found = extracted.table("mentions")
    stored = stored_entities(warehouse, found)
    mentions, entities = index_mentions(found, deduped.table("articles"), stored)
    return stage(spec, "entities", {"mentions": mentions, "entities": entities})
