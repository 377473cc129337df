"""The engine: one simulated clock, one Mesa model, named random streams, the bus and the log.

A :class:`Twin` is a simulation run. It owns

* ``env`` — the SimPy environment; ``env.now`` is seconds since ``start`` (a local datetime);
* ``model`` — the Mesa :class:`CityModel` that holds the few rich agents (crews, ambulances,
  devices) in its AgentSet; citizens live as struct-of-arrays state (see :mod:`twin.movement`),
  because 250,000 Python objects stepped every minute would be far too slow;
* ``rng`` — :class:`twin.rng.RandomStreams`, one generator per subsystem;
* ``bus`` — the :class:`twin.bus.EventBus`; ``log`` — the :class:`twin.eventlog.EventLog`;
* ``conditions`` — :class:`twin.conditions.Conditions`: weather, outages and rate multipliers
  that a scenario's timeline changes during the run;
* ``components`` — the subsystems plugged in with :meth:`Twin.add` (mobility, population,
  services, sensors ...). A component has a ``name``, ``attach(twin)`` to install its SimPy
  processes and subscriptions, and ``kpis()`` returning a dict for ``kpis.json``.

Data flows one way: components publish events on the bus; the log and the analytics read them.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from pathlib import Path

import mesa
import simpy

import numpy as np

from twin.bus import Event, EventBatch, EventBus
from twin.conditions import Conditions
from twin.eventlog import EventLog
from twin.rng import RandomStreams

DEFAULT_START = datetime(2026, 3, 2, 0, 0, 0)  # a Monday; local time (Europe/Bucharest)
TZ = ZoneInfo("Europe/Bucharest")               # the zone of the simulated clock


class CityModel(mesa.Model):
    """The Mesa model of a run: it holds the Mesa agents and a DataCollector of city KPIs."""

    def __init__(self, twin: "Twin"):
        super().__init__(rng=twin.rng.seed_for("mesa"))
        self.twin = twin


class Twin:
    """One simulation run of one city (see the module docstring).

    Parameters
    ----------
    city
        A :class:`twin.city.City`.
    seed
        The run's seed: every random choice comes from it.
    start
        Local date and time at ``env.now == 0``.
    run_dir
        Folder for ``events.parquet``; no event log is written if None.
    """

    def __init__(self, city, *, seed: int = 0, start: datetime = DEFAULT_START, run_dir: str | Path | None = None):
        self.city = city
        self.seed = int(seed)
        self.start = start
        self.env = simpy.Environment()
        self.rng = RandomStreams(self.seed)
        self.bus = EventBus()
        self.model = CityModel(self)
        self.components: list = []
        self.topic_root = f"city/{city.slug}"
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.closed_edges = np.zeros(0, np.int64)     # roads closed for this run (a scenario's intervention)
        self.walk_open_edges = np.zeros(0, np.int64)  # of those, closed to vehicles only (pavements open)
        self._routers: dict = {}
        self.conditions = Conditions()
        self.log: EventLog | None = None
        if self.run_dir is not None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.log = EventLog(self.run_dir / "events.parquet")
            self.bus.subscribe("#", self.log)

    # ---- composition ---------------------------------------------------------------------------
    def add(self, component):
        """Plug in a component: call its ``attach(self)`` and keep it; returns it."""
        if any(c.name == component.name for c in self.components):
            raise ValueError(f"a component named {component.name!r} is already attached")
        self.components.append(component)
        component.attach(self)
        return component

    def component(self, name: str):
        """The attached component called ``name``."""
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(f"no component named {name!r}; attached: {[c.name for c in self.components]}")

    def close_roads(self, edges, walkable: bool = False) -> None:
        """Close road edges for this run: the routers :meth:`router` returns from now on avoid
        them (components ask for the router when they route, so they never keep a stale one).

        ``walkable``: closed to vehicles only — a road closed to traffic keeps its pavements, so
        the walk router still uses it (a scenario's closure); False: closed to everyone (rubble
        after an earthquake)."""
        edges = np.asarray(edges, np.int64)
        self.closed_edges = np.union1d(self.closed_edges, edges)
        if walkable:
            self.walk_open_edges = np.union1d(self.walk_open_edges, edges)
        else:
            self.walk_open_edges = np.setdiff1d(self.walk_open_edges, edges)
        self._routers.clear()

    def reopen_roads(self, edges) -> None:
        """Reopen road edges closed with :meth:`close_roads`."""
        edges = np.asarray(edges, np.int64)
        self.closed_edges = np.setdiff1d(self.closed_edges, edges)
        self.walk_open_edges = np.setdiff1d(self.walk_open_edges, edges)
        self._routers.clear()

    def router(self, metric: str = "time", mode: str = "drive"):
        """The city's router for this run (avoiding :attr:`closed_edges`)."""
        key = (metric, mode)
        if key not in self._routers:
            closed = self.closed_edges
            if mode == "walk" and len(self.walk_open_edges):
                closed = np.setdiff1d(closed, self.walk_open_edges)      # pavements stay open
            self._routers[key] = self.city.router(metric, mode, closed_edges=closed if len(closed) else None)
        return self._routers[key]

    # ---- time ---------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since :attr:`start`."""
        return float(self.env.now)

    @property
    def clock(self) -> datetime:
        """Simulated local date and time."""
        return self.start + timedelta(seconds=self.env.now)

    @property
    def aware_clock(self) -> datetime:
        """Simulated local date and time, with its time zone."""
        return self.clock.replace(tzinfo=TZ)

    @property
    def unix_time(self) -> float:
        """Simulated time as Unix seconds (UTC)."""
        return self.aware_clock.astimezone(timezone.utc).timestamp()

    def run(self, hours: float, progress=None) -> None:
        """Advance the simulation by ``hours`` (``progress(hours_done)`` called every sim hour)."""
        if not hours >= 0 or math.isinf(hours):
            raise ValueError(f"hours must be a finite number >= 0, got {hours}")
        end = self.env.now + hours * 3600.0
        while self.env.now < end:
            nxt = min(end, (math.floor(self.env.now / 3600.0) + 1) * 3600.0)
            self.env.run(until=nxt)
            if progress is not None:
                progress(self.env.now / 3600.0)

    # ---- events -------------------------------------------------------------------------------
    def topic(self, path: str) -> str:
        """Full topic of a sub-path: ``twin.topic("mobility/citizen")`` → ``city/<slug>/mobility/citizen``."""
        return f"{self.topic_root}/{path}"

    def emit(self, path: str, kind: str, entity: str = "", ref: str = "",
             lon: float = math.nan, lat: float = math.nan, **payload) -> None:
        """Publish an event now on ``city/<slug>/<path>``."""
        self.bus.publish(Event(float(self.env.now), f"{self.topic_root}/{path}", kind, entity, ref,
                               float(lon), float(lat), payload))

    def emit_batch(self, path: str, kind: str, t, entity, lon, lat, ref="", **payload) -> None:
        """Publish many events of one kind at once (see :class:`twin.bus.EventBatch`).

        ``t`` may be one time for all (e.g. ``twin.now``) or an array; ``payload`` values are
        columns (arrays or lists) of the same length as ``entity``.
        """
        n = len(entity)
        if n == 0:
            return
        t = np.asarray(t, np.float64)
        if t.ndim == 0:
            t = np.full(n, t)
        elif t.shape != (n,):
            t = np.broadcast_to(t, (n,))
        self.bus.publish_batch(EventBatch(t, f"{self.topic_root}/{path}", kind, entity,
                                          np.asarray(lon, np.float64), np.asarray(lat, np.float64),
                                          payload, ref))

    # ---- the end of a run -----------------------------------------------------------------------
    def finish(self) -> None:
        """End the run: each component that has end-of-run work does it, once, in the order the
        components were added (its ``finish()``: anchor the ledger's last batch, drain the MQTT
        bridge, ...). Call it after the last :meth:`run` and before the final :meth:`kpis`; the
        run driver does. Running the twin on afterwards is allowed (the live control room does);
        a later ``finish()`` does the new work only."""
        for c in self.components:
            done = getattr(c, "finish", None)
            if done is not None:
                done()

    # ---- results ------------------------------------------------------------------------------
    def kpis(self) -> dict:
        """KPIs of every component, keyed by component name, plus event counts. Pure: reading
        the KPIs changes nothing (end-of-run work belongs in :meth:`finish`)."""
        out = {c.name: c.kpis() for c in self.components}
        out["events"] = {"total": self.bus.published,
                         "by_kind": dict(sorted(self.log.counts.items())) if self.log else {}}
        return out

    def close(self) -> None:
        """Shut down the components that hold resources (their ``shutdown()``: databases,
        connections), then finish the event log."""
        for c in self.components:
            close = getattr(c, "shutdown", None)
            if close is not None:
                close()
        if self.log is not None:
            self.log.close()
