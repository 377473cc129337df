"""Journey planner (twin/transit.py): RAPTOR against a brute force, legs against the timetable.

The brute force (``tests/transit_reference.py``) looks at every stop time of every trip in each
round; RAPTOR must give IDENTICAL earliest arrivals for every number of rides, on synthetic feeds
(with overtaking trips and loops) and on RATBV's real feed.
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from tests.conftest import shared_file
from tests.transit_reference import INF as BF_INF
from tests.transit_reference import BruteForce
from twin.gtfs import load_gtfs
from twin.transit import (
    INF,
    TZ,
    Planner,
    TransitError,
    _fifo_groups,
    at_seconds,
    raptor,
    service_start,
)

LON0, LAT0 = 25.60, 45.64
DLON, DLAT = 0.003203, 0.002248          # ≈ 250 m east, 250 m north at Brașov's latitude
TUESDAY = date(2026, 3, 24)
# the hand-made feed's stops are only 250-1000 m apart: keep walking short there
STRICT = {"max_access_m": 300, "max_walk_only_m": 500}


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def write_feed(folder, stops, lines) -> str:
    """A GTFS folder: ``stops`` [(id, name, lon, lat)], ``lines`` [(route, [(stop ids, times)])]
    every trip runs daily in 2026."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.txt").write_text("agency_id,agency_name,agency_url,agency_timezone\n"
                                       "A,Test,http://x,Europe/Bucharest\n")
    (folder / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon,location_type\n" + "".join(
        f"{i},{n},{la:.6f},{lo:.6f},0\n" for i, n, lo, la in stops))
    (folder / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "D,1,1,1,1,1,1,1,20260101,20261231\n")
    routes, trips, st = [], [], []
    for r, (name, trip_list) in enumerate(lines):
        routes.append(f"R{r},{name},Line {name},3\n")
        for k, (stop_ids, times) in enumerate(trip_list):
            tid = f"T{r}_{k}"
            trips.append(f"R{r},D,{tid},to {stop_ids[-1]}\n")
            for q, (s, t) in enumerate(zip(stop_ids, times)):
                st.append(f"{tid},{_hms(t)},{_hms(t)},{s},{q + 1}\n")
    (folder / "routes.txt").write_text("route_id,route_short_name,route_long_name,route_type\n" + "".join(routes))
    (folder / "trips.txt").write_text("route_id,service_id,trip_id,trip_headsign\n" + "".join(trips))
    (folder / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(st))
    return str(folder)


