"""Honest measurement: HDR histograms of latency from the *scheduled* send time.

A load generator that times a request from the moment it manages to send it hides its own
backlog (and the server's, when the server slows it down): that is *coordinated omission*. A
:class:`Recorder` takes, for every arrival of the open-loop schedule, its **due** time, the
time it was actually sent and the time its answer ended, and keeps

* ``latency`` — from due to end (what a citizen who acted at the due time waited: the
  coordinated-omission-corrected figure, reported as ``latency_ms``);
* ``service`` — from send to end (what the server took once asked, ``service_ms``);

each in an HDR histogram (``hdrhistogram``: 1 µs to 1 h, 3 significant digits) per operation,
so that percentiles up to p99.9 and the max are exact to 0.1 % and histograms from several
worker processes **merge** without loss (:meth:`Recorder.merge`). It also counts answers by
HTTP status, errors by kind, and a per-second series (sent, completed, ok, errors, and the
latency percentiles of each second).

A recorder travels between processes as :meth:`Recorder.to_dict` (plain JSON, histograms
base64-encoded) and comes back with :meth:`Recorder.from_dict`.
"""
from __future__ import annotations

from array import array
from collections import Counter

from hdrh.histogram import HdrHistogram

_LOW_US, _HIGH_US, _DIGITS = 1, 3_600_000_000, 3


def _hist() -> HdrHistogram:
    return HdrHistogram(_LOW_US, _HIGH_US, _DIGITS)


def _us(seconds: float) -> int:
    return min(_HIGH_US, max(_LOW_US, int(round(seconds * 1e6))))


class Batch:
    """Latencies for one HDR histogram, recorded in bulk: the MQTT side's hot paths call
    :meth:`add` (an ``array`` append, ~0.05 µs) instead of ``HdrHistogram.record_value`` (pure
    Python, ~2–3 µs a value on this machine, two histograms a message on each side);
    :meth:`flush` rounds them to microseconds as :func:`_us` does, maps each to the lowest value of
    its HDR bucket (the same counts slot) and records each distinct one once with its count — the
    same histogram, exactly, as recording them one by one, in a few thousand calls at most. It
    flushes by itself every ``FLUSH_AT`` values, so memory stays bounded."""

    __slots__ = ("hist", "values")
    FLUSH_AT = 200_000

    def __init__(self, hist: HdrHistogram | None = None):
        self.hist = hist if hist is not None else _hist()
        self.values = array("d")

    def add(self, seconds: float) -> None:
        self.values.append(seconds)
        if len(self.values) >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> HdrHistogram:
        """Record what was added into ``hist`` (and return it)."""
        if self.values:
            import numpy as np

            h = self.hist
            us = np.clip(np.rint(np.frombuffer(self.values, dtype=np.float64) * 1e6), _LOW_US, _HIGH_US)
            us = us.astype(np.int64)
            # the bucket's shift, as HdrHistogram._get_bucket_index: bit length of (v | sub-bucket mask)
            shift = np.floor(np.log2(us | h.sub_bucket_mask)).astype(np.int64) + 1 - (h.sub_bucket_half_count_magnitude + 1)
            value, count = np.unique((us >> shift) << shift, return_counts=True)
            record = self.hist.record_value
            for v, n in zip(value.tolist(), count.tolist()):
                record(v, n)
            self.values = array("d")
        return self.hist


def cpu_since(start) -> dict:
    """This process's CPU seconds since ``start`` (an ``os.times()``, or ``None``: nothing yet):
    ``cpu_run_s`` in all and ``cpu_run_kernel_s`` of it in the kernel (system time: the
    sockets' work)."""
    import os

    if start is None:
        return {"cpu_run_s": 0.0, "cpu_run_kernel_s": 0.0}
    now = os.times()
    return {"cpu_run_s": now.user - start.user + now.system - start.system,
            "cpu_run_kernel_s": now.system - start.system}


def percentiles(h: HdrHistogram) -> dict:
    """``n``, ``p50``/``p90``/``p95``/``p99``/``p99_9``, ``max`` and ``mean`` of ``h`` in
    milliseconds (``None`` when empty)."""
    n = h.get_total_count()
    if not n:
        return {"n": 0, "p50": None, "p90": None, "p95": None, "p99": None, "p99_9": None, "max": None, "mean": None}
    ms = lambda us: round(us / 1000.0, 3)
    return {"n": int(n), "p50": ms(h.get_value_at_percentile(50)), "p90": ms(h.get_value_at_percentile(90)),
            "p95": ms(h.get_value_at_percentile(95)), "p99": ms(h.get_value_at_percentile(99)),
            "p99_9": ms(h.get_value_at_percentile(99.9)), "max": ms(h.get_max_value()),
            "mean": ms(h.get_mean_value())}


