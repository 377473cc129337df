# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""RAPTOR's rounds as a Cython kernel over the struct-of-arrays network of :mod:`twin.transit`.

The model and the algorithm are described in :mod:`twin.transit` (its docstring, and
``raptor_python``, the same search in plain Python, line for line). This file holds only the
hot loop: per round, collect the route patterns through the stops improved in the previous
round, scan each from its earliest such stop (hop on the earliest catchable trip — by binary
search in the stop's column of departures before a trip is caught, by stepping back from the
current trip after — hop off wherever the arrival beats every earlier vehicle arrival there
and the best arrival at the destination), then relax the egress walks and the footpaths from
the stops reached by vehicle.

Arrays (``n`` stops, ``P`` patterns, ``R`` rounds):

* ``pat_ptr[P+1]``, ``pat_stop``: the stops of pattern ``p`` are
  ``pat_stop[pat_ptr[p]:pat_ptr[p+1]]``;
* ``pat_ntrip[P]``, ``pat_toff[P]``: departures **stop-major**,
  ``times[pat_toff[p] + i * pat_ntrip[p] + t]`` for stop position ``i`` and trip row ``t`` (a
  column is contiguous for the binary search and sorted: the trips of a pattern never overtake);
  ``times_tm`` the same **trip-major**, ``times_tm[pat_toff[p] + t * n_stops(p) + i]`` (a trip's
  stops adjacent, for the scan along the trip caught);
* ``sp_ptr[n+1]``, ``sp_pat``, ``sp_pos``: the (pattern, position) pairs of each stop;
* ``foot_ptr[n+1]``, ``foot_to``, ``foot_w``: footpaths from each stop (seconds);
* ``access[n]``, ``egress[n]``: walking seconds, ``INF`` where there is no walk;
* outputs, one row per round: ``board`` (earliest time ready to board), ``src_kind`` (0 kept from
  the round before, 1 access, 2 alighted here, 3 walked here from ``src_from``), ``ride_arr``
  and ``ride_pat``/``ride_row``/``ride_bpos``/``ride_apos`` (the vehicle that brought the
  traveller: pattern, trip row, boarding and alighting positions); ``target[R+1]`` and
  ``target_stop[R+1]``.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int8_t, int32_t, int64_t
from libc.stdlib cimport calloc, free, malloc

cnp.import_array()


