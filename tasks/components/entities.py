"""Entities: named-entity mentions with canonical names, as registered spaCy components.

Two components share the one parse that tasks/extract.py runs:

- ``wiredesk_truecase`` (first in the pipeline) hands the model a case-restored copy of
  ALL-CAPS and Title-Case lines (headlines, tables), token for token and character for character,
  because spaCy's small models read capitalisation as "this is a name".
- ``wiredesk_entities`` (after ``ner``) puts the original words back, then applies cheap, general
  fixes to the model's spans (span edges, news agencies, big places read as people, one label per
  name within an article, later bare mentions of a name found earlier) and sets
  ``doc._.wd_mentions`` with canonical names.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import NamedTuple

from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LOWER, ORTH, SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from tasks.common import token_spaces, token_words
from tasks.components.countries import country, is_abbreviation, place_abbreviations
from tasks.components.countries import name_key as name_key_of
from tasks.components.organisations import (
    RESTORED_WORDS,
    geonames,
    known_canonical,
    known_everywhere,
    organisations,
    places,
    sporting,
)

COMPONENT = "wiredesk_entities"
TRUECASE = "wiredesk_truecase"
ORIGINAL_WORDS = "wd_original_words"  # doc.user_data key: the words before case restoration
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
# Labels whose names the article-level consistency fixes may move between.
NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
AGENCIES = {
    "AFP",
    "Reuters",
    "AP",
    "Associated Press",
    "Agence France-Presse",
    "Agence France Presse",
    "Bloomberg",
    "Xinhua",
    "TASS",
    "Itar-Tass",
    "Interfax",
    "RIA Novosti",
    "dpa",
    "ANSA",
    "EFE",
    "Kyodo",
    "PTI",
    "IANS",
    "UPI",
    "Yonhap",
    "Tanjug",
    "Anadolu",
    "IRNA",
    "KCNA",
    "Bernama",
    "Antara",
    "MENA",
    "WAFA",
    "PAP",
    "CTK",
    "MTI",
    "BTA",
    "Belga",
    "APA",
    "Petra",
    "SANA",
}
AGENCY_WORDS = {tuple(a.split()) for a in AGENCIES}
# Agencies by first word, longest first: a token that starts no agency name costs one dict lookup.
AGENCY_STARTS = {
    first: sorted((w for w in AGENCY_WORDS if w[0] == first), key=lambda w: (-len(w), w))
    for first in {w[0] for w in AGENCY_WORDS}
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
    "sen",
    "rep",
    "representative",
    "governor",
    "gov",
    "mayor",
    "general",
    "gen",
    "colonel",
    "col",
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
    "mrs",
    "ms",
    "dr",
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
    "u.s",
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
LEADING_WORDS = {"the", "a", "an"}
# A date run into a name ("October Treasury", "June Boston NAPM"); "May" is also a name.
DATE_WORDS = {
    *("january", "february", "april", "june", "july", "august", "september"),
    *("october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug"),
    *("sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday"),
    *("friday", "saturday", "sunday"),
}
# A figure run into a name: a score, a phone number ("Durham 231", "Newsdesk 212-555-0100").
TRAILING_FIGURE = re.compile(r"^[+-]?\d[\d.,:/-]*$")
DASHES = {"-", "–", "—"}
AGENCY_TAIL = (("news", "agency"), ("agency",), ("news",))
EDGE_PUNCT = set("'’\"“”‘,.;:-–—*•·‣⁃◦▪▫■□●○►▶▸→|")
LIST_MARKS = "•·‣⁃◦▪▫■□●○►▶▸→"  # bullets a name may be glued to: "•Israel"
BREAKS = set("()[]{}|/")
LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*", re.UNICODE)
PLACE_NAME = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)*$")
MIN_CITY_POPULATION = 1_000_000  # big cities only: smaller ones are too often surnames


class Mention(NamedTuple):
    """One entity span in an article's cleaned body."""

    start_char: int
    end_char: int
    text: str
    label: str
    canonical: str


def split_list_marks(nlp: Language) -> None:
    """Make the tokenizer split a bullet or a dash off the word it is glued to ("•Israel")."""
    from spacy.util import compile_prefix_regex

    marks = "".join(re.escape(c) for c in LIST_MARKS)
    prefixes = [*nlp.Defaults.prefixes, rf"[{marks}]", r"[-–—](?=[A-Z][a-z])"]
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search


