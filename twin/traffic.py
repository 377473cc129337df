"""Traffic: the road as queues — link capacities, the shared queue network, and its KPIs.

This module owns the **mesoscopic traffic model** (issue 22). Every directed drivable edge is a
first-in-first-out queue with a free-flow time, a flow capacity and a storage capacity; the rules
are those of MATSim's QSim and SUMO's mesosim, and they are implemented over struct-of-arrays
state by the Cython kernels in ``twin/_traffic.pyx`` (read its docstring for the exact rules):

* **flow capacity** (vehicles/h) = lanes in the edge's direction × per-lane capacity by highway
  type (:data:`LANE_CAPACITY_VPH`, the defaults of MATSim's OSM network reader);
* **storage capacity** (vehicles) = length × lanes / :attr:`TrafficParams.vehicle_length_m`
  (7.5 m: a car and the gap in front of it in a standing queue), at least one vehicle;
* **lanes**: the OSM ``lanes`` tag where present (the total of both directions on a two-way
  street, so each direction gets half, at least one), else :data:`DEFAULT_LANES` by type.

:class:`RoadNetwork` is *the* road of a run: every :class:`twin.movement.Fleet` that drives in
queue mode registers its vehicles there, so citizens' cars and the city's crews share the same
queues. Pedestrians, bus passengers (who ride at the timetable's pace) and emergency vehicles
do not queue; emergency vehicles get a stated priority instead: they pass queues at
``emergency_speed_factor`` × free-flow speed (they use the opposite lane and the red light),
and take no road capacity.

:class:`Traffic` is the component (``name = "traffic"``) that holds the network for a run and
reports ``kpis.traffic``: vehicle-km, vehicle-hours, mean delay per car trip, the share of car
time lost to congestion, the most congested edges per hour and the peak-hour network speed.
"""
from __future__ import annotations

import time
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin.errors import TwinError, kernel_missing
from twin.movement import compact_paths

try:
    from twin import _traffic
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise kernel_missing("twin._traffic", exc) from None

#: vehicles per hour and lane by OSM highway type (MATSim OsmNetworkReader defaults)
LANE_CAPACITY_VPH: dict[str, float] = {
    "motorway": 2000.0, "motorway_link": 1500.0, "trunk": 2000.0, "trunk_link": 1500.0,
    "primary": 1500.0, "primary_link": 1500.0, "secondary": 1000.0, "secondary_link": 1000.0,
    "tertiary": 600.0, "tertiary_link": 600.0, "unclassified": 600.0, "road": 600.0,
    "residential": 600.0, "busway": 600.0, "living_street": 300.0, "service": 300.0, "track": 100.0,
}
#: per-lane capacity of highway types not in the table
FALLBACK_LANE_CAPACITY_VPH = 300.0
#: lanes per direction by highway type when the edge has no usable ``lanes`` tag
DEFAULT_LANES: dict[str, float] = {"motorway": 2.0, "trunk": 1.0}
#: metres a car needs in a standing queue (its length and the gap)
VEHICLE_LENGTH_M = 7.5
#: the smallest share of the road a run gets by default (:attr:`TrafficParams.capacity_factor`):
#: in a smaller sample one simulated car would stand for so many real ones that it held a lane
#: for minutes (1,000 citizens in Brașov, 0.4 %: 25 min on a 600 veh/h lane) and its delays were
#: sampling artefacts — 44 ± 24 min car trips — not congestion
MIN_CAPACITY_FACTOR = 0.05


