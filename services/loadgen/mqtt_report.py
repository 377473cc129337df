"""The report of an MQTT fleet load test: ``PREFIX.json``, ``PREFIX.csv`` and ``PREFIX.html``.

The summary of :func:`services.loadgen.mqtt_runner.run_mqtt` is written as it is (JSON), its
per-second series as CSV (``second, sent, acknowledged, delivered, latency_p50_ms,
latency_p99_ms, latency_max_ms``), and an HTML page with plotly charts — messages a second
written, acknowledged by the broker and delivered against the offered rate; the delivery
latency per second; the percentiles of the three latencies (due time to delivery, to PUBACK,
to the write) — and the tables a vendor reads first: connections, loss by stage, commands.
plotly.js is inlined, so the page opens without a network.
"""
from __future__ import annotations

import csv
import html
import json
from pathlib import Path

COLUMNS = ["second", "sent", "acknowledged", "delivered", "latency_p50_ms", "latency_p99_ms", "latency_max_ms"]


def write_mqtt_report(summary: dict, prefix: str | Path) -> dict[str, str]:
    """Write the three files; return their paths by kind."""
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    paths = {k: str(prefix.with_name(prefix.name + "." + k)) for k in ("json", "csv", "html")}
    Path(paths["json"]).write_text(json.dumps(summary, indent=1))
    with open(paths["csv"], "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for row in summary.get("series", []):
            w.writerow({k: row.get(k) for k in COLUMNS})
    Path(paths["html"]).write_text(html_page(summary), encoding="utf-8")
    return paths


def _table(rows: dict) -> str:
    return "<table>" + "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                               for k, v in rows.items()) + "</table>"


def html_page(s: dict) -> str:
    """The report as one self-contained HTML page."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    series = s.get("series", [])
    sec = [r["second"] for r in series]
    rate = go.Figure()
    for key, name in (("sent", "written/s"), ("acknowledged", "acknowledged/s"), ("delivered", "delivered/s")):
        rate.add_scatter(x=sec, y=[r[key] for r in series], name=name)
    rate.add_hline(y=s["offered_rate"], line_dash="dot", annotation_text="offered")
    rate.update_layout(title="Messages per second", xaxis_title="second since the schedule's zero",
                       yaxis_title="messages/s")
    lat = go.Figure()
    for key, name in (("latency_p50_ms", "p50"), ("latency_p99_ms", "p99"), ("latency_max_ms", "max")):
        lat.add_scatter(x=sec, y=[r[key] for r in series], name=name)
    lat.update_layout(title="Delivery latency from the due time, per second of arrival", xaxis_title="second",
                      yaxis_title="ms")
    q = ["p50", "p90", "p99", "p99_9", "max"]
    pct = go.Figure()
    for key, name in (("latency_ms", "due → delivered"), ("ack_latency_ms", "due → PUBACK"),
                      ("send_lag_ms", "due → written (the generator's lag)")):
        if key in s:
            pct.add_bar(x=q, y=[s[key][k] for k in q], name=name)
    pct.update_layout(title="Latency percentiles (HDR)", yaxis_title="ms", barmode="group")
    figs = "".join(f.to_html(full_html=False, include_plotlyjs=False) for f in (rate, lat, pct))
    head = {k: s.get(k) for k in ("url", "devices", "qos", "pack", "offered_rate", "duration_s", "sent", "not_sent",
                                  "acknowledged", "delivered", "duplicates", "lost", "delivered_rate",
                                  "sustained_delivered_rate", "delivered_span_s", "workers", "sinks", "sink_split")}
    conn = {k: v for k, v in s.get("connections", {}).items() if k != "connect_ms"}
    conn["connect_ms p50 / p99"] = f"{s['connections']['connect_ms']['p50']} / {s['connections']['connect_ms']['p99']}"
    parts = [f"<h1>MQTT load test of {html.escape(s['url'])}</h1>", _table(head),
             "<h2>Loss by stage</h2>", _table(s.get("loss_by_stage", {})),
             "<h2>Connections</h2>", _table(conn)]
    if "commands" in s:
        c = dict(s["commands"])
        rt = c.pop("round_trip_ms")
        c["round trip ms p50 / p99"] = f"{rt['p50']} / {rt['p99']}"
        parts += ["<h2>Commands</h2>", _table(c)]
    title = html.escape(f"MQTT load test of {s['url']}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<script>{get_plotlyjs()}</script></head><body>{''.join(parts)}{figs}</body></html>")
