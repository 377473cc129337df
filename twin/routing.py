"""Exact shortest routes on a city, by travel time or length, for cars or pedestrians.

A :class:`Router` is built from a :class:`twin.city.City` for one *mode* and one *metric*:

* ``mode="drive"`` uses the drivable edges in their legal direction (one-way streets respected);
  ``mode="walk"`` uses the walkable edges in both directions (a pedestrian may walk up a one-way
  street), and ``mode="any"`` every edge as stored.
* ``metric="time"`` weighs an edge by its free-flow time in milliseconds (for walking: length at
  ``walk_speed`` m/s); ``metric="length"`` by its length in millimetres.

Weights are integers, so every answer is exact and equals networkx's ``dijkstra_path_length``
on the same weights (the city graph carries them as ``length_mm`` and ``time_ms``). Point-to-point
and batched queries use a contraction hierarchy (:mod:`twin._routing`), cached on disk beside the
city; one-to-many queries run Dijkstra on the CSR graph. An unreachable target is a clear result
(``Route.reachable`` is False, distances are ``-1`` in arrays), never an exception.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from twin import osm
from twin.errors import TwinError, kernel_missing

_NPZ_LOCK = threading.Lock()   # see Router._hierarchy

try:
    from twin import _routing
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise kernel_missing("twin._routing", exc) from None

METRICS = ("time", "length")
MODES = tuple(osm.MODE_BITS)
WALK_SPEED_MPS = 1.4


@dataclass(frozen=True)
class Route:
    """One shortest route. ``weight`` is in the router's integer unit (ms or mm)."""

    source: int
    target: int
    reachable: bool
    weight: int
    length_m: float
    time_s: float
    nodes: np.ndarray
    edges: np.ndarray


