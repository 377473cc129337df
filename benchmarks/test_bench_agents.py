"""A day of Brașov: the whole agents layer at 10k, 63k and 253,200 citizens (1:1).

Every process of the agents issue is on (population synthesis, daily life by car/foot/bus on
the RATBV timetable, reports, chatbot questions, permits, taxes, incidents, responders) and the
event log is written. The 10k run is the baseline the larger ones are compared with (scaling).

    .venv/bin/python -m pytest benchmarks/test_bench_agents.py --benchmark-only

The population synthesis is also measured against a pure-Python, per-citizen version.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from benchmarks.conftest import SHARED, load_shared_city
from scenarios import load_scenario
from twin_app.run import run_scenario

ALL_HIGHWAYS = SHARED / "osm" / "brasov_all_highways.osm.bz2"


@pytest.fixture(scope="module")
def brasov_all():
    return load_shared_city(ALL_HIGHWAYS)


@pytest.mark.parametrize("population", [10_000, 63_300, 253_200])
@pytest.mark.benchmark(group="brasov day (24 h, all processes)")
def test_day(benchmark, brasov_all, tmp_path, population):
    s = load_scenario("baseline", city=str(ALL_HIGHWAYS), population=population, hours=24.0)
    runs = iter(range(100))
    out = benchmark.pedantic(lambda: run_scenario(s, out=tmp_path / f"r{next(runs)}", city=brasov_all),
                             rounds=1, iterations=1)
    benchmark.extra_info.update(events=out["events"], trips=out["kpis"]["mobility"]["trips_completed"])
    assert out["kpis"]["mobility"]["trips_unreachable"] == 0


@pytest.mark.benchmark(group="population synthesis (50k)")
def test_synthesis_vectorised(benchmark, brasov_all):
    from agents.population import synthesize

    pop = benchmark(lambda: synthesize(brasov_all, 50_000, rng=np.random.default_rng(1)))
    assert len(pop) == 50_000


@pytest.mark.benchmark(group="population synthesis (50k)")
def test_synthesis_pure_python_baseline(benchmark, brasov_all):
    """Baseline: the same draws made citizen by citizen in Python (persona, age, channel, home)."""
    from agents import personas as P
    from agents.population import AGE_GROUPS, PopulationParams, resident_age_shares

    p = PopulationParams()
    nodes = brasov_all.core_nodes("both").tolist()
    names = list(P.PERSONAS)
    pw = [p.persona_shares[k] for k in names]
    res = resident_age_shares(p).tolist()

    def draw():
        r = random.Random(1)
        out = []
        for _ in range(50_000):
            persona = r.choices(names, pw)[0]
            ages = P.AGE_OF_PERSONA[persona]
            aw = res if ages is None else [ages.get(g, 0.0) for g in AGE_GROUPS]
            age = r.choices(AGE_GROUPS, aw)[0]
            mix = P.CHANNEL_MIX[persona]
            channel = r.choices(list(mix), list(mix.values()))[0]
            out.append((persona, age, channel, r.choice(nodes)))
        return out

    assert len(benchmark(draw)) == 50_000
