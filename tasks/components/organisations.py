"""Organisations the model reads as places or people: teams, clubs and bodies.

spaCy's small model reads a club named after its town ("Leeds 2 Chelsea 1") as a place, and a
county side in a scorecard ("Kent 231-6") as a person. These rules read the shape of a line
rather than a list of names: a line made only of names each followed by scores or table figures
is a results or standings line, and its names are teams. A country there is a national side and
stays a place, as it does in CoNLL's guidelines; a person's full name (a golfer's leaderboard
line) or a name opening with an initial (a batsman's "J. Smith 45") stays a person.

A hand-written list of organisations (``data/organisations.txt``: league rosters, international
bodies, parties) adds what no line shape shows, with each one's canonical name ("Man Utd" is
"Manchester United"). A name there that is one word or also a place ("Leeds", "Kent",
"Reading") is a side only in a sports article; cues around a town ("Surrey beat Kent") make it
a side too, and every other mention of a side in the article follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.attrs import LOWER, ORTH
from spacy.tokens import Doc, Span

from tasks.common import token_spaces, token_words
from tasks.components.places import Places

# A score or table figure: 3, 108-3, .576, 2-1, 1/2, 56-13; a lone "-" is an empty table cell.
FIGURE = re.compile(r"^(?:\d+(?:[-/.]\d+)*|\.\d+|-|--)$")
DATE = re.compile(r"\d{4}-\d\d-\d\d")
NAME_WORD = re.compile(r"^[A-Z][\w'’.&-]*$")
INITIAL = re.compile(r"^[A-Z]\.$")
# Small words inside a team's name ("Queen of the South", "Brighton and Hove Albion").
NAME_JOINERS = {"of", "the", "and", "de", "del", "la", "le", "'s", "’s", "&"}
HOME_NATIONS = {"England", "Scotland", "Wales", "Northern Ireland", "Ireland", "USA", "U.S."}
# Headings of results ("Men 's 200 metres") the model reads as organisations.
HEADINGS = frozenset({"men", "women", "boys", "girls", "juniors", "seniors", "veterans"})
MIN_TABLE_FIGURES = 3  # a standings row: played, won, lost, ...
RESTORED_WORDS = "wd_restored_words"  # doc.user_data key: the words the model read
GAZETTEER = Path(__file__).with_name("data") / "organisations.txt"
EVERYWHERE = "! "  # a gazetteer line whose names are organisations in any article
# Words of sports reports: an article with several of them is about sport.
SPORT_WORDS = frozenset(
    {
        *("match", "league", "season", "coach", "striker", "midfielder", "goalkeeper"),
        *("defender", "innings", "wicket", "wickets", "batsman", "bowler", "cricket"),
        *("soccer", "football", "baseball", "basketball", "hockey", "rugby", "tennis"),
        *("golf", "tournament", "championship", "cup", "division", "scored", "goal"),
        *("goals", "pitcher", "inning", "homer", "quarterback", "touchdown", "playoff"),
        *("playoffs", "stadium", "squad", "drew", "beat", "game", "games", "points"),
    }
)
MIN_SPORT_WORDS = 4  # distinct ones


@dataclass(frozen=True, slots=True)
class Team:
    """A name read as a team in a results or standings line: its tokens and its label."""

    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class Known:
    """A name from the organisations list: its organisation's canonical name, and where it holds."""

    canonical: str
    everywhere: bool