class Router:
    """Shortest paths on one city for one mode and metric (see the module docstring).

    Parameters
    ----------
    city
        The city.
    metric
        ``"time"`` or ``"length"``.
    mode
        ``"drive"``, ``"walk"`` or ``"any"``.
    closed_edges
        Edge indices that may not be used (a road closure).
    walk_speed
        Pedestrian speed in m/s for ``mode="walk", metric="time"``.
    edge_time_ms
        Integer travel time per edge in ms replacing the free-flow times (``metric="time"``,
        ``mode="drive"`` or ``"any"``): the travel times the traffic produced, for time-dependent
        routing (:mod:`twin.traffic`). Such a router's hierarchy is built, never cached.
    rank
        Contract the nodes in the order of this rank (another hierarchy's :attr:`rank`, e.g. the
        free-flow router's) instead of choosing an order: most of a build's work is choosing
        the order, so re-contracting a known order on new weights (``edge_time_ms``) is several
        times faster, and as exact (the order only affects query speed). None: choose it.
    """

    def __init__(self, city, metric: str = "time", mode: str = "drive", closed_edges=None,
                 walk_speed: float = WALK_SPEED_MPS, edge_time_ms=None, rank=None):
        if metric not in METRICS:
            raise TwinError(f"metric={metric!r} is not one of {METRICS}")
        if mode not in MODES:
            raise TwinError(f"mode={mode!r} is not one of {MODES}")
        if not walk_speed > 0:
            raise TwinError(f"walk_speed must be > 0 m/s, got {walk_speed}")
        self.city, self.metric, self.mode = city, metric, mode
        a = city.arrays
        n = city.n_nodes
        self.n = n
        edges = np.arange(city.n_edges, dtype=np.int32)
        ok = (a["edge_modes"] & osm.MODE_BITS[mode]) > 0
        self.closed = np.zeros(city.n_edges, bool)
        if closed_edges is not None and len(closed_edges):
            ce = np.asarray(closed_edges, dtype=np.int64)
            if ce.min() < 0 or ce.max() >= city.n_edges:
                raise TwinError(f"closed_edges has an index outside 0..{city.n_edges - 1}")
            self.closed[ce] = True
        ok &= ~self.closed
        if metric == "length":
            w = a["edge_length_mm"]
        elif mode == "walk":
            w = np.round(a["edge_length_mm"] / walk_speed).astype(np.int64)  # mm / (m/s) = ms
        elif edge_time_ms is not None:
            w = np.asarray(edge_time_ms, np.int64)
            if w.shape != (city.n_edges,) or (w < 0).any():
                raise TwinError(f"edge_time_ms must hold {city.n_edges} integer times >= 0 ms")
        else:
            w = a["edge_time_ms"]
        self.custom = edge_time_ms is not None and metric == "time" and mode != "walk"
        tail, head, wt, eid = a["edge_u"][ok], a["edge_v"][ok], w[ok], edges[ok]
        if mode == "walk":  # pedestrians use every walkable edge in both directions
            tail, head = np.concatenate([tail, head]), np.concatenate([head, tail])
            wt, eid = np.concatenate([wt, wt]), np.concatenate([eid, eid])
        # arcs sorted by (tail, head, weight): CSR for Dijkstra, and the lightest arc per pair
        order = np.lexsort((wt, head, tail))
        tail, head, wt, eid = tail[order], head[order], wt[order], eid[order]
        self.arc_tail = tail.astype(np.int32)
        self.arc_head = head.astype(np.int32)
        self.arc_w = wt.astype(np.int64)
        self.arc_edge = eid.astype(np.int32)
        indptr = np.zeros(n + 1, np.int64)
        np.add.at(indptr, self.arc_tail.astype(np.int64) + 1, 1)
        self.indptr = np.cumsum(indptr)
        key = self.arc_tail.astype(np.int64) * n + self.arc_head
        first = np.ones(len(key), bool)
        first[1:] = key[1:] != key[:-1]
        first &= self.arc_tail != self.arc_head
        self._pair_key = key[first]
        self._pair_edge = self.arc_edge[first]
        self._pair_w = self.arc_w[first]
        self._pair_head = np.ascontiguousarray(self.arc_head[first])
        self._pair_ptr = np.searchsorted(self._pair_key, np.arange(n + 1, dtype=np.int64) * n).astype(np.int64)
        if rank is not None:
            rank = np.asarray(rank)
            if rank.shape != (n,):
                raise TwinError(f"rank must hold one entry per node ({n}), got shape {rank.shape}")
        ch = self._hierarchy(first, rank)
        #: each node's position in the contraction order (pass it as ``rank`` to re-contract)
        self.rank = ch["rank"]
        self._ch_arrays = ch
        self._local = threading.local()

    @property
    def _ch(self):
        """This thread's query object on the shared hierarchy. A :class:`CHQuery` keeps its
        search buffers in itself and searches without the GIL, so two threads sharing one (a
        control room's live twin and a study it runs, on one cached :class:`~twin.city.City`)
        corrupted each other's searches: garbage paths, once a 22 GB allocation. Each thread
        gets its own buffers; the hierarchy's arrays stay shared, read-only."""
        q = getattr(self._local, "q", None)
        if q is None:
            q = self._local.q = _routing.CHQuery(self._ch_arrays)
        return q

    # ---- construction ------------------------------------------------------------------------
    def _hierarchy(self, first: np.ndarray, rank=None) -> dict:
        if rank is not None:
            order = np.argsort(rank, kind="stable").astype(np.int32)
            return _routing.build_ch(self.n, self.arc_tail[first], self.arc_head[first], self._pair_w,
                                     node_order=order)
        cache = None
        if self.city.cache_dir is not None and not self.closed.any() and not self.custom:
            cache = self.city.cache_dir / f"ch_{self.mode}_{self.metric}.npz"
            if cache.exists():
                try:
                    # one thread at a time: numpy reads each array's header with ast.literal_eval,
                    # and CPython 3.11's AST builder keeps its recursion depth per interpreter, so
                    # two threads parsing at once can fail with "SystemError: AST constructor
                    # recursion depth mismatch" (python/cpython#106905; seen when two threads of
                    # one planner built the walk router together)
                    with _NPZ_LOCK, np.load(cache) as z:
                        return {k: z[k] for k in z.files}
                except (OSError, ValueError):
                    pass
        ch = _routing.build_ch(self.n, self.arc_tail[first], self.arc_head[first], self._pair_w)
        if cache is not None:
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, **ch)
            tmp.replace(cache)
        return ch

    @property
    def unit(self) -> str:
        return "ms" if self.metric == "time" else "mm"

    # ---- queries ------------------------------------------------------------------------------
    def distance(self, source: int, target: int) -> int:
        """Exact weight from node ``source`` to ``target`` (ms or mm); ``-1`` if unreachable."""
        return int(self._ch.distance(int(source), int(target)))

    def distances(self, sources, targets) -> np.ndarray:
        """Batched pairs: weight from ``sources[i]`` to ``targets[i]``; ``-1`` unreachable."""
        return self._ch.distances(np.ascontiguousarray(sources, dtype=np.int32),
                                  np.ascontiguousarray(targets, dtype=np.int32))

    def one_to_many(self, source: int, targets=None) -> np.ndarray:
        """Weights from ``source`` to each of ``targets`` (all nodes if None); ``-1`` unreachable."""
        t = None if targets is None else np.ascontiguousarray(targets, dtype=np.int32)
        dist, _ = _routing.dijkstra(self.indptr, self.arc_head, self.arc_w, int(source), t)
        return dist if t is None else dist[t]

    def tree(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """Full shortest-path tree: (weight per node or -1, city edge used to reach it or -1)."""
        dist, pred = _routing.dijkstra(self.indptr, self.arc_head, self.arc_w, int(source))
        return dist, np.where(pred >= 0, self.arc_edge[np.maximum(pred, 0)], -1).astype(np.int32)

    def route(self, source: int, target: int) -> Route:
        """The shortest route from ``source`` to ``target`` with its nodes and city edges."""
        w, nodes = self._ch.path(int(source), int(target))
        if w < 0:
            empty = np.zeros(0, np.int32)
            return Route(int(source), int(target), False, -1, float("inf"), float("inf"), empty, empty)
        edges = self.path_edges(nodes)
        return Route(int(source), int(target), True, int(w),
                     float(self.city.arrays["edge_length_mm"][edges].sum()) / 1000.0,
                     self._time_s(edges), nodes, edges)

    def routes(self, sources, targets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Batched routes as flat arrays: ``(weights, offsets, edges)``; route ``k`` uses
        ``edges[offsets[k]:offsets[k+1]]`` (empty if unreachable or source == target)."""
        s = np.ascontiguousarray(sources, dtype=np.int32)
        t = np.ascontiguousarray(targets, dtype=np.int32)
        dist, noff, nodes = self._ch.paths(s, t)
        # consecutive node pairs inside each path become edges, in the kernel (one pass, nogil)
        try:
            eoff, edges = _routing.path_edges_of_nodes(np.ascontiguousarray(noff, np.int64),
                                                       np.ascontiguousarray(nodes, np.int32),
                                                       self._pair_ptr, self._pair_head, self._pair_edge)
        except ValueError as exc:
            raise TwinError(str(exc)) from None
        return dist, eoff, edges

    def path_edges(self, nodes) -> np.ndarray:
        """City edge indices of a node path (the lightest parallel edge of each hop)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if len(nodes) < 2:
            return np.zeros(0, np.int32)
        return self._pair_edges(nodes[:-1], nodes[1:])

    def _pair_edges(self, a, b) -> np.ndarray:
        key = np.asarray(a, np.int64) * self.n + np.asarray(b, np.int64)
        pos = np.searchsorted(self._pair_key, key)
        if (pos >= len(self._pair_key)).any() or (self._pair_key[np.minimum(pos, len(self._pair_key) - 1)] != key).any():
            raise TwinError("node path uses a pair of nodes with no edge between them")
        return self._pair_edge[pos]

    def _time_s(self, edges) -> float:
        if self.mode == "walk":
            return float(self.city.arrays["edge_length_mm"][edges].sum()) / 1000.0 / WALK_SPEED_MPS
        return float(self.city.arrays["edge_time_ms"][edges].sum()) / 1000.0
