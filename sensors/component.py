"""The devices in a run: telemetry every interval, faults, recoveries, commands.

:class:`Sensors` (component ``"sensors"``) places the fleet (:mod:`sensors.devices`) and runs
one SimPy process that wakes every ``tick_s`` (60 s) and

1. draws faults (``faulty``, ``silent``, ``drifting``; a streetlight's hazard grows with its
   burn time) and recoveries, publishing each change as a ``device_state`` event on
   ``<type>/<id>/state``;
2. reads every device that is due, from the twin's state: the movement kernel's traffic counts
   (counters, air quality, noise), burst mains (water pressure), the clock (lamps, bins,
   temperature), and builds one SenML pack per device;
3. hands the packs to its **telemetry sinks** (the MQTT bridge publishes each on
   ``city/<slug>/<type>/<id>/telemetry``). Telemetry is not written to the event log row by
   row (a city sends millions of readings a day); a ``telemetry_summary`` per device type goes
   there every hour instead (``log_telemetry: true`` logs every pack as well).

What devices see acts back on the city: a wearable's fall alarm raises a medical emergency
(:meth:`agents.incidents.Incidents.emergency`), a pressure drop reports a burst main
(``discover(i, "sensor")``), a dark streetlight is a ``device_state`` the city hall turns into a
``public_lighting`` request (and the crew's fix repairs the lamp).

**Commands** (:meth:`Sensors.command`, and over MQTT on ``.../cmd``), JSON objects:
``{"cmd": "dim", "level": 0.4}``, ``{"cmd": "on"}``, ``{"cmd": "off"}``, ``{"cmd": "auto"}``
(streetlights); ``{"cmd": "set_interval", "seconds": 120}``, ``{"cmd": "reset"}`` (back to ok),
``{"cmd": "ping"}`` (report now) for any device. Each answers with a ``device_state`` event.
Commands from MQTT wait in a **bounded queue** (:meth:`Sensors.queue_command`) until the next
tick: at most ``max_queued_commands`` (10,000) of at most 4 KiB each (a longer payload is kept
cut, and refused at the tick like any command too long); one more is dropped and counted
(``kpis()["sensors"]["commands"]["dropped"]``, beside ``applied`` and ``refused``).
"""
from __future__ import annotations

import math
import queue

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from sensors import senml
from sensors.devices import (DRIFTING, FAULTY, OK, PREFIX, SILENT, STATUSES, TYPES, SensorParams, air_quality,
                             lamps_on, place, temperature)

NEAR_M = 300.0          # roads whose traffic a sensor hears
LEAK_M = 800.0          # how far a burst main drops the pressure
BASE_PRESSURE = 350_000.0
COMMAND_MAX_BYTES = 4096  # a command is a small flat JSON object


