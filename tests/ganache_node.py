"""A ganache node for the ledger tests, on a free loopback port.

ganache 7 comes from npm into ``./.tools`` (``scripts/install.sh --dev``); a missing install
fails the tests. Its chain is kept in a folder of the test (``--database.dbPath``) so that a node
stopped and started again (the outage test) still has the contracts and the anchored batches.
The hardfork is shanghai, which the compiled contracts target.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.serving import free_port

ROOT = Path(__file__).resolve().parent.parent
GANACHE = ROOT / ".tools" / "node_modules" / ".bin" / "ganache"


class Ganache:
    def __init__(self, folder: Path):
        if not GANACHE.exists():
            pytest.fail(f"ganache is not installed at {GANACHE} (scripts/install.sh --dev installs it)")
        self.folder = folder
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Ganache":
        self.proc = subprocess.Popen(
            [str(GANACHE), "--server.host", "127.0.0.1", "--server.port", str(self.port), "--wallet.deterministic",
             "--chain.hardfork", "shanghai", "--chain.chainId", "1337", "--logging.quiet",
             "--database.dbPath", str(self.folder / "chain")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import httpx

        for _ in range(300):
            try:
                r = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                               timeout=0.5)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                pytest.fail("ganache exited at start")
            time.sleep(0.1)
        pytest.fail("ganache did not answer within 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)
        self.proc = None
