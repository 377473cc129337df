"""Analytics and what-if scenarios: KPIs from the log, Little's law, directions of effects with
replications (common random numbers), compare and its report, the scenario library."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scenarios import library_names, load_scenario
from services.analytics.compare import compare, kpis_of
from services.analytics.kpis import run_kpis
from twin_app.run import run_replications, run_scenario

REPS = 3


@pytest.mark.slow  # a 3-replication validation of the queueing figures; runs in CI (-m slow)
def test_littles_law_holds_on_the_request_system(tmp_path, demo_city):
    sc = load_scenario("baseline", city="demo", population=4000, hours=72, seed=9,
                       demand={"report_multiplier": 40.0}, services={"counters_every_min": 10.0})
    run_scenario(sc, out=tmp_path / "run", city=demo_city)
    k = run_kpis(tmp_path / "run")
    assert k["requests_received"] > 60
    # the time-average of open requests (the city hall's own counters) equals arrivals × time in system
    assert k["little_ratio"] == pytest.approx(1.0, abs=0.05), k


@pytest.fixture(scope="module")
def station_sets(tmp_path_factory, demo_city):
    root = tmp_path_factory.mktemp("station")
    base = load_scenario("new_ambulance_station", replications=REPS, hours=24).model_copy(
        update={"responders": load_scenario("baseline").responders})
    base = base.model_copy(update={"name": "baseline_high_medical"})
    new = load_scenario("new_ambulance_station", replications=REPS, hours=24)
    run_replications(base, root / "a", city=demo_city)
    b = run_replications(new, root / "b", city=demo_city)
    return root / "a", root / "b", b


@pytest.mark.slow  # the demo-town twin of tests/test_study.py's Brașov station test
def test_a_new_station_lowers_response_time_where_it_is_placed(station_sets):
    a, b, info = station_sets
    placed = info["runs"][0]["kpis"]["responders"]["extra_stations"][0]
    from twin.city import load_city

    city = load_city("demo")
    node = placed["node"]
    district = city.districts[int(city.arrays["node_district"][node])].name
    ka, kb = kpis_of(a), kpis_of(b)
    pa = [k["response_by_district"].get(district, {}).get("p50_min") for k in ka]
    pb = [k["response_by_district"].get(district, {}).get("p50_min") for k in kb]
    both = [(x, y) for x, y in zip(pa, pb) if x is not None and y is not None]
    assert both and all(y < x for x, y in both), (district, pa, pb)     # where it is, in every replication
    # and the whole city's median response falls in every paired replication
    assert all(y["response_min_p50"] < x["response_min_p50"] for x, y in zip(ka, kb))
    r = compare(a, b)
    assert r["paired"] and r["kpis"]["response_min_p50"]["diff"] < 0


@pytest.fixture(scope="module")
def small_station_sets(tmp_path_factory, demo_city):
    """Two small paired sets (2 replications, 12 h, emergencies ×10, no devices/ledger/chatbot):
    enough for the command line's output, a fraction of :func:`station_sets`' cost."""
    root = tmp_path_factory.mktemp("small-station")
    opts = dict(replications=2, hours=12, population=1500, study=["emergencies_x10", "fast"])
    new = load_scenario("new_ambulance_station", **opts)
    base = new.model_copy(update={"responders": load_scenario("baseline").responders, "name": "baseline_small"})
    run_replications(base, root / "a", city=demo_city)
    run_replications(new, root / "b", city=demo_city)
    return root / "a", root / "b"


def test_compare_cli_prints_cis_and_writes_an_html_report(small_station_sets, tmp_path):
    a, b = small_station_sets
    html = tmp_path / "report.html"
    out = subprocess.run([sys.executable, "-m", "twin_app", "compare", str(a), str(b), "--html", str(html)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "paired (common random numbers)" in out.stdout and "response_min_p50" in out.stdout and "±" in out.stdout
    page = html.read_text(encoding="utf-8")
    # the report names KPIs by their catalogue label and unit, not by identifier
    assert "plotly" in page.lower() and "Emergency response time, median" in page and "OpenStreetMap" in page
    assert ">response_min_p50<" not in page
    js = json.loads(subprocess.run([sys.executable, "-m", "twin_app", "compare", str(a), str(b), "--json"],
                                   capture_output=True, text=True).stdout)
    assert js["replications"] == [2, 2] and js["kpis"]["emergencies"]["a"] > 0
    bad = subprocess.run([sys.executable, "-m", "twin_app", "compare", str(tmp_path), str(b)], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "neither a run" in bad.stderr


@pytest.mark.slow  # the demo-town twin of tests/test_study.py's Brașov crews test
def test_more_crews_lower_resolution_time(tmp_path, demo_city):
    more = load_scenario("more_crews", replications=5, hours=36)
    few = more.services.model_copy(update={"staff": {d: 1 for d in more.services.staff}})
    base = more.model_copy(update={"services": few, "name": "few_crews"})
    run_replications(base, tmp_path / "a", city=demo_city)
    run_replications(more, tmp_path / "b", city=demo_city)
    r = compare(tmp_path / "a", tmp_path / "b")
    d = r["kpis"]["field_resolution_h_mean"]
    assert d["diff"] < 0 and d["significant"], d
    assert r["kpis"]["reports_filed"]["diff"] == 0              # same citizens, same problems (CRN)


@pytest.mark.slow  # the demo-town twin of tests/test_study.py's Brașov closure test
def test_closing_a_main_road_raises_response_time(tmp_path, demo_city):
    closed = load_scenario("road_closure", replications=REPS, hours=24)
    base = closed.model_copy(update={"closures": [], "name": "open_roads"})
    run_replications(base, tmp_path / "a", city=demo_city)
    run_replications(closed, tmp_path / "b", city=demo_city)
    r = compare(tmp_path / "a", tmp_path / "b")
    assert r["kpis"]["response_min_p90"]["diff"] > 0, r["kpis"]["response_min_p90"]


def test_closures_name_a_bad_street_clearly(demo_city, tmp_path):
    from twin.errors import TwinError

    sc = load_scenario("baseline", city="demo", population=100, hours=1, closures=["Strada Inexistentă"])
    with pytest.raises(TwinError, match="closures: 'Strada Inexistentă'"):
        run_scenario(sc, out=tmp_path / "r", city=demo_city)


@pytest.mark.slow  # exhaustive: 9 scenarios × 2 cities over their whole timelines
@pytest.mark.parametrize("where", ["demo", pytest.param("brasov", marks=pytest.mark.brasov)])
@pytest.mark.parametrize("name", [n for n in library_names()])
def test_every_library_scenario_runs_on_the_demo_city_and_brasov(name, where, tmp_path, request):
    """Each shipped scenario, its whole duration, with a small population: its interventions and
    timeline events take effect in both cities (Brașov's own street names and seismic list)."""
    city = request.getfixturevalue("demo_city" if where == "demo" else "brasov")
    sc = load_scenario(name, population=300, replications=1, city=where)
    sc = sc.model_copy(update={"hours": min(sc.hours, 30.0)})     # every event starts within 30 h
    s = run_scenario(sc, out=tmp_path / "r", city=city)
    assert s["events"] > 0 and (tmp_path / "r" / "kpis.json").exists()
    k = run_kpis(tmp_path / "r")
    assert k["sim_hours"] > 0.9 * sc.hours
    assert [t["event"] for t in k["timeline"]] == [e.kind for e in sc.events]
    assert 0 < k["coverage_15min"] <= 1


def test_replications_from_the_cli(tmp_path):
    out = subprocess.run([sys.executable, "-m", "twin_app", "run", "--city", "demo", "--population", "800", "--hours",
                          "2", "--replications", "2", "--out", str(tmp_path / "reps")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    meta = json.loads((tmp_path / "reps" / "replications.json").read_text())
    assert meta["seeds"] == [42, 43] and meta["runs"] == ["rep-00", "rep-01"]
    assert "replications" in out.stdout and "Requests received (requests)" in out.stdout   # catalogue labels


@pytest.mark.slow  # kills a Dask worker; Dask runs stay in the default run through twin study --workers
def test_sweep_on_a_local_dask_cluster_survives_a_dead_worker(tmp_path, monkeypatch):
    from twin_app.sweep import sweep

    marker = tmp_path / "crashed"
    monkeypatch.setenv("TWIN_SWEEP_CRASH_ONCE", str(marker))
    sc = load_scenario("baseline", city="demo", population=2000, hours=24)
    r = sweep(sc, "demand.report_multiplier", [1.0, 60.0], 2, tmp_path / "sw", workers=2)
    assert marker.exists()                                   # a worker did die during the sweep
    assert set(r["table"]) == {"1.0", "60.0"}
    lo, hi = r["table"]["1.0"], r["table"]["60.0"]
    assert hi["reports_filed"]["mean"] > lo["reports_filed"]["mean"] + 10
    runs = sorted(p.parent.name + "/" + p.name for p in (tmp_path / "sw").glob("*/rep-*"))
    assert len(runs) == 4 and all((tmp_path / "sw" / r_ / "kpis.json").exists() for r_ in runs)
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text())["replications"] == 2
    with pytest.raises(ValueError, match="no field 'nope'"):
        sweep(sc, "demand.nope", [1], 1, tmp_path / "bad")


def test_gi_star_finds_a_planted_cluster_and_not_uniform_noise():
    import numpy as np

    from services.analytics.safety import gi_star

    rng = np.random.default_rng(4)
    bx, by = rng.uniform(0, 10_000, 600), rng.uniform(0, 10_000, 600)
    cx, cy = rng.normal(7_250, 150, 80), rng.normal(2_750, 150, 80)
    g = gi_star(np.r_[bx, cx], np.r_[by, cy], 500.0, bounds=(0, 0, 10_000, 10_000))
    hot = np.argwhere(g["hot"])
    assert len(hot) >= 1
    centres = [((ix + 0.5) * 500, (iy + 0.5) * 500) for iy, ix in hot]
    assert all(abs(x - 7_250) < 1_000 and abs(y - 2_750) < 1_000 for x, y in centres)
    # the busiest cell of pure noise is not a hotspot
    g0 = gi_star(bx, by, 500.0, bounds=(0, 0, 10_000, 10_000))
    assert not g0["hot"].any()


def test_open_data_export_suppresses_cells_under_k(tmp_path, demo_city):
    import pandas as pd

    from services.analytics.opendata import export

    sc = load_scenario("baseline", city="demo", population=3000, hours=30, start="2026-03-30T00:00:00",
                       demand={"report_multiplier": 60.0})
    run_scenario(sc, out=tmp_path / "run", city=demo_city)
    rep = export(tmp_path / "run", tmp_path / "open", k=10)
    for name, r in rep.items():
        df = pd.read_csv(r["csv"])
        assert len(df) == r["rows"] and "citizens" not in df.columns and "entity" not in df.columns
        assert (df["attribution"].str.contains("OpenStreetMap")).all()
        measures = [c for c in df.columns if c not in ("district", "category", "kind", "day", "tax_type",
                                                       "suppressed", "attribution")]
        assert df.loc[df.suppressed, measures].isna().all().all()
    pay = pd.read_parquet(rep["payments_by_tax_day"]["parquet"])
    assert (~pay.suppressed).any()                           # the deadline rush: well above k
    assert rep["requests_by_district_category_day"]["suppressed"] > 0
    with pytest.raises(ValueError):
        export(tmp_path / "run", tmp_path / "x", k=1)
    out = subprocess.run([sys.executable, "-m", "twin_app", "analyze", str(tmp_path / "run"), "--export",
                          str(tmp_path / "open2"), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["open_data"]["payments_by_tax_day"]["rows"] == rep["payments_by_tax_day"]["rows"]
    assert isinstance(js["incident_hotspots"], list) and js["requests_received"] > 0
