"""The queue-based link model (issue 22), checked exactly on small synthetic networks.

The networks are hand-built city stand-ins (edge arrays and a graph of ``lanes`` tags), so every
capacity is known: the tests assert the rules of ``twin/_traffic.pyx`` — outflow capacity per
step, first-in-first-out queues, spillback, conservation, determinism, the stuck time — then the
fleet and mobility wiring (walkers never queue, emergency vehicles pass queues).
"""
from __future__ import annotations

import math
import types

import networkx as nx
import numpy as np
import pytest

from twin.errors import TwinError
from twin.movement import CAR_VMAX, Fleet
from twin.traffic import RoadNetwork, TrafficParams, edge_lanes, link_table


def synthetic_city(lengths_m, speeds_kph, highway="residential", lanes=None, oneway=True):
    """A city stand-in with ``len(lengths_m)`` directed edges (edge ``i`` from node ``i`` to
    ``i+1``); ``lanes`` (OSM tag values, None for no tag) go on the graph's edges."""
    E = len(lengths_m)
    lengths = np.asarray(lengths_m, float)
    speeds = np.asarray(speeds_kph, float) * np.ones(E)
    G = nx.MultiDiGraph()
    for i in range(E):
        d = {"twin_edge": i}
        if lanes is not None and lanes[i] is not None:
            d["lanes"] = lanes[i]
        G.add_edge(i, i + 1, **d)
    arrays = {"edge_length_mm": np.round(lengths * 1000).astype(np.int64),
              "edge_speed_kph": speeds,
              "edge_time_ms": np.round(lengths / (speeds / 3.6) * 1000).astype(np.int64),
              "edge_highway": np.zeros(E, np.int32), "edge_oneway": np.full(E, oneway),
              "edge_name": np.arange(E, dtype=np.int32)}
    return types.SimpleNamespace(arrays=arrays, highway_types=[highway], graph=G, n_edges=E,
                                 edge_names=[f"Strada {i}" for i in range(E)])


def paths(edge_lists):
    off = np.concatenate([[0], np.cumsum([len(p) for p in edge_lists])]).astype(np.int64)
    return off, np.concatenate([np.asarray(p, np.int32) for p in edge_lists])


def run(net, base, t_end, dt, on_step=None):
    """Step the road to ``t_end``; returns arrivals as {vehicle: time}, in arrival order."""
    got = {}
    t = net.now
    while t < t_end - 1e-9:
        t += dt
        net.advance_to(t)
        v, at = net.take_arrivals(base)
        got.update(zip(v.tolist(), at.tolist()))
        if on_step is not None:
            on_step(t)
    return got


# ---- link parameters ------------------------------------------------------------------------------

def test_link_capacities_follow_lanes_type_and_length():
    # 2-lane one-way primary, a two-way residential tagged lanes=2 (one lane each way), no tag
    c = synthetic_city([150.0, 150.0, 150.0], 50, lanes=["2", "2", None])
    c.highway_types = ["primary"]
    c.arrays["edge_oneway"] = np.array([True, False, True])
    lanes = edge_lanes(c)
    assert lanes.tolist() == [2.0, 1.0, 1.0]
    t = link_table(c)
    assert t["cap_vph"].tolist() == [3000.0, 1500.0, 1500.0]          # 1,500 veh/h per primary lane
    assert t["storage"].tolist() == pytest.approx([40.0, 20.0, 20.0])  # 150 m × lanes / 7.5 m
    assert t["free_s"].tolist() == pytest.approx([10.8, 10.8, 10.8])   # 150 m at 50 km/h
    half = link_table(c, scale=0.1)                                   # a 10 % sample's road
    assert half["cap_vph"][0] == pytest.approx(300.0) and half["storage"][0] == pytest.approx(4.0)
    tiny = synthetic_city([3.0], 30)                                  # never less than one car
    assert link_table(tiny)["storage"].tolist() == [1.0]


