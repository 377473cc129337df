"""Integration mode survives its server (issue 16, item 7): the Open311 client retries with a
bounded back-off, counts every request (delivered / retried / failed), and a run whose server
is unreachable or dies ends cleanly — exit code 2, a one-line message naming
``--services-url``, ``kpis.json`` written and the manifest ``failed``, never left ``running``.

The MQTT side of the issue (no silent loss after a long outage) is tested in
``tests/test_sensors.py`` beside the broker fixture; a run that loses messages is tested here
through the run driver.
"""
from __future__ import annotations

import json
import subprocess
import time

import httpx
import pytest

from services.client import Open311Client, ServiceUnreachable, retry_after_s
from services.errors import RequestError
from tests.serving import TWIN, free_port, twin_serve
from twin.errors import TwinError

BASE = "http://open311.test/open311/v2"


def _client(answers, **kw):
    """A client whose server answers from ``answers`` in turn: an int status, an (int, headers)
    pair, or an exception class to raise; ``client.waits`` records the back-off sleeps."""
    seen = []
    waits = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        a = answers[min(len(seen), len(answers)) - 1]
        if isinstance(a, type) and issubclass(a, Exception):
            raise a("[Errno 111] Connection refused", request=request)
        status, headers = a if isinstance(a, tuple) else (a, {})
        body = [{"service_request_id": "7"}] if status < 400 else [{"code": status, "description": "no"}]
        return httpx.Response(status, json=body, headers=headers)

    c = Open311Client(BASE, api_key="k", transport=httpx.MockTransport(handler), sleep=waits.append, **kw)
    c.seen, c.waits = seen, waits
    return c


# ---- the client ---------------------------------------------------------------------------------
def test_client_retries_connection_errors_and_5xx_with_a_doubling_backoff():
    c = _client([httpx.ConnectError, httpx.ConnectError, 503, 502, 201])
    assert c.submit("streets", lat=45.6, lon=25.6)["service_request_id"] == "7"
    assert len(c.seen) == 5 and c.waits == [0.25, 0.5, 1.0, 2.0]
    assert c.stats() == {"delivered": 1, "retried": 4, "failed": 0}


def test_client_honours_retry_after_but_caps_it():
    c = _client([(429, {"Retry-After": "3"}), (503, {"Retry-After": "86400"}), 200], max_retry_after_s=20)
    c.services()
    assert c.waits == [3.0, 20.0] and c.stats() == {"delivered": 1, "retried": 2, "failed": 0}
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_s("soon") is None and retry_after_s("-5") == 0.0


def test_client_does_not_retry_an_answer_that_is_final():
    c = _client([400])
    with pytest.raises(RequestError) as e:
        c.submit("streets", lat=45.6, lon=25.6)
    assert e.value.code == 400 and len(c.seen) == 1 and c.stats() == {"delivered": 1, "retried": 0, "failed": 0}


def test_client_gives_up_after_bounded_retries_and_says_what_was_not_delivered():
    c = _client([201, httpx.ConnectError], retries=3)
    c.submit("streets", lat=45.6, lon=25.6)
    with pytest.raises(ServiceUnreachable) as e:
        c.submit("streets", lat=45.6, lon=25.6)
    msg = str(e.value)
    assert len(c.seen) == 1 + 4 and c.waits == [0.25, 0.5, 1.0]             # bounded: 3 re-sends, then stop
    assert msg.startswith(f"--services-url {BASE}: POST /requests.json failed 4 times")
    assert "connection refused" in msg and "1 request(s) not delivered, 1 delivered, 3 retried" in msg
    assert e.value.exit_code == 2 and c.stats() == {"delivered": 1, "retried": 3, "failed": 1}


def test_client_never_prints_a_password_in_the_url():
    c = Open311Client("http://vendor:s3cret@open311.test/v2", transport=httpx.MockTransport(
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r))), sleep=lambda s: None)
    with pytest.raises(ServiceUnreachable) as e:
        c.services()
    assert "s3cret" not in str(e.value) and "http://vendor:***@open311.test/v2" in str(e.value)


@pytest.mark.parametrize("url", ["127.0.0.1:8311/open311/v2", "ftp://host/v2", "http:///v2"])
def test_client_rejects_a_url_that_is_not_http(url):
    with pytest.raises(TwinError, match="--services-url"):
        Open311Client(url)


def test_check_says_when_the_url_is_not_an_open311_root():
    c = _client([404])
    with pytest.raises(TwinError, match="answered HTTP 404 without an Open311 catalogue"):
        c.check()


# ---- runs -------------------------------------------------------------------------------------
def _manifest(run_dir):
    return json.loads((run_dir / "manifest.json").read_text())


