"""Traffic KPIs in a comparison (issue 22): closing the demo town's main axis in ``traffic: queue``
mode raises the delay on the streets that take its traffic, and ``twin compare`` shows it."""
from __future__ import annotations

import json

import pytest

from scenarios import load_scenario
from twin_app.cli import _comparison_lines
from twin_app.run import run_scenario
from twin_app.study import compare_runs


@pytest.fixture(scope="module")
def closure(tmp_path_factory, demo_city):
    root = tmp_path_factory.mktemp("closure")
    for name in ("baseline", "road_closure"):
        sc = load_scenario(name, population=2000, hours=9.5, traffic="queue", study=["fast"])
        run_scenario(sc, root / name, city=demo_city)
    return root


def test_kpis_traffic_has_the_road_by_street(closure):
    k = json.loads((closure / "baseline" / "kpis.json").read_text())["traffic"]
    assert k["mode"] == "queue" and k["vehicle_km"] > 0 and k["mean_delay_s"] > 0
    assert 0 < k["share_time_lost"] < 1 and k["peak_hour"]["speed_kph"] > 0
    street = k["by_street"]["Bulevardul Eroilor"]
    assert street["vehicle_km"] > 0 and street["lost_vehicle_hours"] >= 0 and 0 < street["speed_ratio"] <= 1
    closed = json.loads((closure / "road_closure" / "kpis.json").read_text())["traffic"]["by_street"]
    assert "Bulevardul Eroilor" not in closed and "Bulevardul Republicii" not in closed   # nobody drove them


def test_closing_the_axis_moves_delay_onto_other_streets_in_the_comparison(closure):
    r = compare_runs(closure / "baseline", closure / "road_closure")
    assert r["confounded"] == [] and set(r["diff"]) == {"closures.demo", "closures.brasov"}
    t = r["traffic"]
    assert t["traffic_mean_delay_s"]["b"] > t["traffic_mean_delay_s"]["a"]
    assert t["traffic_vehicle_hours"]["b"] > t["traffic_vehicle_hours"]["a"]
    streets = {n.split(".", 1)[1]: v for n, v in t.items() if n.startswith("street_lost_vehicle_hours.")}
    # the closed streets lose their delay (no traffic), others gain it
    assert streets["Bulevardul Eroilor"]["b"] == 0 and streets["Bulevardul Eroilor"]["diff"] < 0
    rising = [s for s, v in streets.items() if v["diff"] > 0]
    assert rising and not {"Bulevardul Eroilor", "Bulevardul Republicii"} & set(rising)
    first = next(iter(streets))                                    # largest increase first
    assert streets[first]["diff"] == max(v["diff"] for v in streets.values())
    text = "\n".join(_comparison_lines(r))
    assert "Delay per car trip, mean (s)" in text and f"Delay on {first}" in text


def test_free_flow_runs_have_no_traffic_rows(tmp_path, demo_city):
    for name in ("a", "b"):
        # queue is the default: free flow must be asked for
        run_scenario(load_scenario("baseline", population=200, hours=2, traffic="free_flow", study=["fast"]),
                     tmp_path / name, city=demo_city)
    assert compare_runs(tmp_path / "a", tmp_path / "b")["traffic"] == {}
