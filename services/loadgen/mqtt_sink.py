"""The measuring side of an MQTT load test: subscriber processes that are never the bottleneck.

``python -m services.loadgen.mqtt_sink CONFIG OUT STOP_FILE MEMBER`` is one of several sink
processes that split the fleet's telemetry between them (:func:`sink_filters`), so N sinks take
N times what one can:

* ``sink_split="type"`` (the default): sink *i* subscribes to the device types *j* with
  ``j % sinks == i`` (``city/loadtest-<run>/<type>/+/telemetry``; 1 to 4 sinks);
* ``sink_split="shared"``: every sink is a member of the **shared subscription**
  ``$share/twin-<run>/city/loadtest-<run>/+/+/telemetry`` and the broker deals the messages out
  round-robin (any number of sinks). mosquitto 2.0 does not keep shared subscriptions over a
  restart (measured: the sessions come back, their shared subscriptions do not, and what is
  published before the sinks subscribe again reaches no one), so a test with a broker restart
  should split by type.

It is cheap per message on purpose: a plain blocking socket (no event loop, no thread) read in
large chunks, the packets parsed with :mod:`services.loadgen.mqtt_wire`, the sequence number
and due time taken from the first SenML record (the generator writes it in a fixed form; any
other payload is decoded as JSON), and the PUBACKs of a whole chunk written back in one call —
*after* the messages are counted, so nothing acknowledged is ever uncounted.

It has a **persistent session** (a fixed client id, clean session off): a broker that restarts
keeps — if its persistence saved them — the messages it queued for the sink, and the sink
reconnects with back-off and subscribes again. A message the broker sends again counts once
(duplicates are counted apart). When ``STOP_FILE`` appears and nothing has arrived for a
second, it writes ``OUT`` (JSON: ``received``, a bitmap of the sequence numbers seen,
``duplicates``, the HDR histogram of the latency from the due time, ``reconnects``, the times
of the first and last arrival), then
removes its session from the broker.

The generator's side knows what it sent and what the broker acknowledged; with the sinks' union
of what arrived, the report separates **not acknowledged by the broker** from **acknowledged and
never delivered** (:func:`services.loadgen.measure.loss_by_stage`).
"""
from __future__ import annotations

import base64
import gc
import json
import os
import re
import socket
import ssl
import struct
import sys
import time
from array import array

_FIRST = re.compile(rb'"bt":([-0-9.eE+]+),"n":"seq","v":(\d+)')


#: The sink's coalescing: after a read of fewer than ``COALESCE_BYTES``, the sink sleeps
#: ``COALESCE_S`` before the next, so the next read takes what arrived meanwhile. On an idle
#: machine a sink otherwise wakes for every message (a read, a PUBACK write, a context switch:
#: most of its CPU a message); this reads ~10 messages a wake at 10,000/s a sink. It adds at most
#: ``COALESCE_S`` (plus the timer's slack, ~0.1 ms) to the delivery latency measured — never less
#: than the truth — and delays the PUBACKs as long: a broker that keeps 20 messages in flight a
#: client (mosquitto's default) still sends 20,000/s to each sink. An idle sink does not wake.
#: (``SO_RCVLOWAT`` with ``SO_RCVTIMEO`` would spare the sleep's system call, but the kernel's
#: time-out counts in scheduler ticks — 10 ms and more here — and it breaks TLS reads.)
COALESCE_BYTES, COALESCE_S = 65536, 0.001


def _coalesce(sock) -> None:
    """Make ``sock`` a blocking socket whose reads give up after 0.2 s: the kernel's time-out
    (``SO_RCVTIMEO``; the read raises ``BlockingIOError``), so a read is one system call, not a
    ``poll`` and a read as with a Python time-out — which stays for TLS, where the kernel's
    time-out breaks the record layer's reads."""
    if isinstance(sock, ssl.SSLSocket):
        sock.settimeout(0.2)
        return
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 200_000))


def _connect(cfg: dict, client_id: str, clean: bool):
    from sensors.bridge import parse_url
    from services.loadgen import mqtt_wire as wire

    b = parse_url(cfg["url"])
    sock = socket.create_connection((b.host, b.port), timeout=10)
    try:
        if b.tls:
            sock = wire.tls_context(cfg).wrap_socket(sock, server_hostname=b.host)
        sock.sendall(wire.connect(client_id, clean=clean, keepalive=60, username=cfg.get("username") or b.username,
                                  password=cfg.get("password") or b.password))
        reader = wire.Reader()
        body, rest = wire.await_connack(sock, reader)
        if body[1]:
            raise ConnectionRefusedError(f"CONNACK {wire.CONNACK_CODES.get(body[1], body[1])}")
        return sock, reader, rest, bool(body[0] & 1)
    except BaseException:
        sock.close()
        raise


def sink_filters(run: str, sinks: int, split: str) -> list[list[str]]:
    """Each sink's subscription filters: ``split="shared"``, all sinks members of one shared
    subscription; ``split="type"``, sink *i* takes the device types *j* with ``j % sinks == i``
    by plain subscriptions (at most 4 sinks)."""
    from services.loadgen import mqtt_fleet

    if split == "shared":
        return [[f"$share/twin-{run}/{mqtt_fleet.telemetry_filter(run)}"]] * sinks
    if split != "type" or not 1 <= sinks <= len(mqtt_fleet.TYPES):
        raise ValueError(f"sink-split {split!r} with {sinks} sinks: 'type' takes 1 to {len(mqtt_fleet.TYPES)} "
                         "sinks, 'shared' any number")
    return [[f"city/loadtest-{run}/{t}/+/telemetry" for j, t in enumerate(mqtt_fleet.TYPES) if j % sinks == i]
            for i in range(sinks)]


