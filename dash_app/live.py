"""A twin running in the background for the City page: play, pause, speed, snapshots.

:class:`LiveTwin` builds a :class:`twin.engine.Twin` from a scenario and advances it in a thread,
``speed`` simulated seconds per wall second, in small steps under a lock. The page asks for a
:meth:`LiveTwin.snapshot` about once a second: where the citizens in motion are (sampled to ``max_points``,
as float32 arrays, and all of them counted on a density grid), where units and crews are, the
open incidents, the devices and their state codes, the clock, and live KPIs from the components'
counters (cheap: nothing is recomputed from the log).

It also keeps what the City page's side panels show: an event feed (:attr:`LiveTwin.feed`: the
latest incidents, dispatches, SLA breaches and device faults, each with where it happened, from
the twin's event bus) and each KPI's recent trend (:attr:`LiveTwin.history`, one sample per
simulated :data:`HISTORY_EVERY_S`). :meth:`LiveTwin.jump_to` can fast-forward in the background
thread in slices (``wait=False``), so the page keeps answering — and shows the clock racing —
while it runs.
"""
from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

#: The moment the City page jumps to: 07:30, when the morning commute fills the roads.
RUSH_HOUR = 7.5
#: Simulated seconds between two samples of the KPI trends.
HISTORY_EVERY_S = 300.0
#: Simulated seconds run per slice of a fast-forward, between which the page's snapshots get in.
JUMP_SLICE_S = 300.0
#: What the event feed shows: event kind → the label of its entries (a device's state only when
#: it is not "ok").
FEED_KINDS = {
    "incident_reported": "incident",
    "dispatched": "dispatch",
    "sla_breached": "SLA breach",
    "device_state": "device fault",
}


def tz_abbrev(clock) -> str:
    """The zone abbreviation (EET/EEST) of a naive Brașov local time, for labelled clocks."""
    from dash_app.data import TZ

    return clock.replace(tzinfo=TZ).strftime("%Z")


