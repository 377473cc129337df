"""The SUMO comparison harness (``benchmarks/sumo_compare.py``) end to end on a small demand.

Opt-in: marked ``sumo`` and ``slow`` (SUMO is a dev extra, ``eclipse-sumo`` from PyPI). On the demo
town at a light demand the road is nearly free, so SUMO meso and the twin's queue model must agree
closely on the same trips, paths and capacities; a broken conversion (lost routes, wrong lengths,
speeds or capacities) shows as unfinished trips, a low flow correlation or diverging durations.
"""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.sumo, pytest.mark.slow]


def test_the_twin_and_sumo_meso_agree_on_a_light_demo_morning(tmp_path, demo_city):
    from benchmarks.sumo_compare import compare, record_demand, replay, run_sumo, write_sumo
    from scenarios import load_scenario

    sc = load_scenario("baseline", city="demo", population=3000, hours=10.0, seed=5)
    sc.ledger = sc.ledger.model_copy(update={"enabled": False})
    params = sc.traffic.model_copy(update={"mode": "queue"})
    scale = 3000 / demo_city.population
    trips, _, _ = record_demand(sc, demo_city)
    assert len(trips) > 300
    end_s = 16 * 3600.0
    twin = replay(demo_city, trips, params, scale, sc.tick_s, end_s)
    write_sumo(demo_city, trips, tmp_path, params, scale)
    sumo = run_sumo(tmp_path, params, end_s)
    r = compare(trips, twin, sumo)
    assert r["finished_sumo"] == r["finished_twin"] == len(trips)      # every route was valid in SUMO
    assert r["flow_correlation"] >= 0.99                               # the same paths, edge for edge
    for k in ("mean_s", "p90_s", "vehicle_hours"):
        assert abs(r["twin_vs_sumo"][k]) <= 0.15, (k, r["twin"], r["sumo"])
