"""``twin loadtest mqtt --per-device`` (issue 17): one connection per device on Locust, spread
over worker processes, sinks on a shared subscription, command round trips, TLS and a broker
killed in the middle — against a real mosquitto whose own deliveries (to an independent
subscriber) the report must match."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from services.loadgen import mqtt_runner, mqtt_wire as wire
from services.loadgen.measure import loss_by_stage
from services.loadgen.mqtt_report import write_mqtt_report
from services.loadgen.mqtt_runner import run_mqtt
from tests.mqtt_broker import Broker, broker  # noqa: F401  (fixture)
from tests.serving import TWIN, free_port


def test_loss_is_told_by_stage():
    assert loss_by_stage(100, 90, 85, 1) == {"not_acknowledged": 10, "acknowledged_not_delivered": 5}
    assert loss_by_stage(100, 100, 100, 1) == {"not_acknowledged": 0, "acknowledged_not_delivered": 0}
    assert loss_by_stage(100, 0, 97, 0) == {"not_delivered": 3}


def test_latencies_recorded_in_bulk_make_the_same_histogram_as_one_by_one():
    from services.loadgen.measure import Batch, _hist, _us, percentiles

    rng = np.random.default_rng(1)
    seconds = np.concatenate([rng.lognormal(-6, 2, 50_000), [0.0, -0.001, 2e-7, 1e-3, 3.0, 4000.0]])
    one = _hist()
    for s in seconds.tolist():
        one.record_value(_us(max(0.0, s)))
    batch = Batch()
    for s in seconds.tolist():
        batch.add(s)
    bulk = batch.flush()
    assert list(bulk.counts) == list(one.counts) and bulk.get_total_count() == len(seconds)
    assert percentiles(bulk) == percentiles(one)


def test_the_wire_codec_reads_packets_split_anywhere():
    pkts = [wire.publish(b"a/b", b"x" * 300, 1, 7), wire.puback(7), wire.publish(b"c", b"", 0)]
    data = b"".join(pkts)
    for cut in (1, 2, 3, 150, len(data) - 1):       # a remaining length of two bytes, split too
        r = wire.Reader()
        got = r.feed(data[:cut]) + r.feed(data[cut:])
        assert [t for t, _f, _b in got] == [wire.PUBLISH, wire.PUBACK, wire.PUBLISH] and r.buf == b""
        assert wire.parse_publish(got[0][1], got[0][2]) == ("a/b", b"x" * 300, 1, 7)
        assert wire.parse_publish(got[2][1], got[2][2]) == ("c", b"", 0, 0)
    for size in (0, 60, 200, 20_000):               # the hot path's packets are the same bytes
        for qos in (0, 1):
            assert wire.publish_to(wire.topic_head(b"a/b"), b"x" * size, qos, 9) == wire.publish(b"a/b", b"x" * size,
                                                                                                  qos, 9 * qos)


class _Watcher:
    """An independent subscriber to everything the broker routes under city/: what it really got
    (a persistent session that reconnects by itself, so it also sees across a broker restart)."""

    def __init__(self, url: str, tls: tuple[str, str, str] | None = None):
        port = int(url.rsplit(":", 1)[1])
        self.telemetry = 0
        self.seqs: set[int] = set()
        self.replies = 0
        self.state: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watcher", clean_session=False)
        self.c.on_message = self.on_message
        self.c.on_connect = lambda c, *_a: c.subscribe("city/#", qos=1)
        self.c.reconnect_delay_set(0.2, 1)
        if tls is not None:                                    # (CA, client certificate, its key)
            self.c.tls_set(ca_certs=tls[0], certfile=tls[1], keyfile=tls[2])
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        time.sleep(0.5)

    def on_message(self, _c, _u, msg):
        with self.lock:
            if msg.topic.endswith("/telemetry"):
                self.telemetry += 1
                self.seqs.add(int(json.loads(msg.payload)[0]["v"]))
            elif msg.topic.endswith("/cmd/reply"):
                self.replies += 1
            elif msg.topic.endswith("/state"):
                self.state[msg.topic] = msg.payload

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def test_one_connection_per_device_and_the_counts_match_the_broker(broker, tmp_path):  # noqa: F811
    w = _Watcher(broker.url)
    try:
        s = run_mqtt(broker.url, devices=40, rate=200, duration_s=2.0, qos=1, sinks=2, timeout_s=5, workers=2,
                     commands=20)
        time.sleep(0.5)
    finally:
        w.close()
    assert s["workers"] == 2 and s["connections"]["connected"] == 40 and s["connections"]["failed"] == 0
    assert s["sent"] == 400 and s["not_sent"] == 0
    assert s["acknowledged"] == s["delivered"] == 400 and s["lost"] == 0 and s["duplicates"] == 0
    assert s["loss_by_stage"] == {"not_acknowledged": 0, "acknowledged_not_delivered": 0}
    assert w.telemetry == s["delivered"]                       # what the broker routed, seen independently
    # each device said online (retained) when it connected and offline when it left
    states = {t: v for t, v in w.state.items() if f"loadtest-{s['run']}/" in t}
    assert len(states) == 40 and set(states.values()) == {b"offline"}
    assert s["latency_ms"]["n"] == 400 and s["ack_latency_ms"]["n"] == 400
    # command round trips: every command reached its device and its answer came back, timed
    c = s["commands"]
    assert c["sent"] == 40 and c["answered"] == c["received_by_devices"] == w.replies == 40
    assert c["round_trip_ms"]["n"] == 40 and c["round_trip_ms"]["p50"] > 0
    # one report: the per-second series adds up to the totals; CSV and an offline HTML page
    paths = write_mqtt_report(s, tmp_path / "rep")
    rows = list(csv.DictReader(open(paths["csv"])))
    assert sum(int(r["sent"]) for r in rows) == s["sent"] and sum(int(r["delivered"]) for r in rows) == 400
    assert sum(int(r["acknowledged"]) for r in rows) == 400
    page = open(paths["html"], encoding="utf-8").read()
    assert "Loss by stage" in page and "plotly" in page and "<script src" not in page


def test_a_broker_killed_and_restarted_mid_run_loses_nothing_at_qos1(tmp_path):
    """kill -9 of a persistent mosquitto 1 s into the run, back 0.5 s later: the devices reconnect
    with back-off and send again what was not acknowledged, the sinks' persistent sessions get
    what the broker kept; the report counts the reconnects and, by stage, 0 lost."""
    # saved after every change (autosave_interval counts changes then): what it acknowledged is on disk
    b = Broker(tmp_path, options="autosave_on_changes true\n").start()
    w = _Watcher(b.url)

    def outage(t0, _end):
        time.sleep(max(0.0, t0 + 1.0 - time.time()))
        b.proc.kill()
        b.proc.wait(5)
        time.sleep(0.5)
        b.start()

    try:
        s = run_mqtt(b.url, devices=20, rate=200, duration_s=3.0, qos=1, sinks=2, timeout_s=8, on_clock=outage)
        time.sleep(0.5)
    finally:
        w.close()
        b.stop()
    assert s["sent"] == 600 and s["not_sent"] == 0
    assert s["connections"]["reconnects"] >= 20 and s["sink_reconnects"] >= 2    # the outage happened
    assert s["loss_by_stage"] == {"not_acknowledged": 0, "acknowledged_not_delivered": 0}, s
    assert s["acknowledged"] == s["delivered"] == 600 and s["lost"] == 0
    assert w.seqs == set(range(600))                           # the broker did route every one
    assert s["latency_ms"]["max"] >= 500                       # the outage shows in the latency


def _throwaway_pki(folder: Path) -> dict:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files (trustme,
    on ``cryptography``)."""
    import trustme

    ca = trustme.CA()
    files = {k: str(folder / f"{k}.pem") for k in ("ca", "server", "server_key", "client", "client_key")}
    ca.cert_pem.write_to_path(files["ca"])
    for name, cert in (("server", ca.issue_cert("127.0.0.1", "localhost")), ("client", ca.issue_cert("device-fleet"))):
        cert.cert_chain_pems[0].write_to_path(files[name])
        cert.private_key_pem.write_to_path(files[f"{name}_key"])
    return files


