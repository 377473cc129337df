"""Command round trips: a back office sending commands to devices and timing their answers.

``python -m services.loadgen.mqtt_commands CONFIG OUT STOP_FILE`` connects one paho client (a
command stream is a trickle next to the telemetry, so paho's cost per message does not matter
here), subscribes to every device's ``…/cmd/reply`` and, from the schedule's zero to its end,
publishes ``commands`` commands a second at QoS 1 to ``…/<device>/cmd``, the devices taken in a
shuffled order drawn from the run's seed. A command's payload is ``{"c": n, "t": sent_time}``;
the device publishes it back (:mod:`services.loadgen.mqtt_devices`), and the round trip — from
the command's *scheduled* time to its reply's arrival — goes into an HDR histogram. When
``STOP_FILE`` appears and nothing has arrived for a second it writes ``OUT`` (JSON: ``sent``,
``answered``, ``duplicates``, the encoded histogram).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time


def main(argv: list[str]) -> int:
    import numpy as np

    from sensors.bridge import connect, make_client, parse_url
    from services.loadgen import mqtt_fleet
    from services.loadgen.measure import _hist, _us

    cfg = json.loads(open(argv[0]).read())
    out, stop_file = argv[1], argv[2]
    run, rate = cfg["run"], float(cfg["commands"])
    broker = parse_url(cfg["url"])
    answered: dict[int, int] = {}
    rtt = _hist()
    lock = threading.Lock()
    last = [time.time()]

    def on_message(_c, _u, msg):
        now = time.time()
        try:
            p = json.loads(msg.payload)
            n, t = int(p["c"]), float(p["t"])
        except (ValueError, KeyError, TypeError):
            return
        with lock:
            if n not in answered:
                rtt.record_value(_us(max(0.0, now - t)))
            answered[n] = answered.get(n, 0) + 1
            last[0] = now

    def on_connect(c, _u, _f, rc, _p):
        if not rc.is_failure:
            c.subscribe(mqtt_fleet.replies_filter(run), qos=1)

    c = make_client(broker, f"twin-cmd-{run}", ca_certs=cfg.get("ca_certs") or None,
                    tls_insecure=bool(cfg.get("tls_insecure")), username=cfg.get("username"),
                    password=cfg.get("password"), certfile=cfg.get("certfile"), keyfile=cfg.get("keyfile"))
    c.on_message = on_message
    connect(c, broker, 10.0)
    on_connect(c, None, None, type("ok", (), {"is_failure": False})(), None)
    c.on_connect = on_connect                      # and again after a broker restart
    time.sleep(0.3)
    open(out + ".ready", "w").close()
    while not os.path.exists(out + ".go"):
        time.sleep(0.02)
    t0, end = json.loads(open(out + ".go").read())
    order = np.random.default_rng(int(cfg.get("seed", 0))).permutation(int(cfg["devices"]))
    sent, n = 0, 0
    while True:
        due = t0 + n / rate
        if due >= end:
            break
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        dev = int(order[n % len(order)])
        c.publish(f"{mqtt_fleet.base(run, dev)}/cmd", json.dumps({"c": n, "t": due}), qos=1)
        sent += 1
        n += 1
    while not os.path.exists(stop_file) or time.time() - last[0] < 1.0:
        time.sleep(0.05)
    c.disconnect()
    c.loop_stop()
    with lock:
        data = {"sent": sent, "answered": len(answered), "duplicates": sum(v - 1 for v in answered.values()),
                "rtt": rtt.encode().decode("ascii")}
    with open(out, "w") as fh:
        json.dump(data, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