def main(argv: list[str]) -> int:
    import numpy as np

    from services.loadgen import mqtt_wire as wire
    from services.loadgen.measure import Batch, _hist, cpu_since

    cfg = json.loads(open(argv[0]).read())
    out, stop_file, member = argv[1], argv[2], argv[3]
    run, qos, total = cfg["run"], int(cfg["qos"]), int(cfg["total"])
    client_id = f"twin-sink-{run}-{member}"
    seen = array("H", bytes(2 * total))       # times each message arrived (array: cheap to index from Python)
    last = time.time()
    first = 0.0
    cpu0 = None                                # CPU times at the first message: the run's own CPU from there
    t0 = 0.0                                   # the schedule's zero, from OUT.go (written before any message)
    per_s: dict = {}                           # whole seconds since t0 -> latency of the first arrivals (Batch)
    cur, cur_sec = None, None                  # the second being filled
    buf = bytearray(1 << 20)                   # read into one buffer: recv(n) allocates n bytes each call
    view = memoryview(buf)
    reconnects, delay, ready = -1, 0.1, False
    topics = sink_filters(run, int(cfg["sinks"]), cfg.get("sink_split", "type"))[int(member)]
    pid_at = struct.Struct("!H").unpack_from
    first_of, puback, PUBLISH = _FIRST.search, wire.puback, wire.PUBLISH
    add, sleep = None, time.sleep
    gc.freeze()                                # what is here now lives to the end: not scanned again
    while True:
        if os.path.exists(stop_file) and time.time() - last > 1.0:
            break
        try:
            sock, reader, early, _present = _connect(cfg, client_id, clean=False)
        except OSError:
            time.sleep(delay)
            delay = min(2.0, delay * 2)
            continue
        delay = 0.1
        reconnects += 1
        try:
            # again after every reconnect, even when the broker kept the session (session present):
            # mosquitto 2.0 keeps a persistent session's plain subscriptions over a restart, not its
            # shared ones
            sock.sendall(wire.subscribe(1, [(t, qos) for t in topics]))
            _coalesce(sock)
            pinged = time.time()
            n_in = COALESCE_BYTES
            packets = early
            now = time.time()
            while True:
                acks = []
                sec = int(now - t0) if t0 else -1
                for typ, flags, body in packets:
                    if typ != PUBLISH:
                        if typ == wire.SUBACK and not ready:
                            open(out + ".ready", "w").close()
                            ready = True
                        continue
                    n = pid_at(body)[0]
                    if flags & 6:
                        acks.append(puback(pid_at(body, 2 + n)[0]))
                        n += 2
                    m = first_of(body, 2 + n, 202 + n)
                    try:
                        if m:
                            bt, k = float(m.group(1)), int(m.group(2))
                        else:
                            p = json.loads(body[2 + n:])
                            bt, k = float(p[0]["bt"]), int(p[0]["v"])
                    except (ValueError, KeyError, IndexError, TypeError):
                        continue
                    if 0 <= k < total:
                        if not seen[k]:
                            if sec != cur_sec:     # a new second: the last one's values into its histogram
                                if not first:
                                    first, cpu0 = now, os.times()
                                if not t0:
                                    t0 = json.loads(open(out + ".go").read())[0]
                                    sec = int(now - t0)
                                if cur is not None:
                                    cur.flush()
                                cur = per_s.setdefault(sec, Batch())
                                cur_sec, add = sec, cur.add
                            add(now - bt)
                        seen[k] += 1
                        last = now
                if acks:
                    sock.sendall(b"".join(acks))
                if packets and n_in < COALESCE_BYTES:
                    sleep(COALESCE_S)          # let the next messages gather (see COALESCE_S)
                try:
                    n_in = sock.recv_into(buf)
                    now = time.time()          # the arrival of everything in this chunk
                except (BlockingIOError, TimeoutError, socket.timeout):
                    now = time.time()          # nothing for 0.2 s
                    packets = []
                    n_in = COALESCE_BYTES
                    if os.path.exists(stop_file) and now - last > 1.0:
                        break
                    if now - pinged > 20:
                        sock.sendall(wire.pingreq())
                        pinged = now
                    continue
                if not n_in:
                    raise ConnectionResetError("the broker closed the connection")
                packets = reader.feed(view[:n_in].tobytes())
            sock.sendall(wire.disconnect())
            sock.close()
            break
        except (OSError, ValueError):
            sock.close()
            time.sleep(delay)
    try:                                       # forget the persistent session on the broker
        s, _r, _p, _s = _connect(cfg, client_id, clean=True)
        s.sendall(wire.disconnect())
        s.close()
    except OSError:
        pass
    seen = np.frombuffer(seen, np.uint16)
    got = seen > 0
    lat = _hist()                              # the whole run: the sum of the seconds
    for h in per_s.values():
        lat.add(h.flush())
    data = {"received": int(seen.sum()), "unique": int(got.sum()), "duplicates": int((seen[got] - 1).sum()),
            "seen": base64.b64encode(np.packbits(got).tobytes()).decode("ascii"),
            "latency": lat.encode().decode("ascii"), "reconnects": max(0, reconnects),
            "first": first, "last": last if first else 0.0, "cpu_s": time.process_time(),
            **cpu_since(cpu0),
            "per_s": {str(k): h.flush().encode().decode("ascii") for k, h in per_s.items()}}
    with open(out, "w") as fh:
        json.dump(data, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
