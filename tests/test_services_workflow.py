"""The city hall at work in a run: desks against queueing theory, crews, SLAs, feedback, storage."""
from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest
import simpy
from sqlalchemy import func, select

from scenarios import load_scenario
from services.desks import Desk, Hours, erlang_c_wait
from services.store import open_store, service_requests
from tests.services_fixtures import BACKENDS, store_url
from twin.eventlog import read_events
from twin_app.run import run_scenario


# ---- M/M/c ------------------------------------------------------------------------------------
def test_desk_matches_erlang_c_mean_wait():
    """A desk with c clerks, Poisson arrivals and exponential handling is M/M/c: its mean wait
    must match Erlang C within a few percent over a long run."""
    c, lam, mu = 4, 0.28 / 60, 1 / (10 * 60)         # per second: ρ = λ/(cμ) = 0.70
    n = 400_000
    env = simpy.Environment()
    rng = np.random.default_rng(7)
    desk = Desk(env, "tax", c, 10.0, rng)

    def arrivals():
        for k in range(n):
            yield env.timeout(rng.exponential(1 / lam))
            desk.submit(k)

    env.process(arrivals())
    env.run()
    waits = np.asarray(desk.waits)[n // 20:]            # drop the warm-up from an empty desk
    theory = erlang_c_wait(lam, mu, c)
    assert desk.served == n
    assert waits.mean() == pytest.approx(theory, rel=0.04)
    # and the share who wait at all is Erlang C's probability of waiting
    p_wait = theory * (c * mu - lam)
    assert (waits > 0).mean() == pytest.approx(p_wait, abs=0.015)


def test_erlang_c_formula_known_values():
    # one server: M/M/1 wait = ρ / (μ − λ)
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(0.5 / 0.5)
    # textbook call centre: a = 10 Erlang on 12 agents, mean handling 1 → P(wait) ≈ 0.4493
    lam, mu, cc = 10.0, 1.0, 12
    assert erlang_c_wait(lam, mu, cc) * (cc * mu - lam) == pytest.approx(0.4493, abs=1e-3)
    with pytest.raises(ValueError):
        erlang_c_wait(2.0, 1.0, 2)


def test_desk_hours_and_patience():
    from datetime import datetime, timedelta

    start = datetime(2026, 3, 6, 15, 0)            # a Friday, 15:00
    env = simpy.Environment()
    done, gave_up = [], []
    desk = Desk(env, "social", 1, 120.0, np.random.default_rng(1), hours=Hours(8, 16, True),
                clock=lambda s: start + timedelta(seconds=s), on_start=lambda j, w: done.append((j, w)),
                on_abandon=lambda j, w: gave_up.append((j, w)))
    desk.submit("a")                                # starts at once (15:00 is open)
    desk.submit("b", patience_s=600)                # waits behind a; gives up after 10 min
    env.run(until=5 * 3600)
    env2 = simpy.Environment()
    later = []
    d2 = Desk(env2, "social", 1, 10.0, np.random.default_rng(1), hours=Hours(8, 16, True),
              clock=lambda s: start + timedelta(hours=2) + timedelta(seconds=s), on_start=lambda j, w: later.append(w))
    d2.submit("c")                                  # Friday 17:00 → Monday 08:00
    env2.run(until=4 * 86400)
    assert done[0][0] == "a" and gave_up == [("b", 600.0)]
    assert later == [pytest.approx((2 * 86400 + 15 * 3600))]


# ---- a run ------------------------------------------------------------------------------------
def _scenario(tmp_path, kind, **services):
    url, schema = store_url(kind, tmp_path)
    return load_scenario("baseline", city="demo", population=1500, hours=48, seed=11,
                         demand={"report_multiplier": 300.0, "feedback_share": 0.6},
                         services={"db_url": url, "db_schema": schema,
                                   "staff": {"local_police": 1, "sanitation": 1, "roads": 1}, **services})


@pytest.fixture(scope="module", params=BACKENDS)
def service_run(request, tmp_path_factory, demo_city):
    tmp = tmp_path_factory.mktemp(f"svc-{request.param}")
    scenario = _scenario(tmp, request.param)
    summary = run_scenario(scenario, out=tmp / "run", city=demo_city)
    store = open_store(scenario.services.db_url, schema=scenario.services.db_schema, create=False)
    yield summary, store, read_events(tmp / "run" / "events.parquet")
    store.drop()
    store.close()


def _of(events, kind):
    return events.filter(pc.equal(events["kind"], kind))


def test_run_fills_the_store_and_closes_requests_through_crews(service_run):
    summary, store, ev = service_run
    k = summary["kpis"]["services"]
    faults = [r for r in _of(ev, "device_state").to_pylist() if '"service_code"' in r["payload"]]
    reports = len(_of(ev, "report_filed")) + len(_of(ev, "permit_application")) + len(faults)
    received = _of(ev, "request_received")
    assert sum(1 for e in received.column("entity").to_pylist() if not e.startswith("citizen:")) == len(faults)
    assert reports > 100 and len(received) + len(_of(ev, "request_rejected")) == reports
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(service_requests)).scalar_one()
        closed = conn.execute(select(func.count()).where(service_requests.c.status == "closed")).scalar_one()
        breached = conn.execute(select(func.count()).where(service_requests.c.sla_breached.is_(True))).scalar_one()
        rated = conn.execute(select(func.count(service_requests.c.rating))).scalar_one()
        dups = conn.execute(select(func.count()).where(service_requests.c.stage == "duplicate")).scalar_one()
        still_open = conn.execute(select(func.count()).where(service_requests.c.status == "open")).scalar_one()
    assert stored == len(received) == k["received"]
    assert closed == k["closed"] + k["rejected"] > 0
    assert closed == len(_of(ev, "request_closed"))
    # crews drove: on-site events of field work came after a drive on the road graph
    site = _of(ev, "request_in_progress").to_pylist()
    crew_trips = _of(ev, "trip_end").filter(pc.starts_with(_of(ev, "trip_end")["entity"], "crew:"))
    assert len(crew_trips) > 0
    assert any('"travel_min"' in r["payload"] for r in site)
    # SLA breaches: as many events as flags in the store, and some (the police has one patrol)
    assert breached == len(_of(ev, "sla_breached")) == k["sla_breached"] > 0
    # feedback reached the store
    assert rated == len(_of(ev, "feedback")) > 0
    assert dups == k["duplicates"]
    assert still_open == k["open"] == stored - closed


