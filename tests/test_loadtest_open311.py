"""``twin loadtest open311`` on Locust (issue 17): the schedule, the measurements, and real runs
against a real ``twin serve`` whose own counts the report must match."""
from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.loadgen.measure import Recorder
from services.loadgen.report import summarize, write_report
from services.loadgen.runner import prepare, run
from services.loadgen.schedule import CHAT, FILE, STATUS, from_events, synthetic
from tests.serving import TWIN, twin_serve
from twin.eventlog import SCHEMA


# ---- the schedule and the measurements (no server) -----------------------------------------------
def test_a_synthetic_schedule_is_open_loop_poisson_at_the_rate_and_slices_cover_it_once():
    pts = np.array([[25.0, 45.0], [25.1, 45.1]])
    s = synthetic(200, 5, pts, ["a", "b"], post_share=0.5, seed=3)
    assert abs(len(s) - 1000) < 4 * np.sqrt(1000)
    assert np.all(np.diff(s.t) >= 0) and s.t[0] >= 0 and s.t[-1] < 5
    parts = [s.slice(i, 3) for i in range(3)]
    assert sum(len(p) for p in parts) == len(s)
    assert sorted(np.concatenate([p.t for p in parts])) == sorted(s.t)
    with pytest.raises(ValueError, match="rate must be > 0"):
        synthetic(0, 5, pts, ["a"])


def _events(path, rows):
    cols = {k: [] for k in SCHEMA.names}
    for t, kind, ref, lon, lat, payload in rows:
        for k, v in zip(SCHEMA.names, (t, "city/test/" + kind, kind, "citizen:1", ref, lon, lat, json.dumps(payload))):
            cols[k].append(v)
    pq.write_table(pa.table(cols, schema=SCHEMA), path)
    return path


def _day(tmp_path, n_reports=6, n_chats=4):
    rows = []
    for k in range(n_reports):                       # a report every 30 city seconds, closed 10 s later
        rows.append((30.0 * k, "request_received", f"request:{k + 1}", 24.9654 + 0.0005 * k, 45.5036,
                     {"service_code": "public_lighting", "channel": "web"}))
        rows.append((30.0 * k + 10, "request_closed", f"request:{k + 1}", float("nan"), float("nan"), {}))
    for k in range(n_chats):
        rows.append((30.0 * k + 20, "chat_question", "", float("nan"), float("nan"),
                     {"intent": "office_info", "lang": "ro"}))
    rows.append((5.0, "trip_start", "", 25.6, 45.6, {}))          # not a citizen's call: ignored
    return _events(tmp_path / "events.parquet", rows)


def test_a_day_is_replayed_one_for_one_at_its_speed(tmp_path):
    ev = _day(tmp_path)
    s = from_events(ev, 3.0, speed=60)                # 180 city seconds in 3 s
    assert s.mix() == {"POST requests": 6, "GET requests/{id}": 6, "POST chat": 4}
    assert list(s.t[:3]) == [0.0, 10 / 60, 20 / 60]
    files = [r for r, o in zip(s.ref, s.op) if o == FILE]
    reads = [r for r, o in zip(s.ref, s.op) if o == STATUS]
    assert files == reads == [f"request:{k}" for k in range(1, 7)]    # each citizen reads their own
    assert s.text[int(np.flatnonzero(s.op == CHAT)[0])]
    short = from_events(ev, 1.0, speed=60)            # only the first city minute: t = 0, 10, …, 50
    assert short.mix() == {"POST requests": 2, "GET requests/{id}": 2, "POST chat": 2}
    scaled = from_events(ev, 4.0, speed=60, rate=50, seed=1)
    assert abs(len(scaled) - 200) < 4 * np.sqrt(200)
    assert set(scaled.mix()) <= {"POST requests", "GET requests/{id}", "POST chat"}


