"""A fleet of movers in struct-of-arrays form, advanced by the Cython movement kernel.

:class:`Fleet` holds, for up to ``capacity`` agents, where each one is on its path (an index into
one shared buffer of edge ids), how far along its current edge, and its top speed. Starting a
batch of trips copies their edge paths into the buffer; :meth:`Fleet.step` advances every moving
agent by ``dt`` seconds in one call to :func:`twin._movement.advance` and returns the arrivals
with their exact arrival offsets inside the step. There is no Python call per agent per step.

``traffic`` counts, per edge, how many agents entered it: the city's traffic counts.

**Queue mode.** A fleet given a :class:`twin.traffic.RoadNetwork` (``road=``) may send agents
there instead (``depart(..., queue=True, now=t)``): they then move by the queue-based link model
(:mod:`twin.traffic`) with every other fleet on the same road, and :meth:`Fleet.step` collects
their arrivals at their exact times. Agents that do not queue (pedestrians, bus passengers,
emergency vehicles) keep moving by the free-flow kernel. ``traffic`` then adds the road's entries
(all queued vehicles of every fleet: the traffic a street counter would see) to the fleet's own.
"""
from __future__ import annotations

import numpy as np

from twin.errors import TwinError, kernel_missing

try:
    from twin import _movement
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise kernel_missing("twin._movement", exc) from None

CAR_VMAX = 1.0e6  # m/s: a car is bounded by the street's speed, not its own


def compact_paths(buf: np.ndarray, seq_pos: np.ndarray, seq_end: np.ndarray, ids: np.ndarray,
                  extra: int) -> tuple[np.ndarray, int]:
    """Compact a flat path buffer so that ``extra`` more entries fit.

    Each of ``ids`` (the agents still moving) owns ``buf[seq_pos[i]:seq_end[i]]``, its remaining
    path; everything else in ``buf`` is dead. The live parts are copied, in order, to the front of
    a fresh buffer at least twice as large as what they and ``extra`` need, and ``seq_pos`` and
    ``seq_end`` are rewritten in place to point into it. Used by the free-flow fleets and the
    queue model's road network, which keep their paths the same way.

    Returns
    -------
    (numpy.ndarray, int)
        The new buffer and how many of its entries are in use.
    """
    remaining = seq_end[ids] - seq_pos[ids]
    live = int(remaining.sum())
    size = max(len(buf), 1)
    while live + extra > size // 2:
        size *= 2
    new = np.zeros(size, buf.dtype)
    starts = np.concatenate([[0], np.cumsum(remaining)[:-1]]).astype(np.int64)
    if live:
        idx = np.repeat(seq_pos[ids] - starts, remaining) + np.arange(live)
        new[:live] = buf[idx]
    seq_end[ids] = starts + remaining
    seq_pos[ids] = starts
    return new, live



def _column(x, n: int, dtype) -> np.ndarray:
    """``x`` as ``n`` values (one value repeated, or the array itself): :func:`numpy.broadcast_to`
    costs more than the rest of a small departure's bookkeeping."""
    a = np.asarray(x, dtype)
    if a.ndim == 0:
        return np.full(n, a, dtype)
    return a if a.shape == (n,) else np.broadcast_to(a, (n,))

