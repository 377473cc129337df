"""Journeys: door-to-door trips of citizens by car, on foot, or by bus with transfers.

A journey is one or more legs moved by :class:`twin.mobility.Mobility`:

* ``car`` and ``walk``: one leg on the fastest path;
* ``bus``: an itinerary of the journey planner (:class:`twin.transit.Planner`, RAPTOR on the
  day's GTFS timetable, with transfers and walks on the walk graph), followed leg by leg: walk
  to the boarding stop → wait for the planned trip → ride → (walk to another stop, or stay) →
  wait → ride → … → walk to the destination. The rides follow the **vehicles** of
  :mod:`agents.buses` (``transit.vehicles.enabled``, the default): a rider queues at the stop,
  boards the first vehicle of the planned pattern that comes with room (left behind when it is
  full), rides it as it drives, dwells and runs late, and gets off when it reaches the stop; a
  rider whose line has no vehicle left to come plans again, and a rider left behind twice
  (``vehicles.replan_after_denials``) chooses again at every further full vehicle — the best
  itinerary from the stop now (the same line, counted with its crowding, another line or a
  later departure) or walking the rest when it is within the walking limit
  (``transit.left_behind`` in :meth:`kpis`). With vehicles off, a ride boards
  the planned trip at its timetabled time and moves at the timetable's pace (the older model). Access, egress and transfer walks are to stops within
  ``max_walk_to_stop_m`` (straight line, never above the walking limit) and between stops within
  ``max_transfer_m``; at most ``max_transfers`` changes. A rider who reaches a stop after the
  planned departure (a slower walk, a late ride) plans again from there (``missed_connections``);
  with no bus left, they walk on (``no_departure_walked``).

**What was offered.** ``transit.alternatives`` in :meth:`kpis` counts the journeys of
:meth:`Journeys.travel` by the set of alternatives they were offered (``car+walk+bus``, ``bus``,
…, ``none``; ``car_to_bring_home`` had no choice) and the mode each took, and
``transit.no_car_because`` why the household's car was not among them (:data:`CAR_STATUS`, from
the caller): the split follows from these sets, since the utility can only choose within them.

**Which mode.** :meth:`Journeys.travel` chooses by the stated utility of
:mod:`agents.modechoice` among the alternatives the citizen has (walking only within the walking
limit, the household's car only when the caller says it is available, the bus where the planner
finds an itinerary). When none is available, the household's car if the caller allows it as a
last resort (``car_instead_of_bus``), else a bus itinerary with a longer walk to the stop
(``max_walk_to_stop_fallback_m``) is taken if it saves walking, else the citizen walks the whole
way. Every walk leg beyond the limit — by straight line, or by street beyond 1.5 × the limit —
is counted as a **long walk** (``long_walks`` in :meth:`kpis`, with their straight-line lengths):
a walk longer than the scenario's limit is never silent. Stops near by straight line but further
than 1.5 × the radius by street are not offered as access or egress stops.
:meth:`Journeys.start` keeps the older interface (a wished mode per journey).

Components that plan days (:mod:`agents.daily`) receive ``on_complete(citizens, destinations,
times)`` when each journey ends. Each leg publishes the mobility events (``trip_start``/
``trip_end`` with its mode); each boarding publishes ``bus_board`` (line, GTFS trip, from and to
stop, wait, timetabled ride, ride number within the journey).

The chatbot (or any other caller) can plan with the same planner: ``twin.component("journeys")
.planner`` (None without a timetable), e.g. ``planner.plan("Gară", "Răcădău", clock)``.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agents.buses import Buses, VehicleParams, road_hops
from agents.modechoice import BUS, CAR, WALK, ModeChoiceParams, bus_cost, choose, crowding_cost
from twin.routing import WALK_SPEED_MPS
from twin.timers import BatchTimer

MODE_NAMES = ("car", "walk", "bus")
#: why a journey had no car among its alternatives (``car_status`` of :meth:`Journeys.travel`;
#: the names are the ``transit.no_car_because`` KPI's): 0 the household's car was free for it
CAR_STATUS = ("free", "no_car_in_household", "no_licence", "not_from_home", "car_out", "car_kept_home")
FAR_STOP_WALK_SHARE = 0.6  # a far-stop itinerary is taken if its walks are under this share of the distance
DETOUR = 1.3               # street / straight-line distance, for quick walking-time estimates
STREET_DETOUR = 1.5        # a walk within the limit by straight line may be this much longer by street

__all__ = ["BUS", "CAR", "CAR_STATUS", "WALK", "MODE_NAMES", "Journeys", "TransitParams"]


class TransitParams(BaseModel):
    """How citizens use the buses."""

    model_config = ConfigDict(extra="forbid")
    # straight-line distance from a door to the boarding or alighting stop a rider accepts
    max_walk_to_stop_m: float = Field(800.0, gt=0)
    # … and the longer walk accepted when nothing else serves the journey
    max_walk_to_stop_fallback_m: float = Field(1500.0, gt=0)
    # start(): a bus wish is kept only if it beats walking the whole way by this factor
    min_gain_over_walk: float = Field(1.2, ge=1)
    # changes of vehicle in one journey
    max_transfers: int = Field(2, ge=0, le=8)
    # straight-line radius of the walks between two stops at a change
    max_transfer_m: float = Field(400.0, ge=0, le=5000)
    # plan as if leaving this much later: slack for the walk to the first stop
    leave_margin_s: float = Field(60.0, ge=0, le=1800)
    # what-if: this line (GTFS short name) runs boost_factor × as often (twin.gtfs.boost_frequency);
    # needs a city with a timetable
    boost_line: str | None = None
    boost_factor: int = Field(2, ge=1, le=6)
    # the buses as vehicles: capacity, dwell, holding (agents.buses)
    vehicles: VehicleParams = Field(default_factory=VehicleParams)
    # simulated seconds between two GTFS-Realtime feeds published to MQTT (agents.realtime)
    realtime_every_s: float = Field(30.0, gt=0, le=3600)


def transit_timetable(timetable, params: TransitParams | None = None):
    """The timetable a run's buses keep: ``timetable`` with the scenario's what-if applied
    (``boost_line`` at ``boost_factor`` × its frequency, :func:`twin.gtfs.boost_frequency`)."""
    p = params or TransitParams()
    if timetable is None or p.boost_line is None or not len(timetable.stop_node):
        return timetable
    from twin.gtfs import boost_frequency

    return boost_frequency(timetable, p.boost_line, p.boost_factor)


def make_planner(timetable, city, params: TransitParams | None = None):
    """The :class:`twin.transit.Planner` of a twin's timetable, with walks on the city's walk graph."""
    from twin.transit import Planner

    p = params or TransitParams()
    return Planner(timetable, city, max_transfer_m=p.max_transfer_m,
                   max_access_m=max(p.max_walk_to_stop_m, p.max_walk_to_stop_fallback_m), max_walk_only_m=0.0)


class Journeys:
    """Multi-leg journeys of the citizens (component ``"journeys"``).

    Parameters
    ----------
    timetable
        A :class:`twin.gtfs.Timetable` snapped to the city, or None (no buses).
    params
        :class:`TransitParams`.
    planner
        The :class:`twin.transit.Planner` on ``timetable`` (built at attach if None). A caller
        that gives it gives the timetable it plans on, the what-if applied
        (:func:`transit_timetable`), as the composition root does; without it, the what-if is
        applied at attach.
    record_rides
        Keep every ride (citizen, trip, stops, boarding and alighting times) in :attr:`ride_log`
        (for tests).
    scale
        The run's share of the city's population: the buses' places scale with it
        (:class:`agents.buses.Buses`).
    """

    name = "journeys"

    def __init__(self, timetable=None, params: TransitParams | None = None, planner=None,
                 record_rides: bool = False, scale: float = 1.0):
        self.tt = timetable
        self.scale = scale
        self.p = params or TransitParams()
        self.planner = planner
        self.choice = ModeChoiceParams()
        self.on_complete: list = []
        self.boardings = 0
        self.bus_journeys = 0
        self.no_departure = 0
        self.car_fallback = 0
        self.far_stop = 0
        self.missed = 0
        self.no_road = 0
        # riders left behind again and again (agents.buses: replan_after_denials): what they did
        self.left_behind = Counter()
        self._walk_limit = np.inf
        self.by_mode = np.zeros(3, np.int64)           # journeys by the mode actually taken
        self.by_transfers: Counter = Counter()         # bus journeys by planned changes
        # journeys by the set of alternatives offered (bit 1 car, 2 walk, 4 bus; 8: a car
        # that must be driven home) and the mode taken: explains the split by what was offered
        self.by_alternatives = np.zeros((16, 3), np.int64)
        self.no_car_because = np.zeros(len(CAR_STATUS), np.int64)
        self.by_line: Counter = Counter()              # boardings by line
        self._long_walk_m: list[np.ndarray] = []       # straight-line length of the long walks
        self._waits: list[np.ndarray] = []
        self._planned_min: list[float] = []            # door-to-door minutes of the bus plans
        self._line_min: dict[str, list[float]] = {}    # … of the plans riding each line
        self.record_rides = record_rides
        self.ride_log: list[tuple] = []
        #: CPU seconds spent planning bus journeys, and how many (what the planner costs a run;
        #: not a KPI: it differs from run to run)
        self.cost = {"plans": 0, "plan_cpu_s": 0.0}

    def attach(self, twin) -> None:
        self.twin = twin
        self.mobility = twin.component("mobility")
        self.rng = twin.rng.get("modes")
        cap = self.mobility.capacity
        self.stage = np.zeros(cap, np.int8)        # 0 none/last leg, 1 to stop, 2 waiting, 3 riding
        self.final = np.full(cap, -1, np.int32)
        self.pattern = np.full(cap, -1, np.int32)
        self.trip = np.full(cap, -1, np.int32)
        self.board_pos = np.zeros(cap, np.int32)
        self.alight_pos = np.zeros(cap, np.int32)
        self.dep_at = np.zeros(cap, np.float64)       # sim time of the planned departure
        self.wait_from = np.zeros(cap, np.float64)
        self.board_t = np.zeros(cap, np.float64)
        self.ride_s = np.zeros(cap, np.float64)       # timetabled ride of the trip waited for
        self.ride_k = np.zeros(cap, np.int16)         # rides taken so far in the journey
        self._rides: dict[int, list] = {}             # citizen → rides of the itinerary followed
        self._base: dict[int, float] = {}             # citizen → sim time the itinerary counts from
        self._walks_cache: dict[tuple, dict] = {}
        self._replanned: tuple[float, set] = (-1.0, set())
        self.mobility.on_arrival.append(self._leg_end)
        self.rides = BatchTimer(twin.env, self._board, resolution_s=self.mobility.tick_s)
        self.arr_at = np.zeros(cap, np.float64)       # timetabled arrival of the vehicle ridden
        self.buses = None
        if self.tt is not None and len(self.tt.stop_node):
            if self.planner is None:
                self.tt = transit_timetable(self.tt, self.p)
                self.planner = make_planner(self.tt, twin.city, self.p)
            self._index_transit()
            if self.p.vehicles.enabled:
                self.buses = Buses(self.tt, self.p.vehicles, (self._pos_base, self._pos_edge, self._ride_edges,
                                                              self._hop_ok), record=self.record_rides,
                                   scale=self.scale)
                self.buses.on_board.append(self._vehicle_board)
                self.buses.on_alight.append(self._vehicle_alight)
                self.buses.on_stranded.append(self._replan)
                self.buses.on_left_behind.append(self._left_behind)
                self.buses.attach(twin)
        else:
            self.tt = self.planner = None

    # ---- transit index ---------------------------------------------------------------------------
    def _index_transit(self) -> None:
        """Road paths between consecutive stops of every pattern (the bus's way along the road)."""
        self._pos_base, self._pos_edge, self._ride_edges, self._hop_ok = road_hops(self.tt, self.mobility.router("bus"))
        self._usable = np.array([self._hop_ok[b:b + len(st) - 1].all() for b, st in
                                 zip(self._pos_base.tolist(), self.tt.pattern_stops)], bool)

    # ---- planning --------------------------------------------------------------------------------
    def _walks(self, node: int, to_stops: bool, radius: float) -> dict[int, int]:
        """Walking seconds between a road node and the stops within ``radius`` (cached). On the
        walk graph, where every walkable edge is used both ways with one integer weight, the
        walks to the stops equal the walks back (checked on 400 Brașov nodes): a place that is
        a journey's origin and another's destination (a home, a workplace) is found once."""
        key = (int(node), to_stops or self.planner.walker.city is not None, radius)
        w = self._walks_cache.get(key)
        if w is None:
            a = self.twin.city.arrays
            w = self.planner.walks(float(a["node_lon"][node]), float(a["node_lat"][node]), to_stops, radius)
            # a stop near by straight line but far round by street (a river, a railway) is not near
            longest = STREET_DETOUR * radius / self.planner.walker.speed
            w = {s: t for s, t in w.items() if t <= longest}
            self._walks_cache[key] = w
        return w

    def _best(self, origin: int, dest: int, radius: float, now: float):
        """The itinerary of least generalised cost from node to node leaving at ``now`` (sim s),
        and that cost in minutes (None, inf when the planner finds none)."""
        access = self._walks(origin, True, radius)
        if not access:
            return None, np.inf
        egress = self._walks(dest, False, radius)
        if not egress:
            return None, np.inf
        margin = self.p.leave_margin_s
        its = self.planner.search(access, egress, None, self.twin.start + timedelta(seconds=now + margin),
                                  self.p.max_transfers)
        best, best_c = None, np.inf
        for it in its:
            if not it.rides:
                continue
            c = float(bus_cost(self.choice, it.in_vehicle, it.wait + margin, it.walk, it.transfers))
            if self.buses is not None and self.choice.crowding:     # crowding and full vehicles
                for r in it.rides:
                    load, denials, headway = self.buses.expected(r.pattern, r.board_pos, r.alight_pos)
                    c += float(crowding_cost(self.choice, r.arrival - r.departure, load, denials, headway))
            if c < best_c:
                best, best_c = it, c
        return best, best_c

    def _plan_bus(self, origins, dests, radius: float) -> tuple[list, np.ndarray]:
        t0 = time.process_time()
        now = self.twin.now
        its, costs = [], np.full(len(origins), np.inf)
        for k, (o, d) in enumerate(zip(origins.tolist(), dests.tolist())):
            it, c = self._best(o, d, radius, now)
            its.append(it)
            costs[k] = c
        self.cost["plans"] += len(origins)
        self.cost["plan_cpu_s"] += time.process_time() - t0
        return its, costs

    def _radius(self) -> float:
        return min(self.p.max_walk_to_stop_m, self._walk_limit)

    # ---- journeys --------------------------------------------------------------------------------
    def travel(self, citizens, origins, dests, car_ok, walk_limit_m: float, choice: ModeChoiceParams | None = None,
               car_forced=None, car_fallback=None, car_status=None) -> np.ndarray:
        """Start journeys now, each by the mode the citizen chooses (:mod:`agents.modechoice`).

        Parameters
        ----------
        citizens, origins, dests
            Who goes, from which node, to which node.
        car_ok
            Per citizen, whether the household's car is available for this journey.
        walk_limit_m
            The longest journey (straight line) a citizen chooses to walk; walks beyond it
            happen only when nothing else serves the journey, and are counted as long walks.
        choice
            The utility's weights (default :class:`ModeChoiceParams`).
        car_forced
            Per citizen, journeys that must be driven (the car is at the origin: bring it home).
        car_fallback
            Per citizen, whether the household's car may be driven when no alternative is
            available at all (counted as ``car_instead_of_bus``).
        car_status
            Per citizen, why the household's car is not available (an index of
            :data:`CAR_STATUS`, 0 when it is): counted in the ``transit.no_car_because`` KPI.

        Returns
        -------
        numpy.ndarray
            The mode each journey takes (0 car, 1 walk, 2 bus).
        """
        citizens = np.asarray(citizens, np.int32)
        n = len(citizens)
        if not n:
            return np.zeros(0, np.int8)
        if choice is not None:
            self.choice = choice
        origins = np.asarray(origins, np.int32)
        dests = np.asarray(dests, np.int32)
        car_ok = np.asarray(car_ok, bool)
        forced = np.zeros(n, bool) if car_forced is None else np.asarray(car_forced, bool)
        self._walk_limit = walk_limit_m
        crow = self._crow(origins, dests)
        cost = np.full((n, 3), np.inf)
        # walk: only within the limit
        w = np.nonzero(crow <= walk_limit_m)[0]
        if len(w):
            ms = self.mobility.router("walk").distances(origins[w], dests[w])
            ok = (ms >= 0) & (ms / 1000 * WALK_SPEED_MPS <= STREET_DETOUR * walk_limit_m)
            cost[w[ok], WALK] = self.choice.walk_weight_alone * ms[ok] / 60000
        # car: the household's, if available
        c = np.nonzero(car_ok | forced)[0]
        if len(c):
            ms = self.mobility.router("car").distances(origins[c], dests[c])
            cost[c[ms >= 0], CAR] = ms[ms >= 0] / 60000 + self.choice.car_access_min + self.choice.car_constant_min
        # bus: the planner's best itinerary
        its: list = [None] * n
        if self.planner is not None:
            b = np.nonzero(~forced & (crow >= self.choice.bus_min_m))[0]
            found, costs = self._plan_bus(origins[b], dests[b], self._radius())
            cost[b, BUS] = costs
            for k, it in zip(b.tolist(), found):
                its[k] = it
        modes = choose(self.choice, cost, self.rng)
        modes[forced] = CAR
        # nothing available: the household's car after all, a stop further away if it saves
        # walking, else walk the whole way
        if car_fallback is not None:
            drive = (modes < 0) & np.asarray(car_fallback, bool)
            modes[drive] = CAR
            self.car_fallback += int(drive.sum())
        none = np.nonzero(modes < 0)[0]
        far = np.zeros(n, bool)
        if len(none) and self.planner is not None and self.p.max_walk_to_stop_fallback_m > self._radius():
            found, _ = self._plan_bus(origins[none], dests[none], self.p.max_walk_to_stop_fallback_m)
            for k, it in zip(none.tolist(), found):
                if it is not None and it.walk * WALK_SPEED_MPS < FAR_STOP_WALK_SHARE * crow[k] * DETOUR:
                    its[k], modes[k], far[k] = it, BUS, True
            self.far_stop += int(far.sum())
        modes[modes < 0] = WALK
        offered = (np.isfinite(cost) * np.array([1, 2, 4])).sum(axis=1) + 8 * forced
        np.add.at(self.by_alternatives, (offered, modes), 1)
        if car_status is not None:
            np.add.at(self.no_car_because, np.asarray(car_status, np.int64), 1)
        self._launch(citizens, origins, dests, modes, its)
        return modes

    def start(self, citizens, origins, dests, modes, car_ok=None, walk_limit_m: float = np.inf) -> np.ndarray:
        """Start journeys now by the mode wished for (0 car, 1 walk, 2 bus) — the older interface.

        A bus wish takes the planner's best itinerary when it beats walking the whole way by
        ``min_gain_over_walk``; else the car when ``car_ok`` allows; else a stop further away if
        it saves walking; else the whole way on foot (a long walk beyond ``walk_limit_m``).
        Returns the mode each journey actually takes.
        """
        citizens = np.asarray(citizens, np.int32)
        if not len(citizens):
            return np.zeros(0, np.int8)
        origins = np.asarray(origins, np.int32)
        dests = np.asarray(dests, np.int32)
        modes = np.asarray(modes, np.int8).copy()
        self._walk_limit = walk_limit_m
        crow = self._crow(origins, dests)
        its: list = [None] * len(citizens)
        far = np.zeros(len(citizens), bool)
        bus = np.nonzero(modes == BUS)[0]
        if len(bus):
            ok = np.zeros(len(bus), bool)
            if self.planner is not None:
                found, _ = self._plan_bus(origins[bus], dests[bus], self._radius())
                walk_s = crow[bus] * DETOUR / WALK_SPEED_MPS
                for q, (k, it) in enumerate(zip(bus.tolist(), found)):
                    if it is not None and (it.arrival + self.p.leave_margin_s) * self.p.min_gain_over_walk < walk_s[q]:
                        its[k], ok[q] = it, True
            drive = ~ok & (np.asarray(car_ok, bool)[bus] if car_ok is not None else False)
            modes[bus[drive]] = CAR
            self.car_fallback += int(drive.sum())
            retry = bus[~ok & ~drive]
            if len(retry) and self.planner is not None and self.p.max_walk_to_stop_fallback_m > self._radius():
                found, _ = self._plan_bus(origins[retry], dests[retry], self.p.max_walk_to_stop_fallback_m)
                for k, it in zip(retry.tolist(), found):
                    if it is not None and it.walk * WALK_SPEED_MPS < FAR_STOP_WALK_SHARE * crow[k] * DETOUR:
                        its[k], far[k] = it, True
                self.far_stop += int(far.sum())
            for q, k in enumerate(bus.tolist()):
                if its[k] is None:
                    modes[k] = CAR if drive[q] else WALK
        self._launch(citizens, origins, dests, modes, its)
        return modes

    def _crow(self, origins, dests) -> np.ndarray:
        a = self.twin.city.arrays
        return np.hypot(a["node_x"][origins] - a["node_x"][dests], a["node_y"][origins] - a["node_y"][dests])

    def _launch(self, citizens, origins, dests, modes, its) -> None:
        """Send the journeys off: cars and walkers on one leg, riders to their first stop."""
        self.stage[citizens] = 0
        self.final[citizens] = dests
        np.add.at(self.by_mode, modes, 1)
        bus = np.nonzero(modes == BUS)[0]
        if len(bus):
            now = self.twin.now + self.p.leave_margin_s
            riders = citizens[bus]
            for k, c in zip(bus.tolist(), riders.tolist()):
                it = its[k]
                self._rides[c] = it.rides
                self._base[c] = now
                self.by_transfers[it.transfers] += 1
                minutes = (it.arrival + self.p.leave_margin_s) / 60
                self._planned_min.append(minutes)
                for line in {self.tt.route_short[self.tt.pattern_route[r.pattern]] for r in it.rides}:
                    self._line_min.setdefault(line, []).append(minutes)
            self.ride_k[riders] = 0
            self.bus_journeys += len(riders)
            self._go_to_stop(riders, origins[bus], np.full(len(riders), self.twin.now))
        car = modes == CAR
        if car.any():
            self._failed(self.mobility.request(citizens[car], origins[car], dests[car], "car"))
        walk = modes == WALK
        if walk.any():
            self._walk(citizens[walk], origins[walk], dests[walk])

    def _walk(self, citizens, origins, dests) -> None:
        """Walk legs: start them, and count those beyond the walking limit — by straight line,
        or by street beyond ``STREET_DETOUR`` × the limit — as long walks (their straight-line
        lengths kept)."""
        failed = self.mobility.request(citizens, origins, dests, "walk")
        ok = ~np.isin(citizens, failed) if len(failed) else np.ones(len(citizens), bool)
        crow = self._crow(origins[ok], dests[ok])
        street = self.mobility.trip_length[citizens[ok]]
        long = (crow > self._walk_limit) | (street > STREET_DETOUR * self._walk_limit)
        if long.any():
            self._long_walk_m.append(crow[long])
        self._failed(failed)

    def _go_to_stop(self, citizens, from_nodes, times) -> None:
        """Riders set off for the boarding stop of their next ride (or wait there already)."""
        tt = self.tt
        board_nodes = np.empty(len(citizens), np.int32)
        for q, c in enumerate(citizens.tolist()):
            r = self._rides[c][self.ride_k[c]]
            self.pattern[c], self.trip[c] = r.pattern, r.trip
            self.board_pos[c], self.alight_pos[c] = r.board_pos, r.alight_pos
            self.dep_at[c] = self._base[c] + r.departure
            self.ride_s[c] = max(float(r.arrival - r.departure), 30.0)
            board_nodes[q] = tt.stop_node[r.board_stop]
        here = board_nodes == from_nodes
        if here.any():
            self._wait(citizens[here], times[here])
        go = ~here
        if go.any():
            self.stage[citizens[go]] = 1
            self._walk(citizens[go], from_nodes[go], board_nodes[go])

    def _failed(self, citizens) -> None:
        """Journeys that could not start: the citizen stays put and the day goes on."""
        if len(citizens):
            self.stage[citizens] = 0
            for c in citizens.tolist():
                self._rides.pop(c, None)
            loc = self.mobility.location[citizens]
            self._complete(citizens, loc, np.full(len(citizens), self.twin.now))

    def _leg_end(self, agents, dest, times) -> None:
        st = self.stage[agents]
        done = st == 0
        if done.any():
            self._complete(agents[done], dest[done], times[done])
        at_stop = np.nonzero(st == 1)[0]
        if len(at_stop):
            self._wait(agents[at_stop], times[at_stop])
        off_bus = np.nonzero(st == 3)[0]
        if len(off_bus):
            self._alight(agents[off_bus], dest[off_bus], times[off_bus])

    def _alight(self, citizens, nodes, times) -> None:
        """Riders off the bus: on to the next ride of the itinerary, or walk to the destination."""
        if self.record_rides:
            tt = self.tt
            for c, t in zip(citizens.tolist(), times.tolist()):
                r = self._rides[c][self.ride_k[c]]
                if self.buses is not None:     # the vehicle ridden, and its own timetable
                    trip, dep, arr = int(self.trip[c]), float(self.dep_at[c]), float(self.arr_at[c])
                else:
                    trip, dep, arr = r.trip, self._base[c] + r.departure, self._base[c] + r.arrival
                self.ride_log.append((c, tt.trip_id[trip], tt.stop_id[r.board_stop], tt.stop_id[r.alight_stop],
                                      float(self.board_t[c]), float(t), dep, arr, int(self.ride_k[c])))
        self.ride_k[citizens] += 1
        more = np.array([int(self.ride_k[c]) < len(self._rides[c]) for c in citizens.tolist()], bool)
        if more.any():
            self._go_to_stop(citizens[more], nodes[more], times[more])
        last = citizens[~more]
        if len(last):
            for c in last.tolist():
                self._rides.pop(c, None)
            self.stage[last] = 0
            self._walk(last, nodes[~more], self.final[last])

    def _wait(self, citizens, times) -> None:
        """Riders at their boarding stop: wait for the planned trip (with vehicles: queue for the
        next vehicle of its pattern), or plan again if it has left."""
        if self.buses is not None:
            b = self.buses
            ok = np.array([not b.departed(int(self.trip[c]), int(self.board_pos[c]), float(self.dep_at[c]))
                           for c in citizens.tolist()], bool)
        else:
            ok = self.dep_at[citizens] >= times - 1e-6
        c = citizens[ok]
        self.stage[c] = 2
        self.wait_from[c] = times[ok]
        if self.buses is not None:
            self.buses.wait(c, self.pattern[c], self.board_pos[c], self.alight_pos[c], times[ok])
        else:
            self.rides.at(self.dep_at[c], c)
        if (~ok).any():
            self._replan(citizens[~ok], times[~ok])

    def _replan(self, citizens, times) -> None:
        """Riders who missed the planned departure (or whose line has no vehicle left to come)
        plan again from where they are, now; a rider who already planned again at this very
        instant walks on instead (the plan cannot be caught)."""
        now = self.twin.now
        if self._replanned[0] != now:
            self._replanned = (now, set())
        seen = self._replanned[1]
        again = np.array([c in seen for c in citizens.tolist()], bool)
        seen.update(citizens.tolist())
        self.missed += len(citizens)
        nodes = self.mobility.location[citizens]
        its, _ = self._plan_bus(nodes, self.final[citizens], self._radius())
        its = [None if a else it for a, it in zip(again.tolist(), its)]
        found = np.array([it is not None for it in its], bool)
        now = self.twin.now + self.p.leave_margin_s
        for c, it in zip(citizens.tolist(), its):
            if it is not None:
                self._rides[c], self._base[c] = it.rides, now
        self.ride_k[citizens[found]] = 0
        if found.any():
            self._go_to_stop(citizens[found], nodes[found], times[found])
        lost = citizens[~found]
        if len(lost):   # no bus serves the rest of the journey any more: walk on (reported)
            self.no_departure += len(lost)
            for c in lost.tolist():
                self._rides.pop(c, None)
            self.stage[lost] = 0
            self._walk(lost, nodes[~found], self.final[lost])

    def _left_behind(self, citizens, pattern: int, pos: int, times) -> None:
        """Riders left behind by full vehicles again (``replan_after_denials`` times or more)
        choose again, by the utility of :mod:`agents.modechoice`, between the best bus itinerary
        from this stop now — the same line (its crowding and the full vehicles expected to pass
        counted), another line or a later departure — and walking the rest of the way when it is
        within the walking limit. Who keeps the same line stays in the queue, where they stand;
        the others leave it. The car is not offered: it is at home, or out (not modelled)."""
        nodes = self.mobility.location[citizens]
        its, bus_c = self._plan_bus(nodes, self.final[citizens], self._radius())
        n = len(citizens)
        cost = np.full((n, 3), np.inf)
        cost[:, BUS] = bus_c
        crow = self._crow(nodes, self.final[citizens])
        w = np.nonzero(crow <= self._walk_limit)[0]
        if len(w):
            ms = self.mobility.router("walk").distances(nodes[w], self.final[citizens[w]])
            ok = (ms >= 0) & (ms / 1000 * WALK_SPEED_MPS <= STREET_DETOUR * self._walk_limit)
            cost[w[ok], WALK] = self.choice.walk_weight_alone * ms[ok] / 60000
        modes = choose(self.choice, cost, self.rng)
        same = np.array([m == BUS and it is not None and it.rides[0].pattern == pattern
                         and it.rides[0].board_pos == pos for m, it in zip(modes.tolist(), its)], bool)
        stay = same | (modes < 0)
        self.left_behind["reconsidered"] += n
        self.left_behind["stayed"] += int(stay.sum())
        go = ~stay
        if not go.any():
            return
        self.buses.leave_queue(citizens[go], pattern, pos)
        walk = go & (modes == WALK)
        if walk.any():
            c = citizens[walk]
            self.left_behind["walked"] += len(c)
            for x in c.tolist():
                self._rides.pop(x, None)
            self.stage[c] = 0
            self._walk(c, nodes[walk], self.final[c])
        other = go & (modes == BUS)
        if other.any():
            c = citizens[other]
            self.left_behind["other_bus"] += len(c)
            waited = self.wait_from[c].copy()
            base = self.twin.now + self.p.leave_margin_s
            for x, it in zip(c.tolist(), [it for it, o in zip(its, other.tolist()) if o]):
                self._rides[x], self._base[x] = it.rides, base
            self.ride_k[c] = 0
            self._go_to_stop(c, nodes[other], times[other])
            here = self.stage[c] == 2          # waiting at this very stop for another line
            self.wait_from[c[here]] = waited[here]

    def _vehicle_board(self, citizens, vehicle, pos: int, times) -> None:
        """Riders board a vehicle of :mod:`agents.buses` (the planned trip, or another of its
        pattern): they ride with it, off where it reaches their stop."""
        b = self.buses
        self.trip[citizens] = vehicle.trip
        self.dep_at[citizens] = b.scheduled(vehicle, pos)
        self.arr_at[citizens] = [b.scheduled(vehicle, int(j)) for j in self.alight_pos[citizens].tolist()]
        self.ride_s[citizens] = self.arr_at[citizens] - self.dep_at[citizens]
        self._board(citizens, carried=True)

    def _vehicle_alight(self, citizens, times) -> None:
        """Riders get off a vehicle at their stop (the leg ends: :meth:`_leg_end`)."""
        self.mobility.set_down(citizens, times)

    def _board(self, citizens, carried: bool = False) -> None:
        """Riders board now and ride to their alighting stop: at the timetabled pace, or carried
        by a vehicle of :mod:`agents.buses` (``carried``)."""
        tt = self.tt
        now = self.twin.now
        citizens = np.asarray(citizens, np.int32)
        p = self.pattern[citizens]
        i = self.board_pos[citizens]
        j = self.alight_pos[citizens]
        ride_s = self.ride_s[citizens]
        board = tt.stop_node[self._stop_at(p, i)]
        alight = tt.stop_node[self._stop_at(p, j)]
        usable = self._usable[p]
        base = self._pos_base[p]
        e0 = np.where(usable, self._pos_edge[base + i], 0)
        e1 = np.where(usable, self._pos_edge[base + j], 0)
        lengths = e1 - e0
        offsets = np.zeros(len(citizens) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        idx = np.repeat(e0 - offsets[:-1], lengths) + np.arange(offsets[-1])
        edges = self._ride_edges[idx]
        if not usable.all():    # a pattern with a hop the road graph cannot drive: the direct road path
            bad = np.nonzero(~usable)[0]
            w, off2, e2 = self.mobility.router("bus").routes(board[bad], alight[bad])
            per = [edges[offsets[k]:offsets[k + 1]] for k in range(len(citizens))]
            for q, k in enumerate(bad.tolist()):
                per[k] = e2[off2[q]:off2[q + 1]]
            offsets = np.r_[0, np.cumsum([len(x) for x in per])].astype(np.int64)
            edges = np.concatenate(per).astype(np.int32)
        if not usable.all() and not carried:   # a vehicle drives it anyway; a rider alone cannot
            from twin.mobility import take_paths

            no_road = np.zeros(len(citizens), bool)
            no_road[bad[w < 0]] = True
            if no_road.any():             # nowhere to drive: the rider ends the journey at the stop
                self.no_road += int(no_road.sum())
                for c in citizens[no_road].tolist():
                    self._rides.pop(c, None)
                self.stage[citizens[no_road]] = 0
                self._failed(citizens[no_road])
                keep = np.nonzero(~no_road)[0]
                offsets, edges = take_paths(offsets, edges, keep)
                citizens, p, board, alight, ride_s = (citizens[keep], p[keep], board[keep], alight[keep],
                                                      ride_s[keep])
                if not len(citizens):
                    return
        csum = np.r_[0.0, np.cumsum(self.mobility.fleet.edge_len[edges])]
        path_len = csum[offsets[1:]] - csum[offsets[:-1]]
        vmax = None if carried else np.maximum(path_len / ride_s, 1.0)
        wait = now - self.wait_from[citizens]
        self._waits.append(wait)
        self.boardings += len(citizens)
        lines = [tt.route_short[tt.pattern_route[q]] for q in p.tolist()]
        self.by_line.update(lines)
        self.board_t[citizens] = now
        a = self.twin.city.arrays
        trips = self.trip[citizens]
        self.twin.emit_batch("mobility/citizen", "bus_board", now, self.mobility.names[citizens],
                             a["node_lon"][board], a["node_lat"][board],
                             line=lines, trip=[tt.trip_id[t] for t in trips.tolist()],
                             from_stop=[tt.stop_id[s] for s in self._stop_at(p, self.board_pos[citizens]).tolist()],
                             to_stop=[tt.stop_id[s] for s in self._stop_at(p, self.alight_pos[citizens]).tolist()],
                             ride=self.ride_k[citizens].astype(np.int64) + 1,
                             wait_s=np.round(wait, 1), ride_s=np.round(ride_s, 1))
        self.stage[citizens] = 3
        self.mobility.start_paths(citizens, board, alight, offsets, edges, "bus", vmax=vmax, carried=carried)

    def _stop_at(self, patterns, positions) -> np.ndarray:
        return np.array([self.tt.pattern_stops[p][i] for p, i in zip(patterns.tolist(), positions.tolist())],
                        np.int64)

    def _complete(self, citizens, dest, times) -> None:
        for cb in self.on_complete:
            cb(citizens, dest, times)

    def _alternatives(self) -> dict:
        out = {}
        for mask in np.nonzero(self.by_alternatives.sum(axis=1))[0].tolist():
            row = self.by_alternatives[mask]
            name = "car_to_bring_home" if mask & 8 else (
                "+".join(m for k, m in enumerate(MODE_NAMES) if mask & (1 << k)) or "none")
            d = out.setdefault(name, {"journeys": 0, **{m: 0 for m in MODE_NAMES}})
            d["journeys"] += int(row.sum())
            for m, v in zip(MODE_NAMES, row.tolist()):
                d[m] += int(v)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["journeys"]))

    def kpis(self) -> dict:
        w = np.concatenate(self._waits) if self._waits else np.zeros(0)
        lw = np.concatenate(self._long_walk_m) if self._long_walk_m else np.zeros(0)
        total = max(int(self.by_mode.sum()), 1)
        return {"by_mode": {m: int(v) for m, v in zip(MODE_NAMES, self.by_mode)},
                "bus_journeys": int(self.bus_journeys), "boardings": int(self.boardings),
                "no_departure_walked": int(self.no_departure), "car_instead_of_bus": int(self.car_fallback),
                "bus_with_far_stop": int(self.far_stop), "long_walks": int(len(lw)),
                "long_walk_km_p50": round(float(np.median(lw)) / 1000, 2) if len(lw) else None,
                "long_walk_km_max": round(float(lw.max()) / 1000, 2) if len(lw) else None,
                "wait_mean_min": round(float(w.mean()) / 60, 2) if len(w) else None,
                "wait_p95_min": round(float(np.percentile(w, 95)) / 60, 2) if len(w) else None,
                "timetable": None if self.tt is None else self.tt.source,
                "transit": {
                    "mode_share": {m: round(int(v) / total, 4) for m, v in zip(MODE_NAMES, self.by_mode)},
                    "ridership_by_line": dict(sorted(self.by_line.items(), key=lambda kv: (-kv[1], kv[0]))),
                    # mean planned door-to-door minutes of the bus journeys riding each line
                    "journey_min_by_line": {k: round(float(np.mean(v)), 2) for k, v in sorted(self._line_min.items())},
                    "boost_line": self.p.boost_line,
                    "journeys_by_transfers": {str(k): int(v) for k, v in sorted(self.by_transfers.items())},
                    "boardings_per_bus_journey": round(self.boardings / self.bus_journeys, 3)
                    if self.bus_journeys else None,
                    "wait_mean_min": round(float(w.mean()) / 60, 2) if len(w) else None,
                    "planned_journey_min_mean": round(float(np.mean(self._planned_min)), 2)
                    if self._planned_min else None,
                    "missed_connections": int(self.missed), "no_road_for_ride": int(self.no_road),
                    # riders left behind by full vehicles again who chose again (agents.buses:
                    # replan_after_denials): stayed in the queue, took another bus itinerary, walked on
                    "left_behind": {k: int(self.left_behind[k]) for k in ("reconsidered", "stayed", "other_bus",
                                                                           "walked")},
                    # journeys of travel() by the alternatives they were offered ('car+walk+bus',
                    # 'bus', ..., 'none'; 'car_to_bring_home': no choice), and the mode taken
                    "alternatives": self._alternatives(),
                    # journeys without the household's car, by why (agents.daily; 'free': it was offered)
                    "no_car_because": {n: int(v) for n, v in zip(CAR_STATUS, self.no_car_because) if v},
                    "long_walks": int(len(lw)),
                    # the buses as vehicles (agents.buses): on time, delays, loads, riders left behind
                    "vehicles": self.buses.kpis() if self.buses is not None else None}}
