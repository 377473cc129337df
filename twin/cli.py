"""The ``twin`` command.

``twin run [SCENARIO] --city SRC (--population N | --scale F) --hours H --seed S --out DIR [--json]``
runs a scenario; ``twin city info --city SRC [--json]`` describes a city; ``twin scenarios``
lists the library. Exit codes: 0 success, 2 bad input (the message names the field and value),
3 the Cython kernels are not built, 1 an internal error, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import sys

from twin.errors import TwinError


def _number(name: str, cast, minimum, strict: bool):
    """argparse type: a number of type ``cast`` that is > (strict) or >= ``minimum``."""
    words = {int: "a whole number", float: "a number"}[cast]

    def parse(text):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {words}, got {text!r}") from None
        if v < minimum or (strict and v == minimum):
            raise argparse.ArgumentTypeError(f"{name} must be {'>' if strict else '>='} {minimum}, got {text}")
        return v
    return parse


def _positive_float(name):
    return _number(name, float, 0, strict=True)


def _nonneg_int(name):
    return _number(name, int, 0, strict=False)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="twin", description="SmartCity Twin: a digital twin of a Romanian city's services.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser("run", help="run a scenario and write a run directory")
    r.add_argument("scenario", nargs="?", default="baseline", help="library name or YAML file (default: baseline)")
    r.add_argument("--city", help="'demo', an .osm/.osm.bz2/.osm.pbf/.graphml file, or a place name")
    size = r.add_mutually_exclusive_group()
    size.add_argument("--population", type=_nonneg_int("--population"), help="number of citizens")
    size.add_argument("--scale", type=_positive_float("--scale"), help="fraction of the city's population (1.0 = all)")
    r.add_argument("--hours", type=_positive_float("--hours"), help="simulated hours")
    r.add_argument("--seed", type=_nonneg_int("--seed"), help="random seed")
    r.add_argument("--out", help="run directory (default: runs/<scenario>-<city>-s<seed>-<time>)")
    r.add_argument("--json", action="store_true", help="print a one-line JSON summary last")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")

    c = sub.add_parser("city", help="city commands")
    csub = c.add_subparsers(dest="city_command", metavar="SUBCOMMAND")
    csub.required = True
    ci = csub.add_parser("info", help="describe a city: nodes, edges, bbox, POIs, load time")
    ci.add_argument("--city", default="demo", help="'demo', a file, or a place name")
    ci.add_argument("--network", default="all", choices=["all", "drive", "walk"])
    ci.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("scenarios", help="list the scenario library")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "city":
            return _city_info(args)
        if args.command == "scenarios":
            from scenarios import library_names, load_scenario

            for n in library_names():
                print(f"{n:24s} {load_scenario(n).description.strip().splitlines()[0] if load_scenario(n).description else ''}")
            return 0
    except TwinError as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return 130
    return 2


def _run(args) -> int:
    from scenarios import load_scenario
    from twin.run import run_scenario

    scenario = load_scenario(args.scenario, city=args.city, population=args.population, scale=args.scale,
                             hours=args.hours, seed=args.seed)
    summary = run_scenario(scenario, out=args.out, progress=not args.no_progress and not args.json)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":"), default=str))
    else:
        _print_summary(summary)
    return 0


def _print_summary(s: dict) -> None:
    k = s["kpis"]
    m = k.get("mobility", {})
    print(f"SmartCity Twin — scenario {s['scenario']!r} on {s['city']} (seed {s['seed']})")
    print(f"  citizens {s['agents']:,}   simulated {s['sim_hours']:g} h in {s['wall_s']:.1f} s   events {s['events']:,}")
    print(f"  trips: {m.get('trips_started', 0):,} started, {m.get('trips_completed', 0):,} completed, "
          f"{m.get('trips_unreachable', 0):,} unreachable, {m.get('in_transit', 0):,} still travelling")
    for mode in ("car", "walk", "bus"):
        d = m.get(mode) or {}
        if d.get("trips"):
            print(f"  {mode:5s} {d['trips']:>8,} trips  {d['km']:>10,.1f} km   trip time mean {d['mean_min']:.1f} min, "
                  f"p50 {d['p50_min']:.1f}, p95 {d['p95_min']:.1f}")
    if m.get("busiest_edges"):
        top = ", ".join(f"{b['street'] or 'unnamed'} ({b['entries']:,})" for b in m["busiest_edges"][:3])
        print(f"  busiest streets: {top}")
    j = k.get("journeys") or {}
    if j.get("boardings"):
        print(f"  buses: {j['boardings']:,} boardings, wait mean {j['wait_mean_min']:.1f} min, "
              f"p95 {j['wait_p95_min']:.1f}")
    d = k.get("demand") or {}
    if d:
        cats = ", ".join(f"{c} {n}" for c, n in sorted(d["reports_by_category"].items(), key=lambda x: -x[1])[:5])
        print(f"  reports: {d['reports_filed']:,} filed ({cats}); chatbot questions {d['chat_questions']:,}; "
              f"permit applications {sum(d['permit_applications'].values()):,}")
    t = k.get("taxes") or {}
    if t:
        print(f"  tax payments: {t['payments']:,} ({t['amount_ron']:,.2f} RON)")
    i = k.get("incidents") or {}
    if i:
        made = ", ".join(f"{kind} {n}" for kind, n in i["created"].items() if n)
        print(f"  incidents: {i['total']:,} ({made or 'none'})")
    r = (k.get("responders") or {}).get("response_time") or {}
    if r:
        print("  response time p50/p90 (min): " + ", ".join(f"{kind} {v['p50_min']:.1f}/{v['p90_min']:.1f}"
                                                          for kind, v in r.items()))
    print(f"  run directory: {s['run_dir']}")
    print(f"  {k.get('attribution', '')}")


def _city_info(args) -> int:
    from twin.city import load_city

    city = load_city(args.city, network=args.network)
    info = city.info()
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    print(f"{info['name']}  ({'SYNTHETIC' if info['synthetic'] else info['source']})")
    print(f"  nodes {info['nodes']:,}   edges {info['edges']:,} (drive {info['drive_edges']:,}, walk {info['walk_edges']:,})")
    print(f"  streets {info['streets']:,}   population {info['population'] or 'unknown'}   crs {info['crs']}")
    print(f"  bbox (W,S,E,N) {info['bbox']}")
    print(f"  districts ({len(info['districts'])}): {', '.join(info['districts'][:12])}{' …' if len(info['districts']) > 12 else ''}")
    print(f"  POIs: {', '.join(f'{k} {v}' for k, v in info['poi_counts'].items()) or 'none'}")
    print(f"  content hash {info['content_hash']}   loaded in {info['load_s']:.3f} s")
    print(f"  {info['attribution']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
