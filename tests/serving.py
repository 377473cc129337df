"""Real processes for the tests and benchmarks: free loopback ports and ``twin serve``."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TWIN = [sys.executable, "-m", "twin_app"]


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def warm_caches(city: str = "demo") -> None:
    """Fill the session's cache folder (``$TWIN_CACHE_DIR``, which a ``twin serve`` started from
    the test inherits) with what a server builds on its first start: the parsed city, the
    chatbot's trained model and the compiled contracts. Done once per test session, so that each
    server starts in seconds, not after training a model on a busy machine."""
    if city in _warmed:
        return
    from ledger.compiler import compiled
    from services.chatbot.nlu import IntentModel
    from twin.city import load_city

    load_city(city)
    IntentModel.load()
    for name in ("Treasury", "Permits"):
        compiled(name)
    _warmed.add(city)


_warmed: set[str] = set()


def twin_serve(folder: Path, city: str = "demo", keys=(("vendor", "client"),), timeout_s: float = 120.0):
    """Start ``twin serve`` on a free port over a SQLite store in ``folder``, with API keys made
    by ``twin keys create`` (``(name, role)`` pairs). Returns ``(process, base url, {role: key},
    db url)``; fails the test if the server exits or does not answer within ``timeout_s`` (a
    generous bound: a start is a few seconds once :func:`warm_caches` has run)."""
    import httpx

    warm_caches(city)
    db = f"sqlite:///{folder / 'hall.sqlite'}"
    env = dict(os.environ)
    made = {}
    for name, role in keys:
        out = subprocess.run(TWIN + ["keys", "create", name, "--role", role, "--rate", "0", "--db", db],
                             capture_output=True, text=True, env=env, check=True)
        made[role] = out.stdout.strip()
    port = free_port()
    log = folder / "serve.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(TWIN + ["serve", "--port", str(port), "--db", db, "--city", city,
                                        "--anonymous-rate", "0"], stdout=fh, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}/open311/v2"
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if httpx.get(f"{base}/services.json", timeout=1).status_code == 200:
                return proc, base, made, db
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            pytest.fail(f"twin serve exited: {log.read_text()[-2000:]}")
    proc.kill()
    pytest.fail(f"twin serve did not answer within {timeout_s:g} s")
