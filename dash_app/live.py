"""A twin running in the background for the City page: play, pause, speed, snapshots.

:class:`LiveTwin` builds a :class:`twin.engine.Twin` from a scenario and advances it in a thread,
``speed`` simulated seconds per wall second, in small steps under a lock. The page asks for a
:meth:`LiveTwin.snapshot` about once a second: where the citizens in motion are (sampled to ``max_points``),
units and crews are, the open incidents, the devices and their states, the clock, and live KPIs
from the components' counters (cheap: nothing is recomputed from the log).
"""
from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

#: The moment the City page jumps to: 07:30, when the morning commute fills the roads.
RUSH_HOUR = 7.5


def tz_abbrev(clock) -> str:
    """The zone abbreviation (EET/EEST) of a naive Brașov local time, for labelled clocks."""
    from dash_app.data import TZ

    return clock.replace(tzinfo=TZ).strftime("%Z")


class LiveTwin:
    """A scenario running in a background thread (see the module docstring).

    Parameters
    ----------
    scenario
        A :class:`scenarios.schema.Scenario` (its ``hours`` is ignored: the twin runs until
        stopped).
    city
        A loaded :class:`twin.city.City` (else the scenario's).
    speed
        Simulated seconds per wall-clock second.
    max_points
        At most this many moving citizens are drawn (evenly spaced over their ids when more are
        on the move).
    """

    def __init__(self, scenario, city=None, speed: float = 60.0, max_points: int = 10_000, step_s: float = 0.1):
        from twin.city import load_city
        from twin_app.run import build_twin

        self.city = city or load_city(scenario.city)
        self.scenario = scenario
        self.twin = build_twin(scenario, self.city)
        self.speed = float(speed)
        self.max_points = int(max_points)
        self.step_s = step_s
        self.playing = True
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="live-twin", daemon=True)
        # the last readings of every device, as the platform receives them (a sink on the sensors)
        self.telemetry: dict[str, deque] = {}
        self.twin.component("sensors").sinks.append(self._sink)

    def _sink(self, topic: str, pack: list) -> None:
        device = topic.split("/")[-2]
        t = pack[0].get("bt", 0.0)
        values = {r["n"]: r["v"] for r in pack if "v" in r}
        self.telemetry.setdefault(device, deque(maxlen=240)).append((t, values))

    def readings(self, device: str) -> list[tuple[float, dict]]:
        """The last readings of ``device``: ``[(unix time, {quantity: value})]``."""
        with self.lock:
            return list(self.telemetry.get(device, ()))

    def jump_to(self, hour: float = RUSH_HOUR) -> float:
        """Simulate, as fast as the machine can, up to the next ``hour`` o'clock of the simulated
        day (the next day's if it has passed), so the map shows a busy city instead of a
        sleeping one. The twin stays consistent: every event up to then happens, just unwatched.

        Parameters
        ----------
        hour : float
            Local time of day to reach, in hours (``7.5`` is 07:30, the morning rush).

        Returns
        -------
        float
            The simulated hours it advanced.
        """
        if not 0 <= hour < 24:
            raise ValueError(f"hour: {hour!r} is not a time of day in [0, 24)")
        with self.lock:
            tw = self.twin
            since_midnight = (tw.clock.hour * 3600 + tw.clock.minute * 60 + tw.clock.second) / 3600
            ahead = (hour - since_midnight) % 24
            tw.run(ahead)
            return ahead

    def start(self) -> "LiveTwin":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self.lock:
            self.twin.close()

    def _loop(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(self.step_s)
            now = time.perf_counter()
            dt, last = now - last, now
            if not self.playing:
                continue
            try:
                with self.lock:
                    env = self.twin.env
                    env.run(until=env.now + max(1e-3, self.speed * dt))
            except Exception as exc:                        # shown on the page, not swallowed
                self.error = f"{type(exc).__name__}: {exc}"
                self.playing = False

    # ---- what the page shows ------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self.lock:
            tw = self.twin
            a = tw.city.arrays
            mob = tw.component("mobility")
            moving_ids, mlon, mlat = mob.fleet.positions()
            order = np.argsort(moving_ids, kind="stable")
            if len(order) > self.max_points:             # evenly spaced over the citizens' ids
                order = order[np.linspace(0, len(order) - 1, self.max_points).round().astype(np.int64)]
            out = {"clock": tw.clock.strftime("%a %d %b %Y %H:%M:%S ") + tz_abbrev(tw.clock),
                   "sim_h": round(tw.now / 3600, 3),
                   "citizens": {"lon": mlon[order].tolist(), "lat": mlat[order].tolist()},
                   "moving_total": int(len(moving_ids)), "population": int(len(mob.location)),
                   "units": self._fleet("responders", "unit_mobility"),
                   "crews": self._fleet("services", "crew_mobility"),
                   "incidents": self._incidents(), "devices": self._devices(), "kpis": live_kpis(tw),
                   "playing": self.playing, "speed": self.speed, "error": self.error}
        return out

    def _fleet(self, owner: str, mobility: str) -> dict:
        tw = self.twin
        try:
            mob = tw.component(mobility)
        except KeyError:
            return {"lon": [], "lat": [], "name": []}
        a = tw.city.arrays
        n = len(mob.location)
        ids, mlon, mlat = mob.fleet.positions()
        lon, lat = np.full(n, np.nan), np.full(n, np.nan)
        at = mob.location >= 0
        lon[at], lat[at] = a["node_lon"][mob.location[at]], a["node_lat"][mob.location[at]]
        lon[ids], lat[ids] = mlon, mlat
        return {"lon": lon.tolist(), "lat": lat.tolist(), "name": [str(x) for x in mob.names]}

    def _incidents(self) -> dict:
        tw = self.twin
        a = tw.city.arrays
        inc = tw.component("incidents").open
        nodes = [v["node"] for v in inc.values()]
        return {"lon": a["node_lon"][nodes].tolist() if nodes else [], "lat": a["node_lat"][nodes].tolist() if nodes else [],
                "kind": [v["kind"] for v in inc.values()]}

    def _devices(self) -> dict:
        from sensors.devices import STATUSES, TYPES

        f = self.twin.component("sensors").fleet
        return {"lon": f.lon.tolist(), "lat": f.lat.tolist(), "status": [STATUSES[s] for s in f.status],
                "type": [TYPES[t] for t in f.type], "id": [str(x) for x in f.ids]}


def live_kpis(tw) -> dict:
    """Headline KPIs from the components' running counters."""
    out = {"open_requests": None, "sla_compliance": None, "response_min_p50": None, "chat_containment": None,
           "payments": None, "sensor_alerts": None}
    try:
        c = tw.component("services").counters
        out["open_requests"] = int(sum(c.open_now().values()))
        done = c.sla_met + c.sla_missed
        out["sla_compliance"] = round(c.sla_met / done, 3) if done else None
    except (KeyError, AttributeError):
        pass
    try:
        r = tw.component("responders").response_s
        v = [x for xs in r.values() for x in xs]
        out["response_min_p50"] = round(float(np.median(v)) / 60, 1) if v else None
    except KeyError:
        pass
    try:
        ch = tw.component("chatbot")
        out["chat_containment"] = round(ch.contained / ch.conversations, 3) if ch.conversations else None
    except (KeyError, AttributeError):
        pass
    try:
        led = tw.component("ledger")
        out["payments"] = int(led.anchored + len(led.queue))
    except KeyError:
        pass
    try:
        from sensors.devices import OK

        out["sensor_alerts"] = int((tw.component("sensors").fleet.status != OK).sum())
    except KeyError:
        pass
    return out
