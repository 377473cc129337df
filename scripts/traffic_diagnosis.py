"""Why does the city jam? A queue-mode morning, measured hour by hour (issue 22).

Runs the baseline in ``traffic: queue`` mode (ledger off) and prints, per hour, the cars departing
and still on the road and the forced entries; then the network speed per hour, the car trip
lengths, and at the end the jam itself: edges at or over storage (by highway type), heads blocked
by spillback, cycles in the wait-for graph (blocked edge → the edge its head waits for: a cycle
is a true deadlock), the fullest edges with their lanes, capacity and storage, and the busiest.

    nice -n 10 .venv/bin/python scripts/traffic_diagnosis.py --scale 0.25 --hours 11 \\
        [--daily '{"work_start_sd_h": 0.75}'] [--traffic '{"lane_passing": false}']

Road data © OpenStreetMap contributors.
"""
from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import networkx as nx
import numpy as np

from scenarios import load_scenario
from twin.city import load_city
from twin.traffic import link_table
from twin_app.run import build_twin, load_timetable

CITY = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "osm" / "brasov_all_highways.osm.bz2"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", default=str(CITY))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--hours", type=int, default=10)
    ap.add_argument("--daily", default="{}", help="JSON overrides of the scenario's daily:")
    ap.add_argument("--traffic", default="{}", help="JSON overrides of the scenario's traffic:")
    args = ap.parse_args(argv)
    sc = load_scenario("baseline", city=args.city, scale=args.scale, hours=args.hours)
    sc.ledger = sc.ledger.model_copy(update={"enabled": False})
    sc.daily = sc.daily.model_copy(update=json.loads(args.daily))
    sc.traffic = sc.traffic.model_copy(update={"mode": "queue", **json.loads(args.traffic)})
    city = load_city(sc.city)
    twin = build_twin(sc, city, None, load_timetable(sc, city))
    tr = twin.component("traffic")
    net = tr.network
    departed: collections.Counter = collections.Counter()
    lengths = []
    enter = net.enter

    def counting_enter(vehicles, offsets, edges, vmax, t):
        departed[int(t // 3600)] += len(vehicles)
        off = np.asarray(offsets)
        if len(vehicles):
            lengths.append(np.add.reduceat(net.edge_len[np.asarray(edges)], off[:-1]))
        return enter(vehicles, offsets, edges, vmax, t)

    net.enter = counting_enter
    t0 = time.perf_counter()
    for h in range(args.hours):
        twin.run(1.0)
        print(f"{h:02d}:00-{h + 1:02d}:00 departed {departed[h]:6d}  on road at {h + 1:02d}:00 {net.on_road:6d}  "
              f"waiting to merge {int(net.wcount.sum()):5d}  forced so far {int(net.forced.sum()):6d}  "
              f"wall {time.perf_counter() - t0:.0f} s", flush=True)
    k = twin.kpis()
    print("journeys by mode", k["daily"]["journeys_by_mode"])
    total = sum(departed.values())
    peak_h, peak = max(departed.items(), key=lambda x: x[1]) if departed else (0, 0)
    print(f"car departures {total}, peak hour {peak_h:02d}:00 with {peak} ({peak / max(total, 1):.0%})")
    if lengths:
        L = np.concatenate(lengths) / 1000.0
        print(f"car trip km: mean {L.mean():.2f}, median {np.median(L):.2f}, p90 {np.percentile(L, 90):.2f}")
    for r in k["traffic"]["hourly"]:
        if r["vehicle_km"]:
            print(f"  hour {r['hour']:02d}: {r['vehicle_km']:9.1f} veh-km, {r['speed_kph']} km/h "
                  f"(free flow {r['free_flow_kph']})")
    lt = link_table(city, tr.params, tr.scale)
    types, eh = city.highway_types, city.arrays["edge_highway"]
    names, en = city.edge_names, city.arrays["edge_name"]
    occ, st = net.occ, net.storage
    full = np.nonzero(occ >= st)[0]
    print(f"edges at or over storage: {len(full)}, holding {int(occ[full].sum())} cars; by type:",
          collections.Counter(types[eh[e]] for e in full).most_common(8))
    blocked = np.nonzero(np.isfinite(net.blocked_since))[0]
    G = nx.DiGraph()
    for e in blocked:
        v = net.head[e]
        if v >= 0 and net.seq_pos[v] + 1 < net.seq_end[v]:
            G.add_edge(int(e), int(net._buf[net.seq_pos[v] + 1]))
    sccs = [s for s in nx.strongly_connected_components(G) if len(s) > 1]
    print(f"heads blocked by spillback: {len(blocked)}; wait-for cycles (deadlocks): {len(sccs)}, "
          f"{sum(int(occ[list(s)].sum()) for s in sccs)} cars in them")

    def row(e):
        return (f"  {names[en[e]] if en[e] >= 0 else '(unnamed)':32s} {types[eh[e]]:14s} lanes {lt['lanes'][e]:.1f} "
                f"cap {lt['cap_vph'][e]:6.0f}/h storage {st[e]:6.1f} on it {occ[e]:4d} len {net.edge_len[e]:5.0f} m")

    print("fullest edges:")
    for e in np.argsort(-occ, kind="stable")[:12]:
        print(row(e))
    print("busiest edges (cars that entered):")
    for e in np.argsort(-net.entries, kind="stable")[:8]:
        print(row(e), f"entries {net.entries[e]}")
    twin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