def ensure_extension() -> None:
    """Declare the Doc extension the component fills."""
    if not Doc.has_extension("wd_mentions"):
        Doc.set_extension("wd_mentions", default=None)


# ---------------------------------------------------------------- case restoration (before NER)


def line_ids(words: list[str]) -> list[int]:
    """Return the line number of every token (a line ends at a token holding a newline)."""
    # A token's trailing whitespace is one space or none: newlines are tokens of their own.
    ids, line = [], 0
    for word in words:
        ids.append(line)
        if "\n" in word:
            line += 1
    return ids


def shouting_lines(words: list[str], lines: list[int]) -> set[int]:
    """Return the lines written in capitals: mostly ALL-CAPS, or Title Case with small words."""
    by_line: dict[int, list[str]] = {}
    for word, line in zip(words, lines, strict=True):
        if len(word) > 1 and WORD.fullmatch(word):
            by_line.setdefault(line, []).append(word)
    found = set()
    for line, ws in by_line.items():
        upper = sum(w.isupper() for w in ws)
        title = sum(w[0].isupper() for w in ws)
        small_capitalised = sum(w[0].isupper() and w.lower() in STOP_WORDS for w in ws)
        all_caps = upper >= 2 and upper >= 0.6 * len(ws)
        title_case = len(ws) >= 4 and title >= 0.85 * len(ws) and small_capitalised >= 1
        if all_caps or title_case:
            found.add(line)
    return found


def usual_forms(words: list[str], lines: list[int], shouting: set[int]) -> dict[str, str]:
    """Return, per lower-cased word, its usual spelling inside ordinary sentences of the doc."""
    counts: dict[str, Counter] = {}
    previous = "."
    for text, line in zip(words, lines, strict=True):
        initial = previous in {".", "!", "?", '"', "“", ":", "-", "\n"} or previous.endswith("\n")
        if line not in shouting and WORD.fullmatch(text) and not initial:
            counts.setdefault(text.lower(), Counter())[text] += 1
        previous = text
    return {low: forms.most_common(1)[0][0] for low, forms in counts.items()}


def restore_word(word: str, forms: dict[str, str]) -> str:
    """Return a capitalised word as it would be written in running text."""
    if not WORD.fullmatch(word):
        return word
    low = word.lower()
    if low in forms:
        return forms[low]
    if low in STOP_WORDS:
        return low
    if word.isupper() and len(word) <= 3:
        return word  # short unknown capitals are usually acronyms (NFL, UK, AFP)
    return word[0].upper() + word[1:].lower()


@Language.component(TRUECASE, assigns=["token.orth"])
def truecase_component(doc: Doc) -> Doc:
    """Return a copy of the doc with ALL-CAPS and Title-Case lines written as running text."""
    words = token_words(doc, ORTH)
    lines = line_ids(words)
    shouting = shouting_lines(words, lines)
    if not shouting:
        return doc
    forms = usual_forms(words, lines, shouting)
    restored = list(words)
    for i, line in enumerate(lines):
        if line in shouting:
            new = restore_word(words[i], forms)
            if len(new) == len(words[i]):  # offsets must not move
                restored[i] = new
    if restored == words:
        return doc
    copy = Doc(doc.vocab, words=restored, spaces=token_spaces(doc))
    copy.user_data[ORIGINAL_WORDS] = words
    return copy


def original_doc(doc: Doc) -> Doc:
    """Return the doc with its original words back, keeping the parse and entities."""
    words = doc.user_data.get(ORIGINAL_WORDS)
    if words is None:
        return doc
    # A parse carries the sentences; a pipeline without a parser (a sentencizer) sets them alone.
    attrs = [ENT_IOB, ENT_TYPE, *([HEAD, DEP] if doc.has_annotation("DEP") else [SENT_START])]
    back = Doc(doc.vocab, words=words, spaces=token_spaces(doc))
    back.from_array(attrs, doc.to_array(attrs))
    back.user_data[RESTORED_WORDS] = token_words(doc, ORTH)
    return back


# ---------------------------------------------------------------- span fixes (after NER)


