"""The engine: random streams, bus, event log, runs that are deterministic by seed."""
from __future__ import annotations

import json

import mesa
import numpy as np
import pyarrow.parquet as pq
import pytest

from scenarios import load_scenario
from twin.bus import Event, EventBus, topic_matches
from twin.engine import Twin
from twin.eventlog import EventLog, read_events
from twin.rng import RandomStreams
from twin_app.run import run_scenario


def test_random_streams_are_named_independent_and_order_free():
    a, b = RandomStreams(7), RandomStreams(7)
    x = a.get("mobility").random(5)
    b.get("illness").random(100)                   # another stream used first changes nothing
    assert np.array_equal(b.get("mobility").random(5), x)
    assert not np.array_equal(RandomStreams(7).get("illness").random(5), x)
    assert not np.array_equal(RandomStreams(8).get("mobility").random(5), x)
    assert a.seed_for("mesa") == RandomStreams(7).seed_for("mesa")
    with pytest.raises(ValueError, match="seed"):
        RandomStreams(-1)


@pytest.mark.parametrize("pattern, topic, match", [
    ("city/+/mobility/#", "city/brasov/mobility/citizen", True),
    ("city/+/mobility/#", "city/brasov/sensors/x", False),
    ("city/brasov/#", "city/brasov", True),
    ("#", "anything/at/all", True),
    ("city/+", "city/brasov/x", False),
    ("city/+/+/telemetry", "city/b/streetlight/telemetry", True),
    ("a/b", "a/b", True),
    ("a/b", "a/b/c", False),
])
def test_topic_matching(pattern, topic, match):
    assert topic_matches(pattern, topic) is match


def test_bus_delivers_in_subscription_order_and_rejects_bad_patterns():
    bus, seen = EventBus(), []
    bus.subscribe("city/+/mobility/#", lambda e: seen.append(("m", e.kind)))
    bus.subscribe("#", lambda e: seen.append(("all", e.kind)))
    bus.publish(Event(0.0, "city/x/mobility/citizen", "trip_start"))
    bus.publish(Event(1.0, "city/x/sensors/a", "telemetry"))
    assert seen == [("m", "trip_start"), ("all", "trip_start"), ("all", "telemetry")]
    with pytest.raises(ValueError, match="'#' must be a whole, final level"):
        bus.subscribe("city/#/x", print)
    with pytest.raises(ValueError, match="wildcards"):
        bus.publish(Event(0.0, "city/+/x", "k"))


def test_event_log_round_trip_and_bytes_are_reproducible(tmp_path):
    events = [Event(float(i), "city/x/a", "k", f"citizen:{i}", "", 25.0 + i, float("nan"), {"b": i, "a": [1, 2]})
              for i in range(1000)]
    for name in ("one", "two"):
        log = EventLog(tmp_path / f"{name}.parquet")
        for e in events:
            log.append(e)
        log.close()
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()
    t = read_events(tmp_path / "one.parquet")
    assert t.num_rows == 1000 and t.schema.names == ["t", "topic", "kind", "entity", "ref", "lon", "lat", "payload"]
    row = t.slice(3, 1).to_pylist()[0]
    assert row["entity"] == "citizen:3" and row["lat"] is None and json.loads(row["payload"]) == {"a": [1, 2], "b": 3}


def test_twin_clock_emit_and_mesa_model(demo_city, tmp_path):
    twin = Twin(demo_city, seed=3, run_dir=tmp_path)
    assert isinstance(twin.model, mesa.Model)
    got = []
    twin.bus.subscribe(twin.topic("test/#"), got.append)

    def proc(env):
        yield env.timeout(90)
        twin.emit("test/thing", "ping", "thing:1", lon=25.0, lat=45.5, n=1)

    twin.env.process(proc(twin.env))
    twin.run(1.0)
    twin.close()
    assert twin.now == 3600.0 and twin.clock.hour == 1
    assert len(got) == 1 and got[0].t == 90.0 and got[0].topic == "city/valea-verde/test/thing"
    assert read_events(tmp_path).num_rows == 1
    with pytest.raises(ValueError, match="hours"):
        twin.run(-1)


def _small(seed=5, population=1500, **kw):
    return load_scenario("baseline", population=population, hours=12, seed=seed, **kw)


def test_same_seed_gives_byte_identical_event_log(tmp_path):
    a = run_scenario(_small(population=600), out=tmp_path / "a")
    b = run_scenario(_small(population=600), out=tmp_path / "b")
    c = run_scenario(_small(seed=6, population=600), out=tmp_path / "c")
    fa, fb, fc = (tmp_path / x / "events.parquet" for x in "abc")
    assert fa.read_bytes() == fb.read_bytes()
    assert pq.read_table(fa).equals(pq.read_table(fb))
    assert not pq.read_table(fa).equals(pq.read_table(fc))
    assert a["events"] == b["events"] > 1000