@lru_cache(maxsize=1)
def geonames() -> Places:
    """Return the GeoNames places (towns of 15,000+), read once per process."""
    return Places.load()


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Return lower-cased names of countries, US states and towns of 15,000 people or more."""
    cache = geonames()
    names = {c["name"] for c in cache.get_countries().values()}
    names |= {s["name"] for s in cache.get_us_states().values()}
    names |= {c["name"] for c in cache.get_cities().values()}
    return frozenset(n.lower() for n in names)


@lru_cache(maxsize=1)
def known_names() -> dict[tuple[str, ...], Known]:
    """Return the organisations list by lower-cased words of each name."""
    from spacy.lang.en import English

    tokenizer = English().tokenizer  # split names as articles are split: "St.", "'s", "&"
    towns = places()
    known: dict[tuple[str, ...], Known] = {}
    for raw in GAZETTEER.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        everywhere = line.startswith(EVERYWHERE)
        names = [n.strip() for n in line.removeprefix(EVERYWHERE).split("|")]
        for name in names:
            words = tuple(t.lower_ for t in tokenizer(name))
            acronym = name.isupper() and len(name) > 1
            # An acronym is the body's even where a small town shares it ("UN", a town in India).
            ambiguous = not acronym and (len(words) == 1 or name.lower() in towns)
            known.setdefault(words, Known(names[0], everywhere or not ambiguous))
    return known


@lru_cache(maxsize=1)
def known_starts() -> dict[str, list[tuple[str, ...]]]:
    """Return the listed names by first word, longest first."""
    starts: dict[str, list[tuple[str, ...]]] = {}
    for words in sorted(known_names(), key=lambda w: (-len(w), w)):
        starts.setdefault(words[0], []).append(words)
    return starts


def known_everywhere(words: tuple[str, ...]) -> bool:
    """Return whether lower-cased words name a listed organisation in any article."""
    found = known_names().get(words)
    return found is not None and found.everywhere


def known_canonical(words: tuple[str, ...]) -> str | None:
    """Return the canonical name of a listed organisation from its lower-cased words."""
    found = known_names().get(words)
    return found.canonical if found else None


def sporting(lowers: list[str]) -> bool:
    """Return whether an article is a sports report: several distinct sports words."""
    return len(SPORT_WORDS.intersection(lowers)) >= MIN_SPORT_WORDS


def written_as_name(words: list[str]) -> bool:
    """Return whether words are written as a name: capitals, figures ("49ers") or small joiners."""
    return words[0][:1].isupper() and all(
        not w[:1].isalpha() or w[:1].isupper() or w.lower() in NAME_JOINERS for w in words
    )


def listed(doc: Doc, words: list[str], lowers: list[str], sport: bool) -> list[Span]:
    """Return ORG spans for the listed organisations the article names, longest first."""
    # Capitals are judged on the words the model read: in a restored headline only names keep them.
    read = doc.user_data.get(RESTORED_WORDS) or words
    names = [w[:1].isupper() and w.isalpha() for w in read]
    starts = known_starts()
    known = known_names()
    found: list[Span] = []
    i = 0
    while i < len(words):
        step = 1
        for name in starts.get(lowers[i], ()):
            j = i + len(name)
            if (
                tuple(lowers[i:j]) == name
                and (known[name].everywhere or sport)
                and written_as_name(words[i:j])
                and not (j < len(words) and names[j])  # part of a longer name: "Labour Day"
            ):
                found.append(Span(doc, i, j, label="ORG"))
                step = len(name)
                break
        i += step
    return found


def label_listed(doc: Doc, words: list[str], lowers: list[str], spans: list[Span]) -> list[Span]:
    """Label listed organisations ORG where no longer name of the model's holds them."""
    out = list(spans)
    for hit in listed(doc, words, lowers, sporting(lowers)):
        inside = [s for s in out if s.start < hit.end and hit.start < s.end]
        if any(len(s) > len(hit) for s in inside):
            continue  # "Clark Kent", "Kent County Council": the model's longer name stands
        out = [s for s in out if s not in inside] + [hit]
    return out


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    """Return country names, lower-cased: a country in a results line is a national side."""
    names = {c["name"] for c in geonames().get_countries().values()}
    return frozenset(n.lower() for n in names | HOME_NATIONS)


