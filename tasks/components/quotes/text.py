"""Per-doc lookups every quote step shares: the text, token offsets, entity mentions, ranges.

The text and offsets are cached in ``doc.user_data`` for one component pass, since spaCy joins
every token on each ``doc.text`` and quote extraction reads them many times per doc.
"""

from __future__ import annotations

from bisect import bisect_right

from spacy.attrs import IDX, LOWER
from spacy.tokens import Doc, Token

from tasks.common import token_words
from tasks.components.entities import Mention

TEXT_KEY = "wd_text"  # doc.user_data caches: the text and token offsets, read many times per doc
OFFSETS_KEY = "wd_offsets"
PUNCT_EDGE = " \t\n,;:—–-"
TRAILING_JOINS = ("and", "but", "or")  # a content range never ends on one


def text_of(doc: Doc) -> str:
    """Return the doc's text, built once per doc (spaCy joins every token on each doc.text)."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return text


def token_at(doc: Doc, position: int) -> Token:
    """Return the token at or just before a character position."""
    offsets = doc.user_data.get(OFFSETS_KEY)
    if offsets is None:
        offsets = doc.user_data[OFFSETS_KEY] = doc.to_array(IDX).tolist()
    i = bisect_right(offsets, position) - 1
    return doc[max(0, i)]


def span_end(token: Token) -> int:
    """Return the end character of a token's subtree."""
    last = token.right_edge
    return last.idx + len(last.text)


def strip_range(text: str, start: int, end: int) -> tuple[int, int]:
    """Return a content range without surrounding spaces and clause punctuation."""
    while start < end and text[start] in PUNCT_EDGE:
        start += 1
    while end > start and text[end - 1] in PUNCT_EDGE + ".":
        end -= 1
    for word in TRAILING_JOINS:  # "opposed to the merger and": what it joins lies outside
        if text[start:end].endswith(" " + word):
            return strip_range(text, start, end - len(word))
    return start, end


def tokens_in(doc: Doc, words: set[str]) -> list[Token]:
    """Return the tokens whose lower-case form is one of words, without touching the others."""
    return [doc[i] for i, lower in enumerate(token_words(doc, LOWER)) if lower in words]


def mentions_of(doc: Doc) -> list[Mention]:
    """Return the entity component's mentions of a doc as Mention rows (plain tuples too)."""
    mentions = doc._.wd_mentions or []
    if not mentions or isinstance(mentions[0], Mention):  # the component's own: no copy
        return mentions
    return [Mention(*m) for m in mentions]


def ensure_extension() -> None:
    """Declare the Doc extensions the component reads and fills."""
    for name in ("wd_quotes", "wd_mentions"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
