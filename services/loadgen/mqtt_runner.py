"""An MQTT fleet load test on Locust: one connection per device, spread over worker processes,
measured by sinks on a shared subscription.

:func:`run_mqtt` (in the caller's process: no Locust, no gevent here) starts

* ``sinks`` measuring processes (:mod:`services.loadgen.mqtt_sink`; ``sink_split`` says how they
  share the telemetry: by device type, the default, or as one MQTT shared subscription) and, with ``commands`` > 0,
  the commander (:mod:`services.loadgen.mqtt_commands`), and waits until each has subscribed;
* ``workers`` generator processes (``python -m services.loadgen.mqtt_runner``, each Locust's
  local runner — Locust monkey-patches the standard library, so never in the caller's process);
  worker *i* of *n* owns devices *i*, *i + n*, … and spawns them at ``spawn_rate / n`` a second;

then gives every process the same clock: the schedule's zero is when the slowest worker has had
time to spawn its devices (the connect storm) plus a second.

With ``master=True`` the generators are **Locust workers on other machines** (or this one):
instead of local generator processes it starts one ``python -m services.loadgen.mqtt_runner
--master`` process — Locust's master runner, listening on ``master_bind:master_port`` — which
waits for ``expect_workers`` workers (``twin loadtest mqtt --worker --master-host HOST``, i.e.
``locust -f services/loadgen/mqtt_locustfile.py --worker``; at most ``worker_timeout_s``, 60 s by
default, then a ``ValueError`` naming ``expect-workers`` and how many came), hands them the fleet's options
and the common zero, and collects what each measured when the run ends (the locustfile's
``twin_fleet`` message). The sinks and the commander stay on the master's machine, so the
report merges every worker's counts and histograms with what the sinks received, as in a
local run. Certificate and CA paths travel as they are: they must exist on every machine. The workers publish for
``duration_s``, wait for their outstanding PUBACKs (at most ``timeout_s``), and report; then the
sinks are stopped and everything is put together.

Each process raises its open-file limit to the hard limit (one socket per device); the broker's
own limit (``ulimit -n`` where it starts, and ``max_connections``) is the operator's.

The summary keeps the field names of ``twin loadtest mqtt`` (``offered_rate``, ``achieved_rate``,
``sent``, ``not_sent`` (due before the end but never generated: its device had not been spawned
yet, or the generator ran out of time),
``acknowledged``, ``delivered``, ``delivered_rate``, ``lost``, ``duplicates``, ``latency_ms``) and
adds ``connections`` (connected, failed attempts by kind, reconnects, connect time),
``loss_by_stage``, ``ack_latency_ms`` (due time to PUBACK), ``send_lag_ms`` (due time to the
write: the generator's own lag), ``sustained_sent_rate`` / ``sustained_delivered_rate`` (over
the time it really took: from the schedule's zero to the last write / the last arrival — the
``*_rate`` fields divide by the schedule's duration, as before), ``commands`` (sent, answered,
round trip), ``series`` (per second since the schedule's zero: written, acknowledged, delivered
and the delivery latency's p50/p99/max) and ``workers``; :mod:`services.loadgen.mqtt_report`
writes it as JSON, CSV and an HTML page.
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
from collections import Counter
from pathlib import Path


def _raise_nofile() -> int:
    """Raise this process's open-file limit to its hard limit; return the new soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run_mqtt(url: str, *, devices: int = 100, rate: float = 100.0, duration_s: float = 10.0, qos: int = 1,
             pack: int = 1, sinks: int = 2, spawn_rate: float = 1000.0, timeout_s: float = 10.0,
             workers: int = 1, commands: float = 0.0, seed: int = 0, ca_certs: str | None = None,
             tls_insecure: bool = False, username: str | None = None, password: str | None = None,
             sink_split: str = "type", certfile: str | None = None, keyfile: str | None = None,
             master: bool = False, expect_workers: int = 1, master_bind: str = "*", master_port: int = 5557,
             worker_timeout_s: float = 60.0, on_clock=None) -> dict:
    """Run the fleet (see the module docstring) and return the summary.

    ``master``: the generators are ``expect_workers`` Locust workers that connect to this run's
    master on ``master_bind:master_port`` (``workers`` is then not used) within
    ``worker_timeout_s`` seconds; if fewer come, ``ValueError`` (``expect-workers N: K of N …``,
    which the CLI shows as ``--expect-workers …``) says how many did.

    ``on_clock(t0, end)``, if given, is called (in a thread of the caller) once the schedule's
    zero is fixed — a test uses it to restart the broker in the middle of the run.
    """
    from sensors.bridge import connect, make_client, parse_url

    for name, v, ok in (("devices", devices, devices >= 1), ("rate", rate, rate > 0), ("qos", qos, qos in (0, 1)),
                        ("duration", duration_s, duration_s > 0), ("sinks", sinks, sinks >= 1),
                        ("pack", pack, pack >= 1), ("workers", workers, workers >= 1),
                        ("spawn-rate", spawn_rate, spawn_rate > 0), ("commands", commands, commands >= 0),
                        ("expect-workers", expect_workers, not master or expect_workers >= 1),
                        ("worker-timeout", worker_timeout_s, worker_timeout_s > 0)):
        if not ok:
            raise ValueError(f"{name} is out of range: {v}")
    from services.loadgen.mqtt_sink import sink_filters

    sink_filters("x", int(sinks), sink_split)      # ValueError naming the option, before anything starts
    broker = parse_url(url)
    probe = make_client(broker, f"twin-lt-probe-{secrets.token_hex(3)}", ca_certs=ca_certs,
                        tls_insecure=tls_insecure, username=username, password=password, certfile=certfile,
                        keyfile=keyfile)
    connect(probe, broker, 10.0)                   # BridgeError naming the URL, before anything starts
    probe.disconnect()
    probe.loop_stop()
    workers = min(int(expect_workers if master else workers), int(devices))
    cfg = {"url": url, "run": secrets.token_hex(4), "devices": int(devices), "rate": float(rate),
           "duration_s": float(duration_s), "qos": int(qos), "pack": int(pack), "sinks": int(sinks),
           "spawn_rate": float(spawn_rate), "timeout_s": float(timeout_s), "commands": float(commands),
           "seed": int(seed), "ca_certs": ca_certs or "", "tls_insecure": bool(tls_insecure),
           "certfile": certfile or "", "keyfile": keyfile or "",
           "username": username or "", "password": password or "", "workers": workers,
           "sink_split": sink_split}
    total = int(cfg["rate"] * cfg["duration_s"]) + cfg["devices"] + 1
    procs: list[subprocess.Popen] = []
    _raise_nofile()
    with tempfile.TemporaryDirectory(prefix="twin-mqtt-lt-") as tmp:
        tmp = Path(tmp)
        stop = tmp / "stop"
        (tmp / "cfg.json").write_text(json.dumps(dict(cfg, total=total)))
        try:
            sink_outs = [tmp / f"sink{i}.json" for i in range(sinks)]
            for i, o in enumerate(sink_outs):
                procs.append(subprocess.Popen([sys.executable, "-m", "services.loadgen.mqtt_sink",
                                               str(tmp / "cfg.json"), str(o), str(stop), str(i)]))
            cmd_out = tmp / "commands.json"
            if commands:
                procs.append(subprocess.Popen([sys.executable, "-m", "services.loadgen.mqtt_commands",
                                               str(tmp / "cfg.json"), str(cmd_out), str(stop)]))
            gens = []
            if master:                  # one Locust master; the generators are its workers
                gen_outs = [tmp / "master.json"]
                gens.append(subprocess.Popen([sys.executable, "-m", "services.loadgen.mqtt_runner", "--master",
                                              str(tmp / "cfg.json"), str(gen_outs[0]), str(workers), master_bind,
                                              str(master_port)]))
            else:
                gen_outs = [tmp / f"gen{i}.json" for i in range(workers)]
            for i, o in enumerate(gen_outs if not master else []):
                wc = dict(cfg, indexes=list(range(i, cfg["devices"], workers)), spawn_rate=spawn_rate / workers)
                (tmp / f"gen{i}.cfg").write_text(json.dumps(wc))
                gens.append(subprocess.Popen([sys.executable, "-m", "services.loadgen.mqtt_runner",
                                              str(tmp / f"gen{i}.cfg"), str(o)]))
            procs += gens
            readies = [Path(str(o) + ".ready") for o in sink_outs + gen_outs + ([cmd_out] if commands else [])]
            started = time.time()
            deadline = started + (max(60.0, worker_timeout_s) if master else 60)
            while not all(r.exists() for r in readies):
                if master and time.time() > started + worker_timeout_s and not readies[len(sink_outs)].exists():
                    # remote workers are started by hand: a bounded, stated wait, then a clear error
                    count = Path(str(gen_outs[0]) + ".workers")
                    came = int(count.read_text() or 0) if count.exists() else 0
                    raise ValueError(f"expect-workers {workers}: {came} of {workers} Locust worker(s) connected to "
                                     f"the master on {master_bind}:{master_port} within {worker_timeout_s:g} s "
                                     "(--worker-timeout); start them with twin loadtest mqtt --worker "
                                     f"--master-host HOST --master-port {master_port}")
                if time.time() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError("the MQTT load generator's processes did not start "
                                       f"({sum(r.exists() for r in readies)} of {len(readies)} ready)")
                time.sleep(0.05)
            t0 = time.time() + cfg["devices"] / spawn_rate + 1.0
            end = t0 + cfg["duration_s"]
            cfg["t0"] = t0
            for o in gen_outs + sink_outs + ([cmd_out] if commands else []):
                go = Path(str(o) + ".go")          # whole or not at all: the processes poll for it
                go.with_name(go.name + ".tmp").write_text(json.dumps([t0, end]))
                os.replace(go.with_name(go.name + ".tmp"), go)
            if on_clock is not None:
                import threading

                threading.Thread(target=on_clock, args=(t0, end), daemon=True).start()
            wait_end = end + cfg["timeout_s"] + 60
            for g in gens:
                try:
                    g.wait(timeout=max(1.0, wait_end - time.time()))
                except subprocess.TimeoutExpired:
                    g.kill()
            stop.touch()
            for p in procs:
                try:
                    p.wait(timeout=cfg["timeout_s"] + 10)
                except subprocess.TimeoutExpired:
                    p.kill()
            if master:
                reported = json.loads(gen_outs[0].read_text())["gens"] if gen_outs[0].exists() else []
                missing = [f"{workers - len(reported)} of {workers} Locust workers"] if len(reported) < workers else []
            else:
                reported = [json.loads(o.read_text()) for o in gen_outs if o.exists()]
                missing = [str(o.name) for o in gen_outs if not o.exists()]
            if not reported:
                raise RuntimeError("the MQTT load generator failed: no worker reported")
            return _summarize(cfg, total, reported,
                              [json.loads(o.read_text()) for o in sink_outs if o.exists()],
                              json.loads(cmd_out.read_text()) if cmd_out.exists() else None, missing)
        finally:
            stop.touch()
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(5)


