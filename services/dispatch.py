"""Emergency dispatch (112): ambulances, fire engines and emergency crews as Mesa agents, routed
on the road graph.

Units are few, so each is a :class:`Unit` (a ``mesa.Agent`` in the run's ``CityModel``) with a
home **station** taken from the city's real POIs: ambulances at hospitals with an emergency
department (OSM ``emergency=yes``; any hospital otherwise; ``emergency=ambulance_station`` where
mapped), fire engines at fire stations, road and water crews at the town hall's depot. They move
with their own :class:`twin.mobility.Mobility` (kind ``unit``).

Dispatch: when an incident is reported (``incident_reported`` from :mod:`agents.incidents`),
the **nearest available** unit of the needed type **by road travel time** (exact, from the CH
router) is sent; if all are busy the incident waits in a FIFO queue for that type. A unit drives
to the scene, works there (exponential time, mean by incident type), and drives back to its
station, where it becomes available again. ``dispatched``, ``on_scene``, ``cleared`` and
``back_at_station`` events are published on ``responders/<type>``; the response time (report →
on scene) is a KPI. A Mesa DataCollector samples busy units and queues every hour.
"""
from __future__ import annotations

from collections import deque

import mesa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.mobility import Mobility

UNIT_OF = {"medical": "ambulance", "accident": "ambulance", "fire": "fire_engine", "gas_leak": "fire_engine",
           "water_main": "water_crew", "traffic_light": "road_crew"}
UNIT_TYPES = ("ambulance", "fire_engine", "water_crew", "road_crew")


