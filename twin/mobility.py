"""Mobility: trips on the road graph, routed by the CH kernel and moved by the movement kernel.

The :class:`Mobility` component is how any part of the twin moves someone: call
:meth:`Mobility.request` with arrays of agents, origins, destinations and a mode, and they are
routed in one batch (exact fastest paths; cars on drivable edges in their legal direction,
pedestrians on walkable edges either way), loaded into the :class:`twin.movement.Fleet`, and
advanced every ``tick_s`` simulated seconds while anyone is moving. Each trip publishes
``trip_start`` and ``trip_end`` (or ``trip_unreachable``) on ``city/<slug>/mobility/<kind>``;
arrival callbacks let the agents' processes go on with their day.

**Private places.** :attr:`Mobility.private_nodes` may give each agent a node that is never
published exactly — a citizen's home (:mod:`agents.daily` sets it). A trip that starts or ends
there publishes that end as its grid cell's point (:class:`twin.geoprivacy.HomeGrid`, 500 m),
``to_node`` as ``-1``, and ``coarse: true``; places that are not private (workplaces, shops,
stops) stay exact. Its length and duration are those of the same trip from (or to) the cell's
*representative node* — the road node nearest the cell's point — instead of the home: the
length of that fastest path at free flow (also in queue mode, where the cars themselves route on
the traffic's travel times), and the trip's real duration scaled by the ratio of the two paths'
free-flow times (so weather and delays still show, and the speed stays within street limits).
They are the same for every home of the cell, whenever the trip starts, so an exact route length
cannot single out the home among its neighbours (with exact lengths, one trip from home to a known workplace gives
away the home node for about 3 citizens in 4 in the demo town). Where the representative
cannot reach the other end, the figures are rounded instead (100 m down, 60 s up). The kernels
and the KPIs keep the exact figures.

**Traffic.** If the twin has a ``traffic`` component in queue mode (:class:`twin.traffic.Traffic`),
cars (``mode="car"``) drive on its shared :class:`twin.traffic.RoadNetwork` and queue there;
pedestrians and bus passengers (carried by the buses of :mod:`agents.buses`, or paced by the
timetable) do not. A mobility of
:data:`EMERGENCY_KINDS` (the responders' units) never queues: it passes queues at the traffic's
``emergency_speed_factor`` × free-flow speed — its stated priority.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twin.errors import TwinError
from twin.geoprivacy import HomeGrid, coarse_duration, coarse_length
from twin.movement import CAR_VMAX, Fleet, _movement
from twin.routing import WALK_SPEED_MPS

MODES = {"car": 0, "walk": 1, "bus": 2}
MODE_NAMES = {v: k for k, v in MODES.items()}
#: edge-mode network each travel mode routes on
ROUTE_NETWORK = {"car": "drive", "walk": "walk", "bus": "drive"}
#: kinds of agent that are emergency vehicles (never queue; see the module docstring)
EMERGENCY_KINDS = frozenset({"unit"})


def take_paths(offsets: np.ndarray, edges: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Select paths ``keep`` from flat ``(offsets, edges)`` arrays; returns new flat arrays."""
    lengths = (offsets[1:] - offsets[:-1])[keep]
    new_off = np.zeros(len(keep) + 1, np.int64)
    np.cumsum(lengths, out=new_off[1:])
    idx = np.repeat(offsets[:-1][keep] - new_off[:-1], lengths) + np.arange(new_off[-1])
    return new_off, edges[idx]


def path_sums(offsets: np.ndarray, per_edge: np.ndarray) -> np.ndarray:
    """Sum of ``per_edge`` over each path ``offsets[k]:offsets[k+1]`` (0 for an empty one), added
    edge by edge from 0 (:func:`twin._movement.path_sums`), so a path's sum does not depend on
    the other paths of the batch nor on where it sits in memory."""
    return _movement.path_sums(np.ascontiguousarray(offsets, np.int64),
                               np.ascontiguousarray(per_edge, np.float64))