def generator_summary(cfg: dict, gens: list[dict]) -> dict:
    """The generator's side alone (no sinks: what was delivered is not known here) — what the
    Locust-run fleet (:mod:`services.loadgen.mqtt_locustfile`) reports."""
    s = _summarize(dict(cfg, sinks=0, sink_split="", workers=len(gens)), 1, gens, [], None, [])
    for k in ("delivered", "received", "duplicates", "lost", "delivered_rate", "readings_per_s", "latency_ms",
              "sustained_delivered_rate", "delivered_span_s", "undelivered_due_s", "sinks_reported",
              "sink_reconnects", "sinks", "sink_split"):
        s.pop(k, None)
    s["loss_by_stage"] = {"not_acknowledged": s["sent"] - s["acknowledged"]} if cfg["qos"] else {}
    s["series"] = [{k: v for k, v in r.items() if k in ("second", "sent", "acknowledged")} for r in s["series"]]
    return s


def _summarize(cfg: dict, total: int, gens: list[dict], sinks: list[dict], cmds: dict | None,
               missing: list[str]) -> dict:
    import numpy as np

    from services.loadgen.measure import _hist, loss_by_stage, percentiles

    add = lambda key: sum(g.get(key, 0) for g in gens)
    ack, connect_ms, lag = _hist(), _hist(), _hist()
    errors: Counter = Counter()
    for g in gens:
        ack.decode_and_add(g["ack_latency"].encode("ascii"))
        lag.decode_and_add(g["send_lag"].encode("ascii"))
        connect_ms.decode_and_add(g["connect_ms"].encode("ascii"))
        errors.update(g["connect_errors"])
    seen = np.zeros(total, bool)
    received = duplicates = reconnects = 0
    delivery = _hist()
    for d in sinks:
        bits = np.unpackbits(np.frombuffer(base64.b64decode(d["seen"]), np.uint8))[:total].astype(bool)
        duplicates += d["duplicates"] + int((seen & bits).sum())       # the same message at two sinks
        seen |= bits
        received += d["received"]
        reconnects += d.get("reconnects", 0)
        delivery.decode_and_add(d["latency"].encode("ascii"))
    unique = int(seen.sum())
    t0 = cfg.get("t0", 0.0)
    sent_s, acked_s, lat_s = Counter(), Counter(), {}
    for g in gens:
        sent_s.update({int(k): v for k, v in g.get("sent_s", {}).items()})
        acked_s.update({int(k): v for k, v in g.get("acked_s", {}).items()})
    for d in sinks:
        for k, b64 in d.get("per_s", {}).items():
            lat_s.setdefault(int(k), _hist()).decode_and_add(b64.encode("ascii"))
    series = []
    for sec in range(max([*sent_s, *acked_s, *lat_s], default=-1) + 1):
        p = percentiles(lat_s[sec]) if sec in lat_s else percentiles(_hist())
        series.append({"second": sec, "sent": sent_s.get(sec, 0), "acknowledged": acked_s.get(sec, 0),
                       "delivered": p["n"], "latency_p50_ms": p["p50"], "latency_p99_ms": p["p99"],
                       "latency_max_ms": p["max"]})
    last_in = max((d.get("last", 0.0) for d in sinks), default=0.0)
    last_out = max(g.get("last_sent", 0.0) for g in gens)
    sent, acked, dur = add("sent"), add("acked"), cfg["duration_s"]
    due = int(np.ceil(cfg["rate"] * dur - 1e-9))
    s = {"url": cfg["url"], "devices": cfg["devices"], "qos": cfg["qos"], "pack": cfg["pack"],
         "offered_rate": cfg["rate"], "duration_s": dur, "sent": sent, "not_sent": max(0, due - sent),
         "acknowledged": acked, "received": received, "delivered": unique, "duplicates": duplicates,
         "lost": max(0, sent - unique), "achieved_rate": round(sent / dur, 1),
         "delivered_rate": round(unique / dur, 1), "readings_per_s": round(unique * cfg["pack"] / dur, 1),
         # the rates over the time it really took (the *_rate above divide by the schedule's duration)
         "sent_span_s": round(max(dur, last_out - t0), 3), "delivered_span_s": round(max(dur, last_in - t0), 3),
         "sustained_sent_rate": round(sent / max(dur, last_out - t0), 1),
         "sustained_delivered_rate": round(unique / max(dur, last_in - t0), 1),
         "send_lag_ms": percentiles(lag),
         "loss_by_stage": loss_by_stage(sent, acked, unique, cfg["qos"]),
         "latency_ms": percentiles(delivery), "ack_latency_ms": percentiles(ack),
         "connections": {"connected": add("connected"), "failed": add("connect_failed"),
                         "failed_by_kind": dict(errors), "reconnects": add("reconnects"),
                         "connect_ms": percentiles(connect_ms)},
         "series": series, "publish_errors": add("publish_errors"), "workers": cfg["workers"], "sinks": cfg["sinks"], "sink_split": cfg["sink_split"],
         "sinks_reported": len(sinks), "sink_reconnects": reconnects, "run": cfg["run"],
         "open_files_limit": min(g.get("open_files_limit", 0) for g in gens),
         # CPU seconds each side used (a shared machine's ceiling is its CPU: cost per message):
         # the whole processes, and from the schedule's zero (sinks: the first arrival) to the end
         "cpu_s": {"generators": round(add("cpu_s"), 2), "sinks": round(sum(d.get("cpu_s", 0.0) for d in sinks), 2)},
         "cpu_run_s": {"generators": round(add("cpu_run_s"), 3),
                       "sinks": round(sum(d.get("cpu_run_s", 0.0) for d in sinks), 3),
                       "generators_kernel": round(add("cpu_run_kernel_s"), 3),
                       "sinks_kernel": round(sum(d.get("cpu_run_kernel_s", 0.0) for d in sinks), 3)}}
    s["cpu_us_per_message"] = {"generators": round(1e6 * s["cpu_run_s"]["generators"] / max(sent, 1), 1),
                               "sinks": round(1e6 * s["cpu_run_s"]["sinks"] / max(received, 1), 1)}
    gone = np.flatnonzero(~seen[:due])
    if len(gone):               # when the undelivered messages were due: an outage shows as a burst
        at = gone / cfg["rate"]
        s["undelivered_due_s"] = {"first": round(float(at[0]), 3), "last": round(float(at[-1]), 3),
                                  "histogram_1s": np.bincount(at.astype(int)).tolist()}
    if missing:
        s["missing_workers"] = missing
    if cmds is not None:
        rtt = _hist()
        rtt.decode_and_add(cmds["rtt"].encode("ascii"))
        s["commands"] = {"sent": cmds["sent"], "answered": cmds["answered"],
                         "unanswered": cmds["sent"] - cmds["answered"], "duplicates": cmds["duplicates"],
                         "received_by_devices": add("commands_received"), "round_trip_ms": percentiles(rtt)}
    return s


