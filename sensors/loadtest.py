"""``twin loadtest mqtt``: a device fleet against any broker, and a subscriber counting what arrives.

The **publisher** (this process) plays ``devices`` devices and sends ``rate`` messages a
second for ``duration`` seconds, faster than real time, each a SenML pack of ``pack`` readings
whose base time ``bt`` is the moment it was made and whose first record is its sequence number
(``n="seq"``). Topics are ``city/loadtest-<run>/<type>/<device>/telemetry``, under a fresh run id,
on the broker given and nowhere else.

The **subscriber** is a separate process (so the two do not share one interpreter lock); it
subscribes to ``city/loadtest-<run>/#`` at the same QoS before the first message is sent and
records, per sequence number, whether and how often it arrived and the end-to-end latency
(arrival − ``bt``; both clocks are this machine's).

At QoS 1 at most ``max_in_flight`` messages are unacknowledged: the publisher waits for the
broker rather than queue without bound (the achieved rate then shows what the broker takes).
After the last message the publisher waits for the broker's acknowledgements (QoS 1), then the
subscriber waits until every message has arrived or nothing has come for ``idle_s`` seconds.
The report: messages sent, acknowledged, received, unique, **lost**, **duplicates**; offered,
achieved (publisher) and delivered rates; readings delivered per second; latency p50/p95/p99.
It stops by itself.
"""
from __future__ import annotations

import multiprocessing as mp
import secrets
import threading
import time

import numpy as np

from sensors import senml
from sensors.bridge import BridgeError, connect, make_client, parse_url
from twin import untrusted

TYPES = ("air_quality", "streetlight", "noise", "water_pressure")
#: largest payload the measuring subscriber reads (a test pack is a few hundred bytes)
MAX_PAYLOAD_BYTES = 64 * 1024


def _subscriber(url: str, topic: str, qos: int, total: int, username, password, conn, idle_s: float) -> None:
    """Run in a child process: count arrivals of ``topic`` until told the publisher is done."""
    broker = parse_url(url)
    seen = np.zeros(total, np.int32)
    lat = np.full(total, np.nan)
    first = [None]
    last = [None]
    lock = threading.Lock()

    def on_message(_c, _u, msg):
        now = time.time()
        try:
            # anyone may publish on the topic: a huge or deeply nested payload is not a reading
            p = untrusted.loads(msg.payload, max_bytes=MAX_PAYLOAD_BYTES, max_depth=4, what=msg.topic)
            k = int(p[0]["v"]) if p[0].get("n") == "seq" else int(p[1]["v"])
            bt = float(p[0]["bt"])
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return
        with lock:
            if 0 <= k < total:
                if seen[k] == 0:
                    lat[k] = now - bt
                seen[k] += 1
            if first[0] is None:
                first[0] = now
            last[0] = now

    c = make_client(broker, f"twin-loadsub-{secrets.token_hex(4)}", username=username, password=password)
    c.on_message = on_message
    try:
        connect(c, broker, 10.0)
    except BridgeError as exc:
        conn.send({"error": str(exc)})
        return
    ok = threading.Event()
    c.on_subscribe = lambda *a: ok.set()
    c.subscribe(topic, qos=qos)
    ok.wait(10)
    conn.send({"ready": True})
    conn.recv()                                     # the publisher is done (and acknowledged)
    t_wait = time.time()
    while True:
        with lock:
            done = int((seen > 0).sum()) == total
            quiet = time.time() - (last[0] or t_wait) > idle_s
        if done or (quiet and time.time() - t_wait > idle_s):
            break
        time.sleep(0.02)
    c.disconnect()
    c.loop_stop()
    got = seen > 0
    conn.send({"unique": int(got.sum()), "received": int(seen.sum()), "duplicates": int((seen[got] - 1).sum()),
               "first": first[0], "last": last[0], "latency": lat[got].tolist()})


