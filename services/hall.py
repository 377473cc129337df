"""The city hall: the one place where service requests are created, changed and read.

:class:`CityHall` is plain Python over a :class:`services.store.Store`; the Open311 API, the
twin's citizens (in process) and staff tools all call it, so every path applies the same rules.

A request goes through **stages**::

    received ─► assigned ─► in_progress ─► resolved          (status closed)
        │                                    ▲
        ├─► duplicate  (closes with the request it duplicates)
        └─► rejected                                          (status closed)

:meth:`CityHall.submit` validates (the service exists, required attributes are there and well
typed, the location is inside the city, text is not too long), **de-duplicates** (an open
request for the same field service within ``dedupe_m`` metres and ``dedupe_days`` days makes
the new one its duplicate), **assigns** the department from the catalogue and sets the SLA due
time, and stores the request, its first status change and any personal data (in ``contacts``,
with an expiry) in one transaction. Whatever is refused raises
:class:`services.errors.RequestError` and stores nothing.

Times come from ``clock`` (a function returning an aware datetime): the wall clock for the API
server, the simulated clock in a run.
"""
from __future__ import annotations

import json
import math
import numbers
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, insert, select, update

from services import catalogue as C
from services.errors import RequestError
from services.formats import NOT_XML_CHAR
from services.security import ROLES, hash_key, new_key, pseudonym
from services.store import Store, api_keys, contacts, service_requests, settings, status_changes

TZ = ZoneInfo("Europe/Bucharest")
STAGES = ("received", "assigned", "in_progress", "resolved", "duplicate", "rejected")
CLOSED_STAGES = ("resolved", "rejected")
MAX_DESCRIPTION = 4000
MAX_RESULTS = 1000
CONTACT_FIELDS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40, "device_id": 200,
                  "account_id": 200}
_INSERT_REQUEST_RETURNING = insert(service_requests).returning(service_requests.c.id,
                                                                sort_by_parameter_order=True)
_INSERT_CHANGE = insert(status_changes)
_INSERT_CONTACT = insert(contacts)
_r = service_requests.c
_NEARBY_OPEN = select(_r.id, _r.lat, _r.lon).where(
    _r.service_code == bindparam("code"), _r.status == "open", _r.duplicate_of.is_(None),
    _r.lat.between(bindparam("lat0"), bindparam("lat1")), _r.lon.between(bindparam("lon0"), bindparam("lon1")),
    _r.requested_at >= bindparam("since")).order_by(_r.id)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")


def utc_naive(t: datetime) -> datetime:
    """Naive UTC form of an aware datetime (how the store keeps times)."""
    if t.tzinfo is None:
        raise ValueError(f"time {t!r} has no time zone")
    return t.astimezone(timezone.utc).replace(tzinfo=None)


def w3c(t: datetime | None) -> str | None:
    """A stored (naive UTC) time in Open311's W3C format, local time with its offset."""
    if t is None:
        return None
    return t.replace(tzinfo=timezone.utc).astimezone(TZ).isoformat(timespec="seconds")