def test_run_directory_holds_manifest_events_and_kpis(tmp_path, demo_city):
    s = run_scenario(_small(), out=tmp_path / "run")
    run = tmp_path / "run"
    manifest = json.loads((run / "manifest.json").read_text())
    kpis = json.loads((run / "kpis.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 5
    assert manifest["city"]["content_hash"] == demo_city.content_hash
    assert manifest["scenario"]["name"] == "baseline" and manifest["scenario"]["population"] == 1500
    assert {"numpy", "osmnx", "simpy", "mesa", "python"} <= set(manifest["versions"])
    m = kpis["mobility"]
    assert m["trips_started"] == m["trips_completed"] + m["in_transit"] + 0
    assert m["trips_completed"] > 500 and m["trips_unreachable"] == 0
    units = kpis["unit_mobility"]["trips_started"]   # ambulances and crews travel too
    assert kpis["events"]["by_kind"]["trip_start"] == m["trips_started"] + units
    t = read_events(run).to_pandas()
    assert len(t) == s["events"]
    ends = t[(t.kind == "trip_end") & t.topic.str.endswith("/citizen")]
    assert ends.entity.str.match(r"^citizen:\d+$").all()     # pseudonymous ids only
    # a weekday has at most three journeys: to work, to an errand, home (no buses in the demo)
    starts = t[(t.kind == "trip_start") & t.topic.str.endswith("/citizen")].groupby("entity").size()
    assert starts.max() <= 3


def test_trips_follow_the_road_graph_and_take_plausible_time(tmp_path, demo_city):
    run_scenario(_small(), out=tmp_path / "run")
    t = read_events(tmp_path / "run").to_pandas()
    ends = t[t.kind == "trip_end"]
    pay = ends.payload.map(json.loads)
    car = [p for p in pay if p["mode"] == "car"]
    walk = [p for p in pay if p["mode"] == "walk"]
    assert car and walk
    # cars: duration equals the free-flow time of the path, so speed stays within street limits
    # (length and duration are rounded to 0.1 m and 0.01 s in the log)
    assert all(p["length_m"] - 0.05 <= (70 / 3.6) * (p["duration_s"] + 0.005) for p in car)
    # pedestrians walk at 1.4 m/s
    assert all(p["length_m"] / p["duration_s"] == pytest.approx(1.4, rel=1e-3) for p in walk if p["duration_s"] > 10)


def test_finish_does_the_end_of_run_work_and_reading_kpis_changes_nothing(demo_city):
    class Counter:
        name = "counter"

        def __init__(self):
            self.finished, self.pending = 0, 3

        def attach(self, twin):
            pass

        def finish(self):                          # e.g. anchor what the last tick left
            self.finished += 1
            self.pending = 0

        def kpis(self):
            return {"pending": self.pending, "finished": self.finished}

    tw = Twin(demo_city, seed=1)
    c = Counter()
    tw.add(c)
    assert tw.kpis()["counter"] == {"pending": 3, "finished": 0}
    assert tw.kpis()["counter"] == {"pending": 3, "finished": 0}   # reading twice changes nothing
    tw.finish()
    assert tw.kpis()["counter"] == {"pending": 0, "finished": 1}


def test_the_ledger_anchors_its_last_batch_at_finish_not_when_kpis_are_read(tmp_path, demo_city):
    from twin_app.run import build_twin

    sc = load_scenario("baseline", city="demo", population=1000, hours=16, seed=5, start="2026-03-30T00:00:00",
                       ledger={"anchor_every_min": 100000})
    tw = build_twin(sc, demo_city, tmp_path / "run", timetable=None)
    tw.run(16)
    before = tw.kpis()["ledger"]
    assert before["payments_queued"] > 0 and before["payments_anchored"] == 0
    assert tw.kpis()["ledger"]["payments_queued"] == before["payments_queued"]
    tw.finish()
    after = tw.kpis()["ledger"]
    tw.close()
    assert after["payments_queued"] == 0 and after["payments_anchored"] == before["payments_queued"]


def test_a_road_closed_to_traffic_keeps_its_pavements_and_rubble_closes_both(demo_city):
    """A scenario's closure (walkable) stops cars but not walkers; an earthquake's (not walkable)
    stops both; reopening restores both."""
    from twin_app.run import closure_edges

    a = demo_city.arrays
    edges = closure_edges(demo_city, ["Bulevardul Eroilor"])
    u, v = int(a["edge_u"][edges[0]]), int(a["edge_v"][edges[0]])
    tw = Twin(demo_city, seed=1)

    def dist(mode):
        d = tw.router("length", mode).distance(u, v)
        return float("inf") if d < 0 else d

    free_walk, free_drive = dist("walk"), dist("drive")
    tw.close_roads(edges, walkable=True)
    assert dist("walk") == free_walk and dist("drive") > free_drive
    tw.close_roads(edges)                            # rubble: closed to everyone
    assert dist("walk") > free_walk and dist("drive") > free_drive
    tw.reopen_roads(edges)
    assert dist("walk") == free_walk and dist("drive") == free_drive
