"""Names of a load test's devices and topics, shared by the devices, the sinks and the commander.

Device *i* of run ``RUN`` has the type ``TYPES[i % 4]`` and the id ``<prefix>-<i:05d>``
(``sl-00017``); its topics live under ``city/loadtest-RUN/<type>/<id>/``: ``telemetry``
(SenML), ``state`` (retained ``online``/``offline``, the last will), ``cmd`` (commands to it) and
``cmd/reply`` (its answers). Pure: no Locust, no gevent.
"""
from __future__ import annotations

TYPES = ("streetlight", "air_quality", "noise", "water_pressure")
PREFIX = {"streetlight": "sl", "air_quality": "aq", "noise": "nz", "water_pressure": "wp"}


def device(index: int) -> tuple[str, str]:
    """``(type, id)`` of device ``index``."""
    t = TYPES[index % len(TYPES)]
    return t, f"{PREFIX[t]}-{index:05d}"


def base(run: str, index: int) -> str:
    """The topic prefix of device ``index`` (no trailing slash)."""
    t, d = device(index)
    return f"city/loadtest-{run}/{t}/{d}"


def telemetry_filter(run: str) -> str:
    """Every device's telemetry topic of the run, as a subscription filter."""
    return f"city/loadtest-{run}/+/+/telemetry"


def replies_filter(run: str) -> str:
    """Every device's command replies of the run, as a subscription filter."""
    return f"city/loadtest-{run}/+/+/cmd/reply"
