"""MQTT throughput: one publisher process to a local mosquitto, a subscriber process counting.

Contenders, in one run, against a private mosquitto (``max_queued_messages 0``):

* ``twin loadtest mqtt`` — the device fleet's publisher: a SenML pack built and encoded per
  message, QoS 0 and QoS 1 (1000 unacknowledged at most), and QoS 1 with 50 readings a pack;
* baseline — a **plain paho publish loop** of one pre-encoded payload of the same size, same
  QoS, same client settings, measured by the same subscriber process.

Each reports messages/s delivered, losses and duplicates in ``extra_info``. The offered rate
is far above what either can do, so the figures are capacities.

    .venv/bin/python -m pytest benchmarks/test_bench_mqtt.py --benchmark-only
"""
from __future__ import annotations

import multiprocessing as mp
import time

import numpy as np
import pytest

from sensors import senml
from sensors.bridge import connect, make_client, parse_url
from sensors.loadtest import _subscriber, run_mqtt_loadtest
from tests.mqtt_broker import Broker

N_MSG = 150_000


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = Broker(tmp_path_factory.mktemp("mqtt")).start()
    yield b
    b.stop()


def _record(benchmark, r):
    benchmark.extra_info.update(sent=r["sent"], delivered=r["unique"], lost=r["lost"], duplicates=r["duplicates"],
                                publish_rate=r["publish_rate"], delivered_rate=r["delivered_rate"],
                                readings_per_s=r["readings_per_s"], latency_ms=r["latency_ms"])


@pytest.mark.parametrize("qos", [0, 1])
@pytest.mark.benchmark(group="mqtt: one publisher → mosquitto → one subscriber (messages)")
def test_fleet_publisher(benchmark, broker, qos):
    r = benchmark.pedantic(lambda: run_mqtt_loadtest(broker.url, devices=1000, rate=200_000, duration_s=N_MSG / 200_000,
                                                     qos=qos, pack=1, idle_s=3), rounds=1)
    _record(benchmark, r)
    assert r["sent"] == N_MSG


@pytest.mark.parametrize("qos", [0, 1])
@pytest.mark.benchmark(group="mqtt: one publisher → mosquitto → one subscriber (messages)")
def test_plain_paho_loop_baseline(benchmark, broker, qos):
    """Baseline: ``client.publish`` in a loop, one fixed payload, nothing built per message."""
    url = broker.url
    b = parse_url(url)
    body = senml.dumps(senml.pack("lt-000001", time.time(), [("seq", "count", 0.0)]))

    def run():
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe()
        topic = f"city/plain-{time.time_ns()}"
        proc = ctx.Process(target=_subscriber, args=(url, f"{topic}/#", qos, N_MSG, None, None, child, 3.0),
                           daemon=True)
        proc.start()
        parent.recv()
        pub = make_client(b, f"plain-{time.time_ns()}")
        acked = [0]
        pub.on_publish = lambda *a: acked.__setitem__(0, acked[0] + 1)
        connect(pub, b, 10)
        t0 = time.perf_counter()
        wall0 = time.time()
        for k in range(N_MSG):
            if qos and k - acked[0] >= 1000:
                while k - acked[0] >= 1000:
                    time.sleep(0.0002)
            # the sequence number must differ per message for the subscriber to count it
            pub.publish(f"{topic}/t", body.replace(b'"v":0.0', f'"v":{k}'.encode(), 1), qos=qos)
        t_pub = time.perf_counter() - t0
        while qos and acked[0] < N_MSG:
            time.sleep(0.005)
        parent.send("done")
        res = parent.recv()
        proc.join(10)
        pub.disconnect()
        pub.loop_stop()
        span = res["last"] - wall0
        lat = np.asarray(res["latency"]) * 1000
        return {"sent": N_MSG, "unique": res["unique"], "lost": N_MSG - res["unique"], "duplicates": res["duplicates"],
                "publish_rate": round(N_MSG / t_pub, 1), "delivered_rate": round(res["unique"] / span, 1),
                "readings_per_s": round(res["unique"] / span, 1),
                "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 2),
                               "p95": round(float(np.percentile(lat, 95)), 2)}}

    r = benchmark.pedantic(run, rounds=1)
    _record(benchmark, r)


@pytest.mark.benchmark(group="mqtt: SenML packs of 50 readings at QoS 1 (readings)")
def test_fleet_packed_qos1(benchmark, broker):
    r = benchmark.pedantic(lambda: run_mqtt_loadtest(broker.url, devices=1000, rate=50_000, duration_s=0.8, qos=1,
                                                     pack=50, idle_s=3), rounds=1)
    _record(benchmark, r)