class TrafficParams(BaseModel):
    """How vehicles share the road (a scenario's ``traffic:``; ``traffic: queue`` is short for
    ``traffic: {mode: queue}``).

    Attributes
    ----------
    mode
        ``queue`` (the default): cars queue on capacity-limited edges (this module).
        ``free_flow``: every vehicle drives at the street's speed whatever the traffic (the old
        model, kept for comparison and for tests that need exact free-flow times).
    vehicle_length_m
        Space a car takes in a standing queue; sets the storage capacity.
    capacity_factor
        Multiplies every flow and storage capacity (a scaled-down population drives on a
        network scaled down with it, as in MATSim's ``flowCapacityFactor``; ``None``: the run's
        scale, so a 10 % sample sees a tenth of the road, but never less than
        :data:`MIN_CAPACITY_FACTOR` (5 %): a smaller sample cannot load the road the way the city
        does, and drives on a road with room to spare rather than on one where each car is a
        platoon of hundreds).
    stuck_s
        A queue head that waits this long for space downstream is forced on (counted in
        ``forced_entries``): gridlock must not freeze the city. 30 s, between MATSim's default
        stuck time (10 s, ``QSimConfigGroup.stuckTime``) and SUMO's time-to-teleport (300 s),
        chosen on Brașov at 1:1 (issue 22): with the calibrated demand a 180 s stuck time let
        spillback spread into a five-hour morning jam (5.6 km/h at 09:00), 60 s still left 1,830
        cars on the road at 11:00, 30 s cleared by 10:00 (README, Traffic).
    stuck
        How: ``teleport`` (the default) — to the next edge of its path that has space, driving
        the jumped edges in their free-flow time beside the jam, or beside the road to its last
        edge (SUMO's teleport); ``force`` — into the full next edge (MATSim's stuck time). The
        default was ``force`` until the SUMO comparison (README, Validation against SUMO meso):
        on the same 0.25 Brașov day, paths and network (every lane to every next edge), the
        twin's mean trip was +12 % (p90 +16 %) over SUMO meso's with ``force``, its jam hours
        up to 8 km/h slower, and +1 % (p90 +2.5 %) with ``teleport``, every hour within 2 km/h;
        ``force`` also packs edges beyond their storage.
    emergency_speed_factor
        Emergency vehicles pass queues at this share of the free-flow speed.
    lane_passing
        On a multi-lane edge, a car bound elsewhere may pass a head blocked by spillback in
        another lane (see ``twin/_traffic.pyx``); ``False``: every edge is one FIFO queue.
    routing_bin_min
        Time-dependent routing: every this many minutes, each edge's mean travel time over the
        bin just ended (free flow where nobody left it) becomes the cars' routing weight, and the
        contraction hierarchy is rebuilt on it if it changed enough (``0``: cars always route on
        free-flow times).
    ch_order
        How a bin's hierarchy is made: ``free_flow`` re-contracts the nodes in the order of the
        free-flow hierarchy (cached with the city) on the bin's weights — the witness searches
        that *choose* an order are most of a build, so this is several times faster and as exact;
        ``rebuild`` chooses a new order for every bin (the first technique; slower).
    reroute_threshold
        Rebuild only if some edge's travel time moved by more than this share (and more than
        5 s) from the weights in use; otherwise keep the current router. When every edge is back
        within this share of free flow, cars route on free-flow times again (the cached CH).
    """

    model_config = ConfigDict(extra="forbid")
    mode: Literal["free_flow", "queue"] = "queue"
    vehicle_length_m: float = Field(VEHICLE_LENGTH_M, gt=0, le=100)
    capacity_factor: float | None = Field(None, gt=0, le=100)
    stuck_s: float = Field(30.0, gt=0, le=86400)
    stuck: Literal["force", "teleport"] = "teleport"
    emergency_speed_factor: float = Field(0.8, gt=0, le=2)
    lane_passing: bool = True
    routing_bin_min: float = Field(15.0, ge=0, le=1440)
    reroute_threshold: float = Field(0.25, gt=0, le=100)
    ch_order: Literal["free_flow", "rebuild"] = "free_flow"

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v):
        if isinstance(v, str):
            if v not in ("free_flow", "queue"):
                raise ValueError(f"traffic {v!r} is not 'free_flow' or 'queue'")
            return {"mode": v}
        return v


def _lanes_value(value) -> float | None:
    """Lanes from an OSM ``lanes`` value (``"2"``, ``"2;3"``, a list after merging: the mean)."""
    if value is None:
        return None
    vals = []
    for part in (value if isinstance(value, (list, tuple)) else [value]):
        for s in str(part).replace("|", ";").split(";"):
            try:
                x = float(s.strip())
            except ValueError:
                continue
            if x > 0:
                vals.append(x)
    return sum(vals) / len(vals) if vals else None


