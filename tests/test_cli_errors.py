"""The ``twin`` command under bad input and a hostile environment (issue 16, item 9).

Every case runs the command and asserts the documented exit code (0 ok, 1 internal error, 2 bad
input, 3 kernels not built — only that —, 130 interrupted, 141 the reader went away), that no
traceback is shown, and that the one-line message names the option or field *and* the value the
user gave.

Most cases call :func:`twin_app.cli.main` in this process, with its own stdout, stderr and
environment: that is exactly what ``python -m twin_app`` runs once the interpreter has started
(``sys.exit(main())``), without paying ~2 s of interpreter start and imports per case. The cases
about the *process* — signals, a closed output pipe, a server printing its port, an error raised
while the interpreter exits, ``sys.exit`` codes — run the real command (``process=True``).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serving import free_port

ROOT = Path(__file__).resolve().parent.parent
TWIN = [sys.executable, "-m", "twin_app"]


def twin(*args, env=None, timeout=300, process=False):
    """Run ``twin ARGS``: in this process through ``cli.main`` (default) or as ``python -m twin_app``.

    Returns an object with ``returncode``, ``stdout`` and ``stderr`` either way."""
    argv = [str(a) for a in args]
    if process:
        return subprocess.run(TWIN + argv, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, **(env or {})}, timeout=timeout)
    from twin_app import cli

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:            # argparse: a bad option is usage + exit 2
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(TWIN + argv, code, out.getvalue(), err.getvalue())


def assert_clean(r, code: int, *words: str) -> None:
    """Exit ``code``, no traceback, and every one of ``words`` in stderr."""
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    for w in words:
        assert w in r.stderr, (w, r.stderr[-2000:])


# --- OSM and GraphML coordinates (twin/osm.py, twin/city.py) ------------------------------------

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
<node id="1" lat="45.64" lon="25.58"/>
<node id="2" lat="{lat}" lon="{lon}"/>
<node id="3" lat="45.65" lon="25.60"/>
<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.mark.parametrize("lat, lon, words", [
    ("999", "25.59", ["node 2", "lat '999'"]),           # not even parsed by pyosmium
    ("nan", "25.59", ["node 2", "lat 'nan'"]),
    ("-inf", "25.59", ["node 2", "lat '-inf'"]),
    ("95", "25.59", ["node 2", "lat 95", "out of range"]),  # parsed, silently dropped before
    ("45.645", "181", ["node 2", "lon 181", "out of range"]),
])
def test_osm_node_with_bad_coordinates_is_named(tmp_path, lat, lon, words):
    f = tmp_path / "bad.osm"
    f.write_text(OSM.format(lat=lat, lon=lon))
    r = twin("city", "info", "--city", f, env={"TWIN_CACHE_DIR": str(tmp_path / "cache")})
    assert_clean(r, 2, str(f), *words)


def test_graphml_node_with_nan_coordinates_is_named(tmp_path):
    import networkx as nx
    import osmnx as ox

    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=25.58, y=45.64)
    G.add_node(2, x=float("nan"), y=45.65)
    G.add_node(3, x=25.60, y=45.65)
    G.add_edge(1, 2, length=100.0, highway="residential", osmid=10)
    G.add_edge(2, 3, length=100.0, highway="residential", osmid=10)
    f = tmp_path / "bad.graphml"
    ox.save_graphml(G, f)
    r = twin("city", "info", "--city", f, env={"TWIN_CACHE_DIR": str(tmp_path / "cache")})
    assert_clean(r, 2, str(f), "node 2", "lon nan")


# --- scenario files (scenarios/yamlfile.py) --------------------------------------------------------

BOMB = "".join(f"{a}: &{a} [{', '.join([f'*{p}'] * 9 if p else ['lol'] * 9)}]\n"
               for p, a in zip([None, "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi"))


def test_binary_scenario_file_is_named(tmp_path):
    f = tmp_path / "photo.yaml"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    r = twin("run", f, "--out", tmp_path / "o")
    assert_clean(r, 2, str(f), "not UTF-8")


def test_yaml_alias_bomb_gets_a_short_error(tmp_path):
    f = tmp_path / "bomb.yaml"
    f.write_text(BOMB)                       # 9 levels of 9 aliases: 387 million values, ~400 bytes
    assert len(BOMB) < 600
    r = twin("run", f, "--out", tmp_path / "o")
    assert_clean(r, 2, str(f), "aliases")
    assert len(r.stderr) < 1000


def test_yaml_bomb_below_the_limit_still_gives_a_short_validation_error(tmp_path):
    f = tmp_path / "small_bomb.yaml"           # 9**4 values: under the limit, but every field is wrong
    lol = ", ".join(["lol"] * 9)
    f.write_text(f"x: &a [{lol}]\ny: &b [{', '.join(['*a'] * 9)}]\nz: &c [{', '.join(['*b'] * 9)}]\n"
                 f"population: [{', '.join(['*c'] * 9)}]\n")
    r = twin("run", f, "--out", tmp_path / "o")
    assert_clean(r, 2, str(f), "population: [[[")
    assert len(r.stderr) < 3000              # was megabytes: every expanded value quoted in full


def test_deeply_nested_yaml_is_refused(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("closures: " + "[" * 50_000 + "]" * 50_000 + "\n")
    r = twin("run", f, "--out", tmp_path / "o")
    assert_clean(r, 2, str(f), "nested more than")


# --- --out (twin_app/run.py check_out) --------------------------------------------------------------

@pytest.mark.parametrize("out, words", [
    ("notes.txt", ["is a file"]),
    ("notes.txt/run", ["cannot create", "Not a directory"]),
    ("/proc/twin-no/run", ["cannot create"]),               # not even root can make it
])
def test_out_that_is_a_file_or_cannot_be_made(tmp_path, out, words):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    out = tmp_path / out
    r = twin("run", "--population", "5", "--hours", "1", "--out", out)
    assert_clean(r, 2, f"--out {str(out)!r}", *words)
    assert f.read_text() == "mine"


FINISHED = {"status": "complete", "created": "2026-01-01T00:00:00"}


def test_out_refuses_a_finished_run_without_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(FINISHED))
    r = twin("run", "--population", "5", "--hours", "1", "--out", out)
    assert_clean(r, 2, f"--out {str(out)!r}", "finished run", "--force")
    assert json.loads((out / "manifest.json").read_text()) == FINISHED


def test_force_replaces_a_finished_run(tmp_path):
    """The one test here that runs the twin (5 citizens, 1 h): the replaced run must be real."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(FINISHED))
    r = twin("run", "--population", "5", "--hours", "1", "--out", out, "--force", "--no-progress")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["created"] != FINISHED["created"]
    assert (out / "kpis.json").exists()


