"""Agents: population shares, report calibration (χ²), trips on graph edges, taxes, incidents."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pyarrow.compute as pc
import pytest
from scipy import stats

from agents import personas as P
from agents.categories import CODES, builtin_stats, load_mycluj
from agents.daily import DailyLife
from agents.demand import Demand, DemandParams
from agents.incidents import IncidentParams, Incidents
from agents.journeys import Journeys
from agents.population import AGE_GROUPS, Citizens, PopulationParams, synthesize
from services.dispatch import ResponderParams, Responders
from agents.taxes import TaxParams, Taxes
from scenarios import load_scenario
from twin.engine import Twin
from twin.eventlog import read_events
from twin.mobility import Mobility
from twin_app.run import run_scenario

from .conftest import shared_file


def _binomial_ok(observed: float, p: float, n: int, z: float = 4.5) -> bool:
    return abs(observed - p) <= z * np.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


@pytest.mark.parametrize("shares", [
    None,
    {"elderly_low_digital": 0.10, "disability": 0.10, "digital_worker": 0.20, "student": 0.05,
     "small_business": 0.05, "tourist": 0.10, "resident": 0.40},
])
def test_persona_and_age_shares_match_their_parameters(demo_city, shares):
    params = PopulationParams() if shares is None else PopulationParams(persona_shares=shares)
    n = 60_000
    pop = synthesize(demo_city, n, params, np.random.default_rng(3))
    got = pop.shares("persona", P.PERSONAS)
    for k, v in params.persona_shares.items():
        assert _binomial_ok(got[k], v, n), (k, got[k], v)
    ages = pop.shares("age", AGE_GROUPS)
    for k, v in params.age_shares.items():
        assert _binomial_ok(ages[k], v, n), (k, ages[k], v)
    assert pop.home.min() >= 0 and np.isin(pop.home, demo_city.core_nodes("both")).all()
    workers = pop.occupation == 2
    assert (pop.workplace[workers] >= 0).all()
    # tourists live alone, everybody else in households of the drawn sizes
    assert len(np.unique(pop.household)) == pop.n_households


def test_bad_shares_name_the_field():
    with pytest.raises(ValueError, match="persona_shares.*sum to 1"):
        PopulationParams(persona_shares={"resident": 0.5, "tourist": 0.1, "student": 0.1,
                                         "digital_worker": 0.1, "small_business": 0.1,
                                         "disability": 0.05, "elderly_low_digital": 0.01})
    with pytest.raises(ValueError, match="persona_shares.*more people aged"):
        PopulationParams(persona_shares={"elderly_low_digital": 0.5, "disability": 0.0, "digital_worker": 0.0,
                                         "student": 0.0, "small_business": 0.0, "tourist": 0.0,
                                         "resident": 0.5})
    with pytest.raises(ValueError, match="age_shares.*unknown"):
        PopulationParams(age_shares={"0-99": 1.0})


def test_profiles_personalise_without_identity(demo_city):
    pop = synthesize(demo_city, 5000, rng=np.random.default_rng(1))
    dis = np.nonzero(pop.persona == P.PERSONAS.index("disability"))[0]
    assert (pop.access[dis] > 0).all()              # every person with a disability has a need
    prof = pop.profile(int(dis[0]))
    assert prof["access_needs"] and prof["citizen"] == f"citizen:{dis[0]}"
    assert set(prof) == {"citizen", "persona", "language", "channel", "notify", "access_needs", "patience_min"}
    elderly = pop.persona == P.PERSONAS.index("elderly_low_digital")
    assert not pop.digital[elderly].any()
    assert pop.gives_up([0, 0], [0.0, 1e6]).tolist() == [False, True]


def test_builtin_mycluj_figures_equal_the_shared_file():
    file_stats = load_mycluj(shared_file("stats/cluj_mycluj_stats.json"))
    built = builtin_stats()
    assert file_stats.total == built.total
    assert file_stats.shares == pytest.approx(built.shares)
    assert file_stats.per_1000_per_day == pytest.approx(0.187, abs=0.002)


def _demand_twin(city, n, seed=5, multiplier=1.0, hours=24.0, daily=False, **demand):
    twin = Twin(city, seed=seed)
    twin.add(Mobility(n, tick_s=5.0))
    twin.add(Citizens(n))
    if daily:
        twin.add(Journeys())
        twin.add(DailyLife())
    d = twin.add(Demand(DemandParams(report_multiplier=multiplier, **demand)))
    got = []
    twin.bus.subscribe(f"{twin.topic_root}/citizens/report", got.append)
    twin.run(hours)
    return twin, d, got


def test_report_category_mix_matches_mycluj_chi_square(demo_city):
    """At ≈ 4,000 reports the χ² test has the power to reject a wrong mix (checked below)."""
    # nobody passes by (no daily life): residents report street problems after 6 minutes, so
    # that almost no problem is still unreported at the end and the mix is not censored
    _, demand, reports = _demand_twin(demo_city, 2000, multiplier=5500.0, hours=48.0,
                                      resident_report_h=0.1)
    counts = np.array([demand.reports[c] for c in CODES], float)
    n = counts.sum()
    assert n > 3000 and len(reports) == n
    p = np.array([builtin_stats().shares[c] for c in CODES])
    _, pval = stats.chisquare(counts, n * p)
    assert pval > 1e-3, (pval, counts)
    # the same counts would fail against a mix with two categories swapped
    q = p.copy()
    i, j = CODES.index("illegal_parking"), CODES.index("parks")
    q[i], q[j] = p[j], p[i]
    assert stats.chisquare(counts, n * q)[1] < 1e-6
    # each report comes from a real citizen, with their profile
    r = reports[0]
    assert r.entity.startswith("citizen:") and r.payload["service_code"] in CODES
    assert r.payload["channel"] in P.CHANNELS and r.payload["lang"] in P.LANGUAGES


def test_report_rate_is_the_mycluj_rate(demo_city):
    twin, demand, _ = _demand_twin(demo_city, 4000, multiplier=50.0, hours=48.0)
    expected = builtin_stats().per_1000_per_day * 50 * 4000 / 1000 * 2
    assert demand.problems_created == pytest.approx(expected, rel=5 * expected ** -0.5)


def test_street_problems_are_found_by_passers_by(demo_city):
    _, demand, reports = _demand_twin(demo_city, 3000, multiplier=200.0, hours=30.0, daily=True,
                                      notice_prob=0.2)
    how = [r.payload["discovered_by"] for r in reports]
    assert how.count("passer_by") > how.count("resident") > 0 or how.count("passer_by") > 10


def test_feedback_after_a_closed_request(demo_city):
    from twin.bus import Event

    twin = Twin(demo_city, seed=1)
    twin.add(Mobility(100))
    twin.add(Citizens(100))
    twin.add(Demand(DemandParams(feedback_share=1.0)))
    got = []
    twin.bus.subscribe(f"{twin.topic_root}/citizens/feedback", got.append)
    twin.bus.publish(Event(0.0, f"{twin.topic_root}/services/requests", "request_closed", "citizen:7",
                           "request:1", 0.0, 0.0, {"resolution_h": 3.0, "sla_met": True}))
    twin.bus.publish(Event(0.0, f"{twin.topic_root}/services/requests", "request_closed", "citizen:8",
                           "request:2", 0.0, 0.0, {"resolution_h": 300.0, "sla_met": False}))
    assert [e.entity for e in got] == ["citizen:7", "citizen:8"]
    assert all(1 <= e.payload["rating"] <= 5 for e in got)


@pytest.mark.slow  # checks every edge of every trip of a day; runs in CI (-m slow)
def test_every_trip_follows_graph_edges_including_buses(_private_cache):
    """Brașov with the RATBV timetable: car, walk and bus legs are chains of real edges."""
    from twin.city import load_city
    from twin.gtfs import load_gtfs

    city = load_city(shared_file("osm/brasov_all_highways.osm.bz2"))
    tt = load_gtfs(shared_file("gtfs/brasov_ratbv_gtfs.zip"), city)
    twin = Twin(city, seed=11, start=datetime(2026, 3, 23))
    mob = twin.add(Mobility(3000, record_paths=True))
    twin.add(Citizens(3000))
    j = twin.add(Journeys(tt))
    twin.add(DailyLife())
    twin.run(20)
    a = city.arrays
    modes = {m for _, m, _, _, _ in mob.paths}
    assert modes == {"car", "walk", "bus"}, modes
    assert j.boardings > 50
    for _, mode, o, d, edges in mob.paths:
        if o == d:
            assert len(edges) == 0
            continue
        u, v = a["edge_u"][edges], a["edge_v"][edges]
        if mode == "walk":     # walkers may use an edge either way
            ends = [{int(x), int(y)} for x, y in zip(u, v)]
            node = o
            for s in ends:
                assert node in s
                node = (s - {node}).pop() if len(s) == 2 else node
            assert node == d
            assert ((a["edge_modes"][edges] & 1) > 0).all()
        else:
            assert u[0] == o and v[-1] == d and (v[:-1] == u[1:]).all()
            assert ((a["edge_modes"][edges] & 2) > 0).all()


def test_bus_riders_follow_the_timetable_leg_by_leg(_private_cache):
    """Brașov with RATBV, a morning, buses as vehicles: every ride is on a GTFS trip running that
    day, between two of its stops in order; the rider boards while that trip's vehicle stands at
    the boarding stop and gets off when it reaches the alighting stop; no vehicle leaves a stop
    before its timetabled time or carries more than its capacity; the rides of a journey follow
    one another; journeys with one and two transfers happen and are ridden; a walk leg longer
    than the walking limit happens only when counted (long walks, or no bus left)."""
    from twin.city import load_city
    from twin.gtfs import load_gtfs

    city = load_city(shared_file("osm/brasov_all_highways.osm.bz2"))
    tt = load_gtfs(shared_file("gtfs/brasov_ratbv_gtfs.zip"), city)
    twin = Twin(city, seed=2, start=datetime(2026, 3, 23))
    mob = twin.add(Mobility(2000, record_paths=True))
    twin.add(Citizens(2000))
    j = twin.add(Journeys(tt, record_rides=True))
    daily = twin.add(DailyLife())
    boards = []
    twin.bus.subscribe(f"{twin.topic_root}/mobility/citizen", lambda e: boards.append(e) if e.kind == "bus_board" else None)
    twin.run(12)
    running = tt.trips_on(date(2026, 3, 23))
    times_of = {}
    for p in range(tt.n_patterns):
        for row, t in enumerate(tt.pattern_trips[p]):
            if running[t]:
                times_of[tt.trip_id[t]] = [(tt.stop_id[s], int(x)) for s, x in zip(tt.pattern_stops[p],
                                                                                 tt.pattern_times[p][row])]
    assert len(j.ride_log) > 300
    calls = {}                                                 # (trip, stop, timetabled) → (arrival, departure)
    for vid, t, i, sched, arr, dep, n_off, n_on, left, load in j.buses.stop_log:
        assert dep >= arr and dep >= sched, (vid, i, sched, arr, dep)   # never leaves early
        assert load <= (133 if tt.route_type[tt.trip_route[t]] == 11 else 100)
        calls[(tt.trip_id[t], tt.stop_id[tt.pattern_stops[tt.trip_pattern[t]][i]], round(sched))] = (arr, dep)
    by_citizen = {}
    for c, trip, frm, to, board_t, alight_t, plan_dep, plan_arr, k in j.ride_log:
        seq = times_of[trip]                                   # a trip running that day
        i = seq.index((frm, round(plan_dep)))                  # its timetabled departure …
        assert (to, round(plan_arr)) in seq[i + 1:]            # … to a later stop of the same trip
        arr_b, dep_b = calls[(trip, frm, round(plan_dep))]
        assert arr_b <= board_t <= max(dep_b, arr_b + 1)       # boarded while the vehicle stood there
        assert alight_t == calls[(trip, to, round(plan_arr))][0]   # off when the vehicle got there
        by_citizen.setdefault(c, []).append((k, board_t, alight_t))
    for rides in by_citizen.values():
        for (k1, _, a1), (k2, b2, _) in zip(rides, rides[1:]):
            assert b2 >= a1 or k2 == 0                         # a change boards after alighting
    assert sum(k >= 1 for *_, k in j.ride_log) > 20             # second and third rides are ridden
    assert {"1", "2"} <= set(j.kpis()["transit"]["journeys_by_transfers"])
    # the bus_board events say the same
    assert len(boards) == j.boardings
    assert {(e.payload["trip"], e.payload["from_stop"], round(e.t)) for e in boards} >= \
        {(trip, frm, round(b)) for _, trip, frm, _, b, *_ in j.ride_log}
    # walk legs beyond the limit are all counted
    a = city.arrays
    limit = daily.p.walk_max_m
    over = sum(np.hypot(a["node_x"][o] - a["node_x"][d], a["node_y"][o] - a["node_y"][d]) > limit
               for _, mode, o, d, _ in mob.paths if mode == "walk")
    k = j.kpis()
    assert over <= k["long_walks"] + k["no_departure_walked"], (over, k)


@pytest.mark.slow  # two Brașov mornings; twin study frequency_boost shows the same with replications
@pytest.mark.brasov
def test_a_line_at_double_frequency_wins_riders(_private_cache):
    """The same citizens and seed, line 28 at twice its frequency: more boardings on line 28, and
    its riders' planned journeys no longer (the mode choice and the planner respond)."""
    from agents.journeys import TransitParams
    from twin.city import load_city
    from twin.gtfs import load_gtfs

    city = load_city(shared_file("osm/brasov_all_highways.osm.bz2"))
    tt = load_gtfs(shared_file("gtfs/brasov_ratbv_gtfs.zip"), city)
    got = []
    for boost in (None, "28"):
        twin = Twin(city, seed=4, start=datetime(2026, 3, 23))
        twin.add(Mobility(4000))
        twin.add(Citizens(4000))
        j = twin.add(Journeys(tt, TransitParams(boost_line=boost)))
        twin.add(DailyLife())
        twin.run(11)
        got.append(j.kpis()["transit"])
    base, boosted = got
    assert boosted["boost_line"] == "28" and base["boost_line"] is None
    assert boosted["ridership_by_line"]["28"] > 1.15 * base["ridership_by_line"]["28"], (base, boosted)
    assert boosted["journey_min_by_line"]["28"] < base["journey_min_by_line"]["28"] + 1.0


