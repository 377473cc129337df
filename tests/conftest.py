"""Shared fixtures: a private city cache per test session, the demo city, the real Brașov data.

Tests that need ``../shared/data`` *fail* (never skip) when it is missing, so CI cannot pass
silently without the real data.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWIN_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Every test session starts from an empty city cache (so the cold path is tested too).

    The workers of a parallel run (``pytest -n 2``, pytest-xdist) share it: the first to need a
    city builds it and the others wait for it (the cache's lock), instead of each parsing Brașov."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        cache = tmp_path_factory.getbasetemp().parent / "twin-cache"
        cache.mkdir(exist_ok=True)
    else:
        cache = tmp_path_factory.mktemp("twin-cache")
    old = os.environ.get("TWIN_CACHE_DIR")
    os.environ["TWIN_CACHE_DIR"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("TWIN_CACHE_DIR", None)
    else:
        os.environ["TWIN_CACHE_DIR"] = old


def shared_file(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.fail(f"real city data missing: {path} (the shared data folder must sit beside the repo)")
    return path


@pytest.fixture(scope="session")
def demo_city(_private_cache):
    from twin.city import load_city

    return load_city("demo")


@pytest.fixture(scope="session")
def brasov_drive_path():
    return shared_file("osm/brasov_drive.osm.bz2")


@pytest.fixture(scope="session")
def brasov(_private_cache, brasov_drive_path):
    from twin.city import load_city

    return load_city(brasov_drive_path)


@pytest.fixture(scope="session")
def brasov_all(_private_cache):
    """Brașov with every footway and path (walking citizens, the chatbot's streets), once per worker."""
    from twin.city import load_city

    return load_city(shared_file("osm/brasov_all_highways.osm.bz2"))


@pytest.fixture(scope="session")
def timetable(brasov_all):
    """The RATBV GTFS timetable snapped to :func:`brasov_all`, once per worker."""
    from twin.gtfs import load_gtfs

    return load_gtfs(shared_file("gtfs/brasov_ratbv_gtfs.zip"), brasov_all)


@pytest.fixture(scope="session")
def model():
    """The shipped intent model, loaded once per worker (loading it checks the training set's hash)."""
    from services.chatbot.nlu import IntentModel

    return IntentModel.load()


@pytest.fixture(autouse=True)
def _no_locust_in_the_test_process():
    """Locust's gevent monkey-patching must never reach the test process (see below)."""
    import sys

    yield
    if "gevent" in sys.modules or "locust" in sys.modules:
        pytest.fail("this test imported locust/gevent into the test process: run Locust in a process "
                    "of its own (twin loadtest, locust -f) and import only its pure modules")


def pytest_collection_finish(session):
    """Locust's gevent monkey-patches sockets and threads of the whole process it is imported in;
    in the test process that breaks every other test's event loop (schemathesis, uvicorn). The
    load-generator tests therefore run Locust in processes of their own; this keeps it so."""
    import sys

    if "gevent" in sys.modules or "locust" in sys.modules:
        raise pytest.UsageError("a test module imported locust/gevent into the test process: import "
                                "services.loadgen modules that do not (measure, schedule, report, runner)")