def test_lanes_tag_forms():
    c = synthetic_city([10.0] * 4, 30, lanes=["2;3", ["4", "2"], "x", "0"])
    assert edge_lanes(c).tolist() == [2.5, 3.0, 1.0, 1.0]


def test_a_stuck_car_teleports_by_default():
    # the default rule since the SUMO comparison (README): SUMO meso's teleport, not MATSim's force
    assert TrafficParams().stuck == "teleport"
    assert TrafficParams.model_validate("queue").stuck == "teleport"


def test_traffic_params_shorthand_and_errors():
    assert TrafficParams.model_validate("queue").mode == "queue"
    assert TrafficParams().mode == "queue"                            # the default (issue 22)
    assert TrafficParams.model_validate("free_flow").mode == "free_flow"
    with pytest.raises(Exception, match="mode"):
        TrafficParams.model_validate({"mode": "gridlock"})


def test_a_scenario_with_a_bad_traffic_mode_names_the_field_and_value():
    from scenarios import load_scenario
    from scenarios.schema import ScenarioError

    assert load_scenario("baseline", traffic="queue").traffic.mode == "queue"
    with pytest.raises(ScenarioError, match="traffic.*'jam'"):
        load_scenario("baseline", traffic="jam")
    with pytest.raises(ScenarioError, match="traffic.mode.*'jam'"):
        load_scenario("baseline", traffic={"mode": "jam"})


# ---- the link model, exactly ----------------------------------------------------------------------

def test_outflow_capacity_is_respected_every_step():
    # one 600 m residential edge (600 veh/h, storage 80): 60 cars enter at once
    c = synthetic_city([600.0, 50.0], 36)
    net = RoadNetwork(c, TrafficParams(mode="queue"))
    base = net.register(60)
    off, edges = paths([[0, 1]] * 60)
    net.enter(np.arange(60), off, edges, CAR_VMAX, 0.0)
    dt = 5.0
    cap_step = 600.0 / 3600.0 * dt
    exits, prev = [], [0]

    def check(t):
        exits.append(int(net.exits[0]) - prev[0])
        prev[0] = int(net.exits[0])

    got = run(net, base, 800.0, dt, check)
    assert len(got) == 60
    assert max(exits) <= math.ceil(cap_step)
    cum = np.cumsum(exits)
    k = np.arange(1, len(exits) + 1)
    assert (cum <= cap_step * k + 1 + 1e-9).all()                      # over any horizon
    # and the capacity is used: from the first car's free-flow exit (60 s), one car per 6 s
    times = dt * k
    busy = times >= 60.0
    assert (cum[busy] >= np.minimum(60, np.floor((times[busy] - 60.0) / 6.0))).all()
    assert times[np.argmax(cum == 60)] <= 60.0 + 59 * 6.0 + dt
    first = min(got.values())
    assert first == pytest.approx(60.0 + 5.0)                          # free flow over both edges


def test_no_vehicle_overtakes_the_queue_it_is_in():
    # a slow tractor (2 m/s) enters first, fast cars behind it: nobody leaves before it
    c = synthetic_city([200.0, 200.0], 50, highway="primary")
    net = RoadNetwork(c, TrafficParams(mode="queue"))
    base = net.register(6)
    off, edges = paths([[0, 1]] * 6)
    vmax = np.array([2.0] + [CAR_VMAX] * 5)
    for k in range(6):                                                 # one after the other
        net.enter([k], off[k:k + 2] - off[k], edges[off[k]:off[k + 1]], vmax[k], float(k))
    got = run(net, base, 1000.0, 1.0)
    order = sorted(got, key=lambda v: (got[v], v))
    assert order == list(range(6))
    assert got[0] >= 200.0 / 2.0                                       # the tractor's own pace
    assert all(got[k] >= got[0] for k in range(1, 6))                  # the cars were held