def test_bad_events_input_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        from_events(tmp_path / "nope.parquet", 1)
    (tmp_path / "x.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="is not a run's event log"):
        from_events(tmp_path / "x.parquet", 1)
    with pytest.raises(ValueError, match="speed must be > 0"):
        from_events(_day(tmp_path), 1, speed=-1)


def test_latency_is_measured_from_the_scheduled_time_and_histograms_merge_exactly():
    a, b = Recorder(100.0), Recorder(100.0)
    # due at 100.0, sent 2 s late (every user was busy), answered 10 ms after sending
    a.on_sent(102.0)
    a.on_answer("POST requests", 100.0, 102.0, 102.010, 201)
    b.on_sent(100.5)
    b.on_answer("POST requests", 100.5, 100.5, 100.520, 429)
    b.on_error("GET requests", "ConnectionResetError", 101.0)
    m = Recorder.from_dict(a.to_dict())
    m.merge_dict(json.loads(json.dumps(b.to_dict())))
    s = summarize([a.to_dict(), b.to_dict()], {"url": "http://x/", "duration_s": 3.0})
    assert m.sent == s["sent"] == 2 and s["completed"] == 2 and s["ok"] == 1 and s["lost"] == 0
    assert s["errors"] == {"ConnectionResetError": 1, "HTTP 429": 1}
    assert 2005 <= s["latency_ms"]["max"] <= 2015          # the 2 s the arrival waited count
    assert s["service_ms"]["max"] <= 21                     # the server took only 10-20 ms
    assert s["operations"]["POST requests"]["status"] == {"201": 1, "429": 1}
    assert [r["sent"] for r in s["series"]] == [1, 0, 1] and s["series"][2]["completed"] == 1


def test_the_report_is_json_csv_and_an_offline_html_page(tmp_path):
    r = Recorder(0.0)
    r.scheduled = 1
    r.on_sent(0.1)
    r.on_answer("GET requests", 0.1, 0.1, 0.2, 200)
    s = summarize([r.to_dict()], {"url": "http://x", "duration_s": 1.0})
    paths = write_report(s, tmp_path / "out" / "lt")
    from pathlib import Path

    assert json.loads(Path(paths["json"]).read_text())["completed"] == 1
    assert Path(paths["csv"]).read_text().splitlines()[0].startswith("second,sent,completed,ok,errors")
    page = Path(paths["html"]).read_text(encoding="utf-8")
    assert "plotly.js v" in page and "Rate per second" in page           # plotly.js inlined, charts drawn
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page, re.IGNORECASE)  # nothing from the network


# ---- real runs against a real server -----------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, base, keys, _db = twin_serve(tmp_path_factory.mktemp("lt-serve"), "demo")
    yield base, keys["client"]
    proc.terminate()
    proc.wait(timeout=20)


def _received(base) -> int:
    return sum(httpx.get(f"{base}/ext/stats.json", timeout=10).json()["by_status"].values())


def test_a_synthetic_run_reports_what_the_server_received(server):
    base, key = server
    before = _received(base)
    # a connection per call here (the replayed day below keeps its connections alive)
    cfg, sched = prepare(base, api_key=key, rate=40, duration_s=3, max_in_flight=32, seed=1, connection="close")
    s = run(cfg)
    assert s["offered_rate"] == round(len(sched) / 3, 2)
    assert s["sent"] + s["not_sent"] == len(sched) and s["not_sent"] == 0
    assert s["completed"] == s["sent"] == s["locust"]["requests"] and s["lost"] == 0 and not s["errors"]
    posts = s["operations"]["POST requests"]["status"]
    assert _received(base) - before == posts["201"] == sched.mix()["POST requests"]
    for field in ("offered_rate", "achieved_rate", "ok_rate", "sent", "not_sent", "completed",
                  "delivered_rate", "lost", "latency_ms"):
        assert field in s
    assert s["latency_ms"]["p50"] <= s["latency_ms"]["p99"] <= s["latency_ms"]["max"]


def test_a_replayed_day_files_reads_and_chats_and_two_workers_merge(server, tmp_path):
    base, key = server
    before = _received(base)
    cfg, sched = prepare(base, api_key=key, events=str(_day(tmp_path)), speed=60, duration_s=3.0)
    s = run(cfg, workers=2, report=str(tmp_path / "rep"))
    assert s["workers"] == 2 and s["processes"] == 2
    assert s["sent"] == len(sched) == 16 and s["completed"] == 16 and s["ok"] == 16, s
    ops = s["operations"]
    assert ops["POST requests"]["status"] == {"201": 6} and ops["POST chat"]["status"] == {"200": 4}
    assert ops.get("GET requests/{id}", {"n": 0})["n"] + ops.get("GET requests", {"n": 0})["n"] == 6
    assert _received(base) - before == 6
    assert json.loads((tmp_path / "rep.json").read_text())["sent"] == 16


