# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Agent movement along edge paths, advanced by a time step, in struct-of-arrays form.

Every moving agent ``a`` walks the edges ``edge_seq[seq_pos[a] : seq_end[a]]`` of a flat path
buffer, ``offset[a]`` metres into its current edge. In one step of ``dt`` seconds it travels at
``min(vmax[a], edge_speed[e])`` on each edge ``e`` it crosses, so a car follows the free-flow
(or congested) speed of the street and a pedestrian her walking pace. Entering an edge adds one
to ``traffic[e]``: that is how the city counts the vehicles and people that used each street.

The kernel only touches the agents listed in ``active``; arrivals are removed from that list
in place (order kept), so the cost is proportional to who is moving, not to the population.
"""
import numpy as np

cimport numpy as cnp

cnp.import_array()

ctypedef long long i64
ctypedef int i32


def advance(i32[::1] active, Py_ssize_t n_active,
            const i32[::1] edge_seq, i64[::1] seq_pos, const i64[::1] seq_end,
            double[::1] offset, const double[::1] vmax,
            const double[::1] edge_len, const double[::1] edge_speed,
            i64[::1] traffic, double dt,
            i32[::1] arrived, double[::1] arrived_after):
    """Advance the first ``n_active`` agents of ``active`` by ``dt`` seconds.

    Parameters
    ----------
    active
        Indices of moving agents; the first ``n_active`` are used and compacted in place.
    edge_seq, seq_pos, seq_end
        Flat buffer of edge indices, each agent's current position in it and its end.
    offset
        Metres travelled along the current edge (updated).
    vmax
        Each agent's own top speed in m/s (walking pace, or a large value for cars).
    edge_len, edge_speed
        Edge lengths in metres and current speeds in m/s (must be > 0).
    traffic
        Per-edge entry counters (updated).
    dt
        Time step in seconds.
    arrived, arrived_after
        Output buffers (length >= ``n_active``): the agents that reached the end of their path
        and the seconds into the step at which each arrived.

    Returns
    -------
    (n_active_left, n_arrived)
    """
    cdef Py_ssize_t k, keep = 0, n_arr = 0
    cdef i32 a, e
    cdef i64 p
    cdef double t_left, off, v, L, need
    if n_active > active.shape[0]:
        raise ValueError(f"n_active={n_active} exceeds the active buffer ({active.shape[0]})")
    if arrived.shape[0] < n_active or arrived_after.shape[0] < n_active:
        raise ValueError("arrival buffers are shorter than n_active")
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt}")
    with nogil:
        for k in range(n_active):
            a = active[k]
            p = seq_pos[a]
            off = offset[a]
            t_left = dt
            while True:
                e = edge_seq[p]
                L = edge_len[e]
                v = edge_speed[e]
                if vmax[a] < v:
                    v = vmax[a]
                need = (L - off) / v
                if need > t_left:
                    off += v * t_left
                    break
                t_left -= need
                p += 1
                off = 0.0
                if p >= seq_end[a]:
                    arrived[n_arr] = a
                    arrived_after[n_arr] = dt - t_left
                    n_arr += 1
                    break
                traffic[edge_seq[p]] += 1
            seq_pos[a] = p
            offset[a] = off
            if p < seq_end[a]:
                active[keep] = a
                keep += 1
    return keep, n_arr


def path_sums(const i64[::1] offsets, const double[::1] vals):
    """Sum of ``vals[offsets[k]:offsets[k+1]]`` for each path ``k``, added one by one from 0 in
    path order (0.0 for an empty path): the same value whatever else is in the batch or where
    the path sits in memory (numpy's vectorised sums reassociate by the data's alignment)."""
    cdef Py_ssize_t P = offsets.shape[0] - 1, k
    cdef i64 j
    cdef double acc
    if P < 0:
        raise ValueError("offsets must hold at least one entry")
    if P > 0 and offsets[0] < 0:
        raise ValueError(f"offsets start at {offsets[0]} < 0")
    for k in range(P):
        if offsets[k + 1] < offsets[k] or offsets[k + 1] > vals.shape[0]:
            raise ValueError(f"offsets[{k + 1}] = {offsets[k + 1]} is not in {offsets[k]}..{vals.shape[0]}")
    out_np = np.zeros(P, np.float64)
    cdef double[::1] out = out_np
    with nogil:
        for k in range(P):
            acc = 0.0
            for j in range(offsets[k], offsets[k + 1]):
                acc = acc + vals[j]
            out[k] = acc
    return out_np
