"""Traffic: the cost of congestion (issue 22) on the real Brașov drive graph.

Two groups, each against a named baseline:

* **one 5 s step of 50,000 cars** — the queue-based link model (``twin/_traffic.pyx``) against
  the free-flow movement kernel (``twin/_movement.pyx``, the baseline) on the same paths. The
  queue kernel works per *edge head* (an event heap over the heads ready in the step), the
  free-flow kernel per *agent*; ``vehicles_per_s`` is cars on the road / step time.
* **one 15-minute routing bin** — time-dependent routing: a contraction hierarchy rebuilt on the
  bin's travel times (a new node order), and re-contracted in the free-flow node order (what a
  run does, ``traffic.ch_order: free_flow``), against the baseline of free-flow routing (the CH
  loaded from the city cache), then 20,000 routes on each. A day has 96 bins;
  ``day_s_if_every_bin`` = 96 × one build.

Run: ``.venv/bin/python -m pytest benchmarks/test_bench_traffic.py --benchmark-only``.
"""
from __future__ import annotations

import numpy as np
import pytest

from twin.movement import CAR_VMAX, Fleet
from twin.routing import Router
from twin.traffic import RoadNetwork, TrafficParams

N = 50_000
ROUNDS = 24          # two simulated minutes from the same loaded state: few cars arrive meanwhile


def _mean_s(benchmark) -> float | None:
    """The mean round time, or None under ``--benchmark-disable`` (the function ran once, unmeasured:
    there are no stats, and the test still checks that it runs)."""
    stats = benchmark.stats
    return stats.stats.mean if stats is not None else None


def _per_s(benchmark, count: float) -> float | None:
    mean = _mean_s(benchmark)
    return count / mean if mean else None


@pytest.fixture(scope="module")
def car_paths(brasov):
    router = brasov.router("time", "drive")
    rng = np.random.default_rng(3)
    core = brasov.core_nodes("drive")
    s = rng.choice(core, N).astype(np.int32)
    t = rng.choice(core, N).astype(np.int32)
    w, off, edges = router.routes(s, t)
    keep = np.nonzero(np.diff(off) > 0)[0]
    from twin.mobility import take_paths

    off, edges = take_paths(off, edges, keep)
    return len(keep), off, edges


def _loaded_road(brasov, car_paths):
    n, off, edges = car_paths
    road = RoadNetwork(brasov, TrafficParams(mode="queue"))
    road.register(n)
    # departures spread over 10 minutes, then 5 minutes of driving: a loaded, moving road (the
    # free-flow baseline gets the same 5 minutes after an all-at-once start)
    order = np.arange(n)
    for k, chunk in enumerate(np.array_split(order, 120)):
        lo, hi = int(chunk[0]), int(chunk[-1]) + 1
        road.enter(chunk, off[lo:hi + 1] - off[lo], edges[off[lo]:off[hi]], CAR_VMAX, 5.0 * k)
        road.advance_to(5.0 * (k + 1))
    for k in range(60):
        road.advance_to(road.now + 5.0)
    return road


@pytest.mark.benchmark(group="traffic: one 5 s step, 50k cars on Brașov")
def test_queue_kernel_step(benchmark, brasov, car_paths):
    road = _loaded_road(brasov, car_paths)

    before = road.on_road

    def step():
        road.advance_to(road.now + 5.0)

    benchmark.pedantic(step, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["cars_on_road"] = f"{before} -> {road.on_road}"
    benchmark.extra_info["vehicles_per_s"] = _per_s(benchmark, (before + road.on_road) / 2)


@pytest.mark.benchmark(group="traffic: one 5 s step, 50k cars on Brașov")
def test_free_flow_kernel_step_baseline(benchmark, brasov, car_paths):
    n, off, edges = car_paths
    fleet = Fleet(brasov, n)
    fleet.depart(np.arange(n), off, edges, CAR_VMAX)
    for _ in range(60):
        fleet.step(5.0)
    before = fleet.n_active
    benchmark.pedantic(fleet.step, args=(5.0,), rounds=ROUNDS, iterations=1)
    benchmark.extra_info["cars_on_road"] = f"{before} -> {fleet.n_active}"
    benchmark.extra_info["vehicles_per_s"] = _per_s(benchmark, (before + fleet.n_active) / 2)


@pytest.fixture(scope="module")
def bin_times(brasov):
    """Travel times of a congested bin: free flow, 1-4× on a random fifth of the edges."""
    rng = np.random.default_rng(5)
    w = brasov.arrays["edge_time_ms"].astype(np.int64).copy()
    hit = rng.random(len(w)) < 0.2
    w[hit] = (w[hit] * rng.uniform(1.0, 4.0, hit.sum())).astype(np.int64)
    return w


@pytest.mark.benchmark(group="routing: one 15-min bin on Brașov")
def test_ch_rebuilt_on_bin_times(benchmark, brasov, bin_times):
    router = benchmark.pedantic(Router, args=(brasov, "time", "drive"), kwargs={"edge_time_ms": bin_times},
                                rounds=3, iterations=1)
    mean = _mean_s(benchmark)
    benchmark.extra_info["day_s_if_every_bin"] = 96 * mean if mean else None
    assert router.custom


@pytest.mark.benchmark(group="routing: one 15-min bin on Brașov")
def test_ch_recontracted_in_free_flow_order(benchmark, brasov, bin_times):
    """What a run does per bin (``traffic.ch_order: free_flow``): the free-flow node order, the
    bin's weights."""
    rank = brasov.router("time", "drive").rank
    router = benchmark.pedantic(Router, args=(brasov, "time", "drive"),
                                kwargs={"edge_time_ms": bin_times, "rank": rank}, rounds=3, iterations=1)
    mean = _mean_s(benchmark)
    benchmark.extra_info["day_s_if_every_bin"] = 96 * mean if mean else None
    assert router.custom and np.array_equal(router.rank, rank)


@pytest.mark.benchmark(group="routing: 20,000 routes with paths")
def test_routes_on_recontracted_bin_times(benchmark, brasov, bin_times, pairs):
    router = Router(brasov, "time", "drive", edge_time_ms=bin_times, rank=brasov.router("time", "drive").rank)
    s, t = pairs
    benchmark.pedantic(router.routes, args=(s, t), rounds=3, iterations=1)
    benchmark.extra_info["routes_per_s"] = _per_s(benchmark, len(s))


@pytest.mark.benchmark(group="routing: one 15-min bin on Brașov")
def test_free_flow_ch_from_cache_baseline(benchmark, brasov):
    brasov.router("time", "drive")                      # make sure the cache file exists
    benchmark.pedantic(Router, args=(brasov, "time", "drive"), rounds=5, iterations=1)


@pytest.mark.benchmark(group="routing: 20,000 routes with paths")
def test_routes_on_bin_times(benchmark, brasov, bin_times, pairs):
    router = Router(brasov, "time", "drive", edge_time_ms=bin_times)
    s, t = pairs
    benchmark.pedantic(router.routes, args=(s, t), rounds=3, iterations=1)
    benchmark.extra_info["routes_per_s"] = _per_s(benchmark, len(s))


@pytest.mark.benchmark(group="routing: 20,000 routes with paths")
def test_routes_on_free_flow_baseline(benchmark, brasov, pairs):
    router = brasov.router("time", "drive")
    s, t = pairs
    benchmark.pedantic(router.routes, args=(s, t), rounds=3, iterations=1)
    benchmark.extra_info["routes_per_s"] = _per_s(benchmark, len(s))