def test_cli_run_with_an_unreachable_services_url_exits_2_at_once(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/open311/v2"
    out = subprocess.run(TWIN + ["run", "--city", "demo", "--population", "100", "--hours", "1", "--no-progress",
                                 "--out", str(tmp_path / "r"), "--services-url", url, "--api-key", "k"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert f"--services-url {url}" in out.stderr and "connection refused" in out.stderr
    m = _manifest(tmp_path / "r")
    assert m["status"] == "failed" and url in m["reason"]


@pytest.fixture
def server(tmp_path, _private_cache):
    (tmp_path / "serve").mkdir()
    proc, base, keys, _db = twin_serve(tmp_path / "serve", "demo", (("vendor", "client"), ("ops", "staff")),
                                       timeout_s=90)          # a busy machine starts it slowly
    yield proc, base, keys
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_run_whose_server_dies_mid_run_ends_failed_with_kpis(server, tmp_path, demo_city):
    """``twin serve`` killed (-9) two simulated hours into a run: the next request is retried,
    then the run stops — exit code 2, kpis.json with the counts, the manifest ``failed``."""
    from scenarios import load_scenario
    from twin_app.run import RunFailed, run_scenario

    proc, base, keys = server
    sc = load_scenario("baseline", city="demo", population=2000, hours=24, seed=5,
                       demand={"report_multiplier": 200.0},
                       services={"url": base, "api_key": keys["client"], "staff_key": keys["staff"]})

    def kill_at_2h(h):
        if h >= 2 and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    run_dir = tmp_path / "run"
    with pytest.raises(RunFailed) as e:
        run_scenario(sc, out=run_dir, city=demo_city, progress=kill_at_2h)
    msg = str(e.value)
    assert e.value.exit_code == 2 and f"--services-url {base}" in msg
    assert "1 request(s) not delivered" in msg and "failed 6 times" in msg and "connection refused" in msg
    m = _manifest(run_dir)
    assert m["status"] == "failed" and "not delivered" in m["reason"]
    k = json.loads((run_dir / "kpis.json").read_text())
    http = k["services"]["http"]
    assert http["failed"] == 1 and http["retried"] == 5 and http["delivered"] > 0
    assert k["failed"] == [m["reason"]] and e.value.summary["kpis"] == k


def test_cli_run_whose_server_is_killed_exits_2_naming_what_was_not_delivered(server, tmp_path):
    """The same through the ``twin`` command, with the server killed from outside once it has
    taken its first requests."""
    proc, base, keys = server
    scen = tmp_path / "busy.yaml"
    scen.write_text("name: busy\ncity: demo\npopulation: 2000\nhours: 48\nseed: 5\n"
                    "demand: {report_multiplier: 200}\n")
    run_dir = tmp_path / "r"
    run = subprocess.Popen(TWIN + ["run", str(scen), "--out", str(run_dir), "--no-progress", "--services-url", base,
                                   "--api-key", keys["client"], "--staff-key", keys["staff"]],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if len(httpx.get(f"{base}/requests.json", params={"status": "open,closed"}).json()) >= 2:
            break
        time.sleep(0.2)
    proc.kill()
    proc.wait(10)
    _out, err = run.communicate(timeout=180)
    assert run.returncode == 2, err
    assert "Traceback" not in err and f"--services-url {base}" in err and "1 request(s) not delivered" in err
    assert len(err.strip().splitlines()) == 1, err
    assert _manifest(run_dir)["status"] == "failed"
    k = json.loads((run_dir / "kpis.json").read_text())
    assert k["services"]["http"]["failed"] == 1 and k["services"]["http"]["delivered"] >= 2


# ---- MQTT loss through the run driver -----------------------------------------------------------
def test_run_that_loses_mqtt_messages_fails_with_lost_in_its_summary(tmp_path, demo_city, monkeypatch, capsys):
    """The broker goes away mid-run and never returns: the run drains for ``drain_timeout_s``,
    counts the rest ``lost``, and the ``twin run`` command exits 2 saying so — kpis.json and the
    manifest (``failed``) say the same. Before, drain() claimed success and the run exited 0."""
    from functools import partial

    import sensors.bridge
    from tests.mqtt_broker import Broker
    from twin_app import cli

    (tmp_path / "broker").mkdir()
    b = Broker(tmp_path / "broker").start()
    stopped = []

    real_run = sensors.bridge.MqttBridge.publish

    def publish(self, *a, **kw):                  # the broker dies once the run has published a while
        if self.published == 200 and not stopped:
            b.stop()
            stopped.append(True)
        return real_run(self, *a, **kw)

    monkeypatch.setattr(sensors.bridge.MqttBridge, "publish", publish)
    monkeypatch.setattr(sensors.bridge, "MqttParams", partial(sensors.bridge.MqttParams, drain_timeout_s=1.0))
    run_dir = tmp_path / "r"
    try:
        code = cli.main(["run", "--city", "demo", "--population", "300", "--hours", "2", "--no-progress",
                         "--out", str(run_dir), "--mqtt", b.url, "--json"])
    finally:
        b.stop()
    out, err = capsys.readouterr()
    assert stopped and code == 2 and "lost" in err and "Traceback" not in err
    summary = json.loads(out.strip().splitlines()[-1])            # a script reading --json sees the loss too
    assert summary["status"] == "failed" and summary["kpis"]["mqtt"]["lost"] > 0
    k = json.loads((run_dir / "kpis.json").read_text())["mqtt"]
    assert k["lost"] > 0 and k["published"] == k["acked"] + k["lost"]
    m = _manifest(run_dir)
    assert m["status"] == "failed" and f"lost {k['lost']:,} of {k['published']:,} messages" in m["reason"]


def test_client_reads_a_servers_answer_through_the_untrusted_json_guard():
    deep = b"[" * 5000 + b"]" * 5000

    def handler(request):
        return httpx.Response(200, content=deep, headers={"content-type": "application/json"})

    c = Open311Client("http://open311.test/open311/v2", transport=httpx.MockTransport(handler))
    with pytest.raises(RequestError, match="nest"):
        c.services()
