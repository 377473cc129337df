"""Buses as vehicles (agents/buses.py) and their GTFS-Realtime feed (agents/realtime.py).

A hand-made line of three stops on real Brașov streets (the drive graph): its trips drive the
road path between the stops, dwell by boardings and alightings, hold for the timetable, carry at
most their capacity and leave the others behind for the next one; a late departure propagates.
The GTFS-Realtime feeds, parsed with gtfs-realtime-bindings, say where the vehicles are.
"""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from agents.buses import SMOOTHING, Buses, VehicleParams, road_hops
from tests.mqtt_broker import broker  # noqa: F401  (fixture)
from tests.test_transit import write_feed
from twin.engine import Twin
from twin.gtfs import load_gtfs
from twin.mobility import Mobility

pytestmark = pytest.mark.brasov
H8 = 8 * 3600
TUESDAY = datetime(2026, 3, 24)


@pytest.fixture(scope="module")
def street(brasov):
    """Three road nodes along a fastest drive path of about 1.5-3 km: the line's stops, and the
    free-flow seconds of its two hops."""
    a = brasov.arrays
    core = np.asarray(brasov.core_nodes("drive"))
    rng = np.random.default_rng(7)
    r = brasov.router("time", "drive")
    while True:
        o, d = (int(x) for x in rng.choice(core, 2))
        w, off, e = r.routes(np.array([o]), np.array([d]))
        if w[0] > 0 and len(e) >= 6 and 1500 < brasov.arrays["edge_length_mm"][e].sum() / 1000 < 3000:
            break
    nodes = [int(a["edge_u"][e[0]]), int(a["edge_v"][e[len(e) // 2]]), int(a["edge_v"][e[-1]])]
    w, _, _ = r.routes(np.array(nodes[:-1]), np.array(nodes[1:]))
    return nodes, w / 1000.0


@pytest.fixture(scope="module")
def far_street(brasov):
    """As :func:`street`, with the line's ends 1-2 km apart in a straight line (a bus journey's
    length: the mode choice offers no bus under 400 m)."""
    a = brasov.arrays
    core = np.asarray(brasov.core_nodes("drive"))
    rng = np.random.default_rng(11)
    r = brasov.router("time", "drive")
    while True:
        o, d = (int(x) for x in rng.choice(core, 2))
        if not 1000 < np.hypot(a["node_x"][o] - a["node_x"][d], a["node_y"][o] - a["node_y"][d]) < 2000:
            continue
        w, off, e = r.routes(np.array([o]), np.array([d]))
        if w[0] > 0 and len(e) >= 6:
            break
    nodes = [int(a["edge_u"][e[0]]), int(a["edge_v"][e[len(e) // 2]]), int(a["edge_v"][e[-1]])]
    w, _, _ = r.routes(np.array(nodes[:-1]), np.array(nodes[1:]))
    return nodes, w / 1000.0


def _line(brasov, street, folder, hop_s, starts):
    nodes, _ = street
    a = brasov.arrays
    stops = [(f"S{k}", f"Stop {k}", float(a["node_lon"][n]), float(a["node_lat"][n])) for k, n in enumerate(nodes)]
    trips = [(["S0", "S1", "S2"], [t, t + hop_s[0], t + hop_s[0] + hop_s[1]]) for t in starts]
    return load_gtfs(write_feed(folder, stops, [("L1", trips)]), brasov)


def _fleet(brasov, tt, scale=1.0, **params):
    twin = Twin(brasov, seed=1, start=TUESDAY)
    twin.add(Mobility(200))
    buses = Buses(tt, VehicleParams(**params), road_hops(tt, twin.router("time", "drive")), record=True,
                  scale=scale)
    twin.add(buses)
    got = {"board": [], "alight": [], "stranded": []}
    buses.on_board.append(lambda c, v, i, t: got["board"].append((v.trip, i, c.tolist(), float(t[0]))))
    buses.on_alight.append(lambda c, t: got["alight"].append((c.tolist(), float(t[0]))))
    buses.on_stranded.append(lambda c, t: got["stranded"].append(c.tolist()))
    return twin, buses, got


def _to_segment(lon, lat, a, edge) -> float:
    """Distance in degrees from a point to a road edge drawn straight between its nodes."""
    u, w = a["edge_u"][edge], a["edge_v"][edge]
    p0 = np.array([a["node_lon"][u], a["node_lat"][u]])
    d = np.array([a["node_lon"][w], a["node_lat"][w]]) - p0
    f = np.clip(np.dot(np.array([lon, lat]) - p0, d) / max(np.dot(d, d), 1e-18), 0, 1)
    return float(np.hypot(*(p0 + f * d - np.array([lon, lat]))))


def _calls(buses, trip):
    return {i: (sched, arr, dep, off, on, left, load)
            for _, t, i, sched, arr, dep, off, on, left, load in buses.stop_log if t == trip}


def test_a_full_bus_leaves_riders_behind_for_the_next_one(brasov, street, tmp_path):
    """Capacity 2, five riders at the first stop: two ride each of the two trips, the fifth is
    left behind twice and, with no vehicle left to come, plans again; riders get off at their
    stop when the vehicle gets there."""
    _, ff = street
    hop = [int(math.ceil(x)) + 120 for x in ff]              # slack: the buses hold at the stops
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 600])
    twin, buses, got = _fleet(brasov, tt, capacity_bus=2)
    twin.run(7.9)
    buses.wait(np.arange(5), [0] * 5, [0] * 5, [2] * 5, np.full(5, twin.now))
    twin.run(1.1)
    assert [(trip, i, c) for trip, i, c, _ in got["board"]] == [(0, 0, [0, 1]), (1, 0, [2, 3])]
    assert got["stranded"] == [[4]]
    k = buses.kpis()
    assert (k["boardings"], k["denied_boardings"], k["stranded_replanned"]) == (4, 4, 1)
    assert k["denied_boardings_by_line"] == {"L1": 4}
    first, second = _calls(buses, 0), _calls(buses, 1)
    assert first[0][1] == H8 and got["board"][0][3] == H8     # boarded as the bus came in, on time
    # dwell: 5 s doors + 2 boardings × 2.5 s; it leaves 10 s late, and the slack absorbs it
    assert first[0][2] == H8 + 10
    assert first[1][2] == first[1][0]                         # nobody at stop 1: it held to the timetable
    assert got["alight"] == [([0, 1], first[2][1]), ([2, 3], second[2][1])]
    assert first[2][1] == pytest.approx(first[1][2] + ff[1], abs=0.5)   # a free-flow drive, no stop at 1
    assert k["load_factor"] == 1.0                            # two riders in two places on every hop
    assert k["trips_run"] == 2 and k["on_time_share"] == 1.0
    # the same for a 2 % sample of the population: 100 places × 0.02, each rider 50 people
    twin, buses, got = _fleet(brasov, tt, capacity_factor=0.02)
    twin.run(7.9)
    buses.wait(np.arange(5), [0] * 5, [0] * 5, [2] * 5, np.full(5, twin.now))
    twin.run(1.1)
    assert [c for _, _, c, _ in got["board"]] == [[0, 1], [2, 3]] and got["stranded"] == [[4]]
    assert _calls(buses, 0)[0][2] == H8 + 5 + 2 * 2.5 / 0.02     # their boarding takes 100 people's time


def test_a_rider_left_behind_twice_is_told_and_may_leave_the_queue(brasov, street, tmp_path):
    """``replan_after_denials`` 2: capacity 2, five riders, three trips. The fifth rider, left
    behind by the first and the second bus, is handed to ``on_left_behind`` (still queued) after
    the second; leaving the queue there, they board no third bus and are not stranded. With 0
    (the older model) nobody is told and the third bus takes them."""
    _, ff = street
    hop = [int(math.ceil(x)) + 120 for x in ff]
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 600, H8 + 1200])
    for n_max in (2, 0):
        twin, buses, got = _fleet(brasov, tt, capacity_bus=2, replan_after_denials=n_max)
        told = []

        def fed_up(c, p, i, t, buses=buses, told=told):
            told.append((c.tolist(), p, i, float(t[0])))
            buses.leave_queue(c, p, i)
        buses.on_left_behind.append(fed_up)
        twin.run(7.9)
        buses.wait(np.arange(5), [0] * 5, [0] * 5, [2] * 5, np.full(5, twin.now))
        twin.run(1.1)
        boarded = [(trip, c) for trip, _, c, _ in got["board"]]
        k = buses.kpis()
        if n_max:
            assert told == [([4], 0, 0, _calls(buses, 1)[0][1])]      # told as the second bus stood there
            assert boarded == [(0, [0, 1]), (1, [2, 3])] and got["stranded"] == []
            assert (k["denied_boardings"], k["left_behind_reconsidered"]) == (4, 1)
        else:
            assert told == [] and boarded == [(0, [0, 1]), (1, [2, 3]), (2, [4])]
            assert (k["denied_boardings"], k["left_behind_reconsidered"]) == (4, 0)


def test_riders_left_behind_choose_again_another_line_or_stay(brasov, far_street, tmp_path):
    """Journeys on a hand-made line L1 (capacity 2, every 10 min) and a line L2 on the same stops
    at 08:15. Six riders plan L1 at 08:00: two ride it, two the 08:10; the last two, left behind
    twice, plan again at 08:10 and take L2 at 08:15, earlier than L1's 08:20 — counted as
    ``other_bus``. Without L2 they plan L1 again and stay in the queue where they stand; with
    ``replan_after_denials`` 0 nobody plans again; where the rest of the way is within the walking
    limit and walking costs nothing, they walk it. The same seed gives the same rides."""
    from agents.journeys import Journeys, TransitParams
    from agents.modechoice import ModeChoiceParams

    nodes, ff = far_street
    a = brasov.arrays
    hop = [int(math.ceil(x)) + 120 for x in ff]
    stops = [(f"S{k}", f"Stop {k}", float(a["node_lon"][n]), float(a["node_lat"][n])) for k, n in enumerate(nodes)]

    def trips(starts):
        return [(["S0", "S1", "S2"], [t, t + hop[0], t + hop[0] + hop[1]]) for t in starts]

    l1 = ("L1", trips([H8, H8 + 600, H8 + 1200, H8 + 1800]))

    def run(lines, n_max, folder, walk_limit=500.0):
        tt = load_gtfs(write_feed(tmp_path / folder, stops, lines), brasov)
        twin = Twin(brasov, seed=3, start=TUESDAY)
        twin.add(Mobility(50))
        j = twin.add(Journeys(tt, TransitParams(vehicles=VehicleParams(capacity_bus=2, replan_after_denials=n_max)),
                              record_rides=True))
        twin.run(7.9)
        j.mobility.location[:6] = nodes[0]            # where they are (a day's plan would have put them)
        modes = j.travel(np.arange(6), np.full(6, nodes[0]), np.full(6, nodes[2]), np.zeros(6, bool), walk_limit,
                         ModeChoiceParams(walk_weight_alone=50.0))        # walking the whole way: never
        assert (modes == 2).all()
        j.choice = ModeChoiceParams(walk_weight_alone=0.0)                  # ... and then free
        twin.run(1.5)
        rides = sorted((c, trip, round(board)) for c, trip, _, _, board, *_ in j.ride_log)
        return rides, j.kpis()["transit"]

    rides, k = run([l1, ("L2", trips([H8 + 900]))], 2, "two")
    assert [r[:2] for r in rides] == [(0, "T0_0"), (1, "T0_0"), (2, "T0_1"), (3, "T0_1"), (4, "T1_0"), (5, "T1_0")]
    assert k["left_behind"] == {"reconsidered": 2, "stayed": 0, "other_bus": 2, "walked": 0}
    assert k["vehicles"]["denied_boardings"] == 4 + 2
    assert run([l1, ("L2", trips([H8 + 900]))], 2, "two_again")[0] == rides
    rides, k = run([l1], 2, "one")
    assert [r[:2] for r in rides][4:] == [(4, "T0_2"), (5, "T0_2")]
    assert k["left_behind"] == {"reconsidered": 2, "stayed": 2, "other_bus": 0, "walked": 0}
    rides, k = run([l1, ("L2", trips([H8 + 900]))], 0, "old")
    assert [r[:2] for r in rides][4:] == [(4, "T0_2"), (5, "T0_2")] and k["left_behind"]["reconsidered"] == 0
    rides, k = run([l1], 2, "walk", walk_limit=2500.0)
    assert [r[0] for r in rides] == [0, 1, 2, 3]                        # 4 and 5 walked on
    assert k["left_behind"] == {"reconsidered": 2, "stayed": 0, "other_bus": 0, "walked": 2}


def test_a_sampled_run_has_places_in_proportion_and_denies_boardings_alike(brasov, street, tmp_path):
    """A run of 10 % of the population (``scale`` 0.1, no ``capacity_factor`` given) has 10 %
    of the places: 10 riders of the 100 of the full run find 2 places of 20 on each bus, and are
    left behind, stranded and carried in the same proportion; a rider expects the same full
    vehicles to pass (the queue over the places offered)."""
    _, ff = street
    hop = [int(math.ceil(x)) + 300 for x in ff]
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 600, H8 + 1200])
    got_k = {}
    for scale, n in ((1.0, 100), (0.1, 10)):
        twin, buses, got = _fleet(brasov, tt, scale=scale, capacity_bus=20)
        twin.run(7.9)
        buses.wait(np.arange(n), [0] * n, [0] * n, [2] * n, np.full(n, twin.now))
        load, denials, headway = buses.expected(0, 0, 2)
        assert (load, denials, headway) == (0.0, n // (20 * scale), 600.0)    # 5 full buses before their turn
        twin.run(1.1)
        k = buses.kpis()
        assert k["capacity"]["factor"] == scale
        # three buses left full: the smoothed load factor riders expect
        assert buses.expected(0, 0, 2)[0] == pytest.approx(1 - (1 - SMOOTHING) ** 3)
        got_k[scale] = (k["boardings"], k["denied_boardings"], k["stranded_replanned"], k["load_factor"])
    full, tenth = got_k[1.0], got_k[0.1]
    assert full[:3] == (60, 80 + 60 + 40, 40)            # 20 a bus; those still waiting are left behind
    assert tenth[:3] == tuple(x // 10 for x in full[:3])
    assert tenth[3] == full[3] == 1.0
    # the scenario's own factor wins over the run's share
    assert Buses(tt, VehicleParams(capacity_factor=0.5), scale=0.1).factor == 0.5
    with pytest.raises(ValueError, match="scale"):
        Buses(tt, scale=0)


def test_a_long_dwell_makes_the_bus_late_and_the_delay_propagates(brasov, street, tmp_path):
    """No slack in the timetable: 20 riders boarding make the first trip leave 55 s late, and it
    stays late to the end of the line; the second trip, empty, runs on time; on snow (roads at
    half speed) an empty bus is late by its extra driving time."""
    _, ff = street
    hop = [int(math.ceil(x)) for x in ff]
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 600])
    twin, buses, _ = _fleet(brasov, tt)
    twin.run(7.9)
    buses.wait(np.arange(20), [0] * 20, [0] * 20, [2] * 20, np.full(20, twin.now))
    twin.run(0.5)
    first, second = _calls(buses, 0), _calls(buses, 1)
    assert first[0][2] - first[0][0] == 55                   # 5 + 20 × 2.5 s
    late1 = first[1][2] - first[1][0]
    assert 55 + 10 - 1 < late1 <= 55 + 10                     # + braking and pulling out; ≤ 1 s of rounding slack
    assert first[2][1] - first[2][0] > 55 + 10 - 2            # still late at the end of the line
    assert all(abs(c[2 if i < 2 else 1] - c[0]) < 1 for i, c in second.items())
    k = buses.kpis()["mean_delay_min_by_line"]["L1"]
    assert k > 0
    # snow: half speed
    twin2, buses2, _ = _fleet(brasov, tt)
    twin2.conditions.set_speed_factor(0.5)
    twin2.run(8.5)
    c = _calls(buses2, 0)
    assert c[1][1] - c[1][0] == pytest.approx(2 * ff[0] - hop[0], abs=0.5)   # late by the slower drive
    assert buses2.kpis()["on_time_share"] == 1.0             # …but within the 5-minute window on this short hop


def test_gtfs_realtime_feeds_parse_and_match_the_vehicles(brasov, street, tmp_path):
    """TripUpdates and VehiclePositions parsed with gtfs-realtime-bindings: one entity per
    vehicle in service, at its simulated position, stop, status, delay and load."""
    from google.transit import gtfs_realtime_pb2

    from agents.realtime import feed_bytes

    _, ff = street
    hop = [int(math.ceil(x)) + 60 for x in ff]
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 60])
    twin, buses, _ = _fleet(brasov, tt)
    twin.run(7.9)
    buses.wait(np.arange(3), [0] * 3, [0] * 3, [2] * 3, np.full(3, twin.now))
    # the first bus (3 riders: 12.5 s at the first stop) reaches the second after ~ff[0] s and holds
    # there until hop[0] = ff[0] + 60; 40 s before that the second bus (at H8 + 60) is on the road
    twin.run(0.1 + (hop[0] - 20) / 3600)
    truth = {str(v["vehicle"]): v for v in buses.vehicles()}
    assert {v["status"] for v in truth.values()} == {"IN_TRANSIT_TO", "STOPPED_AT"}
    vp = gtfs_realtime_pb2.FeedMessage()
    vp.ParseFromString(feed_bytes(buses, "vehicle-positions"))
    assert vp.header.gtfs_realtime_version == "2.0"
    assert vp.header.timestamp == int(twin.unix_time)
    assert {e.vehicle.vehicle.id for e in vp.entity} == set(truth)
    a = brasov.arrays
    for e in vp.entity:
        v, t = e.vehicle, truth[e.vehicle.vehicle.id]
        assert v.trip.trip_id == t["trip"] and v.trip.route_id == "R0" and v.trip.start_date == "20260324"
        assert (v.position.latitude, v.position.longitude) == pytest.approx((t["lat"], t["lon"]), abs=1e-5)
        assert v.stop_id == t["stop_id"] and v.current_stop_sequence == t["position"] + 1
        assert gtfs_realtime_pb2.VehiclePosition.VehicleStopStatus.Name(v.current_status) == t["status"]
        assert v.occupancy_percentage == round(100 * t["load"] / t["capacity"])
        if v.trip.trip_id == tt.trip_id[0]:
            assert t["load"] == 3 and v.occupancy_percentage == 3
            assert v.trip.start_time == "08:00:00"
        if t["status"] == "IN_TRANSIT_TO":        # on the road path between the stops
            veh = buses.live[int(e.vehicle.vehicle.id)]
            h = int(buses._pos_base[veh.pattern]) + veh.pos
            edges = buses._edges[buses._pos_edge[h]:buses._pos_edge[h + 1]]
            assert min(_to_segment(v.position.longitude, v.position.latitude, a, x) for x in edges) < 2e-5   # float32 in the feed
    tu = gtfs_realtime_pb2.FeedMessage()
    tu.ParseFromString(feed_bytes(buses, "trip-updates"))
    for e in tu.entity:
        u, t = e.trip_update, truth[e.trip_update.vehicle.id]
        s = u.stop_time_update[0]
        assert s.stop_id == t["stop_id"] and u.delay == round(t["delay_s"])
        eta = s.departure.time if t["status"] == "STOPPED_AT" else s.arrival.time
        assert eta == round(twin.unix_time - twin.now + t["eta"])