def _main(argv: list[str]) -> int:
    """One generator process: Locust's local runner with this worker's devices."""
    limit = _raise_nofile()
    import gevent
    import locust
    from locust.env import Environment

    from services.loadgen import mqtt_devices as md

    cfg = json.loads(Path(argv[0]).read_text())
    out = Path(argv[1])
    env = Environment(user_classes=[md.Device], events=locust.events)
    runner = env.create_local_runner()
    Path(str(out) + ".ready").touch()
    go = Path(str(out) + ".go")
    while not go.exists():
        gevent.sleep(0.02)
    t0, end = json.loads(go.read_text())
    md.PLAN = plan = md.FleetPlan(cfg, t0)
    n = len(cfg["indexes"])
    runner.start(n, spawn_rate=cfg["spawn_rate"])
    plan.clock_greenlet = gevent.spawn(plan.clock)
    gevent.sleep(max(0.0, end - time.time()))
    grace = time.time() + cfg["timeout_s"] + 3
    while runner.user_count > 0 and time.time() < grace:
        gevent.sleep(0.1)
    runner.quit()
    plan.stop()
    out.write_text(json.dumps(dict(plan.summary(), open_files_limit=limit, cpu_s=time.process_time())))
    sys.stdout.flush()
    os._exit(0)


LOCUSTFILE = str(Path(__file__).with_name("mqtt_locustfile.py"))