cdef class Query:
    """One thread's RAPTOR searches on one day's network, with the network's arrays bound once.

    Passing the 26 arrays of a search as arguments cost ≈ 15 µs a query (binding each as a
    typed memoryview), a sixth of a Brașov search. A :class:`Query` binds the network's once (a
    planner keeps one per thread and day, :meth:`twin.transit.Planner.search`), owns its output
    rows (``board``, ``src_kind``, …: overwritten by the next :meth:`run`) and fills the access
    and egress walks from dicts into arrays it keeps (``INF`` everywhere else, reset after each
    search). Searches on 5,193 journeys recorded from a Brașov day gave the same itineraries as
    the kernel before (one function taking every array, binary search at every hop-on) at
    58 µs a search instead of 90.
    """

    cdef const int64_t[::1] pat_ptr
    cdef const int32_t[::1] pat_stop
    cdef const int32_t[::1] pat_ntrip
    cdef const int64_t[::1] pat_toff
    cdef const int32_t[::1] times
    cdef const int32_t[::1] times_tm
    cdef const int64_t[::1] sp_ptr
    cdef const int32_t[::1] sp_pat
    cdef const int32_t[::1] sp_pos
    cdef const int64_t[::1] foot_ptr
    cdef const int32_t[::1] foot_to
    cdef const int64_t[::1] foot_w
    cdef int64_t[::1] acc
    cdef int64_t[::1] egr
    cdef int64_t[:, ::1] _board
    cdef int8_t[:, ::1] _src_kind
    cdef int32_t[:, ::1] _src_from
    cdef int64_t[:, ::1] _ride_arr
    cdef int32_t[:, ::1] _ride_pat
    cdef int32_t[:, ::1] _ride_row
    cdef int32_t[:, ::1] _ride_bpos
    cdef int32_t[:, ::1] _ride_apos
    cdef int64_t[::1] _target
    cdef int32_t[::1] _target_stop
    cdef readonly object board, src_kind, src_from, ride_arr, ride_pat, ride_row, ride_bpos, ride_apos
    cdef readonly object target, target_stop
    cdef readonly int rounds
    cdef readonly int64_t INF

    def __init__(self, dict flat, int max_rides, int64_t INF):
        cdef Py_ssize_t n = flat["sp_ptr"].shape[0] - 1
        self.pat_ptr = flat["pat_ptr"]
        self.pat_stop = flat["pat_stop"]
        self.pat_ntrip = flat["pat_ntrip"]
        self.pat_toff = flat["pat_toff"]
        self.times = flat["times"]
        self.times_tm = flat["times_tm"]
        self.sp_ptr = flat["sp_ptr"]
        self.sp_pat = flat["sp_pat"]
        self.sp_pos = flat["sp_pos"]
        self.foot_ptr = flat["foot_ptr"]
        self.foot_to = flat["foot_to"]
        self.foot_w = flat["foot_w"]
        self.INF = INF
        self.rounds = max_rides
        self.acc = np.full(n, INF, np.int64)
        self.egr = np.full(n, INF, np.int64)
        shape = (max_rides + 1, n)
        self.board = np.empty(shape, np.int64)
        self.src_kind = np.empty(shape, np.int8)
        self.src_from = np.empty(shape, np.int32)
        self.ride_arr = np.empty(shape, np.int64)
        self.ride_pat = np.empty(shape, np.int32)
        self.ride_row = np.empty(shape, np.int32)
        self.ride_bpos = np.empty(shape, np.int32)
        self.ride_apos = np.empty(shape, np.int32)
        self.target = np.empty(max_rides + 1, np.int64)
        self.target_stop = np.empty(max_rides + 1, np.int32)
        self._board = self.board
        self._src_kind = self.src_kind
        self._src_from = self.src_from
        self._ride_arr = self.ride_arr
        self._ride_pat = self.ride_pat
        self._ride_row = self.ride_row
        self._ride_bpos = self.ride_bpos
        self._ride_apos = self.ride_apos
        self._target = self.target
        self._target_stop = self.target_stop

    def run(self, dict access, dict egress, int64_t depart, int64_t tbest0):
        """The rounds from ``access`` to ``egress`` (stop → walking seconds) leaving at
        ``depart``; ``tbest0`` the walk-only arrival (``INF`` if none). Returns the rounds run;
        the outputs are in this object's arrays until the next call."""
        cdef Py_ssize_t n = self.acc.shape[0]
        cdef int64_t s64
        for key, val in access.items():
            s64 = key
            if s64 < 0 or s64 >= n:
                raise IndexError(f"access stop {s64} outside 0..{n - 1}")
            self.acc[s64] = val
        for key, val in egress.items():
            s64 = key
            if s64 < 0 or s64 >= n:
                raise IndexError(f"egress stop {s64} outside 0..{n - 1}")
            self.egr[s64] = val
        cdef int ran
        try:
            ran = self._rounds(depart, tbest0)
        finally:
            for key in access:
                self.acc[<Py_ssize_t>key] = self.INF
            for key in egress:
                self.egr[<Py_ssize_t>key] = self.INF
        return ran

    cdef int _rounds(self, int64_t depart, int64_t tbest0) except -1:
        cdef const int64_t[::1] pat_ptr = self.pat_ptr
        cdef const int32_t[::1] pat_stop = self.pat_stop
        cdef const int32_t[::1] pat_ntrip = self.pat_ntrip
        cdef const int64_t[::1] pat_toff = self.pat_toff
        cdef const int32_t[::1] times = self.times
        cdef const int32_t[::1] times_tm = self.times_tm
        cdef const int64_t[::1] sp_ptr = self.sp_ptr
        cdef const int32_t[::1] sp_pat = self.sp_pat
        cdef const int32_t[::1] sp_pos = self.sp_pos
        cdef const int64_t[::1] foot_ptr = self.foot_ptr
        cdef const int32_t[::1] foot_to = self.foot_to
        cdef const int64_t[::1] foot_w = self.foot_w
        cdef int64_t[::1] access = self.acc
        cdef int64_t[::1] egress = self.egr
        cdef int64_t[:, ::1] board = self._board
        cdef int8_t[:, ::1] src_kind = self._src_kind
        cdef int32_t[:, ::1] src_from = self._src_from
        cdef int64_t[:, ::1] ride_arr = self._ride_arr
        cdef int32_t[:, ::1] ride_pat = self._ride_pat
        cdef int32_t[:, ::1] ride_row = self._ride_row
        cdef int32_t[:, ::1] ride_bpos = self._ride_bpos
        cdef int32_t[:, ::1] ride_apos = self._ride_apos
        cdef int64_t[::1] target = self._target
        cdef int32_t[::1] target_stop = self._target_stop
        cdef int64_t INF = self.INF
        cdef Py_ssize_t n = access.shape[0]
        cdef Py_ssize_t P = pat_ntrip.shape[0]
        cdef Py_ssize_t R = board.shape[0] - 1
        cdef Py_ssize_t k, s, q, p, i, j, i0, nst, lo, hi, mid, n_marked, n_touched, n_arr, base
        cdef int64_t tbest = tbest0, arr, r, w, off
        cdef int32_t ntrip, t, t2, bpos, tstop
        cdef int32_t* start = <int32_t*>malloc(P * sizeof(int32_t))
        cdef int32_t* touched = <int32_t*>malloc(P * sizeof(int32_t))
        cdef int32_t* marked = <int32_t*>malloc(n * sizeof(int32_t))
        cdef int8_t* is_marked = <int8_t*>calloc(n, sizeof(int8_t))
        cdef int32_t* arrived = <int32_t*>malloc(n * sizeof(int32_t))
        cdef int8_t* is_arrived = <int8_t*>calloc(n, sizeof(int8_t))
        cdef int64_t* best_ride = <int64_t*>malloc(n * sizeof(int64_t))
        cdef int ran = 0
        if not (start and touched and marked and is_marked and arrived and is_arrived and best_ride):
            free(start); free(touched); free(marked); free(is_marked); free(arrived); free(is_arrived); free(best_ride)
            raise MemoryError()
        with nogil:
            for p in range(P):
                start[p] = 1 << 30
            for s in range(n):
                best_ride[s] = INF
            n_marked = 0
            for s in range(n):
                board[0, s] = INF
                src_kind[0, s] = 0
                if access[s] < INF:
                    board[0, s] = depart + access[s]
                    src_kind[0, s] = 1
                    marked[n_marked] = <int32_t>s
                    n_marked += 1
            target[0] = tbest
            target_stop[0] = -1
            for k in range(1, R + 1):
                target[k] = tbest
                target_stop[k] = -1
                for s in range(n):
                    board[k, s] = board[k - 1, s]
                    src_kind[k, s] = 0
                if n_marked == 0:
                    continue
                ran = <int>k
                n_touched = 0
                for j in range(n_marked):
                    s = marked[j]
                    for q in range(sp_ptr[s], sp_ptr[s + 1]):
                        p = sp_pat[q]
                        if start[p] == (1 << 30):
                            touched[n_touched] = <int32_t>p
                            n_touched += 1
                        if sp_pos[q] < start[p]:
                            start[p] = sp_pos[q]
                n_marked = 0
                n_arr = 0
                for j in range(n_touched):
                    p = touched[j]
                    i0 = start[p]
                    start[p] = 1 << 30
                    ntrip = pat_ntrip[p]
                    off = pat_toff[p]
                    base = pat_ptr[p]
                    nst = pat_ptr[p + 1] - base
                    t = ntrip
                    bpos = -1
                    for i in range(i0, nst):
                        s = pat_stop[base + i]
                        if t < ntrip:
                            arr = times_tm[off + t * nst + i]
                            if arr < best_ride[s] and arr < tbest:
                                best_ride[s] = arr
                                ride_arr[k, s] = arr
                                ride_pat[k, s] = <int32_t>p
                                ride_row[k, s] = t
                                ride_bpos[k, s] = bpos
                                ride_apos[k, s] = <int32_t>i
                                if not is_arrived[s]:
                                    is_arrived[s] = 1
                                    arrived[n_arr] = <int32_t>s
                                    n_arr += 1
                        r = board[k - 1, s]
                        if r < INF and (t == ntrip or r <= times_tm[off + t * nst + i]):
                            # the first row in [0, t) departing at or after r (the column is
                            # sorted): by binary search before any trip is caught, else
                            # stepping back from t (an earlier trip is rarely many rows back)
                            if t == ntrip:
                                lo = 0
                                hi = t
                                while lo < hi:
                                    mid = (lo + hi) >> 1
                                    if times[off + i * ntrip + mid] < r:
                                        lo = mid + 1
                                    else:
                                        hi = mid
                            else:
                                lo = t
                                while lo > 0 and times[off + i * ntrip + lo - 1] >= r:
                                    lo -= 1
                            t2 = <int32_t>lo
                            if t2 < t:
                                t = t2
                                bpos = <int32_t>i
                tstop = -1
                for j in range(n_arr):
                    s = arrived[j]
                    arr = ride_arr[k, s]
                    if arr < board[k, s]:
                        board[k, s] = arr
                        src_kind[k, s] = 2
                        if not is_marked[s]:
                            is_marked[s] = 1
                            marked[n_marked] = <int32_t>s
                            n_marked += 1
                    if egress[s] < INF and arr + egress[s] < tbest:
                        tbest = arr + egress[s]
                        tstop = <int32_t>s
                for j in range(n_arr):
                    s = arrived[j]
                    arr = ride_arr[k, s]
                    for q in range(foot_ptr[s], foot_ptr[s + 1]):
                        w = foot_w[q]
                        i = foot_to[q]
                        if arr + w < board[k, i]:
                            board[k, i] = arr + w
                            src_kind[k, i] = 3
                            src_from[k, i] = <int32_t>s
                            if not is_marked[i]:
                                is_marked[i] = 1
                                marked[n_marked] = <int32_t>i
                                n_marked += 1
                for j in range(n_arr):
                    is_arrived[arrived[j]] = 0
                for j in range(n_marked):
                    is_marked[marked[j]] = 0
                target[k] = tbest
                target_stop[k] = tstop
        free(start); free(touched); free(marked); free(is_marked)
        free(arrived); free(is_arrived); free(best_ride)
        return ran