@lru_cache(maxsize=1)
def big_places() -> frozenset[str]:
    """Return names of countries, US states and cities of a million people or more."""
    cache = geonames()
    names = {c["name"] for c in cache.get_countries().values()}
    names |= {s["name"] for s in cache.get_us_states().values()}
    for city in cache.get_cities().values():
        if city["population"] >= MIN_CITY_POPULATION:
            names.add(city["name"])
            names.update(a for a in city["alternatenames"] if PLACE_NAME.match(a))
    return frozenset(n for n in names if PLACE_NAME.match(n))


def trim(span: Span) -> Span | None:
    """Return the span without leading articles, edge punctuation and anything past a bracket."""
    start, end = span.start, span.end
    doc = span.doc
    for i in range(start, end):  # a bracket or line break ends a name: "NLD ( National ..."
        if doc[i].text in BREAKS or "\n" in doc[i].text or (i > start and doc[i - 1].is_space):
            end = i
            break
        if "\n" in doc[i].whitespace_ and i + 1 < end:
            end = i + 1
            break
    while start < end and (
        doc[start].lower_ in LEADING_WORDS or doc[start].text in EDGE_PUNCT or doc[start].is_space
    ):
        start += 1
    while end > start and (
        doc[end - 1].text in EDGE_PUNCT
        or doc[end - 1].lower_ in {"'s", "’s"}
        or doc[end - 1].is_space
    ):
        end -= 1
    if start >= end:
        return None
    if span.label_ in NAME_LABELS:
        start, end = name_core(doc, start, end)
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label_)


