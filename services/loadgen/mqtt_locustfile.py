"""The locustfile of the twin's device fleet: ``locust -f services/loadgen/mqtt_locustfile.py``.

``twin loadtest mqtt --per-device`` runs the same users (:class:`~services.loadgen.mqtt_devices.Device`)
with its own measuring sinks; this file lets a vendor drive the fleet from Locust's command line
instead — its web UI, and its distributed mode over several machines::

    locust -f $(python -c 'import services.loadgen.mqtt_locustfile as m; print(m.__file__)') \\
        --headless -u 5000 -r 500 --twin-mqtt-url mqtt://broker:1883 --twin-devices 5000 \\
        --twin-rate 20000 --twin-duration 60 --twin-report out/fleet

``-u`` should equal ``--twin-devices`` (a user is a device; users beyond the fleet stop at once)
and ``-r`` is the connect storm. Each process with users (the local runner, or worker *i* of
*n* = ``--expect-workers``) plays devices *i*, *i + n*, … from a common zero the master sets
``--twin-start-delay`` seconds after the start. At the end every worker sends its counts and HDR
histograms to the master, which writes the **generator's side** of the report to
``PREFIX.json`` (sent, acknowledged, not acknowledged, due→PUBACK and due→write latency,
connections); what was *delivered* is measured by subscribers — the vendor's own backend, or
``twin loadtest mqtt --per-device``'s sinks. A headless run without ``--run-time`` stops by
itself once the schedule and the PUBACK timeout are over.
"""
from __future__ import annotations

import json
import resource
import secrets
import time
from pathlib import Path

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from services.loadgen import mqtt_devices
from services.loadgen.mqtt_devices import Device  # noqa: F401  (the user class Locust finds here)
from services.loadgen.stopping import stop_when_measured

#: what this process measured, and, on the master, what the workers sent (FleetPlan summaries)
MEASURED: list[dict] = []


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    g = parser.add_argument_group("SmartCity Twin devices", "a device fleet over MQTT (see services.loadgen)")
    g.add_argument("--twin-mqtt-url", default="mqtt://127.0.0.1:1883", help="broker (mqtt:// or mqtts://)")
    g.add_argument("--twin-devices", type=int, default=100, help="devices in the fleet (= -u)")
    g.add_argument("--twin-rate", type=float, default=100.0, help="messages a second, the whole fleet")
    g.add_argument("--twin-duration", type=float, default=60.0, help="seconds of messages")
    g.add_argument("--twin-qos", type=int, default=1, choices=[0, 1])
    g.add_argument("--twin-pack", type=int, default=1, help="SenML readings a message")
    g.add_argument("--twin-commands", action="store_true", help="devices subscribe to and answer commands")
    g.add_argument("--twin-run", default="", help="run id in the topics (default: random, chosen by the master)")
    g.add_argument("--twin-seed", type=int, default=0)
    g.add_argument("--twin-timeout", type=float, default=10.0, help="seconds to wait for PUBACKs at the end")
    g.add_argument("--twin-ca-certs", default="", help="CA file for mqtts://")
    g.add_argument("--twin-certfile", default="", help="client certificate (PEM) for mqtts://")
    g.add_argument("--twin-keyfile", default="", help="its private key, if not in --twin-certfile")
    g.add_argument("--twin-start-delay", type=float, default=3.0, help="seconds from the start to the zero")
    g.add_argument("--twin-report", default="", help="write the generator's side to PREFIX.json at the end")
    g.add_argument("--twin-username", default="", help="broker user name")
    g.add_argument("--twin-password", default="", help="broker password")
    g.add_argument("--twin-tls-insecure", action="store_true", help="do not verify the broker's certificate")
    g.add_argument("--twin-start-at", type=float, default=0.0, help="(set by the master)")


def _config(o, indexes: list[int]) -> dict:
    return {"url": o.twin_mqtt_url, "run": o.twin_run, "devices": int(o.twin_devices), "rate": float(o.twin_rate),
            "duration_s": float(o.twin_duration), "qos": int(o.twin_qos), "pack": max(1, int(o.twin_pack)),
            "commands": bool(o.twin_commands), "seed": int(o.twin_seed), "timeout_s": float(o.twin_timeout),
            "ca_certs": o.twin_ca_certs, "certfile": o.twin_certfile, "keyfile": o.twin_keyfile,
            "username": o.twin_username, "password": o.twin_password, "tls_insecure": bool(o.twin_tls_insecure),
            "indexes": indexes}


@events.init.add_listener
def _init(environment, runner=None, **_kw) -> None:
    if isinstance(runner, MasterRunner):
        runner.register_message("twin_fleet", lambda msg, **kw: MEASURED.append(msg.data))
    else:                                            # a process with devices: one socket each
        from services.loadgen.mqtt_runner import _raise_nofile

        _raise_nofile()
    o = environment.parsed_options
    if o is not None and not isinstance(runner, WorkerRunner) and not getattr(o, "twin_run", ""):
        o.twin_run = secrets.token_hex(4)            # the master's choice travels to the workers


@events.test_start.add_listener
def _start(environment, **_kw) -> None:
    runner, o = environment.runner, environment.parsed_options
    if o is None:
        return
    if not isinstance(runner, WorkerRunner):
        if not o.twin_start_at > time.time():        # a zero set in advance (twin loadtest's master) stays
            o.twin_start_at = time.time() + o.twin_start_delay
        if getattr(o, "headless", False) and not getattr(o, "run_time", None):
            gevent.spawn_later(o.twin_start_delay + o.twin_duration + o.twin_timeout + 3, _stop_when_done,
                               environment)
        if isinstance(runner, MasterRunner):
            return
    count = max(1, int(getattr(o, "expect_workers", 1) or 1)) if isinstance(runner, WorkerRunner) else 1
    me = runner.worker_index % count if isinstance(runner, WorkerRunner) else 0
    cfg = _config(o, list(range(me, int(o.twin_devices), count)))
    t0 = o.twin_start_at or time.time() + o.twin_start_delay
    mqtt_devices.PLAN = plan = mqtt_devices.FleetPlan(cfg, t0)
    plan.cpu_start = time.process_time()
    plan.clock_greenlet = gevent.spawn(plan.clock)


@events.test_stop.add_listener
def _stop(environment, **_kw) -> None:
    plan = mqtt_devices.PLAN
    if plan is None:
        return
    plan.stop()
    data = plan.summary()
    data["cpu_s"] = time.process_time() - plan.cpu_start               # this process's CPU during the test
    data["open_files_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.send_message("twin_fleet", data)
    else:
        MEASURED.append(data)
    mqtt_devices.PLAN = None


def _stop_when_done(environment) -> None:
    stop_when_measured(environment.runner, MEASURED)


@events.quitting.add_listener
def _quitting(environment, **_kw) -> None:
    o = environment.parsed_options
    if o is None or not o.twin_report or isinstance(environment.runner, WorkerRunner):
        return
    from services.loadgen.mqtt_runner import generator_summary

    cfg = dict(_config(o, []), t0=o.twin_start_at)
    s = generator_summary(cfg, MEASURED)
    path = Path(o.twin_report + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(s, indent=1))