def worker_command(master_host: str, master_port: int = 5557) -> list[str]:
    """The command line of one Locust worker of a fleet run with ``master=True`` (the fleet's
    options come from the master)."""
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--worker", "--master-host", master_host,
            "--master-port", str(master_port), "--loglevel", "WARNING"]


def _master_options(cfg: dict, workers: int) -> list[str]:
    """The Locust command line of the master: the fleet as ``--twin-*`` options, which Locust
    sends to every worker with the spawn message (see :mod:`services.loadgen.mqtt_locustfile`)."""
    args = ["-f", LOCUSTFILE, "--headless", "--run-time", "24h", "--expect-workers", str(workers),
            "--twin-mqtt-url", cfg["url"], "--twin-devices", str(cfg["devices"]), "--twin-rate", repr(cfg["rate"]),
            "--twin-duration", repr(cfg["duration_s"]), "--twin-qos", str(cfg["qos"]), "--twin-pack", str(cfg["pack"]),
            "--twin-run", cfg["run"], "--twin-seed", str(cfg["seed"]), "--twin-timeout", repr(cfg["timeout_s"])]
    for key in ("ca_certs", "certfile", "keyfile", "username", "password"):
        if cfg.get(key):
            args += [f"--twin-{key.replace('_', '-')}", cfg[key]]
    if cfg.get("commands"):
        args.append("--twin-commands")
    if cfg.get("tls_insecure"):
        args.append("--twin-tls-insecure")
    return args


