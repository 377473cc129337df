"""An MQTT fleet load test on Locust: one connection per device, sinks on a shared subscription.

:func:`run_mqtt` starts ``python -m services.loadgen.mqtt_runner`` (a process of its own: Locust
monkey-patches the standard library), which starts ``sinks`` measuring processes
(:mod:`services.loadgen.mqtt_sink`) and waits until each has subscribed, then runs Locust's
local runner with ``devices`` :class:`~services.loadgen.mqtt_devices.Device` users spawned at
``spawn_rate`` a second (the connect storm), starts the schedule's clock once they have had
time to connect, lets them publish for ``duration_s``, waits for the outstanding PUBACKs (at most
``timeout_s``), stops the sinks and puts the two sides together.

The summary keeps the field names of ``twin loadtest mqtt`` (``offered_rate``, ``achieved_rate``,
``sent``, ``not_sent`` (due before the end but never published: a device not yet connected, or
the generator behind), ``acknowledged``, ``delivered``, ``delivered_rate``, ``lost``, ``duplicates``,
``latency_ms``) and adds ``connections`` (connected, failed, reconnects, connect time),
``loss_by_stage`` and ``ack_latency_ms`` (due time to PUBACK).
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_mqtt(url: str, *, devices: int = 100, rate: float = 100.0, duration_s: float = 10.0, qos: int = 1,
             pack: int = 1, sinks: int = 2, spawn_rate: float = 1000.0, timeout_s: float = 10.0) -> dict:
    """Run the fleet (see the module docstring) and return the summary."""
    from sensors.bridge import connect, make_client, parse_url

    broker = parse_url(url)
    probe = make_client(broker, f"twin-lt-probe-{secrets.token_hex(3)}")
    connect(probe, broker, 10.0)                   # BridgeError naming the URL, before anything starts
    probe.disconnect()
    probe.loop_stop()
    for name, v, ok in (("devices", devices, devices >= 1), ("rate", rate, rate > 0), ("qos", qos, qos in (0, 1)),
                        ("duration", duration_s, duration_s > 0), ("sinks", sinks, sinks >= 1),
                        ("pack", pack, pack >= 1)):
        if not ok:
            raise ValueError(f"{name} is out of range: {v}")
    cfg = {"url": url, "run": secrets.token_hex(4), "devices": int(devices), "rate": float(rate),
           "duration_s": float(duration_s), "qos": int(qos), "pack": int(pack), "sinks": int(sinks),
           "spawn_rate": float(spawn_rate), "timeout_s": float(timeout_s)}
    with tempfile.TemporaryDirectory(prefix="twin-mqtt-lt-") as tmp:
        cp, out = Path(tmp) / "cfg.json", Path(tmp) / "out.json"
        cp.write_text(json.dumps(cfg))
        p = subprocess.run([sys.executable, "-m", "services.loadgen.mqtt_runner", str(cp), str(out)],
                           capture_output=True, text=True, check=False)
        if not out.exists():
            raise RuntimeError(f"the MQTT load generator failed (exit {p.returncode}): {p.stderr[-800:]}")
        r = json.loads(out.read_text())
        if "error" in r:
            raise RuntimeError(r["error"])
        return r


def _main(argv: list[str]) -> int:
    import gevent
    import locust
    import numpy as np
    from locust.env import Environment

    from services.loadgen import mqtt_devices as md
    from services.loadgen.measure import _hist, loss_by_stage, percentiles

    cfg = json.loads(Path(argv[0]).read_text())
    tmp = Path(argv[0]).parent
    total = int(np.ceil(cfg["rate"] * cfg["duration_s"])) + cfg["devices"]
    stop = tmp / "stop"
    outs = [tmp / f"sink{i}.json" for i in range(cfg["sinks"])]
    sinks = [subprocess.Popen([sys.executable, "-m", "services.loadgen.mqtt_sink", cfg["url"], cfg["run"],
                               str(cfg["qos"]), str(total), str(o), str(stop), str(i)]) for i, o in enumerate(outs)]
    end_wait = time.time() + 30
    while not all(Path(str(o) + ".ready").exists() for o in outs):
        if time.time() > end_wait or any(s.poll() is not None for s in sinks):
            Path(argv[1]).write_text(json.dumps({"error": "the measuring subscribers did not start"}))
            for s in sinks:
                s.kill()
            os._exit(2)
        gevent.sleep(0.05)
    env = Environment(user_classes=[md.Device], events=locust.events)
    runner = env.create_local_runner()
    storm_s = cfg["devices"] / cfg["spawn_rate"]
    t0 = time.time() + storm_s + 1.0
    md.PLAN = plan = md.FleetPlan(cfg, t0)
    runner.start(cfg["devices"], spawn_rate=cfg["spawn_rate"])
    gevent.sleep(max(0.0, plan.end - time.time()))
    grace = time.time() + cfg["timeout_s"] + 1
    while runner.user_count > 0 and time.time() < grace:
        gevent.sleep(0.1)
    runner.quit()
    stop.touch()
    for s in sinks:
        try:
            s.wait(timeout=cfg["timeout_s"] + 10)
        except subprocess.TimeoutExpired:
            s.kill()
    seen = np.zeros(total, bool)
    received = duplicates = 0
    delivery = _hist()
    for o in outs:
        if not o.exists():
            continue
        d = json.loads(o.read_text())
        bits = np.unpackbits(np.frombuffer(base64.b64decode(d["seen"]), np.uint8))[:total].astype(bool)
        duplicates += d["duplicates"] + int((seen & bits).sum())       # the same message at two sinks
        seen |= bits
        received += d["received"]
        delivery.decode_and_add(d["latency"].encode("ascii"))
    unique = int(seen.sum())
    ack = _hist()
    ack.decode_and_add(plan.ack_latency.encode())
    dur = cfg["duration_s"]
    s = {"url": cfg["url"], "devices": cfg["devices"], "qos": cfg["qos"], "pack": cfg["pack"],
         "offered_rate": cfg["rate"], "duration_s": dur, "sent": plan.sent,
         "not_sent": max(0, int(np.ceil(cfg["rate"] * dur)) - plan.sent),
         "acknowledged": plan.acked, "received": received, "delivered": unique, "duplicates": duplicates,
         "lost": max(0, plan.sent - unique), "achieved_rate": round(plan.sent / dur, 1),
         "delivered_rate": round(unique / dur, 1), "readings_per_s": round(unique * cfg["pack"] / dur, 1),
         "loss_by_stage": loss_by_stage(plan.sent, plan.acked, unique, cfg["qos"]),
         "latency_ms": percentiles(delivery), "ack_latency_ms": percentiles(ack),
         "connections": {"connected": plan.connected, "failed": plan.connect_failed, "reconnects": plan.reconnects,
                         "connect_ms": percentiles(plan.connect_ms)},
         "sinks": cfg["sinks"], "sinks_reported": sum(o.exists() for o in outs), "run": cfg["run"]}
    Path(argv[1]).write_text(json.dumps(s))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
