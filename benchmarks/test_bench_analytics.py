"""KPIs over 10 million events: DuckDB over Parquet vs a pandas baseline.

The log is synthetic but shaped like a real one: 95 % movement events (trip_start, trip_end,
bus_board), the rest requests, closures, emergencies, payments, chats and device states with
their JSON payloads. ``run_kpis`` computes every KPI of a run; the baseline reads the same file
with pandas and computes only the request KPIs (SLA compliance, resolution median and p90).

    .venv/bin/python -m pytest benchmarks/test_bench_analytics.py --benchmark-only
"""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.analytics.kpis import run_kpis

N = 10_000_000


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    kinds = np.array(["trip_start", "trip_end", "bus_board", "request_received", "request_closed", "on_scene",
                      "payment_receipt", "chat_conversation", "device_state", "feedback", "report_filed"])
    p = np.array([0.47, 0.47, 0.01, 0.008, 0.008, 0.004, 0.01, 0.008, 0.004, 0.004, 0.004])
    k = rng.choice(len(kinds), size=N, p=p / p.sum())
    payloads = np.array([
        '{"mode":"car","duration_s":312.5,"length_m":2400.0}', '{"mode":"walk","duration_s":900.0,"length_m":1100.0}',
        '{"route":"5","wait_s":120}', '{"service_code":"streets","department":"roads","district":"Astra"}',
        json.dumps({"service_code": "streets", "department": "roads", "district": "Astra", "resolution_h": 7.5,
                    "sla_met": True, "duplicate": False}),
        '{"incident_kind":"medical","response_s":420.0,"district":"Astra"}',
        '{"amount_bani":45000,"paid_at":1772445600}', '{"handoff":false,"wrong_action":false}',
        '{"status":"faulty","device_type":"streetlight"}', '{"rating":4}', '{"persona":"resident","channel":"app"}'])
    t = np.sort(rng.uniform(0, 86400, N))
    table = pa.table({"t": t, "topic": pa.array(np.where(k >= 3, "city/x/services/requests", "city/x/mobility/citizen")),
                      "kind": pa.array(kinds[k]), "entity": pa.array(np.full(N, "citizen:1")),
                      "ref": pa.array(np.char.add("request:", (np.arange(N) % 100000).astype(str))),
                      "lon": rng.uniform(25.5, 25.7, N), "lat": rng.uniform(45.6, 45.7, N),
                      "payload": pa.array(payloads[k])})
    path = d / "events.parquet"
    pq.write_table(table, path, row_group_size=1_000_000)
    return path


@pytest.mark.benchmark(group="analytics: KPIs over 10M events")
def test_duckdb_kpis(benchmark, big_log):
    k = benchmark.pedantic(lambda: run_kpis(big_log), rounds=3)
    assert k["requests_closed"] > 70_000 and k["emergencies"] > 30_000


@pytest.mark.benchmark(group="analytics: KPIs over 10M events")
def test_pandas_baseline_request_kpis_only(benchmark, big_log):
    import pandas as pd

    def run():
        df = pd.read_parquet(big_log, columns=["kind", "payload"])
        closed = df[df.kind == "request_closed"].payload.map(json.loads)
        res = closed.map(lambda d: d["resolution_h"])
        return {"sla": closed.map(lambda d: d["sla_met"]).mean(), "median": res.median(), "p90": res.quantile(0.9)}

    out = benchmark.pedantic(run, rounds=1)
    assert out["median"] == 7.5
