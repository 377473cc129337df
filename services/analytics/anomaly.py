"""Anomaly detection on sensor streams, scored against the faults the simulation injected.

A run logged with ``sensors.log_telemetry: true`` holds every SenML pack; its ``device_state``
events are the **ground truth**: when each device turned ``faulty``, ``silent`` or ``drifting``
and when it recovered. :func:`detect` looks only at the telemetry, as a city platform would,
with three detectors per device and its main quantity (:data:`MAIN`):

* **silence** — no report for ``silence_factor`` × the device's usual interval (its median gap);
* **stuck** — ``stuck_n`` identical readings of a quantity that is never exactly constant;
* **peer deviation** — each reading is compared with its peers: the residual
  ``log(1 + v) − median over the devices of that type in the same time bin`` is robust-z-scored
  against the device's own history (median and MAD, so a fault does not hide in its own
  baseline), clipped to ``±z_clip`` (one odd reading — a lamp read just before dusk — is not an
  alarm) and smoothed by an EWMA (``alpha``); ``|EWMA z| > z_alarm`` raises an alarm. A dark
  streetlight among lit ones, a counter at zero in traffic and a drifting sensor show here.

:func:`score` matches alarms to fault episodes: an episode is **found** if an alarm of that
device falls within it (or ``grace`` intervals after its start, as detection needs readings); an
alarm episode (alarms of a device less than an hour apart) is a **true positive** if it overlaps
a fault episode. Precision, recall and the median detection delay are reported per status and
device type, and overall, and recall also over the episodes that *can* be seen in the data at
all (a streetlight that fails at noon is dark only from dusk).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

MAIN = {"streetlight": "power", "air_quality": "pm25", "traffic_counter": "vehicles", "noise": "spl",
        "waste_bin": "fill", "water_pressure": "pressure", "wearable": "hr"}
# quantities that are legitimately constant for a while (a full bin, a dark street by day)
MAY_REPEAT = {"streetlight", "traffic_counter", "waste_bin"}


@dataclass(frozen=True)
class Detector:
    """Detector settings (the defaults were chosen on a development run, seed 42, and scored on
    other seeds)."""

    silence_factor: float = 3.0
    stuck_n: int = 4
    bin_s: float = 900.0
    alpha: float = 0.2
    z_alarm: float = 4.0
    z_clip: float = 8.0
    mad_floor: float = 0.01     # in log space: 1 %; a lamp's power is exact, a counter's is not
    min_peers: int = 3


def telemetry(run_dir: str | Path):
    """The main quantity of every pack: ``(device, type, t, value)`` sorted by device and time."""
    log = Path(run_dir) / "events.parquet"
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MAIN.items())
    con = duckdb.connect()
    con.execute(f"""CREATE TEMP TABLE tm AS
        SELECT entity AS device, split_part(topic, '/', 3) AS type, t,
               from_json(payload->'senml', '[{{"n":"VARCHAR","v":"DOUBLE"}}]') AS recs
        FROM read_parquet('{log.as_posix()}') WHERE kind = 'telemetry'""")
    rows = con.execute(f"""
        SELECT device, type, t, r.v FROM (SELECT device, type, t, unnest(recs) AS r FROM tm)
        WHERE r.n = CASE type {cases} END AND r.v IS NOT NULL ORDER BY device, t""").fetchnumpy()
    if not len(rows["device"]):
        raise ValueError(f"{log}: no telemetry in the log; run the scenario with sensors.log_telemetry: true")
    return rows


def detect(run_dir: str | Path, d: Detector = Detector(), rows=None) -> list[dict]:
    """Alarms ``{device, type, t, detector, score}`` from the telemetry alone (``rows``: the
    run's :func:`telemetry`, when already read)."""
    rows = telemetry(run_dir) if rows is None else rows
    dev, typ, t, v = rows["device"].astype(str), rows["type"].astype(str), rows["t"], rows["v"]
    t_end = float(t.max())
    alarms: list[dict] = []
    # peer residuals: log(1+v) minus the type's median in the same time bin
    x = np.log1p(np.maximum(v, 0.0) * np.where(typ == "air_quality", 1e9, 1.0))
    b = np.floor(t / d.bin_s).astype(np.int64)
    resid = np.full(len(x), np.nan)
    for ty in np.unique(typ):
        sel = np.nonzero(typ == ty)[0]
        keys = b[sel]
        order = np.argsort(keys, kind="stable")
        ks, starts = np.unique(keys[order], return_index=True)
        bounds = np.append(starts, len(order))
        n_dev = len(np.unique(dev[sel]))
        if n_dev < d.min_peers:
            continue
        for j in range(len(ks)):
            idx = sel[order[bounds[j]:bounds[j + 1]]]
            if len(idx) >= d.min_peers:
                resid[idx] = x[idx] - np.median(x[idx])
    starts = np.nonzero(np.r_[True, dev[1:] != dev[:-1]])[0]
    ends = np.r_[starts[1:], len(dev)]
    for s, e in zip(starts, ends):
        name, ty = dev[s], typ[s]
        ts, vs, rs = t[s:e], v[s:e], resid[s:e]
        gaps = np.diff(ts)
        interval = float(np.median(gaps)) if len(gaps) else 900.0
        # silence: a gap, or no report since the last one until the end of the run
        limit = d.silence_factor * interval
        for k in np.nonzero(gaps > limit)[0]:
            alarms.append({"device": name, "type": ty, "t": float(ts[k] + limit), "detector": "silence",
                           "score": float(gaps[k] / interval)})
        if t_end - ts[-1] > limit:
            alarms.append({"device": name, "type": ty, "t": float(ts[-1] + limit), "detector": "silence",
                           "score": float((t_end - ts[-1]) / interval)})
        # stuck: n identical readings in a row
        if ty not in MAY_REPEAT and len(vs) >= d.stuck_n:
            same = np.r_[False, vs[1:] == vs[:-1]]
            run = 0
            for k in range(len(vs)):
                run = run + 1 if same[k] else 0
                if run == d.stuck_n - 1:
                    alarms.append({"device": name, "type": ty, "t": float(ts[k]), "detector": "stuck",
                                   "score": float(d.stuck_n)})
        # peer deviation: robust z of the residual, smoothed
        ok = ~np.isnan(rs)
        if ok.sum() < 8:
            continue
        med = np.median(rs[ok])
        mad = 1.4826 * np.median(np.abs(rs[ok] - med))
        mad = max(mad, d.mad_floor)
        z = np.clip(np.where(ok, (rs - med) / mad, 0.0), -d.z_clip, d.z_clip)   # one outlier is not enough
        ew = 0.0
        for k in range(len(z)):
            ew = d.alpha * z[k] + (1 - d.alpha) * ew
            if abs(ew) > d.z_alarm:
                alarms.append({"device": name, "type": ty, "t": float(ts[k]), "detector": "peer",
                               "score": float(ew)})
    alarms.sort(key=lambda a: (a["t"], a["device"]))
    return alarms


def ground_truth(run_dir: str | Path) -> list[dict]:
    """Fault episodes ``{device, type, status, t0, t1}`` from the ``device_state`` events."""
    log = Path(run_dir) / "events.parquet"
    con = duckdb.connect()
    t_end = con.execute(f"SELECT max(t) FROM read_parquet('{log.as_posix()}')").fetchone()[0]
    rows = con.execute(f"""SELECT entity, payload->>'device_type', payload->>'status', t, (payload->>'interval_s')::DOUBLE
                          FROM read_parquet('{log.as_posix()}') WHERE kind = 'device_state'
                            AND payload->>'status' IS NOT NULL AND payload->>'reason' IS NOT NULL
                          ORDER BY entity, t""").fetchall()
    out: list[dict] = []
    open_: dict[str, dict] = {}
    for device, ty, status, t, interval in rows:
        cur = open_.pop(device, None)
        if cur is not None:
            cur["t1"] = float(t)
            out.append(cur)
        if status != "ok":
            open_[device] = {"device": device, "type": ty, "status": status, "t0": float(t), "t1": None,
                             "interval_s": float(interval or 0)}
    for cur in open_.values():
        cur["t1"] = float(t_end)
        out.append(cur)
    return out


def score(alarms: list[dict], episodes: list[dict], grace_s: float = 3600.0, merge_s: float = 3600.0,
          observable: set | None = None) -> dict:
    """Precision, recall and detection delay (see the module docstring)."""
    by_dev: dict[str, list[dict]] = {}
    for a in alarms:
        by_dev.setdefault(a["device"], []).append(a)
    # alarm episodes: a device's alarms less than merge_s apart
    groups: list[tuple[str, float, float]] = []
    for device, al in by_dev.items():
        ts = sorted(a["t"] for a in al)
        g0 = prev = ts[0]
        for x in ts[1:]:
            if x - prev > merge_s:
                groups.append((device, g0, prev))
                g0 = x
            prev = x
        groups.append((device, g0, prev))
    eps_by_dev: dict[str, list[dict]] = {}
    for e in episodes:
        eps_by_dev.setdefault(e["device"], []).append(e)
    tp = sum(1 for device, g0, g1 in groups
             if any(g1 >= e["t0"] and g0 <= e["t1"] + grace_s for e in eps_by_dev.get(device, [])))
    rows = []
    for e in episodes:
        ts = [a["t"] for a in by_dev.get(e["device"], []) if e["t0"] <= a["t"] <= e["t1"] + grace_s]
        rows.append({**e, "found": bool(ts), "delay_s": (min(ts) - e["t0"]) if ts else None,
                     "observable": True if observable is None else (e["device"], e["t0"]) in observable})

    def summary(sel):
        n = len(sel)
        found = [r for r in sel if r["found"]]
        delays = [r["delay_s"] for r in found]
        return {"episodes": n, "found": len(found), "recall": round(len(found) / n, 3) if n else None,
                "delay_min_median": round(float(np.median(delays)) / 60, 1) if delays else None}

    out = {"alarm_episodes": len(groups), "true_positive": tp,
           "precision": round(tp / len(groups), 3) if groups else None, **summary(rows)}
    if observable is not None:
        out["observable"] = summary([r for r in rows if r["observable"]])
    by: dict = {}
    for status in sorted({r["status"] for r in rows}):
        for ty in sorted({r["type"] for r in rows if r["status"] == status}):
            by[f"{status}:{ty}"] = summary([r for r in rows if r["status"] == status and r["type"] == ty])
    out["by_status_type"] = by
    return out


def observable_episodes(run_dir: str | Path, episodes: list[dict], rows=None) -> set:
    """Episodes that change the telemetry at all: silent and drifting ones; a stuck sensor; a
    dark streetlight while lamps are meant to be on; a counter at zero while its street has
    traffic (from the other counters) — ``{(device, t0)}``."""
    rows = telemetry(run_dir) if rows is None else rows
    dev, t, v = rows["device"].astype(str), rows["t"], rows["v"]
    seen = set()
    for e in episodes:
        if e["status"] == "silent":                 # shorter than a few reports: nothing is missed
            if e["t1"] - e["t0"] > 2 * e.get("interval_s", 0):
                seen.add((e["device"], e["t0"]))
            continue
        if e["status"] == "drifting" or e["type"] not in ("streetlight", "traffic_counter"):
            seen.add((e["device"], e["t0"]))
            continue
        # a dark lamp/idle counter is visible only when its peers read > 0 during the episode
        peers = (t >= e["t0"]) & (t <= e["t1"]) & (dev != e["device"]) & \
            np.char.startswith(dev, e["device"][:3]) & (v > 0)
        if peers.any():
            seen.add((e["device"], e["t0"]))
    return seen


def evaluate(run_dir: str | Path, d: Detector = Detector(), rows=None, alarms: list[dict] | None = None) -> dict:
    """Detect on a run and score against its ground truth: ``{settings, alarms, ...score}``
    (``rows``, ``alarms``: the run's telemetry and :func:`detect` output, when already at hand)."""
    rows = telemetry(run_dir) if rows is None else rows   # read once: detectors and scoring use it
    alarms = detect(run_dir, d, rows) if alarms is None else alarms
    eps = ground_truth(run_dir)
    out = score(alarms, eps, observable=observable_episodes(run_dir, eps, rows))
    out["alarms"] = len(alarms)
    out["by_detector"] = {k: sum(1 for a in alarms if a["detector"] == k) for k in ("silence", "stuck", "peer")}
    out["settings"] = d.__dict__
    return out