def test_spillback_blocks_the_upstream_edge():
    # edge 0 (long, wide) feeds edge 1: 15 m (storage 2), 100 veh/h. Cars pile up on edge 1 and
    # the head of edge 0 then waits although edge 0's own outflow capacity would let it go.
    c = synthetic_city([300.0, 15.0, 100.0], 36, lanes=["3", "1", "3"])
    c.highway_types = ["primary"]
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=86400))
    net.cap[1] = 100.0 / 3600.0
    base = net.register(40)
    off, edges = paths([[0, 1, 2]] * 40)
    net.enter(np.arange(40), off, edges, CAR_VMAX, 0.0)
    seen_full = []

    def check(t):
        assert net.occ[1] <= net.storage[1]                            # never over storage
        if net.occ[1] == net.storage[1] and net.head[0] >= 0 and net.ready[net.head[0]] < t:
            seen_full.append(t)                                         # ready, but blocked
        # edge 0 lets out no more than edge 1 can hold plus what edge 1 let out
        assert net.exits[0] <= net.exits[1] + net.storage[1]

    run(net, base, 600.0, 1.0, check)
    assert len(seen_full) > 100
    assert net.exits[0] < 40 and net.occ[0] > 0                        # the queue is upstream now
    assert net.blocked_since[0] < np.inf
    assert net.forced.sum() == 0


@pytest.mark.parametrize("lanes", ["1", "2"])
def test_a_blocked_head_holds_one_lane_only(lanes):
    # edge 1 is full and lets nobody out; on edge 0 the head waits for it. The cars behind, bound
    # for edge 2, pass the head in the other lane of a two-lane edge 0 — and never on one lane.
    c = synthetic_city([300.0, 15.0, 100.0, 100.0], 36, lanes=[lanes, "1", "1", "1"])
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=86400))
    net.cap[1] = 0.0                                                   # closed at its end
    net.storage[1] = 1.0
    base = net.register(5)
    plist = [[0, 1, 3], [0, 1, 3], [0, 2], [0, 2], [0, 1, 3]]
    for k, pth in enumerate(plist):                                    # one after the other
        o, e = paths([pth])
        net.enter([k], o, e, CAR_VMAX, float(k))
    got = run(net, base, 600.0, 5.0)
    assert net.head[1] == 0 and net.head[0] == 1                       # car 1 waits for edge 1
    if lanes == "2":
        assert set(got) == {2, 3} and net.passed[0] == 2               # 2 and 3 went by in lane 2
        assert net.nxt[1] == 4 and net.occ[0] == 2                     # 4 (bound for 1) still queues
    else:
        assert got == {} and net.passed[0] == 0 and net.occ[0] == 4    # strictly first in, first out


def test_a_chain_of_one_car_edges_passes_cars_at_its_capacity():
    # five 7.5 m primary edges (storage 1 car, 1,500 veh/h) between two long ones, 5 s steps: a
    # head waiting for the next short edge is woken when its car leaves, within the step, so the
    # chain carries ~1,500 veh/h — not one car per edge per step (720 veh/h)
    c = synthetic_city([600.0] + [7.5] * 5 + [600.0], 50, highway="primary", lanes=["3"] + ["1"] * 5 + ["3"])
    c.highway_types = ["primary"]
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=86400))
    net.cap[0] = 3600.0 / 3600.0                                       # the feeder is not the limit
    assert (net.storage[1:6] == 1.0).all()
    base = net.register(200)
    off, edges = paths([list(range(7))] * 200)
    net.enter(np.arange(200), off, edges, CAR_VMAX, 0.0)
    got = run(net, base, 3600.0, 5.0)
    assert len(got) == 200 and net.forced.sum() == 0
    t = np.sort(np.array(list(got.values())))
    rate = (len(t) - 1) / (t[-1] - t[0]) * 3600.0
    assert 0.9 * 1500.0 <= rate <= 1500.0 * 1.01                        # capacity, never above


