"""Journey planner: RAPTOR (twin/transit.py) vs the brute-force baseline, on RATBV's feed.

Contenders: the Cython kernel (``raptor``), the same rounds in plain Python (``raptor_python``)
and the brute force. The same 200 random Brașov queries (points near random stops, leaving 05:00–23:00 on a Tuesday,
up to 3 transfers, footpaths within 400 m by straight line × 1.3) go to each contender; the
access and egress walks are computed once beforehand, so both time the search alone.
``queries_per_s`` is earliest-arrival queries (the whole Pareto profile over 0–4 rides) per
second of wall time on one core (the mean round); ``cpu_queries_per_s`` per second of the
process's CPU time in its best round — on the shared 2-core machine, where wall time stretches
with the load, the figure that says what one core does. ``test_plan_end_to_end`` adds finding the walks and building
the journeys' legs (what the chatbot or mode choice would call).

The baseline (``tests/transit_reference.py``) scans every stop time of every running trip in
each round, vectorised with numpy.

The walks group times ``Planner.walks`` (the stops snapped to the walk graph once per planner)
against its previous implementation, kept here as the named baseline (``Walker.times`` snapping
the stops again on every call); both return the same walks, asserted once.
"""
from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pytest

from benchmarks.conftest import SHARED
from tests.test_transit import brasov_queries
from tests.transit_reference import BruteForce
from twin.gtfs import load_gtfs
from twin.transit import Planner, raptor, raptor_python, service_start

FEED = SHARED / "gtfs" / "brasov_ratbv_gtfs.zip"
DAY = date(2026, 3, 24)
GROUP = "transit: 200 Brașov earliest-arrival queries (0-4 rides)"


@pytest.fixture(scope="module")
def setup():
    if not FEED.exists():
        pytest.fail(f"real city data missing: {FEED}")
    tt = load_gtfs(FEED)
    planner = Planner(tt)
    net = planner.network(DAY)
    queries = brasov_queries(tt, 200, seed=2026)
    prepared = [(*planner.endpoints(o, d), dep) for o, d, dep in queries]
    return tt, planner, net, queries, prepared


def _cpu_timed(run, cpu: list):
    """``run`` that also keeps the CPU seconds of each call in ``cpu``."""
    def timed():
        t0 = time.process_time()
        out = run()
        cpu.append(time.process_time() - t0)
        return out
    return timed


@pytest.mark.benchmark(group=GROUP)
def test_raptor(benchmark, setup):
    _, _, net, _, prepared = setup
    net.flat()

    def run():
        return [raptor(net, a, e, dep, 4, direct).target for a, e, direct, dep in prepared]

    cpu: list = []
    out = benchmark.pedantic(_cpu_timed(run, cpu), rounds=10, iterations=1, warmup_rounds=1)
    benchmark.extra_info["queries_per_s"] = len(prepared) / benchmark.stats.stats.mean
    benchmark.extra_info["cpu_queries_per_s"] = len(prepared) / min(cpu)
    benchmark.extra_info["reached_by_bus"] = sum(t[-1] < t[0] for t in out)


@pytest.mark.benchmark(group=GROUP)
def test_raptor_pure_python(benchmark, setup):
    _, _, net, _, prepared = setup
    net.lists()

    def run():
        return [raptor_python(net, a, e, dep, 4, direct).target for a, e, direct, dep in prepared]

    cpu: list = []
    benchmark.pedantic(_cpu_timed(run, cpu), rounds=3, iterations=1)
    benchmark.extra_info["queries_per_s"] = len(prepared) / benchmark.stats.stats.mean
    benchmark.extra_info["cpu_queries_per_s"] = len(prepared) / min(cpu)


@pytest.mark.benchmark(group=GROUP)
def test_brute_force_baseline(benchmark, setup):
    tt, _, net, _, prepared = setup
    bf = BruteForce(tt, net.day, net.foot_from, net.foot_to, net.foot_s)

    def run():
        return [bf.earliest_arrivals(a, e, dep, 4, direct) for a, e, direct, dep in prepared]

    cpu: list = []
    benchmark.pedantic(_cpu_timed(run, cpu), rounds=3, iterations=1)
    benchmark.extra_info["queries_per_s"] = len(prepared) / benchmark.stats.stats.mean
    benchmark.extra_info["cpu_queries_per_s"] = len(prepared) / min(cpu)


@pytest.mark.benchmark(group="transit: 200 Brașov plans, walks and legs included")
def test_plan_end_to_end(benchmark, setup):
    _, planner, _, queries, _ = setup
    t0 = service_start(DAY)

    def run():
        return [planner.plan(o, d, (t0 + timedelta(seconds=dep)).replace(tzinfo=None)) for o, d, dep in queries]

    # the warm-up builds the day before's network (searched too after midnight), once
    cpu: list = []
    out = benchmark.pedantic(_cpu_timed(run, cpu), rounds=3, iterations=1, warmup_rounds=1)
    benchmark.extra_info["queries_per_s"] = len(queries) / benchmark.stats.stats.mean
    benchmark.extra_info["cpu_queries_per_s"] = len(queries) / min(cpu)
    benchmark.extra_info["journeys"] = sum(len(js) for js in out)


# ---- what a simulated day asks: door-to-door itineraries between road nodes ------------------------
DOOR = "transit: 300 Brașov door-to-door itineraries (walk graph, <= 2 transfers), as a run plans them"


