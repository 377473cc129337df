"""A private mosquitto for the MQTT tests, on a free loopback port.

Its configuration keeps every QoS 1 message (``max_queued_messages 0``: mosquitto's default
silently drops past 1000 queued), and persists sessions to the test's folder so a broker that
is stopped and started again still knows its persistent subscribers. mosquitto comes from the
Debian package ``scripts/install.sh --dev`` installs; a missing binary fails the test.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.serving import free_port


def mosquitto_binary() -> str:
    for cand in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if cand and Path(cand).exists():
            return cand
    pytest.fail("mosquitto is not installed (scripts/install.sh --dev installs it)")


class Broker:
    """One mosquitto process: ``start()``, ``stop()``, ``url``."""

    def __init__(self, folder: Path, port: int | None = None, options: str = ""):
        """``options``: more configuration lines, right after the listener line: the listener's own
        (``certfile …`` for TLS) or global ones (``autosave_on_changes true``)."""
        self.folder = folder
        self.port = port or free_port()
        self.tls = "certfile" in options
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n" + options +
            "allow_anonymous true\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "autosave_interval 1\n"
            f"log_dest file {folder}/mosquitto.log\n"
            # started as root, mosquitto switches to the user "mosquitto", which cannot write in
            # the test's private folder: no log, and no persistence (a restarted broker would
            # forget the persistent sessions the outage tests rely on)
            + ("user root\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""))
        self.proc = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> "Broker":
        self.proc = subprocess.Popen([mosquitto_binary(), "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    pytest.fail(f"mosquitto exited: {(self.folder / 'mosquitto.log').read_text()[-500:]}")
                time.sleep(0.05)
        pytest.fail("mosquitto did not open its port")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def start_fleet_broker(folder: str | Path) -> tuple[subprocess.Popen, str]:
    """A mosquitto for the load benchmarks' device fleets: unlimited connections, no persistence
    and no log (their cost is not the broker's under test); ``(process, url)`` once its port is
    open. The caller terminates the process."""
    port = free_port()
    conf = Path(folder) / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n"
                    "max_queued_messages 0\nmax_inflight_messages 0\npersistence false\nlog_dest none\n"
                    + ("user root\n" if os.geteuid() == 0 else ""))
    p = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return p, f"mqtt://127.0.0.1:{port}"


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path).start()
    yield b
    b.stop()
