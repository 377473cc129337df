"""Events on a scenario's timeline: heatwave, snowstorm, earthquake, broker and chain outages.

A scenario lists ``events:``, each with a ``kind``, a start ``at_h`` (hours after the run's start)
and a duration ``hours``. :class:`Timeline` (component ``"timeline"``) starts and ends them on the
simulated clock by changing ``twin.conditions`` (:mod:`twin.conditions`), which the components
read as they act, and publishes ``event_started`` / ``event_ended`` on ``timeline/<kind>`` so the
analytics can cut KPIs before, during and after.

=============== ==============================================================================
heatwave        air temperature + ``temp_offset_c`` (sensors); medical calls × ``medical_factor``
                (the elderly suffer most: heat strokes, dehydration); burst mains × 1.3;
                reports of parks and sanitation (smell, dry green spaces) × ``report_factor``
snowstorm       every road at ``speed_factor`` of free flow (cars, buses, crews, ambulances);
                accidents × ``accident_factor``; falls (medical) × ``medical_factor``; street and
                public-transport reports × ``report_factor``; air temperature − 8 °C
earthquake      at ``at_h`` a Vrancea-type shock of ``magnitude``. Each building of the seismic
                risk list (``../seismic/expertiza-<city>.csv`` beside the city's OSM file, the
                code4romania list; a synthetic list in the old centre for a city without one) is
                damaged with a probability by risk class, scaled with magnitude. A damaged
                building brings casualties (medical emergencies, about ``casualties_per_apartment``
                per apartment), may catch fire or leak gas, and blocks the streets at its door
                (closed for ``hours``); bursts mains across the city; medical calls × 1.5 for
                the next ``hours``
mqtt_outage     the devices' broker is out: telemetry is lost and faults reach the city hall
                only when it is back (``twin.conditions.down("mqtt")``)
chain_outage    the chain node is out: payments stay off chain, anchoring and permits wait
=============== ==============================================================================

Every random choice comes from the run's ``timeline`` stream, so a seed gives the same damage.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.city import beside
from twin.errors import TwinError

# probability of heavy damage at magnitude 7.4 (the 1977 Vrancea shock) by risk class; RS1 is the
# class "high risk of collapse", U1–U3 the older (pre-2000 assessment) classes, roughly RS1–RS3
DAMAGE_AT_74 = {"RS1": 0.45, "RS2": 0.2, "RS3": 0.05, "RS4": 0.01, "U1": 0.35, "U2": 0.15, "U3": 0.05}


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_h: float = Field(0.0, ge=0)          # hours after the run's start
    hours: float = Field(24.0, gt=0)        # how long it lasts


class Heatwave(_Event):
    kind: Literal["heatwave"]
    temp_offset_c: float = Field(8.0, ge=0, le=25)
    medical_factor: float = Field(1.4, ge=0)
    report_factor: float = Field(1.3, ge=0)


class Snowstorm(_Event):
    kind: Literal["snowstorm"]
    speed_factor: float = Field(0.6, gt=0, le=1)
    accident_factor: float = Field(2.0, ge=0)
    medical_factor: float = Field(1.2, ge=0)
    report_factor: float = Field(2.0, ge=0)


class Earthquake(_Event):
    kind: Literal["earthquake"]
    magnitude: float = Field(7.0, ge=4, le=8.5)
    buildings: str = "auto"                 # "auto": beside the city's data; or a CSV path
    casualties_per_apartment: float = Field(0.4, ge=0)


class Outage(_Event):
    kind: Literal["mqtt_outage", "chain_outage"]


TimelineEvent = Annotated[Union[Heatwave, Snowstorm, Earthquake, Outage], Field(discriminator="kind")]

HEAT_REPORTS = ("parks", "sanitation", "waste_dumping", "water_sewer")
SNOW_REPORTS = ("streets", "public_transport", "road_signs")


def seismic_file(city) -> Path | None:
    """The seismic-risk list beside a city's OSM file (``../seismic/expertiza-<prefix>.csv``)."""
    if not city.source or city.synthetic:
        return None
    return beside(city.source, "seismic", "expertiza-{prefix}.csv")


