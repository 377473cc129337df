"""Mobility: trips on the road graph, routed by the CH kernel and moved by the movement kernel.

The :class:`Mobility` component is how any part of the twin moves someone: call
:meth:`Mobility.request` with arrays of agents, origins, destinations and a mode, and they are
routed in one batch (exact fastest paths; cars on drivable edges in their legal direction,
pedestrians on walkable edges either way), loaded into the :class:`twin.movement.Fleet`, and
advanced every ``tick_s`` simulated seconds while anyone is moving. Each trip publishes
``trip_start`` and ``trip_end`` (or ``trip_unreachable``) on ``city/<slug>/mobility/<kind>``;
arrival callbacks let the agents' processes go on with their day.

**Traffic.** If the twin has a ``traffic`` component in queue mode (:class:`twin.traffic.Traffic`),
cars (``mode="car"``) drive on its shared :class:`twin.traffic.RoadNetwork` and queue there;
pedestrians and bus passengers (paced by the timetable) do not. A mobility of
:data:`EMERGENCY_KINDS` (the responders' units) never queues: it passes queues at the traffic's
``emergency_speed_factor`` × free-flow speed — its stated priority.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twin.errors import TwinError
from twin.movement import CAR_VMAX, Fleet
from twin.routing import WALK_SPEED_MPS

MODES = {"car": 0, "walk": 1, "bus": 2}
MODE_NAMES = {v: k for k, v in MODES.items()}
#: edge-mode network each travel mode routes on
ROUTE_NETWORK = {"car": "drive", "walk": "walk", "bus": "drive"}
#: kinds of agent that are emergency vehicles (never queue; see the module docstring)
EMERGENCY_KINDS = frozenset({"unit"})


def take_paths(offsets: np.ndarray, edges: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Select paths ``keep`` from flat ``(offsets, edges)`` arrays; returns new flat arrays."""
    lengths = np.diff(offsets)[keep]
    new_off = np.zeros(len(keep) + 1, np.int64)
    np.cumsum(lengths, out=new_off[1:])
    idx = np.repeat(offsets[:-1][keep] - new_off[:-1], lengths) + np.arange(new_off[-1])
    return new_off, edges[idx]


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
        network = getattr(traffic, "network", None)
        self.emergency = self.kind in EMERGENCY_KINDS
        self._speed_factor = 1.0
        if network is not None and self.emergency:
            self._speed_factor = traffic.params.emergency_speed_factor
            network = None
        self.fleet = Fleet(city, self.capacity, road=network)
        self.fleet.edge_speed *= self._speed_factor
        self._free_speed = self.fleet.edge_speed.copy()
        twin.conditions.listeners.append(self._on_conditions)
        self._wake = twin.env.event()
        self._next_step: float | None = None
        twin.env.process(self._ticker())

    def router(self, mode: str):
        """The run's fastest-path router for ``mode`` (buses drive): the twin's current one, so
        roads closed or reopened during the run are respected."""
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
            a = self.twin.city.arrays
            o, d = origins[~ok], destinations[~ok]
            self.unreachable += len(failed)
            self.twin.emit_batch(f"mobility/{self.kind}", "trip_unreachable", self.twin.now,
                                 self.names[failed], a["node_lon"][o], a["node_lat"][o],
                                 mode=[mode] * len(failed), to_node=d)
            keep = np.nonzero(ok)[0]
            agents, origins, destinations = agents[keep], origins[keep], destinations[keep]
            offsets, edges = take_paths(offsets, edges, keep)
        self.start_paths(agents, origins, destinations, offsets, edges, mode)
        return failed

    def start_paths(self, agents, origins, destinations, offsets, edges, mode: str, vmax=None) -> None:
        """Start trips now along given edge paths (``edges[offsets[k]:offsets[k+1]]`` for agent
        ``agents[k]``); ``vmax`` (m/s, per agent or one value) overrides the mode's top speed,
        e.g. a bus ride paced to its timetable."""
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
        a = self.twin.city.arrays
        self.twin.emit_batch(f"mobility/{self.kind}", "trip_start", now, self.names[agents],
                             a["node_lon"][origins], a["node_lat"][origins], mode=[mode] * len(agents),
                             to_node=destinations, length_m=np.round(lengths, 1))
        if vmax is None:
            vmax = WALK_SPEED_MPS if mode == "walk" else CAR_VMAX
        # the next step moves agents over (T - tick, T]; one who leaves now waits the part before now
        delay = 0.0 if self._next_step is None else self.tick_s - (self._next_step - now)
        queue = self.fleet.road is not None and mode == "car"
        at_dest = self.fleet.depart(agents, offsets, edges, vmax, delay=max(delay, 0.0), queue=queue, now=now)
        if len(at_dest):
            self._arrive(at_dest, np.full(len(at_dest), now))
        if self.fleet.n_active and not self._wake.triggered:
            self._wake.succeed()

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

    def _arrive(self, agents: np.ndarray, times: np.ndarray) -> None:
        a = self.twin.city.arrays
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
        self.twin.emit_batch(f"mobility/{self.kind}", "trip_end", times, self.names[agents],
                             a["node_lon"][dest], a["node_lat"][dest],
                             mode=[MODE_NAMES[int(m)] for m in modes], duration_s=np.round(dur, 2),
                             length_m=np.round(lengths, 1))
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
        names = self.twin.city.street_names
        ename = self.twin.city.arrays["edge_name"]
        out["busiest_edges"] = [{"edge": int(e), "street": names[ename[e]] if ename[e] >= 0 else None,
                                 "entries": int(tr[e])} for e in top if tr[e] > 0]
        return out
