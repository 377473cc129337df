# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""RAPTOR's rounds as a Cython kernel over the struct-of-arrays network of :mod:`twin.transit`.

The model and the algorithm are described in :mod:`twin.transit` (its docstring, and
``raptor_python``, the same search in plain Python, line for line). This file holds only the
hot loop: per round, collect the route patterns through the stops improved in the previous
round, scan each from its earliest such stop (hop on the earliest catchable trip by binary
search in the stop's column of departures, hop off wherever the arrival beats every earlier
vehicle arrival there and the best arrival at the destination), then relax the egress walks
and the footpaths from the stops reached by vehicle.

Arrays (``n`` stops, ``P`` patterns, ``R`` rounds):

* ``pat_ptr[P+1]``, ``pat_stop``: the stops of pattern ``p`` are
  ``pat_stop[pat_ptr[p]:pat_ptr[p+1]]``;
* ``pat_ntrip[P]``, ``pat_toff[P]``: departures **stop-major**,
  ``times[pat_toff[p] + i * pat_ntrip[p] + t]`` for stop position ``i`` and trip row ``t`` (a
  column is contiguous for the binary search and sorted: the trips of a pattern never overtake);
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


def rounds(const int64_t[::1] pat_ptr, const int32_t[::1] pat_stop, const int32_t[::1] pat_ntrip,
           const int64_t[::1] pat_toff, const int32_t[::1] times,
           const int64_t[::1] sp_ptr, const int32_t[::1] sp_pat, const int32_t[::1] sp_pos,
           const int64_t[::1] foot_ptr, const int32_t[::1] foot_to, const int64_t[::1] foot_w,
           const int64_t[::1] access, const int64_t[::1] egress, int64_t depart, int64_t tbest0,
           int64_t INF,
           int64_t[:, ::1] board, int8_t[:, ::1] src_kind, int32_t[:, ::1] src_from,
           int64_t[:, ::1] ride_arr, int32_t[:, ::1] ride_pat, int32_t[:, ::1] ride_row,
           int32_t[:, ::1] ride_bpos, int32_t[:, ::1] ride_apos,
           int64_t[::1] target, int32_t[::1] target_stop):
    """Run the rounds; returns how many ran (the rest copy the last one). See the module docstring."""
    cdef Py_ssize_t n = access.shape[0]
    cdef Py_ssize_t P = pat_ntrip.shape[0]
    cdef Py_ssize_t R = board.shape[0] - 1
    cdef Py_ssize_t k, s, q, p, i, j, i0, nst, lo, hi, mid, n_marked, n_touched, n_arr
    cdef int64_t tbest = tbest0, arr, r, w, off
    cdef int32_t ntrip, t, t2, bpos, tstop
    # scratch space from the C heap (a query allocates nothing through numpy)
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
    try:
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
            # patterns through the marked stops, each from its earliest marked position
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
                nst = pat_ptr[p + 1] - pat_ptr[p]
                t = ntrip
                bpos = -1
                for i in range(i0, nst):
                    s = pat_stop[pat_ptr[p] + i]
                    if t < ntrip:
                        arr = times[off + i * ntrip + t]
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
                    if r < INF and (t == ntrip or r <= times[off + i * ntrip + t]):
                        lo = 0
                        hi = t                      # first row in [0, t) departing at or after r
                        while lo < hi:
                            mid = (lo + hi) >> 1
                            if times[off + i * ntrip + mid] < r:
                                lo = mid + 1
                            else:
                                hi = mid
                        t2 = <int32_t>lo
                        if t2 < t:
                            t = t2
                            bpos = <int32_t>i
            # vehicle arrivals: ready to board, egress, then footpaths
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
    finally:
        free(start); free(touched); free(marked); free(is_marked)
        free(arrived); free(is_arrived); free(best_ride)
    return ran