def check_text(field: str, value, limit: int) -> str | None:
    """Validate a free-text field: a string, at most ``limit`` characters, only characters
    XML 1.0 allows (no NUL or other C0 control characters except tab and newlines, no lone
    surrogates, no U+FFFE/U+FFFF)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError("must be text", field=field, value=value)
    if len(value) > limit:
        raise RequestError(f"is {len(value)} characters long; at most {limit} are allowed", field=field,
                           value=value)
    bad = NOT_XML_CHAR.search(value)
    if bad is not None:
        ch = bad.group()
        what = ("a control character" if ord(ch) < 32 else "a lone surrogate" if 0xD800 <= ord(ch) <= 0xDFFF
                else "a noncharacter")
        raise RequestError(f"contains {what} (U+{ord(ch):04X} at position {bad.start()}) that text may not hold",
                           field=field, value=None)
    return value


@dataclass(frozen=True)
class Submission:
    """What :meth:`CityHall.submit` created."""

    id: int
    token: str
    service_code: str
    department: str
    priority: int
    stage: str
    duplicate_of: int | None
    requested_at: datetime          # naive UTC
    expected_at: datetime
    citizen: str | None
    lat: float | None
    lon: float | None
    district: str | None

    @property
    def notice(self) -> str:
        dep = C.DEPARTMENTS[self.department]
        if self.duplicate_of is not None:
            return (f"Already reported as request {self.duplicate_of}; you will be told when it is solved. "
                    f"({dep.en})")
        return f"Received by {dep.en}; expected by {w3c(self.expected_at)}."


@dataclass(frozen=True)
class Change:
    """What :meth:`CityHall.set_stage` changed: the request, and the duplicates closed with it."""

    id: int
    service_code: str
    stage: str
    status: str
    citizen: str | None
    requested_at: datetime
    closed_at: datetime | None
    expected_at: datetime | None
    sla_met: bool | None
    duplicates: tuple[tuple[int, str | None], ...] = ()

    @property
    def resolution_h(self) -> float | None:
        if self.closed_at is None:
            return None
        return (self.closed_at - self.requested_at).total_seconds() / 3600.0


class CityHall:
    """Service requests of one jurisdiction (see the module docstring).

    Parameters
    ----------
    store
        Where requests are kept.
    area
        A :class:`services.geo.CityArea` for location checks, districts and addresses; None
        accepts any valid latitude/longitude (and no ``address_string``).
    jurisdiction_id
        Open311 jurisdiction (a request naming another one is refused with 404).
    clock
        Function returning the current aware datetime.
    dedupe_m, dedupe_days
        How near and how recent an open request must be to make a new one its duplicate.
    retention_days
        How long personal data given with a request is kept.
    token_factory
        Function returning a new request token (uuid4 by default; a run passes a seeded one).
    """

    def __init__(self, store: Store, area=None, *, jurisdiction_id: str = "brasov.ro", clock=None,
                 dedupe_m: float = 50.0, dedupe_days: float = 14.0, retention_days: int = 90,
                 token_factory=None):
        self.store = store
        self.area = area
        self.jurisdiction_id = jurisdiction_id
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.dedupe_m = dedupe_m
        self.dedupe_days = dedupe_days
        self.retention_days = retention_days
        self.token_factory = token_factory or (lambda: uuid.uuid4().hex)
        self._secret = self._setting("pseudonym_secret", lambda: new_key())
        city = getattr(area, "city", None)
        self.city_name = city.name if city is not None else "the city"

    # ---- settings ----------------------------------------------------------------------------
    def _setting(self, key: str, default) -> str:
        with self.store.engine.begin() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
            if row is not None:
                return row[0]
            value = default()
            conn.execute(insert(settings).values(key=key, value=value))
            return value

    def now(self) -> datetime:
        """The current time, naive UTC."""
        return utc_naive(self.clock())

    # ---- checks ------------------------------------------------------------------------------
    def check_jurisdiction(self, jurisdiction_id: str | None) -> None:
        if jurisdiction_id not in (None, "", self.jurisdiction_id):
            raise RequestError(f"not found; this server serves {self.jurisdiction_id!r}", code=404,
                               field="jurisdiction_id", value=jurisdiction_id)

    def service(self, code, unknown: int = 404) -> C.Service:
        """The catalogue entry for ``code`` (RequestError 400 if missing; ``unknown`` (404 by
        default, 400 where the code is a parameter of another resource) if not in the catalogue)."""
        if code is None or code == "":
            raise RequestError("is required", field="service_code")
        svc = C.SERVICES.get(code) if isinstance(code, str) else None
        if svc is None:
            raise RequestError("is not a service of this city (GET services lists them)", code=unknown,
                               field="service_code", value=code)
        return svc

    def _attributes(self, svc: C.Service, attributes: dict | None) -> dict:
        given = dict(attributes or {})
        known = {a.code: a for a in svc.attributes}
        out = {}
        for k, v in given.items():
            a = known.get(k)
            if a is None:
                raise RequestError(f"is not an attribute of service {svc.code!r}", field=f"attribute[{k}]",
                                   value=v)
            out[k] = self._attribute_value(a, v)
        for a in svc.attributes:
            if a.required and a.code not in out:
                raise RequestError(f"is required for service {svc.code!r} ({a.description})",
                                   field=f"attribute[{a.code}]")
        return out

    @staticmethod
    def _attribute_value(a: C.Attribute, v):
        f = f"attribute[{a.code}]"
        values = v if isinstance(v, list) else [v]
        if a.datatype != "multivaluelist" and len(values) != 1:
            raise RequestError("takes one value", field=f, value=v)
        keys = {k for k, _ in a.values}
        for x in values:
            check_text(f, x, 1000)
            if a.datatype in ("singlevaluelist", "multivaluelist") and x not in keys:
                raise RequestError(f"must be one of {sorted(keys)}", field=f, value=x)
            if a.datatype == "number":
                num = _decimal(x)
                if num is None:
                    raise RequestError("must be a number", field=f, value=x)
                if not math.isfinite(num):
                    raise RequestError("must be a finite number", field=f, value=x)
                if a.integer and not num.is_integer():
                    raise RequestError("must be a whole number", field=f, value=x)
                if (a.minimum is not None and num < a.minimum) or (a.maximum is not None and num > a.maximum):
                    raise RequestError(f"must be from {_num(a.minimum)} to {_num(a.maximum)}", field=f, value=x)
            if a.datatype == "datetime":
                try:
                    datetime.fromisoformat(str(x))
                except ValueError:
                    raise RequestError("must be an ISO 8601 date and time", field=f, value=x) from None
        return values if a.datatype == "multivaluelist" else values[0]

    def _location(self, lat, lon, address):
        """``(lat, lon, address, district, needs_place)``: geocoded addresses are placed here;
        coordinates are checked against the city afterwards, all at once (:meth:`submit_many`)."""
        if lat in (None, "") and lon in (None, ""):
            if address in (None, ""):
                raise RequestError("a location is required: give lat and long, or address_string",
                                   field="lat/long")
            check_text("address_string", address, 300)
            if self.area is None:
                raise RequestError("cannot be looked up here; give lat and long", field="address_string",
                                   value=address)
            hit = self.area.geocode(address)
            if hit is None:
                raise RequestError(f"no such street in {self.city_name}", field="address_string", value=address)
            lon, lat, _street = hit
            district, _ = self.area.locate(lon, lat)
            return float(lat), float(lon), address, district, False
        if lat in (None, "") or lon in (None, ""):
            raise RequestError("give both lat and long", field="lat" if lat in (None, "") else "long",
                               value=None)
        flat, flon = _decimal(lat), _decimal(lon)
        if flat is None or flon is None:
            raise RequestError("must be decimal degrees (WGS84)", field="lat/long", value=f"{lat}, {lon}")
        if not (math.isfinite(flat) and math.isfinite(flon) and -90 <= flat <= 90 and -180 <= flon <= 180):
            raise RequestError("must be a latitude in [-90, 90] and a longitude in [-180, 180]",
                               field="lat/long", value=f"{lat}, {lon}")
        if address not in (None, ""):
            check_text("address_string", address, 300)
        return flat, flon, (address or None), None, self.area is not None

    def _contact(self, contact: dict | None) -> dict:
        out = {}
        for k, v in (contact or {}).items():
            if k not in CONTACT_FIELDS:
                raise RequestError("is not a contact field", field=k, value=v)
            if v in (None, ""):
                continue
            v = check_text(k, v, CONTACT_FIELDS[k]).strip()
            if k == "email" and not _EMAIL.match(v):
                raise RequestError("is not an e-mail address", field="email", value=v)
            if k == "phone" and not _PHONE.match(v):
                raise RequestError("is not a phone number", field="phone", value=v)
            out[k] = v
        return out

    # ---- create ------------------------------------------------------------------------------
    def submit(self, service_code, *, lat=None, lon=None, address=None, description=None, attributes=None,
               media_url=None, contact: dict | None = None, citizen: str | None = None, channel: str | None = None,
               lang: str | None = None, notify: str | None = None, source: str = "api",
               jurisdiction_id: str | None = None) -> Submission:
        """Validate, de-duplicate, assign and store one request (see the module docstring).

        ``contact`` holds personal data (``first_name``, ``last_name``, ``email``, ``phone``,
        ``device_id``, ``account_id``); it is stored apart, and the request gets a pseudonym.
        ``citizen`` is an already pseudonymous id (the twin's ``citizen:17``).

        Raises
        ------
        RequestError
            Anything invalid; nothing is stored then.
        """
        out = self.submit_many([dict(service_code=service_code, lat=lat, lon=lon, address=address,
                                     description=description, attributes=attributes, media_url=media_url,
                                     contact=contact, citizen=citizen, channel=channel, lang=lang, notify=notify,
                                     source=source, jurisdiction_id=jurisdiction_id)])[0]
        if isinstance(out, RequestError):
            raise out
        return out

    def submit_many(self, items: list[dict]) -> list:
        """Submit many requests in **one transaction**; each item takes :meth:`submit`'s keyword
        arguments. Returns, in order, a :class:`Submission` or the :class:`RequestError` that
        refused that item (the others are stored all the same). Duplicates are found against
        the store and within the batch."""
        results: list = [None] * len(items)
        ready = []
        for i, item in enumerate(items):
            try:
                ready.append((i, self._prepare(**item)))
            except RequestError as exc:
                results[i] = exc
            except TypeError as exc:
                results[i] = RequestError(f"bad request item: {exc}")
        check = [(i, r) for i, r in ready if r["needs_place"]]
        if check:
            inside, districts, streets = self.area.place([r["lon"] for _, r in check], [r["lat"] for _, r in check])
            bad = set()
            for k, (i, r) in enumerate(check):
                if not inside[k]:
                    results[i] = RequestError(f"the location is outside {self.city_name}", field="lat/long",
                                              value=f"{r['lat']}, {r['lon']}")
                    bad.add(i)
                else:
                    r["district"] = districts[k]
                    r["address"] = r["address"] or streets[k]
            ready = [(i, r) for i, r in ready if i not in bad]
        if not ready:
            return results
        now = self.now()
        with self.store.engine.begin() as conn:
            dups = self._dedupe(conn, ready, now)
            firsts = [(i, r) for i, r in ready if dups.get(i) is None or isinstance(dups[i], int)]
            later = [(i, r) for i, r in ready if not (dups.get(i) is None or isinstance(dups[i], int))]
            ids: dict[int, int] = {}
            for group in (firsts, later):
                if not group:
                    continue
                rows = []
                for i, r in group:
                    d = dups.get(i)
                    d = ids[d[1]] if isinstance(d, tuple) else d
                    r["duplicate_of"] = d
                    rows.append(self._row(r, now, d))
                got = conn.execute(_INSERT_REQUEST_RETURNING, rows).scalars().all()
                ids.update({i: int(x) for (i, _), x in zip(group, got)})
            conn.execute(_INSERT_CHANGE, [
                {"request_id": ids[i], "at": now, "stage": "duplicate" if r["duplicate_of"] else "received",
                 "status": "open", "note": _dup_note(r["duplicate_of"]), "by": r["source"]} for i, r in ready])
            people = [{f: r["person"].get(f) for f in CONTACT_FIELDS} | {
                "request_id": ids[i], "created_at": now, "expires_at": now + timedelta(days=self.retention_days)}
                for i, r in ready if r["person"]]
            if people:
                conn.execute(_INSERT_CONTACT, people)
        for i, r in ready:
            svc = r["svc"]
            d = r["duplicate_of"]
            results[i] = Submission(ids[i], r["token"], svc.code, svc.department, svc.priority,
                                    "duplicate" if d else "received", d, now, now + timedelta(hours=svc.sla_h),
                                    r["citizen"], r["lat"], r["lon"], r["district"])
        return results

    def _prepare(self, service_code, *, lat=None, lon=None, address=None, description=None, attributes=None,
                 media_url=None, contact=None, citizen=None, channel=None, lang=None, notify=None, source="api",
                 jurisdiction_id=None) -> dict:
        self.check_jurisdiction(jurisdiction_id)
        svc = self.service(service_code, unknown=400)
        desc = check_text("description", description, MAX_DESCRIPTION)
        media = check_text("media_url", media_url, 2000)
        if media and not re.match(r"^https?://", media):
            raise RequestError("must be an http(s) URL", field="media_url", value=media)
        attrs = self._attributes(svc, attributes)
        flat, flon, addr, district, needs_place = self._location(lat, lon, address)
        person = self._contact(contact)
        if citizen is None and person:
            ident = person.get("account_id") or person.get("email") or person.get("phone") or person.get("device_id")
            citizen = pseudonym(self._secret, ident) if ident else None     # a name alone identifies no one
        for name, v in (("citizen", citizen), ("channel", channel), ("lang", lang), ("notify", notify),
                        ("source", source)):
            check_text(name, v, 40)
        return {"svc": svc, "description": desc, "media_url": media, "attrs": attrs, "lat": flat, "lon": flon,
                "address": addr, "district": district, "needs_place": needs_place, "person": person,
                "citizen": citizen, "channel": channel, "lang": lang, "notify": notify, "source": source,
                "token": self.token_factory()}

    @staticmethod
    def _row(r: dict, now: datetime, dup) -> dict:
        svc = r["svc"]
        return {"token": r["token"], "service_code": svc.code, "status": "open",
                "stage": "duplicate" if dup else "received", "status_notes": _dup_note(dup),
                "description": r["description"], "lat": r["lat"], "lon": r["lon"], "address": r["address"],
                "district": r["district"], "department": svc.department, "priority": svc.priority,
                "attributes": json.dumps(r["attrs"], ensure_ascii=False) if r["attrs"] else None,
                "media_url": r["media_url"], "citizen": r["citizen"], "channel": r["channel"], "lang": r["lang"],
                "notify": r["notify"], "source": r["source"], "duplicate_of": dup, "requested_at": now,
                "updated_at": now, "expected_at": now + timedelta(hours=svc.sla_h), "closed_at": None,
                "sla_breached": False, "rating": None, "feedback": None}

    def _dedupe(self, conn, ready, now: datetime) -> dict:
        """item index → the stored request id it duplicates, or ``("batch", j)`` for an earlier
        item j of the same batch; absent if it is new."""
        out: dict = {}
        dlat = self.dedupe_m / 111_320.0
        by_code: dict[str, list] = {}
        for i, r in ready:
            if r["svc"].work == "field" and r["lat"] is not None:
                by_code.setdefault(r["svc"].code, []).append((i, r))
        for code, group in by_code.items():
            lats = [r["lat"] for _, r in group]
            lons = [r["lon"] for _, r in group]
            dlon = dlat / max(math.cos(math.radians(max(abs(x) for x in lats))), 1e-6)
            known = [(int(x.id), x.lat, x.lon) for x in conn.execute(_NEARBY_OPEN, {
                "code": code, "lat0": min(lats) - dlat, "lat1": max(lats) + dlat, "lon0": min(lons) - dlon,
                "lon1": max(lons) + dlon, "since": now - timedelta(days=self.dedupe_days)})]
            cell = self.dedupe_m / 111_320.0
            grid: dict[tuple[int, int], list] = {}

            def put(ref, la, lo):
                grid.setdefault((int(la // cell), int(lo // cell)), []).append((ref, la, lo))

            for rid, la, lo in known:
                put(rid, la, lo)
            for i, r in group:
                la, lo = r["lat"], r["lon"]
                ci, cj = int(la // cell), int(lo // cell)
                best, best_d = None, self.dedupe_m
                span = int(math.ceil(dlon / cell))
                for di in (-1, 0, 1):
                    for dj in range(-span, span + 1):
                        for ref, la2, lo2 in grid.get((ci + di, cj + dj), ()):
                            d = _metres(la, lo, la2, lo2)
                            if d <= best_d:
                                best, best_d = ref, d
                if best is None:
                    put(("batch", i), la, lo)
                else:
                    out[i] = best
        return out

    # ---- change ------------------------------------------------------------------------------
    def set_stage(self, request_id: int, stage: str, note: str | None = None, by: str = "staff") -> Change:
        """Move a request to ``stage`` (closing it for ``resolved``/``rejected``; re-opening a
        closed one with ``received``). Closing a request closes its duplicates too."""
        if stage not in STAGES or stage == "duplicate":
            raise RequestError(f"must be one of {[s for s in STAGES if s != 'duplicate']}", field="stage",
                               value=stage)
        note = check_text("status_notes", note, 1000)
        status = "closed" if stage in CLOSED_STAGES else "open"
        now = self.now()
        r = service_requests.c
        with self.store.engine.begin() as conn:
            row = conn.execute(select(r.id, r.service_code, r.stage, r.status, r.citizen, r.requested_at, r.expected_at,
                                      r.duplicate_of).where(r.id == request_id)).first()
            if row is None:
                raise RequestError("not found", code=404, field="service_request_id", value=request_id)
            if row.stage == "duplicate":
                raise RequestError(f"is a duplicate of request {row.duplicate_of}; change that one",
                                   code=409, field="service_request_id", value=request_id)
            closed_at = now if status == "closed" else None
            conn.execute(update(service_requests).where(r.id == request_id).values(
                stage=stage, status=status, status_notes=note, updated_at=now, closed_at=closed_at))
            conn.execute(insert(status_changes).values(request_id=request_id, at=now, stage=stage, status=status,
                                                       note=note, by=by))
            dups: tuple = ()
            if status == "closed" or row.status == "closed":
                drows = conn.execute(select(r.id, r.citizen).where(r.duplicate_of == request_id)).all()
                dups = tuple((int(d.id), d.citizen) for d in drows)
                if dups:
                    dnote = f"Request {request_id} it duplicates is {stage}" + (f": {note}" if note else "")
                    conn.execute(update(service_requests).where(r.duplicate_of == request_id).values(
                        status=status, status_notes=dnote, updated_at=now, closed_at=closed_at))
                    conn.execute(insert(status_changes), [
                        {"request_id": d, "at": now, "stage": "duplicate", "status": status, "note": dnote, "by": by}
                        for d, _ in dups])
        sla_met = None if closed_at is None or row.expected_at is None else closed_at <= row.expected_at
        return Change(int(row.id), row.service_code, stage, status, row.citizen, row.requested_at, closed_at,
                      row.expected_at, sla_met, dups)

    def mark_breaches(self, now: datetime | None = None, ids=None) -> list[int]:
        """Flag open requests past their SLA due time (all of them, or those in ``ids``);
        returns the ids newly flagged."""
        now = now or self.now()
        r = service_requests.c
        cond = and_(r.status == "open", r.sla_breached.is_(False), r.expected_at <= now, r.stage != "duplicate")
        if ids is not None:
            cond = and_(cond, r.id.in_(list(ids)))
        with self.store.engine.begin() as conn:
            hit = [int(x) for x in conn.execute(select(r.id).where(cond)).scalars()]
            if hit:
                conn.execute(update(service_requests).where(r.id.in_(hit)).values(sla_breached=True))
        return hit

    def feedback(self, request_id: int, rating, comment: str | None = None) -> None:
        """Record a citizen's rating (1–5) of a closed request, once."""
        if isinstance(rating, int) and not isinstance(rating, bool):
            score = rating
        elif isinstance(rating, str) and re.fullmatch(r"[0-9]{1,3}", rating.strip(" ")):
            score = int(rating)
        else:
            score = 0
        if not 1 <= score <= 5:
            raise RequestError("must be a whole number from 1 to 5", field="rating", value=rating)
        comment = check_text("comment", comment, 1000)
        r = service_requests.c
        with self.store.engine.begin() as conn:
            row = conn.execute(select(r.status, r.rating).where(r.id == request_id)).first()
            if row is None:
                raise RequestError("not found", code=404, field="service_request_id", value=request_id)
            if row.status != "closed":
                raise RequestError("is still open; feedback is taken after it is closed", code=409,
                                   field="service_request_id", value=request_id)
            if row.rating is not None:
                raise RequestError("already has feedback", code=409, field="service_request_id", value=request_id)
            conn.execute(update(service_requests).where(r.id == request_id).values(rating=score, feedback=comment))

    # ---- read --------------------------------------------------------------------------------
    def get(self, request_id) -> dict:
        """One request as an Open311 record (RequestError 404 if unknown)."""
        rid = _request_id(request_id)
        rows = self.query(ids=[rid])
        if not rows:
            raise RequestError("not found", code=404, field="service_request_id", value=request_id)
        return rows[0]

    def query(self, ids=None, service_code=None, start=None, end=None, status=None, limit: int = MAX_RESULTS,
              jurisdiction_id=None) -> list[dict]:
        """Requests as Open311 records, newest first, with GeoReport's ``GET requests`` filters.

        ``ids`` (a list or comma-separated text) overrides the other filters, as the spec says.
        Without ids or dates, the last 90 days are searched; at most ``limit`` rows (≤ 1000).
        """
        self.check_jurisdiction(jurisdiction_id)
        r = service_requests.c
        q = select(service_requests)
        if ids not in (None, ""):
            id_list = [_request_id(x) for x in (ids.split(",") if isinstance(ids, str) else ids)]
            q = q.where(r.id.in_(id_list))
        else:
            if service_code not in (None, ""):
                codes = service_code.split(",") if isinstance(service_code, str) else list(service_code)
                for c in codes:
                    if c.strip():
                        self.service(c.strip(), unknown=400)
                q = q.where(r.service_code.in_([c.strip() for c in codes if c.strip()]))
            t0 = _when("start_date", start)
            t1 = _when("end_date", end)
            if t0 is None and t1 is None:
                t0 = self.now() - timedelta(days=90)
            if t0 is not None and t1 is not None and t1 < t0:
                raise RequestError("is before start_date", field="end_date", value=end)
            if t0 is not None:
                q = q.where(r.requested_at >= t0)
            if t1 is not None:
                q = q.where(r.requested_at <= t1)
            if status not in (None, ""):
                wanted = [s.strip() for s in status.split(",")] if isinstance(status, str) else list(status)
                bad = [s for s in wanted if s not in ("open", "closed")]
                if bad:
                    raise RequestError("must be open, closed or both (comma-separated)", field="status", value=status)
                q = q.where(r.status.in_(wanted))
        q = q.order_by(r.requested_at.desc(), r.id.desc()).limit(max(1, min(int(limit), MAX_RESULTS)))
        with self.store.engine.connect() as conn:
            return [self._record(row) for row in conn.execute(q)]

    def token(self, token) -> dict:
        """``{"service_request_id", "token"}`` for a token (RequestError 404 if unknown)."""
        t = check_text("token", token, 64)
        with self.store.engine.connect() as conn:
            row = conn.execute(select(service_requests.c.id).where(service_requests.c.token == t)).first()
        if row is None:
            raise RequestError("not found", code=404, field="token", value=token)
        return {"service_request_id": str(row.id), "token": t}

    def history(self, request_id: int) -> list[dict]:
        """The status changes of a request, oldest first."""
        s = status_changes.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(status_changes).where(s.request_id == request_id).order_by(s.id)).all()
        return [{"at": w3c(x.at), "stage": x.stage, "status": x.status, "note": x.note, "by": x.by} for x in rows]

    def _record(self, row) -> dict:
        svc = C.SERVICES.get(row.service_code)
        dep = C.DEPARTMENTS.get(row.department)
        return {
            "service_request_id": str(row.id), "status": row.status, "status_notes": row.status_notes,
            "service_name": svc.en if svc else row.service_code, "service_code": row.service_code,
            "description": row.description, "agency_responsible": dep.ro if dep else row.department,
            "service_notice": None, "requested_datetime": w3c(row.requested_at),
            "updated_datetime": w3c(row.updated_at), "expected_datetime": w3c(row.expected_at),
            "address": row.address, "address_id": None, "zipcode": None, "lat": row.lat, "long": row.lon,
            "media_url": row.media_url,
        }

    def counts(self) -> dict:
        """Counters: requests by status and stage, SLA breaches, mean rating."""
        r = service_requests.c
        with self.store.engine.connect() as conn:
            by_stage = dict(conn.execute(select(r.stage, func.count()).group_by(r.stage)).all())
            by_status = dict(conn.execute(select(r.status, func.count()).group_by(r.status)).all())
            breached = conn.execute(select(func.count()).where(r.sla_breached.is_(True))).scalar_one()
            rating = conn.execute(select(func.avg(r.rating), func.count(r.rating))).one()
            people = conn.execute(select(func.count()).select_from(contacts)).scalar_one()
        return {"by_status": by_status, "by_stage": by_stage, "sla_breached": int(breached),
                "feedback": {"count": int(rating[1]), "mean": round(float(rating[0]), 2) if rating[1] else None},
                "contacts_stored": int(people)}

    # ---- keys --------------------------------------------------------------------------------
    def create_key(self, name: str, role: str = "client", rate_per_min: int = 600) -> str:
        """Create an API key and return it (the only time it is shown; the store keeps its hash)."""
        check_text("name", name, 80)
        if not name:
            raise RequestError("is required", field="name")
        if role not in ROLES:
            raise RequestError(f"must be one of {list(ROLES)}", field="role", value=role)
        key = new_key()
        with self.store.engine.begin() as conn:
            if conn.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first() is not None:
                raise RequestError("already exists", code=409, field="name", value=name)
            conn.execute(insert(api_keys).values(name=name, key_hash=hash_key(key), role=role,
                                                 rate_per_min=int(rate_per_min), created_at=self.now(), revoked=False))
        return key

    def key_info(self, key: str | None) -> dict | None:
        """``{"name", "role", "rate_per_min"}`` of a valid key, None otherwise."""
        if not key or not isinstance(key, str) or len(key) > 200:
            return None
        k = api_keys.c
        with self.store.engine.connect() as conn:
            row = conn.execute(select(k.name, k.role, k.rate_per_min).where(
                k.key_hash == hash_key(key), k.revoked.is_(False))).first()
        return None if row is None else {"name": row.name, "role": row.role, "rate_per_min": row.rate_per_min}

    def revoke_key(self, name: str) -> bool:
        with self.store.engine.begin() as conn:
            return conn.execute(update(api_keys).where(api_keys.c.name == name).values(revoked=True)).rowcount > 0

    def purge_personal_data(self) -> int:
        """Apply the retention rule now (see :meth:`services.store.Store.purge_personal_data`)."""
        return self.store.purge_personal_data(self.now())