def run_mqtt_loadtest(url: str, *, devices: int = 1000, rate: float = 1000.0, duration_s: float = 10.0, qos: int = 1,
                      pack: int = 1, username: str | None = None, password: str | None = None,
                      idle_s: float = 5.0, drain_s: float = 120.0, max_in_flight: int = 1000) -> dict:
    """Run the load test (see the module docstring) and return its report."""
    broker = parse_url(url)
    if devices < 1:
        raise ValueError(f"devices must be >= 1, got {devices}")
    if not rate > 0 or not duration_s > 0:
        raise ValueError(f"rate and duration must be > 0, got rate={rate}, duration={duration_s}")
    if qos not in (0, 1):
        raise ValueError(f"qos must be 0 or 1, got {qos}")
    total = int(round(rate * duration_s))
    run = secrets.token_hex(4)
    root = f"city/loadtest-{run}"
    pub = make_client(broker, f"twin-loadpub-{run}", username=username, password=password)
    acked = [0]
    pub.on_publish = lambda *a: acked.__setitem__(0, acked[0] + 1)
    connect(pub, broker, 10.0)                      # a clear error before anything else starts
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_subscriber, args=(url, f"{root}/#", qos, total, username, password, child, idle_s),
                       daemon=True)
    proc.start()
    msg = parent.recv()
    if "error" in msg:
        pub.disconnect()
        pub.loop_stop()
        raise BridgeError(msg["error"])
    ids = [f"{TYPES[d % len(TYPES)]}/lt-{d:06d}" for d in range(devices)]
    extra = [(f"r{j}", "count", float(j)) for j in range(1, pack)]
    t0 = time.perf_counter()
    wall0 = time.time()
    sent = 0
    for k in range(total):
        due = t0 + k / rate
        ahead = due - time.perf_counter()
        if ahead > 0.0005:
            time.sleep(ahead)
        if qos and sent - acked[0] >= max_in_flight:       # back-pressure: never queue past the window
            while sent - acked[0] >= max_in_flight:
                time.sleep(0.0002)
        dev = ids[k % devices]
        body = senml.dumps(senml.pack(dev.split("/")[1], time.time(), [("seq", "count", float(k))] + extra))
        pub.publish(f"{root}/{dev}/telemetry", body, qos=qos)
        sent += 1
    t_sent = time.perf_counter() - t0
    end = time.monotonic() + drain_s
    while acked[0] < sent and time.monotonic() < end:
        time.sleep(0.005)
    t_acked = time.perf_counter() - t0
    parent.send("done")
    res = parent.recv()
    proc.join(10)
    pub.disconnect()
    pub.loop_stop()
    lat = np.asarray(res["latency"]) * 1000.0
    span = (res["last"] - wall0) if res["last"] else None
    unique = res["unique"]

    def pct(q):
        return round(float(np.percentile(lat, q)), 2) if len(lat) else None

    return {"url": str(broker), "run": run, "devices": devices, "qos": qos, "pack": pack,
            "offered_rate": rate, "duration_s": duration_s, "sent": sent, "acknowledged": acked[0] if qos else None,
            "received": res["received"], "unique": unique, "lost": sent - unique, "duplicates": res["duplicates"],
            "publish_rate": round(sent / t_sent, 1) if t_sent else None,
            "acked_s": round(t_acked, 3),
            "delivered_rate": round(unique / span, 1) if span else 0.0,
            "readings_per_s": round(unique * pack / span, 1) if span else 0.0,
            "latency_ms": {"p50": pct(50), "p95": pct(95), "p99": pct(99), "max": pct(100)}}


def summary_line(r: dict) -> str:
    """One line for a human."""
    lat = r["latency_ms"]
    return (f"mqtt load test {r['url']} qos{r['qos']} pack {r['pack']}: sent {r['sent']:,} at "
            f"{r['publish_rate']:,.0f}/s (offered {r['offered_rate']:,.0f}/s), delivered {r['unique']:,} "
            f"({r['delivered_rate']:,.0f} msg/s, {r['readings_per_s']:,.0f} readings/s), lost {r['lost']:,}, "
            f"duplicates {r['duplicates']:,}, latency p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms")
