"""The twin's queue model against SUMO's mesoscopic model on the same car demand (issue 22, item 5).

What it does, step by step:

1. **Demand.** Run a scenario in ``traffic: queue`` mode and record every car trip the road saw
   (``RoadNetwork.trip_log``): departure time and the edge path the twin's router chose (citizens'
   cars and the city's crews alike).
2. **The twin on it.** Replay exactly those trips through a fresh :class:`twin.traffic.RoadNetwork`
   stepped every ``tick_s`` — the twin's traffic model alone, timed.
3. **The same network for SUMO.** The twin's drivable graph, parsed from the OSM extract, is
   written as SUMO plain XML (one SUMO edge per twin edge: same from/to node, length, speed and
   lanes) and converted with ``netconvert``. Converting the ``.osm`` file with netconvert's own
   OSM importer would give a different edge set (SUMO splits and joins ways and junctions its own
   way), and the twin's paths could not be replayed edge for edge; through plain XML the paths
   carry over one to one, so what differs is the traffic model, not the map. netconvert guesses
   which lanes lead where (a right turn from the rightmost lane only); ``--all-lanes`` writes a
   connection file instead in which every lane leads to every next edge, as in the twin, whose
   edges have no turn lanes (see :func:`write_sumo`).
4. **The same capacities.** Each twin edge's flow capacity becomes a SUMO meso edge type with the
   headways ``tauff = taufj = taujf = taujj = 3600 / (capacity per lane) − (length + minGap) / speed``
   s: meso's gross headway is tau plus the car's own passing time (``MESegment::tauWithVehLength``),
   so a 600 veh/h lane at 50 km/h gets tau 5.46 s and lets one 7.5 m car out every 6 s, as in the
   twin (:func:`meso_tau`; without the correction SUMO's lanes carried 8-15 % less than the twin's).
   A car takes 7.5 m of a queue (``length + minGap``), the twin's ``vehicle_length_m``. A run of a
   share ``s`` of the population scales both, as the twin does (capacity × s, vehicle length / s).
   Junction control is off (SUMO meso's default), as the twin has none.
5. **The same trips.** Every recorded trip becomes a SUMO vehicle with its departure time and the
   twin's path as its route (``departPos`` at the start of the first edge, arrival at the end of
   the last, as in the twin); speed factor 1 and no deviation. SUMO runs with ``--mesosim`` and
   ``--time-to-teleport`` = the twin's ``stuck_s``.
6. **Compare** on the trips that finished in both: mean and p90 trip duration (SUMO's
   ``duration + departDelay``, since the twin counts a car's wait to enter the road as part of its
   trip), total vehicle-hours, the network speed per hour (vehicle-km / vehicle-hours), and the
   day's flows on the 100 busiest edges (Pearson correlation); both wall and CPU times, side by side
   (CPU seconds are what to compare on a loaded machine); and where each loses its hours
   (:func:`where_lost`). ``--stuck force,teleport`` replays the same trips under both stuck rules.

Run (SUMO from PyPI: ``pip install -e '.[dev]'`` installs ``eclipse-sumo``)::

    nice -n 10 .venv/bin/python -m benchmarks.sumo_compare \\
        --city ../shared/data/osm/brasov_all_highways.osm.bz2 --scale 0.25 --hours 24 --out /tmp/sumo-bv \\
        --trips /tmp/bv025.npz --stuck force,teleport [--all-lanes] [--traffic '{"stuck": "force"}']

``tests/test_sumo_compare.py`` (marked ``sumo`` and ``slow``) runs it on a small demand.
Road data © OpenStreetMap contributors.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

#: the twin's edges by id in SUMO
EDGE_ID = "e{}".format
NODE_ID = "n{}".format


@dataclass
class Trips:
    """Recorded car trips: departure time (s), path (twin edge ids), and the twin's arrival
    time in the run it came from (NaN if it had not arrived by the end)."""

    depart: np.ndarray
    offsets: np.ndarray
    edges: np.ndarray
    arrive_run: np.ndarray

    def __len__(self) -> int:
        return len(self.depart)

    def path(self, i: int) -> np.ndarray:
        return self.edges[self.offsets[i]:self.offsets[i + 1]]


def sumo_binary(name: str) -> str:
    """Path of a SUMO tool (``sumo``, ``netconvert``) installed by the ``eclipse-sumo`` wheel."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError(f"{name} not found: install the dev extras (pip install -e '.[dev]', eclipse-sumo)")
    return found