class Mobility:
    """Trips of up to ``capacity`` agents (ids ``0..capacity-1``) of one kind.

    Parameters
    ----------
    capacity
        Number of agents that may travel.
    kind
        What the agents are (``"citizen"``); used in entity ids (``citizen:17``) and topics.
    tick_s
        Movement time step in simulated seconds.
    name
        Component name (one Mobility per kind of agent).
    record_paths
        Keep every trip's ``(agent, mode, origin, destination, edges)`` in :attr:`paths`
        (for tests and small runs: it grows with every trip).
    """

    def __init__(self, capacity: int, kind: str = "citizen", tick_s: float = 5.0, name: str = "mobility",
                 record_paths: bool = False):
        if not tick_s > 0:
            raise TwinError(f"tick_s must be > 0 seconds, got {tick_s}")
        self.name = name
        self.kind = kind
        self.capacity = int(capacity)
        self.tick_s = float(tick_s)
        self.record_paths = record_paths
        self.paths: list[tuple[int, str, int, int, np.ndarray]] = []
        self.on_arrival: list[Callable[[np.ndarray, np.ndarray, np.ndarray], None]] = []
        # per-agent current trip
        self.trip_start = np.zeros(capacity, np.float64)
        self.trip_length = np.zeros(capacity, np.float64)
        self.trip_mode = np.zeros(capacity, np.int8)
        self.trip_dest = np.full(capacity, -1, np.int32)
        self.location = np.full(capacity, -1, np.int32)
        self.names = np.array([f"{kind}:{i}" for i in range(capacity)], dtype=object)
        #: per agent, a node never published exactly (a citizen's home), or None
        self.private_nodes: np.ndarray | None = None
        self.trip_coarse = np.zeros(capacity, bool)
        self.trip_pub_length = np.zeros(capacity, np.float64)     # published length of a coarse trip
        self.trip_pub_scale = np.ones(capacity, np.float64)       # published / real duration (NaN: rounded)
        self._reps: dict[str, np.ndarray] = {}
        self._stand_router = None                     # the free-flow router the stand-ins were routed on
        self._stand_cache: dict[tuple, tuple] = {}    # (from, to, top speed) → (ok, length, free time)
        # statistics
        self.started = np.zeros(len(MODES), np.int64)
        self.completed = np.zeros(len(MODES), np.int64)
        self.unreachable = 0
        self.km = np.zeros(len(MODES), np.float64)
        self._durations: list[list[np.ndarray]] = [[] for _ in MODES]

    def attach(self, twin) -> None:
        self.twin = twin
        city = twin.city
        traffic = next((c for c in twin.components if c.name == "traffic"), None)
        self._traffic = traffic if getattr(traffic, "network", None) is not None else None
        network = getattr(traffic, "network", None)
        self.emergency = self.kind in EMERGENCY_KINDS
        self._speed_factor = 1.0
        if network is not None and self.emergency:
            self._speed_factor = traffic.params.emergency_speed_factor
            network = None
        self.fleet = Fleet(city, self.capacity, road=network)
        self.fleet.edge_speed *= self._speed_factor
        self._free_speed = self.fleet.edge_speed.copy()
        self.grid = HomeGrid(float(np.median(city.arrays["node_lat"])))
        twin.conditions.listeners.append(self._on_conditions)
        self._wake = twin.env.event()
        self._next_step: float | None = None
        twin.env.process(self._ticker())

    def router(self, mode: str):
        """The run's fastest-path router for ``mode`` (buses drive): the twin's current one, so
        roads closed or reopened during the run are respected; in queue mode, cars route on the
        travel times the traffic produced (:meth:`twin.traffic.Traffic.router`) when it has them."""
        if mode != "walk" and self._traffic is not None and not self.emergency:
            r = self._traffic.router()
            if r is not None:
                return r
        return self.twin.router("time", "walk" if mode == "walk" else "drive")

    def _on_conditions(self, what: str) -> None:
        if what == "speed":                       # snow, ice: every road slower by the same share
            self.fleet.edge_speed[:] = self._free_speed * self.twin.conditions.speed_factor

    # ---- trips ---------------------------------------------------------------------------------
    def request(self, agents, origins, destinations, mode: str) -> np.ndarray:
        """Start trips now: agent ``agents[k]`` goes from node ``origins[k]`` to
        ``destinations[k]`` by ``mode`` (``"car"``, ``"walk"`` or ``"bus"``) on the fastest path.

        Returns the agents that could not go (no path); they stay where they are.
        """
        if mode not in MODES:
            raise TwinError(f"mode={mode!r} is not one of {tuple(MODES)}")
        agents = np.asarray(agents, np.int32)
        if len(agents) == 0:
            return agents
        origins = np.asarray(origins, np.int32)
        destinations = np.asarray(destinations, np.int32)
        weights, offsets, edges = self.router(mode).routes(origins, destinations)
        ok = weights >= 0
        failed = agents[~ok]
        if len(failed):
            o, d = origins[~ok], destinations[~ok]
            self.unreachable += len(failed)
            lon, lat, _ = self._published(failed, o)
            self.twin.emit_batch(f"mobility/{self.kind}", "trip_unreachable", self.twin.now,
                                 self.names[failed], lon, lat, mode=[mode] * len(failed),
                                 to_node=np.where(self._private(failed, d), -1, d))
            keep = np.nonzero(ok)[0]
            agents, origins, destinations = agents[keep], origins[keep], destinations[keep]
            offsets, edges = take_paths(offsets, edges, keep)
        self.start_paths(agents, origins, destinations, offsets, edges, mode)
        return failed

    def start_paths(self, agents, origins, destinations, offsets, edges, mode: str, vmax=None,
                    carried: bool = False) -> None:
        """Start trips now along given edge paths (``edges[offsets[k]:offsets[k+1]]`` for agent
        ``agents[k]``); ``vmax`` (m/s, per agent or one value) overrides the mode's top speed,
        e.g. a bus ride paced to its timetable. ``carried``: the agents ride a vehicle that
        another component moves (a bus of :mod:`agents.buses`); the trip is started and
        published like any other, but the fleet does not move them — :meth:`set_down` ends it."""
        agents = np.asarray(agents, np.int32)
        if len(agents) == 0:
            return
        origins = np.asarray(origins, np.int32)
        destinations = np.asarray(destinations, np.int32)
        m = MODES[mode]
        now = self.twin.now
        self.trip_start[agents] = now
        self.trip_mode[agents] = m
        self.trip_dest[agents] = destinations
        self.location[agents] = -1
        self.started[m] += len(agents)
        csum = np.concatenate([[0.0], np.cumsum(self.fleet.edge_len[edges])])
        lengths = csum[offsets[1:]] - csum[offsets[:-1]]
        self.trip_length[agents] = lengths
        if self.record_paths:
            for k, ag in enumerate(agents.tolist()):
                self.paths.append((ag, mode, int(origins[k]), int(destinations[k]),
                                   edges[offsets[k]:offsets[k + 1]].copy()))
        if vmax is None:
            vmax = WALK_SPEED_MPS if mode == "walk" else CAR_VMAX
        lon, lat, from_private = self._published(agents, origins)
        to_private = self._private(agents, destinations)
        coarse = from_private | to_private
        self.trip_coarse[agents] = coarse
        if coarse.any():
            self._stand_in(agents, origins, destinations, offsets, edges, mode, vmax, from_private, to_private)
        shown = np.where(coarse, self.trip_pub_length[agents], np.round(lengths, 1))
        self.twin.emit_batch(f"mobility/{self.kind}", "trip_start", now, self.names[agents], lon, lat,
                             mode=[mode] * len(agents), to_node=np.where(to_private, -1, destinations),
                             length_m=shown, coarse=coarse)
        if carried:
            return
        # the next step moves agents over (T - tick, T]; one who leaves now waits the part before now
        delay = 0.0 if self._next_step is None else self.tick_s - (self._next_step - now)
        queue = self.fleet.road is not None and mode == "car"
        at_dest = self.fleet.depart(agents, offsets, edges, vmax, delay=max(delay, 0.0), queue=queue, now=now)
        if len(at_dest):
            self._arrive(at_dest, np.full(len(at_dest), now))
        if self.fleet.n_active and not self._wake.triggered:
            self._wake.succeed()

    def set_down(self, agents, times) -> None:
        """End carried trips (:meth:`start_paths` with ``carried``) at ``times``: the agents are
        at their destinations, ``trip_end`` is published and the arrival callbacks run."""
        agents = np.asarray(agents, np.int32)
        if len(agents):
            self._arrive(agents, np.asarray(times, np.float64))

    def _ticker(self):
        env = self.twin.env
        while True:
            if self.fleet.n_active == 0:
                self._next_step = None
                self._wake = env.event()
                yield self._wake
            self._next_step = env.now + self.tick_s
            yield env.timeout(self.tick_s)
            t0 = env.now - self.tick_s
            arrived, after = self.fleet.step(self.tick_s, now=env.now)
            if len(arrived):
                self._arrive(arrived, t0 + after)

    # ---- what is published ------------------------------------------------------------------------
    def _private(self, agents: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """Which of ``nodes`` is the private place of the agent beside it."""
        if self.private_nodes is None:
            return np.zeros(len(agents), bool)
        return np.asarray(self.private_nodes)[agents] == nodes

    def _published(self, agents: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(lon, lat, private)`` to publish for agents at ``nodes``: exact, except a private
        place, which is the centre of its grid cell."""
        a = self.twin.city.arrays
        lon, lat = a["node_lon"][nodes], a["node_lat"][nodes]
        private = self._private(agents, nodes)
        if private.any():
            clon, clat = self.grid.centres(lon[private], lat[private])
            lon, lat = lon.copy(), lat.copy()
            lon[private], lat[private] = clon, clat
        return lon, lat, private

    def _representatives(self, network: str) -> np.ndarray:
        """For every node, the representative of its grid cell on ``network`` — the node of the
        network's core nearest the cell's point — or -1 if the cell has none."""
        reps = self._reps.get(network)
        if reps is None:
            a = self.twin.city.arrays
            core = np.asarray(self.twin.city.core_nodes(network), np.int64)
            lon, lat = a["node_lon"], a["node_lat"]
            cx, cy = self.grid.centres(lon, lat)
            d = np.hypot((lon[core] - cx[core]) / self.grid.lon_step, (lat[core] - cy[core]) / self.grid.lat_step)
            best: dict[tuple, tuple] = {}
            for n, key, dist in zip(core.tolist(), zip(cx[core].tolist(), cy[core].tolist()), d.tolist()):
                if key not in best or (dist, n) < best[key]:
                    best[key] = (dist, n)
            reps = np.array([best.get(k, (0.0, -1))[1] for k in zip(cx.tolist(), cy.tolist())], np.int64)
            self._reps[network] = reps
        return reps

    def _stand_in(self, agents, origins, destinations, offsets, edges, mode, vmax, from_private,
                  to_private) -> None:
        """Published length and duration scale of the coarse trips among ``agents``: those of the
        trip with each private end moved to its cell's representative (see the module docstring).

        The stand-in's figures depend only on its two ends and the top speed, so they are kept
        per ``(ends, top speed)`` while the free-flow router stays the same (a closure replaces
        it): most coarse trips are a walk between a home's cell and a stop, or a drive between a
        cell and a workplace, which many citizens share. Path sums are taken per path
        (:func:`path_sums`), so a trip's figures do not depend on who else left in the same step."""
        sel = np.nonzero(from_private | to_private)[0]
        reps = self._representatives(ROUTE_NETWORK[mode])
        o = np.where(from_private[sel], reps[origins[sel]], origins[sel])
        d = np.where(to_private[sel], reps[destinations[sel]], destinations[sel])
        # the free-flow router (closures respected), never the traffic's time-dependent one: the
        # stand-in must depend on the cell and the other end only, not on when the trip started
        free = self.twin.router("time", "walk" if mode == "walk" else "drive")
        if free is not self._stand_router:
            self._stand_router, self._stand_cache = free, {}
        cache = self._stand_cache
        vm = np.asarray(vmax, np.float64)
        vm = np.full(len(sel), vm) if vm.ndim == 0 else vm[sel]
        keys = list(zip(o.tolist(), d.tolist(), vm.tolist()))
        miss = list(dict.fromkeys(k for k in keys if k not in cache))
        if miss:
            mo = np.array([k[0] for k in miss], np.int64)
            md = np.array([k[1] for k in miss], np.int64)
            mv = np.array([k[2] for k in miss], np.float64)
            ok = (mo >= 0) & (md >= 0)
            w, off2, e2 = free.routes(np.where(ok, mo, 0), np.where(ok, md, 0))
            ok &= (w >= 0) | (mo == md)
            pub_len = np.round(path_sums(off2, self.fleet.edge_len[e2]), 1)
            t_pub = self._free_time(off2, e2, mv)
            for k, a, b, c in zip(miss, ok.tolist(), pub_len.tolist(), t_pub.tolist()):
                cache[k] = (a, b, c)
        got = [cache[k] for k in keys]
        ok = np.array([g[0] for g in got], bool)
        pub_len = np.array([g[1] for g in got], np.float64)
        t_pub = np.array([g[2] for g in got], np.float64)
        offsets = np.asarray(offsets, np.int64)
        vm_all = np.asarray(vmax, np.float64)
        vm_all = np.full(len(agents), vm_all) if vm_all.ndim == 0 else vm_all
        t_real = self._free_time(offsets, np.asarray(edges), vm_all)[sel]
        fallback = coarse_length(path_sums(offsets, self.fleet.edge_len[edges])[sel],
                                 walk=np.full(len(sel), mode == "walk"), walk_speed=WALK_SPEED_MPS)
        ag = agents[sel]
        self.trip_pub_length[ag] = np.where(ok, pub_len, fallback)
        self.trip_pub_scale[ag] = np.where(ok, np.where(t_real > 0, t_pub / np.maximum(t_real, 1e-9), 1.0), np.nan)

    def _free_time(self, off, es, vm) -> np.ndarray:
        """Free-flow time of each path, at min(its own top speed ``vm``, the street's speed)."""
        v = np.minimum(np.repeat(vm, off[1:] - off[:-1]), self._free_speed[es])
        return path_sums(off, self.fleet.edge_len[es] / np.maximum(v, 1e-9))

    def _arrive(self, agents: np.ndarray, times: np.ndarray) -> None:
        order = np.lexsort((agents, times))          # deterministic event order
        agents, times = agents[order], times[order]
        dest = self.trip_dest[agents]
        self.location[agents] = dest
        modes = self.trip_mode[agents]
        dur = times - self.trip_start[agents]
        lengths = self.trip_length[agents]
        np.add.at(self.completed, modes, 1)
        np.add.at(self.km, modes, lengths / 1000.0)
        for m in MODES.values():
            sel = modes == m
            if sel.any():
                self._durations[m].append(dur[sel])
        lon, lat, _ = self._published(agents, dest)
        coarse = self.trip_coarse[agents]
        scale = self.trip_pub_scale[agents]
        unknown = np.isnan(scale)
        pub_dur = np.where(unknown, coarse_duration(dur), np.round(dur * np.where(unknown, 0.0, scale), 2))
        self.twin.emit_batch(f"mobility/{self.kind}", "trip_end", times, self.names[agents], lon, lat,
                             mode=[MODE_NAMES[int(m)] for m in modes],
                             duration_s=np.where(coarse, pub_dur, np.round(dur, 2)),
                             length_m=np.where(coarse, self.trip_pub_length[agents], np.round(lengths, 1)),
                             coarse=coarse)
        for callback in self.on_arrival:
            callback(agents, dest, times)

    # ---- results -------------------------------------------------------------------------------
    def kpis(self) -> dict:
        out = {"trips_started": int(self.started.sum()), "trips_completed": int(self.completed.sum()),
               "trips_unreachable": int(self.unreachable), "in_transit": int(self.fleet.n_active)}
        for mode, m in MODES.items():
            d = np.concatenate(self._durations[m]) if self._durations[m] else np.zeros(0)
            out[mode] = {
                "trips": int(self.completed[m]), "km": round(float(self.km[m]), 1),
                "mean_min": round(float(d.mean()) / 60, 2) if len(d) else None,
                "p50_min": round(float(np.percentile(d, 50)) / 60, 2) if len(d) else None,
                "p95_min": round(float(np.percentile(d, 95)) / 60, 2) if len(d) else None,
            }
        tr = self.fleet.traffic
        top = np.argsort(-tr, kind="stable")[:5]
        names = self.twin.city.edge_names
        ename = self.twin.city.arrays["edge_name"]
        out["busiest_edges"] = [{"edge": int(e), "street": names[ename[e]] if ename[e] >= 0 else None,
                                 "entries": int(tr[e])} for e in top if tr[e] > 0]
        return out