class Recorder:
    """What one process (or, merged, a whole distributed run) measured; see the module docstring.

    ``t0`` is the wall-clock time (``time.time()``) of the schedule's zero; per-second series
    are indexed by whole seconds since ``t0``.
    """

    def __init__(self, t0: float = 0.0):
        self.t0 = t0
        self.scheduled = 0
        self.sent = 0
        self.completed = 0
        self.ok = 0
        self.latency: dict[str, HdrHistogram] = {}
        self.service: dict[str, HdrHistogram] = {}
        self.status: dict[str, Counter] = {}
        self.errors: Counter = Counter()
        self.series: dict[int, list[int]] = {}          # second -> [sent, completed, ok, errors]
        self.series_latency: dict[int, HdrHistogram] = {}
        self.last_end = 0.0                              # wall-clock end of the last answer or error

    # ---- recording ------------------------------------------------------------------------
    def _sec(self, t: float) -> list[int]:
        s = max(0, int(t - self.t0))
        row = self.series.get(s)
        if row is None:
            row = self.series[s] = [0, 0, 0, 0]
        return row

    def on_sent(self, sent_at: float) -> None:
        """An arrival was sent at ``sent_at``."""
        self.sent += 1
        self._sec(sent_at)[0] += 1

    def on_answer(self, op: str, due: float, sent_at: float, end: float, status: int) -> None:
        """An answer with HTTP ``status`` ended at ``end`` for the arrival due at ``due``."""
        self.completed += 1
        self.last_end = max(self.last_end, end)
        ok = 200 <= status < 400
        self.ok += ok
        row = self._sec(end)
        row[1] += 1
        row[2] += ok
        if not ok:
            self.errors[f"HTTP {status}"] += 1
            row[3] += 1
        self.latency.setdefault(op, _hist()).record_value(_us(end - due))
        self.service.setdefault(op, _hist()).record_value(_us(end - sent_at))
        self.status.setdefault(op, Counter())[status] += 1
        s = max(0, int(end - self.t0))
        self.series_latency.setdefault(s, _hist()).record_value(_us(end - due))

    def on_error(self, op: str, kind: str, end: float) -> None:
        """No answer: the connection failed or timed out (``kind``, e.g. ``ConnectionRefusedError``)."""
        self.errors[kind] += 1
        self.last_end = max(self.last_end, end)
        self._sec(end)[3] += 1

    # ---- travelling and merging --------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON (histograms base64-encoded)."""
        enc = lambda hs: {k: h.encode().decode("ascii") for k, h in hs.items()}
        return {"t0": self.t0, "scheduled": self.scheduled, "sent": self.sent, "completed": self.completed,
                "ok": self.ok, "last_end": self.last_end, "latency": enc(self.latency), "service": enc(self.service),
                "status": {op: {str(k): n for k, n in c.items()} for op, c in self.status.items()},
                "errors": dict(self.errors), "series": {str(k): v for k, v in self.series.items()},
                "series_latency": {str(k): h.encode().decode("ascii") for k, h in self.series_latency.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> Recorder:
        r = cls(d.get("t0", 0.0))
        r.merge_dict(d)
        r.t0 = d.get("t0", 0.0)
        return r

    def merge_dict(self, d: dict) -> None:
        """Add what another recorder measured (its :meth:`to_dict`). Per-second series are aligned
        by each side's own ``t0`` (each worker's schedule starts at its own zero)."""
        self.scheduled += d["scheduled"]
        self.sent += d["sent"]
        self.completed += d["completed"]
        self.ok += d["ok"]
        self.last_end = max(self.last_end, d.get("last_end", 0.0))
        for name in ("latency", "service"):
            mine = getattr(self, name)
            for op, b64 in d[name].items():
                mine.setdefault(op, _hist()).decode_and_add(b64.encode("ascii"))
        for op, c in d["status"].items():
            mc = self.status.setdefault(op, Counter())
            for k, n in c.items():
                mc[int(k)] += n
        self.errors.update(d["errors"])
        for k, v in d["series"].items():
            row = self.series.setdefault(int(k), [0, 0, 0, 0])
            for i, x in enumerate(v):
                row[i] += x
        for k, b64 in d["series_latency"].items():
            self.series_latency.setdefault(int(k), _hist()).decode_and_add(b64.encode("ascii"))

    def merge(self, other: Recorder) -> None:
        self.merge_dict(other.to_dict())

    # ---- the summary ----------------------------------------------------------------------------
    def overall(self, name: str = "latency") -> HdrHistogram:
        """All operations' histograms added."""
        h = _hist()
        for x in getattr(self, name).values():
            h.add(x)
        return h

    def per_second(self) -> list[dict]:
        """The per-second series, every second from 0 to the last one (empty seconds as zeros)."""
        if not self.series:
            return []
        out = []
        for s in range(max(self.series) + 1):
            sent, done, ok, err = self.series.get(s, [0, 0, 0, 0])
            lat = percentiles(self.series_latency[s]) if s in self.series_latency else percentiles(_hist())
            out.append({"second": s, "sent": sent, "completed": done, "ok": ok, "errors": err,
                        "latency_p50_ms": lat["p50"], "latency_p99_ms": lat["p99"], "latency_max_ms": lat["max"]})
        return out


def loss_by_stage(sent: int, acked: int, delivered_unique: int, qos: int) -> dict:
    """Which side lost what: ``not_acknowledged`` (sent, no PUBACK: the broker, or the way to it)
    and ``acknowledged_not_delivered`` (the broker took it and no subscriber got it). At QoS 0
    there is no PUBACK: everything not delivered is ``not_delivered``."""
    if qos == 0:
        return {"not_delivered": max(0, sent - delivered_unique)}
    return {"not_acknowledged": max(0, sent - acked), "acknowledged_not_delivered": max(0, acked - delivered_unique)}
