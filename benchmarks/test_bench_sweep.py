"""A sweep of 8 replications on a Dask LocalCluster: 2 workers against 1 (the baseline).

Both run the same 8 tasks (the baseline scenario on the demo town, 24 h, 4,000 citizens, seeds
42–49, each in its own run directory); ``extra_info`` records the wall time, and the 2-worker run
its speed-up over the 1-worker run measured just before it in the same session.

    .venv/bin/python -m pytest benchmarks/test_bench_sweep.py --benchmark-only
"""
from __future__ import annotations

import time

import pytest

from scenarios import load_scenario
from twin_app.sweep import sweep

WALL: dict[int, float] = {}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.benchmark(group="sweep: 8 replications on a LocalCluster")
def test_sweep_8_replications(benchmark, tmp_path, workers):
    sc = load_scenario("baseline", city="demo", population=4000, hours=24)

    def run():
        t = time.perf_counter()
        r = sweep(sc, "demand.report_multiplier", [1.0], 8, tmp_path / f"w{workers}", workers=workers)
        WALL[workers] = time.perf_counter() - t
        return r

    r = benchmark.pedantic(run, rounds=1)
    assert r["table"]["1.0"]["requests_received"]["mean"] is not None
    benchmark.extra_info["wall_s"] = round(WALL[workers], 2)
    if workers == 2 and 1 in WALL:
        benchmark.extra_info["speedup_vs_1_worker"] = round(WALL[1] / WALL[2], 3)