def test_tax_payments_rush_before_the_deadline(demo_city):
    taxes = Taxes(TaxParams())
    twin = Twin(demo_city, seed=3, start=datetime(2026, 1, 10))
    twin.add(Mobility(10))
    twin.add(Citizens(3000))
    twin.add(taxes)
    total = taxes.p.early_share
    jan1, w = taxes._weights(date(2026, 3, 31))
    assert w.sum() == pytest.approx(1.0) and taxes._cum_share(date(2026, 4, 1), date(2026, 3, 31)) == pytest.approx(total)
    assert taxes.share_on(date(2026, 3, 30)) > 10 * taxes.share_on(date(2026, 1, 15))
    got = []
    twin.bus.subscribe(f"{twin.topic_root}/citizens/payment", got.append)
    twin.run(24 * 3)
    early = len(got)
    twin2 = Twin(demo_city, seed=3, start=datetime(2026, 3, 28))
    twin2.add(Mobility(10))
    twin2.add(Citizens(3000))
    t2 = twin2.add(Taxes(TaxParams()))
    got2 = []
    twin2.bus.subscribe(f"{twin2.topic_root}/citizens/payment", got2.append)
    twin2.run(24 * 3)
    assert len(got2) > 3 * max(early, 1)
    e = got2[0]
    assert e.payload["tax_type"] in ("building", "land", "vehicle") and e.payload["amount_bani"] > 0
    assert e.payload["discount_bani"] * 10 == pytest.approx(e.payload["amount_bani"] + e.payload["discount_bani"], abs=10)
    assert t2.kpis()["households_paid"] > t2.kpis()["paid_before_start"]
    # a deadline past the month's end falls on its last day, leap years included
    feb = Taxes(TaxParams(deadline_month=2, deadline_day=31))
    assert feb._deadline(2028) == date(2028, 2, 29) and feb._deadline(2026) == date(2026, 2, 28)
    assert Taxes(TaxParams(deadline_month=4, deadline_day=31))._deadline(2026) == date(2026, 4, 30)