# ---- 1. demand --------------------------------------------------------------------------------------

def record_demand(scenario, city=None) -> tuple[Trips, dict, float]:
    """Run ``scenario`` (forced to ``traffic: queue``) and record its car trips.

    Returns the trips, the run's ``kpis.traffic`` and the run's wall time in seconds.
    """
    from twin.city import load_city
    from twin_app.run import build_twin, load_timetable

    scenario = scenario.model_copy(deep=True)
    if scenario.traffic.mode != "queue":
        scenario.traffic = scenario.traffic.model_copy(update={"mode": "queue"})
    city = city or load_city(scenario.city)
    twin = build_twin(scenario, city, None, load_timetable(scenario, city))
    try:
        net = twin.component("traffic").network
        net.trip_log = []
        t0 = time.perf_counter()
        twin.run(scenario.hours)
        wall = time.perf_counter() - t0
        kpis = twin.component("traffic").kpis()
        log = net.trip_log
    finally:
        twin.close()
    return trips_from_log(log), kpis, wall


def save_trips(trips: Trips, path) -> None:
    """Write recorded trips to ``path`` (``.npz``), so that replays can reuse one recorded day."""
    np.savez_compressed(path, depart=trips.depart, offsets=trips.offsets, edges=trips.edges,
                        arrive_run=trips.arrive_run)


def load_trips(path) -> Trips:
    """Trips written by :func:`save_trips`."""
    with np.load(path) as z:
        return Trips(z["depart"], z["offsets"], z["edges"], z["arrive_run"])


def trips_from_log(log) -> Trips:
    """Pair each vehicle's entries and arrivals, in the order they happened, into trips."""
    depart, paths, arrive = [], [], []
    open_trip: dict[int, int] = {}
    for item in log:
        if item[0] == "enter":
            _, t, vehicles, offsets, edges = item
            for k, v in enumerate(vehicles.tolist()):
                open_trip[v] = len(depart)
                depart.append(t)
                paths.append(edges[offsets[k]:offsets[k + 1]])
                arrive.append(np.nan)
        else:
            _, vehicles, times = item
            for v, at in zip(vehicles.tolist(), times.tolist()):
                arrive[open_trip.pop(v)] = at
    order = np.argsort(np.asarray(depart), kind="stable")
    paths = [paths[i] for i in order]
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in paths])]).astype(np.int64)
    edges = np.concatenate(paths).astype(np.int32) if paths else np.zeros(0, np.int32)
    return Trips(np.asarray(depart, float)[order], offsets, edges, np.asarray(arrive, float)[order])


# ---- 2. the twin on the trips ------------------------------------------------------------------------