def _dup_note(dup) -> str | None:
    return f"Duplicate of request {dup}" if dup else None


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


def _decimal(value) -> float | None:
    """A number from an int/float or from plain ASCII decimal text (``45.64``, ``-1e-3``); None
    for anything else — ``float()`` alone would take ``4_5``, full-width digits and ``nan``."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip(" ")):
        return float(value)
    return None


_REQUEST_ID = re.compile(r"[0-9]{1,10}")        # ASCII digits only: not "+1", "1_0" or "１"


def _request_id(value) -> int:
    """A request id from an int or from text of ASCII digits (surrounding spaces allowed, as in
    ``1, 2``); RequestError 400 for anything else (``int()`` alone would take ``+1``, ``1_0`` and
    full-width digits), 404 for a number no request can have."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        rid = int(value)
    elif isinstance(value, str) and _REQUEST_ID.fullmatch(value.strip(" ")):
        rid = int(value.strip(" "))
    else:
        raise RequestError("must be a request number (digits 0-9)", code=400, field="service_request_id",
                           value=value)
    if not 0 < rid < 2**31:
        raise RequestError("not found", code=404, field="service_request_id", value=value)
    return rid


def _when(field: str, value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        t = value
    else:
        try:
            t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise RequestError("must be a W3C date and time, e.g. 2026-03-02T08:00:00+02:00", field=field,
                               value=value) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=TZ)
    try:
        return utc_naive(t)
    except OverflowError:                # 0001-01-01 or 9999-12-31 moved to UTC leaves the calendar
        raise RequestError("is out of range; give a date between 0001-01-02 and 9999-12-30", field=field,
                           value=value) from None


def _num(x) -> str:
    return "any" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))
