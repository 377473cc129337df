"""Journeys: door-to-door trips of citizens by car, on foot, or by bus on the real timetable.

A journey is one or more legs moved by :class:`twin.mobility.Mobility`:

* ``car`` and ``walk``: one leg on the fastest path;
* ``bus``: walk to a boarding stop → wait for the next departure of the chosen line in the GTFS
  timetable of that day → ride along the road graph to the alighting stop, paced so that the
  ride takes the timetabled time → walk to the destination. Only direct lines are planned (no
  transfers): for each journey the planner tries the three stations nearest to the origin and
  to the destination (within ``max_walk_to_stop_m``) and keeps the line with the smallest
  expected door-to-door time (walks + half the headway + timetabled ride).

A bus journey with no useful line falls back, in order (:meth:`Journeys.start`): to the car, when
the caller says the citizen may take it (an adult at home whose household has one); to a line
reached by a longer walk to the stop (``max_walk_to_stop_fallback_m``); and only then to walking
the whole way, which is counted as a **long walk** (``long_walks`` in :meth:`Journeys.kpis`, with
their straight-line distances) — so a walk longer than the scenario's limit is never silent.

Components that plan days (:mod:`agents.daily`) call :meth:`Journeys.start` and receive
``on_complete(citizens, destinations, times)`` when each journey ends. Each leg publishes the
mobility events (``trip_start``/``trip_end`` with its mode); a bus journey also publishes
``bus_board`` (with line, wait) when the rider boards.
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.routing import WALK_SPEED_MPS
from twin.timers import BatchTimer

CAR, WALK, BUS = 0, 1, 2
MODE_NAMES = ("car", "walk", "bus")
_K = 3  # stations tried at each end
FAR_STOP_WALK_SHARE = 0.6  # a far-stop line is taken if its walks are under this share of the distance


class TransitParams(BaseModel):
    """How citizens use the buses."""

    model_config = ConfigDict(extra="forbid")
    # straight-line distance from a door to the boarding or alighting stop a rider accepts
    max_walk_to_stop_m: float = Field(800.0, gt=0)
    # … and the longer walk accepted when no line is within max_walk_to_stop_m and there is no car
    max_walk_to_stop_fallback_m: float = Field(1500.0, gt=0)
    # a bus journey is chosen only if it beats walking by this factor
    min_gain_over_walk: float = Field(1.2, ge=1)


class Journeys:
    """Multi-leg journeys of the citizens (component ``"journeys"``).

    Parameters
    ----------
    timetable
        A :class:`twin.gtfs.Timetable` snapped to the city, or None (no buses).
    params
        :class:`TransitParams`.
    """

    name = "journeys"

    def __init__(self, timetable=None, params: TransitParams | None = None):
        self.tt = timetable
        self.p = params or TransitParams()
        self.on_complete: list = []
        self.boardings = 0
        self.bus_journeys = 0
        self.no_departure = 0
        self.car_fallback = 0
        self._walk_limit = np.inf
        self.far_stop = 0
        self.by_mode = np.zeros(3, np.int64)           # journeys by the mode actually taken
        self._long_walk_m: list[np.ndarray] = []       # straight-line length of the long walks
        self._waits: list[np.ndarray] = []

    def attach(self, twin) -> None:
        self.twin = twin
        self.mobility = twin.component("mobility")
        cap = self.mobility.capacity
        self.stage = np.zeros(cap, np.int8)        # 0 none/last leg, 1 to stop, 2 waiting, 3 riding
        self.final = np.full(cap, -1, np.int32)
        self.pattern = np.full(cap, -1, np.int32)
        self.board_pos = np.zeros(cap, np.int32)
        self.alight_pos = np.zeros(cap, np.int32)
        self.wait_from = np.zeros(cap, np.float64)
        self.ride_s = np.zeros(cap, np.float64)       # timetabled ride of the trip waited for
        self.mobility.on_arrival.append(self._leg_end)
        self.rides = BatchTimer(twin.env, self._board, resolution_s=self.mobility.tick_s)
        self._day_cache: dict = {}
        if self.tt is not None and len(self.tt.stop_node):
            self._index_transit()
        else:
            self.tt = None

    # ---- transit index ---------------------------------------------------------------------------
    def _index_transit(self) -> None:
        """Hop paths of every pattern on the road graph, and the best direct line per station pair."""
        from scipy.spatial import cKDTree

        tt, city = self.tt, self.twin.city
        router = self.mobility.router("bus")
        sx, sy = city.project(tt.station_lon, tt.station_lat)
        self._station_tree = cKDTree(np.column_stack([sx, sy]))
        pos_base, pos_edge, edges_all, usable = [], [], [], []
        n_edges = 0
        for p in range(tt.n_patterns):
            nodes = tt.stop_node[tt.pattern_stops[p]]
            w, off, e = router.routes(nodes[:-1], nodes[1:])
            ok = bool((w >= 0).all())
            usable.append(ok)
            pos_base.append(len(pos_edge))
            pos_edge.extend((n_edges + off).tolist())
            edges_all.append(e)
            n_edges += len(e)
        self._pos_base = np.asarray(pos_base, np.int64)
        self._pos_edge = np.asarray(pos_edge, np.int64)
        self._ride_edges = np.concatenate(edges_all).astype(np.int32) if edges_all else np.zeros(0, np.int32)
        self._usable = np.asarray(usable, bool)
        # best direct option per (board station, alight station): expected wait + ride
        S = len(tt.station_name)
        keys, costs, pats, bi, bj = [], [], [], [], []
        for p in np.nonzero(self._usable)[0]:
            st = tt.stop_station[tt.pattern_stops[p]]
            times = tt.pattern_times[p]
            m = len(st)
            i, j = np.triu_indices(m, k=1)
            ride = np.median(times[:, j] - times[:, i], axis=0)
            span = max(float(times[:, 0].max() - times[:, 0].min()), 3600.0)
            headway = span / max(len(times) - 1, 1)
            keys.append(st[i].astype(np.int64) * S + st[j])
            costs.append(ride + headway / 2)
            pats.append(np.full(len(i), p))
            bi.append(i)
            bj.append(j)
        self._S = S
        self._best_cost = np.full(S * S, np.inf)
        self._best = np.full((S * S, 3), -1, np.int32)
        if keys:
            keys, costs = np.concatenate(keys), np.concatenate(costs)
            pats, bi, bj = np.concatenate(pats), np.concatenate(bi), np.concatenate(bj)
            order = np.lexsort((pats, costs, keys))
            keys, costs, pats, bi, bj = keys[order], costs[order], pats[order], bi[order], bj[order]
            first = np.r_[True, keys[1:] != keys[:-1]]
            self._best_cost[keys[first]] = costs[first]
            self._best[keys[first]] = np.column_stack([pats[first], bi[first], bj[first]])
            # every line serving a station pair: a rider takes whichever leaves first
            bounds = np.r_[np.nonzero(first)[0], len(keys)]
            self._options = {int(keys[a]): list(zip(pats[a:b].tolist(), bi[a:b].tolist(), bj[a:b].tolist()))
                             for a, b in zip(bounds[:-1], bounds[1:])}

    def plan_bus(self, origins, dests, max_walk_m: float | None = None, with_walk: bool = False):
        """Best direct line for each (origin node, destination node): ``(option, cost_s)`` with
        ``option`` rows ``(pattern, board position, alight position)`` (-1 when none); stops
        within ``max_walk_m`` (default ``max_walk_to_stop_m``, straight line) of each end. With
        ``with_walk``, also the straight-line metres walked to and from the stops."""
        n = len(origins)
        if self.tt is None or n == 0:
            none = (np.full((n, 3), -1, np.int32), np.full(n, np.inf))
            return none + (np.full(n, np.inf),) if with_walk else none
        a = self.twin.city.arrays
        R = self.p.max_walk_to_stop_m if max_walk_m is None else max_walk_m
        do, so = self._station_tree.query(np.column_stack([a["node_x"][origins], a["node_y"][origins]]),
                                          k=_K, distance_upper_bound=R)
        dd, sd = self._station_tree.query(np.column_stack([a["node_x"][dests], a["node_y"][dests]]),
                                          k=_K, distance_upper_bound=R)
        S = self._S
        so = np.minimum(so, S - 1)
        sd = np.minimum(sd, S - 1)
        # straight-line walks × 1.3 detour factor
        key = so[:, :, None].astype(np.int64) * S + sd[:, None, :]
        cost = (self._best_cost[key] + (do[:, :, None] + dd[:, None, :]) * 1.3 / WALK_SPEED_MPS)
        flat = cost.reshape(n, -1)
        k = np.argmin(flat, axis=1)
        best = flat[np.arange(n), k]
        opt = self._best[key.reshape(n, -1)[np.arange(n), k]]
        opt[~np.isfinite(best)] = -1
        if with_walk:
            return opt, best, (do[:, :, None] + dd[:, None, :]).reshape(n, -1)[np.arange(n), k]
        return opt, best

    # ---- journeys --------------------------------------------------------------------------------
    def start(self, citizens, origins, dests, modes, car_ok=None, walk_limit_m: float = np.inf) -> np.ndarray:
        """Start journeys now.

        Parameters
        ----------
        citizens, origins, dests
            Who goes, from which node, to which node.
        modes
            The mode wished for, per citizen (0 car, 1 walk, 2 bus).
        car_ok
            Per citizen, whether a bus journey without a useful line may be driven instead
            (default: never).
        walk_limit_m
            Straight-line distance above which a walk is a *long walk* (counted and kept in
            :meth:`kpis`).

        Returns
        -------
        numpy.ndarray
            The mode each journey actually takes (a bus wish may become car or walk).
        """
        citizens = np.asarray(citizens, np.int32)
        if not len(citizens):
            return np.zeros(0, np.int8)
        origins = np.asarray(origins, np.int32)
        dests = np.asarray(dests, np.int32)
        modes = np.asarray(modes, np.int8).copy()
        self.stage[citizens] = 0
        self.final[citizens] = dests
        self._walk_limit = walk_limit_m
        a = self.twin.city.arrays
        crow = np.hypot(a["node_x"][origins] - a["node_x"][dests], a["node_y"][origins] - a["node_y"][dests])
        bus = np.nonzero(modes == BUS)[0]
        if len(bus):
            walk_s = crow[bus] * 1.3 / WALK_SPEED_MPS
            opt, cost = self.plan_bus(origins[bus], dests[bus])
            ok = (opt[:, 0] >= 0) & (cost * self.p.min_gain_over_walk < walk_s)
            # no useful line: the household's car if the caller allows it, else a line further
            # away, taken when it at least saves walking (its walks under FAR_STOP_WALK_SHARE of
            # the distance), even if not faster than walking the whole way
            drive = ~ok & (np.asarray(car_ok, bool)[bus] if car_ok is not None else False)
            modes[bus[drive]] = CAR
            self.car_fallback += int(drive.sum())
            retry = np.nonzero(~ok & ~drive)[0]
            if len(retry) and self.p.max_walk_to_stop_fallback_m > self.p.max_walk_to_stop_m:
                opt2, _, walk2 = self.plan_bus(origins[bus[retry]], dests[bus[retry]],
                                               self.p.max_walk_to_stop_fallback_m, with_walk=True)
                ok2 = (opt2[:, 0] >= 0) & (walk2 < FAR_STOP_WALK_SHARE * crow[bus[retry]])
                opt[retry[ok2]] = opt2[ok2]
                ok[retry[ok2]] = True
                self.far_stop += int(ok2.sum())
            modes[bus[~ok & ~drive]] = WALK
            riders = citizens[bus[ok]]
            self.pattern[riders] = opt[ok, 0]
            self.board_pos[riders] = opt[ok, 1]
            self.alight_pos[riders] = opt[ok, 2]
            self.stage[riders] = 1
            self.bus_journeys += len(riders)
            board = self.tt.stop_node[self._stop_at(opt[ok, 0], opt[ok, 1])] if len(riders) else np.zeros(0, np.int32)
            failed = self.mobility.request(riders, origins[bus[ok]], board, "walk")
            self._failed(failed)
        long = (modes == WALK) & (crow > walk_limit_m)
        if long.any():
            self._long_walk_m.append(crow[long])
        np.add.at(self.by_mode, modes, 1)
        for m, mode in ((CAR, "car"), (WALK, "walk")):
            sel = modes == m
            if sel.any():
                self._failed(self.mobility.request(citizens[sel], origins[sel], dests[sel], mode))
        return modes

    def _stop_at(self, patterns, positions) -> np.ndarray:
        return np.array([self.tt.pattern_stops[p][i] for p, i in zip(patterns.tolist(), positions.tolist())],
                        np.int64)

    def _failed(self, citizens) -> None:
        """Journeys that could not start: the citizen stays put and the day goes on."""
        if len(citizens):
            self.stage[citizens] = 0
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
            c = agents[off_bus]
            self.stage[c] = 0
            self._failed(self.mobility.request(c, dest[off_bus], self.final[c], "walk"))

    def _running_times(self, day) -> list:
        """Per pattern, the departure-time matrix of the trips running on ``day`` (cached)."""
        if day not in self._day_cache:
            running = self.tt.trips_on(day)
            self._day_cache = {day: [t[running[tr]] for t, tr in zip(self.tt.pattern_times,
                                                                     self.tt.pattern_trips)]}
        return self._day_cache[day]

    def _wait(self, citizens, times) -> None:
        """Riders at their boarding stop: find the next departure and sleep until it."""
        start = self.twin.start
        dep_at = np.full(len(citizens), -1.0)
        tt, S = self.tt, self._S
        for k, (c, t) in enumerate(zip(citizens.tolist(), times.tolist())):
            clock = start + timedelta(seconds=t)
            sod = clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6
            mats = self._running_times(clock.date())
            p0 = self.pattern[c]
            st = tt.stop_station[tt.pattern_stops[p0]]
            key = int(st[self.board_pos[c]]) * S + int(st[self.alight_pos[c]])
            best = None
            for p, i, j in self._options.get(key, [(p0, self.board_pos[c], self.alight_pos[c])]):
                mat = mats[p]
                if not len(mat):
                    continue
                col = mat[:, i]
                r = np.searchsorted(np.maximum.accumulate(col), sod)
                if r < len(col) and (best is None or col[r] < best[0]):
                    best = (col[r], p, i, j, mat[r, j] - mat[r, i])
            if best is not None:
                dep_at[k] = t + (best[0] - sod)
                self.pattern[c], self.board_pos[c], self.alight_pos[c] = best[1], best[2], best[3]
                self.ride_s[c] = max(float(best[4]), 30.0)
                self.wait_from[c] = t
        late = dep_at < 0
        if late.any():   # no more buses today: walk on (a long walk, reported as such)
            c = citizens[late]
            self.no_departure += len(c)
            a = self.twin.city.arrays
            loc, fin = self.mobility.location[c], self.final[c]
            d = np.hypot(a["node_x"][loc] - a["node_x"][fin], a["node_y"][loc] - a["node_y"][fin])
            self._long_walk_m.append(d[d > self._walk_limit])
            self.stage[c] = 0
            self._failed(self.mobility.request(c, self.mobility.location[c], self.final[c], "walk"))
        c = citizens[~late]
        self.stage[c] = 2
        self.rides.at(dep_at[~late], c)

    def _board(self, citizens) -> None:
        """Riders board now and ride to their alighting stop at the timetabled pace."""
        tt = self.tt
        now = self.twin.now
        citizens = np.asarray(citizens, np.int32)
        p = self.pattern[citizens]
        i = self.board_pos[citizens]
        j = self.alight_pos[citizens]
        ride_s = self.ride_s[citizens]
        base = self._pos_base[p]
        e0 = self._pos_edge[base + i]
        e1 = self._pos_edge[base + j]
        lengths = e1 - e0
        offsets = np.zeros(len(citizens) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        idx = np.repeat(e0 - offsets[:-1], lengths) + np.arange(offsets[-1])
        edges = self._ride_edges[idx]
        path_len = np.add.reduceat(self.mobility.fleet.edge_len[edges], offsets[:-1]) if len(edges) else np.zeros(0)
        path_len = np.where(lengths > 0, path_len, 0.0)
        vmax = np.maximum(path_len / ride_s, 1.0)
        wait = now - self.wait_from[citizens]
        self._waits.append(wait)
        self.boardings += len(citizens)
        a = self.twin.city.arrays
        board = tt.stop_node[self._stop_at(p, i)]
        alight = tt.stop_node[self._stop_at(p, j)]
        self.twin.emit_batch("mobility/citizen", "bus_board", now, self.mobility.names[citizens],
                             a["node_lon"][board], a["node_lat"][board],
                             line=[tt.route_short[tt.pattern_route[q]] for q in p.tolist()],
                             wait_s=np.round(wait, 1), ride_s=np.round(ride_s, 1))
        self.stage[citizens] = 3
        self.mobility.start_paths(citizens, board, alight, offsets, edges, "bus", vmax=vmax)

    def _complete(self, citizens, dest, times) -> None:
        for cb in self.on_complete:
            cb(citizens, dest, times)

    def kpis(self) -> dict:
        w = np.concatenate(self._waits) if self._waits else np.zeros(0)
        lw = np.concatenate(self._long_walk_m) if self._long_walk_m else np.zeros(0)
        return {"by_mode": {m: int(v) for m, v in zip(MODE_NAMES, self.by_mode)},
                "bus_journeys": int(self.bus_journeys), "boardings": int(self.boardings),
                "no_departure_walked": int(self.no_departure), "car_instead_of_bus": int(self.car_fallback),
                "bus_with_far_stop": int(self.far_stop), "long_walks": int(len(lw)),
                "long_walk_km_p50": round(float(np.median(lw)) / 1000, 2) if len(lw) else None,
                "long_walk_km_max": round(float(lw.max()) / 1000, 2) if len(lw) else None,
                "wait_mean_min": round(float(w.mean()) / 60, 2) if len(w) else None,
                "wait_p95_min": round(float(np.percentile(w, 95)) / 60, 2) if len(w) else None,
                "timetable": None if self.tt is None else self.tt.source}
