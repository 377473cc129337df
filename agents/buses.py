"""Buses as vehicles: every GTFS trip of the day is a vehicle that drives its route.

A :class:`Buses` fleet runs the day's trips of a :class:`twin.gtfs.Timetable` (the trips
:meth:`~twin.gtfs.Timetable.trips_on` each simulated date, created an hour before the service
day starts). Each trip is one vehicle that goes from stop to stop of its pattern:

* **driving.** Between two stops it drives the road path the journeys index found (the fastest
  drive path between the stops' road nodes): the sum of the edges' free-flow times at the
  current conditions (snow and ice slow every road), plus :attr:`VehicleParams.stop_loss_s`
  (braking and pulling out) after a stop where it stopped. In queue traffic
  (:mod:`twin.traffic`, ``traffic: queue``) each edge takes the longer of its free-flow time
  and the mean time cars spent on it over the last :data:`TRAFFIC_REFRESH_S` (read from the
  road network's ``exits`` and ``time_on`` counters; the kernel is not touched): a bus runs
  late when the road is slow. Buses do not take road capacity themselves.
* **dwelling.** At a stop where someone gets off or on it stops
  ``dead_time_s + boardings × board_s + alightings × alight_s`` (the linear dwell model of the
  TCQSM, 3rd ed., ch. 6; the three values are assumptions within its ranges), and passes
  without stopping where nobody does.
* **holding.** It never leaves a stop before the timetable's time (``hold``): an early bus
  waits. Departure = max(arrival + dwell, timetabled departure). So a bus is late only because
  the road, the dwell or an earlier delay made it late, and a delay propagates down the trip
  until slack in the timetable absorbs it.
* **capacity.** A vehicle carries at most its capacity: trolleybuses (GTFS route type 11)
  :attr:`VehicleParams.capacity_trolleybus`, buses :attr:`VehicleParams.capacity_bus`, × the
  run's share of the city's population (``scale``; or the scenario's
  :attr:`VehicleParams.capacity_factor`): a 10 % run has 10 % of the riders and 10 % of the
  places, each rider standing for 10 people, with the dwell per rider scaled alike (as MATSim
  scales its transit vehicles), so a sampled run fills and denies in proportion. Riders
  who find it full are **left behind** (``denied_boardings``) and wait at the stop for the next
  vehicle of the same pattern; riders board in the order they came (first come, first served).
  A rider left behind :attr:`VehicleParams.replan_after_denials` times (2) is handed, still
  queued, to ``on_left_behind`` at that and every further full vehicle: the journeys choose
  again (another line or departure, walking within the limit, or staying in the queue) and who
  goes another way leaves the queue (:meth:`Buses.leave_queue`).
* **what riders expect** (:meth:`Buses.expected`, read by the mode choice's crowding terms):
  at each stop of each pattern, the load factor on leaving and the places offered to those
  waiting, smoothed over the last vehicles (:data:`SMOOTHING`); a rider planning now expects
  ``queue // places offered`` full vehicles to pass before boarding, each costing a headway.

Riders (:mod:`agents.journeys`) join a stop's queue with :meth:`Buses.wait` and board the first
vehicle of their pattern that comes with room — the one planned, or an earlier one running
late. The fleet calls back the journeys when riders board (``on_board(citizens, vehicle,
position, times)``), get off (``on_alight(citizens, times)``) and when no vehicle of their
pattern will pass their stop any more (``on_stranded(citizens, times)``: they plan again).

The KPIs (:meth:`Buses.kpis`): **on-time share** of stop departures (from
``on_time_early_s`` early to ``on_time_late_s`` late, the TCQSM's usual 1 min early / 5 min
late; the arrival at the end of the line is reported apart, since arriving early there is the
timetable's slack), **mean delay by line** (of those departures), the **load factor**
(passenger-km / place-km: the share of the places offered that riders used, by line too), the
riders **left behind**, and trips run. :meth:`Buses.vehicles` is the live state (position along
the road, next stop, delay, load) that the GTFS-Realtime feed (:mod:`agents.realtime`) encodes.

Hand-written, because no library simulates a transit fleet on our road graph and our clock:
the event loop is one SimPy process over a heap of the vehicles' next events (a stop reached,
a stop left), woken once per second that has any (a :class:`twin.timers.BatchTimer` costs
numpy work per call, and a vehicle schedules one event at a time: profiling showed it as most of
the fleet's cost).

Capacities: trolleybuses 133 places (41 seated) — the Solaris Trollino 18 that makes RATBV's
trolleybus fleet (Solaris, 2021-01-15: 26 delivered in 2020, 25 more ordered); buses 100 places
— an **assumption** for a standard 12 m city bus (RATBV's bus fleet includes 60 SOR electric
buses bought by the city, ziare.com; their model and rated capacity could not be read here).
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

TRAFFIC_REFRESH_S = 300.0     # how often the bus link times follow the queue traffic (sim seconds)
TROLLEYBUS = 11               # GTFS route_type of a trolleybus
SMOOTHING = 0.3               # weight of the last vehicle in the loads and places riders expect
LONE_HEADWAY_S = 3600.0       # headway assumed for a pattern with one trip a day
MAX_DENIALS = 5.0             # the most full vehicles a rider expects to let pass


def road_hops(tt, router) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Road paths between consecutive stops of every pattern of ``tt`` (fastest drive paths
    between the stops' road nodes, by ``router``): ``(pos_base, pos_edge, edges, hop_ok)``.

    Pattern ``p``'s stop position ``i`` is ``pos_base[p] + i``; its hop to the next stop drives
    ``edges[pos_edge[h]:pos_edge[h + 1]]`` with ``h = pos_base[p] + i``, and ``hop_ok[h]`` is
    False where the road graph has no path (an empty path then)."""
    pos_base, pos_edge, edges_all, hop_ok = [], [], [], []
    n_edges = 0
    for p in range(tt.n_patterns):
        nodes = tt.stop_node[tt.pattern_stops[p]]
        w, off, e = router.routes(nodes[:-1], nodes[1:])
        hop_ok.extend((w >= 0).tolist() + [False])
        pos_base.append(len(pos_edge))
        pos_edge.extend((n_edges + off).tolist())
        edges_all.append(e)
        n_edges += len(e)
    edges = np.concatenate(edges_all).astype(np.int32) if edges_all else np.zeros(0, np.int32)
    return (np.asarray(pos_base, np.int64), np.asarray(pos_edge, np.int64), edges,
            np.asarray(hop_ok[:-1], bool))