def test_stuck_time_forces_a_blocked_head_through_and_counts_it():
    c = synthetic_city([300.0, 15.0, 100.0], 36, lanes=["3", "1", "3"])
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=30.0, stuck="force"))
    net.cap[1] = 10.0 / 3600.0                                         # almost closed
    base = net.register(20)
    off, edges = paths([[0, 1, 2]] * 20)
    net.enter(np.arange(20), off, edges, CAR_VMAX, 0.0)
    run(net, base, 300.0, 1.0)
    assert net.forced[0] > 0                                           # heads of edge 0 were forced
    assert net.occ[1] > net.storage[1]                                 # ... into the full edge 1


def test_teleport_jumps_the_jam_to_the_next_edge_with_space():
    # edge 1 is full and almost closed: with teleport, a head of edge 0 stuck 30 s jumps onto
    # edge 2 (never over edge 1's storage); with nothing free ahead it reaches its destination
    c = synthetic_city([300.0, 15.0, 100.0, 100.0], 36, lanes=["3", "1", "3", "3"])
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=30.0, stuck="teleport"))
    net.cap[1] = 10.0 / 3600.0
    base = net.register(20)
    off, edges = paths([[0, 1, 2, 3]] * 20)
    net.enter(np.arange(20), off, edges, CAR_VMAX, 0.0)

    def check(t):
        assert net.occ[1] <= net.storage[1]
        assert int(net.occ.sum() + net.wcount.sum()) == net.on_road

    got = run(net, base, 1500.0, 1.0, check)                   # ~1 teleport per 30 s
    assert net.forced[0] > 0 and len(got) == 20
    assert net.entries[1] == net.exits[1] == 20                        # jumped passes count on 1 too
    c2 = synthetic_city([300.0, 15.0], 36, lanes=["3", "1"])           # nothing ahead but edge 1
    net2 = RoadNetwork(c2, TrafficParams(mode="queue", stuck_s=30.0, stuck="teleport"))
    net2.cap[1] = 1.0 / 3600.0
    net2.storage[1] = 1.0
    b2 = net2.register(5)
    o2, e2 = paths([[0, 1, 1]] * 5)                                    # a path that stays on 1
    net2.enter(np.arange(5), o2, e2, CAR_VMAX, 0.0)
    got2 = run(net2, b2, 400.0, 1.0)
    assert len(got2) == 5 and net2.forced[0] > 0 and net2.on_road == 0


@pytest.mark.parametrize("rule", ["force", "teleport"])
@pytest.mark.parametrize("lanes", [1, 3])
def test_each_lane_of_a_blocked_edge_has_its_own_stuck_time(lanes, rule):
    # every car of edge 0 waits for the full, almost closed edge 1. Each lane's head is forced
    # on after its own 30 s stuck time, as each lane's queue in SUMO meso: on one lane one car
    # every 30 s, on three lanes one every 10 s (three every 30 s)
    c = synthetic_city([300.0, 15.0, 100.0], 36, lanes=[str(lanes), "1", "3"])
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=30.0, stuck=rule))
    net.cap[0] = 100.0                                                 # no wait for outflow
    net.cap[1] = 10.0 / 3600.0
    base = net.register(12)
    off, edges = paths([[0, 1, 2]] * 12)
    net.enter(np.arange(12), off, edges, CAR_VMAX, 0.0)
    when = []

    def check(t):
        if net.forced[0] > len(when):
            when.append(t)

    run(net, base, 200.0, 1.0, check)
    assert len(when) >= 4
    assert np.diff(when[:4]).tolist() == [30.0 / lanes] * 3


