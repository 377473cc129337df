"""One report of a load test: a JSON summary, a CSV per-second series and an HTML page.

:func:`summarize` merges what the processes measured (:class:`~services.loadgen.measure.Recorder`
dicts) into the summary ``twin loadtest open311 --json`` prints. It keeps the field names of the
tool it replaces, so scripts keep working:

``offered_rate``
    arrivals scheduled a second (the open-loop schedule's own rate);
``sent``, ``not_sent``
    arrivals sent, and not sent before the test's time was up (every user was busy: the
    generator's concurrency, not the server, was the limit);
``completed``, ``ok``, ``lost``
    answers received, answers with a 2xx/3xx status, and sent arrivals that got no answer
    (refused, reset, timed out);
``achieved_rate``, ``ok_rate``, ``delivered_rate``
    answers, ok answers, and ok answers a second over the test's wall time (``delivered_rate`` is
    ``ok_rate``: what reached the city hall, as the MQTT tool names it);
``latency_ms``
    percentiles ``p50``/``p90``/``p95``/``p99``/``p99_9``/``max``/``mean`` of the time from
    each arrival's **due** time to its answer (coordinated omission corrected), from the merged
    HDR histograms;

and adds ``service_ms`` (the same, from the actual send: the server's share), ``operations``
(per operation: ``n``, ``p50_ms``/``p95_ms``/``p99_ms``/``max_ms`` as before, plus ``latency`` and
``service`` percentiles and answers by ``status``), ``errors`` by kind (``HTTP 429``,
``ConnectionRefusedError``, …), ``series`` (per second), ``schedule`` (its source and mix),
``workers`` and ``cpu_s`` (the CPU seconds the load processes used during the test).

:func:`write_report` writes ``PREFIX.json``, ``PREFIX.csv`` (the per-second series) and
``PREFIX.html``: plotly charts (achieved vs offered rate, latency per second, the latency
percentile curve) with plotly.js inlined, so the page opens without a network.
"""
from __future__ import annotations

import csv
import html
import json
import time
from pathlib import Path

from services.loadgen.measure import Recorder, percentiles


