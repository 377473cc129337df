"""Plausibility of a baseline: the report's figures and checks, ``twin analyze --plausibility``,
and the walk-leg fix it exposed (a citizen with no direct bus line used to walk the whole way,
up to 16 km across Brașov, silently; now the household's car, a line with a longer walk to the
stop, or a walk counted as a long walk)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scenarios import load_scenario
from services.analytics.plausibility import plausibility, to_html, to_text
from tests.conftest import shared_file
from twin_app.run import run_scenario


@pytest.fixture(scope="module")
def brasov_morning(tmp_path_factory):
    """3,000 citizens of Brașov (all ways, RATBV timetable) from midnight to 10:00."""
    from twin.city import load_city

    src = shared_file("osm/brasov_all_highways.osm.bz2")
    out = tmp_path_factory.mktemp("plaus") / "run"
    run_scenario(load_scenario("baseline", city=str(src), population=3000, hours=10), out, city=load_city(src))
    return out


@pytest.mark.brasov
def test_no_walk_leg_exceeds_the_limit_unless_reported_as_a_long_walk(brasov_morning):
    rep = plausibility(brasov_morning)
    w = rep["walk_legs"]
    assert w["legs"] > 100
    # before the fix thousands of walk legs were longer than 1.5 × the limit and none was reported
    assert w["over_1_5x_limit"] <= w["long_walks_reported"] + w["no_departure_walked"], w
    check = next(c for c in rep["checks"] if c["check"].startswith("walk legs over"))
    assert check["value"] == 0 and check["verdict"] == "ok"
    k = json.loads((brasov_morning / "kpis.json").read_text())["journeys"]
    assert k["car_instead_of_bus"] > 0 and k["bus_with_far_stop"] > 0      # the two fallbacks are used
    assert sum(rep["modal_split"][m]["journeys"] for m in ("car", "bus", "walk")) == \
        json.loads((brasov_morning / "kpis.json").read_text())["daily"]["journeys"]


@pytest.mark.brasov
def test_the_report_states_figures_and_their_sources(brasov_morning):
    rep = plausibility(brasov_morning)
    assert set(rep["trips"]) == {"car", "walk", "bus"}
    for t in rep["trips"].values():
        assert 0 < t["length_km"]["p50"] <= t["length_km"]["p95"] <= t["length_km"]["max"]
        assert 0 < t["duration_min"]["p50"] <= t["duration_min"]["p95"]
    names = {c["check"] for c in rep["checks"]}
    assert {"car share of journeys", "medical emergencies per 1,000 a day", "reports filed per 1,000 a day",
            "largest persona share gap"} <= names
    assert all(c["source"] and c["verdict"] in ("ok", "check", "info") for c in rep["checks"])
    med = next(c for c in rep["checks"] if c["check"].startswith("medical"))
    assert "0.45" in med["source"] and "10 h window" in med["source"]
    text = to_text(rep)
    assert "modal split" in text and "walk legs" in text
    assert "<table" in to_html(rep)


def test_demo_town_without_buses_drives_when_the_household_has_a_car(tmp_path, demo_city):
    """The demo town has no timetable: a far journey used to be walked by everybody who did not
    draw the car; now an adult leaving home whose household has a car drives, and the others'
    far walks are counted."""
    run_scenario(load_scenario("baseline", population=1500, hours=10, daily={"car_use": 0.0}), tmp_path / "r",
                 city=demo_city)
    k = json.loads((tmp_path / "r" / "kpis.json").read_text())
    assert k["journeys"]["car_instead_of_bus"] > 0 and k["journeys"]["by_mode"]["car"] > 0
    rep = plausibility(tmp_path / "r")
    assert rep["walk_legs"]["over_1_5x_limit"] <= rep["walk_legs"]["long_walks_reported"]


def test_twin_analyze_plausibility_prints_the_report_and_rejects_a_non_run(tmp_path, demo_city):
    run_scenario(load_scenario("baseline", population=400, hours=9), tmp_path / "r", city=demo_city)
    out = subprocess.run([sys.executable, "-m", "twin_app", "analyze", str(tmp_path / "r"), "--plausibility"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Plausibility of 'baseline'" in out.stdout and "modal split" in out.stdout
    assert "Open requests on average" in out.stdout and "little_L " not in out.stdout   # labels, not identifiers
    js = json.loads(subprocess.run([sys.executable, "-m", "twin_app", "analyze", str(tmp_path / "r"),
                                    "--plausibility", "--json"], capture_output=True, text=True).stdout)
    assert js["plausibility"]["checks"]
    bad = subprocess.run([sys.executable, "-m", "twin_app", "analyze", str(tmp_path), "--plausibility"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "not a run directory" in bad.stderr
