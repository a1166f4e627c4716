"""The registered spaCy components: the quote component and the partial parser's factory."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from tasks.components.quotes.extraction import extract_quotes
from tasks.components.quotes.parser import PartialParser
from tasks.components.quotes.text import OFFSETS_KEY, TEXT_KEY, ensure_extension

COMPONENT = "wiredesk_quotes"
PARTIAL_PARSER = "wiredesk_partial_parser"


@Language.factory(PARTIAL_PARSER, requires=["token.orth"], assigns=["token.dep", "token.head"])
def make_partial_parser(nlp: Language, name: str) -> PartialParser:
    """Build the partial parser over the pipeline's own tok2vec and parser."""
    return PartialParser(nlp)


@Language.component(COMPONENT, requires=["token.dep", "doc.ents"], assigns=["doc._.wd_quotes"])
def quote_component(doc: Doc) -> Doc:
    """Set doc._.wd_quotes: direct, partial and reported quotes in text order."""
    ensure_extension()
    doc._.wd_quotes = extract_quotes(doc)
    doc.user_data.pop(TEXT_KEY, None)  # the caches are only for this pass
    doc.user_data.pop(OFFSETS_KEY, None)
    return doc


ensure_extension()