class VehicleParams(BaseModel):
    """How the buses run (``transit.vehicles`` of a scenario)."""

    model_config = ConfigDict(extra="forbid")
    # False: riders ride at the timetable's pace, buses have no capacity (the older model)
    enabled: bool = True
    capacity_bus: int = Field(100, ge=1, le=400)          # assumption: a 12 m city bus
    capacity_trolleybus: int = Field(133, ge=1, le=400)   # Solaris Trollino 18 (Solaris, 2021)
    # a run of a sample of the population: each simulated rider stands for 1 / capacity_factor
    # people, so a vehicle has capacity × factor places (at least 1) and a boarding or alighting
    # takes board_s / factor (as MATSim scales its transit vehicles); None: the run's share of
    # the city's population (a 10 % run has 10 % of the places); 1: places are people
    capacity_factor: float | None = Field(None, gt=0, le=1)
    dead_time_s: float = Field(5.0, ge=0, le=120)         # doors open and close (assumption, TCQSM range)
    board_s: float = Field(2.5, ge=0, le=30)              # per boarding rider (assumption, TCQSM range)
    alight_s: float = Field(1.5, ge=0, le=30)             # per alighting rider (assumption, TCQSM range)
    stop_loss_s: float = Field(10.0, ge=0, le=120)        # braking and pulling out at a stop made
    hold: bool = True                                     # never leave a stop early
    on_time_early_s: float = Field(60.0, ge=0)
    # a rider left behind this many times by full vehicles reconsiders at every further one (the
    # journeys plan again: another line or departure, or walking within the limit; or stay in the
    # queue); 0: riders wait until no vehicle of their line is left to come (the older model).
    # 2 — an assumption (the issue's example: no survey of Brașov riders' patience was found)
    replan_after_denials: int = Field(2, ge=0, le=100)
    on_time_late_s: float = Field(300.0, ge=0)


