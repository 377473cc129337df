"""``twin loadtest open311``: Locust's runners playing the twin's schedule, in a process of their own.

:func:`prepare` runs in the caller's process: it asks the endpoint for its services (required
attributes filled in from their first allowed value), samples report locations from the city
when no event log is given, and builds the schedule once, so bad input is an error before any
load is sent. :func:`run` then starts ``python -m services.loadgen.runner`` — a clean process,
because importing Locust monkey-patches the standard library with gevent — which

* with ``workers=0`` runs Locust's **local runner**;
* with ``workers=N`` runs Locust's **master** and N local worker processes
  (``locust -f services/loadgen/locustfile.py --worker``), each playing 1/N of the schedule;
* with ``master=True`` runs a master that waits for ``expect_workers`` workers started on other
  machines with :func:`worker_command`;

waits for the schedule's duration and for the answers still in flight (at most the request
timeout), stops, collects every process's measurements, writes the report
(:mod:`services.loadgen.report`) and hands back its summary.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from services.loadgen.schedule import Schedule, from_config

LOCUSTFILE = str(Path(__file__).with_name("locustfile.py"))


def prepare(url: str, *, api_key: str | None = None, events: str | None = None, speed: float | None = None,
            rate: float | None = None, duration_s: float = 10.0, post_share: float = 0.5, city: str = "demo",
            seed: int = 0, start_h: float | None = None, timeout_s: float = 10.0,
            max_in_flight: int = 256, arrivals: str = "uniform",
            connection: str = "keep-alive") -> tuple[dict, Schedule]:
    """The test's configuration (plain JSON, sent to every process) and its schedule.

    Raises ``ConnectionError`` when the endpoint cannot be reached, ``ValueError`` for bad input
    (naming the option and the value).
    """
    import httpx

    if not duration_s > 0:
        raise ValueError(f"duration must be > 0 s, got {duration_s}")
    if events is None and rate is None:
        raise ValueError("rate is required without --events (arrivals a second)")
    if connection not in ("keep-alive", "close"):
        raise ValueError(f"connection must be keep-alive or close, got {connection!r}")
    if max_in_flight < 1:
        raise ValueError(f"max-in-flight must be at least 1, got {max_in_flight}")
    base = url.rstrip("/")
    try:
        first = httpx.get(f"{base}/services.json", timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise ConnectionError(f"cannot reach {base}/services.json: {exc or type(exc).__name__}") from None
    try:
        services = first.json()
        assert isinstance(services, list) and all("service_code" in s for s in services)
    except (ValueError, AssertionError, TypeError):
        raise ValueError(f"{base}/services.json did not answer an Open311 service list "
                         f"(HTTP {first.status_code})") from None
    attributes = {}
    for s in services:
        if s.get("metadata"):
            d = httpx.get(f"{base}/services/{s['service_code']}.json", timeout=timeout_s).json()
            attributes[s["service_code"]] = {a["code"]: a["values"][0]["key"] for a in d.get("attributes", [])
                                             if a.get("required") and a.get("values")}
    cfg = {"url": base, "api_key": api_key or "", "events": str(events) if events else "", "speed": speed,
           "rate": rate, "start_h": start_h, "duration_s": float(duration_s), "post_share": post_share,
           "seed": seed, "arrivals": arrivals, "timeout_s": timeout_s, "max_in_flight": max_in_flight,
           "connection": connection,
           "codes": [s["service_code"] for s in services], "attributes": attributes, "points": []}
    if not events:
        from twin.city import load_city

        c = load_city(city)
        core = c.core_nodes("both")
        rng = np.random.default_rng(seed)
        pick = rng.choice(core, size=min(2000, len(core)), replace=False)
        cfg["points"] = [[round(float(c.arrays["node_lon"][i]), 7), round(float(c.arrays["node_lat"][i]), 7)]
                         for i in pick]
    return cfg, from_config(cfg)


def worker_command(master_host: str, master_port: int = 5557) -> list[str]:
    """The command line of one Locust worker of the twin's load (the options come from the master)."""
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--worker", "--master-host", master_host,
            "--master-port", str(master_port), "--loglevel", "WARNING"]


def run(cfg: dict, *, workers: int = 0, master: bool = False, expect_workers: int = 0,
        master_bind_host: str = "127.0.0.1", master_port: int = 0, report: str | None = None,
        log: str | None = None) -> dict:
    """Run the test in its own process (see the module docstring) and return its summary."""
    with tempfile.TemporaryDirectory(prefix="twin-loadtest-") as tmp:
        cfg_path, out_path = Path(tmp) / "config.json", Path(tmp) / "summary.json"
        cfg_path.write_text(json.dumps(cfg))
        args = [sys.executable, "-m", "services.loadgen.runner", str(cfg_path), str(out_path),
                "--workers", str(workers), "--expect-workers", str(expect_workers if master else workers),
                "--bind", master_bind_host, "--port", str(master_port)]
        if master:
            args.append("--master")
        if report:
            args += ["--report", str(report)]
        with open(log or os.devnull, "w") as fh:
            p = subprocess.run(args, stdout=fh, stderr=subprocess.STDOUT if log else subprocess.PIPE, text=True,
                               check=False)
        if not out_path.exists():
            raise RuntimeError(f"the load generator failed (exit {p.returncode}): {(p.stderr or '')[-800:]}")
        out = json.loads(out_path.read_text())
        if "error" in out:
            raise ValueError(out["error"])
        return out


