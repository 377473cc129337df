"""Batch timers: wake many agents at many different times with one SimPy process.

A SimPy process per citizen would cost a quarter of a million generators. A :class:`BatchTimer`
keeps a heap of *(time, batch)* entries instead: :meth:`BatchTimer.at` schedules arrays of agent
ids (and any per-agent columns) at arrays of times, and one process wakes at each distinct
time and calls ``callback(ids, *columns)`` with everyone due then, in a deterministic order
(by time, then by scheduling order).
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import numpy as np


class BatchTimer:
    """Call ``callback(ids, *columns)`` for the agents due at each scheduled time.

    Parameters
    ----------
    env
        The SimPy environment.
    callback
        Receives the ids due now and the matching slices of the scheduled columns.
    resolution_s
        Times are rounded up to a multiple of this (one wake-up per slot).
    """

    def __init__(self, env, callback: Callable, resolution_s: float = 1.0):
        self.env = env
        self.callback = callback
        self.resolution = float(resolution_s)
        self._heap: list = []
        self._seq = itertools.count()
        self._wake = env.event()
        self.pending = 0
        env.process(self._run())

    def at(self, times, ids, *columns) -> None:
        """Schedule ``ids[k]`` (with ``columns[c][k]``) at ``times[k]`` (sim seconds; past
        times fire at the next wake-up)."""
        ids = np.asarray(ids)
        if not len(ids):
            return
        times = np.broadcast_to(np.asarray(times, np.float64), ids.shape)
        slots = np.ceil(np.maximum(times, self.env.now) / self.resolution - 1e-9).astype(np.int64)
        order = np.argsort(slots, kind="stable")
        slots, ids = slots[order], ids[order]
        cols = [np.asarray(c)[order] for c in columns]
        bounds = np.nonzero(np.diff(slots))[0] + 1
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(ids)]):
            heapq.heappush(self._heap, (int(slots[a]), next(self._seq), ids[a:b], [c[a:b] for c in cols]))
        self.pending += len(ids)
        if not self._wake.triggered:
            self._wake.succeed()

    def _run(self):
        env = self.env
        while True:
            if not self._heap:
                self._wake = env.event()
                yield self._wake
                continue
            slot = self._heap[0][0]
            t = slot * self.resolution
            if t > env.now:
                self._wake = env.event()
                yield env.timeout(t - env.now) | self._wake
                continue
            parts = []
            while self._heap and self._heap[0][0] == slot:
                parts.append(heapq.heappop(self._heap))
            ids = np.concatenate([p[2] for p in parts])
            cols = [np.concatenate([p[3][c] for p in parts]) for c in range(len(parts[0][3]))]
            self.pending -= len(ids)
            self.callback(ids, *cols)