def test_gtfs_realtime_over_mqtt_and_http(brasov, street, tmp_path, broker):
    """The feeds go out as retained MQTT messages every 30 simulated seconds (a display that
    connects later gets the last ones) and over HTTP (``twin serve --gtfs-rt``'s application);
    both parse with gtfs-realtime-bindings and hold the vehicles' positions at their time."""
    import threading
    import time

    from fastapi.testclient import TestClient
    from google.transit import gtfs_realtime_pb2

    from agents.realtime import CONTENT_TYPE, RealtimeFeed, feed_bytes
    from sensors.bridge import MqttBridge, MqttParams, connect, make_client, parse_url
    from services.server import build_app

    _, ff = street
    hop = [int(math.ceil(x)) + 60 for x in ff]
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 120])
    twin, buses, _ = _fleet(brasov, tt)
    bridge = twin.add(MqttBridge(MqttParams(url=broker.url, qos=1)))
    feed = twin.add(RealtimeFeed(30.0, buses=buses))
    truth: dict = {}
    feed.sinks.append(lambda topic, payload: bridge.publish(twin.topic(topic), payload, retain=True))
    feed.sinks.append(lambda topic, payload: truth.__setitem__(int(twin.unix_time), buses.vehicles()))
    twin.run(8 + 100 / 3600)
    assert bridge.finish(10)
    got, lock = {}, threading.Lock()
    b = parse_url(broker.url)
    sub = make_client(b, f"t-{time.time_ns()}")

    def on_message(_c, _u, m):
        with lock:
            got[m.topic] = (m.payload, m.retain)
    sub.on_message = on_message
    connect(sub, b, 5)
    sub.subscribe(f"city/{brasov.slug}/gtfs-rt/#", qos=1)
    deadline = time.time() + 10
    while time.time() < deadline and len(got) < 2:
        time.sleep(0.05)
    sub.disconnect()
    sub.loop_stop()
    assert set(got) == {f"city/{brasov.slug}/gtfs-rt/trip-updates", f"city/{brasov.slug}/gtfs-rt/vehicle-positions"}
    vp = gtfs_realtime_pb2.FeedMessage()
    payload, retained = got[f"city/{brasov.slug}/gtfs-rt/vehicle-positions"]
    vp.ParseFromString(payload)
    assert retained and feed.published >= 2 * 3
    seen = {str(v["vehicle"]): v for v in truth[vp.header.timestamp]}
    assert seen and {e.vehicle.vehicle.id for e in vp.entity} == set(seen)
    for e in vp.entity:
        t = seen[e.vehicle.vehicle.id]
        assert (e.vehicle.position.latitude, e.vehicle.position.longitude) == pytest.approx((t["lat"], t["lon"]),
                                                                                              abs=1e-5)
    # HTTP: what twin serve --gtfs-rt answers
    live = type("Live", (), {"feed": staticmethod(lambda kind: feed_bytes(buses, kind))})()
    app = build_app(f"sqlite:///{tmp_path / 'hall.sqlite'}", brasov.source, housekeeping_s=None, chatbot=False,
                    realtime=live)
    with TestClient(app) as client:
        r = client.get("/gtfs-rt/vehicle-positions.pb")
        assert r.status_code == 200 and r.headers["content-type"] == CONTENT_TYPE
        m = gtfs_realtime_pb2.FeedMessage()
        m.ParseFromString(r.content)
        now = {str(v["vehicle"]): v for v in buses.vehicles()}
        assert {e.vehicle.vehicle.id for e in m.entity} == set(now)
        for e in m.entity:
            assert e.vehicle.position.latitude == pytest.approx(now[e.vehicle.vehicle.id]["lat"], abs=1e-5)
        r = client.get("/gtfs-rt/trip-updates.pb")
        m.ParseFromString(r.content)
        assert r.status_code == 200 and {e.trip_update.vehicle.id for e in m.entity} == set(now)
    twin.close()


def test_serve_gtfs_rt_needs_a_city_with_a_timetable(capsys, tmp_path):
    """``twin serve --gtfs-rt`` on a city without GTFS: one line naming the option, exit 2."""
    from twin_app.cli import main

    code = main(["serve", "--city", "demo", "--gtfs-rt", "--port", "0", "--db", f"sqlite:///{tmp_path / 'h.sqlite'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("twin: error: --gtfs-rt:") and "GTFS" in err[0], err
