"""The city hall's throughput: requests created and persisted, in process and over HTTP.

In process (SQLite file, WAL): 20,000 valid requests of the 16 report categories at random
points of Brașov, through the whole intake (validation, location check, de-duplication,
department and SLA, the request row, its first status change) —

* ``submit_many`` in batches of 500 (one transaction per batch; how a bulk import or the twin
  at high rates would call it);
* ``submit`` one at a time (one transaction each; what one API call does);
* baseline: **raw sqlite3** ``executemany`` of the same rows into a same-shaped table, with no
  validation and no de-duplication (the floor the store cannot beat).

Over HTTP: ``twin serve`` (uvicorn, one process) on SQLite, driven by ``twin loadtest open311``
from a **separate client process** at a fixed offered rate; requests/s achieved and p50/p95
latency of ``POST requests`` and ``GET requests`` are recorded in ``extra_info``.

    .venv/bin/python -m pytest benchmarks/test_bench_services.py --benchmark-only
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from benchmarks.conftest import SHARED, load_shared_city
from services import catalogue as C
from services.geo import CityArea
from services.hall import CityHall
from services.store import open_store, sqlite_url
from tests.serving import twin_serve

N = 20_000
BRASOV = SHARED / "osm" / "brasov_all_highways.osm.bz2"


@pytest.fixture(scope="module")
def brasov():
    return load_shared_city(BRASOV)


@pytest.fixture(scope="module")
def area(brasov):
    return CityArea(brasov)


def _items(city, n=N, seed=0):
    rng = np.random.default_rng(seed)
    core = city.core_nodes("both")
    nodes = rng.choice(core, n)
    a = city.arrays
    codes = [s.code for s in C.REPORTS]
    out = []
    for i in range(n):
        svc = C.SERVICES[codes[i % len(codes)]]
        attrs = {x.code: x.values[0][0] for x in svc.attributes if x.required}
        out.append(dict(service_code=svc.code, lat=float(a["node_lat"][nodes[i]]), lon=float(a["node_lon"][nodes[i]]),
                        description=f"report {i}", attributes=attrs or None, citizen=f"citizen:{i}",
                        channel="app", lang="ro", notify="push", source="twin"))
    return out


def _fresh_hall(area, tmp_path, tag):
    path = tmp_path / f"{tag}-{time.perf_counter_ns()}.sqlite"
    return CityHall(open_store(sqlite_url(path)), area)


@pytest.mark.benchmark(group="services: 20k requests created and persisted (SQLite)")
def test_submit_many_batches(benchmark, area, brasov, tmp_path):
    items = _items(brasov)

    def run(hall):
        for k in range(0, N, 500):
            hall.submit_many(items[k:k + 500])
        return hall

    hall = benchmark.pedantic(run, setup=lambda: ((_fresh_hall(area, tmp_path, "many"),), {}), rounds=3)
    benchmark.extra_info["requests_per_s"] = round(N / benchmark.stats.stats.mean)
    assert sum(hall.counts()["by_status"].values()) == N


@pytest.mark.benchmark(group="services: 20k requests created and persisted (SQLite)")
def test_submit_one_by_one(benchmark, area, brasov, tmp_path):
    items = _items(brasov)

    def run(hall):
        for it in items:
            hall.submit(**it)
        return hall

    hall = benchmark.pedantic(run, setup=lambda: ((_fresh_hall(area, tmp_path, "one"),), {}), rounds=1)
    benchmark.extra_info["requests_per_s"] = round(N / benchmark.stats.stats.mean)
    assert sum(hall.counts()["by_status"].values()) == N


@pytest.mark.benchmark(group="services: 20k requests created and persisted (SQLite)")
def test_raw_sqlite_executemany_baseline(benchmark, brasov, tmp_path):
    """Baseline: the rows alone, inserted by sqlite3 with no validation or de-duplication."""
    items = _items(brasov)
    rows = [(f"t{i}", it["service_code"], "open", "received", it["description"], it["lat"], it["lon"], "roads", 2,
             it["citizen"], "2026-03-02 08:00:00", "2026-03-02 08:00:00") for i, it in enumerate(items)]

    def setup():
        con = sqlite3.connect(tmp_path / f"raw-{time.perf_counter_ns()}.sqlite")
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, token TEXT UNIQUE, code TEXT, status TEXT, stage TEXT, "
                    "description TEXT, lat REAL, lon REAL, department TEXT, priority INT, citizen TEXT, "
                    "requested_at TEXT, expected_at TEXT)")
        return (con,), {}

    def run(con):
        for k in range(0, N, 500):
            with con:
                con.executemany("INSERT INTO r (token, code, status, stage, description, lat, lon, department, "
                                "priority, citizen, requested_at, expected_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                                rows[k:k + 500])
        return con

    con = benchmark.pedantic(run, setup=setup, rounds=3)
    benchmark.extra_info["requests_per_s"] = round(N / benchmark.stats.stats.mean)
    assert con.execute("SELECT count(*) FROM r").fetchone()[0] == N


# ---- over HTTP --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    proc, base, keys, _ = twin_serve(tmp_path_factory.mktemp("http"), str(BRASOV), (("bench", "client"),),
                                     timeout_s=120)
    yield base, keys["client"]
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("rate", [100, 250, 500])
@pytest.mark.benchmark(group="services: Open311 over HTTP (uvicorn, separate client process, 10 s)")
def test_http_open_loop(benchmark, served, rate):
    base, key = served
    cmd = [sys.executable, "-m", "twin_app", "loadtest", "open311", "--url", base, "--rate", str(rate),
           "--duration", "10", "--api-key", key, "--city", str(BRASOV), "--json"]
    out = benchmark.pedantic(lambda: subprocess.run(cmd, capture_output=True, text=True, check=True), rounds=1)
    s = json.loads(out.stdout)
    ops = s["operations"]
    benchmark.extra_info.update(
        offered=rate, achieved_rate=s["achieved_rate"], not_sent=s["not_sent"], errors=s["errors"],
        post_p50_ms=ops["POST requests"]["p50_ms"], post_p95_ms=ops["POST requests"]["p95_ms"],
        get_p50_ms=ops["GET requests"]["p50_ms"], get_p95_ms=ops["GET requests"]["p95_ms"])
    assert s["completed"] > 0