@dataclass(slots=True)
class Vehicle:
    """One trip of one day, as it runs. Times are simulated seconds."""

    vid: int
    trip: int
    pattern: int
    row: int                  # the trip's row in the timetable's pattern_times[pattern]
    offset: float             # sim time of the service day's GTFS second 0
    capacity: int
    pos: int = -1             # the stop position reached (-1: not started)
    at_stop: bool = False     # standing at stop ``pos`` (else driving from it to the next)
    arr_t: float = 0.0        # arrival at stop ``pos``
    dep_t: float = 0.0        # departure from stop ``pos`` (planned once it has arrived)
    next_t: float = 0.0       # arrival at the next stop (once it has left)
    delay: float = 0.0        # departure delay at the last stop left (seconds, + late)
    route: int = 0            # the trip's route index
    sched: list = field(default_factory=list)    # timetabled sim time at each stop position
    riders: list = field(default_factory=list)   # [citizen, alight position]
    max_load: int = 0
    stopped: bool = False     # it stopped (someone got off or on) at stop ``pos``

    @property
    def load(self) -> int:
        return len(self.riders)


class Buses:
    """The day's GTFS trips as vehicles (see the module docstring).

    Parameters
    ----------
    tt
        The run's :class:`twin.gtfs.Timetable`, snapped to the city.
    params
        :class:`VehicleParams`.
    hops
        Road paths between consecutive stops of every pattern, as the journeys index them:
        ``(pos_base, pos_edge, edges, hop_ok)`` — pattern ``p``'s hop ``i`` drives
        ``edges[pos_edge[pos_base[p] + i]:pos_edge[pos_base[p] + i + 1]]``; ``hop_ok[pos_base[p]
        + i]`` is False where the road graph has no path (the bus then keeps the timetable's
        time for that hop).
    """

    name = "buses"

    def __init__(self, tt, params: VehicleParams | None = None, hops=None, record: bool = False,
                 scale: float = 1.0):
        self.tt = tt
        self.record = record
        #: with ``record``: every stop call ``(vehicle, trip, position, timetabled time, arrival,
        #: departure, alighted, boarded, left behind, load on leaving)``
        self.stop_log: list[tuple] = []
        self.p = params or VehicleParams()
        if not (isinstance(scale, (int, float)) and 0 < scale):
            raise ValueError(f"buses: scale must be > 0 (the run's share of the population), got {scale!r}")
        #: places per nominal place and the weight of a simulated rider's dwell: the scenario's
        #: ``capacity_factor``, else the run's share of the population (at most 1)
        self.factor = float(self.p.capacity_factor if self.p.capacity_factor is not None else min(scale, 1.0))
        self._hops = hops
        self.on_board: list = []
        self.on_alight: list = []
        self.on_stranded: list = []
        #: ``on_left_behind(citizens, pattern, position, times)``: riders left behind
        #: ``replan_after_denials`` times or more by the vehicle that just left them (still queued:
        #: who goes elsewhere leaves the queue with :meth:`leave_queue`)
        self.on_left_behind: list = []
        self.live: dict[int, Vehicle] = {}
        self.by_pattern: dict[int, set] = {}          # pattern → live vehicle ids
        self._rear: dict[int, int] = {}               # pattern → its rearmost live vehicle (see _coming)
        self.by_trip: dict[int, list] = {}            # trip → live vehicle ids (several days)
        # (pattern, position) → [citizen, alight pos, times left behind]
        self.waiting: dict[tuple[int, int], deque] = {}
        self._next_vid = 0
        # statistics
        self.trips_done = 0
        self.denied = 0
        self.boarded = 0
        self.stranded = 0
        self.left_behind_reconsidered = 0
        self._delays: dict[int, list] = {}            # route index → departure delays (arrays)
        self._delay_buf: dict[int, list] = {}
        self._pax_m = Counter()                       # route → passenger-metres
        self._cap_m = Counter()                       # route → place-metres
        self._denied_by_route = Counter()
        self._end_delay: list[float] = []
        self.peak_in_service = 0
        self._running = 0
        #: CPU seconds spent running the vehicles' stop events, riders' boardings and alightings
        #: included (the fleet's cost to a run; not a KPI)
        self.cost_cpu_s = 0.0

    # ---- set-up ------------------------------------------------------------------------------------
    def attach(self, twin) -> None:
        self.twin = twin
        tt = self.tt
        self.mobility = twin.component("mobility")
        pos_base, pos_edge, edges, hop_ok = self._hops
        self._pos_base, self._pos_edge, self._edges, self._hop_ok = pos_base, pos_edge, edges, hop_ok
        fleet = self.mobility.fleet
        self._edge_ff = fleet.edge_len / np.maximum(fleet.edge_speed, 0.1)   # free-flow seconds
        self._edge_s = self._edge_ff.copy()
        self._edge_cum = np.r_[0.0, np.cumsum(fleet.edge_len[edges])]          # metres along the index
        self._hop_len = self._edge_cum[pos_edge[1:]] - self._edge_cum[pos_edge[:-1]]
        # the timetable's median time of each hop (used where the road graph has no path)
        self._hop_tt = np.zeros(len(pos_edge) - 1)
        self._row = np.zeros(tt.n_trips, np.int64)
        for p in range(tt.n_patterns):
            times = tt.pattern_times[p]
            self._row[tt.pattern_trips[p]] = np.arange(len(times))
            n = len(tt.pattern_stops[p])
            if n > 1 and len(times):
                self._hop_tt[pos_base[p]:pos_base[p] + n - 1] = np.median(np.diff(times, axis=1), axis=0)
        self._pos_base_l = pos_base.tolist()
        self._hop_len_l = self._hop_len.tolist()
        self._last_pos = [len(st) - 1 for st in tt.pattern_stops]
        self._refresh_hops()
        # what riders can expect at each stop of each pattern (:meth:`expected`): the load factor on
        # leaving and the places offered to those waiting, smoothed over the last vehicles
        self._lf = [[0.0] * len(st) for st in tt.pattern_stops]
        self._room = [[-1.0] * len(st) for st in tt.pattern_stops]     # -1: no vehicle seen yet
        self._headway = []
        for times in tt.pattern_times:
            first = np.sort(np.asarray(times)[:, 0]) if len(times) else np.zeros(0)
            self._headway.append(float(max(np.median(np.diff(first)), 60.0)) if len(first) > 1 else LONE_HEADWAY_S)
        nominal = np.where(tt.route_type == TROLLEYBUS, self.p.capacity_trolleybus, self.p.capacity_bus)
        self._cap = np.maximum(np.round(nominal * self.factor), 1).astype(np.int64)
        self._heap: list = []
        self._seq = itertools.count()
        self._wake = twin.env.event()
        self._next_wake = math.inf
        twin.env.process(self._clock())
        twin.conditions.listeners.append(self._on_conditions)
        traffic = next((c for c in twin.components if c.name == "traffic"), None)
        self._road = getattr(traffic, "network", None)
        if self._road is not None:
            self._road_last = (self._road.exits.copy(), self._road.time_on.copy())
            twin.env.process(self._follow_traffic())
        twin.env.process(self._days())

    def _refresh_hops(self) -> None:
        """Driving seconds of every hop from the current edge times."""
        cum = np.r_[0.0, np.cumsum(self._edge_s[self._edges])]
        self._hop_s = np.where(self._hop_ok, cum[self._pos_edge[1:]] - cum[self._pos_edge[:-1]], self._hop_tt)
        self._hop_s_l = self._hop_s.tolist()        # the event loop reads Python floats

    def _on_conditions(self, what: str) -> None:
        if what == "speed":
            self._edge_s = self._edge_ff / max(self.twin.conditions.speed_factor, 1e-3)
            self._refresh_hops()

    def _follow_traffic(self):
        """Every :data:`TRAFFIC_REFRESH_S`, each edge's time is the longer of free flow and the
        mean time the cars that left it in that interval spent on it."""
        env = self.twin.env
        while True:
            yield env.timeout(TRAFFIC_REFRESH_S)
            net = self._road
            net.advance_to(self.twin.now)
            exits, time_on = net.exits.copy(), net.time_on.copy()
            n = exits - self._road_last[0]
            spent = time_on - self._road_last[1]
            self._road_last = (exits, time_on)
            free = self._edge_ff / max(self.twin.conditions.speed_factor, 1e-3)
            self._edge_s = np.where(n > 0, np.maximum(free, spent / np.maximum(n, 1)), free)
            self._refresh_hops()

    def day_offset(self, day: date) -> float:
        """Simulated time of GTFS second 0 of service day ``day``."""
        from twin.transit import TZ, service_start

        start = self.twin.start.replace(tzinfo=TZ).astimezone(UTC)
        return (service_start(day).astimezone(UTC) - start).total_seconds()

    def _days(self):
        """Create each service day's vehicles an hour before the day starts (and, at the start,
        the day before's night trips still to run)."""
        env = self.twin.env
        day = self.twin.start.date() - timedelta(days=1)
        while True:
            off = self.day_offset(day)
            if off - 3600.0 > env.now:
                yield env.timeout(off - 3600.0 - env.now)
            self._create(day, off)
            day += timedelta(days=1)

    def _create(self, day: date, off: float) -> None:
        tt = self.tt
        running = np.nonzero(tt.trips_on(day))[0]
        ids, times = [], []
        now = self.twin.now
        for t in running.tolist():
            p = int(tt.trip_pattern[t])
            row = int(self._row[t])
            sched = off + tt.pattern_times[p][row].astype(np.float64)
            if sched[-1] < now or len(sched) < 2:
                continue
            route = int(tt.trip_route[t])
            v = Vehicle(self._next_vid, t, p, row, off, int(self._cap[route]), route=route, sched=sched.tolist())
            self._next_vid += 1
            first = float(sched[0])
            if first < now:     # on its way when the run starts: it drives to the next stop on time
                i0 = int(np.searchsorted(sched, now))
                v.pos, v.dep_t, v.next_t = i0 - 1, float(sched[i0 - 1]), float(sched[i0])
                first = v.next_t
                self._running += 1
            self.live[v.vid] = v
            self.by_pattern.setdefault(p, set()).add(v.vid)
            self._rear.pop(p, None)
            self.by_trip.setdefault(t, []).append(v.vid)
            ids.append(v.vid)
            times.append(first)
        if ids:
            for vid, t in zip(ids, times):
                self._at(t, vid)

    # ---- riders ------------------------------------------------------------------------------------
    def departed(self, trip: int, pos: int, sched_t: float) -> bool:
        """Whether the vehicle of GTFS trip ``trip`` timetabled at position ``pos`` at sim time
        ``sched_t`` has left that stop (or never ran)."""
        for vid in self.by_trip.get(trip, ()):
            v = self.live[vid]
            if abs(v.sched[pos] - sched_t) < 1800:
                return v.pos > pos or (v.pos == pos and not v.at_stop)
        return True             # finished (no longer live) or never ran

    def wait(self, citizens, patterns, board_pos, alight_pos, times) -> None:
        """Riders at their boarding stop join its queue for the next vehicle of their pattern;
        those whose pattern has no vehicle left to pass the stop are stranded at once."""
        stranded = []
        for c, p, i, j in zip(np.asarray(citizens).tolist(), np.asarray(patterns).tolist(),
                              np.asarray(board_pos).tolist(), np.asarray(alight_pos).tolist()):
            if self._coming(p, i):
                self.waiting.setdefault((p, i), deque()).append([c, j, 0])
            else:
                stranded.append(c)
        if stranded:
            self._strand(np.asarray(stranded, np.int32))

    def leave_queue(self, citizens, pattern: int, pos: int) -> None:
        """Riders stop waiting at position ``pos`` of ``pattern`` (they go another way)."""
        q = self.waiting.get((pattern, pos))
        if not q:
            return
        gone = set(np.asarray(citizens).tolist())
        kept = deque(e for e in q if e[0] not in gone)
        if kept:
            self.waiting[(pattern, pos)] = kept
        else:
            del self.waiting[(pattern, pos)]

    def _coming(self, p: int, i: int) -> bool:
        """Whether a live vehicle of pattern ``p`` will still leave position ``i``.

        A vehicle will if it stands before ``i`` or at ``i``: ``(pos, not at_stop) <= (i, False)``.
        That holds for some vehicle if and only if it holds for the **rearmost** one, the least
        ``(pos, not at_stop)``, which is kept per pattern (:attr:`_rear`) instead of scanning
        every live vehicle of the pattern — all the day's trips not yet started among them — for
        each waiting rider. A vehicle only moves forward, so the rearmost changes only when it
        moves itself, a vehicle is added, or it finishes: those drop the entry, and the next
        call finds it again (ties go to the latest timetabled start, the last to move).
        """
        vid = self._rear.get(p)
        if vid is None:
            best = None
            for w in self.by_pattern.get(p, ()):
                v = self.live[w]
                key = (v.pos, not v.at_stop, -v.sched[0], w)
                if best is None or key < best:
                    best = key
            if best is None:
                return False
            vid = self._rear[p] = best[3]
        v = self.live[vid]
        return v.pos < i or (v.pos == i and v.at_stop)

    def _strand(self, citizens: np.ndarray) -> None:
        self.stranded += len(citizens)
        for cb in self.on_stranded:
            cb(citizens, np.full(len(citizens), self.twin.now))

    def expected(self, p: int, i: int, j: int) -> tuple[float, float, float]:
        """What a rider planning now expects of a ride on pattern ``p`` from position ``i`` to
        ``j``: the load factor (riders / places) of the last vehicles over those hops, smoothed
        (:data:`SMOOTHING`); the full vehicles they will let pass before boarding — the riders
        queueing there now over the places the last vehicles offered at that stop, at most
        :data:`MAX_DENIALS`; and the pattern's timetabled headway in seconds (the wait each
        full vehicle adds). Deterministic: it reads the run's own state."""
        lf = self._lf[p]
        load = sum(lf[i:j]) / max(j - i, 1)
        q = self.waiting.get((p, i))
        denials = 0.0
        if q:
            room = self._room[p][i]
            if room < 0:        # no vehicle seen at this stop yet: its places
                room = float(self._cap[self.tt.pattern_route[p]])
            denials = MAX_DENIALS if room <= 0.5 else min(MAX_DENIALS, float(len(q) // room))
        return load, denials, self._headway[p]

    # ---- the vehicles' events ----------------------------------------------------------------------
    def _at(self, t: float, code: int) -> None:
        """Schedule event ``code`` at sim time ``t``: ``vid >= 0`` reaches its next stop,
        ``-1 - vid`` leaves the stop it stands at."""
        heapq.heappush(self._heap, (t, next(self._seq), code))
        if math.ceil(t - 1e-9) < self._next_wake and not self._wake.triggered:
            self._wake.succeed()

    def _clock(self):
        """Wake at each whole second that has events and run them in time order (ties in the
        order they were scheduled)."""
        env = self.twin.env
        heap = self._heap
        while True:
            if not heap:
                self._next_wake = math.inf
                self._wake = env.event()
                yield self._wake
                continue
            slot = max(math.ceil(heap[0][0] - 1e-9), env.now)
            if slot > env.now:
                self._next_wake = slot
                self._wake = env.event()
                yield env.timeout(slot - env.now) | self._wake
                continue
            self._next_wake = math.inf
            t0 = time.process_time()
            while heap and heap[0][0] <= slot + 1e-9:
                t, _, code = heapq.heappop(heap)
                self._event(code, t)
            self.cost_cpu_s += time.process_time() - t0

    def _event(self, code: int, t: float) -> None:
        if code >= 0:
            v = self.live.get(code)
            if v is not None:
                self._at_stop(v, t)
        else:
            v = self.live.get(-1 - code)
            if v is not None:
                self._leave(v, t)

    def _at_stop(self, v: Vehicle, t: float) -> None:
        """Vehicle ``v`` reaches its next stop at ``t``: riders get off and on, it dwells and
        holds (or ends its trip there). (Run for every stop of every trip: it reads Python
        lists, not numpy scalars, and does no rider work where nobody gets off or on.)"""
        prm = self.p
        i = v.pos + 1
        p = v.pattern
        last = i == self._last_pos[p]
        route = v.route
        if i == 0:
            self._running += 1
            self.peak_in_service = max(self.peak_in_service, self._running)
        v.pos, v.at_stop, v.arr_t = i, True, t
        if self._rear.get(p) == v.vid:          # the rearmost moved: found again when asked
            del self._rear[p]
        riders = v.riders
        off = ()
        if riders:
            off = [c for c, j in riders if j == i]
            if off:
                v.riders = riders = [r for r in riders if r[1] != i]
        on = []
        fed_up = ()
        q = self.waiting.get((p, i))
        if q and not last:
            room = v.capacity - len(riders)
            while q and len(on) < room:
                c, j, _ = q.popleft()
                on.append(c)
                riders.append([c, j])
            if q:                                   # left behind: they wait for the next one
                self.denied += len(q)
                self._denied_by_route[route] += len(q)
                n_max = prm.replan_after_denials
                for e in q:
                    e[2] += 1
                if n_max and self.on_left_behind:
                    fed_up = [e[0] for e in q if e[2] >= n_max]
            else:
                del self.waiting[(p, i)]
        if len(riders) > v.max_load:
            v.max_load = len(riders)
        if not last:            # what the next riders at this stop can expect
            room = self._room[p]
            offered = v.capacity - len(riders) + len(on)
            room[i] = offered if room[i] < 0 else room[i] + SMOOTHING * (offered - room[i])
            lf = self._lf[p]
            lf[i] += SMOOTHING * (len(riders) / v.capacity - lf[i])
        n = len(off) + len(on)
        v.stopped = n > 0
        sched = v.sched[i]
        if n:
            dwell = prm.dead_time_s + (len(on) * prm.board_s + len(off) * prm.alight_s) / self.factor
            dep = t + dwell
        else:
            dep = t + 0.0
        if prm.hold and sched > dep:
            dep = sched
        v.dep_t = dep
        v.delay = t - sched if last else dep - sched
        if not last:            # departures count for punctuality; the end of the line apart
            buf = self._delay_buf.get(route)
            if buf is None:
                buf = self._delay_buf[route] = []
            buf.append(v.delay)
        if self.record:
            self.stop_log.append((v.vid, v.trip, i, sched, t, dep, len(off), len(on), len(q) if q else 0,
                                  len(riders)))
        if off:
            for cb in self.on_alight:
                cb(np.asarray(off, np.int32), np.full(len(off), t))
        if on:
            self.boarded += len(on)
            for cb in self.on_board:
                cb(np.asarray(on, np.int32), v, i, np.full(len(on), t))
        if fed_up:                  # after the boardings: they may plan again
            self.left_behind_reconsidered += len(fed_up)
            for cb in self.on_left_behind:
                cb(np.asarray(fed_up, np.int32), p, i, np.full(len(fed_up), t))
        if last:
            self._finish(v, route)
        else:
            self._at(dep, -1 - v.vid)   # :meth:`_at` from the loop

    def _leave(self, v: Vehicle, t: float) -> None:
        """Vehicle ``v`` leaves stop ``v.pos`` for the next; whoever still waits there with no
        vehicle of the pattern left to come is stranded."""
        i, p = v.pos, v.pattern
        route = v.route
        v.at_stop = False
        if self._rear.get(p) == v.vid:
            del self._rear[p]
        h = self._pos_base_l[p] + i
        hop_len = self._hop_len_l[h]
        if v.riders:
            self._pax_m[route] += len(v.riders) * hop_len
        self._cap_m[route] += v.capacity * hop_len
        v.next_t = t + self._hop_s_l[h] + (self.p.stop_loss_s if v.stopped else 0.0)
        self._at(v.next_t, v.vid)     # :meth:`_at` from the loop
        q = self.waiting.get((p, i))
        if q and not self._coming(p, i):
            del self.waiting[(p, i)]
            self._strand(np.asarray([e[0] for e in q], np.int32))

    def _finish(self, v: Vehicle, route: int) -> None:
        v.riders = []
        self._running -= 1
        self._end_delay.append(v.delay)
        self.trips_done += 1
        del self.live[v.vid]
        self.by_pattern[v.pattern].discard(v.vid)
        if self._rear.get(v.pattern) == v.vid:
            del self._rear[v.pattern]
        lst = self.by_trip[v.trip]
        lst.remove(v.vid)
        if not lst:
            del self.by_trip[v.trip]
        last = self.tt.pattern_stops[v.pattern][-1]
        self.twin.emit("transit/vehicle", "vehicle_trip_end", f"vehicle:{v.vid}", self.tt.trip_id[v.trip],
                       float(self.tt.stop_lon[last]), float(self.tt.stop_lat[last]),
                       line=self.tt.route_short[route], delay_s=round(v.delay, 1), max_load=v.max_load,
                       capacity=v.capacity)

    # ---- what is seen ------------------------------------------------------------------------------
    def scheduled(self, v: Vehicle, pos: int) -> float:
        """Simulated time the timetable gives vehicle ``v`` at stop position ``pos``."""
        return v.sched[pos]

    def vehicles(self, now: float | None = None) -> list[dict]:
        """The vehicles in service now: position (lon, lat) along the road, the stop they stand
        at or drive to, their delay, load and capacity (what a GTFS-Realtime feed tells)."""
        tt = self.tt
        now = self.twin.now if now is None else now
        out = []
        for v in self.live.values():
            if v.pos < 0:
                continue
            stops = tt.pattern_stops[v.pattern]
            if v.at_stop:
                s = int(stops[v.pos])
                lon, lat, seq, status = float(tt.stop_lon[s]), float(tt.stop_lat[s]), v.pos, "STOPPED_AT"
                delay = v.delay
                eta = v.dep_t
            else:
                h = int(self._pos_base[v.pattern]) + v.pos
                frac = min(max((now - v.dep_t) / max(v.next_t - v.dep_t, 1e-9), 0.0), 1.0)
                lon, lat = self._along(h, frac, int(stops[v.pos]), int(stops[v.pos + 1]))
                seq, status = v.pos + 1, "IN_TRANSIT_TO"
                eta = v.next_t
                delay = v.next_t - self.scheduled(v, v.pos + 1)
            out.append({"vehicle": v.vid, "trip": tt.trip_id[v.trip], "trip_index": v.trip,
                        "route": tt.route_id[tt.trip_route[v.trip]], "line": tt.route_short[tt.trip_route[v.trip]],
                        "lon": lon, "lat": lat, "stop_index": int(stops[seq]), "stop_id": tt.stop_id[stops[seq]],
                        "position": seq, "status": status, "eta": eta, "delay_s": delay,
                        "load": v.load, "capacity": v.capacity,
                        "start": self.scheduled(v, 0)})
        return out

    def _along(self, h: int, frac: float, s0: int, s1: int) -> tuple[float, float]:
        """The point ``frac`` of the way along hop ``h``'s road path (straight between the two
        stops where the hop has no road path)."""
        tt = self.tt
        if not self._hop_ok[h] or self._pos_edge[h + 1] == self._pos_edge[h]:
            return (float(tt.stop_lon[s0] + frac * (tt.stop_lon[s1] - tt.stop_lon[s0])),
                    float(tt.stop_lat[s0] + frac * (tt.stop_lat[s1] - tt.stop_lat[s0])))
        a = self.twin.city.arrays
        e0, e1 = int(self._pos_edge[h]), int(self._pos_edge[h + 1])
        cum = self._edge_cum[e0:e1 + 1] - self._edge_cum[e0]
        target = frac * cum[-1]
        k = min(int(np.searchsorted(cum, target, side="right")) - 1, e1 - e0 - 1)
        e = int(self._edges[e0 + k])
        f = (target - cum[k]) / max(cum[k + 1] - cum[k], 1e-9)
        u, w = a["edge_u"][e], a["edge_v"][e]
        return (float(a["node_lon"][u] + f * (a["node_lon"][w] - a["node_lon"][u])),
                float(a["node_lat"][u] + f * (a["node_lat"][w] - a["node_lat"][u])))

    # ---- results -----------------------------------------------------------------------------------
    def _all_delays(self) -> dict[int, np.ndarray]:
        for r, buf in self._delay_buf.items():
            if buf:
                self._delays.setdefault(r, []).append(np.asarray(buf))
        self._delay_buf = {}
        return {r: np.concatenate(v) for r, v in self._delays.items() if v}

    def kpis(self) -> dict:
        """On-time share, mean delay by line, load factor, riders left behind (module docstring)."""
        tt = self.tt
        d = self._all_delays()
        every = np.concatenate(list(d.values())) if d else np.zeros(0)
        ok = (every >= -self.p.on_time_early_s) & (every <= self.p.on_time_late_s)
        pax, cap = sum(self._pax_m.values()), sum(self._cap_m.values())
        line = lambda r: tt.route_short[r]  # noqa: E731
        return {
            "trips_run": int(self.trips_done), "trips_in_service": len([v for v in self.live.values() if v.pos >= 0]),
            "peak_trips_in_service": int(self.peak_in_service),
            "stop_departures": int(len(every)),
            "on_time_share": round(float(ok.mean()), 4) if len(every) else None,
            "on_time_window_s": [-self.p.on_time_early_s, self.p.on_time_late_s],
            "mean_delay_min": round(float(every.mean()) / 60, 2) if len(every) else None,
            "p95_delay_min": round(float(np.percentile(every, 95)) / 60, 2) if len(every) else None,
            # arrival delay at the end of the line (early is negative: the slack of the timetable)
            "end_of_line_delay_min_mean": round(float(np.mean(self._end_delay)) / 60, 2) if self._end_delay else None,
            "mean_delay_min_by_line": {line(r): round(float(x.mean()) / 60, 2)
                                       for r, x in sorted(d.items(), key=lambda kv: line(kv[0]))},
            "load_factor": round(pax / cap, 4) if cap else None,
            "load_factor_by_line": {line(r): round(self._pax_m[r] / c, 4)
                                    for r, c in sorted(self._cap_m.items(), key=lambda kv: line(kv[0])) if c},
            "boardings": int(self.boarded), "denied_boardings": int(self.denied),
            "denied_boardings_by_line": {line(r): int(n) for r, n in sorted(self._denied_by_route.items(),
                                                                             key=lambda kv: line(kv[0]))},
            "stranded_replanned": int(self.stranded),
            # riders left behind replan_after_denials times or more, at each further full vehicle
            # (what they did: journeys.transit.left_behind)
            "left_behind_reconsidered": int(self.left_behind_reconsidered),
            "replan_after_denials": self.p.replan_after_denials,
            "capacity": {"bus": self.p.capacity_bus, "trolleybus": self.p.capacity_trolleybus,
                         "factor": round(self.factor, 6)},
        }
