"""How many CPU seconds a whole Brașov day costs, and where they go (issue 22 item 6).

Runs the baseline scenario on the Brașov extract (every process on, ``traffic: queue``, RATBV's
timetable) for ``--hours`` simulated hours at ``--scale`` and prints one JSON line: the run's CPU
seconds (user and system, :func:`resource.getrusage`), its wall seconds and the machine's load
average before and after — CPU seconds are the figure to compare on a shared machine, the load
stretches wall time and inflates CPU somewhat too. ``--phases`` also times the main phases,
each as the CPU spent inside a method (inclusive: an alighting starts the rider's next leg, so
the phases overlap and do not add up), at the price of two clock reads per call (a few percent
more CPU).

    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/day_speed.py --scale 0.25
    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/day_speed.py --scale 0.1 --phases

``twin run baseline --city …/brasov_all_highways.osm.bz2 --scale S --hours 24 --json`` under
``/usr/bin/time -v`` is the same run (the README's figures say which was used). A plain script,
not a pytest benchmark: a 1:1 day takes minutes of CPU and is run once.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import tempfile
import time

from benchmarks.conftest import SHARED

#: (label, module, class, method): the phases ``--phases`` times, inclusive
PHASES = (
    ("journey planner (Planner.search)", "twin.transit", "Planner", "search"),
    ("trip starts (Mobility.start_paths)", "twin.mobility", "Mobility", "start_paths"),
    ("arrivals with callbacks (Mobility._arrive)", "twin.mobility", "Mobility", "_arrive"),
    ("buses' stop events with riders (Buses._at_stop)", "agents.buses", "Buses", "_at_stop"),
    ("departures of the day plans (DailyLife._depart)", "agents.daily", "DailyLife", "_depart"),
    ("routes with paths (Router.routes)", "twin.routing", "Router", "routes"),
    ("route weights (Router.distances)", "twin.routing", "Router", "distances"),
    ("movement steps (Fleet.step)", "twin.movement", "Fleet", "step"),
    ("queue kernel (RoadNetwork.advance_to)", "twin.traffic", "RoadNetwork", "advance_to"),
    ("re-contraction per bin (Traffic._rebin)", "twin.traffic", "Traffic", "_rebin"),
    ("event log (EventLog.on_batch, append, close)", "twin.eventlog", "EventLog", ("on_batch", "append", "close")),
    ("sensors (Sensors._loop)", "sensors.component", "Sensors", "_loop"),
    ("ledger (LedgerComponent.flush)", "ledger.component", "LedgerComponent", "flush"),
)


def _timed(cpu: dict, label: str, fn):
    clock = time.process_time

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            cpu[label] += clock() - t0
    return wrapper


def _generator_timed(cpu: dict, label: str, fn):
    """A SimPy process: time each resumption of the generator, not the waits in between."""
    clock = time.process_time

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        value = None
        while True:
            t0 = clock()
            try:
                event = gen.send(value)
            except StopIteration:
                cpu[label] += clock() - t0
                return
            cpu[label] += clock() - t0
            value = yield event
    return wrapper


def instrument() -> dict:
    """Wrap the :data:`PHASES`' methods; returns the dict their CPU seconds accumulate in."""
    import importlib
    import inspect

    cpu: dict[str, float] = {}
    for label, module, cls, methods in PHASES:
        klass = getattr(importlib.import_module(module), cls)
        cpu[label] = 0.0
        for m in (methods,) if isinstance(methods, str) else methods:
            fn = getattr(klass, m)
            wrap = _generator_timed if inspect.isgeneratorfunction(fn) else _timed
            setattr(klass, m, wrap(cpu, label, fn))
    return cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of Brașov's 253,200 residents (default 1)")
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--phases", action="store_true", help="also time the main phases (inclusive CPU s)")
    ap.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    ap.add_argument("--city", default=str(SHARED / "osm" / "brasov_all_highways.osm.bz2"),
                    help="the city's OSM file (default: the shared Brașov extract)")
    args = ap.parse_args()
    cpu = instrument() if args.phases else None
    from scenarios import load_scenario
    from twin_app.run import run_scenario

    sc = load_scenario("baseline", city=args.city, scale=args.scale, hours=args.hours)
    sc = sc.model_copy(update={"seed": args.seed})
    load0 = os.getloadavg()
    r0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        summary = run_scenario(sc, out=args.out or tmp)
    r1, w1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    tr = summary["kpis"]["traffic"]
    out = {"scale": args.scale, "hours": args.hours, "seed": args.seed,
           "cpu_user_s": round(r1.ru_utime - r0.ru_utime, 1), "cpu_sys_s": round(r1.ru_stime - r0.ru_stime, 1),
           "wall_s": round(w1 - w0, 1), "load_before": [round(x, 1) for x in load0],
           "load_after": [round(x, 1) for x in os.getloadavg()], "events": summary["events"],
           "car_trips": tr.get("car_trips"), "mean_delay_s": tr.get("mean_delay_s"),
           "max_rss_mb": round(r1.ru_maxrss / 1024)}
    if cpu is not None:
        out["phases_cpu_s"] = {k: round(v, 1) for k, v in cpu.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