def edge_lanes(city) -> np.ndarray:
    """Lanes per edge in its direction of travel (float, ≥ 1), from the graph's ``lanes`` tags.

    A two-way street's ``lanes`` counts both directions, so each of its directed edges gets half
    (at least one); a one-way street gets all of them. Edges without the tag get
    :data:`DEFAULT_LANES` by highway type, else one lane.
    """
    a = city.arrays
    types = city.highway_types
    out = np.array([DEFAULT_LANES.get(types[h], 1.0) for h in range(len(types))])[a["edge_highway"]] \
        if len(types) else np.ones(city.n_edges)
    out = np.asarray(out, np.float64).copy()
    oneway = a["edge_oneway"]
    for _, _, d in city.graph.edges(data=True):
        lanes = _lanes_value(d.get("lanes"))
        if lanes is None:
            continue
        i = d["twin_edge"]
        out[i] = max(1.0, lanes if oneway[i] else round(lanes / 2.0))
    return out


def link_table(city, params: TrafficParams | None = None, scale: float = 1.0) -> dict[str, np.ndarray]:
    """Per-edge ``lanes``, ``cap_vph`` (flow capacity), ``storage`` (vehicles) and ``free_s``.

    ``scale`` multiplies both capacities (see :attr:`TrafficParams.capacity_factor`); storage
    stays at least one vehicle.
    """
    p = params or TrafficParams()
    a = city.arrays
    types = city.highway_types
    per_lane = np.array([LANE_CAPACITY_VPH.get(t, FALLBACK_LANE_CAPACITY_VPH) for t in types] or [0.0])
    lanes = edge_lanes(city)
    length = a["edge_length_mm"] / 1000.0
    cap = lanes * per_lane[a["edge_highway"]] * scale
    storage = np.maximum(1.0, length * lanes / p.vehicle_length_m * scale)
    free_s = a["edge_time_ms"] / 1000.0
    return {"lanes": lanes, "cap_vph": cap, "storage": storage, "free_s": free_s}