def name_core(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Return a name's tokens without a slug, a leading date, trailing figures or "news agency"."""
    dash = start + 1
    if (
        end - start > 2
        and doc[dash].text in DASHES
        and doc[start].whitespace_
        and doc[dash].whitespace_
    ):
        start = dash + 1  # a spaced dash after one word is a slug: "CRICKET - KENT WIN"
    while end - start > 1 and doc[start].lower_.rstrip(".") in DATE_WORDS:
        start += 1
    while end - start > 1 and TRAILING_FIGURE.match(doc[end - 1].text):
        end -= 1
    for tail in AGENCY_TAIL:  # "Interfax news agency said": the agency's name is "Interfax"
        n = len(tail)
        words = tuple(t.lower_ for t in doc[end - n : end])
        if end - start > n and words == tail and doc[start : end - n].text in AGENCIES:
            return start, end - n
    return start, end


def covered(spans: list[Span], n_tokens: int) -> list[bool]:
    """Return, per token, whether a span covers it."""
    taken = [False] * n_tokens
    for s in spans:
        for i in range(s.start, s.end):
            taken[i] = True
    return taken


def capitalised(text: str) -> bool:
    """Return whether a token is written like a name."""
    return text[:1].isupper()


def add_agencies(doc: Doc, spans: list[Span]) -> list[Span]:
    """Label news agencies as ORG, and add those the model missed."""
    out = []
    for s in spans:
        if s.text in AGENCIES and s.label_ != "ORG":
            s = Span(doc, s.start, s.end, label="ORG")
        out.append(s)
    taken = covered(out, len(doc))
    texts = token_words(doc, ORTH)  # one pass over the tokens; slicing a Doc per name is slow
    for i, text in enumerate(texts):
        for words in AGENCY_STARTS.get(text, ()):
            j = i + len(words)
            if j <= len(texts) and not any(taken[i:j]) and tuple(texts[i:j]) == words:
                out.append(Span(doc, i, j, label="ORG"))
                taken[i:j] = [True] * len(words)
    return out


def person_surnames(spans: list[Span]) -> set[str]:
    """Return the last words of the article's multi-word person names, lower-cased."""
    return {s[-1].lower_ for s in spans if s.label_ == "PERSON" and len(s) > 1}


def fix_labels(doc: Doc, spans: list[Span]) -> list[Span]:
    """Keep one label per name in the article: big places are not people, short forms follow."""
    surnames = person_surnames(spans)
    places = big_places()
    fixed = []
    for s in spans:
        label = s.label_
        key = s.text.lower()
        if label == "PERSON" and s.text in places and key not in surnames:
            label = "GPE"
        elif len(s) == 1 and label in NAME_LABELS and key in surnames and s.text not in places:
            label = "PERSON"  # "Raisi" after "Ebrahim Raisi" is the same person
        fixed.append(s if label == s.label_ else Span(doc, s.start, s.end, label=label))
    votes: dict[str, Counter] = {}
    for s in fixed:
        if s.label_ in NAME_LABELS:
            votes.setdefault(s.text.lower(), Counter())[s.label_] += 1
    out = []
    for s in fixed:
        tally = votes.get(s.text.lower())
        if tally and len(tally) > 1:
            (best, n), *rest = tally.most_common()
            if n > rest[0][1] and best != s.label_:  # the majority wins; a tie keeps the model's
                s = Span(doc, s.start, s.end, label=best)
        out.append(s)
    return out


def propagate(doc: Doc, spans: list[Span], others: list[Span]) -> list[Span]:
    """Add later bare mentions of names the model found elsewhere in the article."""
    known: dict[tuple[str, ...], str] = {}
    for s in spans:
        if s.label_ in NAME_LABELS and all(capitalised(t.text) for t in s):
            words = tuple(t.lower_ for t in s)
            if not (len(words) == 1 and words[0] in STOP_WORDS):
                known.setdefault(words, s.label_)
    if not known:
        return spans
    longest = max(len(k) for k in known)
    taken = covered(spans + others, len(doc))
    # Capitals are judged on the words the model read: in a restored headline only names keep them.
    read = doc.user_data.get(RESTORED_WORDS) or token_words(doc, ORTH)
    names = [capitalised(w) and w.isalpha() for w in read]
    out = list(spans)
    lowers = token_words(doc, LOWER)
    firsts = {k[0] for k in known}  # most tokens start no known name: skip them at once
    i = 0
    while i < len(doc):
        if lowers[i] not in firsts:
            i += 1
            continue
        for n in range(min(longest, len(doc) - i), 0, -1):
            words = tuple(lowers[i : i + n])
            label = known.get(words)
            if (
                label
                and not any(taken[i : i + n])
                and all(capitalised(w) for w in read[i : i + n])
                and not (i + n < len(doc) and names[i + n])
                and not (i > 0 and names[i - 1])
            ):
                out.append(Span(doc, i, i + n, label=label))
                taken[i : i + n] = [True] * n
                i += n - 1
                break
        i += 1
    return out


# Words for a place's own bodies, and for the kind of place they run: "Lyon's city council".
BODY_WORDS = {
    *("council", "mayor", "government", "authorities", "authority", "assembly", "parliament"),
    *("police", "municipality", "prefecture", "administration", "legislature", "hall"),
    *("officials", "residents", "voters", "governor"),
}
PLACE_KINDS = {"city", "town", "county", "regional", "municipal", "state", "provincial", "local"}
PLACE_LABELS = {"GPE", "LOC", "ORG", "FAC"}  # labels the model confuses countries and bodies with


def national_labels(doc: Doc, spans: list[Span]) -> list[Span]:
    """Label countries GPE and listed international bodies ORG, whatever the model said.

    A town that is also a listed club is the town outside sports reports and wherever it
    names the town's own body ("Lyon's city council", "the mayor of Lyon").
    """
    sport = sporting(token_words(doc, LOWER))
    out = []
    for s in spans:
        label = s.label_
        if label in PLACE_LABELS or label == "NORP":  # "U.S. officials": a name, no demonym
            name = strip_name(s)
            words = tuple(w.lower() for w in name.split())
            if country(name, label):
                label = "GPE"
            elif known_everywhere(words):
                label = "ORG"  # "the EU", "the Kremlin": bodies, not the places they sit in
            elif (
                label == "ORG"
                and name.lower() in places()
                and (names_body(s) or (not sport and known_canonical(words)))
            ):
                label = "GPE"
        out.append(s if label == s.label_ else Span(doc, s.start, s.end, label=label))
    return out


def common_words(doc: Doc) -> set[str]:
    """Return the words the article writes in lower case inside a sentence."""
    return {t.lower_ for t in doc if t.is_lower and not t.is_sent_start}


def not_places(doc: Doc, spans: list[Span]) -> list[Span]:
    """Drop places that are an unknown abbreviation ("AI") or a common noun the text uses."""
    known = big_places()
    abbreviations = place_abbreviations()
    lower = None
    out = []
    for s in spans:
        if s.label_ in {"GPE", "LOC"} and len(s) == 1 and s.text not in known:
            if is_abbreviation(s.text) and name_key_of(s.text) not in abbreviations:
                continue
            lower = common_words(doc) if lower is None else lower
            if s.text[:1].isupper() and s.text.lower() in lower:
                continue  # "Tariffs" read as a place where the text also says "tariffs"
        out.append(s)
    return out


def fix_entities(doc: Doc) -> list[Span]:
    """Return the article's named spans after the general accuracy fixes, in text order."""
    spans, others = [], []
    for ent in doc.ents:
        (spans if ent.label_ in NAMED_LABELS else others).append(ent)
    spans = [t for t in (trim(s) for s in spans) if t is not None]
    spans = add_agencies(doc, spans)
    spans = organisations(doc, national_labels(doc, spans))
    spans = not_places(doc, spans)
    spans = fix_labels(doc, spans)
    spans = propagate(doc, spans, others)
    return sorted(spans, key=lambda s: s.start)


# ---------------------------------------------------------------- canonical names


def strip_name(span: Span) -> str:
    """Return a span's name without leading articles, titles and possessive endings."""
    words = [t.text for t in span if not t.is_space]
    if span.label_ == "PERSON":
        while len(words) > 1 and words[0].lower().rstrip(".") in TITLES:
            words.pop(0)
        if len(words) >= 3 and words[0] == words[-1]:
            words.pop(0)  # "Kirby John Kirby": a surname run into the full name
    name = LEADING_ARTICLE.sub("", " ".join(words))
    name = re.sub(r"\s+(['’]s?)$", r"\1", name)  # tokenizer splits "House 's"
    return POSSESSIVE.sub("", name).strip() or span.text


def canonical_names(spans: list[Span]) -> list[str]:
    """Return a canonical name per span: stripped, short names expanded in the article."""
    names = [org_name(s) if s.label_ == "ORG" else strip_name(s) for s in spans]
    names = club_names(spans, names)
    full_people = [
        n for s, n in zip(spans, names, strict=True) if s.label_ == "PERSON" and " " in n
    ]
    out = []
    for span, name in zip(spans, names, strict=True):
        if span.label_ == "PERSON" and " " not in name:
            longer = [full for full in full_people if full.split()[-1].lower() == name.lower()]
            if longer:
                name = max(longer, key=full_people.count)
        out.append(name)
    return out


def org_name(span: Span) -> str:
    """Return an organisation's name: its listed canonical name ("Man Utd": Manchester United).

    A listed name never gives its club's name where it names a town's own body ("Lyon's city
    council"); outside sports reports such a town is GPE already (national_labels).
    """
    name = strip_name(span)
    if names_body(span):
        return name
    return known_canonical(tuple(w.lower() for w in name.split())) or name


def names_body(span: Span) -> bool:
    """Return whether a name is followed by a word for a place's own body ("Lyon's council")."""
    doc, end = span.doc, span.end
    if end < len(doc) and doc[end].lower_ in {"'s", "’s"}:
        end += 1
    following = [t.lower_ for t in doc[end : end + 2]] + ["", ""]
    first, second = following[:2]
    return first in BODY_WORDS or (first in PLACE_KINDS and second in BODY_WORDS)


def club_names(spans: list[Span], names: list[str]) -> list[str]:
    """Return names with a one-word organisation read as the one longer name it starts."""
    longer = {n for s, n in zip(spans, names, strict=True) if s.label_ == "ORG" and " " in n}
    out = []
    for span, name in zip(spans, names, strict=True):
        if span.label_ == "ORG" and " " not in name:
            starting = {n for n in longer if n.split()[0].lower() == name.lower()}
            if len(starting) == 1:  # "Leeds" after "Leeds United"; two candidates: leave it
                name = starting.pop()
        out.append(name)
    return out


@Language.component(COMPONENT, requires=["doc.ents"], assigns=["doc._.wd_mentions"])
def entity_component(doc: Doc) -> Doc:
    """Put original words back, fix entity spans and set doc._.wd_mentions with canonical names."""
    ensure_extension()
    doc = original_doc(doc)
    spans = fix_entities(doc)
    doc._.wd_mentions = [
        Mention(s.start_char, s.end_char, s.text, s.label_, name)
        for s, name in zip(spans, canonical_names(spans), strict=True)
    ]
    return doc


ensure_extension()
