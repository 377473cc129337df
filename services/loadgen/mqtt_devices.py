"""Locust users that are IoT devices: **one MQTT connection per device**.

Each :class:`Device` user is one device of the fleet (``sl-00017``, ``aq-00003``, … by the
twin's device types), with its own paho client and client id:

* it connects when Locust spawns it (so ``-r`` / the spawn rate is the **connect storm**),
  with a **last will** (``offline``, retained, QoS 1, on its ``…/state`` topic) and, once
  connected, publishes its retained ``online`` state; paho reconnects it with a doubling
  **back-off** (1 s … 30 s) when the broker goes away, and the reconnects are counted;
* it publishes SenML packs on ``city/loadtest-<run>/<type>/<device>/telemetry`` at the due
  times of an open-loop schedule: message *k* of the fleet is due at ``k / rate`` and belongs to
  device ``k mod devices``; each pack's first record is ``seq`` = *k* with ``bt`` = its due time;
* at QoS 1 the broker's PUBACK is awaited (not blocking the device): the time from the due time
  to the PUBACK is recorded in an HDR histogram (coordinated omission corrected), and a message
  never acknowledged is counted as such.

The measuring side (:mod:`services.loadgen.mqtt_sink`) is separate processes on a shared
subscription; :func:`services.loadgen.measure.loss_by_stage` puts the two sides together.
"""
from __future__ import annotations

import time

import gevent
from locust import User, constant, task
from locust.exception import StopUser

from sensors import senml
from sensors.bridge import make_client, parse_url
from services.loadgen.measure import _hist, _us

TYPES = ("streetlight", "air_quality", "noise", "water_pressure")
PREFIX = {"streetlight": "sl", "air_quality": "aq", "noise": "nz", "water_pressure": "wp"}


class FleetPlan:
    """One process's devices, clock and counts (``cfg``: url, run, devices, rate, duration_s, qos,
    pack, and this process's device ``indexes``)."""

    def __init__(self, cfg: dict, t0: float):
        self.cfg = cfg
        self.t0 = t0
        self.end = t0 + float(cfg["duration_s"])
        self.free = list(cfg.get("indexes", range(int(cfg["devices"]))))
        self.connected = self.connect_failed = self.reconnects = 0
        self.sent = self.acked = self.publish_errors = 0
        self.ack_latency = _hist()
        self.connect_ms = _hist()
        self.unacked: dict[tuple[int, int], float] = {}

    def summary(self) -> dict:
        return {"connected": self.connected, "connect_failed": self.connect_failed, "reconnects": self.reconnects,
                "sent": self.sent, "acked": self.acked, "publish_errors": self.publish_errors,
                "ack_latency": self.ack_latency.encode().decode("ascii"),
                "connect_ms": self.connect_ms.encode().decode("ascii")}


PLAN: FleetPlan | None = None


class Device(User):
    """One device, one MQTT connection (see the module docstring)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        plan = PLAN
        while plan is None:
            gevent.sleep(0.05)
            plan = PLAN
        if not plan.free:
            raise StopUser()
        cfg = plan.cfg
        self.index = plan.free.pop(0)
        self.type = TYPES[self.index % len(TYPES)]
        self.device = f"{PREFIX[self.type]}-{self.index:05d}"
        base = f"city/loadtest-{cfg['run']}/{self.type}/{self.device}"
        self.topic, self.state = f"{base}/telemetry", f"{base}/state"
        self.k = self.index                       # this device's next message number
        broker = parse_url(cfg["url"])
        c = make_client(broker, f"lt-{cfg['run']}-{self.device}", clean_session=True)
        c.reconnect_delay_set(min_delay=1, max_delay=30)
        c.will_set(self.state, b"offline", qos=1, retain=True)
        self.was_connected = False

        def on_connect(client, _u, _f, rc, _p):
            if rc.is_failure:
                return
            if self.was_connected:
                plan.reconnects += 1
            self.was_connected = True
            client.publish(self.state, b"online", qos=1, retain=True)

        def on_publish(_c, _u, mid, _rc, _p):
            due = plan.unacked.pop((self.index, mid), None)
            if due is not None:
                plan.acked += 1
                plan.ack_latency.record_value(_us(max(0.0, time.time() - due)))

        c.on_connect, c.on_publish = on_connect, on_publish
        t = time.time()
        try:
            c.connect(broker.host, broker.port, keepalive=60)
        except OSError:
            plan.connect_failed += 1
            raise StopUser() from None
        c.loop_start()
        while not c.is_connected() and time.time() - t < 30:
            gevent.sleep(0.01)
        if not c.is_connected():
            plan.connect_failed += 1
            c.loop_stop()
            raise StopUser()
        plan.connected += 1
        plan.connect_ms.record_value(_us(time.time() - t))
        self.client = c

    @task
    def publish(self) -> None:
        plan, cfg = PLAN, self.cfg_of()
        due = plan.t0 + self.k / float(cfg["rate"])
        if due >= plan.end:
            raise StopUser()
        delay = due - time.time()
        if delay > 0:
            gevent.sleep(delay)
        readings = [("seq", float(self.k), None)] + [("v", float(i), None) for i in range(int(cfg["pack"]) - 1)]
        body = senml.dumps(_pack(self.device, due, readings))
        qos = int(cfg["qos"])
        info = self.client.publish(self.topic, body, qos=qos)
        plan.sent += 1
        if info.rc != 0 and not qos:
            plan.publish_errors += 1
        if qos:
            plan.unacked[(self.index, info.mid)] = due
        else:
            plan.acked += 1 if info.rc == 0 else 0
        self.k += int(cfg["devices"])

    def cfg_of(self) -> dict:
        return PLAN.cfg

    def on_stop(self) -> None:
        c = getattr(self, "client", None)
        if c is None:
            return
        end = time.time() + float(PLAN.cfg.get("timeout_s", 10.0))
        while any(k[0] == self.index for k in list(PLAN.unacked)[:1000]) and time.time() < end:
            gevent.sleep(0.05)
        c.publish(self.state, b"offline", qos=1, retain=True)
        gevent.sleep(0.05)
        c.disconnect()
        c.loop_stop()


def _pack(device: str, bt: float, readings: list[tuple]) -> list[dict]:
    """A SenML pack whose first record is ``seq`` (with the base time ``bt``)."""
    recs = [{"bn": f"urn:dev:twin:{device}:", "bt": bt, "n": readings[0][0], "v": readings[0][1]}]
    recs += [{"n": n, "v": v} for n, v, _u in readings[1:]]
    return recs