def _master_main(argv: list[str]) -> int:
    """Locust's master for ``run_mqtt(master=True)``: ``CONFIG OUT WORKERS BIND PORT``.

    Waits for WORKERS workers (then ``OUT.ready``), for the common zero (``OUT.go``), starts as
    many users as devices (rounded up to a multiple of the workers: Locust deals users evenly, so
    each worker gets at least its devices; the rest stop at once), waits for the schedule and the
    PUBACKs, stops, collects the workers' ``twin_fleet`` measurements, writes ``OUT`` and quits
    (which ends the workers)."""
    import gevent
    import locust
    from locust.argument_parser import parse_options
    from locust.env import Environment

    from services.loadgen import mqtt_locustfile as lf
    from services.loadgen.mqtt_devices import Device
    from services.loadgen.stopping import WAIT_S

    cfg = json.loads(Path(argv[0]).read_text())
    out, workers, bind, port = Path(argv[1]), int(argv[2]), argv[3], int(argv[4])
    opts = parse_options(_master_options(cfg, workers))
    env = Environment(user_classes=[Device], events=locust.events, parsed_options=opts)
    runner = env.create_master_runner(master_bind_host=bind, master_bind_port=port)
    locust.events.init.fire(environment=env, runner=runner, web_ui=None)
    print(f"Locust master listening on {bind}:{port}; start {workers} worker(s) with: "
          f"twin loadtest mqtt --worker --master-host HOST --master-port {port}", file=sys.stderr, flush=True)
    came = -1
    while len(runner.clients.ready) < workers:
        if len(runner.clients.ready) != came:      # how many came, for the caller's error if not all do
            came = len(runner.clients.ready)
            Path(str(out) + ".workers").write_text(str(came))
        gevent.sleep(0.1)
    Path(str(out) + ".ready").touch()
    go = Path(str(out) + ".go")
    while not go.exists():
        gevent.sleep(0.02)
    t0, end = json.loads(go.read_text())
    opts.twin_start_at = t0                       # the locustfile keeps a zero set in advance
    runner.start(-(-cfg["devices"] // workers) * workers, spawn_rate=cfg["spawn_rate"])
    gevent.sleep(max(0.0, end - time.time()))
    grace = time.time() + cfg["timeout_s"] + 3
    while runner.user_count > 0 and time.time() < grace:
        gevent.sleep(0.1)
    runner.stop()
    wait = time.time() + WAIT_S
    while len(lf.MEASURED) < workers and time.time() < wait:
        gevent.sleep(0.1)
    out.write_text(json.dumps({"gens": lf.MEASURED}))
    runner.quit()
    gevent.sleep(0.5)                             # let the quit messages leave
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(_master_main(sys.argv[2:]) if sys.argv[1:2] == ["--master"] else _main(sys.argv[1:]))
