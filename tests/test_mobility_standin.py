"""The published stand-in of a trip from or to a home (twin.mobility, issue 22 item 6): kept per
(ends, top speed), summed path by path, so a trip's published figures depend on the trip only —
not on who else left in the same step, nor on what the cache had seen — and a road closure
makes them be routed again."""
from __future__ import annotations

import numpy as np

from twin.engine import Twin
from twin.mobility import Mobility, path_sums


def test_path_sums_are_per_path_and_zero_for_empty_paths():
    off = np.array([0, 3, 3, 7, 7], np.int64)
    vals = np.array([0.1, 0.2, 0.3, 1e9, 0.1, 0.2, 0.3])
    got = path_sums(off, vals)
    assert got.tolist()[1] == 0.0 and got.tolist()[3] == 0.0
    assert got[0] == path_sums(np.array([0, 3]), vals[:3])[0]          # the same alone as in a batch
    assert got[2] == path_sums(np.array([0, 4]), vals[3:])[0]
    assert len(path_sums(np.array([0], np.int64), np.zeros(0))) == 0


def _twin(city, n):
    twin = Twin(city, seed=3)
    mob = twin.add(Mobility(n, tick_s=5.0))
    core = np.asarray(city.core_nodes("both"))
    rng = np.random.default_rng(0)
    homes = core[rng.integers(0, len(core), n)].astype(np.int32)
    mob.location[:] = homes
    mob.private_nodes = homes
    return twin, mob, core, homes


def _published(twin, mob, agents, homes, dests, mode="walk"):
    got = []
    twin.bus.subscribe(f"{twin.topic_root}/mobility/citizen", lambda e: got.append(e) if e.kind == "trip_start" else None)
    mob.request(agents, homes[agents], dests, mode)
    return {int(e.entity.split(":")[1]): e.payload["length_m"] for e in got}


def test_a_coarse_trip_shows_the_same_length_alone_in_a_batch_and_from_the_cache(demo_city):
    n = 60
    dest = None
    lengths = []
    for batch in ("alone", "batch", "cached"):
        twin, mob, core, homes = _twin(demo_city, n)
        if dest is None:
            dest = int(core[len(core) // 2])
        if batch == "alone":
            pub = _published(twin, mob, np.array([0], np.int32), homes, np.array([dest], np.int32))
        elif batch == "batch":
            agents = np.arange(n, dtype=np.int32)
            pub = _published(twin, mob, agents, homes, np.full(n, dest, np.int32))
        else:      # a neighbour of the same cell went first: citizen 0's stand-in comes from the cache
            agents = np.arange(1, n, dtype=np.int32)
            _published(twin, mob, agents, homes, np.full(n - 1, dest, np.int32))
            pub = _published(twin, mob, np.array([0], np.int32), homes, np.array([dest], np.int32))
        assert mob.trip_coarse[0]
        lengths.append(pub[0])
    assert lengths[0] == lengths[1] == lengths[2]


def test_a_road_closure_routes_the_stand_ins_again(demo_city):
    twin, mob, core, homes = _twin(demo_city, 4)
    _published(twin, mob, np.array([0], np.int32), homes, np.array([int(core[0])], np.int32))
    first = mob._stand_router
    assert first is not None and mob._stand_cache
    twin.close_roads([0])
    _published(twin, mob, np.array([1], np.int32), homes, np.array([int(core[0])], np.int32))
    assert mob._stand_router is not first and mob._stand_router is twin.router("time", "walk")
