"""Turn what the NLP components found into warehouse rows: the one place they meet the schema.

The components (tasks/components) emit `Mention` and `Quote` tuples per text and import no
storage schema; extraction hands them here to become the mentions and quotes tables.
"""

from __future__ import annotations

import pyarrow as pa

from tasks.components.entities import Mention
from tasks.components.quotes.extraction import Quote, Ranges
from tasks.components.quotes.keys import assign_keys
from warehouse.schemas import MENTIONS, QUOTES


def mentions_table(article_ids: list[str], mentions: list[list[Mention]]) -> pa.Table:
    """Return mention rows for articles in the mentions schema."""
    rows: dict[str, list] = {name: [] for name in MENTIONS.names}
    for article_id, found in zip(article_ids, mentions, strict=True):
        for idx, m in enumerate(found):
            m = Mention(*m)
            values = {
                "article_id": article_id,
                "mention_idx": idx,
                "text": m.text,
                "label": m.label,
                "start_char": m.start_char,
                "end_char": m.end_char,
                "canonical": m.canonical,
            }
            for name in rows:
                rows[name].append(values.get(name))
    return pa.table(rows, schema=MENTIONS)


def quotes_table(article_ids: list[str], quotes: list[list[Quote]]) -> pa.Table:
    """Return quote rows for articles in the quotes schema, with keys clustered over the batch."""
    rows: dict[str, list] = {name: [] for name in QUOTES.names}
    flat = [Quote(*q) for found in quotes for q in found]
    # Only quoted words are clustered: reported speech is a paraphrase and keeps its own key.
    marked = [i for i, q in enumerate(flat) if q.quote_type != "indirect"]
    clustered = dict(zip(marked, assign_keys([flat[i].text for i in marked]), strict=True))
    keys = iter(clustered.get(i, q.quote_key) for i, q in enumerate(flat))
    for article_id, found in zip(article_ids, quotes, strict=True):
        for idx, q in enumerate(found):
            q = Quote(*q)._replace(quote_key=next(keys))
            rows["article_id"].append(article_id)
            rows["quote_idx"].append(idx)
            rows["run_id"].append(None)
            for name, value in q._asdict().items():
                rows[name].append(segment_rows(value) if name == "segments" else value)
    return pa.table(rows, schema=QUOTES)


def segment_rows(pieces: Ranges) -> list[dict[str, int]]:
    """Return a quote's pieces as the segments column holds them."""
    return [{"start_char": s, "end_char": e} for s, e in pieces]
