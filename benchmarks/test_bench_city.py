"""City loading: cold (parse OSM, osmnx, arrays) vs cached, for the Brașov drive graph."""
from __future__ import annotations

import pytest

from benchmarks.conftest import BRASOV_DRIVE
from twin.city import load_city


@pytest.mark.benchmark(group="city load: brasov_drive.osm.bz2", min_rounds=2)
def test_cold(benchmark, brasov):
    benchmark.pedantic(lambda: load_city(BRASOV_DRIVE, cache=False), rounds=2)


@pytest.mark.benchmark(group="city load: brasov_drive.osm.bz2")
def test_cached(benchmark, brasov):
    city = benchmark(load_city, BRASOV_DRIVE)
    assert city.cache_dir is not None
