"""The Open311 GeoReport v2 API and the city hall behind it, on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.categories import CATEGORIES
from services import catalogue as C
from services.errors import RequestError
from services.geo import CityArea
from services.hall import CityHall
from services.open311 import ROOT, create_app
from services.security import RateLimiter, hash_key, pseudonym
from services.store import api_keys, contacts, service_requests
from tests.services_fixtures import BACKENDS, make_store


class Clock:
    """A settable clock for the city hall."""

    def __init__(self):
        self.t = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def area(demo_city):
    return CityArea(demo_city)


@pytest.fixture(params=BACKENDS)
def env(request, area, tmp_path):
    store = make_store(request.param, tmp_path)
    clock = Clock()
    hall = CityHall(store, area, clock=clock)
    keys = {"client": hall.create_key("app", "client", 0), "staff": hall.create_key("ops", "staff", 0)}
    client = TestClient(create_app(hall, anonymous_rate_per_min=0))
    yield hall, client, keys, clock
    client.close()
    store.drop()
    store.close()


def point(area, k=10):
    a = area.city.arrays
    core = area.city.core_nodes("both")
    n = core[k % len(core)]
    return float(a["node_lat"][n]), float(a["node_lon"][n])


def post(client, key, fmt="json", **form):
    return client.post(f"{ROOT}/requests.{fmt}", data={"api_key": key, **form})


def errors_of(r):
    if r.headers["content-type"].startswith("text/xml"):
        root = ET.fromstring(r.content)
        assert root.tag == "errors"
        return [(int(e.findtext("code")), e.findtext("description")) for e in root]
    return [(e["code"], e["description"]) for e in r.json()]


# ---- catalogue ----------------------------------------------------------------------------------
def test_catalogue_covers_every_mycluj_category_with_department_sla_priority_and_names():
    codes = {c.code for c in CATEGORIES}
    reports = {s.code for s in C.REPORTS}
    assert reports == codes and len(codes) == 16
    for s in C.SERVICES.values():
        assert s.department in C.DEPARTMENTS and s.sla_h > 0 and s.priority in (1, 2, 3)
        assert s.ro and s.en and s.ro != s.en or s.code == "parking"
    assert {p.code for p in C.PERMITS} == {"urbanism_certificate", "building", "residential_parking"}
    assert {t.code for t in C.TAXES} == {"building", "land", "vehicle"}
    # emergencies of the street (water) are faster than the paperwork
    assert C.SERVICES["water_sewer"].sla_h < C.SERVICES["taxes"].sla_h


# ---- GET services ------------------------------------------------------------------------------
def test_services_list_in_json_and_xml(env):
    hall, client, _, _ = env
    j = client.get(f"{ROOT}/services.json")
    assert j.status_code == 200 and j.headers["content-type"].startswith("application/json")
    data = j.json()
    assert {d["service_code"] for d in data} == set(C.SERVICES)
    row = next(d for d in data if d["service_code"] == "streets")
    assert row["metadata"] is True and row["type"] == "realtime" and row["service_name"] == "Streets, sidewalks and bridges"
    ro = client.get(f"{ROOT}/services.json", params={"lang": "ro"}).json()
    assert next(d for d in ro if d["service_code"] == "streets")["service_name"] == "Străzi/Alei/Trotuare/Poduri"
    x = client.get(f"{ROOT}/services.xml")
    assert x.status_code == 200 and x.headers["content-type"].startswith("text/xml")
    assert x.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(x.content)
    assert root.tag == "services" and len(root) == len(C.SERVICES)
    assert {s.findtext("service_code") for s in root} == set(C.SERVICES)
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition_json_xml_and_unknown(env):
    _, client, _, _ = env
    j = client.get(f"{ROOT}/services/streets.json").json()
    assert j["service_code"] == "streets"
    attr = j["attributes"][0]
    assert attr["code"] == "defect" and attr["required"] is True and attr["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attr["values"]} == {"pothole", "sidewalk", "bridge", "other"}
    x = ET.fromstring(client.get(f"{ROOT}/services/streets.xml").content)
    assert x.tag == "service_definition"
    assert [v.findtext("key") for v in x.findall("attributes/attribute/values/value")][:2] == ["pothole", "sidewalk"]
    r = client.get(f"{ROOT}/services/nosuch.xml")
    assert r.status_code == 404 and errors_of(r)[0][0] == 404 and "nosuch" in errors_of(r)[0][1]
    assert client.get(f"{ROOT}/services.csv").status_code == 404
    assert client.get(f"{ROOT}/discovery.json").json()["endpoints"][0]["url"].endswith("/open311/v2/")


# ---- POST requests ------------------------------------------------------------------------------
def test_post_request_json_then_get_it_back_in_both_formats(env, area):
    hall, client, keys, _ = env
    lat, lon = point(area)
    r = post(client, keys["client"], service_code="streets", lat=str(lat), long=str(lon),
             description="Groapă adâncă în fața blocului", **{"attribute[defect]": "pothole"},
             email="ana.pop@example.ro", first_name="Ana", last_name="Pop", phone="+40 721 000 111")
    assert r.status_code == 201, r.text
    body = r.json()
    rid = body[0]["service_request_id"]
    assert rid.isdigit() and "Roads" in body[0]["service_notice"]
    got = client.get(f"{ROOT}/requests/{rid}.json").json()
    assert len(got) == 1
    rec = got[0]
    assert rec["service_code"] == "streets" and rec["status"] == "open"
    assert rec["description"] == "Groapă adâncă în fața blocului"
    assert rec["lat"] == pytest.approx(lat) and rec["long"] == pytest.approx(lon)
    assert rec["agency_responsible"] == C.DEPARTMENTS["roads"].ro
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", rec["requested_datetime"])
    # SLA: expected = requested + 120 h
    t0 = datetime.fromisoformat(rec["requested_datetime"])
    assert datetime.fromisoformat(rec["expected_datetime"]) - t0 == timedelta(hours=120)
    # no personal data in the public record; it is in contacts, under a pseudonym
    text = client.get(f"{ROOT}/requests/{rid}.xml").text
    for secret in ("ana.pop", "Pop", "721"):
        assert secret not in text and secret not in str(rec)
    with hall.store.engine.connect() as conn:
        person = conn.execute(contacts.select()).one()
        row = conn.execute(service_requests.select()).one()
    assert person.email == "ana.pop@example.ro" and person.expires_at > person.created_at
    assert row.citizen == pseudonym(hall._secret, "ana.pop@example.ro") and "example" not in row.citizen
    xml = ET.fromstring(client.get(f"{ROOT}/requests/{rid}.xml").content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == rid


def test_post_request_xml_and_by_address(env, area):
    _, client, keys, _ = env
    street = next(n for n in area.city.street_names if n.startswith("Strada") or n.startswith("Bulevardul"))
    short = street.replace("Strada ", "Str. ").replace("Bulevardul ", "Bd. ")
    r = post(client, keys["client"], "xml", service_code="noise", address_string=f"{short} nr. 12")
    assert r.status_code == 201, r.text
    root = ET.fromstring(r.content)
    rid = root.find("request/service_request_id").text
    rec = client.get(f"{ROOT}/requests/{rid}.json").json()[0]
    assert rec["address"] == f"{short} nr. 12"
    assert area.contains(rec["long"], rec["lat"])


@pytest.mark.parametrize("form,code,field", [
    ({"lat": "45.5", "long": "24.96"}, 400, "service_code"),                       # missing service_code
    ({"service_code": "nosuch", "lat": "45.5", "long": "24.96"}, 400, "service_code"),
    ({"service_code": "noise", "lat": "44.43", "long": "26.10"}, 400, "lat/long"),  # Bucharest: outside
    ({"service_code": "noise", "lat": "north", "long": "24.96"}, 400, "lat/long"),
    ({"service_code": "noise", "lat": "45.5"}, 400, "long"),
    ({"service_code": "noise"}, 400, "lat/long"),                                   # no location at all
    ({"service_code": "noise", "address_string": "Nowhere Lane 1"}, 400, "address_string"),
    ({"service_code": "streets", "LATLON": 1}, 400, "attribute[defect]"),            # required attribute
    ({"service_code": "streets", "LATLON": 1, "attribute[defect]": "crater"}, 400, "attribute[defect]"),
    ({"service_code": "noise", "LATLON": 1, "attribute[colour]": "red"}, 400, "attribute[colour]"),
    ({"service_code": "noise", "LATLON": 1, "description": "x" * 5000}, 400, "description"),
    ({"service_code": "noise", "LATLON": 1, "email": "not-an-email"}, 400, "email"),
    ({"service_code": "noise", "LATLON": 1, "media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"service_code": "noise", "LATLON": 1, "jurisdiction_id": "cluj.ro"}, 404, "jurisdiction_id"),
    ({"service_code": "noise", "LATLON": 1, "description": "a\x00b"}, 400, "description"),
])
def test_post_bad_input_gets_a_readable_4xx_and_stores_nothing(env, area, form, code, field):
    hall, client, keys, _ = env
    form = dict(form)
    if form.pop("LATLON", None):
        lat, lon = point(area)
        form.update(lat=str(lat), long=str(lon))
    r = post(client, keys["client"], **form)
    assert r.status_code == code, r.text
    (ecode, desc), = errors_of(r)
    assert ecode == code and desc.startswith(field), desc
    assert "Traceback" not in r.text
    assert hall.query() == []


def test_api_key_missing_bad_or_without_the_role(env, area):
    hall, client, keys, _ = env
    lat, lon = point(area)
    form = {"service_code": "noise", "lat": str(lat), "long": str(lon)}
    r = client.post(f"{ROOT}/requests.json", data=form)
    assert r.status_code == 403 and errors_of(r)[0][1].startswith("api_key")
    r = post(client, "not-a-key", "xml", **form)
    assert r.status_code == 403 and errors_of(r)[0][0] == 403
    rid = post(client, keys["client"], **form).json()[0]["service_request_id"]
    r = client.post(f"{ROOT}/ext/requests/{rid}/status.json", data={"api_key": keys["client"], "stage": "resolved"})
    assert r.status_code == 403 and "staff" in errors_of(r)[0][1]
    hall.revoke_key("app")
    assert post(client, keys["client"], **form).status_code == 403
    assert all(hall.create_key(f"k{i}").startswith("twin_") for i in range(20))   # never "-…" on a command line
    with hall.store.engine.connect() as conn:        # keys are stored hashed only
        stored = [k.key_hash for k in conn.execute(api_keys.select())]
    assert keys["staff"] not in stored and hash_key(keys["staff"]) in stored


def test_sql_in_fields_is_data_not_code(env, area):
    hall, client, keys, _ = env
    lat, lon = point(area)
    evil = "'; DROP TABLE service_requests; --"
    r = post(client, keys["client"], service_code="noise", lat=str(lat), long=str(lon), description=evil,
             first_name="Robert'); DROP TABLE contacts;--")
    assert r.status_code == 201
    assert client.get(f"{ROOT}/requests.json", params={"service_code": "noise' OR '1'='1"}).status_code == 400
    r = client.get(f"{ROOT}/requests.json", params={"service_request_id": "1 OR 1=1"})
    assert r.status_code == 400
    rows = client.get(f"{ROOT}/requests.json").json()
    assert len(rows) == 1 and rows[0]["description"] == evil


def test_get_requests_filters_json_and_xml(env, area):
    hall, client, keys, clock = env
    ids = {}
    for k, code in enumerate(["noise", "taxes", "noise", "sanitation"]):
        lat, lon = point(area, 50 * k + 3)
        ids[k] = post(client, keys["client"], service_code=code, lat=str(lat), long=str(lon)).json()[0][
            "service_request_id"]
        clock.t += timedelta(hours=1)
    hall.set_stage(int(ids[1]), "resolved", "paid")
    all_rows = client.get(f"{ROOT}/requests.json").json()
    assert [r["service_request_id"] for r in all_rows] == [ids[3], ids[2], ids[1], ids[0]]   # newest first
    noise = client.get(f"{ROOT}/requests.json", params={"service_code": "noise"}).json()
    assert {r["service_request_id"] for r in noise} == {ids[0], ids[2]}
    closed = client.get(f"{ROOT}/requests.json", params={"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [ids[1]] and closed[0]["status_notes"] == "paid"
    both = client.get(f"{ROOT}/requests.json", params={"status": "open,closed"}).json()
    assert len(both) == 4
    start = (datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=90)).isoformat()
    late = client.get(f"{ROOT}/requests.json", params={"start_date": start}).json()
    assert {r["service_request_id"] for r in late} == {ids[2], ids[3]}
    end = (datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=30)).isoformat()
    early = client.get(f"{ROOT}/requests.json", params={"end_date": end}).json()
    assert [r["service_request_id"] for r in early] == [ids[0]]
    some = client.get(f"{ROOT}/requests.xml", params={"service_request_id": f"{ids[0]},{ids[3]}"})
    root = ET.fromstring(some.content)
    assert root.tag == "service_requests" and {e.findtext("service_request_id") for e in root} == {ids[0], ids[3]}
    assert client.get(f"{ROOT}/requests.json", params={"status": "pending"}).status_code == 400
    assert client.get(f"{ROOT}/requests.json", params={"start_date": "yesterday"}).status_code == 400
    r = client.get(f"{ROOT}/requests.json", params={"start_date": start, "end_date": end})
    assert r.status_code == 400 and errors_of(r)[0][1].startswith("end_date")
    # older than 90 days drops out of the default window
    clock.t += timedelta(days=91)
    assert client.get(f"{ROOT}/requests.json").json() == []


def test_unknown_ids_and_tokens(env, area):
    hall, client, keys, _ = env
    for url, code in ((f"{ROOT}/requests/999.json", 404), (f"{ROOT}/requests/999.xml", 404),
                      (f"{ROOT}/requests/abc.json", 400), (f"{ROOT}/tokens/deadbeef.json", 404),
                      (f"{ROOT}/tokens/deadbeef.xml", 404), (f"{ROOT}/nothing.json", 404)):
        r = client.get(url)
        assert r.status_code == code, url
        assert errors_of(r)[0][0] == code
    lat, lon = point(area)
    sub = hall.submit("noise", lat=lat, lon=lon)
    for fmt in ("json", "xml"):
        r = client.get(f"{ROOT}/tokens/{sub.token}.{fmt}")
        assert r.status_code == 200
    assert client.get(f"{ROOT}/tokens/{sub.token}.json").json() == [{"service_request_id": str(sub.id),
                                                                      "token": sub.token}]
    assert client.get(f"{ROOT}/requests.json", params={"jurisdiction_id": "cluj.ro"}).status_code == 404
    assert client.get(f"{ROOT}/requests.json", params={"jurisdiction_id": hall.jurisdiction_id}).status_code == 200


def test_staff_status_changes_history_and_feedback(env, area):
    hall, client, keys, _ = env
    lat, lon = point(area)
    rid = post(client, keys["client"], service_code="noise", lat=str(lat), long=str(lon)).json()[0]["service_request_id"]
    fb = {"api_key": keys["client"], "rating": "4"}
    r = client.post(f"{ROOT}/ext/requests/{rid}/feedback.json", data=fb)
    assert r.status_code == 409 and "still open" in errors_of(r)[0][1]
    r = client.post(f"{ROOT}/ext/requests/{rid}/status.xml",
                    data={"api_key": keys["staff"], "stage": "finished"})
    assert r.status_code == 400 and errors_of(r)[0][1].startswith("stage")
    for stage in ("assigned", "in_progress", "resolved"):
        r = client.post(f"{ROOT}/ext/requests/{rid}/status.json",
                        data={"api_key": keys["staff"], "stage": stage, "status_notes": f"now {stage}"})
        assert r.status_code == 200, r.text
    assert r.json()[0]["status"] == "closed" and r.json()[0]["status_notes"] == "now resolved"
    hist = client.get(f"{ROOT}/ext/requests/{rid}/history.json").json()
    assert [h["stage"] for h in hist] == ["received", "assigned", "in_progress", "resolved"]
    assert hist[-1]["by"] == "ops"
    assert client.post(f"{ROOT}/ext/requests/{rid}/feedback.json", data={**fb, "rating": "9"}).status_code == 400
    assert client.post(f"{ROOT}/ext/requests/{rid}/feedback.json", data=fb).status_code == 200
    assert client.post(f"{ROOT}/ext/requests/{rid}/feedback.json", data=fb).status_code == 409
    stats = client.get(f"{ROOT}/ext/stats.json").json()
    assert stats["feedback"] == {"count": 1, "mean": 4.0} and stats["by_status"] == {"closed": 1}
    assert client.post(f"{ROOT}/ext/requests/999/status.json",
                       data={"api_key": keys["staff"], "stage": "resolved"}).status_code == 404


def test_duplicates_nearby_same_kind_close_with_the_first(env, area):
    hall, client, keys, _ = env
    lat, lon = point(area)
    first = hall.submit("sanitation", lat=lat, lon=lon, citizen="citizen:1")
    near = hall.submit("sanitation", lat=lat + 0.0002, lon=lon, citizen="citizen:2")        # ≈ 22 m
    far = hall.submit("sanitation", lat=lat + 0.002, lon=lon, citizen="citizen:3")          # ≈ 220 m
    other = hall.submit("noise", lat=lat, lon=lon, citizen="citizen:4")
    desk = hall.submit("taxes", lat=lat, lon=lon, citizen="citizen:5")
    desk2 = hall.submit("taxes", lat=lat, lon=lon, citizen="citizen:6")
    assert near.duplicate_of == first.id and near.stage == "duplicate" and "already" in near.notice.lower()
    assert far.duplicate_of is None and other.duplicate_of is None
    assert desk2.duplicate_of is None and desk.duplicate_of is None     # paperwork is personal
    ch = hall.set_stage(first.id, "resolved", "collected")
    assert ch.duplicates == ((near.id, "citizen:2"),) and ch.sla_met is True
    assert hall.get(near.id)["status"] == "closed"
    with pytest.raises(RequestError) as e:
        hall.set_stage(near.id, "resolved")
    assert e.value.code == 409
    # once closed, a new report at the same place is new work
    again = hall.submit("sanitation", lat=lat, lon=lon, citizen="citizen:7")
    assert again.duplicate_of is None
    # within one batch too
    out = hall.submit_many([dict(service_code="parks", lat=lat, lon=lon), dict(service_code="parks", lat=lat, lon=lon),
                            dict(service_code="parks", lat=200, lon=lon)])
    assert out[0].duplicate_of is None and out[1].duplicate_of == out[0].id
    assert isinstance(out[2], RequestError) and out[2].field == "lat/long"


def test_sla_breaches_are_flagged_once(env, area):
    hall, client, keys, clock = env
    lat, lon = point(area)
    noise = hall.submit("noise", lat=lat, lon=lon)           # 2 h SLA
    taxes = hall.submit("taxes", lat=lat, lon=lon)           # 240 h
    quick = hall.submit("illegal_parking", lat=lat + 0.01, lon=lon)
    clock.t += timedelta(hours=1)
    hall.set_stage(quick.id, "resolved")
    clock.t += timedelta(hours=2)
    assert hall.mark_breaches() == [noise.id]
    assert hall.mark_breaches() == []
    assert hall.counts()["sla_breached"] == 1
    assert hall.set_stage(taxes.id, "resolved").sla_met is True


def test_retention_rule_deletes_personal_data_only(env, area):
    hall, client, keys, clock = env
    lat, lon = point(area)
    r = post(client, keys["client"], service_code="noise", lat=str(lat), long=str(lon), email="ion@example.ro")
    rid = r.json()[0]["service_request_id"]
    clock.t += timedelta(days=hall.retention_days - 1)
    assert hall.purge_personal_data() == 0
    clock.t += timedelta(days=2)
    assert hall.purge_personal_data() == 1
    assert hall.counts()["contacts_stored"] == 0
    assert client.get(f"{ROOT}/requests/{rid}.json").status_code == 200    # the request itself stays


def test_rate_limit_per_key_answers_429(area, tmp_path):
    store = make_store("sqlite", tmp_path)
    hall = CityHall(store, area)
    key = hall.create_key("slow", "client", rate_per_min=3)
    now = [0.0]
    client = TestClient(create_app(hall, limiter=RateLimiter(clock=lambda: now[0]), anonymous_rate_per_min=5))
    lat, lon = point(area)
    codes = [post(client, key, service_code="noise", lat=str(lat), long=str(lon)).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    r = post(client, key, service_code="noise", lat=str(lat), long=str(lon))
    assert r.headers["retry-after"] == "60" and errors_of(r)[0][0] == 429
    now[0] += 20.0                        # one token back after 20 s at 3/min
    assert post(client, key, service_code="noise", lat=str(lat), long=str(lon)).status_code == 201
    anon = [client.get(f"{ROOT}/services.json").status_code for _ in range(6)]
    assert anon == [200] * 5 + [429]
    store.close()


def test_no_stack_trace_on_internal_error_and_cors_off(env, monkeypatch):
    hall, client, _, _ = env

    def boom(*a, **k):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(hall, "query", boom)
    c = TestClient(client.app, raise_server_exceptions=False)
    r = c.get(f"{ROOT}/requests.json")
    assert r.status_code == 500 and "secret" not in r.text and "Traceback" not in r.text
    assert errors_of(r) == [(500, "internal error; it has been logged")]
    r = c.get(f"{ROOT}/services.json", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"


# ---- property-based fuzz: no input makes a 5xx ----------------------------------------------------
text = st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["", "45.5", "24.96", "-1", "1e309", "nan",
                                                                     "streets", "noise", "open", "closed", "'--"]))


@pytest.fixture(scope="module")
def fuzz_client(area, tmp_path_factory):
    store = make_store("sqlite", tmp_path_factory.mktemp("fuzz"))
    hall = CityHall(store, area)
    key = hall.create_key("fuzz", "staff", 0)
    yield TestClient(create_app(hall, anonymous_rate_per_min=0), raise_server_exceptions=False), key
    store.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["service_code", "lat", "long", "address_string", "description",
                                               "email", "phone", "media_url", "attribute[defect]", "attribute[x]",
                                               "jurisdiction_id", "first_name", "address_id", "device_id"]),
                              text, max_size=8),
       fmt=st.sampled_from(["json", "xml"]), with_key=st.booleans())
def test_fuzz_post_requests_never_5xx(fuzz_client, fields, fmt, with_key):
    client, key = fuzz_client
    form = {k: v for k, v in fields.items() if v is not None}
    if with_key:
        form["api_key"] = key
    r = client.post(f"{ROOT}/requests.{fmt}", data=form)
    assert r.status_code in (201, 400, 403, 404), (form, r.text)
    if r.status_code >= 400:
        assert errors_of(r)[0][1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["service_request_id", "service_code", "start_date", "end_date",
                                               "status", "jurisdiction_id", "lang"]), text, max_size=5),
       path=st.sampled_from(["requests", "services", "requests/1", "requests/-5", "tokens/x", "services/streets",
                             "requests/99999999999999999999"]),
       fmt=st.sampled_from(["json", "xml"]))
def test_fuzz_get_never_5xx(fuzz_client, params, path, fmt):
    client, _ = fuzz_client
    r = client.get(f"{ROOT}/{path}.{fmt}", params={k: v for k, v in params.items() if v is not None})
    assert r.status_code < 500, (path, params, r.text)


def test_batch_submit_is_all_or_each(area, tmp_path):
    store = make_store("sqlite", tmp_path)
    hall = CityHall(store, area)
    rng = np.random.default_rng(0)
    core = area.city.core_nodes("both")
    a = area.city.arrays
    items = [dict(service_code="noise", lat=float(a["node_lat"][n]), lon=float(a["node_lon"][n]))
             for n in rng.choice(core, 50)]
    items[7]["service_code"] = "bogus"
    out = hall.submit_many(items)
    assert isinstance(out[7], RequestError) and out[7].field == "service_code"
    assert sum(1 for o in out if not isinstance(o, RequestError)) == 49
    assert sum(hall.counts()["by_status"].values()) == 49
    store.close()
