"""Journey planning on a GTFS timetable: RAPTOR with transfers, footpaths, access and egress.

This module owns the *transit network of one service day* and the search over it. It reads a
:class:`twin.gtfs.Timetable` and answers "how do I get from here to there, leaving at this time?"
with the Pareto set of journeys over (arrival time, number of transfers).

The search is RAPTOR (Delling, Pajor, Werneck, "Round-Based Public Transit Routing",
Transportation Science 49(3), 2015). Round ``k`` finds the earliest arrival at every stop using at
most ``k`` vehicles: it scans each *route pattern* (a sequence of stops served by trips that never
overtake one another) once, from the first stop improved in the previous round, hopping on the
earliest trip that can be caught and off at every stop it improves. After each round, footpaths
from the stops reached by vehicle relax their neighbours. The k-th round's arrival at the
destination is the best journey with ``k - 1`` transfers; keeping the rounds that improve it gives
the Pareto set. Two prunings from the paper keep it fast and exact: an arrival at a stop is kept
only if it beats every earlier round's arrival there by vehicle (*local pruning*) and the best
arrival at the destination found so far (*target pruning*).

The model (what the brute force in ``tests/transit_reference.py`` reproduces independently):

* **one walk between rides.** A journey is: walk from the origin to a stop (*access*), ride,
  then — between any two rides — at most one footpath to a nearby stop (or none: changing at the
  same platform takes no time), ride, …, and walk from the last alighting stop to the
  destination (*egress*). Walks never chain, so a footpath set that is not transitively closed
  is still searched exactly.
* **times.** The feed's departure time at a stop is also the arrival there (the loader keeps one
  time per stop; RATBV's feed gives the same for both). A vehicle can be boarded when the
  traveller is at the stop at or before its departure; there is no minimum change time.
  GTFS times are seconds after the service day's "noon minus 12 h", so times past 24:00:00 are
  kept (> 86,400 s): a night trip runs on into the next morning. :func:`raptor` searches one
  service day; :meth:`Planner.plan` also searches the day before while its night trips run,
  from the same instant, and keeps the better arrival for each number of rides.
* **walking.** Footpaths join stops within ``max_transfer_m`` (straight line, default 400 m).
  With a ``city`` their time is the walk-graph shortest path at ``walk_speed`` (the city's
  :meth:`router` ``("time", "walk")``) plus the straight-line snap from each stop to its nearest
  walkable node; without a city it is the straight-line distance × ``detour`` at ``walk_speed``.
  The default 1.3 is an assumption, not a measurement; on Brașov's *drive* extract (no
  footways) the walk graph gives a median 1.54 for the stop pairs more than 100 m apart within
  400 m (an upper bound: footways and passages are missing there). Access and egress are the
  same, between the origin or destination point and stops within ``max_access_m`` (default
  800 m). A walk-only journey (0 rides) is offered when
  origin and destination lie within ``max_walk_only_m`` of each other.

Data are numpy struct-of-arrays (stops, patterns, per-pattern trip × stop time matrices, CSR
footpaths). The rounds run in the Cython kernel :mod:`twin._raptor` over flat copies of them:
profiling the same rounds in plain Python (:func:`raptor_python`, kept as the readable
reference) showed all the time in the interpreted loop — ≈ 540 Brașov queries/s against the
kernel's ≈ 8,000/s (``benchmarks/test_bench_transit.py``, 0–4 rides each, on a 2-core machine
at load ≈ 4; ≈ 4,000/s at load ≈ 5.5).

The core stays self-contained: this module imports only the standard library, numpy,
``twin.errors``, ``twin._raptor`` and ``twin.routing`` (the latter only when a city is given).
"""
from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from twin.errors import TwinError

TZ = ZoneInfo("Europe/Bucharest")
WALK_SPEED_MPS = 1.4      # same as twin.routing.WALK_SPEED_MPS (not imported: it loads Cython)
DETOUR = 1.3              # walk-network / straight-line distance when no city is given
INF = 1 << 40             # "not reached" (an int, so comparisons stay integer)
SNAP_CACHE = 1_000_000    # points whose walk-graph snap a Walker keeps
EARTH_R = 6_371_008.8


class TransitError(TwinError):
    """A journey request that cannot be answered (a bad place, time or option)."""


# ---------------------------------------------------------------------------------------------
# geometry
def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (numpy-broadcasting)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, float)) for v in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


