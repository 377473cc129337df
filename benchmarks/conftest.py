"""Benchmark fixtures: the real Brașov drive graph and shared random pairs."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWIN_SHARED_DATA", ROOT.parent / "shared" / "data"))
BRASOV_DRIVE = SHARED / "osm" / "brasov_drive.osm.bz2"


def load_shared_city(path: Path):
    """Load a city from the shared data, failing (not skipping) when the file is missing."""
    if not path.exists():
        pytest.fail(f"real city data missing: {path}")
    from twin.city import load_city

    return load_city(path)


@pytest.fixture(scope="session")
def brasov():
    return load_shared_city(BRASOV_DRIVE)


@pytest.fixture(scope="session")
def pairs(brasov):
    """20,000 random node pairs (same for every contender)."""
    rng = np.random.default_rng(2024)
    n = brasov.n_nodes
    return rng.integers(0, n, 20_000).astype(np.int32), rng.integers(0, n, 20_000).astype(np.int32)