def clock_ms(clock) -> float:
    """A naive Brașov local time as milliseconds since 1970-01-01 00:00 *on that same wall clock*
    (as if it were UTC): what the City page's clock counts on from, formatting it back with the
    browser's UTC getters, so the browser's own time zone never enters."""
    import calendar

    return calendar.timegm(clock.timetuple()) * 1000.0 + clock.microsecond / 1000.0


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
        self.feed: deque = deque(maxlen=200)
        self._seq = 0
        root = self.twin.topic_root
        for pattern in (f"{root}/incidents/#", f"{root}/responders/#", f"{root}/services/sla", f"{root}/+/+/state"):
            self.twin.bus.subscribe(pattern, self._on_event)
        self.permits: deque = deque(maxlen=1000)        # the permits issued, as the Ledger page lists them
        self.twin.bus.subscribe(f"{root}/ledger/permits", self._on_permit)
        self.history: deque = deque(maxlen=96)
        self._next_sample = 0.0
        self._jump_until: float | None = None
        self._jump_from, self._jump_hour = 0.0, RUSH_HOUR

    def _on_event(self, e) -> None:
        kind = FEED_KINDS.get(e.kind)
        if kind is None or (e.kind == "device_state" and e.payload.get("status") == "ok"):
            return
        p = e.payload
        if e.kind == "incident_reported":
            what = f"{e.topic.rsplit('/', 1)[-1].replace('_', ' ')} reported ({p.get('discovered_by', '?')})"
        elif e.kind == "dispatched":
            what = f"{e.entity} sent to {e.ref.replace(':', ' ')}, ETA {p.get('eta_s', 0) / 60:.0f} min"
        elif e.kind == "sla_breached":
            what = f"{p.get('service_code', '?').replace('_', ' ')} overdue ({p.get('department', '?')})"
        else:
            what = f"{e.entity} {p.get('status')}" + (f": {p['reason']}" if p.get("reason") else "")
        self._seq += 1
        self.feed.append({"seq": self._seq, "t": e.t, "kind": kind, "what": what,
                          "lon": None if e.lon != e.lon else float(e.lon),
                          "lat": None if e.lat != e.lat else float(e.lat)})

    def _on_permit(self, e) -> None:
        if e.kind == "permit_issued":
            self.permits.append({"permit_id": e.payload.get("permit_id"), "issued_h": round(e.t / 3600, 2),
                                 "tx_hash": e.payload.get("tx_hash"), "request": e.ref})

    def stores(self) -> dict:
        """Where the running twin keeps what the Service desk and the Ledger pages read: the
        database URLs of its services store (``"services.sqlite"``: SQLite, or PostgreSQL with
        ``twin dash --db``, in the schema ``"services.schema"`` when it has one of its own) and
        ledger (``"ledger.sqlite"``; absent when the scenario has none), the permits issued so far
        (``"permits"``), as :mod:`dash_app.data` reads a finished run's folder, and the twin's
        Brașov time when they were read (``"clock"``: ``"09:05:12 EET"``)."""
        out: dict = {}
        with self.lock:
            try:
                store = self.twin.component("services").store
                out["services.sqlite"] = store.engine.url
                out["services.schema"] = store.schema       # PostgreSQL: the store's own schema, if any
            except (KeyError, AttributeError):          # no services, or they go over HTTP elsewhere
                pass
            try:
                out["ledger.sqlite"] = self.twin.component("ledger").ledger.engine.url
            except KeyError:
                pass
            out["permits"] = list(self.permits)
            out["clock"] = self.twin.clock.strftime("%H:%M:%S ") + tz_abbrev(self.twin.clock)
        return out

    def events(self, n: int = 12) -> list[dict]:
        """The latest ``n`` feed entries, newest first, each with its Brașov clock time (``at``)."""
        from datetime import timedelta

        with self.lock:
            items = list(self.feed)[-n:][::-1]
            start = self.twin.start
        return [{**x, "at": (start + timedelta(seconds=x["t"])).strftime("%H:%M")} for x in items]

    def event(self, seq: int) -> dict | None:
        """The feed entry numbered ``seq`` (``None`` once it has scrolled out of the feed)."""
        with self.lock:
            return next((x for x in self.feed if x["seq"] == seq), None)

    def _sample(self) -> None:
        tw = self.twin
        while tw.now >= self._next_sample:
            self.history.append((tw.now, live_kpis(tw), len(tw.component("mobility").fleet.positions()[0])))
            self._next_sample += HISTORY_EVERY_S

    def trends(self) -> dict:
        """Each live KPI's recent samples ``{key: [value, …]}`` (oldest first; ``None`` where it
        had no value yet), plus ``"moving"``: citizens on the move; ``"h"``: the sample times."""
        with self.lock:
            hist = list(self.history)
        out: dict = {"h": [round(t / 3600, 3) for t, _, _ in hist], "moving": [m for _, _, m in hist]}
        for _, k, _ in hist[:1]:
            for key in k:
                out[key] = [x[1][key] for x in hist]
        return out

    def _sink(self, topic: str, pack: list) -> None:
        device = topic.split("/")[-2]
        t = pack[0].get("bt", 0.0)
        values = {r["n"]: r["v"] for r in pack if "v" in r}
        self.telemetry.setdefault(device, deque(maxlen=240)).append((t, values))

    def readings(self, device: str) -> list[tuple[float, dict]]:
        """The last readings of ``device``: ``[(unix time, {quantity: value})]``."""
        with self.lock:
            return list(self.telemetry.get(device, ()))

    def jump_to(self, hour: float = RUSH_HOUR, wait: bool = True) -> float:
        """Simulate, as fast as the machine can, up to the next ``hour`` o'clock of the simulated
        day (the next day's if it has passed), so the map shows a busy city instead of a
        sleeping one. The twin stays consistent: every event up to then happens, just unwatched.

        Parameters
        ----------
        hour : float
            Local time of day to reach, in hours (``7.5`` is 07:30, the morning rush).
        wait : bool
            Run it here and return when there (the default; for a twin not yet started), or
            hand it to the running background thread, which fast-forwards in slices of
            :data:`JUMP_SLICE_S` and lets the page's snapshots in between (:attr:`jumping`).

        Returns
        -------
        float
            The simulated hours it advances.
        """
        if not 0 <= hour < 24:
            raise ValueError(f"hour: {hour!r} is not a time of day in [0, 24)")
        with self.lock:
            tw = self.twin
            since_midnight = (tw.clock.hour * 3600 + tw.clock.minute * 60 + tw.clock.second) / 3600
            ahead = (hour - since_midnight) % 24
            target = tw.now + ahead * 3600
            if wait or not self._thread.is_alive():
                while tw.now < target:
                    tw.env.run(until=min(target, tw.now + JUMP_SLICE_S))
                    self._sample()
            else:
                self._jump_from, self._jump_hour = tw.now, hour
                self._jump_until = target
            return ahead

    @property
    def jumping(self) -> bool:
        """Whether a fast-forward (:meth:`jump_to` with ``wait=False``) is under way."""
        return self._jump_until is not None

    def jump_progress(self) -> tuple[str, float] | None:
        """The fast-forward under way: ``("07:30", share done)``; ``None`` when there is none."""
        until = self._jump_until
        if until is None:
            return None
        h = self._jump_hour
        done = (self.twin.now - self._jump_from) / max(until - self._jump_from, 1e-9)
        return f"{int(h):02d}:{round(h % 1 * 60):02d}", min(max(done, 0.0), 1.0)

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
            if self._jump_until is not None:             # fast-forward, a slice at a time
                try:
                    with self.lock:
                        env = self.twin.env
                        env.run(until=min(self._jump_until, env.now + JUMP_SLICE_S))
                        self._sample()
                        if env.now >= self._jump_until:
                            self._jump_until = None
                except Exception as exc:                    # shown on the page, not swallowed
                    self.error = f"{type(exc).__name__}: {exc}"
                    self._jump_until = None
                    self.playing = False
                time.sleep(0.001)                           # let a waiting snapshot take the lock
                last = time.perf_counter()
                continue
            time.sleep(self.step_s)
            now = time.perf_counter()
            dt, last = now - last, now
            if not self.playing:
                continue
            try:
                with self.lock:
                    env = self.twin.env
                    env.run(until=env.now + max(1e-3, self.speed * dt))
                    self._sample()
            except Exception as exc:                        # shown on the page, not swallowed
                self.error = f"{type(exc).__name__}: {exc}"
                self.playing = False

    # ---- what the page shows ------------------------------------------------------------------
    def snapshot(self) -> dict:
        """What the City page draws now (see the module docstring); the twin's time as text
        (``"clock"``), in simulated seconds (``"sim_s"``) and as :func:`clock_ms` with its zone
        (``"clock_ms"``, ``"tz"``), from which the page's clock counts on between frames."""
        with self.lock:
            tw = self.twin
            a = tw.city.arrays
            mob = tw.component("mobility")
            moving_ids, mlon, mlat = mob.fleet.positions()
            buses, riders = self._buses()
            if len(riders[0]):                           # riding a bus is moving too: at the bus
                moving_ids, mlon, mlat = (np.concatenate([a, b]) for a, b in zip((moving_ids, mlon, mlat), riders))
            order = np.argsort(moving_ids, kind="stable")
            if len(order) > self.max_points:             # evenly spaced over the citizens' ids
                order = order[np.linspace(0, len(order) - 1, self.max_points).round().astype(np.int64)]
            out = {"clock": tw.clock.strftime("%a %d %b %Y %H:%M:%S ") + tz_abbrev(tw.clock),
                   "density": density(tw.city.bbox, mlon, mlat), "jumping": self.jumping,
                   "jump": self.jump_progress(),
                   "sim_h": round(tw.now / 3600, 3), "sim_s": float(tw.now),
                   "clock_ms": clock_ms(tw.clock), "tz": tz_abbrev(tw.clock),
                   "citizens": {"lon": mlon[order].astype(np.float32), "lat": mlat[order].astype(np.float32)},
                   "moving_total": int(len(moving_ids)), "population": int(len(mob.location)),
                   "units": self._fleet("responders", "unit_mobility"), "buses": buses,
                   "crews": self._fleet("services", "crew_mobility"),
                   "incidents": self._incidents(), "devices": self._devices(), "kpis": live_kpis(tw),
                   "playing": self.playing, "speed": self.speed, "error": self.error}
        return out

    def _buses(self) -> tuple[dict, tuple]:
        """The buses in service (``{"lon", "lat", "name"}``: line and load) and their riders
        (ids, lon, lat: each at their bus), from the journeys' vehicles (none without a
        timetable)."""
        none = {"lon": [], "lat": [], "name": []}, (np.zeros(0, np.int32), np.zeros(0), np.zeros(0))
        try:
            buses = self.twin.component("journeys").buses
        except KeyError:
            return none
        if buses is None:
            return none
        vs = buses.vehicles()
        ids = [c for v in vs for c, _ in buses.live[v["vehicle"]].riders]
        lon = np.repeat([v["lon"] for v in vs], [v["load"] for v in vs]) if vs else np.zeros(0)
        lat = np.repeat([v["lat"] for v in vs], [v["load"] for v in vs]) if vs else np.zeros(0)
        shown = {"lon": [v["lon"] for v in vs], "lat": [v["lat"] for v in vs],
                 "name": [f"line {v['line']}: {v['load']} aboard" for v in vs]}
        return shown, (np.asarray(ids, np.int32), lon.astype(float), lat.astype(float))

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
        from sensors.devices import TYPES

        f = self.twin.component("sensors").fleet
        if getattr(self, "_device_meta", None) is None or len(self._device_meta[0]) != len(f.ids):
            self._device_meta = ([str(x) for x in f.ids], [TYPES[t] for t in f.type],
                                 f.lon.astype(np.float32), f.lat.astype(np.float32))
        ids, types, lon, lat = self._device_meta
        return {"lon": lon, "lat": lat, "code": f.status.astype(np.int8), "type": types, "id": ids}


#: Cells of the citizens' density grid along its longer side.
DENSITY_CELLS = 90


def density(bbox, lon, lat, cells: int = DENSITY_CELLS) -> dict:
    """Citizens on the move counted on a grid of roughly square cells over ``bbox``: ``{"x",
    "y"}`` cell centres and ``"z"`` counts (rows south to north; ``None`` where nobody is, so
    the empty cells stay transparent on the map)."""
    import math

    w, s, e, n = bbox
    kx = math.cos(math.radians((s + n) / 2))
    span = max((e - w) * kx, n - s)
    nx, ny = max(2, round(cells * (e - w) * kx / span)), max(2, round(cells * (n - s) / span))
    z, ye, xe = np.histogram2d(np.asarray(lat), np.asarray(lon), bins=[ny, nx], range=[[s, n], [w, e]])
    zz = z.astype(np.int64).astype(object)
    zz[z == 0] = None
    return {"x": ((xe[:-1] + xe[1:]) / 2).round(6).tolist(), "y": ((ye[:-1] + ye[1:]) / 2).round(6).tolist(),
            "z": zz.tolist()}


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
