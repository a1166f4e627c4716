"""Entities: named-entity mentions with canonical names, as a registered spaCy component."""

from __future__ import annotations

import re
from typing import NamedTuple

import pyarrow as pa
from spacy.language import Language
from spacy.tokens import Doc, Span

from warehouse.schemas import MENTIONS

COMPONENT = "wiredesk_entities"
NAMED_LABELS = {
    "PERSON",
    "ORG",
    "GPE",
    "LOC",
    "NORP",
    "FAC",
    "EVENT",
    "PRODUCT",
    "WORK_OF_ART",
    "LAW",
}
AGENCIES = {
    "AFP",
    "Reuters",
    "AP",
    "Associated Press",
    "Agence France-Presse",
    "Bloomberg",
    "Xinhua",
    "TASS",
    "dpa",
    "ANSA",
    "EFE",
    "Kyodo",
    "PTI",
    "IANS",
    "UPI",
    "Yonhap",
}
TITLES = {
    "president",
    "prime",
    "minister",
    "secretary",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "chancellor",
    "king",
    "queen",
    "prince",
    "senator",
    "sen.",
    "rep.",
    "representative",
    "governor",
    "gov.",
    "mayor",
    "general",
    "gen.",
    "colonel",
    "judge",
    "justice",
    "chief",
    "director",
    "ceo",
    "chairman",
    "chairwoman",
    "chair",
    "leader",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "dr",
    "dr.",
    "sir",
    "lord",
    "lady",
    "pope",
    "ambassador",
    "envoy",
    "deputy",
    "vice",
    "foreign",
    "defence",
    "defense",
    "interior",
    "finance",
    "labour",
    "labor",
    "health",
    "national",
    "security",
    "state",
    "head",
    "former",
    "acting",
    "french",
    "iranian",
    "us",
    "u.s.",
    "american",
    "russian",
    "british",
    "german",
    "white",
    "house",
    "coach",
    "captain",
    "officer",
}
LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")


class Mention(NamedTuple):
    """One entity span in an article's cleaned body."""

    start_char: int
    end_char: int
    text: str
    label: str
    canonical: str


def ensure_extension() -> None:
    """Declare the Doc extension the component fills."""
    if not Doc.has_extension("wd_mentions"):
        Doc.set_extension("wd_mentions", default=None)


def strip_name(span: Span) -> str:
    """Return a span's name without leading articles, titles and possessive endings."""
    words = [t.text for t in span]
    if span.label_ == "PERSON":
        while len(words) > 1 and words[0].lower().rstrip(".") in {w.rstrip(".") for w in TITLES}:
            words.pop(0)
    name = LEADING_ARTICLE.sub("", " ".join(words))
    name = re.sub(r"\s+(['’]s?)$", r"\1", name)  # tokenizer splits "House 's"
    return POSSESSIVE.sub("", name).strip() or span.text


def relabel_agencies(doc: Doc) -> None:
    """Label news agencies as ORG, whatever the model said."""
    ents = list(doc.ents)
    changed = False
    for i, ent in enumerate(ents):
        if ent.text in AGENCIES and ent.label_ != "ORG":
            ents[i] = Span(doc, ent.start, ent.end, label="ORG")
            changed = True
    if changed:
        doc.ents = ents


def canonical_names(spans: list[Span]) -> list[str]:
    """Return a canonical name per span: stripped, short person names expanded in the article."""
    names = [strip_name(s) for s in spans]
    full_people = [
        n for s, n in zip(spans, names, strict=True) if s.label_ == "PERSON" and " " in n
    ]
    out = []
    for span, name in zip(spans, names, strict=True):
        if span.label_ == "PERSON" and " " not in name:
            longer = [full for full in full_people if full.split()[-1] == name]
            if longer:
                name = max(longer, key=full_people.count)
        out.append(name)
    return out


@Language.component(COMPONENT, requires=["doc.ents"], assigns=["doc._.wd_mentions"])
def entity_component(doc: Doc) -> Doc:
    """Fix agency labels and set doc._.wd_mentions with canonical names."""
    ensure_extension()
    relabel_agencies(doc)
    spans = [e for e in doc.ents if e.label_ in NAMED_LABELS]
    doc._.wd_mentions = [
        Mention(s.start_char, s.end_char, s.text, s.label_, name)
        for s, name in zip(spans, canonical_names(spans), strict=True)
    ]
    return doc


def mentions_table(article_ids: list[str], mentions: list[list[Mention]]) -> pa.Table:
    """Return mention rows for articles in the mentions schema."""
    rows: dict[str, list] = {name: [] for name in MENTIONS.names}
    for article_id, found in zip(article_ids, mentions, strict=True):
        for idx, m in enumerate(found):
            m = Mention(*m)
            for name, value in (
                ("article_id", article_id),
                ("mention_idx", idx),
                ("text", m.text),
                ("label", m.label),
                ("start_char", m.start_char),
                ("end_char", m.end_char),
                ("canonical", m.canonical),
                ("run_id", None),
            ):
                rows[name].append(value)
    return pa.table(rows, schema=MENTIONS)


ensure_extension()