def replay(city, trips: Trips, params, scale: float, tick_s: float = 5.0, end_s: float | None = None) -> dict:
    """Run ``trips`` through a fresh :class:`twin.traffic.RoadNetwork`; per-trip arrival times,
    per-edge entries and hourly network figures, and the wall time."""
    from twin.traffic import RoadNetwork

    end_s = end_s if end_s is not None else (float(trips.depart.max()) + 6 * 3600.0 if len(trips) else 0.0)
    net = RoadNetwork(city, params, scale)
    base = net.register(len(trips))
    arrive = np.full(len(trips), np.nan)
    hourly, last = [], (np.zeros(city.n_edges, np.int64), np.zeros(city.n_edges))
    starts = np.searchsorted(trips.depart, np.arange(0.0, end_s + tick_s, tick_s), side="left")
    all_ids = np.arange(len(trips), dtype=np.int32)
    t0, c0 = time.perf_counter(), time.process_time()
    t, k = 0.0, 0
    while t < end_s - 1e-9:
        hi = starts[min(k + 1, len(starts) - 1)]
        lo = starts[k]
        if hi > lo:                     # departures in (t, t + tick]: enter at their tick's start
            off = trips.offsets[lo:hi + 1] - trips.offsets[lo]
            net.enter(all_ids[lo:hi], off, trips.edges[trips.offsets[lo]:trips.offsets[hi]], 1.0e6, t)
        t += tick_s
        k += 1
        net.advance_to(t)
        if abs(t % 3600.0) < 1e-9 or t >= end_s - 1e-9:     # arrivals keep their times: collect hourly
            v, at = net.take_arrivals(base)
            arrive[v] = at
        if abs(t % 3600.0) < 1e-9:
            cur = (net.exits.copy(), net.time_on.copy())
            km = float(((cur[0] - last[0]) * net.edge_len).sum()) / 1000.0
            h = float((cur[1] - last[1]).sum()) / 3600.0
            hourly.append(km / h if h > 0 else None)
            last = cur
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"arrive": arrive, "entries": net.entries.copy(), "hourly_kph": hourly, "wall_s": wall, "cpu_s": cpu,
            "forced": int(net.forced.sum()), "depart_used": np.floor(trips.depart / tick_s) * tick_s,
            "lost_s": net.time_on - net.free_time}


# ---- 3-5. SUMO -----------------------------------------------------------------------------------------

