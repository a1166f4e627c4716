"""Quotes: quoted and reported speech with speaker and cue, as a registered spaCy component.

The component reads the shared parse (dependency labels and word forms only: the pipeline has
no tagger or lemmatizer) and the entity component's ``doc._.wd_mentions``. It finds marked quotes
(``spans``, their cues in ``marked``) and reported speech (``reported``, its content in
``content``), with cue words in ``cues`` and speakers in ``speakers``; ``extraction`` joins them
into Quote rows and ``keys`` gives the same quoted words one key across wires. ``component``
registers the spaCy component and the partial parser (``parser``).
"""

from tasks.components.quotes.component import COMPONENT, PARTIAL_PARSER, quote_component
from tasks.components.quotes.cues import KINDS, cue_kind
from tasks.components.quotes.extraction import Quote, extract_quotes
from tasks.components.quotes.keys import assign_keys, quote_key, same_words
from tasks.components.quotes.parser import PartialParser, parsed_runs, segments
from tasks.components.quotes.spans import (
    OPENERS,
    find_marked,
    opener_start,
    past_closer,
    scan_paragraph,
)
from tasks.components.quotes.speakers import named_before

__all__ = [
    "COMPONENT",
    "KINDS",
    "OPENERS",
    "PARTIAL_PARSER",
    "PartialParser",
    "Quote",
    "assign_keys",
    "cue_kind",
    "extract_quotes",
    "find_marked",
    "named_before",
    "opener_start",
    "parsed_runs",
    "past_closer",
    "quote_component",
    "quote_key",
    "same_words",
    "scan_paragraph",
    "segments",
]
