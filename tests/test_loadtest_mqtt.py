"""``twin loadtest mqtt --per-device`` (issue 17, first MQTT slice): one connection per device on
Locust, sinks on a shared subscription, against a real mosquitto whose own deliveries (to an
independent subscriber) the report must match."""
from __future__ import annotations

import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from services.loadgen.measure import loss_by_stage
from services.loadgen.mqtt_runner import run_mqtt
from tests.mqtt_broker import broker  # noqa: F401  (fixture)
from tests.serving import TWIN, free_port


def test_loss_is_told_by_stage():
    assert loss_by_stage(100, 90, 85, 1) == {"not_acknowledged": 10, "acknowledged_not_delivered": 5}
    assert loss_by_stage(100, 100, 100, 1) == {"not_acknowledged": 0, "acknowledged_not_delivered": 0}
    assert loss_by_stage(100, 0, 97, 0) == {"not_delivered": 3}


class _Watcher:
    """An independent subscriber to everything the broker routes under city/: what it really got."""

    def __init__(self, url: str):
        port = int(url.rsplit(":", 1)[1])
        self.telemetry = 0
        self.state: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watcher")
        self.c.on_message = self.on_message
        self.c.connect("127.0.0.1", port)
        self.c.subscribe("city/#", qos=1)
        self.c.loop_start()
        time.sleep(0.5)

    def on_message(self, _c, _u, msg):
        with self.lock:
            if msg.topic.endswith("/telemetry"):
                self.telemetry += 1
            elif msg.topic.endswith("/state"):
                self.state[msg.topic] = msg.payload

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def test_one_connection_per_device_and_the_counts_match_the_broker(broker):  # noqa: F811
    w = _Watcher(broker.url)
    try:
        s = run_mqtt(broker.url, devices=40, rate=200, duration_s=2.0, qos=1, sinks=2, timeout_s=5)
        time.sleep(0.5)
    finally:
        w.close()
    assert s["connections"]["connected"] == 40 and s["connections"]["failed"] == 0
    assert s["sent"] == 400 and s["not_sent"] == 0
    assert s["acknowledged"] == s["delivered"] == 400 and s["lost"] == 0 and s["duplicates"] == 0
    assert s["loss_by_stage"] == {"not_acknowledged": 0, "acknowledged_not_delivered": 0}
    assert w.telemetry == s["delivered"]                       # what the broker routed, seen independently
    # each device said online (retained) when it connected and offline when it left
    states = {t: v for t, v in w.state.items() if f"loadtest-{s['run']}/" in t}
    assert len(states) == 40 and set(states.values()) == {b"offline"}
    assert s["latency_ms"]["n"] == 400 and s["ack_latency_ms"]["n"] == 400


def test_per_device_cli_names_an_unreachable_url():
    port = free_port()
    out = subprocess.run(TWIN + ["loadtest", "mqtt", "--per-device", "--url", f"mqtt://127.0.0.1:{port}",
                                 "--rate", "10", "--duration", "1", "--devices", "2"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2 and "--url" in out.stderr and "Traceback" not in out.stderr, out.stderr
