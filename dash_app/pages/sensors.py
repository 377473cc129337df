"""Sensors: a chosen device's telemetry with the anomalies the analytics flag on it, the fleet's
anomaly score against the injected faults, and the MQTT topic tree of the run.

A run that kept no per-device readings (``sensors.log_telemetry`` off, the library's default
outside the lab) still logged an hourly summary per device type: the page plots that fleet
view and says how to get a device's readings, rather than showing an empty chart."""
from __future__ import annotations

import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from dash_app import data
from dash_app.pages.desk import run_picker
from dash_app.theme import PALETTE


def _live_section(ctx):
    if ctx.live is None:
        return html.P("No live twin, so no live telemetry: start the control room without --no-live "
                      "(`twin dash`) to watch devices report as the city runs.", className="hint")
    f = ctx.live.twin.component("sensors").fleet
    ids = [str(x) for x in f.ids]
    first = next((i for i in ids if i.startswith("nz-")), ids[0] if ids else None)
    return html.Div([
        html.H2("Live telemetry"),
        html.Div([html.Label("Live device", htmlFor="sensors-live-device"),
                  dcc.Dropdown(id="sensors-live-device", options=ids, value=first)], className="field wide"),
        dcc.Graph(id="sensors-live-graph"),
        dcc.Interval(id="sensors-live-tick", interval=1000),
    ])


def layout(ctx):
    return html.Div([
        html.H1("Sensors"),
        _live_section(ctx),
        html.H2("A finished run"),
        html.P("A device's readings are kept when the run logs telemetry (the Scenario lab does by default; "
               "in a scenario YAML: sensors: {log_telemetry: true})."),
        html.Div([run_picker(ctx, "sensors-run"),
                  html.Div([html.Label("Device", htmlFor="sensors-device"), dcc.Dropdown(id="sensors-device")],
                           className="field wide")], className="controls"),
        html.Div(id="sensors-empty", role="status"),
        dcc.Graph(id="sensors-graph"),
        html.Div(id="sensors-anomalies", role="status"),
        html.H2("MQTT topic tree"),
        html.Div(id="sensors-topics"),
    ])


def _tree(node: dict, name: str = "", depth: int = 0):
    count = node.get("#")
    kids = {k: v for k, v in node.items() if k != "#"}
    label = f"{name}" + (f" ({count} messages)" if count else "")
    if not kids:
        return html.Li(label)
    inner = html.Ul([_tree(v, k, depth + 1) for k, v in sorted(kids.items())])
    if not name:
        return inner
    return html.Li(html.Details([html.Summary(label), inner], open=True))


def register(app, ctx):
    @app.callback(Output("sensors-live-graph", "figure"), Input("sensors-live-tick", "n_intervals"),
                  Input("sensors-live-device", "value"))
    def live(_n, device):
        fig = go.Figure()
        fig.update_layout(height=300, margin={"t": 30}, xaxis_title=f"time ({data.TZ_LABEL})", uirevision=device)
        if ctx.live is None or not device:
            return fig
        from datetime import datetime

        rows = ctx.live.readings(device)
        names = sorted({k for _, v in rows for k in v})
        colours = list(PALETTE.values())
        for k, name in enumerate(names):
            pts = [(datetime.fromtimestamp(t, data.TZ).replace(tzinfo=None), v[name]) for t, v in rows if name in v]
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=name.split(":")[-1],
                                     mode="lines+markers", line={"color": colours[k % len(colours)]},
                                     visible=True if k == 0 else "legendonly"))
        status = ctx.live.twin.component("sensors").fleet
        from sensors.devices import STATUSES

        fig.update_layout(title=f"{device}: {STATUSES[status.status[status.index(device)]]}")
        return fig

    @app.callback(Output("sensors-device", "options"), Output("sensors-device", "value"),
                  Output("sensors-topics", "children"), Input("sensors-run", "value"))
    def load(run):
        if not run:
            return [], None, html.P("No finished run yet: run a scenario from the Scenario lab (it logs telemetry), "
                                    "then choose it above to see its devices and MQTT topics.", className="hint")
        devs = data.devices(run) if data.has_telemetry(run) else []
        return devs, (devs[0] if devs else None), _tree(data.topic_tree(run))

    @app.callback(Output("sensors-graph", "figure"), Output("sensors-anomalies", "children"),
                  Output("sensors-empty", "children"),
                  Input("sensors-run", "value"), Input("sensors-device", "value"))
    def show(run, device):
        fig = go.Figure()
        fig.update_layout(height=360, margin={"t": 30}, xaxis_title="hour of the run")
        if not run:
            return fig, "", html.P("Choose a finished run above (none yet? the Scenario lab runs one in about a "
                                   "minute).", className="hint")
        if not data.has_telemetry(run):
            return (_fleet_figure(run), "",
                    html.P("This run kept no per-device readings (sensors.log_telemetry was off), so the chart "
                           "shows the hourly fleet summary every run logs: devices working, by type. For one "
                           "device's readings and anomalies, run the scenario again from the Scenario lab with "
                           "“log telemetry” ticked.", className="hint", id="sensors-no-telemetry"))
        if not device:
            return fig, "", ""
        s = data.device_series(run, device)
        colours = list(PALETTE.values())
        for k, (name, (h, v)) in enumerate(s["series"].items()):
            fig.add_trace(go.Scatter(x=h, y=v, name=name, mode="lines", line={"color": colours[k % len(colours)]},
                                     visible=True if k == 0 else "legendonly"))
        notes = [html.P("State changes: " + ("; ".join(f"{x['h']} h {x['status']} ({x['reason']})"
                                                       for x in s["states"]) or "none"))]
        if s["series"]:
            all_alarms, score = ctx.cached(("anomalies", run), lambda: _anomalies(data.first_run(run)))
            alarms = [a for a in all_alarms if a["device"] == device]
            if alarms:
                fig.add_trace(go.Scatter(x=[a["t"] / 3600 for a in alarms],
                                         y=[_near(s["series"], a["t"] / 3600) for a in alarms],
                                         mode="markers", name="anomaly", marker={"symbol": "x", "size": 10,
                                                                                 "color": PALETTE["vermillion"]}))
            notes.append(html.P(f"{len(alarms)} alarms on this device. Fleet: precision {score['precision']}, "
                                f"recall {score['recall']} of {score['episodes']} injected faults."))
        return fig, html.Div(notes), ""


def _fleet_figure(run) -> go.Figure:
    """Devices OK per type, hour by hour, from the run's ``telemetry_summary`` events."""
    fig = go.Figure()
    colours = list(PALETTE.values())
    for k, (kind, d) in enumerate(sorted(data.fleet_summary(run).items())):
        fig.add_trace(go.Scatter(x=d["h"], y=d["ok"], name=kind, mode="lines+markers",
                                 line={"color": colours[k % len(colours)]}))
    fig.update_layout(height=360, margin={"t": 30}, xaxis_title="hour of the run", yaxis_title="devices OK",
                      title="Fleet summary (hourly)")
    return fig


def _anomalies(run):
    """A run's alarms and their score, from one read of its telemetry."""
    from services.analytics.anomaly import detect, evaluate, telemetry

    rows = telemetry(run)
    alarms = detect(run, rows=rows)
    return alarms, evaluate(run, rows=rows, alarms=alarms)


def _near(series: dict, h: float):
    first = next(iter(series.values()))
    import bisect

    i = min(bisect.bisect_left(first[0], h), len(first[0]) - 1)
    return first[1][i]