def test_accidents_happen_where_the_traffic_is_and_get_a_response(demo_city):
    twin = Twin(demo_city, seed=4)
    mob = twin.add(Mobility(3000))
    twin.add(Citizens(3000))
    twin.add(Journeys())
    twin.add(DailyLife())
    inc = twin.add(Incidents(IncidentParams(accidents_per_million_car_edges=3000.0,
                                            medical_per_1000_per_day=5.0)))
    resp = twin.add(Responders(ResponderParams(ambulances_per_station=60)))
    events = []
    twin.bus.subscribe(f"{twin.topic_root}/#", lambda e: events.append(e)
                       if e.kind in ("incident", "incident_reported", "on_scene") else None)
    twin.run(20)
    acc = [e for e in events if e.kind == "incident" and e.topic.endswith("/accident")]
    assert len(acc) > 10
    traffic = mob.fleet.traffic
    acc_edges = np.array([e.payload["edge"] for e in acc])
    assert (traffic[acc_edges] > 0).all()
    # busier edges carry more accidents than their share of edges
    assert np.median(traffic[acc_edges]) > np.median(traffic[traffic > 0])
    reported = {e.entity for e in events if e.kind == "incident_reported"}
    on_scene = [e for e in events if e.kind == "on_scene"]
    assert len(on_scene) >= 0.8 * len(reported)
    assert all(e.payload["response_s"] >= 0 for e in on_scene)
    assert resp.kpis()["response_time"]["medical"]["n"] > 0
    assert resp.kpis()["dispatched"] >= len(on_scene)
    assert resp.datacollector.get_model_vars_dataframe().shape[0] >= 20