def write_sumo(city, trips: Trips, folder: Path, params, scale: float, all_lanes: bool = False) -> dict:
    """Write the network (plain XML → ``net.net.xml`` via netconvert), the meso edge types and
    the routes into ``folder``; returns the file names.

    ``all_lanes``: every lane of an edge leads to every next edge the trips take (a connection
    file), as in the twin, whose edges have no turn lanes; otherwise netconvert guesses the
    connections from the geometry (a right turn from the rightmost lane only, ...), and in meso a
    multi-lane edge with several next edges keeps one queue per lane, so a turn gets only its
    lanes' share of the edge's capacity."""
    from twin import osm
    from twin.traffic import link_table

    folder.mkdir(parents=True, exist_ok=True)
    a = city.arrays
    used = np.unique(trips.edges)
    drive = np.nonzero((a["edge_modes"] & osm.DRIVE) > 0)[0]
    edges = np.union1d(drive, used)
    links = link_table(city, params, 1.0)
    lanes = np.maximum(1, np.round(links["lanes"])).astype(int)
    per_lane = np.round(links["cap_vph"] / lanes * scale, 1)
    speed = a["edge_speed_kph"] / 3.6
    length = a["edge_length_mm"] / 1000.0
    nodes = np.unique(np.concatenate([a["edge_u"][edges], a["edge_v"][edges]]))
    with open(folder / "plain.nod.xml", "w") as f:
        f.write("<nodes>\n")
        for n in nodes.tolist():
            f.write(f'  <node id="{NODE_ID(n)}" x="{a["node_x"][n]:.2f}" y="{a["node_y"][n]:.2f}"/>\n')
        f.write("</nodes>\n")
    veh_len = params.vehicle_length_m / scale
    speed = np.round(speed, 3)
    # SUMO meso's time headway per lane is tau + (length + minGap) / speed (MESegment::tauWithVehLength,
    # checked on a one-edge bottleneck: tau 6 s lets a 7.5 m car out every 6.54 s at 13.9 m/s), so tau
    # is the capacity's headway less the car's own passing time: one meso type per (capacity, speed)
    kind = {(float(per_lane[e]), float(speed[e])) for e in edges.tolist()}
    type_id = {k: f"c{k[0]:g}_v{k[1]:g}" for k in kind}
    with open(folder / "plain.edg.xml", "w") as f:
        f.write("<edges>\n")
        for e in edges.tolist():
            f.write(f'  <edge id="{EDGE_ID(e)}" from="{NODE_ID(a["edge_u"][e])}" to="{NODE_ID(a["edge_v"][e])}" '
                    f'numLanes="{lanes[e]}" speed="{speed[e]:.3f}" length="{max(length[e], 0.1):.2f}" '
                    f'type="{type_id[(float(per_lane[e]), float(speed[e]))]}"/>\n')
        f.write("</edges>\n")
    with open(folder / "plain.typ.xml", "w") as f:      # netconvert needs the types to exist
        f.write("<types>\n")
        for k in sorted(kind):
            f.write(f'  <type id="{type_id[k]}" priority="1" numLanes="1" speed="13.9"/>\n')
        f.write("</types>\n")
    with open(folder / "meso.add.xml", "w") as f:
        f.write("<additional>\n")
        for c, v in sorted(kind):
            tau = meso_tau(c, v, veh_len)
            f.write(f'  <type id="{type_id[(c, v)]}"><meso tauff="{tau:.3f}" taufj="{tau:.3f}" taujf="{tau:.3f}" '
                    f'taujj="{tau:.3f}"/></type>\n')
        f.write('  <edgeData id="hourly" period="3600" file="edgedata.xml" excludeEmpty="true"/>\n')
        f.write("</additional>\n")
    with open(folder / "routes.rou.xml", "w") as f:
        f.write(f'<routes>\n  <vType id="car" length="{veh_len - 2.5:.2f}" minGap="2.5" maxSpeed="70" '
                f'speedFactor="1" speedDev="0"/>\n')
        for i in range(len(trips)):
            route = " ".join(EDGE_ID(e) for e in trips.path(i).tolist())
            f.write(f'  <vehicle id="{i}" type="car" depart="{trips.depart[i]:.2f}" departPos="base">'
                    f'<route edges={quoteattr(route)}/></vehicle>\n')
        f.write("</routes>\n")
    extra = []
    if all_lanes:
        first = np.zeros(len(trips.edges), bool)
        first[trips.offsets[:-1]] = True
        a_, b_ = trips.edges[:-1][~first[1:]], trips.edges[1:][~first[1:]]
        pairs = np.unique(np.column_stack([a_, b_]), axis=0) if len(a_) else np.zeros((0, 2), int)
        with open(folder / "plain.con.xml", "w") as f:
            f.write("<connections>\n")
            for x, y in pairs.tolist():
                for i in range(lanes[x]):
                    f.write(f'  <connection from="{EDGE_ID(x)}" to="{EDGE_ID(y)}" fromLane="{i}" '
                            f'toLane="{min(i, lanes[y] - 1)}"/>\n')
            f.write("</connections>\n")
        extra = ["-x", "plain.con.xml"]
    subprocess.run([sumo_binary("netconvert"), "-n", "plain.nod.xml", "-e", "plain.edg.xml", "-t", "plain.typ.xml",
                    *extra, "-o", "net.net.xml", "--no-internal-links", "--no-warnings", "--junctions.join", "false",
                    "--geometry.remove", "false", "--offset.disable-normalization"],
                   cwd=folder, check=True, capture_output=True, text=True)
    return {"net": "net.net.xml", "routes": "routes.rou.xml", "additional": "meso.add.xml"}


def meso_tau(cap_per_lane_vph: float, speed_mps: float, length_with_gap_m: float) -> float:
    """SUMO meso's net time headway ``tau`` (s) for a lane that lets ``cap_per_lane_vph`` cars of
    ``length_with_gap_m`` through at ``speed_mps``: meso adds the car's own passing time
    (length with gap / speed) to tau, so tau = 3600 / capacity − that (not below 0)."""
    return max(0.0, 3600.0 / cap_per_lane_vph - length_with_gap_m / max(speed_mps, 0.05))


