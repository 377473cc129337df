"""What planning with transfers and buses as vehicles cost a whole Brașov day.

Runs the baseline scenario on the Brașov extract with RATBV's timetable for 24 simulated hours
and prints, every simulated hour and at the end, the run's wall and CPU seconds and the CPU
seconds spent inside the journey planner (``journeys.cost``) and inside the buses' events,
riders' boardings and alightings included (``buses.cost_cpu_s``). CPU seconds are the figures
to compare on a shared machine: the load stretches wall time, not them. The last line is JSON
with the ``journeys.transit`` KPIs.

    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/transit_day.py --scale 1.0

The JSON's ``transit.alternatives`` says which alternatives each journey was offered and what it
took, ``transit.no_car_because`` why the car was not among them, ``transit.left_behind`` what
riders left behind by full buses did; ``--licence-share``, ``--walk-max``, ``--replan-after``,
``--bus-constant`` and ``--no-crowding`` change one setting for a sensitivity run.

A plain script (not a pytest benchmark): one 1:1 day takes minutes of CPU and is run once.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from benchmarks.conftest import SHARED


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of Brașov's 253,200 residents (default 1)")
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--bus-constant", type=float, default=None,
                    help="daily.choice.bus_constant_min (the mode choice's calibration knob; default: the scenario's)")
    ap.add_argument("--no-crowding", action="store_true", help="daily.choice.crowding false (the older utility)")
    ap.add_argument("--replan-after", type=int, default=None,
                    help="transit.vehicles.replan_after_denials (0: riders left behind wait for their line; "
                         "default: the scenario's)")
    ap.add_argument("--licence-share", type=float, default=None,
                    help="daily.licence_share (1: every adult but pupils may drive; default: the scenario's)")
    ap.add_argument("--walk-max", type=float, default=None,
                    help="daily.walk_max_m, the longest walk by choice (default: the scenario's)")
    args = ap.parse_args()
    from scenarios import load_scenario
    from twin.city import load_city
    from twin_app.run import build_twin

    src = str(SHARED / "osm" / "brasov_all_highways.osm.bz2")
    city = load_city(src)
    sc = load_scenario("baseline", city=src, scale=args.scale, hours=args.hours)
    choice = {}
    if args.bus_constant is not None:
        choice["bus_constant_min"] = args.bus_constant
    if args.no_crowding:
        choice["crowding"] = False
    daily = {k: v for k, v in (("licence_share", args.licence_share), ("walk_max_m", args.walk_max)) if v is not None}
    if choice:
        daily["choice"] = sc.daily.choice.model_copy(update=choice)
    if daily:
        sc = sc.model_copy(update={"daily": sc.daily.model_copy(update=daily)})
    if args.replan_after is not None:
        veh = sc.transit.vehicles.model_copy(update={"replan_after_denials": args.replan_after})
        sc = sc.model_copy(update={"transit": sc.transit.model_copy(update={"vehicles": veh})})
    t0, c0 = time.perf_counter(), time.process_time()
    twin = build_twin(sc, city)
    build = time.perf_counter() - t0
    j = twin.component("journeys")

    def progress(h):
        print(f"h={h:.0f} wall={time.perf_counter() - t0:.0f}s cpu={time.process_time() - c0:.0f}s "
              f"plans={j.cost['plans']} plan_cpu_s={j.cost['plan_cpu_s']:.1f} "
              f"buses_cpu_s={j.buses.cost_cpu_s:.1f} load={os.getloadavg()[0]:.1f}", flush=True)

    twin.run(args.hours, progress=progress)
    out = {"build_s": round(build, 1), "wall_s": round(time.perf_counter() - t0, 1),
           "cpu_s": round(time.process_time() - c0, 1), "plans": j.cost["plans"],
           "plan_cpu_s": round(j.cost["plan_cpu_s"], 1), "buses_cpu_s": round(j.buses.cost_cpu_s, 1),
           "choice": sc.daily.choice.model_dump(), "walk_max_m": sc.daily.walk_max_m,
           "licence_share": sc.daily.licence_share, "car_use": sc.daily.car_use,
           "daily": twin.component("daily").kpis(), "transit": j.kpis()["transit"]}
    print(json.dumps(out, default=str))
    twin.close()


if __name__ == "__main__":
    main()