@pytest.mark.parametrize("dest", [False, True])
def test_a_teleport_takes_the_free_flow_time_of_the_edges_it_jumps(dest):
    # edge 1 (1,000 m, 100 s at free flow) is full until 100 s (one car parks at its end). A car
    # from edge 0 (30 s) is stuck behind it from 30 to 60 s, then jumps it: it drives it beside
    # the jam in its free-flow time, so it enters edge 2 (10 s) at 160 s and arrives at 170 s —
    # not at 70 s as a jump that took no time. With edge 1 its last, it parks from beside it at
    # 160 s. Edge 1 never holds more than it stores; the jumped pass counts on it at free flow
    c = synthetic_city([300.0, 1000.0, 100.0], 36, lanes=["1", "1", "1"])
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=30.0, stuck="teleport"))
    net.storage[1] = 1.0
    base = net.register(2)
    net.enter([0], [0, 1], [1], CAR_VMAX, 0.0)                         # the blocker parks at 100 s
    off, edges = paths([[0, 1]] if dest else [[0, 1, 2]])
    net.enter([1], off, edges, CAR_VMAX, 0.0)
    seen_beside = []

    def check(t):
        assert net.occ[1] <= 1
        seen_beside.append(int(net.wcount[1]))
        assert int(net.occ.sum() + net.wcount.sum()) == net.on_road

    got = run(net, base, 400.0, 1.0, check)
    assert got[0] == pytest.approx(100.0)
    assert got[1] == pytest.approx(160.0 if dest else 170.0)
    assert net.forced[0] == 1 and net.on_road == 0
    assert net.entries[1] == net.exits[1] == 2
    assert net.time_on[1] == pytest.approx(200.0) and net.free_time[1] == pytest.approx(200.0)
    assert max(seen_beside) == (1 if dest else 0)                       # beside edge 1, not on it


def test_vehicles_are_conserved_and_runs_are_deterministic():
    rng = np.random.default_rng(7)
    E = 12
    c = synthetic_city(rng.uniform(10, 200, E), 40, lanes=[str(x) for x in rng.integers(1, 3, E)])

    def simulate():
        net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=60.0))
        base = net.register(300)
        plist = []
        for _ in range(300):                                           # random walks on a ring
            s = int(rng.integers(0, E))
            n = int(rng.integers(1, 8))
            plist.append([(s + j) % E for j in range(n)])
        off, edges = paths(plist)
        entered, arrived = 0, {}
        t = 0.0
        for wave in range(6):                                          # departures between steps
            ids = np.arange(wave * 50, wave * 50 + 50)
            o, e = paths([plist[i] for i in ids])
            net.enter(ids, o, e, CAR_VMAX, t)
            entered += 50
            for _ in range(10):
                t += 2.5
                net.advance_to(t)
                v, at = net.take_arrivals(base)
                assert not set(v.tolist()) & set(arrived)
                arrived.update(zip(v.tolist(), at.tolist()))
                assert net.on_road + len(arrived) == entered
                assert int(net.occ.sum() + net.wcount.sum()) == net.on_road   # queued or waiting
                assert (net.occ >= 0).all() and (net.wcount >= 0).all()
        while net.on_road:
            t += 2.5
            net.advance_to(t)
            v, at = net.take_arrivals(base)
            arrived.update(zip(v.tolist(), at.tolist()))
        return arrived, net

    rng = np.random.default_rng(7)
    a1, n1 = simulate()
    rng = np.random.default_rng(7)
    a2, n2 = simulate()
    assert len(a1) == 300 and a1 == a2
    assert np.array_equal(n1.exits, n2.exits) and np.array_equal(n1.entries, n2.entries)
    assert int(n1.exits.sum()) == int(n1.entries.sum())               # everyone left every edge


