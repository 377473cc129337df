"""Exact point-to-point routing on the Brașov drive graph: CH vs networkx vs scipy.

Every contender answers the same random pairs with the same integer weights (ms). Results are
checked equal before timing. Compare ``ops`` per query: the CH batch does 20,000 queries per
round, networkx and scipy 200 (they are ~1000x slower). Run:

    .venv/bin/python -m pytest benchmarks/test_bench_routing.py --benchmark-group-by=group
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra as sp_dijkstra

N_SLOW = 200


@pytest.fixture(scope="module")
def router(brasov):
    return brasov.router("time", "drive")


@pytest.fixture(scope="module")
def nx_graph(router):
    H = nx.DiGraph()
    H.add_nodes_from(range(router.n))
    key = router._pair_key
    for k, w in zip(key.tolist(), router._pair_w.tolist()):
        H.add_edge(k // router.n, k % router.n, w=w)
    return H


@pytest.fixture(scope="module")
def sp_matrix(router):
    key = router._pair_key
    # scipy treats explicit zeros as missing edges; zero-weight arcs get a tiny epsilon that
    # cannot change an integer comparison after rounding
    w = router._pair_w.astype(float)
    w[w == 0] = 1e-9
    return csr_matrix((w, (key // router.n, key % router.n)), shape=(router.n, router.n))


def _nx_query(H, s, t):
    try:
        return nx.bidirectional_dijkstra(H, int(s), int(t), weight="w")[0]
    except nx.NetworkXNoPath:
        return -1


def test_results_agree(router, nx_graph, sp_matrix, pairs):
    s, t = pairs[0][:N_SLOW], pairs[1][:N_SLOW]
    ch = router.distances(s, t)
    assert np.array_equal(ch, [_nx_query(nx_graph, a, b) for a, b in zip(s, t)])
    d = sp_dijkstra(sp_matrix, directed=True, indices=s)
    ref = np.array([np.rint(d[i, b]) if np.isfinite(d[i, b]) else -1 for i, b in enumerate(t)])
    assert np.array_equal(ch, ref)


@pytest.mark.benchmark(group="routing p2p (per batch: see docstring)")
def test_ch_batched_20000(benchmark, router, pairs):
    s, t = pairs
    out = benchmark(router.distances, s, t)
    benchmark.extra_info["queries"] = len(s)
    benchmark.extra_info["queries_per_s"] = len(s) / benchmark.stats.stats.mean
    assert len(out) == len(s)


@pytest.mark.benchmark(group="routing p2p (per batch: see docstring)")
def test_ch_single_calls_200(benchmark, router, pairs):
    s, t = pairs[0][:N_SLOW], pairs[1][:N_SLOW]
    benchmark(lambda: [router.distance(a, b) for a, b in zip(s, t)])
    benchmark.extra_info["queries_per_s"] = N_SLOW / benchmark.stats.stats.mean


@pytest.mark.benchmark(group="routing p2p (per batch: see docstring)")
def test_ch_paths_200(benchmark, router, pairs):
    s, t = pairs[0][:N_SLOW], pairs[1][:N_SLOW]
    benchmark(router.routes, s, t)
    benchmark.extra_info["queries_per_s"] = N_SLOW / benchmark.stats.stats.mean


@pytest.mark.benchmark(group="routing p2p (per batch: see docstring)", min_rounds=3)
def test_networkx_bidirectional_200(benchmark, nx_graph, pairs):
    s, t = pairs[0][:N_SLOW], pairs[1][:N_SLOW]
    benchmark.pedantic(lambda: [_nx_query(nx_graph, a, b) for a, b in zip(s, t)], rounds=3)
    benchmark.extra_info["queries_per_s"] = N_SLOW / benchmark.stats.stats.mean


@pytest.mark.benchmark(group="routing p2p (per batch: see docstring)", min_rounds=3)
def test_scipy_dijkstra_200(benchmark, sp_matrix, pairs):
    s = pairs[0][:N_SLOW]
    benchmark.pedantic(lambda: sp_dijkstra(sp_matrix, directed=True, indices=s), rounds=3)
    benchmark.extra_info["queries_per_s"] = N_SLOW / benchmark.stats.stats.mean


@pytest.mark.benchmark(group="routing one-to-all")
def test_twin_dijkstra_one_to_all(benchmark, router):
    benchmark(router.one_to_many, 17)


@pytest.mark.benchmark(group="routing one-to-all")
def test_scipy_dijkstra_one_to_all(benchmark, sp_matrix):
    benchmark(sp_dijkstra, sp_matrix, True, 17)


@pytest.mark.benchmark(group="routing CH preprocessing", min_rounds=2)
def test_ch_build(benchmark, brasov):
    from twin.routing import Router

    class NoCache:
        pass

    def build():
        saved = brasov.cache_dir
        brasov.cache_dir = None          # force a fresh contraction
        try:
            return Router(brasov, "time", "drive")
        finally:
            brasov.cache_dir = saved

    benchmark.pedantic(build, rounds=2)