@pytest.fixture(scope="module")
def door_to_door(brasov):
    """Planner on the city's walk graph and 300 node pairs at least 1 km apart, 06:00-21:00."""
    import numpy as np

    tt = load_gtfs(FEED, brasov)
    planner = Planner(tt, brasov, max_access_m=800, max_walk_only_m=0)
    planner.network(DAY)
    rng = np.random.default_rng(19)
    a = brasov.arrays
    pairs = []
    while len(pairs) < 300:
        o, d = (int(x) for x in rng.integers(0, brasov.n_nodes, 2))
        if np.hypot(a["node_x"][o] - a["node_x"][d], a["node_y"][o] - a["node_y"][d]) >= 1000:
            pairs.append((o, d, int(rng.integers(6 * 3600, 21 * 3600))))
    lonlat = [((float(a["node_lon"][o]), float(a["node_lat"][o])), (float(a["node_lon"][d]), float(a["node_lat"][d])))
              for o, d, _ in pairs]
    return planner, pairs, lonlat


def _itineraries(planner, pairs, lonlat, cache):
    t0 = service_start(DAY).replace(tzinfo=None)
    out = 0
    for (o, d, dep), (po, pd) in zip(pairs, lonlat):
        if cache is None or o not in cache:
            acc = planner.walks(*po, True)
            if cache is not None:
                cache[o] = acc
        else:
            acc = cache[o]
        eg = planner.walks(*pd, False)
        out += len(planner.search(acc, eg, None, t0 + timedelta(seconds=dep), 2))
    return out


@pytest.mark.benchmark(group=DOOR)
def test_itineraries_walks_each_time(benchmark, door_to_door):
    """Baseline: the access and egress walks found on the walk graph for every journey."""
    planner, pairs, lonlat = door_to_door
    cpu: list = []
    out = benchmark.pedantic(_cpu_timed(lambda: _itineraries(planner, pairs, lonlat, None), cpu), rounds=3,
                             iterations=1, warmup_rounds=1)
    benchmark.extra_info["queries_per_s"] = len(pairs) / benchmark.stats.stats.mean
    benchmark.extra_info["cpu_queries_per_s"] = len(pairs) / min(cpu)
    benchmark.extra_info["itineraries"] = out


@pytest.mark.benchmark(group=DOOR)
def test_itineraries_access_walks_cached(benchmark, door_to_door):
    """As agents.journeys does: the walks of a node are found once (homes and workplaces repeat)."""
    planner, pairs, lonlat = door_to_door
    cache: dict = {}
    _itineraries(planner, pairs, lonlat, cache)
    cpu: list = []
    out = benchmark.pedantic(_cpu_timed(lambda: _itineraries(planner, pairs, lonlat, cache), cpu), rounds=3,
                             iterations=1)
    benchmark.extra_info["queries_per_s"] = len(pairs) / benchmark.stats.stats.mean
    benchmark.extra_info["cpu_queries_per_s"] = len(pairs) / min(cpu)
    benchmark.extra_info["itineraries"] = out


# ---- the walks between a road node and the stops near it (what a run computes for every new place) ------
WALKS = "transit: walks between 600 Brașov road nodes and their stops within 800 m"


def _walks_walker_times(planner, lon, lat, to_stops):
    """Baseline: Planner.walks before the stops' snaps were kept (Walker.times snapped the stops
    again, from its point cache, on every call)."""
    from twin.transit import haversine_m

    tt = planner.tt
    near = np.nonzero(haversine_m(lon, lat, tt.stop_lon, tt.stop_lat) <= planner.max_access_m)[0]
    if not len(near):
        return {}
    if to_stops:
        secs = planner.walker.times(lon, lat, tt.stop_lon[near], tt.stop_lat[near])
    else:
        secs = planner.walker.times(tt.stop_lon[near], tt.stop_lat[near], lon, lat)
    return {int(s): int(w) for s, w in zip(near, secs) if w >= 0}


def _all_walks(walks, planner, lonlat):
    return [walks(planner, *p, to) for po, pd in lonlat for p, to in ((po, True), (pd, False))]


@pytest.mark.benchmark(group=WALKS)
def test_walks_stops_snapped_once(benchmark, door_to_door):
    """Planner.walks: the stops snapped to the walk graph once per planner; equal to the baseline."""
    planner, _, lonlat = door_to_door

    def walks(pl, lon, lat, to):
        return pl.walks(lon, lat, to)

    assert _all_walks(walks, planner, lonlat) == _all_walks(_walks_walker_times, planner, lonlat)
    cpu: list = []
    benchmark.pedantic(_cpu_timed(lambda: _all_walks(walks, planner, lonlat), cpu), rounds=5, iterations=1)
    benchmark.extra_info["cpu_walks_per_s"] = 2 * len(lonlat) / min(cpu)


@pytest.mark.benchmark(group=WALKS)
def test_walks_baseline_walker_times(benchmark, door_to_door):
    planner, _, lonlat = door_to_door
    _all_walks(_walks_walker_times, planner, lonlat)
    cpu: list = []
    benchmark.pedantic(_cpu_timed(lambda: _all_walks(_walks_walker_times, planner, lonlat), cpu), rounds=5,
                       iterations=1)
    benchmark.extra_info["cpu_walks_per_s"] = 2 * len(lonlat) / min(cpu)
