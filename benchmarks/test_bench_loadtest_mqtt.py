"""Can ``twin loadtest mqtt --per-device`` hold a city's fleet? Connections and QoS 1 messages a second.

Against a private mosquitto (no persistence, ``max_connections -1``, no queue or in-flight
limits; its open-file limit is the one it inherits — ``ulimit -n`` of the shell, printed), a
fleet of ``DEVICES`` devices, **one connection each**, offers ``RATE`` messages a second at
QoS 1, one reading a message (``--pack 1``), for ``DURATION`` s, measured by ``SINKS`` sinks
(split by device type; 2, the CLI's default: a sink costs ~10–20 µs a message, so two take
20,000/s with room to spare, and each process more on 2 cores is more wake-ups — 4 were used
before):

* ``--workers 2`` (the contender) against ``--workers 1`` (the baseline), in the same run;
* each reports connections, sent/acknowledged/delivered/lost by stage, the rates over the
  schedule's duration *and* over the time it really took (``sustained_*``: the honest
  throughput when the generator or the broker falls behind), the generator's own lag, and the
  CPU seconds the generators, the sinks and mosquitto used (``cpu_per_1k_msg_ms``: what a
  thousand messages cost each side — the figure that says how many cores the target rate needs;
  whole processes, start-up and connect storm included) and ``cpu_us_per_message`` (the
  generators from the schedule's zero, the sinks from their first message, to the end; with
  ``cpu_run_s`` split into all and kernel time): the figure least sensitive to the machine's
  other load.

Nothing is asserted but that the runs happened: the machine has 2 cores shared by the broker,
the generator, the sinks and other people's work; the load average is recorded next to each
figure.

    .venv/bin/python -m pytest benchmarks/test_bench_loadtest_mqtt.py --benchmark-only -s -n 0

(``-n 0``: pytest-benchmark turns itself off under pytest-xdist, which the default options now use.)
"""
from __future__ import annotations

import json
import os
import resource

import pytest

from services.loadgen.mqtt_runner import run_mqtt
from tests.mqtt_broker import start_fleet_broker

DEVICES, RATE, DURATION, SINKS = 5000, 20_000, 10.0, 2


@pytest.fixture(scope="module")
def fleet_broker(tmp_path_factory):
    p, url = start_fleet_broker(tmp_path_factory.mktemp("mqtt-fleet"))
    yield p, url
    p.terminate()
    p.wait(10)


def _cpu_s(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fleet(benchmark, fleet_broker, workers: int) -> dict:
    proc, url = fleet_broker
    before, load0 = _cpu_s(proc.pid), os.getloadavg()
    r = benchmark.pedantic(lambda: run_mqtt(url, devices=DEVICES, rate=RATE, duration_s=DURATION, qos=1, pack=1,
                                            sinks=SINKS, workers=workers, spawn_rate=2500, timeout_s=30), rounds=1)
    broker_cpu = _cpu_s(proc.pid) - before
    per_k = lambda s: round(1000 * s / max(r["delivered"], 1) * 1000, 3)
    benchmark.extra_info.update(
        workers=workers, sinks=SINKS, devices=DEVICES, offered_rate=RATE, connected=r["connections"]["connected"],
        connect_failed=r["connections"]["failed"], failed_by_kind=r["connections"]["failed_by_kind"],
        connect_ms=r["connections"]["connect_ms"],
        sent=r["sent"], not_sent=r["not_sent"], acknowledged=r["acknowledged"], delivered=r["delivered"],
        lost=r["lost"], loss_by_stage=r["loss_by_stage"], duplicates=r["duplicates"],
        delivered_rate=r["delivered_rate"], sustained_sent_rate=r["sustained_sent_rate"],
        sustained_delivered_rate=r["sustained_delivered_rate"], delivered_span_s=r["delivered_span_s"],
        send_lag_ms=r["send_lag_ms"], latency_ms=r["latency_ms"], ack_latency_ms=r["ack_latency_ms"],
        cpu_s=dict(r["cpu_s"], broker=round(broker_cpu, 2)), cpu_run_s=r["cpu_run_s"],
        cpu_us_per_message=r["cpu_us_per_message"],
        cpu_per_1k_msg_ms={"generators": per_k(r["cpu_s"]["generators"]), "sinks": per_k(r["cpu_s"]["sinks"]),
                           "broker": per_k(broker_cpu)},
        open_files_limit=r["open_files_limit"], broker_nofile=resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        load_before=[round(x, 2) for x in load0], load_after=[round(x, 2) for x in os.getloadavg()])
    print(json.dumps(benchmark.extra_info, indent=1))
    return r


@pytest.mark.benchmark(group="loadtest mqtt --per-device: 5,000 connections, 20,000 msg/s QoS 1 offered")
def test_fleet_one_worker_baseline(benchmark, fleet_broker):
    assert _fleet(benchmark, fleet_broker, 1)["sent"] > 0


@pytest.mark.benchmark(group="loadtest mqtt --per-device: 5,000 connections, 20,000 msg/s QoS 1 offered")
def test_fleet_two_workers(benchmark, fleet_broker):
    assert _fleet(benchmark, fleet_broker, 2)["sent"] > 0