# ---- the load generator's own process -------------------------------------------------------------
def _main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m services.loadgen.runner")
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--expect-workers", type=int, default=0)
    ap.add_argument("--master", action="store_true")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--report", default="")
    a = ap.parse_args(argv)

    import gevent
    import locust
    from locust.argument_parser import parse_options
    from locust.env import Environment

    from services.loadgen import locustfile as lf
    from services.loadgen.open311_users import Citizen
    from services.loadgen.report import summarize, write_report

    cfg = json.loads(Path(a.config).read_text())
    schedule = from_config(cfg)
    distributed = a.master or a.workers > 0
    n_workers = a.expect_workers if distributed else 0
    # --run-time only tells the locustfile that this driver, not its own timer, ends the test
    opts = parse_options(["-f", LOCUSTFILE, "--headless", "--run-time", "24h", "--twin-config", json.dumps(cfg),
                          "--expect-workers", str(max(1, n_workers)),
                          "--twin-start-delay", "3" if distributed else "1"])
    lf.CONFIG.update(cfg)
    per = max(1, n_workers)                       # users in flight at most, the same number per worker
    users = -(-int(cfg.get("max_in_flight", 256)) // per) * per
    Citizen.network_timeout = Citizen.connection_timeout = float(cfg.get("timeout_s", 10.0))
    env = Environment(user_classes=[Citizen], events=locust.events, host=cfg["url"], parsed_options=opts)
    procs: list[subprocess.Popen] = []
    if distributed:
        port = a.port or _free_port(a.bind)
        runner = env.create_master_runner(master_bind_host=a.bind, master_bind_port=port)
        locust.events.init.fire(environment=env, runner=runner, web_ui=None)
        if a.workers:
            procs = [subprocess.Popen(worker_command("127.0.0.1", port), stdout=subprocess.DEVNULL)
                     for _ in range(a.workers)]
        else:
            print(f"master listening on {a.bind}:{port}; start {n_workers} worker(s) with: "
                  f"twin loadtest open311 --worker --master-host HOST --master-port {port}", flush=True)
        deadline = time.monotonic() + (60 if a.workers else 3600)
        while len(runner.clients.ready) < n_workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                Path(a.out).write_text(json.dumps({"error": f"only {len(runner.clients.ready)} of {n_workers} "
                                                             "Locust workers connected"}))
                _end(runner, procs)
                return 2
            gevent.sleep(0.1)
    else:
        runner = env.create_local_runner()
        locust.events.init.fire(environment=env, runner=runner, web_ui=None)
    started = time.time()
    runner.start(users, spawn_rate=max(1000.0, users * 10.0))
    gevent.sleep(0.2)
    start_at = getattr(opts, "twin_start_at", 0.0) or started + 1.0
    end = start_at + float(cfg["duration_s"])
    gevent.sleep(max(0.0, end - time.time()))
    # answers still in flight: at most the request timeout (users stop by themselves at the end)
    grace_end = time.time() + float(cfg.get("timeout_s", 10.0)) + 1.0
    while time.time() < grace_end and runner.user_count > 0:
        gevent.sleep(0.1)
    runner.stop()
    if distributed:                              # every worker sends its measurements on stop
        wait_end = time.time() + 15
        while len(lf.MEASURED) < n_workers and time.time() < wait_end:
            gevent.sleep(0.1)
    s = summarize(lf.MEASURED, cfg, workers=n_workers, schedule_meta=dict(schedule.meta, mix=schedule.mix()))
    s["users"] = users
    if distributed and len(lf.MEASURED) < n_workers:
        s["missing_workers"] = n_workers - len(lf.MEASURED)
    s["locust"] = {"requests": env.stats.total.num_requests, "failures": env.stats.total.num_failures}
    if a.report:
        s["report"] = write_report(s, a.report)
    Path(a.out).write_text(json.dumps(s))
    _end(runner, procs)
    sys.stdout.flush()
    os._exit(0)        # not a normal exit: gevent's patched locks make logging's atexit hooks complain


def _end(runner, procs) -> None:
    try:
        runner.quit()
    except Exception:  # noqa: BLE001, S110 - best effort at shutdown
        pass
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host if host not in ("*", "0.0.0.0") else "", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
