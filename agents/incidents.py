"""Incidents: emergencies and infrastructure failures, and how the city finds out about them.

Every ``check_every_min`` minutes new incidents are drawn (Poisson):

* ``medical`` — at citizens' homes, ``medical_per_1000_per_day`` (≈ 0.45: the Brașov ambulance
  service answers ≈ 90,000 calls a year for ≈ 550,000 people); the elderly three times as often;
* ``fire`` — ``fire_per_1000_per_day`` (≈ 0.008; IGSU: ≈ 40,000 fires a year in Romania, most
  outside cities), at homes;
* ``accident`` — on road edges, with probability proportional to the **cars that entered each
  edge** since the last check (the movement kernel's traffic counts): more traffic, more
  accidents; ``accidents_per_million_car_edges``;
* ``gas_leak`` — at homes; ``water_main`` — a burst pipe under a street; ``traffic_light`` — a
  signal out at a junction on a main road.

Rates are multiplied by ``twin.conditions.rate(kind)`` while a timeline event changes them
(:mod:`agents.timeline`: a heatwave raises medical calls, snow raises accidents).

Each incident is published (``incident``, ground truth, on ``incidents/<type>``) and then
**discovered**: emergencies by a **112 call** after a short delay; failures by a **passer-by**
who calls (the first to enter the edge, with probability ``notice_prob``) or, failing that, a
112 call after ``late_call_h``. Sensors (their own issue) may discover failures first by calling
:meth:`Incidents.discover`. Discovery publishes ``incident_reported`` with ``discovered_by``;
the responders (:mod:`services.dispatch`) dispatch on it.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin import osm

KINDS = ("medical", "fire", "accident", "gas_leak", "water_main", "traffic_light")
EMERGENCIES = ("medical", "fire", "accident", "gas_leak")
MAIN_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")


class IncidentParams(BaseModel):
    """Rates (per 1,000 inhabitants a day unless said otherwise) and discovery delays."""

    model_config = ConfigDict(extra="forbid")
    medical_per_1000_per_day: float = Field(0.45, ge=0)
    elderly_medical_factor: float = Field(3.0, ge=0)
    fire_per_1000_per_day: float = Field(0.008, ge=0)
    accidents_per_million_car_edges: float = Field(2.0, ge=0)
    gas_leak_per_1000_per_day: float = Field(0.004, ge=0)
    water_main_per_1000_per_day: float = Field(0.004, ge=0)
    traffic_light_per_1000_per_day: float = Field(0.003, ge=0)
    call_delay_min: float = Field(2.0, gt=0)
    notice_prob: float = Field(0.05, ge=0, le=1)
    late_call_h: float = Field(3.0, gt=0)
    check_every_min: float = Field(5.0, gt=0)


class Incidents:
    """Emergencies and failures of a run (component ``"incidents"``)."""

    name = "incidents"

    def __init__(self, params: IncidentParams | None = None):
        self.p = params or IncidentParams()
        self.created = {k: 0 for k in KINDS}
        self.discovered: dict[str, int] = {}
        self.open: dict[int, dict] = {}     # incident id -> state
        self._next = 0
        self._car_entries = 0

    def attach(self, twin) -> None:
        self.twin = twin
        self.pop = twin.component("population").pop
        self.mobility = twin.component("mobility")
        self.rng = twin.rng.get("incidents")
        city = twin.city
        a = city.arrays
        core = city.core_edges("both")
        self.drive_edges = core[(a["edge_modes"][core] & osm.DRIVE) > 0]
        hw = np.array([h in MAIN_ROADS for h in city.highway_types] + [False])
        main = self.drive_edges[hw[a["edge_highway"][self.drive_edges]]]
        self.main_edges = main if len(main) else self.drive_edges
        self.weight_home = np.where(self.pop.age == 3, self.p.elderly_medical_factor, 1.0)
        self._last_traffic = self.mobility.fleet.traffic.copy()
        self._car_edge = np.zeros(city.n_edges, bool)
        self._car_edge[self.drive_edges] = True
        self._pending: list[tuple[int, int, float]] = []   # (incident, edge, deadline) awaiting a passer-by
        self._pending_seen: dict[int, int] = {}              # incident -> edge traffic when last checked
        twin.env.process(self._loop())

    def _loop(self):
        env = self.twin.env
        dt = self.p.check_every_min * 60.0
        n = len(self.pop)
        p = self.p
        while True:
            yield env.timeout(dt)
            day_frac = dt / 86400.0
            # emergencies at homes
            for kind, rate in (("medical", p.medical_per_1000_per_day), ("fire", p.fire_per_1000_per_day),
                               ("gas_leak", p.gas_leak_per_1000_per_day)):
                scale = self.weight_home.mean() if kind == "medical" else 1.0
                scale *= self.twin.conditions.rate(kind)        # a heatwave, a snowstorm
                k = self.rng.poisson(rate * n / 1000.0 * day_frac * scale)
                if k:
                    w = self.weight_home if kind == "medical" else np.ones(n)
                    who = self.rng.choice(n, size=k, p=w / w.sum())
                    for c in who:
                        self._new(kind, int(self.pop.home[c]), -1, citizen=int(c))
            # accidents where the cars were
            traffic = self.mobility.fleet.traffic
            delta = (traffic - self._last_traffic) * self._car_edge
            self._last_traffic = traffic.copy()
            total = int(delta.sum())
            self._car_entries += total
            k = self.rng.poisson(p.accidents_per_million_car_edges * total / 1e6
                                 * self.twin.conditions.rate("accident")) if total else 0
            if k:
                edges = self.rng.choice(len(delta), size=k, p=delta / total)
                for e in edges:
                    self._new("accident", int(self.twin.city.arrays["edge_v"][e]), int(e))
            # failures
            for kind, rate, pool in (("water_main", p.water_main_per_1000_per_day, self.drive_edges),
                                     ("traffic_light", p.traffic_light_per_1000_per_day, self.main_edges)):
                k = self.rng.poisson(rate * n / 1000.0 * day_frac * self.twin.conditions.rate(kind))
                for e in self.rng.choice(pool, size=k) if k else []:
                    self._new(kind, int(self.twin.city.arrays["edge_v"][e]), int(e))
            self._passers_by()

    def _new(self, kind: str, node: int, edge: int, citizen: int | None = None) -> None:
        i = self._next
        self._next += 1
        self.created[kind] += 1
        a = self.twin.city.arrays
        lon, lat = a["node_lon"][node], a["node_lat"][node]
        severity = int(self.rng.integers(1, 4))
        self.open[i] = {"kind": kind, "node": node, "edge": edge, "t": self.twin.now, "reported": False,
                        "severity": severity}
        # an emergency at a home is published with its place (help goes there) but never with the
        # pseudonym of who lives there: the two together would publish the citizen's home
        self.twin.emit(f"incidents/{kind}", "incident", f"incident:{i}", "", lon, lat, node=node, edge=edge,
                       severity=severity, at_home=citizen is not None)
        if kind in EMERGENCIES:
            delay = self.rng.exponential(self.p.call_delay_min * 60.0)
            self.twin.env.process(self._call_later(i, delay, "112"))
        else:
            self._pending.append((i, edge, self.twin.now + self.p.late_call_h * 3600.0))
            self._pending_seen[i] = int(self.mobility.fleet.traffic[edge])

    def _call_later(self, i: int, delay: float, how: str):
        yield self.twin.env.timeout(delay)
        self.discover(i, how)

    def _passers_by(self) -> None:
        still = []
        traffic = self.mobility.fleet.traffic
        for i, e, deadline in self._pending:
            if self.open.get(i, {}).get("reported", True):
                continue
            passes = int(traffic[e]) - self._pending_seen.get(i, 0)
            self._pending_seen[i] = int(traffic[e])
            if passes and self.rng.random() < 1 - (1 - self.p.notice_prob) ** passes:
                self.discover(i, "passer_by")
            elif self.twin.now >= deadline:
                self.discover(i, "112")
            else:
                still.append((i, e, deadline))
        self._pending = still

    def discover(self, i: int, how: str) -> bool:
        """Incident ``i`` becomes known (by ``"112"``, ``"passer_by"``, ``"sensor"``); returns
        False if it already was."""
        inc = self.open.get(i)
        if inc is None or inc["reported"]:
            return False
        inc["reported"] = True
        inc["reported_at"] = self.twin.now
        self.discovered[how] = self.discovered.get(how, 0) + 1
        a = self.twin.city.arrays
        self.twin.emit(f"incidents/{inc['kind']}", "incident_reported", f"incident:{i}", "",
                       a["node_lon"][inc["node"]], a["node_lat"][inc["node"]], discovered_by=how,
                       node=inc["node"], severity=inc["severity"],
                       delay_s=round(self.twin.now - inc["t"], 1))
        return True

    def happen(self, kind: str, node: int, edge: int = -1) -> int:
        """An incident caused from outside the usual rates (an earthquake's casualties, fires and
        burst mains): it is discovered the usual way (112 call, passer-by). Returns its id."""
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r} is not one of {KINDS}")
        i = self._next
        self._new(kind, int(node), int(edge))
        return i

    def emergency(self, kind: str, node: int, citizen: int | None = None, how: str = "sensor") -> int:
        """An emergency raised by a device (a wearable's fall alarm): it happens at ``node``
        and is known at once (``discovered_by=how``). Returns the incident id."""
        if kind not in EMERGENCIES:
            raise ValueError(f"kind={kind!r}: a device can raise only {EMERGENCIES}")
        i = self._next
        self._new(kind, int(node), -1, citizen=citizen)
        self.discover(i, how)
        return i

    def close(self, i: int) -> None:
        """Incident ``i`` is dealt with (called by the responders)."""
        self.open.pop(i, None)

    def kpis(self) -> dict:
        return {"created": self.created, "total": int(sum(self.created.values())),
                "discovered_by": self.discovered, "open": len(self.open),
                "car_edge_entries": int(self._car_entries)}