class Walker:
    """Walking times between points (seconds, rounded up), on a city's walk graph or not.

    Parameters
    ----------
    city
        A :class:`twin.city.City`, or None for straight line × ``detour``.
    walk_speed
        Metres per second.
    detour
        Network/straight-line factor used when ``city`` is None.
    """

    def __init__(self, city=None, walk_speed: float = WALK_SPEED_MPS, detour: float = DETOUR):
        if not (isinstance(walk_speed, (int, float)) and walk_speed > 0):
            raise TransitError(f"walk_speed must be > 0 m/s, got {walk_speed!r}")
        if not (isinstance(detour, (int, float)) and detour >= 1):
            raise TransitError(f"detour must be >= 1, got {detour!r}")
        self.city, self.speed, self.detour = city, float(walk_speed), float(detour)
        self._router = None
        self._router_lock = threading.Lock()
        self._snaps: dict[tuple[float, float], tuple[int, float]] = {}

    def _snap(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Nearest walk-core node of each point and the straight-line metres to it (each point
        snapped once: stops come back in every query, and a simulation's homes and workplaces
        in many; profiling door-to-door plans on Brașov showed snapping the stops again on
        every query as the largest single cost)."""
        lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
        cache = self._snaps
        keys = list(zip(lon.tolist(), lat.tolist()))
        missing = [k for k in dict.fromkeys(keys) if k not in cache]
        new: dict = {}
        if missing:
            mlon, mlat = np.array([k[0] for k in missing]), np.array([k[1] for k in missing])
            city = self.city
            nodes = city.nearest_nodes(mlon, mlat, mode="walk", core=True)
            x, y = city.project(mlon, mlat)
            a = city.arrays
            gap = np.hypot(a["node_x"][nodes] - x, a["node_y"][nodes] - y)
            new = dict(zip(missing, zip(nodes.tolist(), gap.tolist())))
            # a full cache is replaced, never cleared: a planner shared by two threads (two twins
            # on one City) may be reading it (cleared under it, a lookup failed with KeyError)
            if len(cache) + len(new) > SNAP_CACHE:
                self._snaps = dict(new)
            else:
                cache.update(new)
        got = [new[k] if k in new else cache[k] for k in keys]
        return np.array([g[0] for g in got], np.int32), np.array([g[1] for g in got], np.float64)

    def times(self, lon1, lat1, lon2, lat2) -> np.ndarray:
        """Walking seconds from each point 1 to the point 2 beside it (int64; -1: no path)."""
        lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float))
                                                       for v in (lon1, lat1, lon2, lat2)))
        if self.city is None:
            metres = haversine_m(lon1, lat1, lon2, lat2) * self.detour
            return np.ceil(metres / self.speed).astype(np.int64)
        n1, g1 = self._snap(lon1, lat1)
        n2, g2 = self._snap(lon2, lat2)
        return self.snapped_times(n1, g1, n2, g2)

    def snapped_times(self, n1, g1, n2, g2) -> np.ndarray:
        """:meth:`times` between points already snapped (:meth:`_snap`: walk node, gap metres)."""
        router = self._router
        if router is None:
            with self._router_lock:          # two threads of one planner build it once, not twice
                if self._router is None:
                    from twin.routing import Router

                    self._router = Router(self.city, metric="time", mode="walk", walk_speed=self.speed)
                router = self._router
        ms = router.distances(n1, n2).astype(np.int64)
        secs = np.ceil(ms / 1000 + (g1 + g2) / self.speed).astype(np.int64)
        return np.where(ms < 0, -1, secs)


# ---------------------------------------------------------------------------------------------
# the network of one service day
@dataclass
class TransitNetwork:
    """The trips running on one service day, grouped for RAPTOR (numpy struct-of-arrays).

    Attributes
    ----------
    day
        The service date searched.
    pattern_stops
        Stop indices of each pattern, in order (list of int32 arrays).
    pattern_times
        Per pattern, an int32 matrix trips × stops of departure seconds; the trips of a pattern
        never overtake one another, so every column is sorted (the paper's FIFO condition; a
        feed pattern whose trips overtake is split).
    pattern_trip
        Per pattern, the GTFS trip index of each row.
    pattern_route
        Route index of each pattern.
    foot_from, foot_to, foot_s
        Footpaths between stops (both directions listed), walking seconds.
    """

    tt: object
    day: date
    walker: Walker
    max_transfer_m: float
    pattern_stops: list[np.ndarray]
    pattern_times: list[np.ndarray]
    pattern_trip: list[np.ndarray]
    pattern_route: np.ndarray
    foot_from: np.ndarray
    foot_to: np.ndarray
    foot_s: np.ndarray
    _lists: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, tt, day: date, city=None, *, max_transfer_m: float = 400.0,
              walk_speed: float = WALK_SPEED_MPS, detour: float = DETOUR) -> TransitNetwork:
        """The network of the trips running on ``day`` (a date the feed covers, or the same
        weekday in its first week: :meth:`twin.gtfs.Timetable.service_date`)."""
        if not (isinstance(max_transfer_m, (int, float)) and 0 <= max_transfer_m <= 5000):
            raise TransitError(f"max_transfer_m must be 0..5000 m, got {max_transfer_m!r}")
        walker = Walker(city, walk_speed, detour)
        running = tt.trips_on(day)
        p_stops, p_times, p_trip, p_route = [], [], [], []
        for p in range(tt.n_patterns):
            trips = tt.pattern_trips[p]
            keep = running[trips]
            if not keep.any():
                continue
            for rows in _fifo_groups(tt.pattern_times[p][keep]):
                p_stops.append(tt.pattern_stops[p].astype(np.int32))
                p_times.append(np.ascontiguousarray(tt.pattern_times[p][keep][rows], np.int32))
                p_trip.append(trips[keep][rows].astype(np.int64))
                p_route.append(int(tt.pattern_route[p]))
        # footpaths: pairs of distinct stops within max_transfer_m in a straight line
        lon, lat = tt.stop_lon, tt.stop_lat
        a_idx, b_idx = [], []
        for s in range(tt.n_stops):
            d = haversine_m(lon[s], lat[s], lon, lat)
            near = np.nonzero(d <= max_transfer_m)[0]
            near = near[near != s]
            a_idx.append(np.full(len(near), s, np.int32))
            b_idx.append(near.astype(np.int32))
        fa = np.concatenate(a_idx) if a_idx else np.zeros(0, np.int32)
        fb = np.concatenate(b_idx) if b_idx else np.zeros(0, np.int32)
        fs = walker.times(lon[fa], lat[fa], lon[fb], lat[fb]) if len(fa) else np.zeros(0, np.int64)
        ok = fs >= 0
        return cls(tt=tt, day=day, walker=walker, max_transfer_m=float(max_transfer_m),
                   pattern_stops=p_stops, pattern_times=p_times, pattern_trip=p_trip,
                   pattern_route=np.asarray(p_route, np.int32),
                   foot_from=fa[ok], foot_to=fb[ok], foot_s=fs[ok])

    @property
    def n_patterns(self) -> int:
        return len(self.pattern_stops)

    @property
    def last_time(self) -> int:
        """The latest time of any trip that day (seconds; past 86,400 for night trips)."""
        if "last_time" not in self._lists:
            self._lists["last_time"] = max((int(t.max()) for t in self.pattern_times if t.size), default=0)
        return self._lists["last_time"]

    @property
    def n_trips(self) -> int:
        return int(sum(len(t) for t in self.pattern_trip))

    def flat(self) -> dict:
        """The flat arrays of the Cython kernel (built once)."""
        if "flat" not in self._lists:
            self._lists["flat"] = _flat(self)
        return self._lists["flat"]

    def lists(self) -> dict:
        """The arrays as plain Python lists for the scan (built once)."""
        if "cols" not in self._lists:
            n = self.tt.n_stops
            stop_patterns: list[list[tuple[int, int]]] = [[] for _ in range(n)]
            for p, st in enumerate(self.pattern_stops):
                for i, s in enumerate(st.tolist()):
                    stop_patterns[s].append((p, i))
            foot: list[list[tuple[int, int]]] = [[] for _ in range(n)]
            for a, b, s in zip(self.foot_from.tolist(), self.foot_to.tolist(), self.foot_s.tolist()):
                foot[a].append((b, s))
            self._lists.update(
                stops=[st.tolist() for st in self.pattern_stops],
                cols=[[col.tolist() for col in t.T] for t in self.pattern_times],
                stop_patterns=stop_patterns, foot=foot)
        return self._lists


def _flat(net: TransitNetwork) -> dict:
    """The network as the flat arrays of the kernel (see :mod:`twin._raptor`)."""
    n = net.tt.n_stops
    lens = np.array([len(st) for st in net.pattern_stops], np.int64)
    ntrip = np.array([len(t) for t in net.pattern_times], np.int32)
    pat_ptr = np.r_[0, np.cumsum(lens)].astype(np.int64)
    pat_stop = (np.concatenate(net.pattern_stops) if len(lens) else np.zeros(0)).astype(np.int32)
    pat_toff = np.r_[0, np.cumsum(lens * ntrip)][:-1].astype(np.int64) if len(lens) else np.zeros(0, np.int64)
    times = (np.concatenate([t.T.ravel() for t in net.pattern_times]) if len(lens)
             else np.zeros(0)).astype(np.int32)
    # the same times trip-major (a trip's stops adjacent), for the scan along a trip
    times_tm = (np.concatenate([t.ravel() for t in net.pattern_times]) if len(lens)
                else np.zeros(0)).astype(np.int32)
    pat_of = np.repeat(np.arange(len(lens), dtype=np.int32), lens)
    pos_of = (np.arange(len(pat_stop)) - pat_ptr[pat_of]).astype(np.int32)
    order = np.lexsort((pos_of, pat_of, pat_stop))
    sp_ptr = np.r_[0, np.cumsum(np.bincount(pat_stop, minlength=n))].astype(np.int64)
    fo = np.lexsort((net.foot_to, net.foot_from))
    foot_ptr = np.r_[0, np.cumsum(np.bincount(net.foot_from, minlength=n))].astype(np.int64)
    return {"pat_ptr": pat_ptr, "pat_stop": pat_stop, "pat_ntrip": ntrip, "pat_toff": pat_toff,
            "times": np.ascontiguousarray(times), "times_tm": np.ascontiguousarray(times_tm), "sp_ptr": sp_ptr,
            "sp_pat": np.ascontiguousarray(pat_of[order]), "sp_pos": np.ascontiguousarray(pos_of[order]),
            "foot_ptr": foot_ptr, "foot_to": np.ascontiguousarray(net.foot_to[fo], np.int32),
            "foot_w": np.ascontiguousarray(net.foot_s[fo], np.int64)}


def _fifo_groups(times: np.ndarray) -> list[np.ndarray]:
    """Split the rows of a trips × stops matrix (sorted by first departure) into groups whose
    trips never overtake: within a group every column is non-decreasing."""
    groups: list[list[int]] = []
    for r in range(len(times)):
        for g in groups:
            if (times[g[-1]] <= times[r]).all():
                g.append(r)
                break
        else:
            groups.append([r])
    return [np.asarray(g, np.int64) for g in groups]


# ---------------------------------------------------------------------------------------------
# RAPTOR
@dataclass
class RaptorResult:
    """What one RAPTOR search found: per round ``k`` (0..R) and stop, arrays to rebuild journeys.

    ``target[k]`` is the earliest arrival at the destination with at most ``k`` rides
    (``k = 0``: walking only), ``INF`` if none; ``target_stop[k]`` the stop alighted at to walk
    there when round ``k`` improved it (else -1). ``board[k, s]``: earliest time ready to board
    at ``s`` with ``k`` rides; ``src_kind[k, s]``: how round ``k`` improved it (0 it did not,
    1 access walk, 2 alighted there, 3 walked there from ``src_from[k, s]``); ``ride_*[k, s]``:
    the vehicle arrival at ``s`` in round ``k`` (pattern, trip row, boarding and alighting
    positions, time). ``src_from`` and ``ride_*`` hold something only where round ``k`` wrote
    them — where ``src_kind`` is 3, at the stops a vehicle reached (``src_kind`` 2, the
    ``src_from`` of a 3, ``target_stop``): the kernel leaves the rest uninitialised (filling
    ten arrays per query cost a third of its time); :func:`raptor_python` fills them (``INF``
    and -1).
    """

    target: list[int]
    target_stop: list[int]
    board: np.ndarray
    src_kind: np.ndarray
    src_from: np.ndarray
    ride_arr: np.ndarray
    ride_pat: np.ndarray
    ride_row: np.ndarray
    ride_bpos: np.ndarray
    ride_apos: np.ndarray

    @classmethod
    def empty(cls, rounds: int, n: int) -> RaptorResult:
        shape = (rounds + 1, n)
        return cls(target=[], target_stop=[], board=np.full(shape, INF, np.int64),
                   src_kind=np.zeros(shape, np.int8), src_from=np.full(shape, -1, np.int32),
                   ride_arr=np.full(shape, INF, np.int64), ride_pat=np.full(shape, -1, np.int32),
                   ride_row=np.full(shape, -1, np.int32), ride_bpos=np.full(shape, -1, np.int32),
                   ride_apos=np.full(shape, -1, np.int32))


def raptor(net: TransitNetwork, access: dict[int, int], egress: dict[int, int], depart_s: int,
           max_rides: int, direct_s: int | None = None) -> RaptorResult:
    """Earliest arrivals with 0..``max_rides`` rides (the module docstring gives the model), by
    the Cython kernel :class:`twin._raptor.Query`.

    Parameters
    ----------
    net
        The day's network.
    access, egress
        Stop → walking seconds from the origin / to the destination.
    depart_s
        Departure, seconds after the service day's start.
    max_rides
        Rounds to run (transfers + 1).
    direct_s
        Walking seconds from origin to destination, or None when walking all the way is not an
        option.
    """
    try:
        from twin import _raptor
    except ImportError as exc:
        from twin.errors import kernel_missing

        raise kernel_missing("twin._raptor", exc) from None
    q = _raptor.Query(net.flat(), max_rides, INF)     # fresh output rows: the result keeps them
    q.run(access, egress, int(depart_s), int(depart_s + direct_s) if direct_s is not None else INF)
    return RaptorResult(q.target.tolist(), q.target_stop.tolist(), q.board, q.src_kind, q.src_from,
                        q.ride_arr, q.ride_pat, q.ride_row, q.ride_bpos, q.ride_apos)


def raptor_python(net: TransitNetwork, access: dict[int, int], egress: dict[int, int], depart_s: int,
                  max_rides: int, direct_s: int | None = None) -> RaptorResult:
    """:func:`raptor` in plain Python (the kernel's reference, and the readable version).

    It runs at ≈ 300 Brașov queries/s; the kernel at tens of times that (see the benchmark).
    """
    L = net.lists()
    stops_of, cols, stop_patterns, foot = L["stops"], L["cols"], L["stop_patterns"], L["foot"]
    n = net.tt.n_stops
    res = RaptorResult.empty(max_rides, n)
    best_ride = [INF] * n           # local pruning: best arrival by vehicle in any round
    board = [INF] * n
    marked = set()
    for s, w in access.items():
        if depart_s + w < board[s]:
            board[s] = depart_s + w
            res.src_kind[0, s] = 1
            marked.add(s)
    res.board[0] = board
    tbest = depart_s + direct_s if direct_s is not None else INF
    res.target, res.target_stop = [tbest], [-1]
    for k in range(1, max_rides + 1):
        prev = board
        board = prev.copy()
        ride: dict[int, tuple] = {}
        tstop = -1
        # the patterns to scan, each from its earliest marked stop
        start: dict[int, int] = {}
        for s in marked:
            for p, i in stop_patterns[s]:
                if i < start.get(p, INF):
                    start[p] = i
        for p, i0 in start.items():
            st = stops_of[p]
            pc = cols[p]
            ntrip = len(pc[0])
            t = ntrip                  # current trip row (ntrip: none yet)
            board_pos = -1
            for i in range(i0, len(st)):
                s = st[i]
                col = pc[i]
                if t < ntrip:
                    arr = col[t]
                    if arr < best_ride[s] and arr < tbest:
                        best_ride[s] = arr
                        ride[s] = (arr, p, t, board_pos, i)
                r = prev[s]
                if r < INF and (t == ntrip or r <= col[t]):
                    t2 = bisect.bisect_left(col, r, 0, t)
                    if t2 < t:
                        t, board_pos = t2, i
        # vehicle arrivals: ready to board there, egress and footpaths from there
        marked = set()
        for s, (arr, p, t, b, i) in ride.items():
            res.ride_arr[k, s], res.ride_pat[k, s], res.ride_row[k, s] = arr, p, t
            res.ride_bpos[k, s], res.ride_apos[k, s] = b, i
            if arr < board[s]:
                board[s] = arr
                res.src_kind[k, s] = 2
                marked.add(s)
            e = egress.get(s)
            if e is not None and arr + e < tbest:
                tbest, tstop = arr + e, s
        for s, (arr, *_) in ride.items():
            for q, w in foot[s]:
                if arr + w < board[q]:
                    board[q] = arr + w
                    res.src_kind[k, q], res.src_from[k, q] = 3, s
                    marked.add(q)
        res.board[k] = board
        res.target.append(tbest)
        res.target_stop.append(tstop)
    return res


# ---------------------------------------------------------------------------------------------
# journeys
@dataclass(slots=True)
class Ride:
    """One ride of an :class:`Itinerary`, as indices into the timetable (for a simulation).

    ``pattern`` is the :class:`twin.gtfs.Timetable` pattern (``tt.pattern_stops[pattern]``),
    ``trip`` the GTFS trip index, ``board_pos``/``alight_pos`` positions in the pattern's stops,
    ``board_stop``/``alight_stop`` stop indices; ``departure``/``arrival`` are seconds after the
    query's departure (the timetable's times at those two stops)."""

    pattern: int
    trip: int
    board_pos: int
    alight_pos: int
    board_stop: int
    alight_stop: int
    departure: int
    arrival: int
    walk_before: int = 0     # seconds walked just before boarding (access, or a transfer walk)


@dataclass(slots=True)
class Itinerary:
    """A journey of the Pareto set in seconds after leaving (what a simulated rider follows).

    ``arrival`` is the arrival at the destination and ``egress`` the last walk (seconds after
    ``leave``, the instant of leaving); ``rides`` in order, each with the walk just before it
    (the access walk, or a transfer walk; 0 for a change at the same stop). No rides: walking
    all the way, ``arrival`` seconds. Waiting is the rest:
    ``arrival - walk - in_vehicle``. :meth:`Planner.journey` turns it into a :class:`Journey`
    with stops, names and clock times.
    """

    arrival: int
    egress: int
    rides: list[Ride]
    leave: datetime | None = None

    @property
    def in_vehicle(self) -> int:
        return sum(r.arrival - r.departure for r in self.rides)

    @property
    def walk(self) -> int:
        if not self.rides:
            return self.arrival
        return self.egress + sum(r.walk_before for r in self.rides)

    @property
    def wait(self) -> int:
        return self.arrival - self.walk - self.in_vehicle

    @property
    def transfers(self) -> int:
        return max(len(self.rides) - 1, 0)


@dataclass
class Leg:
    """One part of a journey: ``kind`` is ``"walk"`` or ``"ride"``.

    Times are timezone-aware datetimes in Europe/Bucharest. A ride names its ``route`` (short
    name), ``headsign`` and GTFS ``trip``; stops are GTFS ``stop_id``s with their names
    (``None`` for the origin or destination point of a walk).
    """

    kind: str
    departure: datetime
    arrival: datetime
    from_stop: str | None = None
    from_name: str = ""
    to_stop: str | None = None
    to_name: str = ""
    route: str = ""
    headsign: str = ""
    trip: str = ""

    @property
    def minutes(self) -> float:
        return (self.arrival - self.departure).total_seconds() / 60


@dataclass
class Journey:
    """A journey of the Pareto set: its legs, arrival and number of transfers (rides - 1)."""

    legs: list[Leg]
    departure: datetime
    arrival: datetime
    rides: int

    @property
    def transfers(self) -> int:
        return max(self.rides - 1, 0)

    def as_dict(self) -> dict:
        """JSON-ready: ISO 8601 local times, legs as dicts (for the chatbot, an API, a log)."""
        def leg(g: Leg) -> dict:
            d = {"kind": g.kind, "departure": g.departure.isoformat(), "arrival": g.arrival.isoformat(),
                 "from_stop": g.from_stop, "from_name": g.from_name, "to_stop": g.to_stop, "to_name": g.to_name}
            if g.kind == "ride":
                d |= {"route": g.route, "headsign": g.headsign, "trip": g.trip}
            return d

        return {"departure": self.departure.isoformat(), "arrival": self.arrival.isoformat(),
                "rides": self.rides, "transfers": self.transfers, "legs": [leg(g) for g in self.legs]}

    def describe(self) -> str:
        """One line per leg, for people (the chatbot can phrase it its own way)."""
        out = []
        for g in self.legs:
            hhmm = f"{g.departure:%H:%M}–{g.arrival:%H:%M}"
            if g.kind == "walk":
                out.append(f"{hhmm} walk {g.from_name or 'start'} → {g.to_name or 'destination'}")
            else:
                out.append(f"{hhmm} bus {g.route} ({g.headsign}) {g.from_name} → {g.to_name}")
        return "\n".join(out)


def service_start(day: date) -> datetime:
    """GTFS time 0 of a service day: noon minus 12 h, local time (differs from midnight by the
    hour on the two days a year the clocks change)."""
    # aware-datetime arithmetic within one tzinfo is wall-clock arithmetic in Python: go by UTC
    return (datetime.combine(day, time(12), TZ).astimezone(UTC) - timedelta(hours=12)).astimezone(TZ)


def at_seconds(t0: datetime, seconds: int) -> datetime:
    """``t0`` plus elapsed ``seconds`` (by the clock on the wall of a real second, not wall
    time: across a clock change 01:00 + 3 h can be 05:00), in Europe/Bucharest."""
    return (t0.astimezone(UTC) + timedelta(seconds=int(seconds))).astimezone(TZ)


class Planner:
    """Journey planning on a GTFS timetable (see the module docstring).

    Parameters
    ----------
    tt
        A :class:`twin.gtfs.Timetable`.
    city
        A :class:`twin.city.City` for walk-graph walking times, or None (straight line ×
        ``detour``).
    max_transfer_m, max_access_m, max_walk_only_m
        Straight-line radius of footpaths between stops, of access/egress walks, and the
        distance below which walking all the way is offered.
    walk_speed, detour
        See :class:`Walker`.

    Examples
    --------
    >>> planner = Planner(load_gtfs("brasov_ratbv_gtfs.zip"))            # doctest: +SKIP
    >>> for j in planner.plan((25.6133, 45.6606), (25.6280, 45.6370),
    ...                       datetime(2025, 3, 4, 8, 0, tzinfo=TZ)):   # doctest: +SKIP
    ...     print(j.transfers, j.arrival, j.describe())
    """

    def __init__(self, tt, city=None, *, max_transfer_m: float = 400.0, max_access_m: float = 800.0,
                 max_walk_only_m: float = 2000.0, walk_speed: float = WALK_SPEED_MPS,
                 detour: float = DETOUR):
        for name, v in (("max_access_m", max_access_m), ("max_walk_only_m", max_walk_only_m)):
            if not (isinstance(v, (int, float)) and 0 <= v <= 10_000):
                raise TransitError(f"{name} must be 0..10000 m, got {v!r}")
        self.tt, self.city = tt, city
        self.max_transfer_m, self.max_access_m = float(max_transfer_m), float(max_access_m)
        self.max_walk_only_m = float(max_walk_only_m)
        self.walker = Walker(city, walk_speed, detour)
        self._nets: dict[date, TransitNetwork] = {}
        self._search_days: dict[date, list] = {}     # date → [(network, service start)] of it and the day before
        self._stop_index = {s: i for i, s in enumerate(tt.stop_id)}
        self._stop_snap: tuple[np.ndarray, np.ndarray] | None = None   # (walk node, gap m) per stop
        self._queries = threading.local()       # per thread: (network, day, rounds) → _raptor.Query
        # a planner may serve two threads (a control room's live twin and a study on one City,
        # the API's workers): its caches are filled whole under this lock or replaced, never
        # changed in place while read; each search has its own scratch arrays
        self._lock = threading.Lock()

    def network(self, day: date) -> TransitNetwork:
        """The network of the service day that applies to ``day`` (built once per date, also
        when two threads ask at once: the build holds a lock, and a network is published only
        once whole, with its kernel arrays)."""
        sday, _ = self.tt.service_date(day)
        net = self._nets.get(sday)
        if net is None:
            with self._lock:
                net = self._nets.get(sday)
                if net is None:
                    net = TransitNetwork.build(self.tt, sday, self.city, max_transfer_m=self.max_transfer_m,
                                               walk_speed=self.walker.speed, detour=self.walker.detour)
                    net.walker = self.walker
                    net.flat()
                    self._nets[sday] = net
        return net

    # ---- places --------------------------------------------------------------------------------
    def _place(self, place, role: str) -> tuple[float, float, dict[int, int] | None]:
        """(lon, lat, own stops) of an origin/destination: a ``(lon, lat)`` pair, a stop index,
        a GTFS ``stop_id`` or a station name (all its platforms). A stop or station is a place
        like any other (its position, or its platforms' mean): its own platforms are reached
        without a walk, other stops by walking (:meth:`endpoints`)."""
        tt = self.tt
        if isinstance(place, (tuple, list)) and len(place) == 2:
            try:
                lon, lat = float(place[0]), float(place[1])
            except (TypeError, ValueError):
                raise TransitError(f"{role}={place!r} is not a (lon, lat) pair of numbers") from None
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise TransitError(f"{role}={place!r} is not a (lon, lat) pair in range")
            return lon, lat, None
        if isinstance(place, (int, np.integer)) and not isinstance(place, bool):
            if not 0 <= place < tt.n_stops:
                raise TransitError(f"{role}={place!r}: stop index outside 0..{tt.n_stops - 1}")
            return float(tt.stop_lon[place]), float(tt.stop_lat[place]), {int(place): 0}
        if isinstance(place, str):
            if place in self._stop_index:
                s = self._stop_index[place]
                return float(tt.stop_lon[s]), float(tt.stop_lat[s]), {s: 0}
            stations = tt.stations_named(place)
            if stations:
                stops = np.nonzero(np.isin(tt.stop_station, stations))[0]
                return (float(tt.stop_lon[stops].mean()), float(tt.stop_lat[stops].mean()),
                        {int(s): 0 for s in stops})
            raise TransitError(f"{role}={place!r} is neither a stop_id nor a station name of the feed")
        raise TransitError(f"{role}={place!r} must be (lon, lat), a stop index, a stop_id or a station name")

    def walks(self, lon: float, lat: float, to_stops: bool, radius_m: float | None = None) -> dict[int, int]:
        """Stop → walking seconds between a point and every stop within ``radius_m`` (straight
        line; default ``max_access_m``): from the point to the stops (``to_stops``) or back."""
        tt = self.tt
        d = haversine_m(lon, lat, tt.stop_lon, tt.stop_lat)
        near = np.nonzero(d <= (self.max_access_m if radius_m is None else radius_m))[0]
        if not len(near):
            return {}
        w = self.walker
        if w.city is None:
            if to_stops:
                secs = w.times(lon, lat, tt.stop_lon[near], tt.stop_lat[near])
            else:
                secs = w.times(tt.stop_lon[near], tt.stop_lat[near], lon, lat)
        else:       # as Walker.times, the stops snapped once for all queries (what a run asks most)
            if self._stop_snap is None:
                self._stop_snap = w._snap(tt.stop_lon, tt.stop_lat)
            n0, g0 = w._snap(lon, lat)
            sn, sg = self._stop_snap[0][near], self._stop_snap[1][near]
            pn, pg = np.full(len(near), n0[0], np.int32), np.full(len(near), g0[0])
            secs = w.snapped_times(pn, pg, sn, sg) if to_stops else w.snapped_times(sn, sg, pn, pg)
        return {int(s): int(w) for s, w in zip(near, secs) if w >= 0}

    def endpoints(self, origin, destination) -> tuple[dict, dict, int | None]:
        """Access walks, egress walks and the walk-only seconds (None: too far) of a query.

        Walks go to every stop within ``max_access_m`` of the place; a stop or station given by
        name or id is also reached in 0 s (all its platforms)."""
        olon, olat, ofix = self._place(origin, "origin")
        dlon, dlat, dfix = self._place(destination, "destination")
        access = self.walks(olon, olat, True) | (ofix or {})
        egress = self.walks(dlon, dlat, False) | (dfix or {})
        direct = None
        if float(haversine_m(olon, olat, dlon, dlat)) <= self.max_walk_only_m:
            w = int(self.walker.times(olon, olat, dlon, dlat)[0])
            direct = w if w >= 0 else None
        return access, egress, direct

    # ---- the query -----------------------------------------------------------------------------
    def plan(self, origin, destination, depart: datetime, *, max_transfers: int = 3) -> list[Journey]:
        """The Pareto set of journeys over (arrival, transfers), fastest last.

        Parameters
        ----------
        origin, destination
            ``(lon, lat)``, a stop index, a GTFS ``stop_id``, or a station name (any platform).
        depart
            Leaving time; a naive datetime is Europe/Bucharest local time.
        max_transfers
            0..8.

        Returns
        -------
        list of Journey
            Fewest rides first; each later one arrives strictly earlier. Empty if none.
        """
        if not isinstance(depart, datetime):
            raise TransitError(f"depart={depart!r} must be a datetime")
        if not (isinstance(max_transfers, int) and 0 <= max_transfers <= 8):
            raise TransitError(f"max_transfers must be 0..8, got {max_transfers!r}")
        local = depart.replace(tzinfo=TZ) if depart.tzinfo is None else depart.astimezone(TZ)
        access, egress, direct = self.endpoints(origin, destination)
        return [self.journey(it) for it in self.search(access, egress, direct, local, max_transfers)]

    def search(self, access: dict[int, int], egress: dict[int, int], direct: int | None, depart: datetime,
               max_transfers: int = 3) -> list[Itinerary]:
        """The Pareto set of :meth:`plan` as :class:`Itinerary` s, for given walks (what a
        simulation calls: it keeps the walks of its places, :meth:`walks`).

        ``depart`` is an aware datetime (or naive Europe/Bucharest local time).
        """
        local = depart.replace(tzinfo=TZ) if depart.tzinfo is None else depart.astimezone(TZ)
        # today's service day, and yesterday's while its night trips (GTFS times past 24:00)
        # still run: each searched from the same instant, the better arrival per round kept
        searches = []
        days = self._search_days.get(local.date())
        if days is None:        # the two service days' networks and starts, once per date
            days = [(self.network(day), service_start(day)) for day in (local.date(), local.date() - timedelta(days=1))]
            self._search_days[local.date()] = days
        at = local.astimezone(UTC)
        for back, (net, t0) in enumerate(days):
            depart_s = int((at - t0).total_seconds())
            if back and depart_s > net.last_time:
                continue
            res = self._raptor(net, back, access, egress, depart_s, max_transfers + 1, direct)
            searches.append((net, res, t0, depart_s))
        out: list[Itinerary] = []
        last = INF
        for k in range(max_transfers + 2):
            took = min(searches, key=lambda q: q[1].target[k] - q[3])   # seconds after leaving
            net, res, t0, depart_s = took
            if res.target[k] >= INF or res.target[k] - depart_s >= last:
                continue
            out.append(self._trace(net, res, k, access, egress, direct, depart_s, t0))
            last = res.target[k] - depart_s
        return out

    def _raptor(self, net: TransitNetwork, back: int, access, egress, depart_s: int, max_rides: int,
                direct_s: int | None) -> RaptorResult:
        """:func:`raptor` on this thread's :class:`twin._raptor.Query` of ``net`` (the network's
        arrays bound once, its own output rows: the result holds them until this thread's next
        search of the same network and day)."""
        cache = getattr(self._queries, "q", None)
        if cache is None:
            cache = self._queries.q = {}
        key = (id(net), back, max_rides)
        q = cache.get(key)
        if q is None:
            from twin import _raptor

            q = cache[key] = _raptor.Query(net.flat(), max_rides, INF)
        q.run(access, egress, int(depart_s), int(depart_s + direct_s) if direct_s is not None else INF)
        return RaptorResult(q.target.tolist(), q.target_stop.tolist(), q.board, q.src_kind, q.src_from,
                            q.ride_arr, q.ride_pat, q.ride_row, q.ride_bpos, q.ride_apos)

    def earliest_arrivals(self, origin, destination, depart_s: int, day: date, max_rides: int = 4,
                          *, kernel: bool = True) -> list[int]:
        """Earliest arrival (service-day seconds, ``INF`` unreachable) with 0..max_rides rides —
        the raw figures the validation compares; ``kernel=False`` runs :func:`raptor_python`."""
        access, egress, direct = self.endpoints(origin, destination)
        search = raptor if kernel else raptor_python
        return search(self.network(day), access, egress, depart_s, max_rides, direct).target

    def _trace(self, net, res: RaptorResult, k: int, access, egress, direct, depart_s, t0) -> Itinerary:
        """Rebuild the itinerary of round ``k`` backwards from the destination (rides in order)."""
        tt = self.tt
        leave = at_seconds(t0, depart_s)
        if k == 0:
            return Itinerary(int(direct), 0, [], leave)
        rides: list[Ride] = []
        s = res.target_stop[k]
        rnd = k
        while True:
            p, row = int(res.ride_pat[rnd, s]), int(res.ride_row[rnd, s])
            bpos, apos = int(res.ride_bpos[rnd, s]), int(res.ride_apos[rnd, s])
            times = net.pattern_times[p]
            trip = int(net.pattern_trip[p][row])
            b = int(net.pattern_stops[p][bpos])
            ride = Ride(int(tt.trip_pattern[trip]), trip, bpos, apos, b, int(s),
                        int(times[row, bpos]) - depart_s, int(times[row, apos]) - depart_s)
            rides.append(ride)
            # how was b reached, ready to board, by round rnd - 1? (the last round that improved it)
            r = rnd - 1
            while r > 0 and res.src_kind[r, b] == 0:
                r -= 1
            kind = int(res.src_kind[r, b])
            if kind == 1:
                ride.walk_before = int(access[b])
                break
            if kind == 3:
                frm = int(res.src_from[r, b])
                ride.walk_before = int(res.board[r, b] - res.ride_arr[r, frm])
                s = frm
            elif kind == 2:
                s = b
            else:  # pragma: no cover - a bug, not an input
                raise AssertionError(f"RAPTOR labels lost at stop {b}, round {r}")
            rnd = r
        rides.reverse()
        return Itinerary(int(res.target[k]) - depart_s, int(egress[rides[-1].alight_stop]), rides, leave)

    def journey(self, it: Itinerary) -> Journey:
        """The :class:`Journey` of an itinerary: legs with stops, names, lines and clock times."""
        tt = self.tt

        def at(seconds) -> datetime:
            return at_seconds(it.leave, int(seconds))

        if not it.rides:
            dep, arr = at(0), at(it.arrival)
            return Journey([Leg("walk", dep, arr)], dep, arr, 0)
        legs: list[Leg] = []
        prev = None
        for r in it.rides:
            b, a = r.board_stop, r.alight_stop
            if r.walk_before and prev is None:
                legs.append(Leg("walk", at(r.departure - r.walk_before), at(r.departure), None, "",
                                tt.stop_id[b], tt.stop_name[b]))
            elif r.walk_before:
                legs.append(Leg("walk", at(prev.arrival), at(prev.arrival + r.walk_before),
                                tt.stop_id[prev.alight_stop], tt.stop_name[prev.alight_stop],
                                tt.stop_id[b], tt.stop_name[b]))
            legs.append(Leg("ride", at(r.departure), at(r.arrival), tt.stop_id[b], tt.stop_name[b],
                            tt.stop_id[a], tt.stop_name[a], tt.route_short[tt.pattern_route[r.pattern]],
                            tt.trip_headsign[r.trip], tt.trip_id[r.trip]))
            prev = r
        if it.egress:
            legs.append(Leg("walk", at(prev.arrival), at(prev.arrival + it.egress),
                            tt.stop_id[prev.alight_stop], tt.stop_name[prev.alight_stop]))
        return Journey(legs, legs[0].departure, legs[-1].arrival, len(it.rides))
