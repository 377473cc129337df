"""One seed, many independent random streams: one per subsystem, named.

``RandomStreams(seed).get("mobility")`` always returns the same generator state for the same seed
and name, whatever other streams exist or in which order they were asked for. That makes runs
reproducible (same seed, same event log) and gives *common random numbers* across scenarios:
a scenario that changes the ambulances does not change who gets ill, because the illness stream
does not depend on the ambulance stream.
"""
from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    """Named, independent ``numpy.random.Generator`` streams derived from one seed."""

    def __init__(self, seed: int):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """The generator for ``name`` (created on first use, then shared)."""
        if name not in self._streams:
            key = zlib.crc32(name.encode("utf-8"))
            self._streams[name] = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
        return self._streams[name]

    def seed_for(self, name: str) -> int:
        """A 32-bit integer seed for libraries that want one (Mesa, ``random.Random``)."""
        key = zlib.crc32(name.encode("utf-8"))
        return int(np.random.SeedSequence(self.seed, spawn_key=(key,)).generate_state(1)[0])