def name_groups(
    words: list[str], glued: list[bool], start: int, end: int
) -> list[tuple[int, int, int]] | None:
    """Return (first, end, figures after) per name in a line of names and figures, else None."""
    groups: list[tuple[int, int, int]] = []
    i = start
    while i < end:
        if not NAME_WORD.match(words[i]):
            return None
        j = i + 1
        while j < end and (
            NAME_WORD.match(words[j])
            or (words[j].lower() in NAME_JOINERS and j + 1 < end and NAME_WORD.match(words[j + 1]))
        ):
            j += 1
        k, figures = j, 0
        while k < end and FIGURE.match(words[k]):
            # The tokenizer splits "2024-05-02" at its hyphens: glued pieces are one figure.
            figures += not (k > j and glued[k - 1])
            k += 1
        if k == j:
            return None  # a name not followed by a figure: running text
        groups.append((i, j, figures))
        i = k
        if i < end and words[i] == "(":  # scorers or a note after a score close the line
            break
    return groups


def is_table_line(groups: list[tuple[int, int, int]]) -> bool:
    """Return whether a line's names read as teams: a results line or a standings row."""
    if len(groups) >= 2:
        return all(n <= 2 for _, _, n in groups)  # "Leeds 2 Chelsea 1", "Kent 231-6 Essex 200"
    return groups[0][2] >= MIN_TABLE_FIGURES


def line_teams(doc: Doc, words: list[str], spans: list[Span]) -> list[Team]:
    """Return the teams named in the doc's results and standings lines."""
    glued = [not space for space in token_spaces(doc)]
    persons = {(s.start, s.end) for s in spans if s.label_ == "PERSON" and len(s) > 1}
    nations = countries()
    teams: list[Team] = []
    start = 0
    for i, word in enumerate([*words, "\n"]):
        if "\n" not in word:
            continue
        groups = name_groups(words, glued, start, i) if i > start else None
        start = i + 1
        if not groups or not is_table_line(groups):
            continue
        for first, end, _ in groups:
            name = " ".join(words[first:end])
            if INITIAL.match(words[first]) or (first, end) in persons:
                continue  # a player's line, not a team's
            teams.append(Team(first, end, "GPE" if name.lower() in nations else "ORG"))
    return teams


def label_teams(doc: Doc, words: list[str], spans: list[Span]) -> list[Span]:
    """Label the names of results and standings lines as teams, replacing the model's spans."""
    teams = line_teams(doc, words, spans)
    if not teams:
        return spans
    taken = [False] * len(doc)
    for t in teams:
        taken[t.start : t.end] = [True] * (t.end - t.start)
    kept = [s for s in spans if not any(taken[s.start : s.end])]
    return kept + [Span(doc, t.start, t.end, label=t.label) for t in teams]


# Words around a name that make it a side, not a place: "Surrey beat Kent", "Nice 's coach".
CUES_BEFORE = (("beat",), ("defeated",), ("drew", "with"), ("lost", "to"), ("v",), ("vs",))
CUES_AFTER = (("beat",), ("defeated",), ("drew",), ("v",), ("vs",), ("'s", "coach"))
CUES_AFTER += (("'s", "captain"), ("'s", "manager"))
TEAM_LABELS = {"GPE", "LOC", "FAC"}  # what the model calls a side it reads as its town
NAMED = {"PERSON", "GPE", "LOC", "FAC", "NORP"}  # labels a firm is mistaken for


def cued(lowers: list[str], start: int, end: int) -> bool:
    """Return whether the words just before or after a name make it a side."""
    for cue in CUES_BEFORE:
        if tuple(lowers[max(0, start - len(cue)) : start]) == cue:
            return True
    return any(tuple(lowers[end : end + len(cue)]) == cue for cue in CUES_AFTER)


def context_teams(doc: Doc, lowers: list[str], spans: list[Span]) -> list[Span]:
    """Relabel a town or a one-word "person" a sports cue names as a side, not a country."""
    nations = countries()
    out = []
    for s in spans:
        town = s.label_ in TEAM_LABELS or (s.label_ == "PERSON" and len(s) == 1)
        if town and s.text.lower() not in nations and cued(lowers, s.start, s.end):
            s = Span(doc, s.start, s.end, label="ORG")
        out.append(s)
    return out