class Sensors:
    """The IoT fleet of a run (see the module docstring)."""

    name = "sensors"

    def __init__(self, params: SensorParams | None = None):
        self.p = params or SensorParams()
        self.sinks: list = []
        self.commands: "queue.Queue[tuple[str, bytes]]" = queue.Queue(maxsize=self.p.max_queued_commands)
        self.sent = {k: 0 for k in TYPES}
        self.readings = 0
        self.state_changes = {k: 0 for k in STATUSES}
        self.alarms = 0
        self.leaks_found = 0
        self.commands_applied = 0
        self.commands_refused = 0
        self.commands_dropped = 0
        self._summary: dict[str, list] = {k: [] for k in TYPES}
        self.lost_in_outage: dict[str, int] = {}
        self._unreported: set[int] = set()
        self._frozen: dict[int, list] = {}

    # ---- set-up ------------------------------------------------------------------------------
    def attach(self, twin) -> None:
        self.twin = twin
        self.rng = twin.rng.get("sensors")
        try:
            self.pop = twin.component("population").pop
        except KeyError:
            self.pop = None
        self.fleet, self.worn_by = place(twin.city, self.pop, self.p, self.rng)
        f = self.fleet
        city = twin.city
        a = city.arrays
        # roads near each air-quality and noise sensor: a sparse (sensor × edge) matrix
        edges = np.arange(city.n_edges)
        mx = (a["node_x"][a["edge_u"]] + a["node_x"][a["edge_v"]]) / 2
        my = (a["node_y"][a["edge_u"]] + a["node_y"][a["edge_v"]]) / 2
        tree = cKDTree(np.column_stack([mx, my]))
        self.hears = np.concatenate([f.of("air_quality"), f.of("noise")])
        rows, cols = [], []
        for r, k in enumerate(self.hears):
            near = tree.query_ball_point([a["node_x"][f.node[k]], a["node_y"][f.node[k]]], NEAR_M)
            rows += [r] * len(near)
            cols += near
        self.near = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(self.hears), len(edges)))
        self.heard = np.zeros(len(self.hears))            # traffic entries heard since the last report
        self._hear_row = np.full(len(f), -1, np.int64)
        self._hear_row[self.hears] = np.arange(len(self.hears))
        self.mobility = None
        try:
            self.mobility = twin.component("mobility")
            self._last_traffic = self.mobility.fleet.traffic.astype(np.int64).copy()
        except KeyError:
            self._last_traffic = np.zeros(city.n_edges, np.int64)
        self._tc_last = np.zeros(len(f), np.int64)
        if self.mobility is not None:
            tcs = f.of("traffic_counter")
            self._tc_last[tcs] = self.mobility.fleet.traffic[f.extra["edge"][tcs]]
        self._wp_xy = np.column_stack([a["node_x"][f.node[f.of("water_pressure")]],
                                       a["node_y"][f.node[f.of("water_pressure")]]])
        self.leak_incident = np.full(len(f), -1, np.int64)
        self.wearer = {int(k): int(c) for k, c in zip(f.of("wearable"), self.worn_by)}
        try:
            self.incidents = twin.component("incidents")
        except KeyError:
            self.incidents = None
        twin.bus.subscribe(twin.topic("incidents/water_main"), self._on_water_main)
        twin.bus.subscribe(twin.topic("services/requests"), self._on_request_closed)
        twin.conditions.listeners.append(self._on_conditions)
        twin.env.process(self._loop())
        twin.env.process(self._summaries())

    # ---- the loop ----------------------------------------------------------------------------
    def _loop(self):
        env = self.twin.env
        dt = self.p.tick_s
        while True:
            yield env.timeout(dt)
            self._apply_queued_commands()
            self._hear_traffic()
            self._faults(dt)
            self._falls(dt)
            due = np.nonzero((self.fleet.next_due <= env.now) & (self.fleet.status != SILENT))[0]
            silent = np.nonzero((self.fleet.next_due <= env.now) & (self.fleet.status == SILENT))[0]
            self.fleet.next_due[silent] += self.fleet.interval[silent]
            if len(due):
                self._report(due)

    def _hear_traffic(self) -> None:
        if self.mobility is None:
            return
        traffic = self.mobility.fleet.traffic.astype(np.int64)
        delta = traffic - self._last_traffic
        self._last_traffic = traffic
        if len(self.hears):
            self.heard += self.near @ delta

    def _faults(self, dt: float) -> None:
        f = self.fleet
        day = dt / 86400.0
        ok = np.nonzero(f.status == OK)[0]
        if len(ok):
            hazard = np.full(len(ok), self.p.failures_per_day.get("faulty", 0.0))
            lamps = f.type[ok] == TYPES.index("streetlight")
            hazard[lamps] *= 1.0 + self.p.streetlight_wear * f.extra["burn_s"][ok[lamps]] / (365 * 86400)
            u = self.rng.random(len(ok))
            p_f = hazard * day
            p_s = self.p.failures_per_day.get("silent", 0.0) * day
            p_d = self.p.failures_per_day.get("drifting", 0.0) * day
            for k in ok[u < p_f]:
                self._set(int(k), FAULTY, "failure")
            for k in ok[(u >= p_f) & (u < p_f + p_s)]:
                self._set(int(k), SILENT, "no signal")
            for k in ok[(u >= p_f + p_s) & (u < p_f + p_s + p_d)]:
                self._set(int(k), DRIFTING, "calibration drift")
                f.drift[k] = 0.0
        drifting = f.status == DRIFTING
        f.drift[drifting] += self.rng.normal(self.p.drift_per_h, 0.004, int(drifting.sum())) * dt / 3600.0
        back = np.nonzero(((f.status == SILENT) | (f.status == DRIFTING))
                          & (self.rng.random(len(f)) < dt / (self.p.recover_h * 3600.0)))[0]
        for k in back:
            self._set(int(k), OK, "recovered")

    def _falls(self, dt: float) -> None:
        wr = self.fleet.of("wearable")
        if not len(wr) or self.p.falls_per_wearer_per_day <= 0:
            return
        n = self.rng.poisson(self.p.falls_per_wearer_per_day * len(wr) * dt / 86400.0)
        for k in self.rng.choice(wr, size=n) if n else []:
            k = int(k)
            if self.fleet.status[k] in (SILENT, FAULTY):
                continue                                    # a dead wearable cannot call for help
            self.alarms += 1
            node = int(self.fleet.node[k])
            c = self.wearer.get(k)
            if self.mobility is not None and c is not None and self.mobility.location[c] >= 0:
                node = int(self.mobility.location[c])
            self._state(k, alarm="fall")
            self._emit(k, [("fall", None, True), ("hr", "beat/min", float(self.rng.normal(110, 12)))])
            if self.incidents is not None:
                self.incidents.emergency("medical", node, citizen=c, how="wearable")

    # ---- readings ----------------------------------------------------------------------------
    def _report(self, due: np.ndarray) -> None:
        f = self.fleet
        clock = self.twin.clock
        hour = clock.hour + clock.minute / 60.0
        month = clock.month
        f.next_due[due] += f.interval[due]
        for ti, kind in enumerate(TYPES):
            ks = due[f.type[due] == ti]
            if len(ks):
                getattr(self, f"_read_{kind}")(ks, hour, month)

    def _emit(self, k: int, readings: list[tuple]) -> None:
        f = self.fleet
        kind = TYPES[f.type[k]]
        if self.twin.conditions.down("mqtt"):              # the broker is out: the pack is lost
            self.lost_in_outage[kind] = self.lost_in_outage.get(kind, 0) + 1
            return
        if f.status[k] == FAULTY and kind not in ("streetlight", "traffic_counter"):
            readings = self._frozen.setdefault(k, readings)     # a broken sensor is stuck at a value
        self.sent[kind] += 1
        self.readings += len(readings)
        self._summary[kind].append(readings[0][2] if not isinstance(readings[0][2], bool) else float(readings[0][2]))
        if not self.sinks and not self.p.log_telemetry:
            return                      # nobody reads the pack (no MQTT sink, no telemetry log): not built
        pack = senml.pack(f.ids[k], self.twin.unix_time, readings)
        topic = self.twin.topic(f"{kind}/{f.ids[k]}/telemetry")
        for sink in self.sinks:
            sink(topic, pack)
        if self.p.log_telemetry:
            self.twin.emit(f"{kind}/{f.ids[k]}/telemetry", "telemetry", f.ids[k], "", f.lon[k], f.lat[k], senml=pack)

    def _drift(self, k: int, value: float) -> float:
        return value * (1.0 + self.fleet.drift[k]) if self.fleet.status[k] == DRIFTING else value

    def _read_streetlight(self, ks, hour, month):
        f = self.fleet
        auto_on = lamps_on(hour, month)
        for k in ks.tolist():
            mode = f.extra["mode"][k]
            on = (auto_on if mode == 0 else mode == 1) and f.status[k] != FAULTY
            if on:
                f.extra["burn_s"][k] += f.interval[k]
            dim = float(f.extra["dim"][k]) if on else 0.0
            self._emit(k, [("on", None, bool(on)), ("dim", "/", dim), ("power", "W", self._drift(k, 70.0 * dim)),
                           ("burn", "s", float(f.extra["burn_s"][k]))])

    def _heard(self, ks) -> np.ndarray:
        rows = self._hear_row[ks]
        h = self.heard[rows].copy()
        self.heard[rows] = 0.0
        scale = 3600.0 / self.fleet.interval[ks]                     # entries per hour
        return h * scale

    def _read_air_quality(self, ks, hour, month):
        pm25, pm10, no2 = air_quality(hour, month, self._heard(ks), self.rng)
        temp = temperature(hour, month) + self.twin.conditions.temp_offset_c
        for j, k in enumerate(ks.tolist()):
            self._emit(k, [("pm25", "kg/m3", self._drift(k, pm25[j]) * 1e-9),
                           ("pm10", "kg/m3", self._drift(k, pm10[j]) * 1e-9),
                           ("no2", "kg/m3", self._drift(k, no2[j]) * 1e-9),
                           ("temp", "Cel", temp + float(self.rng.normal(0, 0.3)))])

    def _read_noise(self, ks, hour, month):
        per_h = self._heard(ks)
        night = hour < 6 or hour >= 22
        db = (38.0 if night else 48.0) + 8.0 * np.log10(1.0 + per_h) + self.rng.normal(0, 1.5, len(ks))
        for j, k in enumerate(ks.tolist()):
            self._emit(k, [("spl", "Bspl", self._drift(k, float(db[j])) / 10.0)])

    def _read_traffic_counter(self, ks, hour, month):
        f = self.fleet
        for k in ks.tolist():
            now = int(self.mobility.fleet.traffic[f.extra["edge"][k]]) if self.mobility is not None else 0
            count = now - int(self._tc_last[k])
            self._tc_last[k] = now
            if f.status[k] == FAULTY:
                count = 0
            self._emit(k, [("vehicles", "count", float(round(self._drift(k, count))))])

    def _read_waste_bin(self, ks, hour, month):
        f = self.fleet
        for k in ks.tolist():
            daytime = 1.5 if 7 <= hour < 22 else 0.2
            f.extra["fill"][k] = min(100.0, f.extra["fill"][k] + f.extra["fill_rate"][k] * daytime * f.interval[k] / 86400)
            if 5 <= hour < 6 and f.extra["fill"][k] > 30:              # the morning round
                f.extra["fill"][k] = self.rng.uniform(0, 5)
                f.extra["full"][k] = False
            if f.extra["fill"][k] >= 90 and not f.extra["full"][k]:
                f.extra["full"][k] = True
                self._state(k, alarm="full")
            self._emit(k, [("fill", "%", self._drift(k, float(f.extra["fill"][k])))])

    def _read_water_pressure(self, ks, hour, month):
        f = self.fleet
        demand = 0.08 * math.exp(-((hour - 7.5) ** 2) / 2) + 0.06 * math.exp(-((hour - 20) ** 2) / 3)
        for k in ks.tolist():
            i = int(self.leak_incident[k])
            if i >= 0 and (self.incidents is None or i not in self.incidents.open):
                self.leak_incident[k] = -1
                f.extra["leak"][k] = 0.0
            pa = BASE_PRESSURE * (1 - demand - f.extra["leak"][k]) * float(self.rng.normal(1, 0.01))
            pa = self._drift(k, pa)
            self._emit(k, [("pressure", "Pa", pa)])
            if i >= 0 and pa < 0.8 * BASE_PRESSURE and self.incidents is not None:
                if self.incidents.discover(i, "sensor"):
                    self.leaks_found += 1
                    self._state(k, alarm="pressure_drop", incident=f"incident:{i}")

    def _read_wearable(self, ks, hour, month):
        f = self.fleet
        for k in ks.tolist():
            f.extra["battery"][k] = max(0.0, f.extra["battery"][k] - 100.0 * f.interval[k] / (5 * 86400))
            if f.extra["battery"][k] < 15 and 20 <= hour < 21:
                f.extra["battery"][k] = 100.0                        # charged in the evening
            asleep = hour < 6 or hour >= 22
            hr = self.rng.normal(62 if asleep else 74, 6)
            spo2 = min(100.0, self.rng.normal(95.5, 1.2))
            self._emit(k, [("hr", "beat/min", self._drift(k, float(hr))), ("spo2", "%", float(spo2)),
                           ("battery", "%EL", float(f.extra["battery"][k])), ("fall", None, False)])

    # ---- states, incidents, repairs --------------------------------------------------------
    def _set(self, k: int, status: int, reason: str) -> None:
        f = self.fleet
        if f.status[k] == status:
            return
        f.status[k] = status
        f.since[k] = self.twin.now
        self._frozen.pop(k, None)
        if status == OK:
            f.drift[k] = 0.0
        self.state_changes[STATUSES[status]] += 1
        extra = {}
        if status == FAULTY and f.type[k] == TYPES.index("streetlight"):
            if self.twin.conditions.down("mqtt"):
                self._unreported.add(k)                      # the city hall hears of it later
            else:
                extra["service_code"] = "public_lighting"
        self._state(k, reason=reason, **extra)

    def _on_conditions(self, what: str) -> None:
        if what != "mqtt" or self.twin.conditions.down("mqtt"):
            return
        for k in sorted(self._unreported):                   # the broker is back: late fault reports
            if self.fleet.status[k] == FAULTY:
                self._state(k, reason="reported after broker outage", service_code="public_lighting")
        self._unreported.clear()

    def _state(self, k: int, **info) -> None:
        f = self.fleet
        kind = TYPES[f.type[k]]
        self.twin.emit(f"{kind}/{f.ids[k]}/state", "device_state", f.ids[k], "", f.lon[k], f.lat[k],
                       device_type=kind, status=STATUSES[f.status[k]], interval_s=float(f.interval[k]),
                       district=int(f.district[k]), **info)

    def _on_water_main(self, event) -> None:
        if event.kind != "incident" or not len(self._wp_xy):
            return
        x, y = self.twin.city.project([event.lon], [event.lat])
        d = np.hypot(self._wp_xy[:, 0] - x[0], self._wp_xy[:, 1] - y[0])
        wp = self.fleet.of("water_pressure")
        i = int(event.entity.split(":")[1])
        for j in np.nonzero(d <= LEAK_M)[0]:
            k = wp[j]
            self.leak_incident[k] = i
            self.fleet.extra["leak"][k] = 0.33 * (1 - d[j] / LEAK_M / 2)

    def _on_request_closed(self, event) -> None:
        dev = event.payload.get("device") if event.kind == "request_closed" else None
        if dev and dev in self.fleet.extra["index"]:
            k = self.fleet.index(dev)
            if self.fleet.status[k] == FAULTY:
                self._set(k, OK, "repaired")

    # ---- commands ----------------------------------------------------------------------------
    def command(self, device_id: str, cmd) -> dict:
        """Apply a command to a device (see the module docstring); returns what it did.

        Raises
        ------
        ValueError
            Unknown device, unknown command, or a bad parameter (named, with its value).
        """
        f = self.fleet
        if device_id not in f.extra["index"]:
            raise ValueError(f"device {device_id!r} does not exist")
        k = f.index(device_id)
        kind = TYPES[f.type[k]]
        if not isinstance(cmd, dict) or not isinstance(cmd.get("cmd"), str):
            raise ValueError(f"command for {device_id}: a JSON object with a 'cmd' string is needed, got {cmd!r}")
        name = cmd["cmd"]
        if name in ("dim", "on", "off", "auto") and kind != "streetlight":
            raise ValueError(f"cmd {name!r}: only streetlights take it; {device_id} is a {kind}")
        if name == "dim":
            level = cmd.get("level")
            if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 <= level <= 1:
                raise ValueError(f"dim: level must be a number from 0 to 1, got {level!r}")
            f.extra["dim"][k] = float(level)
        elif name in ("on", "off", "auto"):
            f.extra["mode"][k] = {"auto": 0, "on": 1, "off": 2}[name]
        elif name == "set_interval":
            s = cmd.get("seconds")
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 10 <= s <= 86400:
                raise ValueError(f"set_interval: seconds must be a number from 10 to 86400, got {s!r}")
            f.interval[k] = float(s)
            f.next_due[k] = min(f.next_due[k], self.twin.now + float(s))
        elif name == "reset":
            self._set(k, OK, "reset by command")
        elif name == "ping":
            f.next_due[k] = self.twin.now
        else:
            raise ValueError(f"cmd {name!r} is unknown; use dim, on, off, auto, set_interval, reset or ping")
        self.commands_applied += 1
        self._state(k, cmd=name, dim=float(f.extra["dim"][k]), mode=("auto", "on", "off")[f.extra["mode"][k]])
        return {"device": device_id, "cmd": name, "status": STATUSES[f.status[k]]}

    @staticmethod
    def parse_command(topic: str, payload) -> dict:
        """A command payload from MQTT (untrusted: anyone who may publish on the broker) as a dict.

        It goes through :func:`twin.untrusted.loads` (at most 4096 bytes and 4 levels of nesting,
        checked before parsing: a command is a small flat object such as ``{"cmd": "dim",
        "level": 0.4}``), and must be a JSON object with a ``cmd`` string.

        Raises
        ------
        twin.untrusted.UntrustedJSONError
            Anything else, with a message naming the topic and the reason (never the payload).
        """
        from twin.untrusted import UntrustedJSONError, loads

        what = f"command on {str(topic)[:200]}"
        cmd = loads(payload, max_bytes=COMMAND_MAX_BYTES, max_depth=4, what=what)
        if not isinstance(cmd, dict) or not isinstance(cmd.get("cmd"), str):
            raise UntrustedJSONError(what, 'must be a JSON object with a "cmd" string, e.g. {"cmd": "ping"}')
        return cmd

    def queue_command(self, topic: str, payload: bytes) -> bool:
        """Queue a command that arrived over MQTT (any thread) for the next tick; return ``False``
        and count it ``dropped`` when ``max_queued_commands`` are already waiting. At most
        ``COMMAND_MAX_BYTES`` + 1 bytes of the payload are kept: enough for the parser to refuse
        one that is too long, never a broker's 256 MB."""
        try:
            self.commands.put_nowait((topic, bytes(payload[:COMMAND_MAX_BYTES + 1])))
            return True
        except queue.Full:
            self.commands_dropped += 1
            return False

    def _apply_queued_commands(self) -> None:
        while True:
            try:
                topic, payload = self.commands.get_nowait()
            except queue.Empty:
                return
            parts = topic.split("/")
            device_id = parts[-2] if len(parts) >= 2 else ""
            try:
                cmd = self.parse_command(topic, payload)
                self.command(device_id, cmd)
            except (ValueError, TypeError) as exc:
                self.commands_refused += 1
                k = self.fleet.extra["index"].get(device_id)
                if k is not None:
                    self._state(k, error=str(exc))

    # ---- summaries ---------------------------------------------------------------------------
    def _summaries(self):
        while True:
            yield self.twin.env.timeout(3600.0)
            f = self.fleet
            for ti, kind in enumerate(TYPES):
                v = self._summary[kind]
                if not v:
                    continue
                ks = f.type == ti
                self.twin.emit(f"sensors/{kind}", "telemetry_summary", kind, "", math.nan, math.nan,
                               reports=len(v), mean_first_reading=round(float(np.mean(v)), 9),
                               devices=int(ks.sum()), ok=int((f.status[ks] == OK).sum()),
                               faulty=int((f.status[ks] == FAULTY).sum()), silent=int((f.status[ks] == SILENT).sum()),
                               drifting=int((f.status[ks] == DRIFTING).sum()))
                self._summary[kind] = []

    def kpis(self) -> dict:
        f = self.fleet
        return {"devices": {k: int((f.type == i).sum()) for i, k in enumerate(TYPES)},
                "status_now": {s: int((f.status == i).sum()) for i, s in enumerate(STATUSES)},
                "messages": self.sent, "readings": self.readings, "state_changes": self.state_changes,
                "fall_alarms": self.alarms, "leaks_found": self.leaks_found,
                "commands": {"applied": self.commands_applied, "refused": self.commands_refused,
                             "dropped": self.commands_dropped, "queue_limit": self.p.max_queued_commands},
                "lost_in_outage": dict(sorted(self.lost_in_outage.items())), "id_prefixes": PREFIX}