def _mtls_broker(tmp_path) -> tuple[Broker, dict]:
    """A mosquitto with a TLS listener that requires a client certificate from a throwaway CA."""
    f = _throwaway_pki(tmp_path)
    b = Broker(tmp_path, options=f"cafile {f['ca']}\ncertfile {f['server']}\nkeyfile {f['server_key']}\n"
                                 "require_certificate true\n").start()
    return b, f


def test_a_master_and_a_worker_over_tls_with_client_certificates_merge_into_one_report(tmp_path):
    """``twin loadtest mqtt --per-device --master`` and a ``twin loadtest mqtt --worker`` process
    (as on another machine, here on this one) against a broker that requires a client certificate:
    the worker takes the fleet's options (certificates included) from the master; the master's
    report merges its counts with its sink's, matching
    what an independent subscriber got. Without the client certificate, or without the CA, the run
    is refused before it starts."""
    b, f = _mtls_broker(tmp_path)
    port = free_port()
    tls = ["--ca-certs", f["ca"], "--certfile", f["client"], "--keyfile", f["client_key"]]
    w = _Watcher(b.url, tls=(f["ca"], f["client"], f["client_key"]))
    procs = []
    try:
        procs.append(subprocess.Popen(TWIN + ["loadtest", "mqtt", "--per-device", "--master", "--expect-workers", "1",
                                              "--master-bind", "127.0.0.1", "--master-port", str(port), "--url",
                                              b.url, "--rate", "400", "--duration", "1", "--devices", "40",
                                              "--sinks", "1", "--json", *tls],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        procs += [subprocess.Popen(TWIN + ["loadtest", "mqtt", "--worker", "--master-host", "127.0.0.1",
                                           "--master-port", str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)]
        out, err = procs[0].communicate(timeout=120)
        codes = [p.wait(timeout=30) for p in procs[1:]]            # the master's quit ends it
        time.sleep(0.5)
        with pytest.raises(Exception, match="closed the connection before answering.*client certificate"):
            run_mqtt(b.url, devices=1, rate=1, duration_s=1.0, ca_certs=f["ca"])     # no client certificate
        with pytest.raises(Exception, match="certificate verify failed|CERTIFICATE_VERIFY_FAILED"):
            run_mqtt(b.url, devices=1, rate=1, duration_s=1.0, certfile=f["client"], keyfile=f["client_key"])
    finally:
        w.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
        b.stop()
    assert procs[0].returncode == 0 and codes == [0], err[-2000:]
    assert "--master-port" in err                                  # how to start the workers, said once
    s = json.loads(out)
    assert s["url"].startswith("mqtts://") and s["workers"] == 1 and "missing_workers" not in s
    assert s["connections"]["connected"] == 40 and s["connections"]["failed"] == 0
    assert s["sent"] == s["acknowledged"] == s["delivered"] == 400 == w.telemetry and s["lost"] == 0
    assert w.seqs == set(range(400)) and s["ack_latency_ms"]["n"] == 400 and s["sinks_reported"] == 1
    assert s["cpu_s"]["generators"] > 0 and s["open_files_limit"] > 0


@pytest.mark.slow
def test_tls_devices_with_client_certificates_in_one_process(tmp_path):
    """The same broker with the local runner (no master): devices, sinks and commander show the
    client certificate."""
    b, f = _mtls_broker(tmp_path)
    try:
        s = run_mqtt(b.url, devices=10, rate=100, duration_s=1.0, qos=1, sinks=1, timeout_s=5, commands=10,
                     ca_certs=f["ca"], certfile=f["client"], keyfile=f["client_key"])
    finally:
        b.stop()
    assert s["connections"]["connected"] == 10 and s["connections"]["failed"] == 0
    assert s["sent"] == s["acknowledged"] == s["delivered"] == 100 and s["lost"] == 0
    assert s["commands"]["answered"] == 10 and s["sinks_reported"] == 1


def test_per_device_cli_names_an_unreachable_url():
    port = free_port()
    out = subprocess.run(TWIN + ["loadtest", "mqtt", "--per-device", "--url", f"mqtt://127.0.0.1:{port}",
                                 "--rate", "10", "--duration", "1", "--devices", "2"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2 and "--url" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_per_device_cli_names_bad_options(broker):  # noqa: F811
    for extra, named in ((["--sinks", "5"], "--sink-split"), (["--ca-certs", "/nonexistent/ca.pem"], "--ca-certs"),
                         (["--certfile", "/nonexistent/c.pem"], "--certfile"),
                         (["--keyfile", __file__], "--keyfile needs --certfile")):
        out = subprocess.run(TWIN + ["loadtest", "mqtt", "--per-device", "--url", broker.url, "--rate", "10",
                                     "--duration", "1", "--devices", "2", *extra],
                             capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 2 and named in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_a_master_whose_workers_never_come_names_expect_workers_after_worker_timeout(broker):  # noqa: F811
    """``--master --expect-workers 2`` and no worker started: after ``--worker-timeout`` (2 s here),
    exit 2 with one line naming ``--expect-workers``, how many came, and the option that bounds the
    wait — not an internal error an hour later."""
    t = time.time()
    out = subprocess.run(TWIN + ["loadtest", "mqtt", "--per-device", "--master", "--expect-workers", "2",
                                 "--worker-timeout", "2", "--master-bind", "127.0.0.1", "--master-port",
                                 str(free_port()), "--url", broker.url, "--rate", "10", "--duration", "1",
                                 "--devices", "4", "--sinks", "1"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    line = [x for x in out.stderr.splitlines() if "--expect-workers" in x]
    assert len(line) == 1 and "0 of 2" in line[0] and "within 2 s (--worker-timeout)" in line[0], out.stderr
    assert time.time() - t < 60
    bad = subprocess.run(TWIN + ["loadtest", "mqtt", "--per-device", "--master", "--worker-timeout", "0",
                                 "--url", broker.url], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "--worker-timeout must be > 0" in bad.stderr, bad.stderr


@pytest.mark.slow
def test_locust_f_runs_the_fleet_on_two_worker_processes(broker, tmp_path):  # noqa: F811
    """``locust -f services/loadgen/mqtt_locustfile.py --processes 2``: Locust's own distributed
    mode plays the fleet; the master's report of what was sent and acknowledged matches what an
    independent subscriber got."""
    w = _Watcher(broker.url)
    try:
        out = subprocess.run([sys.executable, "-m", "locust", "-f", str(Path(mqtt_runner.__file__).with_name(
                              "mqtt_locustfile.py")), "--headless", "--processes", "2", "-u", "30", "-r", "100",
                              "--twin-mqtt-url", broker.url, "--twin-devices", "30", "--twin-rate", "150",
                              "--twin-duration", "2", "--twin-start-delay", "2", "--twin-report", str(tmp_path / "f"),
                              "--loglevel", "WARNING"], capture_output=True, text=True, timeout=120, check=False)
        time.sleep(0.5)
    finally:
        w.close()
    assert out.returncode == 0, out.stderr[-2000:]
    s = json.loads((tmp_path / "f.json").read_text())
    assert s["workers"] == 2 and s["connections"]["connected"] == 30
    assert s["sent"] == s["acknowledged"] == 300 == w.telemetry and s["not_sent"] == 0
    assert s["loss_by_stage"] == {"not_acknowledged": 0} and s["ack_latency_ms"]["n"] == 300