def test_out_refuses_finished_replications_without_force(tmp_path):
    out = tmp_path / "reps"
    (out / "rep-00").mkdir(parents=True)
    (out / "replications.json").write_text("{}")
    r = twin("run", "--population", "5", "--hours", "1", "--replications", "2", "--out", out)
    assert_clean(r, 2, "--out", str(out), "finished run", "--force")


# --- --db -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["run", "--population", "5", "--hours", "1"], ["keys", "create", "bob"],
                                     ["serve", "--port", "0"]])
@pytest.mark.parametrize("kind", ["malformed", "refused", "no folder"])
def test_db_malformed_or_unreachable(tmp_path, command, kind):
    port = free_port()
    url, words = {
        "malformed": ("mysql://x", ["--db 'mysql://x'", "sqlite:///FILE or postgresql://"]),
        "refused": (f"postgresql://twin:s3cret@127.0.0.1:{port}/city",
                    [f"--db 'postgresql://twin:***@127.0.0.1:{port}/city'", "cannot connect"]),
        "no folder": (f"sqlite:///{tmp_path}/no/such/dir/hall.sqlite", ["--db", "no/such/dir", "cannot connect"]),
    }[kind]
    extra = ["--out", tmp_path / "o"] if command[0] == "run" else []
    r = twin(*command, *extra, "--db", url)
    assert_clean(r, 2, *words)
    assert "s3cret" not in r.stderr          # the password is never printed
    assert not (tmp_path / "o").exists()     # nothing was started


