"""City (live): the map with roads, citizens, units, crews, incidents and devices; a clock,
play/pause and speed; KPI cards refreshed about once a second from the running twin."""
from __future__ import annotations

import plotly.graph_objects as go
from dash import Input, Output, Patch, dcc, html, no_update

from dash_app.theme import PALETTE, STATUS_COLOUR, card, map_layout, road_trace

KPIS = [("open_requests", "Open requests"), ("sla_compliance", "SLA compliance"),
        ("response_min_p50", "Response time p50 (min)"), ("chat_containment", "Chatbot containment"),
        ("payments", "Payments"), ("sensor_alerts", "Devices not OK")]
SPEEDS = [(1, "1× (real time)"), (10, "10×"), (60, "1 min/s"), (300, "5 min/s"), (900, "15 min/s")]


def _speeds(current: float):
    out = list(SPEEDS)
    if current not in [v for v, _ in out]:
        out.append((current, f"{current:g} s/s"))
    return sorted(out)


def figure(live, snap) -> go.Figure:
    fig = go.Figure([road_trace(live.city)])
    c, u, w, i, d = snap["citizens"], snap["units"], snap["crews"], snap["incidents"], snap["devices"]
    fig.add_trace(go.Scattergl(x=c["lon"], y=c["lat"], mode="markers", name="citizens",
                               marker={"size": 3, "color": PALETTE["sky"], "opacity": 0.7}, hoverinfo="skip"))
    fig.add_trace(go.Scattergl(x=d["lon"], y=d["lat"], mode="markers", name="devices", text=d["id"],
                               marker={"size": 5, "symbol": "square", "color": [STATUS_COLOUR[s] for s in d["status"]]}))
    fig.add_trace(go.Scattergl(x=w["lon"], y=w["lat"], mode="markers", name="crews", text=w["name"],
                               marker={"size": 9, "symbol": "diamond", "color": PALETTE["orange"]}))
    fig.add_trace(go.Scattergl(x=u["lon"], y=u["lat"], mode="markers", name="ambulances and fire engines",
                               text=u["name"], marker={"size": 10, "symbol": "triangle-up", "color": PALETTE["blue"]}))
    fig.add_trace(go.Scattergl(x=i["lon"], y=i["lat"], mode="markers", name="open incidents", text=i["kind"],
                               marker={"size": 13, "symbol": "x", "color": PALETTE["vermillion"]}))
    return map_layout(fig, live.city)


def layout(ctx):
    live = ctx.live
    if live is None:
        return html.Div([html.H1("City"), html.P("No live twin: start the control room with "
                                                 "`twin dash --live baseline` to watch a running city.")])
    snap = live.snapshot()
    return html.Div([
        html.H1(f"City — {live.city.name}"),
        html.Div([
            html.Button("Pause" if snap["playing"] else "Play", id="city-play", n_clicks=0,
                        **{"aria-label": "play or pause the simulation"}),
            html.Label("Speed", htmlFor="city-speed", className="inline-label"),
            dcc.Dropdown(id="city-speed", options=[{"label": t, "value": v} for v, t in _speeds(live.speed)],
                         value=live.speed,
                         clearable=False, style={"width": "180px"}),
            html.Span(snap["clock"], id="city-clock", className="clock", role="timer", **{"aria-live": "off"}),
            html.Span(f"{snap['moving_total']} moving of {snap['population']}", id="city-moving"),
        ], className="controls"),
        html.Div([card(label, snap["kpis"][key], f"kpi-{key}") for key, label in KPIS], className="kpis"),
        html.Div(dcc.Graph(id="city-map", figure=figure(live, snap), config={"displaylogo": False}),
                 role="img", **{"aria-label": "map of the city: roads, citizens, units, crews, incidents, devices"}),
        html.Div(id="city-error", role="alert"),
        dcc.Interval(id="city-tick", interval=1000),
        dcc.Store(id="city-speed-ack"),
    ])


def register(app, ctx):
    @app.callback(Output("city-map", "figure"), Output("city-clock", "children"), Output("city-moving", "children"),
                  Output("city-error", "children"),
                  *[Output(f"kpi-{k}", "children") for k, _ in KPIS],
                  Input("city-tick", "n_intervals"), prevent_initial_call=True)
    def tick(_n):
        if ctx.live is None:
            return (no_update,) * (4 + len(KPIS))
        snap = ctx.live.snapshot()
        p = Patch()
        for k, key in ((1, "citizens"), (3, "crews"), (4, "units"), (5, "incidents")):
            p["data"][k]["x"] = snap[key]["lon"]
            p["data"][k]["y"] = snap[key]["lat"]
        p["data"][2]["marker"]["color"] = [STATUS_COLOUR[s] for s in snap["devices"]["status"]]
        p["data"][5]["text"] = snap["incidents"]["kind"]
        kp = ["–" if snap["kpis"][k] is None else str(snap["kpis"][k]) for k, _ in KPIS]
        return (p, snap["clock"], f"{snap['moving_total']} moving of {snap['population']}", snap["error"] or "", *kp)

    @app.callback(Output("city-play", "children"), Input("city-play", "n_clicks"), prevent_initial_call=True)
    def play(_n):
        ctx.live.playing = not ctx.live.playing
        return "Pause" if ctx.live.playing else "Play"

    @app.callback(Output("city-speed-ack", "data"), Input("city-speed", "value"), prevent_initial_call=True)
    def speed(v):
        if v is None or ctx.live is None:
            return no_update
        ctx.live.speed = float(v)
        return v