def load_buildings(path: str | Path) -> list[dict]:
    """Buildings of a code4romania ``expertiza-*.csv``: lon, lat, address, apartments, risk class."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                lat, lon = float(row["Lat"]), float(row["Lng"])
            except (KeyError, ValueError):
                continue
            risk = (row.get("Risk Category") or "").strip().upper()
            if risk not in DAMAGE_AT_74:
                continue
            try:
                apartments = max(1, int(float(row.get("Apartment Count") or 1)))
            except ValueError:
                apartments = 1
            out.append({"lon": lon, "lat": lat, "risk": risk, "apartments": apartments,
                        "address": f"{row.get('Address', '').strip()} {row.get('Street Number', '').strip()}".strip()})
    return out


def synthetic_buildings(city, rng: np.random.Generator, n: int = 40) -> list[dict]:
    """At-risk buildings for a city without a list: ``n`` old blocks near the centre of the
    network (the risk classes in Brașov's proportions)."""
    core = city.core_nodes("both")
    a = city.arrays
    cx, cy = np.median(a["node_x"][core]), np.median(a["node_y"][core])
    d = np.hypot(a["node_x"][core] - cx, a["node_y"][core] - cy)
    near = core[np.argsort(d)[: max(n * 3, 10)]]
    chosen = rng.choice(near, size=min(n, len(near)), replace=False)
    risks = rng.choice(["RS1", "RS2", "U1", "U2", "U3"], size=len(chosen), p=[0.35, 0.1, 0.15, 0.15, 0.25])
    return [{"lon": float(a["node_lon"][k]), "lat": float(a["node_lat"][k]), "risk": str(r),
             "apartments": int(rng.integers(3, 20)), "address": f"synthetic block {j}"}
            for j, (k, r) in enumerate(zip(chosen, risks))]


def _blocked_at(city, node: int) -> np.ndarray:
    """Edges at a damaged building's door that debris blocks: all of them but the shortest way in
    and out, so rescuers can still reach the building."""
    a = city.arrays
    into = np.nonzero(a["edge_v"] == node)[0]
    out = np.nonzero(a["edge_u"] == node)[0]
    if not len(into) or not len(out):
        return np.zeros(0, np.int64)
    keep_in = into[np.argmin(a["edge_length_mm"][into])]
    back = out[a["edge_v"][out] == a["edge_u"][keep_in]]
    keep = {int(keep_in), int(back[0] if len(back) else out[0])}
    return np.array(sorted((set(into.tolist()) | set(out.tolist())) - keep), np.int64)


def _keep_reachable(city, closed: np.ndarray, scenes: list[int], depot: int) -> np.ndarray:
    """``closed`` minus the edges at any scene that the closures would cut off (neighbouring
    buildings' debris can close a block all round): every scene stays reachable by car from
    ``depot`` and back."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    from twin import osm

    a = city.arrays
    drive = (a["edge_modes"] & osm.DRIVE) > 0
    n = city.n_nodes
    closed = np.asarray(closed, np.int64)
    for _ in range(len(scenes) + 1):
        ok = drive.copy()
        ok[closed] = False
        g = csr_matrix((np.ones(int(ok.sum())), (a["edge_u"][ok], a["edge_v"][ok])), shape=(n, n))
        there = np.zeros(n, bool)
        there[breadth_first_order(g, depot, directed=True, return_predecessors=False)] = True
        back = np.zeros(n, bool)
        back[breadth_first_order(g.T.tocsr(), depot, directed=True, return_predecessors=False)] = True
        cut = [s for s in scenes if not (there[s] and back[s])]
        if not cut:
            return closed
        at = np.isin(a["edge_u"], cut) | np.isin(a["edge_v"], cut)
        closed = closed[~at[closed]]
    return closed


class Timeline:
    """Runs a scenario's ``events`` (component ``"timeline"``; see the module docstring)."""

    name = "timeline"

    def __init__(self, events: list | None = None):
        self.events = list(events or [])
        self.log: list[dict] = []
        self.damaged: list[dict] = []

    def attach(self, twin) -> None:
        self.twin = twin
        self.rng = twin.rng.get("timeline")
        for i, ev in enumerate(self.events):
            twin.env.process(self._run(i, ev))

    def _run(self, i: int, ev):
        env = self.twin.env
        if ev.at_h * 3600.0 > env.now:
            yield env.timeout(ev.at_h * 3600.0 - env.now)
        undo = self._start(i, ev)
        yield env.timeout(ev.hours * 3600.0)
        undo()
        self.twin.emit(f"timeline/{ev.kind}", "event_ended", f"event:{i}", "", math.nan, math.nan, event=ev.kind)
        self.log[i]["ended_h"] = round(env.now / 3600.0, 3)

    def _started(self, i: int, ev, **info) -> None:
        self.twin.emit(f"timeline/{ev.kind}", "event_started", f"event:{i}", "", math.nan, math.nan,
                       event=ev.kind, hours=ev.hours, **info)
        while len(self.log) <= i:
            self.log.append({})
        self.log[i] = {"kind": ev.kind, "started_h": round(self.twin.now / 3600.0, 3), **info}

    def _start(self, i: int, ev):
        if ev.kind == "heatwave":
            rates = [("medical", ev.medical_factor), ("water_main", 1.3)] + [(k, ev.report_factor) for k in HEAT_REPORTS]
            return self._weather(i, ev, rates, ev.temp_offset_c, 1.0,
                                 temp_offset_c=ev.temp_offset_c, medical_factor=ev.medical_factor)
        if ev.kind == "snowstorm":
            rates = [("accident", ev.accident_factor), ("medical", ev.medical_factor)] + \
                    [(k, ev.report_factor) for k in SNOW_REPORTS]
            return self._weather(i, ev, rates, -8.0, ev.speed_factor, speed_factor=ev.speed_factor)
        if ev.kind == "earthquake":
            return self._earthquake(i, ev)
        c = self.twin.conditions
        system = "mqtt" if ev.kind == "mqtt_outage" else "chain"
        c.set_down(system, True)
        self._started(i, ev, system=system)
        return lambda: c.set_down(system, False)

    def _weather(self, i: int, ev, rates: list[tuple[str, float]], temp_c: float, speed: float, **info):
        """Scale ``rates``, shift the temperature by ``temp_c`` and the road speeds by ``speed``;
        returns the undo (events overlap: each undoes only its own share)."""
        c = self.twin.conditions
        for k, f in rates:
            c.scale_rate(k, f)
        c.set_temp_offset(c.temp_offset_c + temp_c)
        if speed != 1.0:
            c.set_speed_factor(c.speed_factor * speed)
        self._started(i, ev, **info)

        def undo():
            for k, f in rates:
                c.unscale_rate(k, f)
            c.set_temp_offset(c.temp_offset_c - temp_c)
            if speed != 1.0:
                c.set_speed_factor(c.speed_factor / speed)
        return undo

    def _earthquake(self, i: int, ev):
        twin, city, rng = self.twin, self.twin.city, self.rng
        if ev.buildings == "auto":
            path = seismic_file(city)
            buildings = load_buildings(path) if path else synthetic_buildings(city, rng)
            source = str(path) if path else "synthetic"
        else:
            if not Path(ev.buildings).exists():
                raise TwinError(f"events: earthquake buildings {ev.buildings!r} — file not found")
            buildings, source = load_buildings(ev.buildings), ev.buildings
        inside = city.bbox
        keep = [k for k, b in enumerate(buildings)
                if inside[0] <= b["lon"] <= inside[2] and inside[1] <= b["lat"] <= inside[3]]
        buildings = [buildings[k] for k in keep]
        scale = 10 ** (0.5 * (ev.magnitude - 7.4))       # shaking grows ~3x per magnitude unit
        p = np.array([min(1.0, DAMAGE_AT_74[b["risk"]] * scale) for b in buildings])
        hit = np.nonzero(rng.random(len(buildings)) < p)[0] if len(buildings) else np.zeros(0, int)
        incidents = twin.component("incidents")
        closed = []
        nodes = city.nearest_nodes([buildings[k]["lon"] for k in hit], [buildings[k]["lat"] for k in hit],
                                   mode="both", core=True) if len(hit) else []
        a = city.arrays
        casualties = 0
        for k, node in zip(hit.tolist(), np.asarray(nodes).tolist()):
            b = buildings[k]
            n_hurt = int(rng.poisson(ev.casualties_per_apartment * b["apartments"]))
            casualties += n_hurt
            for _ in range(n_hurt):
                incidents.happen("medical", int(node))
            if rng.random() < 0.15:
                incidents.happen("fire", int(node))
            if rng.random() < 0.25:
                incidents.happen("gas_leak", int(node))
            closed.append(_blocked_at(city, int(node)))
            self.damaged.append({**b, "node": int(node)})
            twin.emit("timeline/earthquake", "building_damaged", f"building:{k}", "", b["lon"], b["lat"],
                      risk=b["risk"], apartments=b["apartments"], casualties=n_hurt, address=b["address"])
        # bursts across the network, more with a stronger shock
        mains = int(rng.poisson(max(0.0, scale) * city.n_nodes / 2000.0))
        drive = city.core_edges("drive")
        for e in rng.choice(drive, size=mains) if mains and len(drive) else []:
            incidents.happen("water_main", int(a["edge_v"][e]), int(e))
        closed_edges = np.unique(np.concatenate(closed)) if closed else np.zeros(0, np.int64)
        closed_edges = _keep_reachable(city, closed_edges, [d["node"] for d in self.damaged],
                                       depot=int(city.core_nodes("drive")[0]))
        if len(closed_edges):
            twin.close_roads(closed_edges)
        twin.conditions.scale_rate("medical", 1.5)
        self._started(i, ev, magnitude=ev.magnitude, buildings=len(buildings), damaged=int(len(hit)),
                      casualties=casualties, mains_burst=mains, roads_closed=int(len(closed_edges)), source=source)

        def undo():
            twin.conditions.unscale_rate("medical", 1.5)
            if len(closed_edges):
                twin.reopen_roads(closed_edges)
        return undo

    def kpis(self) -> dict:
        return {"events": self.log}