# --- ports --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["serve", "dash"])
@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_port_out_of_range(command, port):
    r = twin(command, "--port", port)
    assert_clean(r, 2, "--port", port)


@pytest.mark.parametrize("command", ["serve", "dash"])
def test_busy_port_is_bad_input_naming_the_port(tmp_path, command):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = twin(command, "--port", port, "--db", f"sqlite:///{tmp_path}/h.sqlite") if command == "serve" \
            else twin(command, "--port", port, "--no-live")
    assert_clean(r, 2, f"--port {port}", "already in use")   # was exit 3: "kernels not built"


def test_host_that_is_not_this_machine(tmp_path):
    r = twin("serve", "--host", "192.0.2.77", "--port", "0", "--db", f"sqlite:///{tmp_path}/h.sqlite")
    assert_clean(r, 2, "--host '192.0.2.77'")


@pytest.mark.parametrize("command", ["serve", "dash"])
def test_port_0_serves_on_the_free_port_it_prints(tmp_path, command):
    """~10 s for dash: importing Dash and building the layout is most of it."""
    import httpx

    extra = ["--db", f"sqlite:///{tmp_path}/h.sqlite"] if command == "serve" else ["--no-live", "--runs", tmp_path]
    proc = subprocess.Popen(TWIN + [command, "--port", "0", *map(str, extra)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert port not in (0, 8050, 8311), line
        path = "/open311/v2/services.json" if command == "serve" else "/"
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.1)
        else:
            pytest.fail(f"nothing answered on the printed port {port}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- loadtest --url --------------------------------------------------------------------------------------

def test_loadtest_mqtt_unreachable_url_names_url():
    port = free_port()
    r = twin("loadtest", "mqtt", "--url", f"mqtt://127.0.0.1:{port}", "--rate", "10", "--duration", "1")
    assert_clean(r, 2, f"--url mqtt://127.0.0.1:{port}", "connection refused")
    assert "--mqtt" not in r.stderr
    r = twin("loadtest", "mqtt", "--url", "http://127.0.0.1:1883", "--rate", "10", "--duration", "1")
    assert_clean(r, 2, "--url 'http://127.0.0.1:1883'", "mqtt://")


# --- size -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size, words", [
    (["--scale", "7"], ["--scale 7", "more than the whole city", "--allow-large"]),
    (["--population", "3000000"], ["--population 3000000", "2,000,000", "--allow-large"]),
    (["big.yaml"], ["big.yaml': scale 4", "--allow-large"]),
])
def test_scale_above_one_or_huge_population_needs_allow_large(tmp_path, size, words):
    (tmp_path / "big.yaml").write_text("scale: 4\n")
    size = [str(tmp_path / s) if s.endswith(".yaml") else s for s in size]
    r = twin("run", *size, "--hours", "1", "--out", tmp_path / "o")
    assert_clean(r, 2, *words)
    assert not (tmp_path / "o").exists()     # refused before anything was made


def test_allow_large_acknowledges_the_size(tmp_path):
    # the size check passes, and the next check (a file as --out) is what fails — no big run
    (tmp_path / "file").write_text("")
    r = twin("run", "--scale", "7", "--allow-large", "--hours", "1", "--out", tmp_path / "file")
    assert_clean(r, 2, "--out", "is a file")


@pytest.mark.parametrize("size", [["--scale", "1"], ["--scale", "0.1"], []])
def test_scale_up_to_one_needs_no_acknowledgement(tmp_path, size):
    """Scripted uses keep working (the default is 0.1): the size check passes, and the next
    check (a file as --out) is what fails — without running anything."""
    (tmp_path / "file").write_text("")
    r = twin("run", *size, "--hours", "1", "--out", tmp_path / "file")
    assert_clean(r, 2, "--out", "is a file")


# --- internal errors, interrupts, closed pipes ----------------------------------------------------------

BUG = ("import sys; from twin_app import cli\n"
       "def boom(args):\n    raise ZeroDivisionError('division by zero\\n' + 'x' * 100000)\n"
       "cli._city_info = boom\nsys.exit(cli.main(sys.argv[1:]))\n")


