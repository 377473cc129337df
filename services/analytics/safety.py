"""Public-safety analytics: incident hotspots by Getis-Ord Gi*, not raw counts.

:func:`gi_star` puts events on a square grid (``cell_m`` metres, in the city's projected
coordinates) and computes, for every cell, the Gi* statistic with binary weights over the cell
and its 8 neighbours (Getis & Ord 1992; Ord & Getis 1995)::

    Gi* = (Σ_j w_ij x_j − X̄ Σ_j w_ij) / (S √[(n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1)])

with ``x`` the counts, ``n`` the number of cells of the study area (the grid's bounding box),
``X̄`` and ``S`` their mean and standard deviation. Gi* is a z-score: a cell is a **hotspot** when
it exceeds the critical value at ``alpha`` with a Benjamini–Hochberg correction over all cells
(``fdr=False`` for the uncorrected test), has events of its own, and at least ``min_events`` in
its neighbourhood (the normal approximation is meaningless on a nearly empty grid). A single busy cell in a quiet
neighbourhood scores lower than a cluster of moderately busy cells — that is the point.

:func:`incident_hotspots` reads the ``incident`` events of a run and returns its hotspots.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy import stats


def gi_star(x: np.ndarray, y: np.ndarray, cell_m: float = 500.0, alpha: float = 0.05, fdr: bool = True,
            bounds: tuple[float, float, float, float] | None = None, min_events: int = 3) -> dict:
    """Gi* z-scores of event counts on a grid (see the module docstring).

    Returns ``{"z": 2-D array, "counts": 2-D array, "hot": boolean 2-D array, "x0", "y0", "cell_m"}``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if bounds is None:
        if len(x) == 0:
            raise ValueError("gi_star: no events and no bounds")
        bounds = (x.min(), y.min(), x.max(), y.max())
    x0, y0, x1, y1 = bounds
    nx = max(1, int(math.ceil((x1 - x0) / cell_m)) + 1)
    ny = max(1, int(math.ceil((y1 - y0) / cell_m)) + 1)
    counts = np.zeros((ny, nx))
    ix = np.clip(((x - x0) // cell_m).astype(int), 0, nx - 1)
    iy = np.clip(((y - y0) // cell_m).astype(int), 0, ny - 1)
    np.add.at(counts, (iy, ix), 1.0)
    n = counts.size
    mean = counts.mean()
    s = counts.std()
    # sums over each cell and its 8 neighbours (binary weights, the cell itself included)
    pad = np.pad(counts, 1)
    wx = sum(pad[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    ones = np.pad(np.ones_like(counts), 1)
    w = sum(ones[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    if s == 0 or n < 2:
        z = np.zeros_like(counts)
    else:
        z = (wx - mean * w) / (s * np.sqrt((n * w - w ** 2) / (n - 1)))
    p = 2 * stats.norm.sf(np.abs(z))
    if fdr:
        order = np.argsort(p, axis=None)
        ranked = p.ravel()[order] * n / (np.arange(n) + 1)
        passed = np.zeros(n, bool)
        ok = np.nonzero(ranked <= alpha)[0]
        if len(ok):
            passed[order[: ok.max() + 1]] = True
        hot = passed.reshape(p.shape) & (z > 0)
    else:
        hot = (p <= alpha) & (z > 0)
    # the normal approximation needs events: a hotspot has events of its own and at least
    # ``min_events`` in its neighbourhood (sparse grids otherwise flag empty cells next to one event)
    hot &= (counts > 0) & (wx >= min_events)
    return {"z": z, "counts": counts, "hot": hot, "x0": x0, "y0": y0, "cell_m": cell_m}


def incident_hotspots(run_dir: str | Path, city, kinds=None, cell_m: float = 500.0, alpha: float = 0.05) -> list[dict]:
    """Hotspot cells of a run's incidents: centre (lon, lat), count, Gi* z."""
    import duckdb

    path = Path(run_dir) / "events.parquet"
    where = "kind = 'incident'"
    if kinds:
        where += " AND split_part(topic, '/', 4) IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"
    rows = duckdb.sql(f"SELECT lon, lat FROM read_parquet('{path.as_posix()}') WHERE {where}").fetchall()
    if not rows:
        return []
    lon = np.array([r[0] for r in rows])
    lat = np.array([r[1] for r in rows])
    x, y = city.project(lon, lat)
    a = city.arrays
    bounds = (float(a["node_x"].min()), float(a["node_y"].min()), float(a["node_x"].max()), float(a["node_y"].max()))
    g = gi_star(x, y, cell_m, alpha, bounds=bounds)
    out = []
    for iy, ix in zip(*np.nonzero(g["hot"])):
        cx = g["x0"] + (ix + 0.5) * cell_m
        cy = g["y0"] + (iy + 0.5) * cell_m
        clon, clat = city.unproject([cx], [cy])
        out.append({"lon": round(float(clon[0]), 6), "lat": round(float(clat[0]), 6),
                    "count": int(g["counts"][iy, ix]), "z": round(float(g["z"][iy, ix]), 3)})
    return sorted(out, key=lambda h: -h["z"])
