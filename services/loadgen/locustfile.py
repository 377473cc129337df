"""The locustfile of the twin's Open311 load: ``locust -f services/loadgen/locustfile.py``.

``twin loadtest open311`` runs it through Locust's runners (:mod:`services.loadgen.runner`);
a vendor may also run it with Locust's own command line, web UI and distributed mode::

    locust -f $(python -c 'import services.loadgen.locustfile as m; print(m.__file__)') \\
        --host http://127.0.0.1:8311/open311/v2 --twin-events runs/baseline-…/ --twin-speed 600 \\
        --twin-rate 200 --twin-duration 60 --twin-api-key KEY --twin-report out/lt -u 64 --headless

What this file adds to Locust:

* the ``--twin-*`` options (Locust sends them from the master to its workers); the
  configuration is prepared when Locust starts (the endpoint's services, the city's points), and
  a headless run without ``--run-time`` stops by itself once the schedule's time and the
  answers' timeout are over;
* at the start of a test, each process that has users builds the schedule, takes its share
  (worker *i* of *n* = ``--expect-workers``) and starts its clock at the common zero the master
  (or the local runner) chose, ``--twin-start-delay`` seconds after the start;
* at the end, each worker sends what it measured to the master (a ``twin_measure`` message:
  HDR histograms, counts, per-second series), and the master, or the local runner, merges it
  (:data:`MEASURED`), and writes the report with ``--twin-report PREFIX`` when Locust quits.
"""
from __future__ import annotations

import argparse
import json
import time

import gevent
import pyarrow.parquet  # noqa: F401  (imported now, not while the test's clock runs)
from locust import events
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

from services.loadgen import open311_users
from services.loadgen.open311_users import Citizen, Plan
from services.loadgen.schedule import from_config
from services.loadgen.stopping import stop_when_measured

#: what this process's users measured, and, on the master, what the workers sent (``to_dict`` form)
MEASURED: list[dict] = []
#: the configuration of the test, once known (see :func:`config_of`)
CONFIG: dict = {}


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    g = parser.add_argument_group("SmartCity Twin", "realistic city load (see services.loadgen)")
    g.add_argument("--twin-config", default="", help="the whole configuration as JSON (twin loadtest sets it)")
    g.add_argument("--twin-events", default="", help="a run's events.parquet (or run folder) to replay")
    g.add_argument("--twin-speed", type=float, default=60.0, help="city seconds per second (60: an hour a minute)")
    g.add_argument("--twin-rate", type=float, default=0.0, help="mean arrivals a second (0: replay one for one)")
    g.add_argument("--twin-start-h", type=float, default=-1.0, help="city hour to start at (default: first event)")
    g.add_argument("--twin-duration", type=float, default=60.0, help="seconds of arrivals")
    g.add_argument("--twin-api-key", default="", help="API key sent with every call")
    g.add_argument("--twin-post-share", type=float, default=0.5, help="share of reports without --twin-events")
    g.add_argument("--twin-city", default="demo", help="city of the reports without --twin-events")
    g.add_argument("--twin-seed", type=int, default=0)
    g.add_argument("--twin-timeout", type=float, default=10.0, help="seconds a call may take")
    g.add_argument("--twin-start-delay", type=float, default=2.0, help="seconds from the start to the schedule's zero")
    g.add_argument("--twin-start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    g.add_argument("--twin-report", default="", help="write PREFIX.json, PREFIX.csv and PREFIX.html at the end")


def config_of(environment) -> dict:
    """The test's configuration: ``--twin-config`` as given, or made from the other options
    (which asks the endpoint for its services)."""
    if CONFIG:
        return CONFIG
    o = environment.parsed_options
    if getattr(o, "twin_config", ""):
        CONFIG.update(json.loads(o.twin_config))
    else:
        from services.loadgen.runner import prepare

        cfg, _ = prepare(environment.host, api_key=o.twin_api_key or None, events=o.twin_events or None,
                         speed=o.twin_speed, rate=o.twin_rate or None, duration_s=o.twin_duration,
                         post_share=o.twin_post_share, city=o.twin_city, seed=o.twin_seed,
                         timeout_s=o.twin_timeout,
                         start_h=o.twin_start_h if o.twin_start_h >= 0 else None)
        CONFIG.update(cfg)
    return CONFIG


@events.test_start.add_listener
def _start(environment, **_kw) -> None:
    runner = environment.runner
    o = environment.parsed_options
    if (o is not None and getattr(o, "headless", False) and not getattr(o, "run_time", None)
            and not isinstance(runner, WorkerRunner) and getattr(o, "twin_config", "")):
        cfg = config_of(environment)
        gevent.spawn_later(getattr(o, "twin_start_delay", 1.0) + cfg["duration_s"] + cfg.get("timeout_s", 10.0) + 1,
                           _stop_when_done, environment)
    if isinstance(runner, MasterRunner) or not isinstance(runner, WorkerRunner | LocalRunner):
        if o is not None:                    # the common zero, sent to the workers with the options
            o.twin_start_at = time.time() + getattr(o, "twin_start_delay", 1.0)
        return
    cfg = config_of(environment)
    Citizen.network_timeout = Citizen.connection_timeout = float(cfg.get("timeout_s", 10.0))
    schedule = from_config(cfg)
    if isinstance(runner, WorkerRunner):
        count = max(1, int(getattr(o, "expect_workers", 1) or 1))
        schedule = schedule.slice(runner.worker_index % count, count)
    t0 = getattr(o, "twin_start_at", 0.0) or (time.time() + getattr(o, "twin_start_delay", 1.0))
    if o is not None:
        o.twin_start_at = t0
    open311_users.PLAN = Plan(schedule, cfg, t0)
    open311_users.PLAN.cpu0 = time.process_time()


@events.test_stop.add_listener
def _stop(environment, **_kw) -> None:
    plan = open311_users.PLAN
    if plan is None:
        return
    data = plan.rec.to_dict()
    data["cpu_s"] = time.process_time() - getattr(plan, "cpu0", 0.0)     # this process's CPU during the test
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.send_message("twin_measure", data)
    else:
        MEASURED.append(data)
    open311_users.PLAN = None


@events.init.add_listener
def _init(environment, runner=None, **_kw) -> None:
    if isinstance(runner, MasterRunner):
        runner.register_message("twin_measure", lambda msg, **kw: MEASURED.append(msg.data))
    o = environment.parsed_options
    if o is None or isinstance(runner, WorkerRunner) or not hasattr(o, "twin_config"):
        return
    # prepared now, not when the test's clock runs; the master sends it to its workers as an option
    o.twin_config = json.dumps(config_of(environment))


def _stop_when_done(environment) -> None:
    """Headless without ``--run-time``: stop once the schedule's time and the answers' timeout
    are over (on a master, after the workers' measurements came in), then quit."""
    stop_when_measured(environment.runner, MEASURED)


@events.quitting.add_listener
def _quitting(environment, **_kw) -> None:
    o = environment.parsed_options
    if o is None or not getattr(o, "twin_report", "") or isinstance(environment.runner, WorkerRunner):
        return
    from services.loadgen.report import summarize, write_report

    s = summarize(MEASURED, config_of(environment), workers=int(getattr(o, "expect_workers", 0) or 0))
    write_report(s, o.twin_report)