def test_internal_error_is_one_short_line_with_a_debug_hint():
    r = subprocess.run([sys.executable, "-c", BUG, "city", "info"], capture_output=True, text=True, cwd=ROOT)
    assert_clean(r, 1, "internal error: ZeroDivisionError: division by zero", "--debug", "TWIN_DEBUG=1")
    assert len(r.stderr.strip().splitlines()) == 1 and len(r.stderr) < 1000
    r = subprocess.run([sys.executable, "-c", BUG, "--debug", "city", "info"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 1 and "Traceback" in r.stderr and "in boom" in r.stderr
    r = subprocess.run([sys.executable, "-c", BUG, "city", "info"], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "TWIN_DEBUG": "1"})
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_kernels_exit_code_is_only_for_kernels():
    code = ("import sys; from twin_app import cli\n"
            "def fail(args):\n    raise SystemExit(3)\n"           # e.g. uvicorn's own startup failure code
            "cli._city_info = fail\nsys.exit(cli.main(['city', 'info']))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert_clean(r, 1, "internal error", "exit 3")


def test_ctrl_c_exits_130():
    """Interrupted while waiting for a broker that accepted the connection but never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(120)
        port = silent.getsockname()[1]
        # the child gets Ctrl-C's default action whatever this process inherited: a test run
        # started in the background of a script (`pytest … &`, nohup) has SIGINT ignored, and
        # an ignored signal stays ignored across exec — Python then installs no handler
        proc = subprocess.Popen(TWIN + ["loadtest", "mqtt", "--url", f"mqtt://127.0.0.1:{port}", "--rate", "1",
                                        "--duration", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            conn, _ = silent.accept()               # the command is now waiting for the handshake
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            conn.close()
        finally:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, (proc.returncode, err)


def test_closed_output_pipe_is_quiet():
    read, write = os.pipe()
    os.close(read)                               # nobody will read: every write fails with EPIPE
    try:
        r = subprocess.run(TWIN + ["scenarios"], stdout=write, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    finally:
        os.close(write)
    assert r.returncode == 141 and r.stderr == ""


def test_chat_eval_binary_file_is_named(tmp_path):
    f = tmp_path / "labels.jsonl"
    f.write_bytes(b"\xa1\x00\xff binary")
    r = twin("chat", "eval", f)
    assert_clean(r, 2, str(f), "not UTF-8")


def test_check_out_redoes_failed_or_interrupted_runs_but_not_finished_ones(tmp_path):
    from twin.errors import TwinError
    from twin_app.run import check_out

    for status in ("running", "failed", "interrupted"):
        d = tmp_path / status
        d.mkdir()
        (d / "manifest.json").write_text(json.dumps({"status": status}))
        assert check_out(d, overwrite=False) == d
    d = tmp_path / "done"
    d.mkdir()
    (d / "manifest.json").write_text(json.dumps(FINISHED))
    with pytest.raises(TwinError, match="finished run"):
        check_out(d, overwrite=False)
    assert check_out(d, overwrite=True) == d          # the library's default, and --force


def test_missing_mqtt_ca_is_named(tmp_path):
    ca = tmp_path / "missing-ca.pem"
    r = twin("run", "--population", "5", "--hours", "1", "--out", tmp_path / "o",
             "--mqtt", f"mqtts://127.0.0.1:{free_port()}", "--mqtt-ca", ca)
    assert_clean(r, 2, f"--mqtt-ca {str(ca)!r}", "no such file")      # was an internal FileNotFoundError


def test_analyze_of_a_damaged_run_is_bad_input(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"city": {"source": "demo"}, "status": "complete"}))
    r = twin("analyze", tmp_path)
    assert_clean(r, 2, str(tmp_path / "events.parquet"))            # no event log: the path is named


@pytest.mark.parametrize("args, words", [
    (["study", "road_closure", "--scale", "7"], ["--scale must be at most 1", "got 7"]),
    (["sweep", "baseline", "--param", "demand.report_multiplier=1", "--population", "3000000"],
     ["--population must be at most 2,000,000", "got 3000000"]),
    (["dash", "--population", "3000000"], ["--population must be at most 2,000,000", "got 3000000"]),
])
def test_other_commands_bound_the_size_outright(args, words):
    r = twin(*args)
    assert_clean(r, 2, *words)
