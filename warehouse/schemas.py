"""The data contract: one explicit Arrow schema per warehouse table."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 1

TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table's name, schema and layout."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    sort_by: tuple[str, ...] = ()
    partition_by_month: str | None = None  # timestamp column that picks the month folder
    mutable: bool = False  # rewritten whole and swapped atomically
    # Bump when columns are added; the warehouse refuses writes that drop or retype a column.
    version: int = SCHEMA_VERSION


ARTICLES = pa.schema(
    [
        ("article_id", pa.string()),
        ("source", pa.string()),
        ("source_item_id", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("published_at", TS),
        ("ingested_at", TS),
        ("language", pa.string()),
        ("body", pa.string()),
        ("body_hash", pa.string()),
        ("word_count", pa.int32()),
        ("dateline", pa.string()),
        ("credit", pa.string()),
        ("duplicate_of", pa.string()),
        ("story_id", pa.string()),
        ("run_id", pa.string()),
        ("byline", pa.string()),
        ("item_uri", pa.string()),
        ("version", pa.int32()),
        ("supersedes", pa.string()),
        ("withdrawn", pa.bool_()),
        ("raw_id", pa.string()),
        ("language_confidence", pa.float32()),
    ]
)

RAW = pa.schema(
    [
        ("raw_id", pa.string()),
        ("source", pa.string()),
        ("item_id", pa.string()),
        ("path", pa.string()),
        ("format", pa.string()),
        ("content_hash", pa.string()),
        ("size", pa.int64()),
        ("received_at", TS),
        ("data", pa.large_binary()),
        ("run_id", pa.string()),
    ]
)

MENTIONS = pa.schema(
    [
        ("article_id", pa.string()),
        ("mention_idx", pa.int32()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("canonical", pa.string()),
        ("run_id", pa.string()),
        ("entity_key", pa.string()),  # the entities row this mention counts for
    ]
)

ENTITIES = pa.schema(
    [
        ("entity_key", pa.string()),
        ("label", pa.string()),
        ("name", pa.string()),
        ("aliases", pa.list_(pa.string())),
        ("alias_counts", pa.list_(pa.int32())),
        ("n_mentions", pa.int32()),
        ("n_articles", pa.int32()),
        ("n_sources", pa.int32()),
        ("sources", pa.list_(pa.string())),
        ("first_seen", TS),
        ("last_seen", TS),
        ("alias_keys", pa.list_(pa.string())),  # aliases folded for matching, same order
    ]
)

QUOTES = pa.schema(
    [
        ("article_id", pa.string()),
        ("quote_idx", pa.int32()),
        ("text", pa.string()),
        ("quote_type", pa.string()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("speaker", pa.string()),
        ("speaker_text", pa.string()),
        ("speaker_start", pa.int32()),
        ("speaker_end", pa.int32()),
        ("cue", pa.string()),
        ("cue_start", pa.int32()),
        ("cue_end", pa.int32()),
        ("confidence", pa.float32()),
        ("quote_key", pa.string()),
        ("run_id", pa.string()),
        # The quoted pieces in order: “A,” he said, “B.” is one quote of two pieces.
        ("segments", pa.list_(pa.struct([("start_char", pa.int32()), ("end_char", pa.int32())]))),
        ("cue_kind", pa.string()),  # what the cue attributes: speech, thought or evidence
    ]
)

LINKS = pa.schema(
    [
        ("article_id", pa.string()),
        ("other_article_id", pa.string()),
        ("relation", pa.string()),
        ("score", pa.float32()),
        ("method", pa.string()),
        ("run_id", pa.string()),
    ]
)

SIGNATURES = pa.schema(
    [
        ("article_id", pa.string()),
        ("story_id", pa.string()),
        ("duplicate_of", pa.string()),
        ("published_at", TS),
        ("seen_at", TS),  # published_at, else ingested_at: what "recent" means
        ("dated", pa.bool_()),
        ("body_hash", pa.string()),
        ("n_shingles", pa.int32()),
        ("minhash", pa.list_(pa.uint32())),  # one-permutation MinHash, 128 bins
        ("lsh_bands", pa.list_(pa.uint64())),  # 64 band keys of 2 bins
        ("terms", pa.list_(pa.uint32())),  # story vector: hashed word/entity/quote features
        ("term_weights", pa.list_(pa.float32())),  # 1 + log(count); IDF is applied when read
        ("run_id", pa.string()),
    ]
)

STORIES = pa.schema(
    [
        ("story_id", pa.string()),
        ("title", pa.string()),
        ("first_seen", TS),
        ("last_seen", TS),
        ("n_articles", pa.int32()),
        ("n_sources", pa.int32()),
        ("sources", pa.list_(pa.string())),
        ("credits", pa.list_(pa.string())),  # wires the articles credit ("AFP", ...)
        ("original_article_id", pa.string()),
        ("original_source", pa.string()),
        # Lineage: a story found to be one event with another points at it (never at itself);
        # its articles keep this story_id, the view story_current resolves it (chains too).
        ("merged_into", pa.string()),
        ("merged_at", TS),
    ]
)

REJECTS = pa.schema(
    [
        ("reject_id", pa.string()),
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("source_item_id", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)

RUNS = pa.schema(
    [
        ("run_id", pa.string()),
        ("started_at", TS),
        ("finished_at", TS),
        ("status", pa.string()),
        ("documents_read", pa.int32()),
        ("articles_loaded", pa.int32()),
        ("already_loaded", pa.int32()),
        ("rejects", pa.int32()),
        ("duplicates", pa.int32()),
        ("stories_new", pa.int32()),
        ("mentions", pa.int32()),
        ("quotes", pa.int32()),
        ("documents_skipped", pa.int32()),
        ("error", pa.string()),
        ("requests", pa.int32()),  # HTTP requests made for live sources
        ("not_modified", pa.int32()),  # of which answered 304
        ("source", pa.string()),  # the configured source (null: each document's own wire)
        ("sources", pa.list_(pa.string())),  # the wires the run read (documents, rejects, requests)
    ]
)

FETCHES = pa.schema(
    [
        ("fetch_id", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("final_url", pa.string()),  # after redirects
        ("kind", pa.string()),  # robots | source (configured URL, sitemap) | index | page
        ("status", pa.int32()),  # null when no answer came
        ("bytes", pa.int64()),  # body size after decompression
        ("elapsed_ms", pa.int32()),  # the request's own time
        ("wait_ms", pa.int32()),  # queued before it: host slots, politeness delay, robots.txt
        ("redirects", pa.int32()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("content_type", pa.string()),
        ("reason", pa.string()),  # http_404, timeout, robots, ...; null when the answer was used
        ("error", pa.string()),
        ("parent_url", pa.string()),  # the feed or sitemap that listed the page
        ("item_id", pa.string()),  # the item the page was fetched for
        ("links", pa.list_(pa.string())),  # a feed's or sitemap's entry links, for re-polls
        ("fetched_at", TS),
        ("run_id", pa.string()),
    ]
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("articles", ARTICLES, ("article_id",), ("published_at",), "published_at"),
        TableSpec("mentions", MENTIONS, ("article_id", "mention_idx")),
        TableSpec("quotes", QUOTES, ("article_id", "quote_idx"), version=3),
        TableSpec("links", LINKS, ("article_id", "other_article_id", "relation")),
        TableSpec("signatures", SIGNATURES, ("article_id",)),
        TableSpec("rejects", REJECTS, ("reject_id",)),
        TableSpec("runs", RUNS, ("run_id",), version=4),
        TableSpec("fetches", FETCHES, ("fetch_id",), ("fetched_at",), "fetched_at", version=2),
        TableSpec("raw", RAW, ("raw_id",), ("received_at",)),
        TableSpec("stories", STORIES, ("story_id",), ("first_seen",), mutable=True, version=2),
        TableSpec("entities", ENTITIES, ("entity_key",), ("entity_key",), mutable=True, version=2),
    )
}


def empty(name: str) -> pa.Table:
    """Return an empty table with the named table's schema."""
    return TABLES[name].schema.empty_table()
