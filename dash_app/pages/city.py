"""City (live): the map with roads, citizens, units, crews, incidents and devices; a clock in
Brașov time, play/pause, speed and a jump to the morning rush; KPI cards (labels and units from
the KPI catalogue) refreshed about once a second from the running twin.

Layers are drawn bottom to top: land use, water and parks of a real city
(:mod:`dash_app.landuse`), roads, devices (small, translucent), citizens, crews, units,
incidents — so the sensor grid never hides the people (click a legend entry to hide a layer)."""
from __future__ import annotations

import plotly.graph_objects as go
from dash import Input, Output, Patch, dcc, html, no_update

from dash_app.landuse import landuse_traces
from dash_app.live import RUSH_HOUR
from dash_app.theme import PALETTE, STATUS_COLOUR, card, map_layout, road_trace

#: The live cards: (key in :func:`dash_app.live.live_kpis`, catalogue key or None, label, unit,
#: meaning). A catalogue key lends its label, unit and meaning; the two instantaneous counts
#: the catalogue does not hold (it describes finished runs) carry their own.
KPIS = [("open_requests", None, "Open requests now", "requests",
         "Requests received by the city hall and not yet closed, at this moment."),
        ("sla_compliance", "sla_compliance", None, None, None),
        ("response_min_p50", "response_min_p50", None, None, None),
        ("chat_containment", "chat_containment_rate", None, None, None),
        ("payments", None, "Tax payments (anchored or queued)", "payments",
         "Tax payments made so far, anchored on the ledger or waiting for the next batch."),
        ("sensor_alerts", None, "Devices not OK now", "devices",
         "Devices currently faulty, offline or alarming.")]


def kpi_meta(key: str) -> tuple[str, str, str]:
    """``(label, unit, meaning)`` of a live card (see :data:`KPIS`)."""
    from services.analytics.kpi_catalogue import entry

    _, cat_key, label, unit, meaning = next(k for k in KPIS if k[0] == key)
    if cat_key is not None:
        e = entry(cat_key)
        return e.label, e.unit, e.meaning
    return label, unit, meaning


def kpi_text(key: str, value) -> str:
    """A live KPI value with its unit (``4.2 min``, ``87.5 %``, ``12 requests``; ``–`` for none yet)."""
    from services.analytics.kpi_catalogue import fmt

    return fmt(value, kpi_meta(key)[1])


SPEEDS = [(1, "1× (real time)"), (10, "10×"), (60, "1 min/s"), (300, "5 min/s"), (900, "15 min/s")]


def _speeds(current: float):
    out = list(SPEEDS)
    if current not in [v for v, _ in out]:
        out.append((current, f"{current:g} s/s"))
    return sorted(out)


def figure(live, snap) -> go.Figure:
    """The map; traces in the order of the module docstring (the 1 Hz patch relies on it)."""
    fig = go.Figure([road_trace(live.city)])
    c, u, w, i, d = snap["citizens"], snap["units"], snap["crews"], snap["incidents"], snap["devices"]
    fig.add_trace(go.Scattergl(x=d["lon"], y=d["lat"], mode="markers", name="devices", text=d["id"],
                               marker={"size": 3, "symbol": "square", "opacity": 0.3,
                                       "color": [STATUS_COLOUR[s] for s in d["status"]]}))
    fig.add_trace(go.Scattergl(x=c["lon"], y=c["lat"], mode="markers", name="citizens on the move",
                               marker={"size": 4, "color": PALETTE["sky"], "opacity": 0.8}, hoverinfo="skip"))
    fig.add_trace(go.Scattergl(x=w["lon"], y=w["lat"], mode="markers", name="crews", text=w["name"],
                               marker={"size": 9, "symbol": "diamond", "color": PALETTE["orange"]}))
    fig.add_trace(go.Scattergl(x=u["lon"], y=u["lat"], mode="markers", name="ambulances and fire engines",
                               text=u["name"], marker={"size": 10, "symbol": "triangle-up", "color": PALETTE["blue"]}))
    fig.add_trace(go.Scattergl(x=i["lon"], y=i["lat"], mode="markers", name="open incidents", text=i["kind"],
                               marker={"size": 13, "symbol": "x", "color": PALETTE["vermillion"]}))
    # land use, water and parks from the city's own extract: SVG fills, which plotly paints under
    # every WebGL trace above, and appended last so the 1 Hz patch's indices stay put
    fig.add_traces(landuse_traces(live.city))
    return map_layout(fig, live.city)


def _cards(snap):
    out = []
    for key, *_ in KPIS:
        label, _unit, meaning = kpi_meta(key)
        out.append(card(label, kpi_text(key, snap["kpis"][key]), f"kpi-{key}", hint=meaning))
    return out


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
            html.Button(f"Jump to the morning rush ({int(RUSH_HOUR):02d}:{int(RUSH_HOUR % 1 * 60):02d})",
                        id="city-jump", n_clicks=0),
            html.Span([html.Span("Brașov time ", className="kpi-label"),
                       html.Span(snap["clock"], id="city-clock", role="timer", **{"aria-live": "off"})],
                      className="clock"),
            html.Span(f"{snap['moving_total']} moving of {snap['population']}", id="city-moving"),
        ], className="controls"),
        html.Div(_cards(snap), className="kpis"),
        html.Div(dcc.Graph(id="city-map", figure=figure(live, snap), config={"displaylogo": False}),
                 role="img", **{"aria-label": "map of the city: roads, citizens, units, crews, incidents, devices"}),
        html.P("Devices are drawn small and faint beneath the people; click a legend entry to hide a layer.",
               className="hint"),
        html.Div(id="city-error", role="alert"),
        dcc.Interval(id="city-tick", interval=1000),
        dcc.Store(id="city-speed-ack"),
    ])


def register(app, ctx):
    @app.callback(Output("city-map", "figure"), Output("city-clock", "children"), Output("city-moving", "children"),
                  Output("city-error", "children"),
                  *[Output(f"kpi-{k[0]}", "children") for k in KPIS],
                  Input("city-tick", "n_intervals"), prevent_initial_call=True)
    def tick(_n):
        if ctx.live is None:
            return (no_update,) * (4 + len(KPIS))
        snap = ctx.live.snapshot()
        p = Patch()
        for k, key in ((2, "citizens"), (3, "crews"), (4, "units"), (5, "incidents")):
            p["data"][k]["x"] = snap[key]["lon"]
            p["data"][k]["y"] = snap[key]["lat"]
        p["data"][1]["marker"]["color"] = [STATUS_COLOUR[s] for s in snap["devices"]["status"]]
        p["data"][5]["text"] = snap["incidents"]["kind"]
        kp = [kpi_text(k[0], snap["kpis"][k[0]]) for k in KPIS]
        return (p, snap["clock"], f"{snap['moving_total']} moving of {snap['population']}", snap["error"] or "", *kp)

    @app.callback(Output("city-jump", "children"), Input("city-jump", "n_clicks"), prevent_initial_call=True)
    def jump(_n):
        if ctx.live is None:
            return no_update
        ctx.live.jump_to(RUSH_HOUR)
        return no_update

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