def summarize(measured: list[dict], cfg: dict, *, workers: int = 0, schedule_meta: dict | None = None) -> dict:
    """The summary of a test (see the module docstring) from each process's recorder dict."""
    rec = Recorder(min((m["t0"] for m in measured), default=0.0))
    for m in measured:
        rec.merge_dict(m)
    duration = float(cfg["duration_s"])
    series = rec.per_second()
    wall = max(duration, rec.last_end - rec.t0) if rec.last_end else duration
    lost = max(0, rec.sent - rec.completed)
    ops = {}
    for op in sorted(set(rec.latency) | set(rec.service) | set(rec.status)):
        lat = percentiles(rec.latency[op]) if op in rec.latency else percentiles(_empty())
        svc = percentiles(rec.service[op]) if op in rec.service else percentiles(_empty())
        ops[op] = {"n": lat["n"], "p50_ms": lat["p50"], "p95_ms": lat["p95"], "p99_ms": lat["p99"],
                   "max_ms": lat["max"], "latency": lat, "service": svc,
                   "status": {str(k): n for k, n in sorted(rec.status.get(op, {}).items())}}
    return {
        "url": cfg["url"].rstrip("/"), "offered_rate": round(rec.scheduled / duration, 2), "duration_s": duration,
        "wall_s": round(wall, 2), "sent": rec.sent, "not_sent": max(0, rec.scheduled - rec.sent),
        "completed": rec.completed, "ok": rec.ok, "lost": lost,
        "achieved_rate": round(rec.completed / wall, 1) if wall else 0.0,
        "ok_rate": round(rec.ok / wall, 1) if wall else 0.0,
        "delivered_rate": round(rec.ok / wall, 1) if wall else 0.0,
        "latency_ms": percentiles(rec.overall("latency")), "service_ms": percentiles(rec.overall("service")),
        "errors": dict(sorted(rec.errors.items())), "operations": ops, "series": series,
        "schedule": dict(schedule_meta or {}, source="events" if cfg.get("events") else "synthetic",
                         scheduled=rec.scheduled),
        "workers": workers, "processes": len(measured),
        "cpu_s": round(sum(m.get("cpu_s", 0.0) for m in measured), 3), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _empty():
    from services.loadgen.measure import _hist

    return _hist()


def write_report(summary: dict, prefix: str | Path) -> dict[str, str]:
    """Write ``PREFIX.json``, ``PREFIX.csv`` and ``PREFIX.html``; return their paths by kind."""
    prefix = Path(prefix)
    if prefix.parent and not prefix.parent.exists():
        prefix.parent.mkdir(parents=True, exist_ok=True)
    paths = {k: str(prefix.with_name(prefix.name + "." + k)) for k in ("json", "csv", "html")}
    Path(paths["json"]).write_text(json.dumps(summary, indent=1))
    cols = ["second", "sent", "completed", "ok", "errors", "latency_p50_ms", "latency_p99_ms", "latency_max_ms"]
    with open(paths["csv"], "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for row in summary["series"]:
            w.writerow({k: row.get(k) for k in cols})
    Path(paths["html"]).write_text(html_page(summary), encoding="utf-8")
    return paths


def html_page(s: dict) -> str:
    """The report as one self-contained HTML page (plotly.js inlined)."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    sec = [r["second"] for r in s["series"]]
    rate = go.Figure()
    rate.add_scatter(x=sec, y=[r["sent"] for r in s["series"]], name="sent/s")
    rate.add_scatter(x=sec, y=[r["completed"] for r in s["series"]], name="answered/s")
    rate.add_scatter(x=sec, y=[r["ok"] for r in s["series"]], name="ok/s")
    rate.add_scatter(x=sec, y=[r["errors"] for r in s["series"]], name="errors/s")
    rate.add_hline(y=s["offered_rate"], line_dash="dot", annotation_text="offered")
    rate.update_layout(title="Rate per second", xaxis_title="second", yaxis_title="per second")
    lat = go.Figure()
    lat.add_scatter(x=sec, y=[r["latency_p50_ms"] for r in s["series"]], name="p50")
    lat.add_scatter(x=sec, y=[r["latency_p99_ms"] for r in s["series"]], name="p99")
    lat.add_scatter(x=sec, y=[r["latency_max_ms"] for r in s["series"]], name="max")
    lat.update_layout(title="Latency from the scheduled time, per second", xaxis_title="second", yaxis_title="ms")
    q = ["p50", "p90", "p95", "p99", "p99_9", "max"]
    pct = go.Figure()
    pct.add_bar(x=q, y=[s["latency_ms"][k] for k in q], name="from scheduled time")
    pct.add_bar(x=q, y=[s["service_ms"][k] for k in q], name="from send")
    pct.update_layout(title="Latency percentiles (HDR)", yaxis_title="ms", barmode="group")
    figs = "".join(f.to_html(full_html=False, include_plotlyjs=False) for f in (rate, lat, pct))
    keys = ["url", "offered_rate", "achieved_rate", "ok_rate", "sent", "not_sent", "completed", "ok", "lost",
            "duration_s", "wall_s", "workers"]
    rows = "".join(f"<tr><th>{k}</th><td>{html.escape(str(s.get(k)))}</td></tr>" for k in keys)
    ops = "".join(f"<tr><th>{html.escape(op)}</th><td>{o['n']}</td><td>{o['latency']['p50']}</td><td>{o['latency']['p99']}"
                  f"</td><td>{o['latency']['p99_9']}</td><td>{o['latency']['max']}</td><td>{html.escape(json.dumps(o['status']))}</td></tr>"
                  for op, o in s["operations"].items())
    errs = html.escape(json.dumps(s["errors"])) or "none"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Load test of {html.escape(s['url'])}</title>"
            f"<script>{get_plotlyjs()}</script></head><body><h1>Load test of {html.escape(s['url'])}</h1>"
            f"<table>{rows}</table><h2>Operations (latency ms from the scheduled time)</h2><table>"
            f"<tr><th>operation</th><th>n</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>status</th></tr>{ops}"
            f"</table><p>Errors: {errs}</p>{figs}</body></html>")
