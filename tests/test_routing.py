"""Routing equals networkx exactly: random pairs, unreachable pairs, one-way streets, closures."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from twin import _routing
from twin.errors import TwinError


def _nx_graph(city, weight: str, mode_bit: int = 2, both_ways: bool = False) -> nx.DiGraph:
    """networkx reference with the *same* integer weights (lightest parallel edge)."""
    H = nx.DiGraph()
    H.add_nodes_from(range(city.n_nodes))
    w = city.arrays[weight]
    for e in range(city.n_edges):
        if not city.edge_modes[e] & mode_bit:
            continue
        u, v = int(city.edge_u[e]), int(city.edge_v[e])
        pairs = [(u, v), (v, u)] if both_ways else [(u, v)]
        for a, b in pairs:
            if a != b and (not H.has_edge(a, b) or H[a][b]["w"] > w[e]):
                H.add_edge(a, b, w=int(w[e]))
    return H


def _reference(H, sources, targets):
    out = np.empty(len(sources), np.int64)
    trees = {}
    for k, (s, t) in enumerate(zip(sources, targets)):
        if s not in trees:
            trees[s] = nx.single_source_dijkstra_path_length(H, int(s), weight="w")
        out[k] = trees[s].get(int(t), -1)
    return out


def _random_pairs(city, seed, n):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, city.n_nodes, n).astype(np.int32),
            rng.integers(0, city.n_nodes, n).astype(np.int32))


def _pairs_with_unreachable(city, rng, n=1000, n_sources=100):
    core = set(city.core_nodes("drive").tolist())
    outside = np.array([v for v in range(city.n_nodes) if v not in core], np.int32)
    sources = rng.integers(0, city.n_nodes, n_sources)
    s = np.repeat(sources, n // n_sources).astype(np.int32)
    t = rng.integers(0, city.n_nodes, len(s)).astype(np.int32)
    # a tenth of the targets lie outside the strongly connected core: some are unreachable
    if len(outside):
        k = np.arange(0, len(t), 10)
        t[k] = rng.choice(outside, len(k))
    return s, t


@pytest.mark.brasov
def test_drive_time_equals_networkx_on_1000_random_brasov_pairs(brasov):
    rng = np.random.default_rng(2024)
    s, t = _pairs_with_unreachable(brasov, rng)
    router = brasov.router("time", "drive")
    got = router.distances(s, t)
    ref = _reference(_nx_graph(brasov, "edge_time_ms"), s, t)
    assert len(s) >= 1000
    assert (ref == -1).sum() > 0, "the sample must contain unreachable pairs"
    assert np.array_equal(got, ref)


@pytest.mark.brasov
def test_drive_length_equals_networkx_and_the_city_graph(brasov):
    rng = np.random.default_rng(7)
    s, t = _pairs_with_unreachable(brasov, rng, n=400, n_sources=40)
    got = brasov.router("length", "drive").distances(s, t)
    assert np.array_equal(got, _reference(_nx_graph(brasov, "edge_length_mm"), s, t))
    # and directly on the osmnx MultiDiGraph, with the integer weights it carries
    G = brasov.graph
    osmid = brasov.node_osmid
    for a, b, d in list(zip(s, t, got))[:40]:
        try:
            ref = nx.dijkstra_path_length(G, int(osmid[a]), int(osmid[b]), weight="length_mm")
        except nx.NetworkXNoPath:
            ref = -1
        assert ref == d


@pytest.mark.brasov
def test_unreachable_pairs_are_a_clear_result(brasov):
    core = set(brasov.core_nodes("drive").tolist())
    router = brasov.router("time", "drive")
    H = _nx_graph(brasov, "edge_time_ms")
    for v in range(brasov.n_nodes):
        if v in core:
            continue
        c = next(iter(core))
        if not nx.has_path(H, v, c):
            route = router.route(v, c)
            assert not route.reachable and route.weight == -1
            assert route.length_m == float("inf") and len(route.edges) == 0
            assert router.distance(v, c) == -1
            break
    else:
        pytest.fail("no unreachable pair found")


@pytest.mark.brasov
def test_routes_follow_one_way_streets(brasov):
    c = brasov
    router = c.router("time", "drive")
    pairs = set(zip(c.edge_u.tolist(), c.edge_v.tolist()))
    oneway = [e for e in np.nonzero(c.edge_oneway)[0]
              if (int(c.edge_v[e]), int(c.edge_u[e])) not in pairs and c.edge_u[e] != c.edge_v[e]]
    assert len(oneway) > 100
    H = _nx_graph(c, "edge_time_ms")
    for e in oneway[:50]:
        u, v = int(c.edge_u[e]), int(c.edge_v[e])
        back = router.route(v, u)                      # against the one-way direction
        ref = nx.dijkstra_path_length(H, v, u, weight="w") if nx.has_path(H, v, u) else -1
        assert back.weight == ref
        if back.reachable:
            assert e not in back.edges
            _assert_follows_edges(c, back.edges, v, u, back.weight)


def _assert_follows_edges(city, edges, s, t, weight):
    """A path leaves s, ends at t, each edge starts where the last ended, and it weighs weight."""
    assert city.edge_u[edges[0]] == s and city.edge_v[edges[-1]] == t
    assert np.array_equal(city.edge_v[edges[:-1]], city.edge_u[edges[1:]])
    assert int(city.edge_time_ms[edges].sum()) == weight


def test_batched_routes_follow_graph_edges(demo_city):
    c = demo_city
    s, t = _random_pairs(c, 3, 300)
    router = c.router("time", "drive")
    w, off, edges = router.routes(s, t)
    for k in range(len(s)):
        e = edges[off[k]:off[k + 1]]
        if s[k] == t[k]:
            assert len(e) == 0 and w[k] == 0
            continue
        _assert_follows_edges(c, e, s[k], t[k], w[k])


def test_walkers_may_walk_up_one_way_streets(demo_city):
    c = demo_city
    s, t = _random_pairs(c, 11, 200)
    walk = c.router("length", "walk")
    ref = _reference(_nx_graph(c, "edge_length_mm", mode_bit=1, both_ways=True), s, t)
    assert np.array_equal(walk.distances(s, t), ref)
    e = int(np.nonzero(c.edge_oneway)[0][0])
    u, v = int(c.edge_u[e]), int(c.edge_v[e])
    assert walk.distance(v, u) <= c.edge_length_mm[e]          # straight back along the lane
    assert c.router("length", "drive").distance(v, u) > c.edge_length_mm[e]


def test_one_to_many_and_tree_agree_with_point_to_point(demo_city):
    c = demo_city
    router = c.router("time", "drive")
    targets = np.arange(0, c.n_nodes, 7, dtype=np.int32)
    d1 = router.one_to_many(5, targets)
    d2 = router.distances(np.full(len(targets), 5, np.int32), targets)
    assert np.array_equal(d1, d2)
    dist, pred = router.tree(5)
    assert np.array_equal(dist[targets], d1)
    v = int(targets[-1])
    path = []
    while pred[v] >= 0:
        path.append(pred[v])
        v = int(c.edge_u[pred[v]])
    assert v == 5 and int(c.edge_time_ms[path].sum()) == dist[targets[-1]]


def test_closures_reroute_and_are_exact(demo_city):
    c = demo_city
    closed = c.edges_named("Podul Independenței") if "Podul Independenței" in c.street_names else \
        np.nonzero(c.edge_bridge)[0][:2]
    open_r, closed_r = c.router("time", "drive"), c.router("time", "drive", closed_edges=closed)
    H = _nx_graph(c, "edge_time_ms")
    H.remove_edges_from([(int(c.edge_u[e]), int(c.edge_v[e])) for e in closed])
    s, t = _random_pairs(c, 1, 200)
    got = closed_r.distances(s, t)
    assert np.array_equal(got, _reference(H, s, t))
    assert (got >= open_r.distances(s, t)).all() and (got > open_r.distances(s, t)).any()


def test_ch_kernel_on_a_tiny_graph_with_ties_zero_weights_and_loops():
    # 0->1->2->3 and 0->2 (tie), 3->3 loop, 2->4 zero weight, 5 isolated
    tail = np.array([0, 1, 2, 0, 3, 2, 1], np.int32)
    head = np.array([1, 2, 3, 2, 3, 4, 2], np.int32)
    w = np.array([1, 1, 1, 2, 4, 0, 5], np.int64)
    q = _routing.CHQuery(_routing.build_ch(6, tail, head, w))
    assert q.distance(0, 3) == 3 and q.distance(0, 4) == 2 and q.distance(3, 0) == -1
    assert q.distance(0, 5) == -1 and q.distance(2, 2) == 0
    d, nodes = q.path(0, 4)
    assert d == 2 and nodes[0] == 0 and nodes[-1] == 4
    with pytest.raises(IndexError, match="out of range"):
        q.distance(0, 6)
    with pytest.raises(ValueError, match="negative"):
        _routing.build_ch(2, np.array([0], np.int32), np.array([1], np.int32), np.array([-1], np.int64))


def test_router_rejects_bad_options(demo_city):
    with pytest.raises(TwinError, match="metric='speed'"):
        demo_city.router("speed")
    with pytest.raises(TwinError, match="mode='bike'"):
        demo_city.router("time", "bike")
    with pytest.raises(TwinError, match="closed_edges"):
        demo_city.router("time", "drive", closed_edges=[demo_city.n_edges + 5])


def test_one_router_used_from_two_threads_at_once_answers_each_exactly(demo_city):
    """A router cached on a city is shared by every twin on that city, also across threads (the
    control room's live twin and the study it runs): each thread searches with its own buffers,
    so concurrent batches give exactly the single-threaded answers."""
    import threading

    r = demo_city.router("time", "drive")
    pairs = [_random_pairs(demo_city, seed, 4000) for seed in (1, 2)]
    alone = [r.routes(s, t) for s, t in pairs]
    got, errors = [None, None], []

    def work(k):
        try:
            for _ in range(15):
                w, off, e = r.routes(*pairs[k])
                if not (np.array_equal(w, alone[k][0]) and np.array_equal(off, alone[k][1])
                        and np.array_equal(e, alone[k][2])):
                    got[k] = "differs"
                    return
            got[k] = "same"
        except Exception as exc:                      # a corrupted search may also raise
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and got == ["same", "same"]
