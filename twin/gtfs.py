"""Public transport timetables: read a GTFS feed and answer "when does the next bus leave?".

A :class:`Timetable` holds a GTFS feed (a ``.zip`` or a folder) as flat arrays:

* **stops** (boarding platforms) with their coordinates, the city node each is snapped to, and
  the **station** it belongs to (platforms that share a name: both directions of "Livada
  Poștei" are one station for someone walking to the bus);
* **trips**, each with its route, service (calendar) and **pattern** — the ordered list of stops it
  serves. Trips of one pattern share a stop sequence, so their times form a matrix
  ``pattern_times[p]`` (trips × stops, departure seconds after midnight; GTFS times past
  24:00:00 stay > 86400), sorted by first departure;
* the **calendar** (``calendar.txt`` and ``calendar_dates.txt``): which services run on a date.

:meth:`Timetable.service_date` maps a simulated date to a date the feed covers (the same weekday
in the feed's first full week when the date is outside it, and says so), and
:meth:`Timetable.next_departures` answers departure questions (agents, chatbot).

:func:`find_gtfs` finds a city's feed beside its OSM file: ``<data>/gtfs/<city>_*.zip`` for
``<data>/osm/<city>_*.osm.bz2``. Reading is offline and takes well under a second for RATBV's
feed (7,940 trips, 117,993 stop times).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from twin.city import beside
from twin.errors import TwinError


class GtfsError(TwinError):
    """A GTFS feed that is missing or malformed."""


def find_gtfs(city) -> Path | None:
    """The GTFS feed beside a city's OSM file (``../gtfs/<prefix>_*.zip``), or None."""
    if not city.source or city.synthetic:
        return None
    return beside(city.source, "gtfs", "{prefix}_*.zip")


