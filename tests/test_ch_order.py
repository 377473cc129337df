"""A contraction hierarchy re-contracted in another hierarchy's node order (twin/_routing.pyx
``node_order``, :class:`twin.routing.Router` ``rank``): what time-dependent routing does per bin
(twin/traffic.py). Any order must give exact distances; a bad order is a clear error."""
from __future__ import annotations

import numpy as np
import pytest

from twin import _routing
from twin.routing import Router


def test_recontracted_hierarchy_gives_exact_distances_on_new_weights(demo_city):
    free = demo_city.router("time", "drive")
    rng = np.random.default_rng(7)
    w = demo_city.arrays["edge_time_ms"].astype(np.int64).copy()
    hit = rng.random(len(w)) < 0.3
    w[hit] = (w[hit] * rng.uniform(1.0, 6.0, hit.sum())).astype(np.int64)        # a jammed bin
    fixed = Router(demo_city, "time", "drive", edge_time_ms=w, rank=free.rank)
    chosen = Router(demo_city, "time", "drive", edge_time_ms=w)
    assert np.array_equal(fixed.rank, free.rank)                  # contracted in the given order
    core = demo_city.core_nodes("drive")
    s, t = rng.choice(core, 400).astype(np.int32), rng.choice(core, 400).astype(np.int32)
    d_fixed, d_chosen = fixed.distances(s, t), chosen.distances(s, t)
    assert np.array_equal(d_fixed, d_chosen)
    for k in range(0, 400, 40):                                   # and Dijkstra on the same weights
        assert d_fixed[k] == fixed.one_to_many(int(s[k]), t[k:k + 1])[0]
    _, off, edges = fixed.routes(s[:50], t[:50])
    for k in range(50):                                           # paths add up to the distances
        assert w[edges[off[k]:off[k + 1]]].sum() == d_fixed[k]


def test_a_node_order_that_is_not_a_permutation_is_refused():
    tail, head, w = (np.array(x, dt) for x, dt in (([0, 1], np.int32), ([1, 2], np.int32), ([5, 5], np.int64)))
    with pytest.raises(ValueError, match="node_order must list all 3 nodes"):
        _routing.build_ch(3, tail, head, w, node_order=np.array([0, 1], np.int32))
    with pytest.raises(ValueError, match="not a permutation"):
        _routing.build_ch(3, tail, head, w, node_order=np.array([0, 1, 1], np.int32))
    ch = _routing.build_ch(3, tail, head, w, node_order=np.array([2, 0, 1], np.int32))
    assert ch["rank"].tolist() == [1, 2, 0]