def test_the_run_is_time_bounded_and_counts_what_got_no_answer(tmp_path):
    """A server that accepts connections and never answers: the run still ends by itself, soon
    after --duration + --timeout, and every call sent is counted as lost, by kind."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    port = srv.getsockname()[1]
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    cfg = {"url": f"http://127.0.0.1:{port}/open311/v2", "api_key": "", "events": "", "rate": 10.0,
           "duration_s": 2.0, "post_share": 0.0, "seed": 0, "timeout_s": 1.0, "max_in_flight": 4,
           "codes": ["x"], "attributes": {}, "points": [[25.0, 45.0]]}
    t = time.monotonic()
    try:
        s = run(cfg)
    finally:
        stop.set()
        for c in held:
            c.close()
        srv.close()
    assert time.monotonic() - t < 40                   # process start-up on a busy machine included
    assert s["sent"] > 0 and s["completed"] == 0 and s["lost"] == s["sent"]
    assert sum(s["errors"].values()) == s["sent"]
    assert s["sent"] + s["not_sent"] == s["schedule"]["scheduled"]


def test_the_command_line_errors_name_the_option(server, tmp_path):
    base, _ = server
    out = subprocess.run(TWIN + ["loadtest", "open311", "--url", base, "--events", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2 and "events file" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run(TWIN + ["loadtest", "open311", "--url", base], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2 and "--rate is required" in out.stderr
    out = subprocess.run(TWIN + ["loadtest", "open311", "--worker"], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2 and "--master-host" in out.stderr


def test_reads_that_carry_a_key_are_limited_by_the_key_not_as_anonymous(demo_city, tmp_path):
    """The load generator sends its key on GETs; before, the server counted every read against
    the anonymous per-address limit, so a vendor's load test measured 429s, not the API."""
    from fastapi.testclient import TestClient

    from services.geo import CityArea
    from services.hall import CityHall
    from services.open311 import ROOT, create_app
    from tests.services_fixtures import make_store

    store = make_store("sqlite", tmp_path)
    hall = CityHall(store, CityArea(demo_city))
    key = hall.create_key("vendor", "client", rate_per_min=0)
    client = TestClient(create_app(hall, anonymous_rate_per_min=3))
    keyed = [client.get(f"{ROOT}/requests.json", params={"api_key": key}).status_code for _ in range(8)]
    assert keyed == [200] * 8
    anon = [client.get(f"{ROOT}/requests.json").status_code for _ in range(4)]
    assert anon == [200, 200, 200, 429]
    assert client.get(f"{ROOT}/requests/1.json", params={"api_key": "wrong"}).status_code == 403
    client.close()
    store.close()


def test_locust_f_runs_the_shipped_locustfile_and_stops_by_itself(server, tmp_path):
    """A vendor's own Locust command line: no --run-time, and it ends once the schedule's time
    and the answers' timeout are over, with the report written and matching the server."""
    import sys
    from pathlib import Path

    # the file's path, never an import: importing Locust monkey-patches this whole test process
    locustfile = Path(__file__).resolve().parent.parent / "services" / "loadgen" / "locustfile.py"
    base, key = server
    before = _received(base)
    out = subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", str(locustfile), "--headless", "-u", "4",
                          "-r", "100", "--host", base, "--twin-rate", "10", "--twin-duration", "2",
                          "--twin-timeout", "2", "--twin-api-key", key, "--twin-report", str(tmp_path / "loc"),
                          "--loglevel", "WARNING"], capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    s = json.loads((tmp_path / "loc.json").read_text())
    assert s["sent"] == 20 and s["completed"] == 20 and s["not_sent"] == 0
    assert _received(base) - before == s["operations"]["POST requests"]["status"]["201"]
    assert (tmp_path / "loc.html").exists() and (tmp_path / "loc.csv").exists()
