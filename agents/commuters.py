"""Commuters: home → work in the morning, work → home in the afternoon, on the real road graph.

The simplest daily life a city has, and the baseline load of the twin:

* homes are road nodes drawn with weights by district population where the city knows it
  (OSM ``population`` tags on districts), otherwise uniformly;
* workplaces are nodes inside commercial, retail or industrial land use, or next to a POI that
  employs people (town hall, hospitals, schools, university), with probability
  ``work_in_job_areas``; the rest anywhere;
* people whose trip is shorter than ``walk_max_m`` walk; the others drive with probability
  ``car_share`` and walk otherwise;
* departures: morning ~ N(07:45, 45 min), return ~ N(16:45, 75 min), every weekday; nobody
  commutes on Saturday and Sunday.

Every figure is a parameter. Departures are released in batches each tick, routed in one kernel
call and moved by the movement kernel: no Python call per citizen per minute.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from twin import osm

JOB_POIS = ("townhall", "hospital", "clinic", "school", "college", "university", "marketplace",
            "post_office", "police", "fire_station", "library", "courthouse")


@dataclass
class CommuterParams:
    """Shares and times of the commuter model (all can be changed by a scenario)."""

    employed_share: float = 0.55       # people who commute (workers, pupils, students)
    car_share: float = 0.45            # of commuters beyond walking distance
    walk_max_m: float = 1200.0
    work_in_job_areas: float = 0.7
    morning_mean_h: float = 7.75
    morning_sd_h: float = 0.75
    evening_mean_h: float = 16.75
    evening_sd_h: float = 1.25


class Commuters:
    """The commuting citizens of a run (component ``"commuters"``).

    Parameters
    ----------
    population
        Number of citizens; ``employed_share`` of them commute.
    params
        :class:`CommuterParams`.
    """

    name = "commuters"

    def __init__(self, population: int, params: CommuterParams | None = None):
        if population < 0:
            raise ValueError(f"population must be >= 0, got {population}")
        self.population = int(population)
        self.p = params or CommuterParams()

    def attach(self, twin) -> None:
        self.twin = twin
        city = twin.city
        rng = twin.rng.get("commuters")
        n = self.population
        drive_nodes = self._drive_nodes(city)
        self.home = self._homes(city, drive_nodes, n, rng)
        self.commutes = rng.random(n) < self.p.employed_share
        self.work = self._workplaces(city, drive_nodes, n, rng)
        self.mobility = twin.component("mobility")
        # mode: by straight-line distance, then car share
        a = city.arrays
        dist = np.hypot(a["node_x"][self.home] - a["node_x"][self.work],
                        a["node_y"][self.home] - a["node_y"][self.work])
        self.car = (dist > self.p.walk_max_m) & (rng.random(n) < self.p.car_share)
        self._rng = rng
        twin.env.process(self._days())

    @staticmethod
    def _drive_nodes(city) -> np.ndarray:
        """Homes and workplaces lie on the largest strongly connected part of the drive network,
        so that every commute is possible by car (and on foot)."""
        core = city.core_nodes("drive")
        return core if len(core) else city.core_nodes("walk")

    @staticmethod
    def _homes(city, nodes, n, rng) -> np.ndarray:
        dist_of = city.arrays["node_district"][nodes]
        w = np.ones(len(nodes))
        pops = [d.population for d in city.districts]
        if city.districts and any(pops):
            known = np.array([p or 0 for p in pops], float)
            fill = known[known > 0].mean() if (known > 0).any() else 1.0
            dpop = np.where(known > 0, known, fill)
            counts = np.bincount(np.maximum(dist_of, 0), minlength=len(dpop)).astype(float)
            per_node = dpop / np.maximum(counts, 1)
            w = per_node[np.maximum(dist_of, 0)]
        return rng.choice(nodes, size=n, p=w / w.sum()).astype(np.int32)

    def _workplaces(self, city, nodes, n, rng) -> np.ndarray:
        a = city.arrays
        job = np.zeros(len(nodes), bool)
        lon, lat = a["node_lon"][nodes], a["node_lat"][nodes]
        for use in city.landuse:
            if use["kind"] in ("commercial", "retail", "industrial"):
                job |= shapely.intersects_xy(shapely.from_wkb(use["polygon"]), lon, lat)
        poi_nodes = {p.drive_node for p in city.pois if p.kind in JOB_POIS}
        job |= np.isin(nodes, list(poi_nodes))
        anywhere = rng.choice(nodes, size=n).astype(np.int32)
        if not job.any():
            return anywhere
        in_jobs = rng.choice(nodes[job], size=n).astype(np.int32)
        return np.where(rng.random(n) < self.p.work_in_job_areas, in_jobs, anywhere)

    def _days(self):
        env = self.twin.env
        rng = self._rng
        tick = self.mobility.tick_s
        day = 0
        while True:
            day_start = day * 86400.0
            weekday = (self.twin.start.weekday() + day) % 7 < 5
            if weekday:
                idx = np.nonzero(self.commutes)[0].astype(np.int32)
                go = np.clip(rng.normal(self.p.morning_mean_h, self.p.morning_sd_h, len(idx)), 5.0, 11.0)
                back = np.clip(rng.normal(self.p.evening_mean_h, self.p.evening_sd_h, len(idx)), 12.5, 22.0)
                # a release at each tick: who leaves in [t, t + tick)
                times = np.concatenate([go, back]) * 3600.0 + day_start
                who = np.concatenate([idx, idx])
                outbound = np.concatenate([np.ones(len(idx), bool), np.zeros(len(idx), bool)])
                slot = np.floor(times / tick).astype(np.int64)
                order = np.lexsort((who, slot))
                slot, who, outbound = slot[order], who[order], outbound[order]
                bounds = np.nonzero(np.diff(slot))[0] + 1
                for grp in np.split(np.arange(len(slot)), bounds):
                    if not len(grp):
                        continue
                    t = slot[grp[0]] * tick
                    if t > env.now:
                        yield env.timeout(t - env.now)
                    self._release(who[grp], outbound[grp])
            day += 1
            nxt = day * 86400.0
            if nxt > env.now:
                yield env.timeout(nxt - env.now)

    def _release(self, who: np.ndarray, outbound: np.ndarray) -> None:
        moving = self.mobility.fleet.moving[who]
        who, outbound = who[~moving], outbound[~moving]   # still on the way: skip this trip
        if not len(who):
            return
        origin = np.where(outbound, self.home[who], self.work[who])
        dest = np.where(outbound, self.work[who], self.home[who])
        car = self.car[who]
        self.mobility.request(who[car], origin[car], dest[car], "car")
        self.mobility.request(who[~car], origin[~car], dest[~car], "walk")

    def kpis(self) -> dict:
        return {"citizens": self.population, "commuters": int(self.commutes.sum()),
                "car_commuters": int((self.commutes & self.car).sum())}