def depot_node(city) -> int:
    """Where city crews are based: the town hall (snapped to the road network), else the middle
    of the network's core."""
    hall = [q for q in city.pois if q.kind == "townhall"]
    if hall:
        return int(city.nearest_nodes([hall[0].lon], [hall[0].lat], mode="both", core=True)[0])
    core = city.core_nodes("both")
    return int(core[len(core) // 2])


class ExtraStation(BaseModel):
    """A station a scenario adds (``new_ambulance_station``): where, and what it houses.

    Where: ``lon``/``lat``; or ``district`` (its centre); or neither — the inhabited district whose
    median road time from the existing stations of that kind is the longest (where it is needed
    most).
    """

    model_config = ConfigDict(extra="forbid")
    name: str
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    district: str | None = None
    ambulances: int = Field(2, ge=0)
    fire_engines: int = Field(0, ge=0)


class ResponderParams(BaseModel):
    """How many units each station has and how long work on scene takes (minutes)."""

    model_config = ConfigDict(extra="forbid")
    extra_stations: list[ExtraStation] = Field(default_factory=list)
    ambulances_per_station: int = Field(2, ge=0)
    fire_engines_per_station: int = Field(2, ge=0)
    water_crews: int = Field(2, ge=0)
    road_crews: int = Field(3, ge=0)
    on_scene_min: dict[str, float] = Field(default_factory=lambda: {
        "medical": 30.0, "accident": 35.0, "fire": 60.0, "gas_leak": 45.0, "water_main": 180.0,
        "traffic_light": 60.0})


class Unit(mesa.Agent):
    """One ambulance, fire engine or crew."""

    def __init__(self, model, index: int, utype: str, station: str, node: int):
        super().__init__(model)
        self.index = index
        self.utype = utype
        self.station = station
        self.station_node = node
        self.node = node
        self.state = "available"        # available | to_scene | on_scene | returning
        self.incident: int | None = None

    @property
    def name(self) -> str:
        return f"{self.utype}:{self.index}"


class Responders:
    """Units, stations and dispatch (component ``"responders"``)."""

    name = "responders"

    def __init__(self, params: ResponderParams | None = None):
        self.p = params or ResponderParams()
        self.units: list[Unit] = []
        self.queues = {t: deque() for t in UNIT_TYPES}
        self.response_s: dict[str, list[float]] = {}
        self.dispatched = 0
        self.unserved_types: set[str] = set()
        self.coverage: dict | None = None
        self.unreachable = 0

    def stations(self, city) -> dict[str, list[tuple[str, int]]]:
        """Stations per unit type: ``[(name, node)]`` from the city's POIs."""
        def snap(pois):
            if not pois:
                return []
            nodes = city.nearest_nodes([q.lon for q in pois], [q.lat for q in pois], mode="both", core=True)
            return [(q.name or q.kind, int(n)) for q, n in zip(pois, nodes)]

        amb = [q for q in city.pois if q.kind == "ambulance_station"]
        if not amb:
            amb = [q for q in city.pois if q.kind == "hospital" and q.tags.get("emergency") == "yes"]
        if not amb:
            amb = [q for q in city.pois if q.kind == "hospital"]
        fire = [q for q in city.pois if q.kind == "fire_station"]
        hall = [q for q in city.pois if q.kind == "townhall"]
        depot = snap(hall[:1]) or [("depot", depot_node(city))]
        return {"ambulance": snap(amb), "fire_engine": snap(fire) or depot, "water_crew": depot, "road_crew": depot}

    @staticmethod
    def _where(twin, x, stations) -> tuple[float, float]:
        city = twin.city
        if x.lon is not None and x.lat is not None:
            return x.lon, x.lat
        names = [d.name for d in city.districts]
        if x.district is not None:
            if x.district not in names:
                raise ValueError(f"responders.extra_stations: district {x.district!r} is not one of {names}")
            d = city.districts[names.index(x.district)]
            return d.lon, d.lat
        if not city.districts or not stations:
            core = city.core_nodes("both")
            n = core[len(core) // 2]
            return float(city.arrays["node_lon"][n]), float(city.arrays["node_lat"][n])
        router = city.router("time", "drive")
        core = city.core_nodes("both")
        nd = city.arrays["node_district"]
        worst, where = -1.0, None
        for k, d in enumerate(city.districts):
            nodes = core[nd[core] == k]
            if not len(nodes) or not (d.population or 0) > 0:
                continue                               # nobody lives there: no calls come from it
            sample = nodes[:: max(1, len(nodes) // 30)].astype(np.int32)
            t = np.full(len(sample), np.inf)
            for _, s in stations:
                tt = router.distances(np.full(len(sample), s, np.int32), sample).astype(float)
                t = np.minimum(t, np.where(tt < 0, np.inf, tt))
            m = float(np.median(t))
            if m > worst:
                worst, where = m, (d.lon, d.lat)
        return where

    def attach(self, twin) -> None:
        self.twin = twin
        self.incidents = twin.component("incidents")
        self.rng = twin.rng.get("responders")
        st = self.stations(twin.city)
        self.station_list = st
        counts = {"ambulance": self.p.ambulances_per_station, "fire_engine": self.p.fire_engines_per_station}
        extra = []
        for x in self.p.extra_stations:
            lon, lat = self._where(twin, x, st["ambulance"] if x.ambulances else st["fire_engine"])
            n = int(twin.city.nearest_nodes([lon], [lat], mode="both", core=True)[0])
            extra.append((x, n))
            self.placed = getattr(self, "placed", []) + [{"name": x.name, "lon": lon, "lat": lat, "node": n}]
        for x, n in extra:
            for utype, k in (("ambulance", x.ambulances), ("fire_engine", x.fire_engines)):
                for _ in range(k):
                    self.units.append(Unit(twin.model, len(self.units), utype, x.name, n))
                if k:
                    st[utype] = st[utype] + [(x.name, n)]
        for utype in UNIT_TYPES:
            places = st[utype] if utype not in ("ambulance", "fire_engine") else \
                [pl for pl in st[utype] if pl[0] not in {x.name for x, _ in extra}]
            if utype in counts:
                plan = [(name, node) for name, node in places for _ in range(counts[utype])]
            else:
                n = self.p.water_crews if utype == "water_crew" else self.p.road_crews
                plan = [places[k % len(places)] for k in range(n)] if places else []
            for name, node in plan:
                self.units.append(Unit(twin.model, len(self.units), utype, name, node))
        self.mobility = twin.add(Mobility(len(self.units), kind="unit", tick_s=5.0, name="unit_mobility"))
        self.mobility.location[:] = [u.station_node for u in self.units]
        self.mobility.names = np.array([u.name for u in self.units], dtype=object)
        self.mobility.on_arrival.append(self._arrived)
        twin.bus.subscribe(f"{twin.topic_root}/incidents/+", self._on_incident)
        self.coverage = self._coverage()
        self.datacollector = mesa.DataCollector(model_reporters={
            f"busy_{t}": (lambda m, t=t: sum(1 for u in self.units if u.utype == t and u.state != "available"))
            for t in UNIT_TYPES} | {f"queue_{t}": (lambda m, t=t: len(self.queues[t])) for t in UNIT_TYPES})
        twin.env.process(self._collect())

    @property
    def router(self):
        """The run's current driving router (closures during the run respected)."""
        return self.twin.router("time", "drive")

    def _coverage(self) -> dict | None:
        """Share of the population whose home is within 8 and 15 minutes by road of an ambulance
        station, a fire station, or either (free-flow driving times from the stations), overall
        and by district; published once as ``coverage`` on ``responders/coverage``."""
        twin = self.twin
        try:
            home = np.asarray(twin.component("population").pop.home)
        except KeyError:
            return None
        if not len(home):
            return None
        best = {}
        for utype in ("ambulance", "fire_engine"):
            nodes = sorted({u.station_node for u in self.units if u.utype == utype})
            t = np.full(twin.city.n_nodes, np.inf)
            for n in nodes:
                d = self.router.one_to_many(int(n)).astype(np.float64)
                t = np.minimum(t, np.where(d < 0, np.inf, d / 1000.0))      # ms -> s
            best[utype] = t[home]
        best["either"] = np.minimum(best["ambulance"], best["fire_engine"])
        district = twin.city.arrays["node_district"][home]
        names = [d.name for d in twin.city.districts]
        out: dict = {"population": int(len(home))}
        for key, t in best.items():
            for m in (8, 15):
                out[f"{key}_within_{m}min"] = round(float((t <= m * 60).mean()), 4)
        by = {}
        for k in np.unique(district):
            sel = district == k
            name = names[k] if 0 <= k < len(names) else "?"
            by[name] = {"population": int(sel.sum()),
                        **{f"within_{m}min": round(float((best['either'][sel] <= m * 60).mean()), 4) for m in (8, 15)}}
        out["by_district"] = by
        twin.emit("responders/coverage", "coverage", "responders", "", float("nan"), float("nan"), **out)
        return out

    def _collect(self):
        while True:
            self.datacollector.collect(self.twin.model)
            yield self.twin.env.timeout(3600.0)

    # ---- dispatch ----------------------------------------------------------------------------
    def _on_incident(self, event) -> None:
        if event.kind != "incident_reported":
            return
        i = int(event.entity.split(":")[1])
        inc = self.incidents.open.get(i)
        if inc is None:
            return
        utype = UNIT_OF[inc["kind"]]
        if not any(u.utype == utype for u in self.units):
            self.unserved_types.add(utype)
            return
        if not self._dispatch(i, utype):
            self.queues[utype].append(i)
            self.twin.emit(f"responders/{utype}", "queued", event.entity, "", event.lon, event.lat,
                           queue=len(self.queues[utype]))

    def _dispatch(self, i: int, utype: str) -> bool:
        free = [u for u in self.units if u.utype == utype and u.state == "available"]
        if not free:
            return False
        inc = self.incidents.open[i]
        src = np.array([u.node for u in free], np.int32)
        t = self.router.distances(src, np.full(len(free), inc["node"], np.int32))
        if (t < 0).all():                       # no road reaches the scene (closed all round)
            self.unreachable += 1
            a = self.twin.city.arrays
            self.twin.emit(f"responders/{utype}", "scene_unreachable", f"incident:{i}", "",
                           a["node_lon"][inc["node"]], a["node_lat"][inc["node"]], units_free=len(free))
            return True                         # not queued: waiting would not help
        t = np.where(t < 0, np.iinfo(np.int64).max, t)
        k = int(np.argmin(t))
        u = free[k]
        u.state, u.incident = "to_scene", i
        self.dispatched += 1
        a = self.twin.city.arrays
        self.twin.emit(f"responders/{utype}", "dispatched", u.name, f"incident:{i}",
                       a["node_lon"][u.node], a["node_lat"][u.node], eta_s=round(float(t[k]) / 1000, 1),
                       station=u.station)
        self.mobility.request([u.index], [u.node], [inc["node"]], "car")
        return True

    def _arrived(self, agents, dests, times) -> None:
        for idx, node, t in zip(agents.tolist(), dests.tolist(), times.tolist()):
            u = self.units[idx]
            u.node = node
            a = self.twin.city.arrays
            if u.state == "to_scene":
                inc = self.incidents.open.get(u.incident, {})
                resp = t - inc.get("reported_at", t)
                self.response_s.setdefault(inc.get("kind", "?"), []).append(resp)
                u.state = "on_scene"
                d = int(a["node_district"][node]) if "node_district" in a else -1
                district = self.twin.city.districts[d].name if 0 <= d < len(self.twin.city.districts) else None
                self.twin.emit(f"responders/{u.utype}", "on_scene", u.name, f"incident:{u.incident}",
                               a["node_lon"][node], a["node_lat"][node], response_s=round(resp, 1),
                               incident_kind=inc.get("kind"), district=district)
                mean = self.p.on_scene_min.get(inc.get("kind"), 30.0) * 60.0
                self.twin.env.process(self._work(u, self.rng.exponential(mean)))
            elif u.state == "returning":
                u.state = "available"
                self.twin.emit(f"responders/{u.utype}", "back_at_station", u.name, "",
                               a["node_lon"][node], a["node_lat"][node])
                self._next_in_queue(u.utype)

    def _work(self, u: Unit, duration: float):
        yield self.twin.env.timeout(duration)
        a = self.twin.city.arrays
        self.twin.emit(f"responders/{u.utype}", "cleared", u.name, f"incident:{u.incident}",
                       a["node_lon"][u.node], a["node_lat"][u.node], work_s=round(duration, 1))
        self.incidents.close(u.incident)
        u.incident = None
        if self.queues[u.utype]:          # straight to the next call
            u.state = "available"
            self._next_in_queue(u.utype)
            if u.state != "available":
                return
        u.state = "returning"
        if u.node == u.station_node:
            u.state = "available"
            return
        self.mobility.request([u.index], [u.node], [u.station_node], "car")

    def _next_in_queue(self, utype: str) -> None:
        q = self.queues[utype]
        while q:
            i = q[0]
            if i not in self.incidents.open:
                q.popleft()
                continue
            if not self._dispatch(i, utype):
                return
            q.popleft()

    def kpis(self) -> dict:
        out = {"units": {t: sum(1 for u in self.units if u.utype == t) for t in UNIT_TYPES},
               **({"extra_stations": self.placed} if getattr(self, "placed", None) else {}),
               "stations": {t: len({n for _, n in v}) for t, v in self.station_list.items()},
               "dispatched": self.dispatched, "queued_now": {t: len(q) for t, q in self.queues.items() if q}}
        rt = {}
        for kind, v in sorted(self.response_s.items()):
            v = np.asarray(v) / 60.0
            rt[kind] = {"n": int(len(v)), "p50_min": round(float(np.percentile(v, 50)), 2),
                        "p90_min": round(float(np.percentile(v, 90)), 2)}
        out["response_time"] = rt
        if self.coverage is not None:
            out["coverage"] = {k: v for k, v in self.coverage.items() if k != "by_district"}
        if self.unreachable:
            out["scenes_unreachable"] = self.unreachable
        if self.unserved_types:
            out["no_units_for"] = sorted(self.unserved_types)
        return out
