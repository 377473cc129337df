"""A live twin for ``twin serve --gtfs-rt``: the city's buses running now, as GTFS-Realtime.

:class:`LiveTransit` builds a twin of the city from a scenario (``baseline`` by default, with a
small population so the buses have riders) whose clock starts at the current local time in
Brașov, and advances it in a background thread at ``speed`` simulated seconds per wall second
(1: real time). :meth:`LiveTransit.feed` encodes the buses' state at that moment
(:func:`agents.realtime.feed_bytes`); ``twin serve`` answers ``GET /gtfs-rt/trip-updates.pb``
and ``GET /gtfs-rt/vehicle-positions.pb`` with it. A run with ``--mqtt`` publishes the same
feeds on MQTT (:class:`agents.realtime.RealtimeFeed`).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime

from twin.errors import TwinError


class LiveTransit:
    """The buses of a twin running in a background thread (see the module docstring).

    Parameters
    ----------
    city
        A loaded :class:`twin.city.City` with a GTFS feed beside it.
    population
        Citizens of the live twin (riders for the buses).
    speed
        Simulated seconds per wall second.
    scenario
        Library name or YAML file of the scenario (its ``start`` is replaced by now).
    start
        Local start time (default: now, Europe/Bucharest, to the second).
    """

    def __init__(self, city, population: int = 2000, speed: float = 1.0, scenario: str = "baseline",
                 start: datetime | None = None, seed: int = 0, step_s: float = 0.5):
        from scenarios import load_scenario
        from twin.engine import TZ
        from twin_app.run import build_twin

        from twin.gtfs import find_gtfs

        if not speed > 0:
            raise TwinError(f"--gtfs-rt-speed must be > 0, got {speed!r}")
        if find_gtfs(city) is None:
            raise TwinError(f"--gtfs-rt: the city {city.name!r} has no GTFS feed beside it "
                            f"(<data>/gtfs/<city>_*.zip for <data>/osm/<city>_*.osm.bz2)")
        start = start or datetime.now(TZ).replace(tzinfo=None, microsecond=0)
        sc = load_scenario(scenario, population=population, start=start, seed=seed)
        self.twin = build_twin(sc, city)
        self.buses = self.twin.component("journeys").buses
        if self.buses is None:
            self.twin.close()
            raise TwinError(f"--gtfs-rt: the city {city.name!r} has no GTFS timetable beside it (../gtfs/), "
                            f"or its scenario turns the buses off")
        self.speed = float(speed)
        self.step_s = float(step_s)
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="live-transit", daemon=True)

    def start(self) -> LiveTransit:
        self._thread.start()
        return self

    def _loop(self) -> None:
        wall0, sim0 = time.monotonic(), self.twin.now
        try:
            while not self._stop.wait(self.step_s):
                target = sim0 + (time.monotonic() - wall0) * self.speed
                with self.lock:
                    if target > self.twin.now:
                        self.twin.run((target - self.twin.now) / 3600.0)
        except Exception as exc:                     # noqa: BLE001 - reported by the feed's caller
            self.error = f"{type(exc).__name__}: {exc}"

    def feed(self, kind: str) -> bytes:
        """The GTFS-Realtime feed ``kind`` (``trip-updates`` or ``vehicle-positions``) now."""
        from agents.realtime import feed_bytes

        with self.lock:
            return feed_bytes(self.buses, kind)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self.twin.close()