def random_feed(folder, seed: int, n_side: int = 6, n_lines: int = 10):
    """A random town: stops on a grid 250 m apart, lines through random stops (one a loop that
    passes a stop twice), trips whose run times vary so that some overtake others."""
    rng = np.random.default_rng(seed)
    stops = [(f"S{i}", f"Stop {i}", LON0 + (i % n_side) * DLON, LAT0 + (i // n_side) * DLAT)
             for i in range(n_side * n_side)]
    lines = []
    for r in range(n_lines):
        k = int(rng.integers(3, 9))
        seq = [f"S{s}" for s in rng.choice(len(stops), k, replace=False)]
        if r == 0:
            seq = seq + [seq[1]]                      # a loop: back to its second stop
        trips = []
        t = int(rng.integers(5 * 3600, 6 * 3600))
        while t < 10 * 3600:
            times = np.cumsum(np.r_[t, rng.integers(60, 600, len(seq) - 1)])
            trips.append((seq, times.tolist()))
            t += int(rng.integers(120, 1200))
        lines.append((str(r + 1), trips))
    return load_gtfs(write_feed(folder, stops, lines))


def compare(planner: Planner, day: date, queries, max_rides: int = 4) -> tuple[int, int]:
    """(queries, how many of them reach the destination by bus) — asserting equality."""
    net = planner.network(day)
    bf = BruteForce(planner.tt, net.day, net.foot_from, net.foot_to, net.foot_s)
    by_bus = 0
    for origin, dest, dep in queries:
        access, egress, direct = planner.endpoints(origin, dest)
        a = planner.earliest_arrivals(origin, dest, dep, day, max_rides)
        py = planner.earliest_arrivals(origin, dest, dep, day, max_rides, kernel=False)
        b = bf.earliest_arrivals(access, egress, dep, max_rides, direct)
        a = [min(x, INF) for x in a]
        b = [min(x, BF_INF) for x in b]
        assert a == b, (origin, dest, dep, a, b)
        assert py == a, (origin, dest, dep, py, a)
        by_bus += a[-1] < a[0]
    return len(queries), by_bus


# ---- a hand-made feed: the Pareto set -----------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A→B by line 1, a 170 m walk B→D, D→C by line 2; the slow line 3 goes A→C directly."""
    h = 3600
    stops = [("A", "Alpha", LON0, LAT0), ("B", "Beta", LON0 + 2 * DLON, LAT0),
             ("D", "Delta", LON0 + 2 * DLON, LAT0 + 0.68 * DLAT), ("C", "Gamma", LON0 + 4 * DLON, LAT0 + DLAT)]
    lines = [("1", [(["A", "B"], [8 * h, 8 * h + 600]), (["A", "B"], [8 * h + 1800, 8 * h + 2400])]),
             ("2", [(["D", "C"], [8 * h + 900, 8 * h + 1500])]),
             ("3", [(["A", "C"], [8 * h + 300, 8 * h + 3000])])]
    return load_gtfs(write_feed(tmp_path_factory.mktemp("tiny"), stops, lines))


def test_pareto_set_trades_a_transfer_for_an_earlier_arrival(tiny):
    planner = Planner(tiny, **STRICT)
    js = planner.plan("A", "C", datetime(2026, 3, 24, 7, 55))
    assert [j.transfers for j in js] == [0, 1]
    direct, change = js
    assert [(g.kind, g.route) for g in direct.legs] == [("ride", "3")]
    assert direct.arrival == datetime(2026, 3, 24, 8, 50, tzinfo=TZ)
    assert [(g.kind, g.route, g.from_stop, g.to_stop) for g in change.legs] == [
        ("ride", "1", "A", "B"), ("walk", "", "B", "D"), ("ride", "2", "D", "C")]
    d = change.as_dict()
    assert json.loads(json.dumps(d)) == d and d["transfers"] == 1
    assert [g.get("route") for g in d["legs"]] == ["1", None, "2"]
    assert d["legs"][0]["departure"] == "2026-03-24T08:00:00+02:00"
    walk = change.legs[1]
    assert walk.departure == datetime(2026, 3, 24, 8, 10, tzinfo=TZ)
    # 170 m straight line × 1.3 detour at 1.4 m/s ≈ 158 s, well inside the 5 min to the bus
    assert 140 <= (walk.arrival - walk.departure).total_seconds() <= 175
    assert change.arrival == datetime(2026, 3, 24, 8, 25, tzinfo=TZ)
    # with no transfer allowed only the direct line is left; after 8:05 nothing reaches Gamma
    assert [j.transfers for j in planner.plan("A", "C", datetime(2026, 3, 24, 7, 55), max_transfers=0)] == [0]
    assert planner.plan("A", "C", datetime(2026, 3, 24, 8, 6)) == []


def test_no_footpath_beyond_the_transfer_radius(tiny):
    """B→D is 170 m: with a 100 m radius the change is impossible and only line 3 remains."""
    js = Planner(tiny, max_transfer_m=100, **STRICT).plan("A", "C", datetime(2026, 3, 24, 7, 55))
    assert [(j.transfers, j.arrival.time().isoformat()) for j in js] == [(0, "08:50:00")]


def test_station_names_and_points(tiny):
    planner = Planner(tiny, **STRICT)
    by_name = planner.plan("alpha", "GAMMA", datetime(2026, 3, 24, 7, 55))
    assert [j.arrival for j in by_name] == [j.arrival for j in planner.plan("A", "C", datetime(2026, 3, 24, 7, 55))]
    # from a point 100 m west of Alpha: a walk first, shifted to end when the bus leaves (with a
    # 300 m walking radius; with the default 800 m, line 1 and a walk from Beta to Gamma is better)
    js = Planner(tiny, **STRICT).plan((LON0 - 0.4 * DLON, LAT0), "C", datetime(2026, 3, 24, 7, 40))
    first = js[-1].legs[0]
    assert first.kind == "walk" and first.to_stop == "A" and first.arrival == datetime(2026, 3, 24, 8, 0, tzinfo=TZ)
    far = Planner(tiny, max_walk_only_m=500).plan((LON0 - 0.4 * DLON, LAT0), "C", datetime(2026, 3, 24, 7, 40))
    assert [(j.transfers, [g.route for g in j.legs if g.kind == "ride"]) for j in far] == [(0, ["1"])]
    assert [g.kind for g in far[0].legs] == ["walk", "ride", "walk"]


def test_a_named_stop_is_a_place_people_walk_to_and_from(tiny):
    """To Gamma (by id) with the default 800 m walks: line 1 to Beta and a 560 m walk beat
    changing to line 2 (08:25); with 300 m, only Gamma's own platform counts."""
    js = Planner(tiny, max_walk_only_m=500).plan("Alpha", "C", datetime(2026, 3, 24, 7, 55))
    assert [(j.rides, [g.kind for g in j.legs]) for j in js] == [(1, ["ride", "walk"])]
    walk = js[0].legs[1]
    assert (walk.from_stop, walk.to_stop, js[0].legs[0].route) == ("B", None, "1")
    assert datetime(2026, 3, 24, 8, 10, tzinfo=TZ) < js[0].arrival < datetime(2026, 3, 24, 8, 25, tzinfo=TZ)
    # from Beta by name, the walk comes first: to Delta for line 2
    js = Planner(tiny, max_walk_only_m=100).plan("Beta", (LON0 + 4 * DLON, LAT0 + DLAT), datetime(2026, 3, 24, 8, 5))
    assert [(g.kind, g.to_stop) for g in js[0].legs] == [("walk", "D"), ("ride", "C")]
    assert [j.rides for j in Planner(tiny, **STRICT).plan("Alpha", "C", datetime(2026, 3, 24, 7, 55))] == [1, 2]


def test_night_trips_of_the_day_before_are_searched_after_midnight(tmp_path):
    """A trip at 24:10-24:30 of Tuesday's service runs at 00:10-00:30 on Wednesday morning."""
    stops = [("A", "A", LON0, LAT0), ("B", "B", LON0 + 16 * DLON, LAT0)]
    lines = [("N1", [(["A", "B"], [24 * 3600 + 600, 24 * 3600 + 1800])])]
    planner = Planner(load_gtfs(write_feed(tmp_path / "n", stops, lines)))
    js = planner.plan("A", "B", datetime(2026, 3, 25, 0, 5))
    assert [(j.legs[0].route, j.departure, j.arrival) for j in js] == [
        ("N1", datetime(2026, 3, 25, 0, 10, tzinfo=TZ), datetime(2026, 3, 25, 0, 30, tzinfo=TZ))]
    # before midnight the same trip is Tuesday's 24:10 (Wednesday 00:10) too
    assert [j.arrival for j in planner.plan("A", "B", datetime(2026, 3, 24, 23, 50))] == \
        [datetime(2026, 3, 25, 0, 30, tzinfo=TZ)]
    # missed it: the next is Wednesday's own 24:10, on Thursday
    assert [j.arrival for j in planner.plan("A", "B", datetime(2026, 3, 25, 0, 15))] == \
        [datetime(2026, 3, 26, 0, 30, tzinfo=TZ)]


def test_walking_all_the_way_when_close(tiny):
    js = Planner(tiny).plan((LON0, LAT0), (LON0 + DLON, LAT0), datetime(2026, 3, 24, 12, 0))
    assert [(j.rides, [g.kind for g in j.legs]) for j in js] == [(0, ["walk"])]
    assert Planner(tiny, max_walk_only_m=100).plan((LON0, LAT0), (LON0 + DLON, LAT0),
                                                   datetime(2026, 3, 24, 12, 0)) == []


def test_times_are_bucharest_local_across_the_clock_change():
    """GTFS time 0 is noon minus 12 h: on the spring-forward day that is 23:00 the day before."""
    assert service_start(date(2026, 3, 24)) == datetime(2026, 3, 24, 0, 0, tzinfo=TZ)
    assert service_start(date(2026, 3, 29)) == datetime(2026, 3, 28, 23, 0, tzinfo=TZ)
    assert service_start(date(2026, 3, 29)).utcoffset() == timedelta(hours=2)
    # 05:00 GTFS time that day is 5 h after 23:00 (UTC+2) = 05:00 UTC+3 (clocks went forward)
    assert at_seconds(service_start(date(2026, 3, 29)), 5 * 3600) == datetime(2026, 3, 29, 5, 0, tzinfo=TZ)
    assert at_seconds(service_start(date(2026, 3, 29)), 5 * 3600).utcoffset() == timedelta(hours=3)


def test_an_aware_departure_is_converted_to_local_time(tiny):

    planner = Planner(tiny)
    aware = datetime(2026, 3, 24, 5, 55, tzinfo=UTC)   # 07:55 in Bucharest (UTC+2)
    assert [j.arrival for j in planner.plan("A", "C", aware)] == \
        [j.arrival for j in planner.plan("A", "C", datetime(2026, 3, 24, 7, 55))]
    assert planner.plan("A", "C", aware)[0].arrival.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("kwargs, field", [
    ({"origin": (200.0, 45.0)}, "origin"), ({"origin": "Nowhere"}, "origin"),
    ({"destination": 99}, "destination"), ({"destination": ("a", "b")}, "destination"),
    ({"depart": "08:00"}, "depart"), ({"max_transfers": -1}, "max_transfers"),
])
def test_bad_requests_name_the_field_and_value(tiny, kwargs, field):
    q = {"origin": "A", "destination": "C", "depart": datetime(2026, 3, 24, 8, 0)} | kwargs
    with pytest.raises(TransitError, match=field):
        Planner(tiny).plan(q.pop("origin"), q.pop("destination"), q.pop("depart"), **q)


def test_bad_options_name_the_option():
    with pytest.raises(TransitError, match="max_access_m"):
        Planner(None, max_access_m=-5)
    with pytest.raises(TransitError, match="walk_speed"):
        Planner(None, walk_speed=0)


# ---- GTFS loading ---------------------------------------------------------------------------------
def test_a_feed_without_location_type_loads_every_row_as_a_stop(tiny, tmp_path):
    """``location_type`` is optional in stops.txt (absent: every row is a stop); with it, stations
    (1) are dropped and only stops (0 or empty) are kept."""
    import shutil

    src = tmp_path / "feed"
    shutil.copytree(tiny.source, src)
    rows = (src / "stops.txt").read_text().splitlines()
    (src / "stops.txt").write_text("\n".join(",".join(r.split(",")[:4]) for r in rows) + "\n")
    tt = load_gtfs(src)
    assert tt.stop_id == tiny.stop_id and tt.n_trips == tiny.n_trips
    assert [j.arrival for j in Planner(tt, **STRICT).plan("A", "C", datetime(2026, 3, 24, 7, 55))] == \
        [j.arrival for j in Planner(tiny, **STRICT).plan("A", "C", datetime(2026, 3, 24, 7, 55))]
    (src / "stops.txt").write_text((tmp_path / "feed" / "stops.txt").read_text()
                                   + "ST,Station,45.64,25.60\n")
    with_station = "\n".join(r + (",1" if r.startswith("ST,") else ",0" if r[0] != "s" else ",location_type")
                              for r in (src / "stops.txt").read_text().splitlines()) + "\n"
    (src / "stops.txt").write_text(with_station)
    assert load_gtfs(src).stop_id == tiny.stop_id


def test_boost_frequency_halves_the_headway_of_one_line_only(tiny):
    """Line 1 runs at 08:00 and 08:30: doubled, a copy of the 08:00 trip leaves at 08:15 with the
    same running times; the last departure and the other lines stay as they were."""
    from twin.gtfs import GtfsError, boost_frequency

    b = boost_frequency(tiny, "1")
    assert b.n_trips == tiny.n_trips + 1 and tiny.n_trips == 4          # the feed itself is untouched
    p = next(p for p in range(b.n_patterns) if b.route_short[b.pattern_route[p]] == "1")
    assert (b.pattern_times[p][:, 0] // 60 % 60).tolist() == [0, 15, 30]
    assert (np.diff(b.pattern_times[p], axis=1) == 600).all()
    assert b.trip_id[b.pattern_trips[p][1]] == "T0_0+1"
    for q in range(b.n_patterns):
        if q != p:
            assert (b.pattern_times[q] == tiny.pattern_times[q]).all()
    # the planner catches the new 08:15 trip
    j = Planner(b, max_access_m=300, max_walk_only_m=0).plan("A", "B", datetime(2026, 3, 24, 8, 5))
    ride = next(g for g in j[-1].legs if g.kind == "ride")
    assert ride.trip == "T0_0+1" and ride.arrival.strftime("%H:%M") == "08:25"
    with pytest.raises(GtfsError, match="route '99'"):
        boost_frequency(tiny, "99")
    with pytest.raises(GtfsError, match="factor"):
        boost_frequency(tiny, "1", 0)


# ---- overtaking trips -----------------------------------------------------------------------------
def test_overtaking_trips_are_split_into_fifo_patterns(tmp_path):
    """An express leaving later but arriving first: RAPTOR's 'earliest trip' at the boarding
    stop is not the earliest arrival, so the pattern must be split (the paper's FIFO condition)."""
    times = np.array([[100, 900, 1700], [200, 500, 800], [300, 1000, 1800]])
    groups = _fifo_groups(times)
    assert [g.tolist() for g in groups] == [[0, 2], [1]]
    h = 3600
    stops = [("A", "A", LON0, LAT0), ("B", "B", LON0 + 8 * DLON, LAT0), ("C", "C", LON0 + 16 * DLON, LAT0)]
    lines = [("9", [(["A", "B", "C"], [8 * h, 8 * h + 1800, 8 * h + 3600]),
                    (["A", "B", "C"], [8 * h + 60, 8 * h + 600, 8 * h + 1200])])]
    planner = Planner(load_gtfs(write_feed(tmp_path / "f", stops, lines)))
    js = planner.plan("A", "C", datetime(2026, 3, 24, 7, 59))
    assert [j.arrival.time().isoformat() for j in js] == ["08:20:00"]


# ---- random synthetic feeds: RAPTOR == brute force -----------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raptor_equals_brute_force_on_random_feeds(tmp_path, seed):
    tt = random_feed(tmp_path / f"f{seed}", seed)
    planner = Planner(tt, max_access_m=400, max_walk_only_m=600)
    rng = np.random.default_rng(seed)
    queries = []
    for _ in range(150):
        o = (LON0 + rng.uniform(-1, 6) * DLON, LAT0 + rng.uniform(-1, 6) * DLAT)
        d = (LON0 + rng.uniform(-1, 6) * DLON, LAT0 + rng.uniform(-1, 6) * DLAT)
        queries.append((o, d, int(rng.integers(5 * 3600, 10 * 3600))))
    for _ in range(50):
        o, d = (f"S{s}" for s in rng.integers(0, 36, 2))
        queries.append((o, d, int(rng.integers(5 * 3600, 10 * 3600))))
    n, by_bus = compare(planner, TUESDAY, queries)
    assert by_bus > n // 3        # most queries ride, so the comparison is not of empty answers


# ---- RATBV --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ratbv():
    return load_gtfs(shared_file("gtfs/brasov_ratbv_gtfs.zip"))


def brasov_queries(tt, n: int, seed: int):
    """Random (origin point, destination point, departure): each a stop's position moved by
    ~200 m, leaving between 05:00 and 23:00."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        o, d = rng.integers(0, tt.n_stops, 2)
        out.append(((float(tt.stop_lon[o] + rng.normal(0, 0.0025)), float(tt.stop_lat[o] + rng.normal(0, 0.0018))),
                    (float(tt.stop_lon[d] + rng.normal(0, 0.0025)), float(tt.stop_lat[d] + rng.normal(0, 0.0018))),
                    int(rng.integers(5 * 3600, 23 * 3600))))
    return out


@pytest.mark.brasov
def test_raptor_equals_brute_force_on_500_brasov_queries(ratbv):
    n, by_bus = compare(Planner(ratbv), TUESDAY, brasov_queries(ratbv, 500, seed=19))
    assert n == 500 and by_bus > 300


@pytest.mark.brasov
def test_raptor_equals_brute_force_on_a_cut_of_the_brasov_feed_on_saturday(ratbv):
    """Saturday's services (other trips), stop-to-stop queries, up to 6 rides."""
    rng = np.random.default_rng(7)
    queries = [(int(a), int(b), int(rng.integers(6 * 3600, 22 * 3600)))
               for a, b in rng.integers(0, ratbv.n_stops, (150, 2))]
    _, by_bus = compare(Planner(ratbv), date(2026, 3, 28), queries, max_rides=6)
    assert by_bus > 50


@pytest.mark.brasov
def test_brasov_journeys_match_the_timetable_leg_by_leg(ratbv):
    """Every ride leg is a real trip: it serves from_stop at the departure and to_stop later at
    the arrival; legs follow one another in time and place; journeys with 1 and 2 transfers occur."""
    planner = Planner(ratbv)
    tt = ratbv
    times_of = {}
    for p in range(tt.n_patterns):
        for row, t in enumerate(tt.pattern_trips[p]):
            times_of[tt.trip_id[t]] = [(tt.stop_id[s], int(x)) for s, x in zip(tt.pattern_stops[p], tt.pattern_times[p][row])]
    seen_transfers = set()
    for o, d, dep in brasov_queries(tt, 120, seed=3):
        depart = service_start(TUESDAY) + timedelta(seconds=dep)
        for j in planner.plan(o, d, depart.replace(tzinfo=None)):
            seen_transfers.add(j.transfers)
            assert j.departure >= depart and j.arrival >= j.departure
            for a, b in zip(j.legs, j.legs[1:]):
                assert a.arrival <= b.departure
                assert not (a.kind == b.kind == "walk")       # walks never chain
                assert a.to_stop == b.from_stop or (a.kind == b.kind == "ride" and a.to_stop == b.from_stop)
            assert sum(g.kind == "ride" for g in j.legs) == j.rides
            for g in j.legs:
                if g.kind != "ride":
                    continue
                seq = times_of[g.trip]
                dep_s = int((g.departure - service_start(TUESDAY)).total_seconds())
                arr_s = int((g.arrival - service_start(TUESDAY)).total_seconds())
                i = seq.index((g.from_stop, dep_s))
                assert (g.to_stop, arr_s) in seq[i + 1:]
                assert tt.route_short[tt.trip_route[tt.trip_id.index(g.trip)]] == g.route
    assert {0, 1, 2} <= seen_transfers


@pytest.mark.brasov
def test_brasov_footpaths_on_the_walk_graph(ratbv, brasov):
    """With the city, footpaths and access walks follow the walk graph (never shorter than the
    straight line), and RAPTOR still equals the brute force."""
    from twin.transit import haversine_m

    planner = Planner(ratbv, brasov)
    net = planner.network(TUESDAY)
    straight = haversine_m(ratbv.stop_lon[net.foot_from], ratbv.stop_lat[net.foot_from],
                           ratbv.stop_lon[net.foot_to], ratbv.stop_lat[net.foot_to])
    assert len(net.foot_s) > 1000
    assert (net.foot_s * 1.4 >= straight - 1).all()
    assert np.median(net.foot_s * 1.4 / np.maximum(straight, 1)) > 1.05
    compare(planner, TUESDAY, brasov_queries(ratbv, 100, seed=5))


@pytest.mark.brasov
def test_brasov_walks_to_stops_equal_walks_back_and_walker_times(ratbv, brasov):
    """agents.journeys keeps one entry per place for walks to and from its stops: on the walk
    graph (every walkable edge both ways, one weight) they are equal. Planner.walks (the stops
    snapped once) gives Walker.times' seconds."""
    from twin.transit import haversine_m

    planner = Planner(ratbv, brasov)
    a = brasov.arrays
    found = 0
    for n in np.random.default_rng(7).integers(0, brasov.n_nodes, 60).tolist():
        lon, lat = float(a["node_lon"][n]), float(a["node_lat"][n])
        to, back = planner.walks(lon, lat, True, 800.0), planner.walks(lon, lat, False, 800.0)
        assert to == back
        near = np.nonzero(haversine_m(lon, lat, ratbv.stop_lon, ratbv.stop_lat) <= 800.0)[0]
        secs = planner.walker.times(lon, lat, ratbv.stop_lon[near], ratbv.stop_lat[near])
        assert to == {int(s): int(w) for s, w in zip(near, secs) if w >= 0}
        found += bool(to)
    assert found >= 30


def test_raptor_result_rounds_never_get_worse(tmp_path):
    tt = random_feed(tmp_path / "g", 4)
    planner = Planner(tt)
    net = planner.network(TUESDAY)
    acc, eg, direct = planner.endpoints("S0", "S35")
    res = raptor(net, acc, eg, 5 * 3600, 5, direct)
    assert all(b <= a for a, b in zip(res.target, res.target[1:]))


@pytest.mark.parametrize("seed", [5, 6])
def test_raptor_with_many_rounds_equals_a_time_ordered_dijkstra(tmp_path, seed):
    """A second, round-free check: with enough rounds RAPTOR's earliest arrival equals a
    label-setting search over (stop, walked/rode) states in time order."""
    from tests.transit_reference import dijkstra_earliest_arrival

    tt = random_feed(tmp_path / f"h{seed}", seed)
    planner = Planner(tt, max_access_m=400, max_walk_only_m=600)
    net = planner.network(TUESDAY)
    rng = np.random.default_rng(seed)
    reached = 0
    for _ in range(80):
        o = (LON0 + rng.uniform(-1, 6) * DLON, LAT0 + rng.uniform(-1, 6) * DLAT)
        d = (LON0 + rng.uniform(-1, 6) * DLON, LAT0 + rng.uniform(-1, 6) * DLAT)
        dep = int(rng.integers(5 * 3600, 10 * 3600))
        access, egress, direct = planner.endpoints(o, d)
        res = raptor(net, access, egress, dep, 12, direct).target
        assert res[-1] == res[-2]                      # no journey needs 12 rides here
        dj = dijkstra_earliest_arrival(tt, TUESDAY, net.foot_from, net.foot_to, net.foot_s,
                                       access, egress, dep, direct)
        assert min(res[-1], INF) == min(dj, BF_INF), (o, d, dep)
        reached += res[-1] < INF
    assert reached > 40


# ---- one planner, two threads -------------------------------------------------------------------
@pytest.mark.brasov
def test_two_threads_on_one_planner_answer_as_one_thread(brasov, tmp_path, monkeypatch):
    """A planner shared by threads (a control room's live twin and a study on one City) answers
    exactly as one thread. Its walker's snap cache is kept small here so that it fills up while
    another thread reads it: before, it was cleared under the reader (KeyError in 3 of 3
    threads); now a full cache is replaced. Then whole plans: per-date networks (built once,
    under a lock) and the shared walk router."""
    import threading

    import twin.transit as transit

    monkeypatch.setattr(transit, "SNAP_CACHE", 40)
    rng = np.random.default_rng(1)
    pool = np.column_stack([LON0 + rng.uniform(0, 0.03, 60), LAT0 + rng.uniform(0, 0.02, 60)])
    ref = transit.Walker(brasov).times(pool[:, 0], pool[:, 1], pool[0, 0], pool[0, 1]).tolist()
    walker = transit.Walker(brasov)
    errors: list = []

    def snaps(seed):
        r = np.random.default_rng(seed)
        try:
            for _ in range(300):
                idx = r.choice(60, 12, replace=False)
                got = walker.times(pool[idx, 0], pool[idx, 1], pool[0, 0], pool[0, 1]).tolist()
                assert got == [ref[i] for i in idx], "a wrong walking time"
        except Exception as exc:        # noqa: BLE001 - reported below
            errors.append(repr(exc))

    def run(target, args):
        threads = [threading.Thread(target=target, args=a) for a in args]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    run(snaps, [(1,), (2,), (3,)])
    assert errors == []

    tt = random_feed(tmp_path / "f", 5)
    queries = [((LON0 + rng.uniform(-1, 6) * DLON, LAT0 + rng.uniform(-1, 6) * DLAT),
                (LON0 + rng.uniform(-1, 6) * DLON, LAT0 + rng.uniform(-1, 6) * DLAT),
                datetime(2026, 3, 24, int(h), int(m))) for h, m in zip(rng.integers(6, 20, 60), rng.integers(0, 60, 60))]

    def answers(planner, qs):
        return [[(j.arrival, [(g.kind, g.route, g.from_stop, g.to_stop, g.departure, g.arrival) for g in j.legs])
                 for j in planner.plan(o, d, t)] for o, d, t in qs]

    alone = answers(Planner(tt, brasov), queries)
    assert sum(len(a) > 0 for a in alone) > 30
    shared = Planner(tt, brasov)
    got: dict = {}

    def plans(name, qs):
        try:
            for _ in range(2):
                got[name] = answers(shared, qs)
        except Exception as exc:        # noqa: BLE001 - reported below
            errors.append(repr(exc))

    run(plans, [("a", queries), ("b", queries[::-1])])
    assert errors == []
    assert got["a"] == alone and got["b"] == alone[::-1]
