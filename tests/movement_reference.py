"""A pure-Python movement reference, the specification the Cython kernel must match
(also the pure-Python baseline of the movement benchmark)."""
from __future__ import annotations


def advance_python(paths, pos, offset, vmax, edge_len, edge_speed, traffic, dt):
    """Advance agents (dict id -> list of edges) by dt; returns [(agent, seconds into step)]."""
    arrivals = []
    for a in list(paths):
        p, off, t_left = pos[a], offset[a], dt
        path = paths[a]
        while True:
            e = path[p]
            v = min(vmax[a], edge_speed[e])
            need = (edge_len[e] - off) / v
            if need > t_left:
                off += v * t_left
                break
            t_left -= need
            p += 1
            off = 0.0
            if p >= len(path):
                arrivals.append((a, dt - t_left))
                del paths[a]
                break
            traffic[path[p]] += 1
        pos[a], offset[a] = p, off
    return arrivals