def test_closed_requests_report_their_true_resolution_time(service_run):
    summary, store, ev = service_run
    import json

    closed = [r for r in _of(ev, "request_closed").to_pylist() if not json.loads(r["payload"])["duplicate"]]
    got = {int(r["ref"].split(":")[1]): json.loads(r["payload"]) for r in closed}
    with store.engine.connect() as conn:
        rows = conn.execute(select(service_requests.c.id, service_requests.c.requested_at, service_requests.c.closed_at,
                                   service_requests.c.expected_at).where(service_requests.c.id.in_(list(got)))).all()
    assert len(rows) == len(got) > 20
    for rid, t0, t1, due in rows:
        assert got[rid]["resolution_h"] == pytest.approx((t1 - t0).total_seconds() / 3600, abs=1e-3)
        assert got[rid]["sla_met"] == (t1 <= due)


def test_every_received_report_is_notified_on_the_citizens_channel(service_run):
    import json

    summary, store, ev = service_run
    notes = _of(ev, "notification").to_pylist()
    received = _of(ev, "request_received").to_pylist()
    assert len(notes) >= len(received)
    channels = {json.loads(n["payload"])["channel"] for n in notes}
    assert channels <= {"push", "email", "sms", "letter"} and len(channels) >= 2
    by_citizen = {r["entity"] for r in received}
    assert {n["entity"] for n in notes} <= by_citizen
    assert all(n["entity"].startswith("citizen:") for n in notes)        # pseudonymous


@pytest.mark.slow  # determinism is in the default run as tests/test_engine.py's byte-identical event log
def test_services_run_is_deterministic(tmp_path, demo_city):
    logs = []
    for k in range(2):
        sc = _scenario(tmp_path / f"r{k}", "sqlite")
        sc = sc.model_copy(update={"hours": 24.0})
        run_scenario(sc, out=tmp_path / f"r{k}" / "run", city=demo_city)
        ev = read_events(tmp_path / f"r{k}" / "run" / "events.parquet")
        svc = ev.filter(pc.match_substring(ev["topic"], "/services/"))
        logs.append(svc.select(["t", "kind", "entity", "ref", "payload"]).to_pylist())
    assert len(logs[0]) > 50 and logs[0] == logs[1]