def test_nearest_available_unit_is_dispatched(brasov):
    """With two ambulance stations, an incident next to one gets that station's unit first."""
    twin = Twin(brasov, seed=1)
    twin.add(Mobility(10))
    twin.add(Citizens(10))
    inc = twin.add(Incidents(IncidentParams(medical_per_1000_per_day=0, fire_per_1000_per_day=0,
                                            gas_leak_per_1000_per_day=0, water_main_per_1000_per_day=0,
                                            traffic_light_per_1000_per_day=0,
                                            accidents_per_million_car_edges=0)))
    resp = twin.add(Responders())
    amb = [u for u in resp.units if u.utype == "ambulance"]
    assert len({u.station_node for u in amb}) >= 2
    target = amb[-1].station_node
    sent = []
    twin.bus.subscribe(f"{twin.topic_root}/responders/+", lambda e: sent.append(e) if e.kind == "dispatched" else None)
    inc._new("medical", int(target), -1)
    inc.discover(0, "112")
    assert sent and sent[0].entity in {u.name for u in amb if u.station_node == target}


@pytest.mark.slow  # determinism is in the default run as tests/test_engine.py's byte-identical event log
def test_same_seed_same_population_and_events(tmp_path, demo_city):
    s = load_scenario("baseline", population=1500, hours=10.0, seed=9)
    a = run_scenario(s, out=tmp_path / "a", city=demo_city)
    b = run_scenario(s, out=tmp_path / "b", city=demo_city)
    ta, tb = read_events(a["run_dir"]), read_events(b["run_dir"])
    assert ta.num_rows > 1000 and ta.equals(tb)
    kinds = set(pc.unique(ta["kind"]).to_pylist())
    assert {"trip_start", "trip_end", "chat_question"} <= kinds
    c = run_scenario(load_scenario("baseline", population=1500, hours=10.0, seed=10), out=tmp_path / "c",
                     city=demo_city)
    assert not read_events(c["run_dir"]).equals(ta)
    p1 = synthesize(demo_city, 1000, rng=np.random.default_rng(5))
    p2 = synthesize(demo_city, 1000, rng=np.random.default_rng(5))
    assert all(np.array_equal(getattr(p1, f), getattr(p2, f)) for f in ("home", "persona", "workplace", "channel"))


def test_mesa_batch_run_sweeps_twin_parameters():
    import mesa

    from twin_app.batch import ScenarioModel

    rows = mesa.batch_run(ScenarioModel, {"population": 800, "hours": 10.0, "daily__car_use": [0.0, 1.0],
                                          "seed": 3}, max_steps=20, display_progress=False)
    last = {}
    for r in rows:
        last[r["daily__car_use"]] = r
    assert set(last) == {0.0, 1.0}
    assert all(r["Step"] in (9, 10) for r in last.values())   # stopped by the scenario's hours
    assert last[0.0]["trips"] > 0 and last[1.0]["trips"] > 0
    with pytest.raises(Exception, match="car_use"):
        ScenarioModel(population=10, daily__car_use=2.0)
