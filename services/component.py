"""The city hall in a run: citizens' reports and permit applications worked through to the end.

:class:`CityServices` (component ``"services"``) subscribes to the citizens' events and runs
the workflow of the issue::

    report_filed ─► CityHall.submit (validate, de-duplicate, assign, store) ─► notify (received)
                     │
                     ├─ field work ─► CrewPool: queue ─► nearest free crew drives there ─► works
                     └─ desk work  ─► Desk: queue ─► a clerk handles it (a caller may give up)
                                                         │
                      request_closed ◄─ CityHall.set_stage(resolved) ◄┘ ─► notify (solved)
                           │
                           └─► the citizen may rate it (agents.demand) ─► CityHall.feedback

Duplicates wait for the request they duplicate and close with it. :class:`SlaMonitor` flags
breaches; :class:`Counters` keeps the live figures, published hourly.

**Backends.** By default the city hall runs in process on a SQLite file in the run directory
(``services.sqlite``), or on any database given by ``db_url`` (PostgreSQL). With ``url`` set
(``twin run --services-url``) the same requests go over HTTP to an Open311 endpoint — ours or a
vendor's — through :class:`services.client.Open311Client`; the crews and desks still run in the
twin, and report their progress with the staff extension when a ``staff_key`` is given.

Events (topics under ``city/<slug>/services/``): ``requests`` — ``request_received``,
``request_rejected``, ``request_assigned``, ``request_in_progress``, ``request_closed``,
``citizen_gave_up``; ``permits`` — ``permit_decided``; ``sla`` — ``sla_breached``; ``notify`` —
``notification``; ``monitor`` — ``counters``; ``support`` — ``support_answered``,
``support_abandoned`` (the support line of the digital services, :mod:`services.support`, when the
run has an adoption funnel).
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services import catalogue as C
from services.crews import Crew, CrewPool, shift_of
from services.desks import Desk, Hours
from services.errors import RequestError
from services.monitor import Counters, SlaMonitor
from services.notify import Notifier
from twin.mobility import Mobility


class ServicesParams(BaseModel):
    """How the city hall of a run is set up."""

    model_config = ConfigDict(extra="forbid")
    # the store: None = services.sqlite in the run directory; or a SQLAlchemy URL
    db_url: str | None = None
    db_schema: str | None = None
    # an Open311 endpoint to drive over HTTP instead of the in-process city hall
    url: str | None = None
    api_key: str | None = None
    staff_key: str | None = None
    # staff per department (crews or clerks), overriding the catalogue
    staff: dict[str, int] = Field(default_factory=dict)
    dedupe_m: float = Field(50.0, ge=0)
    retention_days: int = Field(90, ge=1)
    sla_check_min: float = Field(5.0, gt=0)
    counters_every_min: float = Field(60.0, gt=0)
    permit_approval_share: float = Field(0.85, ge=0, le=1)
    # clerks for a field department's own office (its permits)
    office_clerks: int = Field(2, ge=1)


@dataclass
class Job:
    id: int
    citizen: str
    service_code: str
    department: str
    priority: int
    t0: float
    due_s: float
    lon: float
    lat: float
    district: str | None
    lang: str | None
    notify: str | None
    access: list = field(default_factory=list)
    group: str = "reports"
    duplicates: list = field(default_factory=list)
    device: str | None = None


class LocalBackend:
    """The in-process city hall."""

    def __init__(self, hall):
        self.hall = hall

    def submit(self, **kw):
        return self.hall.submit(**kw)

    def set_stage(self, rid: int, stage: str, note: str | None, by: str) -> None:
        self.hall.set_stage(rid, stage, note, by=by)

    def feedback(self, rid: int, rating: int) -> None:
        self.hall.feedback(rid, rating)


class HttpBackend:
    """An Open311 endpoint over HTTP (see the module docstring)."""

    def __init__(self, client):
        self.client = client
        self.stage_updates_skipped = 0
        self.latency_s: list[float] = []

    def submit(self, **kw):
        import time

        svc = C.SERVICES[kw["service_code"]]
        t = time.perf_counter()
        ans = self.client.submit(kw["service_code"], lat=kw.get("lat"), lon=kw.get("lon"),
                                 description=kw.get("description"), attributes=kw.get("attributes"))
        self.latency_s.append(time.perf_counter() - t)
        rid = ans.get("service_request_id") or ans.get("token")
        return _Remote(int(rid) if str(rid).isdigit() else abs(hash(rid)) % 2**31, svc.code, svc.department,
                       svc.priority, None, kw.get("lat"), kw.get("lon"), None)

    def set_stage(self, rid: int, stage: str, note: str | None, by: str) -> None:
        if not self.client.staff_key:
            self.stage_updates_skipped += 1
            return
        self.client.set_stage(rid, stage, note)

    def feedback(self, rid: int, rating: int) -> None:
        self.client.feedback(rid, rating)


@dataclass
class _Remote:
    id: int
    service_code: str
    department: str
    priority: int
    duplicate_of: int | None
    lat: float | None
    lon: float | None
    district: str | None


class CityServices:
    """The city hall's workflow in a run (see the module docstring)."""

    name = "services"

    def __init__(self, params: ServicesParams | None = None):
        self.p = params or ServicesParams()
        self.rejected: dict[str, int] = {}
        self.gave_up = 0
        self.permits: dict[str, int] = {}
        self.http_errors: dict[int, int] = {}
        self.jobs: dict[int, Job] = {}
        self.store = None
        self.hall = None
        self._tmp = None

    # ---- set-up ------------------------------------------------------------------------------
    def attach(self, twin) -> None:
        from services.geo import CityArea
        from services.hall import CityHall
        from services.store import open_store, sqlite_url

        self.twin = twin
        self.rng = twin.rng.get("services")
        token_rng = twin.rng.get("services_tokens")
        city = twin.city
        self.area = CityArea(city)
        if self.p.url:
            from services.client import Open311Client

            client = Open311Client(self.p.url, self.p.api_key, self.p.staff_key)
            self.backend = HttpBackend(client)
            client.check()                         # unreachable or wrong: fail now, naming --services-url
        else:
            url = self.p.db_url
            if url is None:
                if twin.run_dir is not None:
                    path = twin.run_dir / "services.sqlite"
                else:
                    self._tmp = tempfile.TemporaryDirectory(prefix="twin-services-")
                    path = Path(self._tmp.name) / "services.sqlite"
                for suffix in ("", "-wal", "-shm"):          # a new run starts from an empty store
                    Path(str(path) + suffix).unlink(missing_ok=True)
                url = sqlite_url(path)
            self.store = open_store(url, schema=self.p.db_schema)
            self.hall = CityHall(self.store, self.area, clock=lambda: twin.aware_clock,
                                 dedupe_m=self.p.dedupe_m, retention_days=self.p.retention_days,
                                 token_factory=lambda: token_rng.bytes(16).hex())
            self.backend = LocalBackend(self.hall)
        try:
            self.pop = twin.component("population").pop
        except KeyError:
            self.pop = None
        self.notifier = Notifier(twin)
        self.counters = Counters()
        self.monitor = SlaMonitor(twin, self.hall, self.counters, self.p.sla_check_min)
        self._build_staff()
        self.support = None
        try:
            adoption = twin.component("adoption")
        except KeyError:
            adoption = None
        if adoption is not None and adoption.p.enabled:
            from services.support import SupportLine

            self.support = SupportLine(twin, adoption, self.desks)
        twin.bus.subscribe(twin.topic("citizens/report"), self._on_report)
        twin.bus.subscribe(twin.topic("citizens/permit"), self._on_permit)
        twin.bus.subscribe(twin.topic("citizens/feedback"), self._on_feedback)
        twin.bus.subscribe(twin.topic("streetlight/+/state"), self._on_device_state)
        twin.env.process(self._publish_counters())
        twin.env.process(self._retention())

    def _build_staff(self) -> None:
        twin = self.twin
        from services.dispatch import depot_node

        depot = depot_node(twin.city)
        field_deps = [d for d in C.DEPARTMENTS.values() if d.work == "field"]
        plan = []
        for d in field_deps:
            n = int(self.p.staff.get(d.code, d.staff))
            plan += [(d.code, depot)] * n
        self.crews = [Crew(twin.model, k, dep, node) for k, (dep, node) in enumerate(plan)]
        self.crew_mobility = twin.add(Mobility(max(1, len(self.crews)), kind="crew", tick_s=5.0,
                                               name="crew_mobility"))
        self.crew_mobility.location[:len(self.crews)] = [c.node for c in self.crews]
        if self.crews:
            self.crew_mobility.names[:len(self.crews)] = np.array([c.name for c in self.crews], dtype=object)
        self.crew_mobility.on_arrival.append(self._crew_arrived)
        self.pools: dict[str, CrewPool] = {}
        for d in field_deps:
            crews = [c for c in self.crews if c.department == d.code]
            if crews:
                self.pools[d.code] = CrewPool(twin, d, crews, self.crew_mobility, self.rng, shift_of(d),
                                              on_assigned=self._assigned, on_site=self._on_site,
                                              on_done=self._crew_done)

        self._pool_of_crew = {c.index: self.pools[c.department] for c in self.crews}
        self.desks: dict[str, Desk] = {}
        self.counters.pools = self.pools
        self.counters.desks = self.desks

    def _desk(self, department: str) -> Desk:
        desk = self.desks.get(department)
        if desk is None:
            d = C.DEPARTMENTS[department]
            clerks = int(self.p.staff.get(department, d.staff)) if d.work == "desk" else self.p.office_clerks
            desk = Desk(self.twin.env, department, max(1, clerks), d.mean_work_min, self.rng,
                        hours=Hours(8, 16, True), clock=lambda now: self.twin.start + timedelta(seconds=now),
                        on_start=self._desk_start, on_done=self._desk_done, on_abandon=self._gave_up)
            self.desks[department] = desk
        return desk

    def _crew_arrived(self, agents, dests, times) -> None:
        for idx in agents.tolist():
            pool = self._pool_of_crew.get(idx)
            if pool is not None:
                pool.arrived(idx)

    # ---- intake ------------------------------------------------------------------------------
    def _profile(self, citizen: str) -> dict:
        if self.pop is None or not citizen.startswith("citizen:"):
            return {}
        return self.pop.profile(int(citizen.split(":")[1]))

    def _on_report(self, event) -> None:
        if event.kind != "report_filed":
            return
        pl = event.payload
        self._intake(event, pl["service_code"], pl.get("description"), pl.get("channel"), pl.get("lang"),
                     pl.get("notify"), pl.get("access_needs") or [], attributes=_default_attributes(pl["service_code"]))

    def _on_permit(self, event) -> None:
        if event.kind != "permit_application":
            return
        prof = self._profile(event.entity)
        self._intake(event, event.payload["permit_type"], None, event.payload.get("channel"),
                     event.payload.get("lang"), prof.get("notify"), prof.get("access_needs") or [])

    def _on_device_state(self, event) -> None:
        """A device that reports a fault of a public service (a dark streetlight) files a request
        itself; the crew's fix comes back as ``request_closed`` with the ``device`` id."""
        pl = event.payload
        if event.kind != "device_state" or pl.get("status") != "faulty" or not pl.get("service_code"):
            return
        self._intake(event, pl["service_code"], f"Device {event.entity} reports a fault ({pl.get('reason')})",
                     "iot", "ro", None, [], device=event.entity)

    def _intake(self, event, code, description, channel, lang, notify, access, attributes=None,
                device: str | None = None) -> None:
        twin = self.twin
        svc = C.SERVICES.get(code)
        try:
            if svc is None:
                raise RequestError("is not in the catalogue", field="service_code", value=code)
            lat = None if math.isnan(event.lat) else event.lat
            lon = None if math.isnan(event.lon) else event.lon
            sub = self.backend.submit(service_code=code, lat=lat, lon=lon, description=description,
                                      attributes=attributes, citizen=None if device else event.entity,
                                      channel=channel, lang=lang, notify=notify,
                                      source="sensor" if device else "twin")
        except RequestError as exc:
            self.rejected[code] = self.rejected.get(code, 0) + 1
            if exc.code >= 500 or self.p.url:
                self.http_errors[exc.code] = self.http_errors.get(exc.code, 0) + 1
            twin.emit("services/requests", "request_rejected", event.entity, event.ref, event.lon, event.lat,
                      service_code=str(code), reason=str(exc), code=exc.code)
            return
        now = twin.now
        dup = sub.duplicate_of
        job = Job(sub.id, f"device:{device}" if device else event.entity, svc.code, svc.department, svc.priority,
                  now, now + svc.sla_h * 3600.0, event.lon, event.lat, sub.district, lang, notify, list(access),
                  svc.group, device=device)
        self.counters.receive(svc.department, sub.district, dup is not None)
        twin.emit("services/requests", "request_received", event.entity, f"request:{sub.id}", event.lon, event.lat,
                  service_code=svc.code, department=svc.department, priority=svc.priority, channel=channel,
                  district=sub.district, duplicate_of=-1 if dup is None else int(dup), due_h=svc.sla_h,
                  problem=event.ref, group=svc.group)
        if dup is not None and dup in self.jobs:
            self.jobs[dup].duplicates.append(job)
            self.notifier.send(event.entity, "duplicate", notify=notify, lang=lang, access=access, lon=event.lon,
                               lat=event.lat, ref=f"request:{sub.id}", id=sub.id, dup=dup)
            return
        self.jobs[sub.id] = job
        self.monitor.watch(sub.id, job.due_s, service_code=svc.code, department=svc.department, sla_h=svc.sla_h,
                           district=sub.district, citizen=event.entity, lon=event.lon, lat=event.lat)
        due = (twin.clock + timedelta(hours=svc.sla_h)).strftime("%d.%m.%Y %H:%M")
        self.notifier.send(event.entity, "received", notify=notify, lang=lang, access=access, lon=event.lon,
                           lat=event.lat, ref=f"request:{sub.id}", id=sub.id,
                           service=svc.ro if lang == "ro" else svc.en, due=due)
        if svc.group == "reports" and svc.work == "field" and svc.department in self.pools and lat is not None:
            node = int(twin.city.nearest_nodes([lon], [lat], mode="drive", core=True)[0])
            self.pools[svc.department].submit(job, node, svc.priority)
        else:
            patience = math.inf
            if channel in ("phone", "in_person") and event.entity.startswith("citizen:") and self.pop is not None:
                patience = float(self.pop.patience_min[int(event.entity.split(":")[1])]) * 60.0
            self._desk(svc.department).submit(job, svc.priority, patience)

    # ---- progress ----------------------------------------------------------------------------
    def _stage(self, job: Job, stage: str, note: str | None, by: str) -> None:
        try:
            self.backend.set_stage(job.id, stage, note, by)
        except RequestError as exc:
            self.http_errors[exc.code] = self.http_errors.get(exc.code, 0) + 1

    def _assigned(self, job: Job, crew, wait_s: float) -> None:
        self._stage(job, "assigned", f"Assigned to {crew.name}", crew.name)
        self.twin.emit("services/requests", "request_assigned", job.citizen, f"request:{job.id}", job.lon, job.lat,
                       department=job.department, to=crew.name, wait_min=round(wait_s / 60.0, 2))

    def _on_site(self, job: Job, crew, travel_s: float) -> None:
        self._stage(job, "in_progress", "Crew on site", crew.name)
        self.twin.emit("services/requests", "request_in_progress", job.citizen, f"request:{job.id}", job.lon,
                       job.lat, department=job.department, by=crew.name, travel_min=round(travel_s / 60.0, 2))
        self.notifier.send(job.citizen, "in_progress", notify=job.notify, lang=job.lang, access=job.access,
                           lon=job.lon, lat=job.lat, ref=f"request:{job.id}", id=job.id)

    def _crew_done(self, job: Job, crew, work_s: float) -> None:
        self._close(job, "resolved", "Fixed by the crew", crew.name)

    def _desk_start(self, job: Job, wait_s: float) -> None:
        self._stage(job, "in_progress", "Being handled", f"desk:{job.department}")
        self.twin.emit("services/requests", "request_in_progress", job.citizen, f"request:{job.id}", job.lon,
                       job.lat, department=job.department, by=f"desk:{job.department}",
                       wait_min=round(wait_s / 60.0, 2))

    def _desk_done(self, job: Job, work_s: float) -> None:
        if job.group == "permits":
            ok = self.rng.random() < self.p.permit_approval_share
            outcome = "approved" if ok else "rejected"
            self.permits[outcome] = self.permits.get(outcome, 0) + 1
            self.twin.emit("services/permits", "permit_decided", job.citizen, f"request:{job.id}", job.lon, job.lat,
                           permit_type=job.service_code, outcome=outcome)
            self._close(job, "resolved" if ok else "rejected",
                        "Permit issued" if ok else "the file is incomplete", f"desk:{job.department}")
        else:
            self._close(job, "resolved", "Answered", f"desk:{job.department}")

    def _gave_up(self, job: Job, waited_s: float) -> None:
        self.gave_up += 1
        self.twin.emit("services/requests", "citizen_gave_up", job.citizen, f"request:{job.id}", job.lon, job.lat,
                       department=job.department, waited_min=round(waited_s / 60.0, 1))
        self._close(job, "rejected", "the citizen left before being served", f"desk:{job.department}")

    def _close(self, job: Job, stage: str, note: str, by: str) -> None:
        self._stage(job, stage, note, by)
        self.jobs.pop(job.id, None)
        self.monitor.closed(job.id)
        for j in [job] + job.duplicates:
            hours = (self.twin.now - j.t0) / 3600.0
            met = self.twin.now <= j.due_s
            if stage == "rejected":
                self.counters.reject(j.department)
            else:
                self.counters.close(j.department, j.district, hours, met)
            self.twin.emit("services/requests", "request_closed", j.citizen, f"request:{j.id}", j.lon, j.lat,
                           service_code=j.service_code, department=j.department, district=j.district, stage=stage,
                           resolution_h=round(hours, 3), sla_met=bool(met), duplicate=j is not job,
                           device=j.device or "")
            self.notifier.send(j.citizen, "closed" if stage == "resolved" else "rejected", notify=j.notify,
                               lang=j.lang, access=j.access, lon=j.lon, lat=j.lat, ref=f"request:{j.id}", id=j.id,
                               note=note)

    def _on_feedback(self, event) -> None:
        if event.kind != "feedback" or not event.ref.startswith("request:"):
            return
        try:
            self.backend.feedback(int(event.ref.split(":")[1]), int(event.payload["rating"]))
        except RequestError as exc:
            self.http_errors[exc.code] = self.http_errors.get(exc.code, 0) + 1

    # ---- housekeeping ------------------------------------------------------------------------
    def _publish_counters(self):
        env = self.twin.env
        while True:
            yield env.timeout(self.p.counters_every_min * 60.0)
            snap = self.counters.snapshot(env.now)
            self.twin.emit("services/monitor", "counters", "city_hall", "", math.nan, math.nan,
                           received=snap["received"], open=snap["open"], closed=snap["closed"],
                           sla_breached=snap["sla_breached"], backlog=snap["backlog"],
                           busy_crews={d: p.busy for d, p in self.pools.items()},
                           busy_clerks={d: k.busy for d, k in self.desks.items()})

    def _retention(self):
        while True:
            yield self.twin.env.timeout(86400.0)
            if self.hall is not None:
                self.hall.purge_personal_data()

    def kpis(self) -> dict:
        out = self.counters.snapshot(self.twin.now or None)
        out["rejected_at_intake"] = self.rejected
        out["gave_up"] = self.gave_up
        out["permits_decided"] = self.permits
        out["notifications"] = self.notifier.sent
        if self.support is not None:
            out["support_line"] = self.support.kpis()
        if self.hall is not None:
            out["store"] = {"url": _safe_url(self.store.url)} | self.hall.counts()
        if isinstance(self.backend, HttpBackend):
            lat = np.asarray(self.backend.latency_s) * 1000
            out["http"] = {"url": self.p.url, "errors": self.http_errors, **self.backend.client.stats(),
                           "stage_updates_skipped": self.backend.stage_updates_skipped,
                           "post_p50_ms": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
                           "post_p95_ms": round(float(np.percentile(lat, 95)), 1) if len(lat) else None}
        return out

    def shutdown(self) -> None:
        """Close the store and connections (called by :meth:`twin.engine.Twin.close`)."""
        if self.store is not None:
            self.store.close()
        if isinstance(getattr(self, "backend", None), HttpBackend):
            self.backend.client.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def _default_attributes(code: str) -> dict | None:
    """Required attributes a citizen's report fills in (the first listed value)."""
    svc = C.SERVICES.get(code)
    if svc is None:
        return None
    return {a.code: a.values[0][0] for a in svc.attributes if a.required and a.values} or None


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
