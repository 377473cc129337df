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


def test_a_bottleneck_passes_the_same_flow_in_sumo_meso_and_in_the_twin(tmp_path):
    # SUMO meso's headway is tau + (length + minGap) / speed: the harness's tau (meso_tau) must
    # leave exactly the twin's capacity. A 600 veh/h one-lane street between two wide ones, at a
    # quarter sample (150 veh/h, 30 m cars): 80 cars sent every 2 s leave it every 24 s in both
    import numpy as np

    from benchmarks.sumo_compare import Trips, compare, meso_tau, replay, run_sumo, write_sumo
    from tests.test_traffic import synthetic_city
    from twin import osm
    from twin.traffic import TrafficParams

    assert abs(meso_tau(600.0, 50 / 3.6, 7.5) - (6.0 - 7.5 / (50 / 3.6))) < 1e-9
    c = synthetic_city([1000.0, 500.0, 1000.0], 50, lanes=["8", "1", "8"])
    c.arrays.update(edge_u=np.arange(3), edge_v=np.arange(1, 4), node_x=np.arange(4) * 800.0,
                    node_y=np.zeros(4), edge_modes=np.full(3, osm.DRIVE))
    n, scale = 80, 0.25
    trips = Trips(np.arange(n) * 2.0, np.arange(n + 1, dtype=np.int64) * 3, np.tile(np.arange(3, dtype=np.int32), n),
                  np.full(n, np.nan))
    params = TrafficParams(mode="queue", stuck_s=86400.0)
    twin = replay(c, trips, params, scale, 1.0, 4 * 3600.0)
    write_sumo(c, trips, tmp_path, params, scale)
    sumo = run_sumo(tmp_path, params, 4 * 3600.0)
    r = compare(trips, twin, sumo)
    assert r["finished_sumo"] == r["finished_twin"] == n
    s_arr = np.sort(np.array([sumo["arrive"][i] for i in range(n)]))
    t_arr = np.sort(twin["arrive"])
    for arr in (s_arr, t_arr):
        headway = (arr[-1] - arr[20]) / (n - 1 - 20)
        assert abs(headway - 24.0) < 0.25, headway
    assert abs(r["twin_vs_sumo"]["mean_s"]) < 0.02, (r["twin"], r["sumo"])