def test_departures_onto_a_full_edge_wait_beside_it_and_yield_to_its_traffic():
    # edge 1 (100 m, 1 lane: storage 13, 600 veh/h) fills with through traffic from edge 0; then
    # 200 cars depart onto edge 1 from a car park. Those that find it full take no storage on it
    # (the cars on edge 0 keep entering edge 1) and merge only with the outflow budget that edge
    # 1's own queue leaves unused: every through car is out before the first waiting car.
    c = synthetic_city([300.0, 100.0, 300.0], 36, lanes=["3", "1", "3"])
    net = RoadNetwork(c, TrafficParams(mode="queue", stuck_s=86400))
    base = net.register(260)
    off, edges = paths([[0, 1, 2]] * 60)
    net.enter(np.arange(60), off, edges, CAR_VMAX, 0.0)                # through traffic
    run(net, base, 40.0, 5.0)
    o2, e2 = paths([[1, 2]] * 200)
    net.enter(np.arange(60, 260), o2, e2, CAR_VMAX, 40.0)              # the car park empties
    waiting, v = [], net.whead[1]
    while v >= 0:
        waiting.append(int(v))
        v = net.nxt[v]
    assert len(waiting) == net.wcount[1] > 150 and net.occ[1] <= math.ceil(net.storage[1])
    assert waiting == sorted(waiting)                                   # in the order they came

    def check(t):
        assert net.occ[1] <= math.ceil(net.storage[1])                 # never over storage
        assert int(net.occ.sum() + net.wcount.sum()) == net.on_road

    got = run(net, base, 2400.0, 5.0, check)
    assert len(got) == 260 and net.forced.sum() == 0
    assert max(got[v] for v in range(60)) < min(got[v] for v in waiting)      # the road first
    order = sorted(waiting, key=lambda v: got[v])
    assert order == waiting                                             # first come, first served
    last = max(got.values())                                            # 600 veh/h for everyone
    assert 260 * 6.0 <= last <= 30.0 + 260 * 6.0 + 60.0


def test_free_flow_when_the_road_is_empty():
    # a lone car on the queue road arrives exactly at its free-flow time
    c = synthetic_city([100.0, 250.0, 40.0], [36, 54, 18])
    net = RoadNetwork(c, TrafficParams(mode="queue"))
    base = net.register(1)
    off, edges = paths([[0, 1, 2]])
    net.enter([0], off, edges, CAR_VMAX, 3.0)
    got = run(net, base, 100.0, 5.0)
    assert got[0] == pytest.approx(3.0 + 10.0 + 250.0 / 15.0 + 8.0)


