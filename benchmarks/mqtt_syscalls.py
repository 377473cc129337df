"""System calls and CPU a message on each side of ``twin loadtest mqtt --per-device`` (issue 17).

What a message costs the generator and the sinks scales with how often the processes wake up,
and that is what a busy machine hides (late processes batch by themselves): the system calls a
message are the figure that shows it at any load. This runs one fleet against a private
mosquitto (the benchmark's configuration) and counts, with ``perf stat`` on the tracepoints
``raw_syscalls:sys_enter`` and ``syscalls:sys_enter_<name>``, the system calls the generator
processes and the sink processes make from the schedule's zero until they exit, divided by the
messages sent (generators) and delivered (sinks); beside them ``cpu_us_per_message`` and
mosquitto's CPU a message delivered (whole process), and the load average::

    .venv/bin/python -m benchmarks.mqtt_syscalls [--devices 5000] [--rate 20000] [--duration 10]
        [--workers 1] [--sinks 2]

It needs ``perf`` and tracepoint access (``perf_event_paranoid`` ≤ 1, or root). Nothing here is
a test: it prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import threading
import time

import psutil

from services.loadgen.mqtt_runner import run_mqtt
from tests.mqtt_broker import start_fleet_broker

CALLS = ("sendto", "recvfrom", "epoll_wait", "epoll_ctl", "poll", "clock_nanosleep", "getsockopt")


def _cpu_s(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _counts(path: str) -> dict:
    text = open(path).read()
    return {m.group(2).rsplit(":", 1)[1].removeprefix("sys_enter_"): int(m.group(1).replace(",", ""))
            for m in re.finditer(r"^\s*([\d,]+)\s+(\S+)", text, re.M)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devices", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=20_000)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--sinks", type=int, default=2)
    a = ap.parse_args(argv)
    events = ",".join(["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{c}" for c in CALLS])
    with tempfile.TemporaryDirectory(prefix="twin-mqtt-syscalls-") as tmp:
        broker, url = start_fleet_broker(tmp)
        perfs: list[subprocess.Popen] = []

        def count(t0: float, _end: float) -> None:     # at the schedule's zero, on the run's processes
            kids = psutil.Process().children(recursive=True)
            pids = {side: ",".join(str(k.pid) for k in kids if f"services.loadgen.{mod}" in " ".join(k.cmdline()))
                    for side, mod in (("generators", "mqtt_runner"), ("sinks", "mqtt_sink"))}
            time.sleep(max(0.0, t0 - time.time()))
            for side, p in pids.items():
                perfs.append(subprocess.Popen(["perf", "stat", "-e", events, "-p", p, "-o", f"{tmp}/{side}.perf"],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        try:
            b0, load0 = _cpu_s(broker.pid), os.getloadavg()
            r = run_mqtt(url, devices=a.devices, rate=a.rate, duration_s=a.duration, qos=1, pack=1, sinks=a.sinks,
                         workers=a.workers, spawn_rate=2500, timeout_s=30, on_clock=count)
            broker_s = _cpu_s(broker.pid) - b0
            for p in perfs:                         # perf stat ends with the processes it watched
                p.wait(30)
            calls = {}
            for side, n in (("generators", r["sent"]), ("sinks", r["delivered"])):
                c = _counts(f"{tmp}/{side}.perf")
                calls[side] = {("all" if k == "raw_syscalls:sys_enter" or k == "sys_enter" else k):
                               round(v / max(n, 1), 2) for k, v in c.items()}
        finally:
            broker.terminate()
            broker.wait(10)
    out = {"devices": a.devices, "offered_rate": a.rate, "duration_s": a.duration, "workers": a.workers,
           "sinks": a.sinks, "sent": r["sent"], "not_sent": r["not_sent"], "delivered": r["delivered"],
           "lost": r["lost"], "sustained_sent_rate": r["sustained_sent_rate"],
           "sustained_delivered_rate": r["sustained_delivered_rate"], "syscalls_per_message": calls,
           "cpu_us_per_message": r["cpu_us_per_message"], "cpu_run_s": r["cpu_run_s"],
           "broker_cpu_us_per_message": round(1e6 * broker_s / max(r["delivered"], 1), 1),
           "send_lag_ms_p50": r["send_lag_ms"]["p50"], "latency_ms": r["latency_ms"],
           "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
