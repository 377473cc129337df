"""The movement kernel equals the pure-Python specification; arrivals are exact."""
from __future__ import annotations

import numpy as np
import pytest

from tests.movement_reference import advance_python
from twin.errors import TwinError
from twin.movement import CAR_VMAX, Fleet


def _random_paths(city, rng, n):
    router = city.router("time", "drive")
    s = rng.integers(0, city.n_nodes, n).astype(np.int32)
    t = rng.integers(0, city.n_nodes, n).astype(np.int32)
    _, off, edges = router.routes(s, t)
    return off, edges


def test_kernel_matches_python_reference_over_many_steps(demo_city):
    c = demo_city
    rng = np.random.default_rng(0)
    n = 400
    off, edges = _random_paths(c, rng, n)
    vmax = np.where(rng.random(n) < 0.5, 1.4, CAR_VMAX)
    fleet = Fleet(c, n)
    fleet.edge_speed *= rng.uniform(0.5, 1.0, c.n_edges)       # congestion varies by edge
    empty = fleet.depart(np.arange(n), off, edges, vmax)
    ref_paths = {a: list(edges[off[a]:off[a + 1]]) for a in range(n) if off[a + 1] > off[a]}
    assert set(empty.tolist()) == set(range(n)) - set(ref_paths)
    ref_pos = {a: 0 for a in ref_paths}
    ref_off = {a: 0.0 for a in ref_paths}
    ref_traffic = np.zeros(c.n_edges, np.int64)
    for path in ref_paths.values():
        ref_traffic[path[0]] += 1
    t = 0.0
    got_arrivals, ref_arrivals = {}, {}
    for step in range(3000):
        dt = 1.0 + (step % 3)                                  # uneven steps too
        arrived, after = fleet.step(dt)
        got_arrivals.update({int(a): t + x for a, x in zip(arrived, after)})
        for a, x in advance_python(ref_paths, ref_pos, ref_off, vmax, fleet.edge_len, fleet.edge_speed,
                                   ref_traffic, dt):
            ref_arrivals[a] = t + x
        t += dt
        if not ref_paths and fleet.n_active == 0:
            break
    assert got_arrivals.keys() == ref_arrivals.keys() and len(got_arrivals) > 300
    for a in got_arrivals:
        assert got_arrivals[a] == pytest.approx(ref_arrivals[a], abs=1e-9)
    assert np.array_equal(fleet.traffic, ref_traffic)


def test_arrival_time_is_path_length_over_speed(demo_city):
    c = demo_city
    off, edges = _random_paths(c, np.random.default_rng(4), 1)
    fleet = Fleet(c, 1)
    fleet.depart([0], off, edges, 1.25)
    total = 0.0
    while True:
        arrived, after = fleet.step(7.0)
        if len(arrived):
            total += after[0]
            break
        total += 7.0
    assert total == pytest.approx(fleet.edge_len[edges].sum() / 1.25, rel=1e-12)
    # a car at street speed takes exactly the free-flow time
    fleet.depart([0], off, edges, CAR_VMAX)
    t = 0.0
    while not len((res := fleet.step(1.0))[0]):
        t += 1.0
    assert t + res[1][0] == pytest.approx(c.edge_time_ms[edges].sum() / 1000, abs=0.01 * len(edges))


def test_positions_lie_on_the_current_edge(demo_city):
    c = demo_city
    off, edges = _random_paths(c, np.random.default_rng(9), 50)
    fleet = Fleet(c, 50)
    fleet.depart(np.arange(50), off, edges, CAR_VMAX)
    fleet.step(20.0)
    ids, lon, lat = fleet.positions()
    e = fleet.current_edges(ids)
    u, v = c.edge_u[e], c.edge_v[e]
    lo = np.minimum(c.node_lon[u], c.node_lon[v]) - 1e-12
    hi = np.maximum(c.node_lon[u], c.node_lon[v]) + 1e-12
    assert len(ids) > 0 and ((lon >= lo) & (lon <= hi)).all()


def test_path_buffer_compaction_keeps_paths_intact(demo_city):
    c = demo_city
    rng = np.random.default_rng(12)
    fleet = Fleet(c, 2000)
    ref = {}
    for batch in range(20):                     # far more path data than the first buffer holds
        agents = np.arange(batch * 100, batch * 100 + 100)
        off, edges = _random_paths(c, rng, 100)
        fleet.depart(agents, off, edges, CAR_VMAX)
        for k, a in enumerate(agents):
            ref[int(a)] = edges[off[k]:off[k + 1]]
        fleet.step(30.0)
    for a in range(2000):
        if fleet.moving[a]:
            remaining = fleet._buf[fleet.seq_pos[a]:fleet.seq_end[a]]
            assert np.array_equal(remaining, ref[a][len(ref[a]) - len(remaining):])


def test_depart_rejects_bad_input(demo_city):
    fleet = Fleet(demo_city, 3)
    off, edges = _random_paths(demo_city, np.random.default_rng(1), 1)
    fleet.depart([0], off, edges, CAR_VMAX)
    with pytest.raises(TwinError, match="already moving"):
        fleet.depart([0], off, edges, CAR_VMAX)
    with pytest.raises(TwinError, match="agent id"):
        fleet.depart([7], off, edges, CAR_VMAX)
    with pytest.raises(TwinError, match="vmax"):
        fleet.depart([1], off, edges, 0.0)
    with pytest.raises(TwinError, match="offsets"):
        fleet.depart([1, 2], off, edges, CAR_VMAX)


def test_departure_delay_is_exact(demo_city):
    c = demo_city
    off, edges = _random_paths(c, np.random.default_rng(4), 1)
    fleet = Fleet(c, 1)
    fleet.depart([0], off, edges, 1.25, delay=0.75)
    t = 0.0
    while not len((res := fleet.step(2.0))[0]):
        t += 2.0
    assert t + res[1][0] == pytest.approx(0.75 + fleet.edge_len[edges].sum() / 1.25, rel=1e-12)