def test_path_buffer_compaction_keeps_paths_intact():
    # 3,000 cars with 12-edge paths enter in waves (36,000 path entries: the 16,384-entry buffer
    # is compacted while cars are on the road); on an uncongested road each arrives exactly at
    # its free-flow time, which it could not if its remaining path had been garbled
    E = 50
    rng = np.random.default_rng(11)
    lengths = rng.uniform(20, 120, E)
    c = synthetic_city(lengths, 36)
    net = RoadNetwork(c, TrafficParams(mode="queue"))
    net.cap[:] = 1e6
    net.storage[:] = 1e6
    base = net.register(3000)
    start = rng.integers(0, E, 3000)
    plist = [[(s + j) % E for j in range(12)] for s in start]
    got, t = {}, 0.0
    for wave in range(30):
        ids = np.arange(wave * 100, wave * 100 + 100)
        o, e = paths([plist[i] for i in ids])
        net.enter(ids, o, e, CAR_VMAX, t)
        t += 10.0
        net.advance_to(t)
        got.update(zip(*[x.tolist() for x in net.take_arrivals(base)]))
    while net.on_road:
        t += 10.0
        net.advance_to(t)
        got.update(zip(*[x.tolist() for x in net.take_arrivals(base)]))
    assert len(got) == 3000
    for v in range(0, 3000, 7):
        free = sum(c.arrays["edge_length_mm"][e] / 1000.0 / 10.0 for e in plist[v])
        assert got[v] == pytest.approx((v // 100) * 10.0 + free, abs=1e-6)
    with pytest.raises(TwinError, match="already on the road"):
        net.enter([0], [0, 1], [0], CAR_VMAX, t)  # 0 arrived: fine
        net.enter([0], [0, 1], [0], CAR_VMAX, t)  # twice: refused


def test_entering_in_the_past_or_without_a_path_is_refused():
    c = synthetic_city([100.0], 36)
    net = RoadNetwork(c, TrafficParams(mode="queue"))
    net.register(2)
    net.advance_to(10.0)
    with pytest.raises(TwinError, match="past"):
        net.enter([0], [0, 1], [0], CAR_VMAX, 5.0)
    with pytest.raises(TwinError, match="non-empty path"):
        net.enter([0], [0, 0], np.zeros(0, np.int32), CAR_VMAX, 10.0)


# ---- fleets on the road ---------------------------------------------------------------------------

def test_fleet_walkers_never_queue_and_cars_share_the_road():
    c = synthetic_city([600.0, 50.0], 36)
    road = RoadNetwork(c, TrafficParams(mode="queue"))
    fleet = Fleet(c, 41, road=road)
    other = Fleet(c, 20, road=road)                                    # another kind on the same road
    off, edges = paths([[0, 1]] * 41)
    queue = np.array([True] * 40 + [False])
    vmax = np.array([CAR_VMAX] * 40 + [1.4])
    fleet.depart(np.arange(41), off, edges, vmax, queue=queue, now=0.0)
    o2, e2 = paths([[0, 1]] * 20)
    other.depart(np.arange(20), o2, e2, CAR_VMAX, queue=True, now=0.0)
    assert fleet.n_active == 41 and fleet.n_queued == 40 and fleet.n_free == 1
    assert fleet.traffic[0] == 40 + 20 + 1                             # counters see everyone
    got, got2 = {}, {}
    t = 0.0
    while fleet.n_active or other.n_active:
        t += 5.0
        a, after = fleet.step(5.0, now=t)
        got.update({int(x): t - 5.0 + y for x, y in zip(a, after)})
        a, after = other.step(5.0, now=t)
        got2.update({int(x): t - 5.0 + y for x, y in zip(a, after)})
    assert got[40] == pytest.approx(650.0 / 1.4)                       # the walker: free flow
    assert len(got) == 41 and len(got2) == 20
    # 60 cars through a 600 veh/h edge: the last leaves about 60 × 6 s after the first
    assert max(list(got.values())[:40] + list(got2.values())) > 60.0 + 5.0 + 300.0
    assert not fleet.moving.any() and fleet.n_queued == 0


def test_queue_departure_needs_a_road_and_a_time():
    c = synthetic_city([100.0], 36)
    with pytest.raises(TwinError, match="road"):
        Fleet(c, 1).depart([0], [0, 1], [0], CAR_VMAX, queue=True, now=0.0)
    road = RoadNetwork(c, TrafficParams(mode="queue"))
    with pytest.raises(TwinError, match="now="):
        Fleet(c, 1, road=road).depart([0], [0, 1], [0], CAR_VMAX, queue=True)


# ---- a run in queue mode --------------------------------------------------------------------------

def _morning(traffic):
    """Citizens' morning on the demo town (only what moves them: no sensors, services, ledger)."""
    from agents.daily import DailyLife
    from agents.journeys import Journeys
    from agents.population import Citizens
    from scenarios import load_scenario
    from twin import load_city
    from twin.engine import Twin
    from twin.mobility import Mobility
    from twin.traffic import Traffic

    sc = load_scenario("baseline", city="demo", population=1500, hours=10, seed=3, gtfs="none",
                       traffic=traffic)
    twin = Twin(load_city("demo"), seed=sc.seed, start=sc.start)
    traffic = twin.add(Traffic(sc.traffic, scale=1500 / 45000))
    mobility = twin.add(Mobility(1500, kind="citizen", tick_s=sc.tick_s))
    twin.add(Citizens(1500, sc.citizens))
    twin.add(Journeys(None, sc.transit))
    twin.add(DailyLife(sc.daily))
    twin.run(sc.hours)
    out = traffic.kpis(), mobility.kpis()
    twin.close()
    return out


def test_a_morning_in_queue_mode_shows_delay_and_reports_it():
    # 1,500 citizens (3.3 % of the town) on a road scaled to 1 % of its capacity: the peak must queue
    free_t, free_m = _morning("free_flow")
    q_t, q_m = _morning({"mode": "queue", "capacity_factor": 0.01, "routing_bin_min": 60})
    assert free_t == {"mode": "free_flow"}
    for key in ("vehicle_km", "vehicle_hours", "mean_delay_s", "share_time_lost", "most_congested",
                "peak_hour", "hourly"):
        assert key in q_t, key
    assert q_t["car_trips"] > 100 and q_t["mean_delay_s"] > 10.0
    assert 0.0 < q_t["share_time_lost"] < 1.0
    worst = q_t["most_congested"][0]
    assert worst["speed_ratio"] < 1.0 and worst["street"] and 0 <= worst["hour"] < 10
    assert q_t["peak_hour"]["speed_kph"] < q_t["peak_hour"]["free_flow_kph"]
    assert q_m["car"]["mean_min"] > free_m["car"]["mean_min"]
    assert q_m["walk"]["mean_min"] == pytest.approx(free_m["walk"]["mean_min"], rel=0.05)
    # time-dependent routing: the jammed bins rebuilt the cars' router on observed travel times
    r = q_t["routing"]
    assert r["rebuilds"] >= 1 and r["build_s_total"] > 0 and all(0 < h <= 10 for h in r["rebuilt_at_h"])


def test_emergency_units_never_queue_and_crews_do(demo_city):
    from twin.engine import Twin
    from twin.mobility import Mobility
    from twin.traffic import Traffic

    twin = Twin(demo_city)
    traffic = twin.add(Traffic(TrafficParams(mode="queue", emergency_speed_factor=0.8)))
    units = twin.add(Mobility(3, kind="unit", name="unit_mobility"))
    crews = twin.add(Mobility(3, kind="crew", name="crew_mobility"))
    assert units.fleet.road is None                        # its stated priority instead:
    free = demo_city.arrays["edge_speed_kph"] / 3.6
    assert np.allclose(units.fleet.edge_speed, 0.8 * free)  # 0.8 × free flow through any queue
    assert crews.fleet.road is traffic.network
    twin.close()


def test_router_on_given_travel_times_avoids_a_slow_street(demo_city):
    from twin.routing import Router

    c = demo_city
    free = c.router("time", "drive")
    core = c.core_nodes("drive")
    rng = np.random.default_rng(2)
    s, t = rng.choice(core, 200).astype(np.int32), rng.choice(core, 200).astype(np.int32)
    w0, off, edges = free.routes(s, t)
    busiest = np.bincount(edges, minlength=c.n_edges).argmax()         # the edge most routes use
    w = c.arrays["edge_time_ms"].astype(np.int64).copy()
    w[busiest] *= 100                                                   # a jam on it
    slow = Router(c, "time", "drive", edge_time_ms=w)
    w1, off1, edges1 = slow.routes(s, t)
    assert (np.bincount(edges1, minlength=c.n_edges)[busiest] < np.bincount(edges, minlength=c.n_edges)[busiest])
    # exact: each answer is the path's own weight under the new times, never worse than detours
    for k in range(0, 200, 20):
        if w1[k] >= 0:
            assert w1[k] == w[edges1[off1[k]:off1[k + 1]]].sum()
    with pytest.raises(TwinError, match="edge_time_ms"):
        Router(c, "time", "drive", edge_time_ms=w[:-1])


def test_arriving_cars_park_without_outflow_capacity():
    # ten cars end their trip on an edge that lets one car an hour through: they still arrive at
    # their free-flow times (a car parks at the end of its last edge), in their order
    c = synthetic_city([100.0, 50.0], 36)
    net = RoadNetwork(c, TrafficParams(mode="queue"))
    net.cap[1] = 1.0 / 3600.0
    base = net.register(10)
    for k in range(10):
        net.enter([k], [0, 2], [0, 1], CAR_VMAX, 6.0 * k)      # 600 veh/h on edge 0: one per 6 s
        net.advance_to(6.0 * k + 3.0)
    got = run(net, base, 200.0, 1.0)
    got.update(zip(*[x.tolist() for x in net.take_arrivals(base)]))
    assert [round(got[k], 6) for k in range(10)] == [round(6.0 * k + 15.0, 6) for k in range(10)]
