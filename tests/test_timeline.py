"""Scenario timelines and interventions: heatwave, snowstorm, earthquake, broker and chain
outages, per-city closures and the station coverage KPI. Directions are checked against the
same seed without the event (common random numbers), so noise cannot flip them."""
from __future__ import annotations

import duckdb
import numpy as np
import pytest

from scenarios import load_scenario
from scenarios.schema import ScenarioError
from services.analytics.kpis import run_kpis
from twin.errors import TwinError
from twin_app.run import build_twin, run_scenario


def _q(run, sql):
    return duckdb.sql(sql.replace("LOG", f"read_parquet('{run / 'events.parquet'}')")).fetchall()


def _pair(tmp_path, city, name, **over):
    """The scenario and the same run without its events (same seed)."""
    sc = load_scenario(name, **over)
    run_scenario(sc, tmp_path / "with", city=city)
    run_scenario(sc.model_copy(update={"events": [], "name": "without"}), tmp_path / "without", city=city)
    return sc, tmp_path / "with", tmp_path / "without"


def test_timeline_errors_name_the_field_and_value(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("events:\n  - kind: heatwave\n    medical_factor: -2\n")
    with pytest.raises(ScenarioError, match=r"events\.0\.heatwave\.medical_factor: -2"):
        load_scenario(str(bad))
    bad.write_text("events:\n  - kind: tsunami\n")
    with pytest.raises(ScenarioError, match=r"events\.0: .*tsunami"):
        load_scenario(str(bad))


def test_a_heatwave_raises_medical_calls_and_the_measured_temperature(tmp_path, demo_city):
    sc, w, wo = _pair(tmp_path, demo_city, "heatwave", population=1500, hours=30,
                      incidents={"medical_per_1000_per_day": 80.0}, ledger={"enabled": False},
                      chatbot={"enabled": False},        # the air-quality stations are the only devices read
                      sensors={"log_telemetry": True, "density": {"air_quality": 2.0}})
    sql = "SELECT count(*) FROM LOG WHERE kind = 'incident' AND topic LIKE '%/medical' AND t BETWEEN 6*3600 AND 30*3600"
    assert _q(w, sql)[0][0] > 1.15 * _q(wo, sql)[0][0]          # ×1.4 expected
    temp = """SELECT avg(r.v) FROM (SELECT unnest(from_json(payload->'senml', '[{"n":"VARCHAR","v":"DOUBLE"}]')) AS r
              FROM LOG WHERE kind = 'telemetry' AND topic LIKE '%/air_quality/%' AND t > 7*3600) WHERE r.n LIKE '%temp'"""
    assert _q(w, temp)[0][0] - _q(wo, temp)[0][0] == pytest.approx(8.0, abs=0.5)
    k = run_kpis(w)
    assert k["timeline"][0]["event"] == "heatwave" and k["timeline"][0]["from_h"] == 6


def test_a_snowstorm_slows_every_car_trip_during_it_only(tmp_path, demo_city):
    sc, w, wo = _pair(tmp_path, demo_city, "snowstorm", population=1500, hours=30, study=["fast"])  # trips only
    car = """SELECT avg((payload->>'duration_s')::DOUBLE / nullif((payload->>'length_m')::DOUBLE, 0))
             FROM LOG WHERE kind = 'trip_end' AND payload->>'mode' = 'car' AND t BETWEEN {} AND {}"""
    during = car.format(6 * 3600, 23 * 3600)
    after = car.format(25 * 3600, 30 * 3600)
    assert _q(w, during)[0][0] > 1.4 * _q(wo, during)[0][0]          # 60 % speed: ≈ 1.67× the time
    assert _q(w, after)[0][0] < 1.1 * _q(wo, after)[0][0]             # speeds restored after it


@pytest.mark.brasov
def test_an_earthquake_on_brasov_damages_listed_buildings_and_blocks_then_reopens_streets(brasov):
    sc = load_scenario("earthquake", city="brasov", population=800, hours=4, replications=1)
    sc = sc.model_copy(update={"events": [sc.events[0].model_copy(update={"at_h": 1.0, "hours": 2.0})]})
    twin = build_twin(sc, brasov)
    try:
        twin.run(1.5)
        tl = twin.component("timeline")
        info = tl.log[0]
        assert info["source"].endswith("seismic/expertiza-brasov.csv") and info["buildings"] == 49
        assert info["damaged"] > 0 and info["casualties"] > 0
        assert len(twin.closed_edges) == info["roads_closed"] > 0
        # every damaged building can still be reached by an ambulance
        router = twin.router("time", "drive")
        station = next(u.station_node for u in twin.component("responders").units if u.utype == "ambulance")
        t = router.one_to_many(station, np.array([b["node"] for b in tl.damaged], np.int32))
        assert (t >= 0).all()
        twin.run(2.5)
        assert len(twin.closed_edges) == 0
        resp = twin.component("responders")
        assert resp.kpis()["response_time"]["medical"]["n"] >= min(info["casualties"], 5)
    finally:
        twin.close()


def test_a_broker_outage_loses_telemetry_for_its_window_only(tmp_path, demo_city):
    sc = load_scenario("baseline", population=800, hours=6, sensors={"log_telemetry": True},
                       events=[{"kind": "mqtt_outage", "at_h": 2, "hours": 2}])
    s = run_scenario(sc, tmp_path / "r", city=demo_city)
    per_h = dict(_q(tmp_path / "r", "SELECT floor(t / 3600)::INT, count(*) FROM LOG WHERE kind = 'telemetry' GROUP BY 1"))
    assert per_h.get(2, 0) == 0 and per_h.get(3, 0) == 0
    assert per_h[1] > 100 and per_h[4] > 100
    assert sum(s["kpis"]["sensors"]["lost_in_outage"].values()) > 100


def test_a_chain_outage_defers_anchoring_until_the_node_is_back(tmp_path, demo_city):
    sc = load_scenario("tax_deadline_rush", population=1500, hours=15,
                       events=[{"kind": "chain_outage", "at_h": 9, "hours": 4}])
    run_scenario(sc, tmp_path / "r", city=demo_city)
    anchored = _q(tmp_path / "r", "SELECT t FROM LOG WHERE kind = 'batch_anchored'")
    deferred = _q(tmp_path / "r", "SELECT t FROM LOG WHERE kind = 'anchor_deferred'")
    assert deferred and all(9 * 3600 <= t <= 13 * 3600 for (t,) in deferred)
    assert not [t for (t,) in anchored if 9 * 3600 < t < 13 * 3600]
    assert [t for (t,) in anchored if t >= 13 * 3600]                    # the backlog goes on chain
    lag = _q(tmp_path / "r", """SELECT max(t + epoch(TIMESTAMPTZ '2027-03-29 00:00:00+03') - (payload->>'paid_at')::DOUBLE)
                               FROM LOG WHERE kind = 'payment_receipt'""")[0][0]
    assert lag > 3 * 3600                                 # paid at the outage's start, anchored after it


@pytest.mark.brasov
def test_closures_per_city_and_a_clear_error_for_a_city_without_a_list(demo_city, brasov, tmp_path):
    from twin_app.run import closure_edges

    sc = load_scenario("road_closure")
    assert len(closure_edges(demo_city, sc.closures, "demo")) > 0
    assert len(closure_edges(brasov, sc.closures, "brasov")) == sum(
        len(brasov.edges_named(n)) for n in sc.closures["brasov"])
    with pytest.raises(TwinError, match=r"closures: no list for city 'Brașov'.*demo"):
        closure_edges(brasov, {"demo": ["Bulevardul Eroilor"]}, "brasov")


@pytest.mark.brasov
def test_station_coverage_rises_with_a_new_station_and_falls_with_a_closure(brasov):
    def coverage(name):
        twin = build_twin(load_scenario(name, city="brasov", population=3000), brasov)
        try:
            return twin.component("responders").coverage
        finally:
            twin.close()

    base, new, closed = coverage("baseline"), coverage("new_ambulance_station"), coverage("road_closure")
    assert new["ambulance_within_8min"] > base["ambulance_within_8min"]
    assert closed["either_within_8min"] < base["either_within_8min"]
    assert base["fire_engine_within_8min"] == new["fire_engine_within_8min"]    # it houses ambulances only
    assert 0.5 < base["either_within_15min"] <= 1 and set(base["by_district"])


def test_an_event_that_stops_a_rate_altogether_is_undone_when_it_ends(demo_city):
    from twin.conditions import Conditions

    c = Conditions()
    c.scale_rate("medical", 0.0)
    c.scale_rate("medical", 2.0)
    assert c.rate("medical") == 0.0
    c.unscale_rate("medical", 0.0)
    assert c.rate("medical") == 2.0
    c.unscale_rate("medical", 2.0)
    assert c.rate("medical") == 1.0
    with pytest.raises(ValueError, match="no rate factor 3.0 of 'medical'"):
        c.unscale_rate("medical", 3.0)
    sc = load_scenario("baseline", population=300, hours=3,
                       events=[{"kind": "heatwave", "at_h": 1, "hours": 1, "medical_factor": 0}])
    twin = build_twin(sc, demo_city)
    try:
        twin.run(1.5)
        assert twin.conditions.rate("medical") == 0.0
        twin.run(1.5)
        assert twin.conditions.rate("medical") == 1.0 and twin.conditions.rate("parks") == 1.0
    finally:
        twin.close()