# Last words of company and press names ("Fabbri SpA", "Berliner Zeitung"); not "Bank" or
# "Union", which end places too (West Bank, Soviet Union).
FIRM_ENDINGS = frozenset(
    {
        *("inc", "corp", "corporation", "co", "ltd", "plc", "llc", "ag", "sa", "spa", "nv"),
        *("bv", "gmbh", "ab", "asa", "oy", "bhd", "tbk", "holdings", "group", "bancorp"),
        *("airlines", "airways", "industries", "pharmaceuticals", "zeitung", "times"),
        *("post", "journal", "herald", "gazette", "tribune", "telegraph", "agency"),
    }
)
# Words before a name that make it a newspaper or an agency: "the daily Glos Rana".
PRESS_CUES = frozenset({"newspaper", "daily", "weekly", "magazine", "paper"})


def firm(words: list[str]) -> bool:
    """Return whether a name ends as a company's or a paper's: "Acme Hospitality Inc"."""
    return len(words) > 1 and words[-1].lower().rstrip(".") in FIRM_ENDINGS


def label_firms(doc: Doc, words: list[str], lowers: list[str], spans: list[Span]) -> list[Span]:
    """Relabel names ending as a firm's, or named after a press cue, as organisations."""
    out = []
    for s in spans:
        cue = s.start > 0 and lowers[s.start - 1] in PRESS_CUES
        if s.label_ in NAMED and s.label_ != "ORG" and (firm(words[s.start : s.end]) or cue):
            s = Span(doc, s.start, s.end, label="ORG")
        out.append(s)
    return out


def firm_heads(words: list[str], spans: list[Span]) -> set[str]:
    """Return the lower-cased names of firms without their ending ("fabbri" of "Fabbri SpA")."""
    heads = {
        " ".join(words[s.start : s.end - 1]).lower()
        for s in spans
        if s.label_ == "ORG" and firm(words[s.start : s.end])
    }
    return heads - places()  # "Jakarta Post" does not make Jakarta a paper


def dateline_tokens(words: list[str]) -> set[int]:
    """Return the tokens of dateline lines ("LONDON 2024-05-02"): a place, not a side."""
    found: set[int] = set()
    start = 0
    for i, word in enumerate([*words, "\n"]):
        if "\n" in word:
            # The tokenizer splits a date at its hyphens: look for it in the line's glued words.
            if i - start <= 12 and DATE.search("".join(words[start:i])):
                found.update(range(start, i))
            start = i + 1
    return found


def spread_teams(doc: Doc, words: list[str], spans: list[Span], sides: set[str]) -> list[Span]:
    """Label every mention of a name the article uses as a side as that side, datelines apart."""
    skip = dateline_tokens(words)
    out = []
    for s in spans:
        town = s.label_ in TEAM_LABELS or (s.label_ == "PERSON" and len(s) == 1)
        if town and s.text.lower() in sides and s.start not in skip:
            s = Span(doc, s.start, s.end, label="ORG")
        out.append(s)
    return out


def organisations(doc: Doc, spans: list[Span]) -> list[Span]:
    """Return the spans with sides in tables, results and sports sentences labelled ORG."""
    words = token_words(doc, ORTH)
    lowers = token_words(doc, LOWER)
    spans = [s for s in spans if not (len(s) == 1 and lowers[s.start] in HEADINGS)]
    with_tables = label_teams(doc, words, spans)
    with_list = label_listed(doc, words, lowers, with_tables)
    with_context = context_teams(doc, lowers, with_list)
    with_firms = label_firms(doc, words, lowers, with_context)
    model = {(s.start, s.end, s.label_) for s in spans}
    found = [s for s in with_firms if (s.start, s.end, s.label_) not in model]
    sides = {s.text.lower() for s in found if s.label_ == "ORG"} | firm_heads(words, with_firms)
    return spread_teams(doc, words, with_firms, sides)
