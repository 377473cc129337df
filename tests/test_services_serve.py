"""``twin serve`` as a real web service (uvicorn in its own process), driven by an Open311
client, by ``twin loadtest open311`` and by a twin run in integration mode (``--services-url``)."""
from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from services.client import Open311Client
from services.errors import RequestError

from tests.serving import TWIN, free_port, twin_serve


@pytest.fixture(scope="module")
def server(tmp_path_factory, _private_cache):
    proc, base, keys, db = twin_serve(tmp_path_factory.mktemp("serve"), "demo",
                                      (("vendor", "client"), ("ops", "staff")))
    yield base, keys, db
    proc.terminate()
    proc.wait(10)


def test_serve_answers_an_open311_client(server, demo_city):
    base, keys, _ = server
    c = Open311Client(base, api_key=keys["client"], staff_key=keys["staff"])
    codes = {s["service_code"] for s in c.services()}
    assert "streets" in codes and "building" in codes
    assert c.definition("streets")["attributes"][0]["code"] == "defect"
    a = demo_city.arrays
    n = demo_city.core_nodes("both")[5]
    ans = c.submit("streets", lat=float(a["node_lat"][n]), lon=float(a["node_lon"][n]), description="Groapă",
                   attributes={"defect": "pothole"})
    rid = ans["service_request_id"]
    assert c.get(rid)["status"] == "open"
    c.set_stage(rid, "resolved", "Astupată")
    assert c.get(rid)["status"] == "closed"
    c.feedback(rid, 5)
    with pytest.raises(RequestError) as e:
        c.submit("streets", lat=44.43, lon=26.10, attributes={"defect": "pothole"})
    assert e.value.code == 400 and "outside" in str(e.value)
    r = httpx.get(f"{base}/requests/{rid}.xml")
    assert r.headers["content-type"].startswith("text/xml") and f"<service_request_id>{rid}<" in r.text
    assert httpx.get(f"{base}/openapi.json").json()["info"]["title"].startswith("SmartCity Twin")
    c.close()


def test_loadtest_reports_rate_latency_and_status(server):
    from services.loadtest import run_loadtest

    base, keys, _ = server
    s = run_loadtest(base, rate=40, duration_s=2.0, api_key=keys["client"], post_share=0.5, seed=3)
    assert s["sent"] == 80 and s["completed"] == 80 and not s["errors"]
    ops = s["operations"]
    assert ops["POST requests"]["status"].get("201", 0) == ops["POST requests"]["n"] > 10
    assert ops["POST requests"]["p95_ms"] >= ops["POST requests"]["p50_ms"] > 0
    assert 20 < s["achieved_rate"] <= 45
    # a bad key shows up as 403s, not as a crash
    bad = run_loadtest(base, rate=20, duration_s=1.0, api_key="wrong", post_share=1.0, seed=4)
    assert bad["operations"]["POST requests"]["status"] == {"403": 20}


def test_loadtest_cli_against_a_dead_port_reports_errors(server):
    port = free_port()
    out = subprocess.run(TWIN + ["loadtest", "open311", "--url", f"http://127.0.0.1:{port}/open311/v2", "--rate", "5",
                                 "--duration", "1", "--json"], capture_output=True, text=True)
    assert out.returncode == 2 and "--url" in out.stderr


def test_twin_run_drives_the_service_over_http(server, tmp_path, demo_city):
    from scenarios import load_scenario
    from twin_app.run import run_scenario

    base, keys, _ = server
    before = len(httpx.get(f"{base}/requests.json", params={"status": "open,closed"}).json())
    sc = load_scenario("baseline", city="demo", population=2000, hours=24, seed=5,
                       demand={"report_multiplier": 200.0},
                       services={"url": base, "api_key": keys["client"], "staff_key": keys["staff"]})
    s = run_scenario(sc, out=tmp_path / "run", city=demo_city)
    k = s["kpis"]["services"]
    assert k["received"] > 20 and k["http"]["errors"] == {} and k["http"]["post_p95_ms"] > 0
    rows = httpx.get(f"{base}/requests.json", params={"status": "open,closed"}).json()
    assert len(rows) - before == k["received"]
    closed = [r for r in rows if r["status"] == "closed"]
    assert len(closed) >= k["closed"] > 0          # crews in the twin closed them through the staff extension


def test_cli_run_with_services_url_flag(server, tmp_path):
    base, keys, _ = server
    out = subprocess.run(TWIN + ["run", "--city", "demo", "--population", "500", "--hours", "2", "--seed", "1",
                                 "--out", str(tmp_path / "r"), "--json", "--services-url", base,
                                 "--api-key", keys["client"]], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["kpis"]["services"]["http"]["url"] == base
