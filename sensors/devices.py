"""The city's IoT devices: where they are, what they measure, how they fail and recover.

All devices of a run live in one struct-of-arrays :class:`Fleet` (index = device), each with a
pseudonymous id (``sl-00042``, ``wb-00007``: a wearable never names its wearer), a road node,
a district, a reporting interval and a **status**: ``ok``, ``faulty`` (broken: a streetlight
is dark, a traffic counter counts nothing, any other sensor is stuck at its last reading),
``silent`` (sends nothing), ``drifting`` (its readings carry a growing relative offset, about
``drift_per_h`` an hour: a low-cost sensor losing calibration).
Faults arrive at a rate per device and day; silent and drifting devices recover after about
``recover_h`` hours, faulty ones when repaired (a crew's job, or a ``reset`` command).

Device types and what they report (SenML names and registry units):

============== ======================================================================
streetlight    ``on`` (vb), ``dim`` (/, 0–1), ``power`` (W), ``burn`` (s of burning);
               on between dusk and dawn (by month), a failure hazard that grows with burn
               time; a dark lamp is a ``public_lighting`` fault the city hall is told about
air_quality    ``pm25``, ``pm10``, ``no2`` (kg/m3), ``temp`` (Cel): a daily cycle with
               rush-hour peaks, the **simulated traffic** on the roads around the sensor,
               and **winter inversions** (Nov–Feb nights and mornings; Brașov is a basin)
traffic_counter ``vehicles`` (count): what entered its main-road edge since the last report,
               taken from the movement kernel
noise          ``spl`` (Bspl, bels: 6.5 = 65 dB) from the time of day and traffic nearby
waste_bin      ``fill`` (%), emptied by the morning round; ``full`` at 90 %
water_pressure ``pressure`` (Pa); a burst main within 800 m drops it by a third, and the
               sensor reports the leak (it *discovers* the incident)
wearable       ``hr`` (beat/min), ``spo2`` (%), ``battery`` (%EL), ``fall`` (vb): worn by a
               share of elderly citizens; a fall raises a medical emergency at once
============== ======================================================================

Placement follows ``density`` (per district, scaled by ``district_factor``): streetlights per
km of street, traffic counters per 10 km of main road, bins per 1,000 inhabitants, the others
per district.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin import osm

TYPES = ("streetlight", "air_quality", "traffic_counter", "noise", "waste_bin", "water_pressure", "wearable")
PREFIX = {"streetlight": "sl", "air_quality": "aq", "traffic_counter": "tc", "noise": "nz", "waste_bin": "wb",
          "water_pressure": "wp", "wearable": "wr"}
STATUSES = ("ok", "faulty", "silent", "drifting")
OK, FAULTY, SILENT, DRIFTING = range(4)
MAIN_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")
# dusk and dawn (local hour) by month, Brașov (45.6° N)
DUSK = (17.0, 17.6, 18.3, 20.0, 20.6, 21.1, 21.0, 20.5, 19.6, 18.6, 16.8, 16.5)
DAWN = (7.8, 7.3, 6.5, 6.5, 5.8, 5.4, 5.6, 6.1, 6.7, 7.3, 7.0, 7.6)


class SensorParams(BaseModel):
    """Where devices are, how often they report, how often they fail."""

    model_config = ConfigDict(extra="forbid")
    density: dict[str, float] = Field(default_factory=lambda: {
        "streetlight": 4.0,          # per km of street (a real city has ≈ 25; telemetry volume is the limit)
        "air_quality": 2.0,          # per district
        "traffic_counter": 1.0,      # per 10 km of main road
        "noise": 2.0,                # per district
        "waste_bin": 3.0,            # per 1,000 inhabitants
        "water_pressure": 3.0,       # per district
        "wearable": 0.05,            # share of citizens aged 65+
    })
    district_factor: dict[str, float] = Field(default_factory=dict)
    interval_s: dict[str, float] = Field(default_factory=lambda: {
        "streetlight": 900, "air_quality": 600, "traffic_counter": 300, "noise": 300, "waste_bin": 3600,
        "water_pressure": 300, "wearable": 300})
    failures_per_day: dict[str, float] = Field(default_factory=lambda: {
        "faulty": 0.0005, "silent": 0.001, "drifting": 0.0005})
    streetlight_wear: float = Field(1.0, ge=0)      # hazard ×(1 + wear · burn years)
    recover_h: float = Field(12.0, gt=0)
    drift_per_h: float = Field(0.01, ge=0)          # mean relative drift an hour (1 %/h)
    falls_per_wearer_per_day: float = Field(0.003, ge=0)
    tick_s: float = Field(60.0, gt=0)
    log_telemetry: bool = False
    # commands that arrived over MQTT and wait for the next tick; more are dropped and counted
    # (a flood of commands must not grow the twin's memory without bound)
    max_queued_commands: int = Field(10_000, ge=1)

    def model_post_init(self, _ctx) -> None:
        for name, d in (("density", self.density), ("interval_s", self.interval_s)):
            bad = [k for k in d if k not in TYPES]
            if bad:
                raise ValueError(f"sensors.{name}: unknown device type(s) {bad}; known: {list(TYPES)}")
            if any(v < 0 for v in d.values()):
                raise ValueError(f"sensors.{name}: values must be >= 0, got {d}")
        if any(v < 10 for v in self.interval_s.values()):
            raise ValueError(f"sensors.interval_s: intervals must be >= 10 s, got {self.interval_s}")


@dataclass
class Fleet:
    """Every device of a run, one array per attribute (see the module docstring)."""

    type: np.ndarray            # int8 index into TYPES
    ids: list[str]
    node: np.ndarray            # int32 road node
    lon: np.ndarray
    lat: np.ndarray
    district: np.ndarray        # int16
    status: np.ndarray          # int8 index into STATUSES
    interval: np.ndarray        # float64 seconds
    next_due: np.ndarray        # float64 simulated seconds
    drift: np.ndarray           # float64 offset (in the reading's own unit scale, relative)
    since: np.ndarray           # float64 when the status last changed
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.node)

    def of(self, device_type: str) -> np.ndarray:
        return np.nonzero(self.type == TYPES.index(device_type))[0]

    def index(self, device_id: str) -> int:
        k = self.extra["index"].get(device_id)
        if k is None:
            raise KeyError(device_id)
        return k


def place(city, population, p: SensorParams, rng: np.random.Generator) -> tuple[Fleet, np.ndarray]:
    """Put devices on the city. Returns the fleet and, for wearables, the citizen each is worn by
    (kept by the sensors component only; never published)."""
    a = city.arrays
    core = city.core_nodes("both")
    nd = a.get("node_district")
    nd = nd if nd is not None else np.full(city.n_nodes, -1, np.int16)
    names = [d.name for d in city.districts]
    factor = np.array([p.district_factor.get(n, 1.0) for n in names] + [1.0])   # index -1 → last

    def weight(nodes):
        return factor[nd[nodes]]

    types, nodes = [], []

    def add(kind, chosen):
        types.extend([TYPES.index(kind)] * len(chosen))
        nodes.extend(int(x) for x in chosen)

    edges = city.core_edges("both")
    length_km = a["edge_length_mm"][edges].astype(float) / 1e6
    # streetlights along streets, by length
    n_sl = int(round(p.density.get("streetlight", 0) * length_km.sum()))
    if n_sl:
        w = length_km * weight(a["edge_v"][edges])
        e = rng.choice(edges, size=n_sl, p=w / w.sum())
        add("streetlight", a["edge_v"][e])
    # traffic counters on main roads
    hw = np.array([h in MAIN_ROADS for h in city.highway_types] + [False])
    drive = edges[(a["edge_modes"][edges] & osm.DRIVE) > 0]
    main = drive[hw[a["edge_highway"][drive]]]
    main = main if len(main) else drive
    n_tc = int(round(p.density.get("traffic_counter", 0) * a["edge_length_mm"][main].sum() / 1e7))
    tc_edges = rng.choice(main, size=min(n_tc, len(main)), replace=False) if n_tc and len(main) else np.zeros(0, int)
    add("traffic_counter", a["edge_v"][tc_edges])
    # per district: air quality, noise, water pressure
    districts = range(len(names)) if names else [-1]
    for kind in ("air_quality", "noise", "water_pressure"):
        for d in districts:
            pool = core[nd[core] == d] if d >= 0 else core
            k = int(round(p.density.get(kind, 0) * (factor[d] if d >= 0 else 1.0)))
            if len(pool) and k:
                add(kind, rng.choice(pool, size=k))
    # waste bins near homes
    worn_by = np.zeros(0, np.int64)
    if population is not None and len(population):
        n_wb = int(round(p.density.get("waste_bin", 0) * len(population) / 1000))
        if n_wb:
            add("waste_bin", population.home[rng.integers(0, len(population), n_wb)])
        elderly = np.nonzero(population.age == 3)[0]
        n_wr = int(round(p.density.get("wearable", 0) * len(elderly)))
        if n_wr:
            worn_by = np.sort(rng.choice(elderly, size=n_wr, replace=False))
            add("wearable", population.home[worn_by])
    t = np.asarray(types, np.int8)
    nodes_a = np.asarray(nodes, np.int32)
    ids, counters = [], {k: 0 for k in TYPES}
    for ti in t:
        kind = TYPES[ti]
        ids.append(f"{PREFIX[kind]}-{counters[kind]:05d}")
        counters[kind] += 1
    n = len(t)
    interval = np.array([p.interval_s.get(TYPES[ti], 300.0) for ti in t], np.float64)
    fleet = Fleet(type=t, ids=ids, node=nodes_a, lon=a["node_lon"][nodes_a].astype(float),
                  lat=a["node_lat"][nodes_a].astype(float), district=nd[nodes_a].astype(np.int16),
                  status=np.zeros(n, np.int8), interval=interval,
                  next_due=rng.random(n) * interval,           # staggered first reports
                  drift=np.zeros(n), since=np.zeros(n))
    fleet.extra["index"] = {d: k for k, d in enumerate(ids)}
    fleet.extra["edge"] = np.full(n, -1, np.int64)
    fleet.extra["edge"][fleet.of("traffic_counter")] = tc_edges
    fleet.extra["dim"] = np.ones(n)
    fleet.extra["mode"] = np.zeros(n, np.int8)                 # streetlights: 0 auto, 1 forced on, 2 forced off
    fleet.extra["burn_s"] = rng.random(n) * 3 * 365 * 86400 * 0.45   # lamps of mixed age
    fleet.extra["fill"] = rng.random(n) * 60.0
    fleet.extra["fill_rate"] = rng.uniform(15.0, 45.0, n)       # % a day
    fleet.extra["battery"] = rng.uniform(40.0, 100.0, n)
    fleet.extra["leak"] = np.zeros(n)                          # pressure drop share
    fleet.extra["full"] = np.zeros(n, bool)
    return fleet, worn_by


def lamps_on(clock_hour: float, month: int) -> bool:
    """Whether streetlights in auto mode burn at this local hour (dusk to dawn)."""
    return clock_hour >= DUSK[month - 1] or clock_hour < DAWN[month - 1]


def air_quality(hour: float, month: int, traffic: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PM2.5, PM10, NO2 in µg/m³ for sensors with ``traffic`` car entries nearby in the last hour.

    Background by season (heating in winter), two rush-hour peaks, traffic, and a winter
    inversion that traps it all at night and in the morning (×1.8, Brașov's basin)."""
    n = len(traffic)
    winter = month in (11, 12, 1, 2)
    base = 14.0 if winter else 8.0
    cycle = 1.0 + 0.35 * math.exp(-((hour - 8.5) ** 2) / 2.0) + 0.30 * math.exp(-((hour - 19.5) ** 2) / 3.0)
    inversion = 1.8 if winter and (hour >= 20 or hour < 10) else 1.0
    t = np.log1p(np.asarray(traffic, float))
    pm25 = (base * cycle + 1.6 * t) * inversion * rng.lognormal(0, 0.12, n)
    pm10 = pm25 * rng.uniform(1.45, 1.8, n)
    no2 = (12.0 * cycle + 4.0 * t) * (1.3 if inversion > 1 else 1.0) * rng.lognormal(0, 0.15, n)
    return pm25, pm10, no2


def temperature(hour: float, month: int) -> float:
    """A Brașov day: monthly mean (°C) with a ±4 °C daily swing, coldest at 5, warmest at 15."""
    mean = (-3.6, -1.5, 3.0, 8.7, 13.6, 16.9, 18.6, 18.2, 13.9, 8.6, 3.4, -1.6)[month - 1]
    return mean + 4.0 * math.sin((hour - 9.0) / 24.0 * 2 * math.pi)
