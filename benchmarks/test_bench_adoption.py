"""The adoption funnel alone: 30 daily steps of Brașov's citizens × 4 service families.

The 10 % population (25,320) is the baseline the full city (253,200, 1:1) is compared with: the
daily step is vectorised, so the cost should grow about linearly with the citizens.

    .venv/bin/python -m pytest benchmarks/test_bench_adoption.py --benchmark-only
"""
from __future__ import annotations

import pytest

from benchmarks.conftest import SHARED, load_shared_city

ALL_HIGHWAYS = SHARED / "osm" / "brasov_all_highways.osm.bz2"


@pytest.fixture(scope="module")
def brasov_all():
    return load_shared_city(ALL_HIGHWAYS)


@pytest.mark.parametrize("population", [25_320, 253_200])
@pytest.mark.benchmark(group="adoption funnel, 30 days of Brașov")
def test_thirty_funnel_days(benchmark, brasov_all, population):
    from agents.adoption import Adoption, AdoptionParams
    from agents.population import Citizens
    from twin.engine import Twin

    def run():
        tw = Twin(brasov_all, seed=1)
        tw.add(Citizens(population))
        a = tw.add(Adoption(AdoptionParams(course={"seats_per_100k_per_day": 100}), "brasov"))
        tw.run(24 * 30)
        return a

    a = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(citizens=population, new_users=a.changes["using"])
    assert a.day == 29 and a.changes["using"] > 0