def _children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished children (SUMO's, once it has run)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_sumo(folder: Path, params, end_s: float, reuse: bool = False) -> dict:
    """Run SUMO meso in ``folder``; per-vehicle arrivals, per-edge flows, hourly speeds, wall time.

    ``reuse``: read the outputs of an earlier run in ``folder`` (and its times, ``sumo_run.json``)
    instead of running SUMO again."""
    cmd = [sumo_binary("sumo"), "--mesosim", "-n", "net.net.xml", "-r", "routes.rou.xml", "-a", "meso.add.xml",
           "--tripinfo-output", "tripinfo.xml", "--time-to-teleport", f"{params.stuck_s:g}",
           "--ignore-route-errors", "--no-step-log", "--no-warnings", "--end", f"{end_s:g}",
           "--duration-log.statistics"]
    saved = folder / "sumo_run.json"
    if reuse and saved.exists() and (folder / "tripinfo.xml").exists():
        run = json.loads(saved.read_text())
    else:
        t0, c0 = time.perf_counter(), _children_cpu_s()
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu_s() - c0
        if done.returncode != 0:
            raise RuntimeError(f"sumo failed: {done.stderr.strip()[-500:]}")
        run = {"wall_s": wall, "cpu_s": cpu, "out": done.stdout + done.stderr}
        saved.write_text(json.dumps(run))
    wall, cpu, out_text = run["wall_s"], run["cpu_s"], run["out"]
    arrive, delay = {}, {}
    for _, el in ET.iterparse(folder / "tripinfo.xml"):
        if el.tag == "tripinfo":
            i = int(el.get("id"))
            # a car whose last teleport jumped past the end of its route has arrival -1 (65 of
            # the 0.25 Brasov day's): its trip ends at its (real) depart time + duration
            arrive[i] = float(el.get("depart")) + float(el.get("duration"))
            delay[i] = float(el.get("departDelay"))
            el.clear()
    flows: dict[int, int] = {}
    lost: dict[int, float] = {}
    hourly: dict[int, list[float]] = {}
    for _, el in ET.iterparse(folder / "edgedata.xml"):
        if el.tag == "interval":
            h = int(round(float(el.get("begin")) / 3600.0))
            km = hs = 0.0
            for ed in el.findall("edge"):
                e = int(ed.get("id")[1:])
                flows[e] = flows.get(e, 0) + int(float(ed.get("entered", 0))) + int(float(ed.get("departed", 0)))
                lost[e] = lost.get(e, 0.0) + float(ed.get("sampledSeconds", 0.0))     # less free flow below
                s = float(ed.get("sampledSeconds", 0.0))
                km += float(ed.get("speed", 0.0)) * s / 1000.0
                hs += s / 3600.0
            hourly[h] = [km, hs]
            el.clear()
    teleports = None
    for line in out_text.splitlines():
        if "Teleports:" in line:
            teleports = line.strip()
    return {"arrive": arrive, "depart_delay": delay, "flows": flows, "lost_s": lost, "wall_s": wall, "cpu_s": cpu,
            "hourly_kph": {h: (km / hs if hs > 0 else None) for h, (km, hs) in hourly.items()},
            "teleports": teleports, "stdout_tail": out_text.strip().splitlines()[-25:]}


# ---- 6. compare -----------------------------------------------------------------------------------------

def compare(trips: Trips, twin: dict, sumo: dict, top: int = 100) -> dict:
    """The comparison figures (see the module docstring)."""
    n = len(trips)
    ids = np.arange(n)
    s_arr = np.full(n, np.nan)
    for i, at in sumo["arrive"].items():
        s_arr[i] = at
    both = ~np.isnan(twin["arrive"]) & ~np.isnan(s_arr)
    t_dur = twin["arrive"][both] - twin["depart_used"][both]
    s_dur = s_arr[both] - trips.depart[both]           # = duration + departDelay

    def stats(d):
        return {"mean_s": round(float(d.mean()), 1), "p90_s": round(float(np.percentile(d, 90)), 1),
                "vehicle_hours": round(float(d.sum()) / 3600.0, 1)}

    tw, su = stats(t_dur), stats(s_dur)
    flows_t = twin["entries"].astype(float)
    busiest = np.argsort(-flows_t, kind="stable")[:top]
    flows_s = np.array([sumo["flows"].get(int(e), 0) for e in busiest], float)
    varied = len(busiest) > 1 and flows_t[busiest].std() > 0 and flows_s.std() > 0
    corr = float(np.corrcoef(flows_t[busiest], flows_s)[0, 1]) if varied else None
    hours = sorted(set(range(len(twin["hourly_kph"]))) | set(sumo["hourly_kph"]))
    hourly = [{"hour": h,
               "twin_kph": None if h >= len(twin["hourly_kph"]) or twin["hourly_kph"][h] is None
               else round(twin["hourly_kph"][h], 1),
               "sumo_kph": None if sumo["hourly_kph"].get(h) is None else round(sumo["hourly_kph"][h], 1)}
              for h in hours]
    hourly = [r for r in hourly if r["twin_kph"] is not None or r["sumo_kph"] is not None]
    rel = {k: round(tw[k] / su[k] - 1.0, 3) if su[k] else None for k in tw}
    return {"trips": n, "finished_both": int(both.sum()),
            "finished_twin": int((~np.isnan(twin["arrive"])).sum()), "finished_sumo": len(sumo["arrive"]),
            "twin": tw, "sumo": su, "twin_vs_sumo": rel,
            "busiest_edges": int(len(busiest)), "flow_correlation": None if corr is None else round(corr, 3),
            "hourly_speed": hourly, "forced_twin": twin["forced"], "sumo_teleports": sumo["teleports"],
            "wall_s": {"twin_replay": round(twin["wall_s"], 2), "sumo_meso": round(sumo["wall_s"], 2),
                       "speedup": round(sumo["wall_s"] / max(twin["wall_s"], 1e-9), 1)},
            # CPU seconds: what to compare on a shared, loaded machine (wall time stretches with the load)
            "cpu_s": {"twin_replay": round(twin["cpu_s"], 2), "sumo_meso": round(sumo["cpu_s"], 2),
                      "speedup": round(sumo["cpu_s"] / max(twin["cpu_s"], 1e-9), 1)}}


def where_lost(city, trips: Trips, twin: dict, sumo: dict, top: int = 10) -> dict:
    """Where each model loses its time: vehicle-hours lost beyond free flow on the road (per edge,
    by highway type, and on the edges that lose most in either) and, for SUMO, waiting to be
    inserted (``departDelay``; the twin counts its cars' wait to merge as time on their first edge)."""
    t_lost = np.asarray(twin["lost_s"], float)
    s_lost = np.zeros_like(t_lost)
    free_s = city.arrays["edge_time_ms"] / 1000.0
    for e, x in sumo["lost_s"].items():          # seconds on the edge less the free-flow time of those who entered
        s_lost[e] = x - sumo["flows"].get(e, 0) * free_s[e]
    first = np.zeros(len(t_lost), bool)
    first[trips.edges[trips.offsets[:-1]]] = True
    types, eh = city.highway_types, city.arrays["edge_highway"]
    names, en = city.edge_names, city.arrays["edge_name"]
    by_type = {}
    for k in np.unique(eh[np.nonzero((t_lost > 0) | (s_lost > 0))[0]]).tolist():
        sel = eh == k
        by_type[types[k]] = [round(float(t_lost[sel].sum()) / 3600.0, 1), round(float(s_lost[sel].sum()) / 3600.0, 1)]

    def rows(order):
        return [{"edge": int(e), "street": names[en[e]] if en[e] >= 0 else None, "type": types[eh[e]],
                 "twin_h": round(float(t_lost[e]) / 3600.0, 1), "sumo_h": round(float(s_lost[e]) / 3600.0, 1)}
                for e in order[:top]]

    return {"twin_road_h": round(float(t_lost.sum()) / 3600.0, 1), "sumo_road_h": round(float(s_lost.sum()) / 3600.0, 1),
            "sumo_depart_delay_h": round(sum(sumo["depart_delay"].values()) / 3600.0, 1),
            "first_edges_h": [round(float(t_lost[first].sum()) / 3600.0, 1), round(float(s_lost[first].sum()) / 3600.0, 1)],
            "by_type_h": dict(sorted(by_type.items(), key=lambda kv: -kv[1][0])),
            "twin_worst": rows(np.argsort(-t_lost, kind="stable")),
            "sumo_worst": rows(np.argsort(-s_lost, kind="stable"))}


def main(argv=None) -> int:
    from scenarios import load_scenario
    from twin.city import load_city

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--city", default="demo")
    ap.add_argument("--scale", type=float, default=None)
    ap.add_argument("--population", type=int, default=None)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default="/tmp/twin-sumo")
    ap.add_argument("--trips", default=None,
                    help="an .npz of recorded trips: read it if it exists (no recording run), else write it")
    ap.add_argument("--stuck", default=None,
                    help="the twin's stuck rule(s) to replay, comma-separated (force,teleport); default: the scenario's")
    ap.add_argument("--reuse-sumo", action="store_true",
                    help="read SUMO's outputs (and its times) from an earlier run in --out instead of running it again")
    ap.add_argument("--traffic", default="{}",
                    help="JSON overrides of the recording run's traffic: (e.g. '{\"stuck\": \"force\"}')")
    ap.add_argument("--all-lanes", action="store_true",
                    help="every lane leads to every next edge in SUMO (no turn lanes, as in the twin)")
    args = ap.parse_args(argv)
    sc = load_scenario(args.scenario, city=args.city, scale=args.scale, population=args.population,
                       hours=args.hours, seed=args.seed)
    sc.ledger = sc.ledger.model_copy(update={"enabled": False})
    try:
        over = json.loads(args.traffic)
        sc.traffic = sc.traffic.model_validate({**sc.traffic.model_dump(), **over})
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"--traffic {args.traffic!r}: {exc}") from None
    city = load_city(sc.city)
    from twin_app.run import population_of

    scale = population_of(sc, city) / city.population if city.population else 1.0
    params = sc.traffic.model_copy(update={"mode": "queue"})
    t0 = time.perf_counter()
    run_kpis = None
    if args.trips and Path(args.trips).exists():
        trips, run_wall = load_trips(args.trips), 0.0
        print(f"read {len(trips)} car trips from {args.trips}", file=sys.stderr)
    else:
        trips, kpis, run_wall = record_demand(sc, city)
        print(f"recorded {len(trips)} car trips in a {run_wall:.1f} s run", file=sys.stderr)
        run_kpis = {k: kpis.get(k) for k in ("car_trips", "mean_delay_s", "share_time_lost", "forced_entries",
                                             "peak_hour")}
        run_kpis["speed_kph_by_hour"] = {r["hour"]: r["speed_kph"] for r in kpis.get("hourly", []) if r["speed_kph"]}
        if args.trips:
            save_trips(trips, args.trips)
    end_s = args.hours * 3600.0 + 6 * 3600.0
    rules = [r.strip() for r in args.stuck.split(",") if r.strip()] if args.stuck else [params.stuck]
    for r in rules:
        if r not in ("force", "teleport"):
            raise SystemExit(f"--stuck: {r!r} is not 'force' or 'teleport'")
    twins = {r: replay(city, trips, params.model_copy(update={"stuck": r}), scale, sc.tick_s, end_s) for r in rules}
    folder = Path(args.out)
    if not args.reuse_sumo or not (folder / "net.net.xml").exists():
        write_sumo(city, trips, folder, params, scale, all_lanes=args.all_lanes)
    sumo = run_sumo(folder, params, end_s, reuse=args.reuse_sumo)
    out = compare(trips, twins[rules[0]], sumo)
    out["stuck"] = rules[0]
    out["where_lost"] = where_lost(city, trips, twins[rules[0]], sumo)
    for r in rules[1:]:
        c = compare(trips, twins[r], sumo)
        out[f"stuck_{r}"] = {k: c[k] for k in ("finished_twin", "twin", "twin_vs_sumo", "hourly_speed", "forced_twin",
                                               "cpu_s", "wall_s")}
        out[f"stuck_{r}"]["where_lost"] = where_lost(city, trips, twins[r], sumo)
    out["scale"] = round(scale, 4)
    out["sumo_turn_lanes"] = "all lanes to every next edge" if args.all_lanes else "netconvert's guess"
    out["twin_run_wall_s"] = round(run_wall, 1)
    if run_kpis is not None:
        out["twin_run_traffic"] = run_kpis          # the recording run's own kpis.traffic, in short
    out["harness_wall_s"] = round(time.perf_counter() - t0, 1)
    out["attribution"] = "© OpenStreetMap contributors"
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
