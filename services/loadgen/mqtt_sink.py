"""The measuring side of an MQTT load test: subscriber processes that are never the bottleneck.

``python -m services.loadgen.mqtt_sink URL RUN QOS TOTAL OUT STOP_FILE`` subscribes, as one of
several members of the **shared subscription** ``$share/twin-<run>/city/loadtest-<run>/+/+/telemetry``
(the broker deals the messages round-robin to the members, so N sink processes take N times
what one can), with a persistent session (a fixed client id, ``clean_session`` off: a broker
that restarts keeps what it queued for it, and the sink resubscribes on every reconnect). Each
message's SenML pack carries its global sequence number (``n="seq"``) and due time (``bt``); the
sink counts each sequence number's arrivals and the latency from the due time (an HDR
histogram), and when ``STOP_FILE`` appears and nothing has arrived for a moment, writes ``OUT``
(JSON: ``received``, a bitmap of the sequence numbers seen, duplicates, the encoded histogram).

The generator's side knows what it sent and what the broker acknowledged; with the sinks' union
of what arrived, the report separates **not acknowledged by the broker** from **acknowledged and
never delivered** (:func:`services.loadgen.measure.loss_by_stage`).
"""
from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time


def main(argv: list[str]) -> int:
    url, run, qos, total, out, stop_file = argv[0], argv[1], int(argv[2]), int(argv[3]), argv[4], argv[5]
    member = argv[6] if len(argv) > 6 else "0"
    import numpy as np

    from sensors.bridge import make_client, parse_url
    from services.loadgen.measure import _hist, _us

    broker = parse_url(url)
    seen = np.zeros(total, np.uint16)
    lat = _hist()
    lock = threading.Lock()
    last = [time.time()]
    topic = f"$share/twin-{run}/city/loadtest-{run}/+/+/telemetry"

    def on_message(_c, _u, msg):
        now = time.time()
        try:
            p = json.loads(msg.payload)
            k, bt = int(p[0]["v"]), float(p[0]["bt"])
        except (ValueError, KeyError, IndexError, TypeError):
            return
        with lock:
            if 0 <= k < total:
                if seen[k] == 0:
                    lat.record_value(_us(max(0.0, now - bt)))
                seen[k] += 1
            last[0] = now

    def on_connect(c, _u, _flags, reason_code, _props):
        if not reason_code.is_failure:
            c.subscribe(topic, qos=qos)            # again after every reconnect

    c = make_client(broker, f"twin-sink-{run}-{member}", clean_session=False)
    c.on_message = on_message
    c.on_connect = on_connect
    c.connect_async(broker.host, broker.port, keepalive=30)
    c.loop_start()
    ready = out + ".ready"
    while not c.is_connected():
        time.sleep(0.02)
    time.sleep(0.3)                                # the SUBACK
    open(ready, "w").close()
    while not os.path.exists(stop_file) or time.time() - last[0] < 1.0:
        time.sleep(0.05)
    c.loop_stop()
    c.disconnect()
    with lock:
        got = seen > 0
        data = {"received": int(seen.sum()), "unique": int(got.sum()), "duplicates": int((seen[got] - 1).sum()),
                "seen": base64.b64encode(np.packbits(got).tobytes()).decode("ascii"),
                "latency": lat.encode().decode("ascii")}
    with open(out, "w") as fh:
        json.dump(data, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
