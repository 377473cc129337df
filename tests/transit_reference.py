"""Brute-force earliest arrivals on a GTFS timetable, written separately from the planner.

Checks :mod:`twin.transit`'s RAPTOR. It shares only the *model* (see that module's docstring:
access walk, rides with at most one footpath between two of them, egress walk; boarding when
at the stop at or before the departure) and its inputs (the timetable, the walks); it uses none
of the planner's machinery — no route patterns, no FIFO split, no marking, no pruning, no
binary search. Each round simply looks at **every stop time of every trip running that day**:

* a trip can be boarded at the first of its stops where the traveller is ready by its departure;
* every later stop of that trip is then reached at the trip's time there;
* footpaths from every stop reached by vehicle, then the egress walks.

Round ``k`` gives the earliest arrival with at most ``k`` rides. All vectorised over the flat
stop-time arrays, so a query costs a few milliseconds on RATBV's feed — slow next to RAPTOR
(the benchmark's baseline), but exhaustive.
"""
from __future__ import annotations

from datetime import date

import numpy as np

INF = 1 << 40


class BruteForce:
    """Flat stop times of one service day and the footpaths, for exhaustive search.

    Parameters
    ----------
    tt
        A :class:`twin.gtfs.Timetable`.
    day
        The service date.
    foot_from, foot_to, foot_s
        Footpaths (stop, stop, walking seconds).
    """

    def __init__(self, tt, day: date, foot_from, foot_to, foot_s):
        running = tt.trips_on(day)
        stop, tm, trip = [], [], []
        for p in range(tt.n_patterns):
            st = tt.pattern_stops[p]
            for row, t in enumerate(tt.pattern_trips[p]):
                if running[t]:
                    stop.append(st)
                    tm.append(tt.pattern_times[p][row])
                    trip.append(np.full(len(st), t))
        self.stop = np.concatenate(stop).astype(np.int64)
        self.time = np.concatenate(tm).astype(np.int64)
        self.trip = np.concatenate(trip).astype(np.int64)
        # first row of each trip's block (rows of one trip are consecutive, in stop order)
        self.first = np.r_[True, self.trip[1:] != self.trip[:-1]]
        self.block = np.cumsum(self.first) - 1
        self.n_stops = tt.n_stops
        self.foot_from = np.asarray(foot_from, np.int64)
        self.foot_to = np.asarray(foot_to, np.int64)
        self.foot_s = np.asarray(foot_s, np.int64)

    def earliest_arrivals(self, access: dict, egress: dict, depart_s: int, max_rides: int,
                          direct_s: int | None = None) -> list[int]:
        """Earliest arrival at the destination with at most 0..``max_rides`` rides."""
        ready = np.full(self.n_stops, INF, np.int64)
        for s, w in access.items():
            ready[s] = min(ready[s], depart_s + w)
        eg_stop = np.fromiter(egress.keys(), np.int64, len(egress))
        eg_s = np.fromiter(egress.values(), np.int64, len(egress))
        best = depart_s + direct_s if direct_s is not None else INF
        out = [best]
        for _ in range(max_rides):
            can_board = ready[self.stop] <= self.time
            # on board at row r if some earlier row of the same trip could be boarded
            boarded = np.cumsum(can_board)                     # running count over all rows
            before_block = np.r_[0, boarded][np.nonzero(self.first)[0]][self.block]
            on_before = (boarded - can_board - before_block) > 0  # boarded strictly earlier
            ride = np.full(self.n_stops, INF, np.int64)
            np.minimum.at(ride, self.stop[on_before], self.time[on_before])
            new_ready = np.minimum(ready, ride)
            if len(self.foot_s):
                np.minimum.at(new_ready, self.foot_to, ride[self.foot_from] + self.foot_s)
            if len(eg_stop):
                best = min(best, int((ride[eg_stop] + eg_s).min()))
            ready = new_ready
            out.append(best)
        return out


def dijkstra_earliest_arrival(tt, day: date, foot_from, foot_to, foot_s, access: dict, egress: dict,
                              depart_s: int, direct_s: int | None = None) -> int:
    """Earliest arrival with any number of rides, by a label-setting (Dijkstra) search over
    states ``(stop, how the traveller got there)`` in time order — no rounds at all.

    A state is *walked* (at the stop after the access walk or a footpath: may only board) or
    *rode* (just alighted: may board, take one footpath, or walk to the destination). Popping the
    earliest state, boarding means every trip that leaves that stop at or after that time, and
    every later stop of such a trip becomes a *rode* state at the trip's time there.
    """
    import heapq

    running = tt.trips_on(day)
    visits: dict[int, list] = {}            # stop -> [(departure, pattern, row, position)]
    for p in range(tt.n_patterns):
        for row, t in enumerate(tt.pattern_trips[p]):
            if running[t]:
                for i, s in enumerate(tt.pattern_stops[p][:-1]):
                    visits.setdefault(int(s), []).append((int(tt.pattern_times[p][row, i]), p, row, i))
    foot: dict[int, list] = {}
    for a, b, w in zip(np.asarray(foot_from).tolist(), np.asarray(foot_to).tolist(), np.asarray(foot_s).tolist()):
        foot.setdefault(a, []).append((b, w))
    best = depart_s + direct_s if direct_s is not None else INF
    heap = [(depart_s + w, s, 0) for s, w in access.items()]
    heapq.heapify(heap)
    done = set()
    while heap:
        t, s, rode = heapq.heappop(heap)
        if t >= best:
            break
        if (s, rode) in done:
            continue
        done.add((s, rode))
        if rode:
            if s in egress:
                best = min(best, t + egress[s])
            for q, w in foot.get(s, ()):
                heapq.heappush(heap, (t + w, q, 0))
        for dep, p, row, i in visits.get(s, ()):
            if dep >= t:
                times, stops = tt.pattern_times[p][row], tt.pattern_stops[p]
                for j in range(i + 1, len(stops)):
                    heapq.heappush(heap, (int(times[j]), int(stops[j]), 1))
    return best