def _seconds(col) -> np.ndarray:
    """``HH:MM:SS`` strings (hours may exceed 23) → seconds after midnight."""
    parts = col.str.split(":", expand=True).astype(np.int64)
    return (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy(np.int32)


@dataclass
class Timetable:
    """A GTFS feed as arrays (see the module docstring)."""

    source: str
    agency: str
    stop_id: list[str]
    stop_name: list[str]
    stop_lon: np.ndarray
    stop_lat: np.ndarray
    stop_station: np.ndarray          # station index per stop
    station_name: list[str]
    station_lon: np.ndarray
    station_lat: np.ndarray
    route_id: list[str]
    route_short: list[str]
    route_long: list[str]
    route_type: np.ndarray
    trip_id: list[str]
    trip_route: np.ndarray
    trip_service: np.ndarray
    trip_headsign: list[str]
    trip_pattern: np.ndarray
    service_id: list[str]
    calendar: dict[int, tuple[tuple[int, ...], date, date]]
    exceptions: dict[tuple[int, date], int]
    pattern_route: np.ndarray
    pattern_stops: list[np.ndarray]   # stop indices in order
    pattern_trips: list[np.ndarray]   # trip indices, sorted by first departure
    pattern_times: list[np.ndarray]   # (trips, stops) departure seconds
    stop_node: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    start: date | None = None
    end: date | None = None

    @property
    def n_stops(self) -> int:
        return len(self.stop_id)

    @property
    def n_trips(self) -> int:
        return len(self.trip_id)

    @property
    def n_patterns(self) -> int:
        return len(self.pattern_stops)

    # ---- calendar ----------------------------------------------------------------------------
    def service_date(self, day: date) -> tuple[date, bool]:
        """The date whose timetable applies to ``day``: ``(day, True)`` inside the feed's
        period, else ``(same weekday in the feed's first full week, False)``."""
        if self.start is None or self.start <= day <= self.end:
            return day, True
        d = self.start + timedelta(days=(day.weekday() - self.start.weekday()) % 7)
        return d, False

    def services_on(self, day: date) -> np.ndarray:
        """Boolean mask over :attr:`service_id`: the services running on ``day``."""
        day, _ = self.service_date(day)
        on = np.zeros(len(self.service_id), bool)
        for s, (weekdays, start, end) in self.calendar.items():
            on[s] = start <= day <= end and bool(weekdays[day.weekday()])
        for (s, d), kind in self.exceptions.items():
            if d == day:
                on[s] = kind == 1
        return on

    def trips_on(self, day: date) -> np.ndarray:
        """Boolean mask over trips running on ``day``."""
        return self.services_on(day)[self.trip_service]

    # ---- questions ---------------------------------------------------------------------------
    def stations_named(self, name: str) -> list[int]:
        """Stations whose name matches ``name`` ignoring case and diacritics."""
        from twin.text import fold

        key = fold(name)
        return [i for i, n in enumerate(self.station_name) if fold(n) == key]

    def next_departures(self, station: int, day: date, after_s: float, *, route: str | None = None,
                        to_station: int | None = None, limit: int = 3) -> list[dict]:
        """The next ``limit`` departures from ``station`` on ``day`` after ``after_s`` seconds
        past midnight, optionally of one route (short name) and/or reaching ``to_station``.

        Each is a dict: route, headsign, departure_s, and (with ``to_station``) arrival_s.
        """
        running = self.trips_on(day)
        out = []
        for p in range(self.n_patterns):
            if route is not None and self.route_short[self.pattern_route[p]] != route:
                continue
            st = self.stop_station[self.pattern_stops[p]]
            for i in np.nonzero(st == station)[0]:
                if i == len(st) - 1:
                    continue  # terminus: nobody boards here
                j = None
                if to_station is not None:
                    later = np.nonzero(st[i + 1:] == to_station)[0]
                    if not len(later):
                        continue
                    j = i + 1 + later[0]
                times = self.pattern_times[p]
                trips = self.pattern_trips[p]
                ok = running[trips] & (times[:, i] >= after_s)
                for k in np.nonzero(ok)[0]:
                    out.append({"route": self.route_short[self.pattern_route[p]],
                                "headsign": self.trip_headsign[trips[k]],
                                "trip": self.trip_id[trips[k]],
                                "departure_s": int(times[k, i]),
                                **({"arrival_s": int(times[k, j])} if j is not None else {})})
        out.sort(key=lambda d: (d["departure_s"], d["route"], d["trip"]))
        return out[:limit]


def load_gtfs(source: str | Path, city=None) -> Timetable:
    """Read a GTFS feed (zip or folder); snap its stops to ``city``'s drivable core if given.

    Raises
    ------
    GtfsError
        When the feed is missing or lacks a required file or column.
    """
    import pandas as pd

    src = Path(source)
    if not src.exists():
        raise GtfsError(f"GTFS feed not found: {src}")

    def table(name: str, required: bool = True):
        try:
            if src.is_dir():
                p = src / name
                if not p.exists():
                    raise KeyError(name)
                data = p.read_bytes()
            else:
                with zipfile.ZipFile(src) as z:
                    data = z.read(name)
        except KeyError:
            if required:
                raise GtfsError(f"GTFS feed {src}: {name} is missing") from None
            return None
        except zipfile.BadZipFile:
            raise GtfsError(f"GTFS feed {src} is not a zip file") from None
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")

    try:
        stops = table("stops.txt")
        routes = table("routes.txt")
        trips = table("trips.txt")
        st = table("stop_times.txt")
        cal = table("calendar.txt", required=False)
        dates = table("calendar_dates.txt", required=False)
        agency = table("agency.txt", required=False)
        if "location_type" in stops:       # optional: absent means every row is a stop (0)
            stops = stops[stops.location_type.isin(["", "0"])]
        stops = stops.reset_index(drop=True)
        stop_index = {s: i for i, s in enumerate(stops.stop_id)}
        names = stops.stop_name.str.strip().tolist()
        station_name = sorted(set(names))
        station_of = {n: i for i, n in enumerate(station_name)}
        stop_station = np.array([station_of[n] for n in names], np.int32)
        lon = stops.stop_lon.astype(float).to_numpy()
        lat = stops.stop_lat.astype(float).to_numpy()
        cnt = np.bincount(stop_station, minlength=len(station_name))
        station_lon = np.bincount(stop_station, lon, len(station_name)) / cnt
        station_lat = np.bincount(stop_station, lat, len(station_name)) / cnt
        route_index = {r: i for i, r in enumerate(routes.route_id)}
        service_id = sorted(set(trips.service_id)
                            | (set(cal.service_id) if cal is not None else set())
                            | (set(dates.service_id) if dates is not None else set()))
        service_index = {s: i for i, s in enumerate(service_id)}
        trip_index = {t: i for i, t in enumerate(trips.trip_id)}
        trip_route = trips.route_id.map(route_index).to_numpy()
        if np.isnan(trip_route.astype(float)).any():
            raise GtfsError(f"GTFS feed {src}: trips.txt names a route_id not in routes.txt")
        st = st[st.stop_id.isin(stop_index)].copy()
        st["ti"] = st.trip_id.map(trip_index)
        st = st[st.ti.notna()]
        st["ti"] = st.ti.astype(np.int64)
        st["seq"] = st.stop_sequence.astype(np.int64)
        st = st.sort_values(["ti", "seq"], kind="stable")
        dep_col = st.departure_time.where(st.departure_time != "", st.arrival_time)
        st_dep = _seconds(dep_col)
        st_stop = st.stop_id.map(stop_index).to_numpy(np.int32)
        st_trip = st.ti.to_numpy(np.int64)
    except (KeyError, AttributeError, ValueError) as exc:
        raise GtfsError(f"GTFS feed {src}: malformed ({exc})") from None

    n_trips = len(trips)
    ptr = np.searchsorted(st_trip, np.arange(n_trips + 1))
    pattern_of: dict[tuple, int] = {}
    trip_pattern = np.full(n_trips, -1, np.int32)
    p_route, p_stops, p_trips = [], [], []
    for t in range(n_trips):
        a, b = ptr[t], ptr[t + 1]
        if b - a < 2:
            continue
        key = (int(trip_route[t]),) + tuple(st_stop[a:b].tolist())
        p = pattern_of.get(key)
        if p is None:
            p = pattern_of[key] = len(p_stops)
            p_route.append(int(trip_route[t]))
            p_stops.append(st_stop[a:b].copy())
            p_trips.append([])
        p_trips[p].append(t)
        trip_pattern[t] = p
    p_times = []
    for p, ts in enumerate(p_trips):
        ts = np.asarray(ts, np.int64)
        times = np.stack([st_dep[ptr[t]:ptr[t + 1]] for t in ts])
        order = np.lexsort((ts, times[:, 0]))
        p_trips[p] = ts[order]
        p_times.append(times[order])

    calendar = {}
    start = end = None
    if cal is not None and len(cal):
        wd = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        for row in cal.itertuples(index=False):
            s0, s1 = _date(row.start_date), _date(row.end_date)
            calendar[service_index[row.service_id]] = (tuple(int(getattr(row, d)) for d in wd), s0, s1)
            start = s0 if start is None else min(start, s0)
            end = s1 if end is None else max(end, s1)
    exceptions = {}
    if dates is not None:
        for row in dates.itertuples(index=False):
            exceptions[(service_index[row.service_id], _date(row.date))] = int(row.exception_type)
    tt = Timetable(
        source=str(src), agency=(agency.agency_name.iloc[0] if agency is not None and len(agency) else ""),
        stop_id=stops.stop_id.tolist(), stop_name=names, stop_lon=lon, stop_lat=lat,
        stop_station=stop_station, station_name=station_name, station_lon=station_lon,
        station_lat=station_lat, route_id=routes.route_id.tolist(),
        route_short=routes.route_short_name.tolist(), route_long=routes.route_long_name.tolist(),
        route_type=routes.route_type.astype(int).to_numpy(), trip_id=trips.trip_id.tolist(),
        trip_route=trip_route.astype(np.int32), trip_service=trips.service_id.map(service_index).to_numpy(np.int32),
        trip_headsign=(trips.trip_headsign.tolist() if "trip_headsign" in trips else [""] * n_trips),
        trip_pattern=trip_pattern, service_id=service_id, calendar=calendar, exceptions=exceptions,
        pattern_route=np.asarray(p_route, np.int32), pattern_stops=p_stops, pattern_trips=p_trips,
        pattern_times=p_times, start=start, end=end)
    if city is not None:
        tt.stop_node = city.nearest_nodes(lon, lat, mode="both", core=True)
    return tt


def boost_frequency(tt: Timetable, route: str, factor: int = 2) -> Timetable:
    """The timetable with line ``route`` (short name) running ``factor`` × as often.

    Between two consecutive trips of one pattern and one service (the same stops, the same
    days), ``factor - 1`` copies of the earlier trip are inserted at even steps of the gap, with
    its running times; the first and last departures of the day stay as they were, so the span of
    service is unchanged and the headway is divided by ``factor``. The copies are named
    ``<trip_id>+<k>``. Nothing else changes (a what-if changes one thing).

    Raises
    ------
    GtfsError
        When the feed has no route of that short name, or ``factor`` is not 1..6.
    """
    if not (isinstance(factor, int) and 1 <= factor <= 6):
        raise GtfsError(f"factor must be an integer 1..6, got {factor!r}")
    routes = {i for i, r in enumerate(tt.route_short) if r == route}
    if not routes:
        raise GtfsError(f"route {route!r} is not a line of the feed {tt.source} "
                        f"(lines: {', '.join(sorted(set(tt.route_short))[:12])}, …)")
    trip_id, trip_route = list(tt.trip_id), [tt.trip_route]
    trip_service, trip_headsign, trip_pattern = [tt.trip_service], list(tt.trip_headsign), [tt.trip_pattern]
    p_trips, p_times = list(tt.pattern_trips), list(tt.pattern_times)
    n = tt.n_trips
    for p in range(tt.n_patterns):
        if int(tt.pattern_route[p]) not in routes or factor == 1:
            continue
        trips, times = tt.pattern_trips[p], tt.pattern_times[p]
        new_t, new_times = [], []
        for svc in np.unique(tt.trip_service[trips]):
            rows = np.nonzero(tt.trip_service[trips] == svc)[0]      # sorted by first departure
            for a, b in zip(rows[:-1], rows[1:]):
                gap = int(times[b, 0] - times[a, 0])
                for k in range(1, factor):
                    t = int(trips[a])
                    trip_id.append(f"{tt.trip_id[t]}+{k}")
                    trip_headsign.append(tt.trip_headsign[t])
                    new_t.append((t, n))
                    new_times.append(times[a] + (gap * k) // factor)
                    n += 1
        if not new_t:
            continue
        src = np.array([t for t, _ in new_t], np.int64)
        ids = np.array([i for _, i in new_t], np.int64)
        trip_route.append(tt.trip_route[src])
        trip_service.append(tt.trip_service[src])
        trip_pattern.append(np.full(len(ids), p, np.int32))
        all_trips = np.r_[trips, ids]
        all_times = np.vstack([times, np.asarray(new_times, times.dtype)])
        order = np.lexsort((all_trips, all_times[:, 0]))
        p_trips[p], p_times[p] = all_trips[order], all_times[order]
    return replace(tt, trip_id=trip_id, trip_route=np.concatenate(trip_route).astype(np.int32),
                   trip_service=np.concatenate(trip_service).astype(np.int32), trip_headsign=trip_headsign,
                   trip_pattern=np.concatenate(trip_pattern).astype(np.int32), pattern_trips=p_trips,
                   pattern_times=p_times)


def _date(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise GtfsError(f"GTFS date {text!r} is not YYYYMMDD") from None