class RoadNetwork:
    """The queues of one city's road for one run, shared by every fleet that drives in it.

    Parameters
    ----------
    city
        The city.
    params
        Traffic parameters.
    scale
        Capacity factor (the share of the population simulated).
    edge_speed_mps
        Street speeds in m/s (default: free flow); change :attr:`edge_speed` in place for snow.

    Vehicles have global ids: :meth:`register` gives a fleet a block of them. Time is absolute
    (the run's seconds): :meth:`enter` puts vehicles on the road at ``t``, :meth:`advance_to`
    moves everyone to ``t`` (idempotent: whichever fleet ticks first moves the whole road, the
    others collect their arrivals with :meth:`take_arrivals`).
    """

    def __init__(self, city, params: TrafficParams | None = None, scale: float = 1.0,
                 edge_speed_mps: np.ndarray | None = None):
        self.city = city
        self.params = params or TrafficParams(mode="queue")
        if not scale > 0:
            raise TwinError(f"traffic capacity scale must be > 0, got {scale}")
        self.links = link_table(city, self.params, scale)
        E = city.n_edges
        self.edge_len = np.ascontiguousarray(city.arrays["edge_length_mm"] / 1000.0)
        speed = city.arrays["edge_speed_kph"] / 3.6 if edge_speed_mps is None else edge_speed_mps
        self.edge_speed = np.ascontiguousarray(speed, np.float64).copy()
        self.cap = np.ascontiguousarray(self.links["cap_vph"] / 3600.0)
        self.storage = np.ascontiguousarray(self.links["storage"])
        lanes_passing = np.floor(self.links["lanes"]) - 1 if self.params.lane_passing else np.zeros(E)
        self.passing = np.ascontiguousarray(np.maximum(0, lanes_passing), np.int32)
        self.passed = np.zeros(E, np.int64)
        self.acc = np.zeros(E)
        self.acc_t = np.zeros(E)
        self.blocked_since = np.full(E, np.inf)
        self.head = np.full(E, -1, np.int32)
        self.tail = np.full(E, -1, np.int32)
        self.occ = np.zeros(E, np.int32)
        self.whead = np.full(E, -1, np.int32)        # departing cars waiting beside the edge to merge
        self.wtail = np.full(E, -1, np.int32)
        self.wcount = np.zeros(E, np.int32)
        self.wait_since = np.full(E, np.inf)
        self._waiting_for = np.full(E, -1, np.int32)
        self._wfirst = np.full(E, -1, np.int32)
        self._wnext = np.full(E, -1, np.int32)
        self.busy = np.zeros(E, np.int32)
        self.listed = np.zeros(E, np.int32)
        self.n_busy = 0
        self.entries = np.zeros(E, np.int64)
        self.exits = np.zeros(E, np.int64)
        self.time_on = np.zeros(E)
        self.free_time = np.zeros(E)
        self.forced = np.zeros(E, np.int64)
        self._left = np.zeros(E, np.int32)
        self._heap_t = np.zeros(E)
        self._heap_e = np.zeros(E, np.int32)
        self.max_left_per_step = 0
        self.now = 0.0
        self.n_vehicles = 0
        self._alloc(0)
        self._buf = np.zeros(1 << 14, np.int32)
        self._used = 0
        self.fleets: list[tuple[int, int, list]] = []   # (base, size, pending arrivals)
        self.on_road = 0
        self._delays: list[np.ndarray] = []     # per arrival batch: trip time - free-flow time
        #: set to a list to record every trip: ("enter", t, vehicles, offsets, edges) and
        #: ("arrive", vehicles, times) tuples (the SUMO comparison replays them)
        self.trip_log: list | None = None

    def _alloc(self, n: int) -> None:
        def grow(name, fill, dtype):
            old = getattr(self, name, np.zeros(0, dtype))
            new = np.full(n, fill, dtype)
            new[:len(old)] = old
            setattr(self, name, new)
        grow("nxt", -1, np.int32)
        grow("ready", 0.0, np.float64)
        grow("entered", 0.0, np.float64)
        grow("seq_pos", 0, np.int64)
        grow("seq_end", 0, np.int64)
        grow("vmax", 1.0e6, np.float64)
        grow("trip_t0", 0.0, np.float64)
        grow("trip_free_s", 0.0, np.float64)
        grow("on", False, bool)
        self._arr = np.zeros(n, np.int32)
        self._arr_t = np.zeros(n)

    def register(self, size: int) -> int:
        """Reserve ``size`` vehicle ids for a fleet; returns the first (its base)."""
        base = self.n_vehicles
        self.n_vehicles += int(size)
        self._alloc(self.n_vehicles)
        self.fleets.append((base, int(size), []))
        return base

    # ---- entering ------------------------------------------------------------------------------
    def enter(self, vehicles, offsets, edges, vmax, t: float) -> None:
        """Put vehicles (global ids, not on the road) on their paths at time ``t`` (≥ :attr:`now`).

        ``edges[offsets[k]:offsets[k+1]]`` (non-empty) is vehicle ``vehicles[k]``'s path; ``vmax``
        its own top speed in m/s (one value or one per vehicle).
        """
        vehicles = np.asarray(vehicles, np.int32)
        if len(vehicles) == 0:
            return
        if t < self.now - 1e-9:
            raise TwinError(f"vehicles cannot enter the road in the past (t={t} < now={self.now})")
        offsets = np.ascontiguousarray(offsets, np.int64)
        edges = np.asarray(edges, np.int32)
        lengths = np.diff(offsets)
        if (lengths <= 0).any():
            raise TwinError("a vehicle entering the road needs a non-empty path")
        if self.on[vehicles].any():
            raise TwinError(f"vehicles already on the road: {vehicles[self.on[vehicles]][:5].tolist()}")
        vm = np.ascontiguousarray(vmax, np.float64).reshape(-1)
        if len(vm) != 1 and len(vm) != len(vehicles):
            raise TwinError(f"vmax needs one value or one per vehicle, got {len(vm)} for {len(vehicles)}")
        self._reserve(len(edges))
        base = self._used
        self._buf[base:base + len(edges)] = edges
        self._used += len(edges)
        self.on[vehicles] = True
        if self.trip_log is not None:
            self.trip_log.append(("enter", float(t), vehicles.copy(), offsets.copy(), edges.copy()))
        # the kernel writes each vehicle's path span, top speed, start and free-flow trip time
        self.n_busy = _traffic.enter(vehicles, float(t), self._buf, self.seq_pos, self.vmax, self.edge_len,
                                     self.edge_speed, self.storage, self.head, self.tail, self.nxt, self.occ,
                                     self.ready, self.entered, self.entries, self.busy, self.listed, self.n_busy,
                                     self.whead, self.wtail, self.wcount, offsets, base, vm, self.seq_end,
                                     self.trip_free_s, self.trip_t0)
        self.on_road += len(vehicles)

    def _reserve(self, extra: int) -> None:
        if self._used + extra <= len(self._buf):
            return
        self._buf, self._used = compact_paths(self._buf, self.seq_pos, self.seq_end, np.nonzero(self.on)[0], extra)

    # ---- moving -------------------------------------------------------------------------------
    def advance_to(self, t: float) -> None:
        """Move every vehicle on the road to time ``t``; arrivals go to their fleet's pending list."""
        if t <= self.now:
            return
        if self.n_busy == 0:            # nobody on the road nor waiting beside it: nothing moves
            self.now = float(t)
            return
        nb, na, mx = _traffic.advance(
            self.now, float(t), self._buf, self.seq_pos, self.seq_end, self.vmax, self.edge_len,
            self.edge_speed, self.cap, self.storage, self.params.stuck_s, self.params.stuck == "teleport",
            self.passing, self.passed,
            self.acc, self.acc_t,
            self.blocked_since, self.head, self.tail, self.nxt, self.occ, self.ready, self.entered,
            self.busy, self.listed, self.n_busy, self.entries, self.exits, self.time_on, self.free_time,
            self.forced, self._left, self._heap_t, self._heap_e, self._arr, self._arr_t,
            self.whead, self.wtail, self.wcount, self.wait_since, self._waiting_for, self._wfirst, self._wnext)
        self.n_busy = nb
        self.max_left_per_step = max(self.max_left_per_step, mx)
        self.now = float(t)
        if na:
            self.on_road -= na
            v, at = self._arr[:na].copy(), self._arr_t[:na].copy()
            self.seq_pos[v] = self.seq_end[v]
            self.on[v] = False
            delay = (at - self.trip_t0[v]) - self.trip_free_s[v]
            self._delays.append(delay)
            if self.trip_log is not None:
                self.trip_log.append(("arrive", v, at))
            for base, size, pending in self.fleets:
                sel = (v >= base) & (v < base + size)
                if sel.any():
                    pending.append((v[sel] - base, at[sel]))

    def take_arrivals(self, base: int) -> tuple[np.ndarray, np.ndarray]:
        """The arrivals of the fleet whose ids start at ``base`` since it last asked:
        ``(local vehicle ids, arrival times)``, in the order they happened."""
        for b, _, pending in self.fleets:
            if b == base:
                if not pending:
                    return np.zeros(0, np.int32), np.zeros(0)
                v = np.concatenate([p[0] for p in pending]).astype(np.int32)
                at = np.concatenate([p[1] for p in pending])
                pending.clear()
                return v, at
        raise TwinError(f"no fleet registered at vehicle id {base}")

    # ---- where is everyone ----------------------------------------------------------------------
    def current_edges(self, vehicles) -> np.ndarray:
        """Edge each vehicle (global id) is on; only meaningful for vehicles on the road."""
        return self._buf[self.seq_pos[np.asarray(vehicles, np.int64)]]

    def fraction_along(self, vehicles, t: float) -> np.ndarray:
        """How far along its edge each vehicle is at ``t`` (0..1; 1 while it waits in the queue)."""
        v = np.asarray(vehicles, np.int64)
        span = np.maximum(self.ready[v] - self.entered[v], 1e-9)
        return np.clip((t - self.entered[v]) / span, 0.0, 1.0)