class Fleet:
    """Positions and paths of ``capacity`` agents on a city's edges.

    Parameters
    ----------
    city
        The city whose edges the agents move on.
    capacity
        Number of agents (ids ``0 .. capacity-1``).
    edge_speed_mps
        Current speed of each edge in m/s; defaults to the free-flow speeds. Change
        ``fleet.edge_speed`` in place to model congestion, snow or a closure's detours.
    road
        The run's :class:`twin.traffic.RoadNetwork`, for agents that queue (None: nobody does).
    """

    def __init__(self, city, capacity: int, edge_speed_mps: np.ndarray | None = None, road=None):
        if capacity < 0:
            raise TwinError(f"fleet capacity must be >= 0, got {capacity}")
        self.city = city
        self.capacity = int(capacity)
        self.seq_pos = np.zeros(capacity, np.int64)
        self.seq_end = np.zeros(capacity, np.int64)
        self.offset = np.zeros(capacity, np.float64)
        self.vmax = np.full(capacity, CAR_VMAX, np.float64)
        self.moving = np.zeros(capacity, bool)
        self.queued = np.zeros(capacity, bool)      # moving on the queue road, not the free-flow kernel
        self._active = np.zeros(capacity, np.int32)
        self.n_free = 0                              # agents moved by the free-flow kernel
        self.n_queued = 0                            # agents on the queue road
        self.road = road
        self.road_base = road.register(capacity) if road is not None else 0
        self._arrived = np.zeros(capacity, np.int32)
        self._after = np.zeros(capacity, np.float64)
        self._buf = np.zeros(1 << 14, np.int32)
        self._used = 0
        self.edge_len = np.ascontiguousarray(city.arrays["edge_length_mm"] / 1000.0)
        if edge_speed_mps is None:
            edge_speed_mps = city.arrays["edge_speed_kph"] / 3.6
        self.edge_speed = np.ascontiguousarray(edge_speed_mps, dtype=np.float64).copy()
        if (self.edge_speed <= 0).any():
            raise TwinError("edge speeds must be > 0 m/s")
        self._traffic = np.zeros(city.n_edges, np.int64)

    @property
    def n_active(self) -> int:
        """Agents moving (free-flow and queued)."""
        return self.n_free + self.n_queued

    @property
    def active(self) -> np.ndarray:
        """Ids of the moving agents (the first :attr:`n_active`)."""
        if self.n_queued == 0:
            return self._active
        return np.concatenate([self._active[:self.n_free], np.nonzero(self.queued)[0].astype(np.int32)])

    @property
    def traffic(self) -> np.ndarray:
        """Entries per edge: this fleet's free-flow movers, plus every queued vehicle on the road."""
        if self.road is None:
            return self._traffic
        return self._traffic + self.road.entries

    # ---- starting trips ------------------------------------------------------------------------
    def depart(self, agents, offsets, edges, vmax, delay=0.0, queue=False, now: float | None = None) -> np.ndarray:
        """Start agents on edge paths.

        Parameters
        ----------
        agents
            Agent ids (must not be moving).
        offsets, edges
            Flat paths: agent ``agents[k]`` follows ``edges[offsets[k]:offsets[k+1]]``.
        vmax
            Top speed in m/s per agent (a scalar for all); use :data:`CAR_VMAX` for cars.
        delay
            Seconds each agent stands still at the start of the next :meth:`step` (a departure
            between two steps). It is encoded as a negative offset on the first edge, so the
            kernel needs no extra state and the arrival time stays exact.
        queue
            True (or one bool per agent): the agent drives on the queue road (:attr:`road`),
            entering it at ``now`` (the run's absolute seconds, required then).

        Returns
        -------
        numpy.ndarray
            The agents whose path was empty (already at their destination); they do not move.
        """
        agents = np.asarray(agents, np.int32)
        offsets = np.asarray(offsets, np.int64)
        edges = np.asarray(edges, np.int32)
        if len(offsets) != len(agents) + 1:
            raise TwinError(f"offsets must have len(agents)+1 = {len(agents) + 1} entries, got {len(offsets)}")
        if len(agents) and (agents.min() < 0 or agents.max() >= self.capacity):
            raise TwinError(f"agent id outside 0..{self.capacity - 1}")
        if self.moving[agents].any():
            raise TwinError(f"agents already moving: {agents[self.moving[agents]][:5].tolist()}")
        if len(agents) > 1 and (len(set(agents.tolist())) if len(agents) <= 256 else len(np.unique(agents))) != len(agents):
            raise TwinError("an agent appears twice in one departure batch")
        vmax = _column(vmax, len(agents), np.float64)
        if (vmax <= 0).any():
            raise TwinError("vmax must be > 0 m/s")
        lengths = offsets[1:] - offsets[:-1]
        go = lengths > 0
        queue = _column(queue, len(agents), bool)
        if queue.any():
            if self.road is None:
                raise TwinError("queue=True needs a fleet with a road (Fleet(..., road=RoadNetwork(...)))")
            if now is None:
                raise TwinError("queue=True needs now= (the run's time in seconds)")
            q = go & queue
            if q.any():
                idx = np.nonzero(q)[0]
                from twin.mobility import take_paths
                q_off, q_edges = take_paths(offsets, edges, idx)
                self.road.enter(self.road_base + agents[idx], q_off, q_edges, vmax[idx], now)
                self.moving[agents[idx]] = True
                self.queued[agents[idx]] = True
                self.n_queued += len(idx)
                keep = np.nonzero(~q)[0]
                empty = agents[~go]
                agents, vmax = agents[keep], vmax[keep]
                offsets, edges = take_paths(offsets, edges, keep)
                delay = _column(delay, len(q), np.float64)[keep]
                self._depart_free(agents, offsets, edges, vmax, delay)
                return empty
        return self._depart_free(agents, offsets, edges, vmax, delay)

    def _depart_free(self, agents, offsets, edges, vmax, delay) -> np.ndarray:
        lengths = offsets[1:] - offsets[:-1]
        go = lengths > 0
        self._reserve(len(edges))
        base = self._used
        self._buf[base:base + len(edges)] = edges
        self._used += len(edges)
        moving = agents[go]
        self.seq_pos[moving] = base + offsets[:-1][go]
        self.seq_end[moving] = base + offsets[1:][go]
        first = edges[offsets[:-1][go]]
        delay = _column(delay, len(agents), np.float64)[go]
        if (delay < 0).any():
            raise TwinError("delay must be >= 0 seconds")
        self.offset[moving] = -delay * np.minimum(vmax[go], self.edge_speed[first])
        self.vmax[moving] = vmax[go]
        self.moving[moving] = True
        np.add.at(self._traffic, edges[offsets[:-1][go]], 1)
        self._active[self.n_free:self.n_free + len(moving)] = moving
        self.n_free += len(moving)
        return agents[~go]

    def _reserve(self, extra: int) -> None:
        if self._used + extra <= len(self._buf):
            return
        self._buf, self._used = compact_paths(self._buf, self.seq_pos, self.seq_end,
                                              self._active[:self.n_free], extra)

    # ---- moving -------------------------------------------------------------------------------
    def step(self, dt: float, now: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Advance all moving agents by ``dt`` seconds, the step ending at ``now`` (the run's
        absolute seconds; needed only when agents queue on the road).

        Returns
        -------
        (agents, after)
            The agents that arrived, and the seconds into the step at which each did (free-flow
            arrivals first, then queued ones in the order they left the road).
        """
        arrived = np.zeros(0, np.int32)
        after = np.zeros(0, np.float64)
        if self.n_free:
            keep, n_arr = _movement.advance(self._active, self.n_free, self._buf, self.seq_pos, self.seq_end,
                                            self.offset, self.vmax, self.edge_len, self.edge_speed,
                                            self._traffic, float(dt), self._arrived, self._after)
            self.n_free = keep
            arrived = self._arrived[:n_arr].copy()
            after = self._after[:n_arr].copy()
        if self.road is not None and (self.n_queued or self.road.on_road):
            if now is None:
                raise TwinError("a fleet on a queue road steps with now= (the run's time in seconds)")
            self.road.advance_to(now)
            q, at = self.road.take_arrivals(self.road_base)
            if len(q):
                self.queued[q] = False
                self.n_queued -= len(q)
                arrived = np.concatenate([arrived, q])
                after = np.concatenate([after, at - (now - dt)])
        self.moving[arrived] = False
        return arrived, after

    # ---- where is everyone -------------------------------------------------------------------
    def current_edges(self, agents) -> np.ndarray:
        """Edge each agent is on (``-1`` if not moving)."""
        agents = np.asarray(agents, np.int64)
        out = np.full(len(agents), -1, np.int32)
        mv = self.moving[agents] & ~self.queued[agents]
        out[mv] = self._buf[self.seq_pos[agents[mv]]]
        q = self.queued[agents]
        if q.any():
            out[q] = self.road.current_edges(self.road_base + agents[q])
        return out

    def positions(self, agents=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(agent ids, lon, lat) of moving agents, interpolated along the straight edge."""
        ids = self.active[:self.n_active].copy() if agents is None else np.asarray(agents, np.int32)
        ids = ids[self.moving[ids]]
        e = self.current_edges(ids)
        a = self.city.arrays
        frac = np.clip(self.offset[ids] / np.maximum(self.edge_len[e], 1e-9), 0.0, 1.0)
        q = self.queued[ids]
        if q.any():
            frac[q] = self.road.fraction_along(self.road_base + ids[q], self.road.now)
        u, v = a["edge_u"][e], a["edge_v"][e]
        lon = a["node_lon"][u] + frac * (a["node_lon"][v] - a["node_lon"][u])
        lat = a["node_lat"][u] + frac * (a["node_lat"][v] - a["node_lat"][u])
        return ids, lon, lat
