"""Generalising private places before they are published.

A citizen's home is personal data: published exactly next to a pseudonym (``citizen:17``) it
identifies the person (the first departure and the last arrival of a day are the home for
nearly everyone). So wherever an event would show a private place, it shows the **centre of the
grid cell** the place lies in instead — cells of ``cell_m`` metres on a side (500 m by default:
a few blocks of flats, dozens of homes), aligned on a fixed grid of degrees so that the same
place always falls in the same cell:

* ``lat_step = cell_m / 111 320`` degrees;
* ``lon_step = cell_m / (111 320 · cos(lat_ref))`` with ``lat_ref`` the city's latitude;
* the published point = ``(floor(x / step) + ANCHOR) · step`` with :data:`ANCHOR` a hair off ½:
  the cell's centre moved by 0.04 % of a cell, so that a town laid out on a round grid (the demo
  town's 100 m lattice) has no road node exactly there; no published point is a road node, so
  none is anyone's exact home.

Figures that would give the exact place back by arithmetic are coarsened too (see
:func:`coarse_length` and :func:`coarse_duration`): with the other end of a trip known, an exact
route length (0.1 m) picks the one home node of the cell that lies at that distance.
"""
from __future__ import annotations

import numpy as np

M_PER_DEG_LAT = 111_320.0
#: default cell size (metres)
CELL_M = 500.0
#: where in its cell a private place is shown (fraction of a cell from the south-west corner)
ANCHOR = 0.5 + 3.7e-4
#: published lengths of trips that start or end at a private place: whole steps of this many metres
LENGTH_STEP_M = 100.0
#: published durations of those trips: whole steps of this many seconds (rounded up)
DURATION_STEP_S = 60.0


class HomeGrid:
    """The grid of cells private places are published as.

    Parameters
    ----------
    lat_ref
        The city's latitude (degrees), which sets the width of a cell in longitude.
    cell_m
        Side of a cell in metres (> 0).
    """

    def __init__(self, lat_ref: float, cell_m: float = CELL_M):
        if not cell_m > 0:
            raise ValueError(f"cell_m: {cell_m!r} must be > 0 metres")
        if not -85.0 <= lat_ref <= 85.0:
            raise ValueError(f"lat_ref: {lat_ref!r} must be a latitude within ±85°")
        self.cell_m = float(cell_m)
        self.lat_step = self.cell_m / M_PER_DEG_LAT
        self.lon_step = self.cell_m / (M_PER_DEG_LAT * np.cos(np.radians(round(lat_ref, 1))))

    def centres(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """The points ``(lon, lat)`` shown for the cells holding the points ``(lon, lat)`` (their
        centres, to :data:`ANCHOR`)."""
        lon = np.asarray(lon, np.float64)
        lat = np.asarray(lat, np.float64)
        return ((np.floor(lon / self.lon_step) + ANCHOR) * self.lon_step,
                (np.floor(lat / self.lat_step) + ANCHOR) * self.lat_step)


def coarse_duration(duration_s) -> np.ndarray:
    """Durations rounded *up* to whole :data:`DURATION_STEP_S` (never 0 for a real trip)."""
    d = np.asarray(duration_s, np.float64)
    return np.ceil(d / DURATION_STEP_S) * DURATION_STEP_S


def coarse_length(length_m, duration_s=None, walk=None, walk_speed=None) -> np.ndarray:
    """Lengths rounded *down* to whole :data:`LENGTH_STEP_M` — so a coarse length over a coarse
    (rounded-up) duration never exceeds the true speed. Walks (``walk`` true), whose speed is
    the same for everybody and so tells nothing, are given as ``walk_speed`` × the coarse
    duration (or × the coarse walking time of the length, when no duration is known yet), which
    keeps their speed exact."""
    length = np.asarray(length_m, np.float64)
    out = np.floor(length / LENGTH_STEP_M) * LENGTH_STEP_M
    if walk is not None and walk_speed is not None:
        walk = np.asarray(walk, bool)
        t = coarse_duration(length / walk_speed if duration_s is None else duration_s)
        out = np.where(walk, np.round(walk_speed * t, 1), out)
    return out