def _by_street(names, ename, exits, time_on, free, length, scale: float) -> dict:
    """Per street name (all its edges, both directions, over the run): ``vehicle_km``,
    ``vehicle_hours``, ``lost_vehicle_hours`` (time on it beyond free flow) and ``speed_ratio``
    (free-flow time / time taken). Streets with at least 1 vehicle-km per unit of ``scale``
    (real, not simulated, traffic; the figures themselves are the simulated vehicles', like the
    other traffic KPIs). Two runs compared street by street show where a closure's traffic went."""
    named = ename >= 0
    if not named.any():
        return {}
    k, m = ename[named], len(names)
    vkm = np.bincount(k, (exits * length)[named], m) / 1000.0
    vh = np.bincount(k, time_on[named], m) / 3600.0
    fh = np.bincount(k, free[named], m) / 3600.0
    out = {}
    for i in np.nonzero(vkm >= max(scale, 1e-9))[0]:
        out[names[i]] = {"vehicle_km": round(float(vkm[i]), 2), "vehicle_hours": round(float(vh[i]), 3),
                         "lost_vehicle_hours": round(float(vh[i] - fh[i]), 3),
                         "speed_ratio": round(float(fh[i] / vh[i]), 4) if vh[i] > 0 else None}
    return out


class Traffic:
    """The run's traffic model and its KPIs (component ``"traffic"``).

    Parameters
    ----------
    params
        The scenario's ``traffic:``.
    scale
        Share of the city's population simulated (capacities scale with it, never below
        :data:`MIN_CAPACITY_FACTOR`, unless :attr:`TrafficParams.capacity_factor` says otherwise).
    """

    name = "traffic"

    def __init__(self, params: TrafficParams | None = None, scale: float = 1.0):
        self.params = params or TrafficParams()
        self.scale = float(self.params.capacity_factor or max(scale, MIN_CAPACITY_FACTOR))
        self.network: RoadNetwork | None = None

    @property
    def queue(self) -> bool:
        """True if vehicles queue (``mode: queue``)."""
        return self.params.mode == "queue"

    def attach(self, twin) -> None:
        self.twin = twin
        if self.queue:
            self.network = RoadNetwork(twin.city, self.params, self.scale)
            self._free_speed = self.network.edge_speed.copy()
            twin.conditions.listeners.append(self._on_conditions)
        self._hourly: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._last = None
        twin.env.process(self._hours())
        self._router = None                       # time-dependent router, or None: free flow
        self._router_closed = None
        self.rebuilds: list[tuple[float, float]] = []   # (sim time, wall seconds) per CH build
        if self.queue and self.params.routing_bin_min > 0:
            free = twin.city.arrays["edge_time_ms"].astype(np.int64)
            self._free_ms = free
            self._weights = free.copy()
            self._bin_last = (np.zeros_like(self.network.exits), np.zeros_like(self.network.time_on))
            twin.env.process(self._bins())

    # ---- time-dependent routing -------------------------------------------------------------------
    def router(self):
        """The cars' router on the travel times of the last bin, or None (route on free flow).

        Technique: a contraction hierarchy **re-contracted** on the new weights when they change
        enough (see :attr:`TrafficParams.reroute_threshold`), in the node order of the free-flow
        hierarchy (:attr:`TrafficParams.ch_order`): the contraction still runs its witness
        searches (any order gives exact distances), but skips choosing an order, most of a
        build's cost. A customizable CH (a metric-independent order and a customisation without
        witness searches) would be cheaper still; the cost per bin is in ``kpis.traffic.routing``.
        A router built before a road was closed or reopened is dropped (the twin's own router
        knows the closure) until the next bin rebuilds one.
        """
        if self._router is None:
            return None
        if not np.array_equal(self._router_closed, self.twin.closed_edges):
            self._router = None
            return None
        return self._router

    def _bins(self):
        env = self.twin.env
        bin_s = self.params.routing_bin_min * 60.0
        while True:
            yield env.timeout(bin_s - env.now % bin_s)
            self._rebin()

    def _rebin(self) -> None:
        net = self.network
        net.advance_to(self.twin.now)
        exits, time_on = net.exits.copy(), net.time_on.copy()
        n = exits - self._bin_last[0]
        spent = time_on - self._bin_last[1]
        self._bin_last = (exits, time_on)
        observed = np.where(n > 0, np.round(1000.0 * spent / np.maximum(n, 1)), 0).astype(np.int64)
        w = np.maximum(self._free_ms, observed)
        thr = self.params.reroute_threshold
        moved = (np.abs(w - self._weights) > thr * self._weights) & (np.abs(w - self._weights) > 5000)
        if not moved.any():
            return
        from twin.routing import Router

        if not ((w - self._free_ms) > np.maximum(thr * self._free_ms, 5000)).any():
            self._router, self._weights = None, self._free_ms.copy()      # back to free flow
            return
        closed = self.twin.closed_edges
        t0 = time.perf_counter()
        rank = self.twin.city.router("time", "drive").rank if self.params.ch_order == "free_flow" else None
        self._router = Router(self.twin.city, "time", "drive", closed_edges=closed if len(closed) else None,
                              edge_time_ms=w, rank=rank)
        self.rebuilds.append((self.twin.now, time.perf_counter() - t0))
        self._router_closed = closed.copy()
        self._weights = w

    def _on_conditions(self, what: str) -> None:
        if what == "speed":
            self.network.edge_speed[:] = self._free_speed * self.twin.conditions.speed_factor

    def _hours(self):
        env = self.twin.env
        while True:
            yield env.timeout(3600.0 - env.now % 3600.0)
            self._snapshot()

    def _snapshot(self) -> None:
        net = self.network
        if net is None:
            return
        net.advance_to(self.twin.now)
        cur = (net.exits.copy(), net.time_on.copy(), net.free_time.copy())
        prev = self._last or (np.zeros_like(cur[0]), np.zeros_like(cur[1]), np.zeros_like(cur[2]))
        hour = int(round(self.twin.now / 3600.0)) - 1
        self._hourly.append((hour, cur[0] - prev[0], cur[1] - prev[1], cur[2] - prev[2]))
        self._last = cur

    def kpis(self) -> dict:
        """``kpis.traffic``: see the module docstring. Free-flow runs report only their mode."""
        out: dict = {"mode": self.params.mode}
        net = self.network
        if net is None:
            return out
        length = net.edge_len
        exits, time_on, free = net.exits, net.time_on, net.free_time
        veh_h = float(time_on.sum()) / 3600.0
        lost = float(time_on.sum() - free.sum())
        delays = np.concatenate(net._delays) if net._delays else np.zeros(0)
        out.update({
            "vehicle_km": round(float((exits * length).sum()) / 1000.0, 1),
            "vehicle_hours": round(veh_h, 1),
            "car_trips": int(len(delays)),
            "mean_delay_s": round(float(delays.mean()), 1) if len(delays) else None,
            "share_time_lost": round(lost / float(time_on.sum()), 4) if time_on.sum() > 0 else None,
            "forced_entries": int(net.forced.sum()),
            "on_road": int(net.on_road),
            "capacity_scale": round(self.scale, 6),
        })
        names, ename = self.twin.city.edge_names, self.twin.city.arrays["edge_name"]
        # an edge counts as congested only if it carried 10 real vehicles in the hour (scaled)
        min_vehicles = max(1, int(np.ceil(10 * self.scale)))
        hourly = []
        worst: list[tuple[float, int, int, int]] = []
        rows = list(self._hourly)
        done_h = self._hourly[-1][0] + 1 if self._hourly else 0
        if self.twin.now > done_h * 3600.0 + 1e-9:       # the hour in progress (read, not stored)
            prev = self._last or (np.zeros_like(exits), np.zeros_like(time_on), np.zeros_like(free))
            rows.append((done_h, exits - prev[0], time_on - prev[1], free - prev[2]))
        for hour, ex, ton, fr in rows:
            km = float((ex * length).sum()) / 1000.0
            h = float(ton.sum()) / 3600.0
            fh = float(fr.sum()) / 3600.0
            hourly.append({"hour": hour, "vehicle_km": round(km, 1),
                           "speed_kph": round(km / h, 1) if h > 0 else None,
                           "free_flow_kph": round(km / fh, 1) if fh > 0 else None})
            busy = np.nonzero(ex >= min_vehicles)[0]
            if len(busy):
                ratio = fr[busy] / np.maximum(ton[busy], 1e-9)
                for k in np.argsort(ratio, kind="stable")[:10]:
                    worst.append((float(ratio[k]), hour, int(busy[k]), int(ex[busy[k]])))
        out["hourly"] = hourly
        if hourly:
            peak = max(hourly, key=lambda r: r["vehicle_km"])
            out["peak_hour"] = peak
        worst.sort()
        seen, top = set(), []
        for ratio, hour, e, n in worst:
            if e in seen:
                continue
            seen.add(e)
            top.append({"edge": e, "street": names[ename[e]] if ename[e] >= 0 else None, "hour": hour,
                        "vehicles": n, "speed_ratio": round(ratio, 4)})
            if len(top) == 10:
                break
        out["most_congested"] = top
        out["by_street"] = _by_street(names, ename, exits, time_on, free, length, self.scale)
        if self.params.routing_bin_min > 0:
            walls = [w for _, w in self.rebuilds]
            out["routing"] = {"technique": "CH re-contracted in the free-flow order on the last bin's link travel times"
                              if self.params.ch_order == "free_flow" else "CH rebuilt on the last bin's link travel times",
                              "bin_min": self.params.routing_bin_min, "rebuilds": len(walls),
                              "build_s_total": round(sum(walls), 2),
                              "build_s_mean": round(sum(walls) / len(walls), 3) if walls else None,
                              "rebuilt_at_h": [round(t / 3600.0, 2) for t, _ in self.rebuilds]}
        return out
