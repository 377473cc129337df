"""City (live): the map of the running twin, a clock in Brașov time, play/pause, speed and a
jump to the morning rush; KPI cards (labels and units from the KPI catalogue) with trend
sparklines; an event feed (incidents, dispatches, SLA breaches, device faults) whose entries fly
the map to where they happened.

Refreshed once a second of the browser's wall clock: the page's own timer asks the server for a
frame at each new second unless the previous frame is still on its way (that second is skipped,
never queued: :data:`FRAME_JS`), and the clock counts on from the last frame at the twin's
speed (:data:`CLOCK_JS`), so it shows every second at 1× however the frames fall.

The map, bottom to top: the city's static layers painted once as a picture
(:mod:`dash_app.ground`: land use, water, parks, buildings, rail and every road by class),
district boundaries and names, the citizens' density (a grid of counts of everyone on the move,
bus riders at their bus), devices (small, translucent), a sample of the moving citizens as
points, buses, crews, units and open incidents — so the sensor grid never hides the people
(click a legend entry to hide a layer). Only what moves is a trace, and only its changing
properties go out with the 1 Hz patches (:class:`dash.Patch`); a city without a picture (no
extract, no land use) gets its roads as WebGL line traces instead.
"""
from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
from dash import ALL, Input, Output, Patch, State, callback_context, dcc, html, no_update

from dash_app.ground import KEY, layout_image, serve_ground
from dash_app.live import RUSH_HOUR
from sensors.devices import OK, STATUSES
from dash_app.theme import (PALETTE, STATUS_COLOUR, card, district_traces, map_layout,
                            road_class_traces)

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


#: The density grid's colours: pale and see-through where few are, strong where many.
DENSITY_SCALE = [[0.0, "rgba(86,180,233,0.20)"], [0.2, "rgba(0,114,178,0.40)"],
                 [0.6, "rgba(204,121,167,0.60)"], [1.0, "rgba(213,94,0,0.75)"]]
#: How far around an event the map flies to (degrees of longitude, latitude): about 2 km.
FLY_SPAN = (0.014, 0.009)
#: The sparklines are redrawn every this many ticks (seconds).
SPARK_EVERY = 5
#: The page's own timer (milliseconds): how often the browser looks at its clock to ask for the
#: next frame and to move the clock on; not a request to the server.
TIMER_MS = 200
#: A frame asked for and not answered after this many milliseconds is given up (a lost request).
FRAME_TIMEOUT_MS = 5000

#: Asks the server for one frame per second of the browser's wall clock (``{"sec": Unix second,
#: "at": ms}`` into ``city-frame``, which the server's ``tick`` answers), keyed to the wall time
#: rather than counted: a frame still on its way when the next second starts makes that second
#: be skipped, never queued — a slow draw or a slow answer cannot pile requests up (Dash drops an
#: answer still under way when the same callback is asked again, so a plain 1 s ``dcc.Interval``
#: on a machine that needs over a second per frame would draw nothing at all), nor make later
#: frames drift.
FRAME_JS = """
function(_n, want, got) {
    const nu = window.dash_clientside.no_update, now = Date.now(), sec = Math.floor(now / 1000);
    if (want && want.sec === sec) return nu;
    const waiting = want && !(got && got.frame === want.sec);
    if (waiting && now - want.at < %d) return nu;
    return {sec: sec, at: now};
}
""" % FRAME_TIMEOUT_MS

#: The clock: the twin's time in the last frame, counted on at the twin's speed by the browser's
#: own clock between frames (at most 3 s past a frame: a twin that stops answering stops the
#: clock), never shown going back while the twin plays; exact (not counted on) while paused or
#: fast-forwarding. So at 1× it shows every second once, on time, whatever the phase of the
#: frames against the twin's seconds (read from the frames alone, the seconds shown repeated
#: or skipped one in ten).
CLOCK_JS = """
function(_n, got) {
    const nu = window.dash_clientside.no_update;
    if (!got) return nu;
    const w = window.__cityClock || (window.__cityClock = {});
    const now = performance.now(), key = got.frame + ':' + got.clock_ms;
    if (w.key !== key) { w.key = key; w.at = now; }
    let ms = got.clock_ms + Math.min(now - w.at, 3000) * got.rate;
    if (got.rate > 0 && w.ms !== undefined && ms < w.ms && w.ms - ms <= 3000 * got.rate + 1000) ms = w.ms;
    w.ms = ms;
    const d = new Date(Math.floor(ms / 1000) * 1000), p = x => String(x).padStart(2, '0');
    const text = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()] + ' ' + p(d.getUTCDate()) + ' '
        + ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]
        + ' ' + d.getUTCFullYear() + ' ' + p(d.getUTCHours()) + ':' + p(d.getUTCMinutes()) + ':'
        + p(d.getUTCSeconds()) + ' ' + got.tz;
    if (text === w.text) return nu;
    w.text = text;
    return text;
}
"""


#: The ground picture as a layer of its own beneath the map (an ``<img>`` under plotly's
#: see-through plot, placed on the map's lon/lat ranges at every draw, zoom and pan, even during
#: a drag), instead of a plotly layout image inside the plot's SVG: there every 1 Hz frame — the
#: density grid is an image in the same SVG — had the browser paint the whole picture again
#: (Brașov's 2,799 px wide: about half the main thread's time per frame in a software-rendered
#: browser); a layer of its own (``will-change: transform``) is painted once and only composited.
GROUND_JS = """
function(spec) {
    if (!spec) return window.dash_clientside.no_update;
    const early = new Image();                          // fetched and decoded while plotly draws
    early.decoding = 'async';
    early.src = spec.src;
    const find = () => {
        const gd = document.querySelector('#city-map .js-plotly-plot');
        if (!gd || !gd._fullLayout || !gd.on) return setTimeout(find, 50);
        const box = gd.querySelector('.svg-container');
        let wrap = box.querySelector('.city-ground');
        if (!wrap) {
            wrap = document.createElement('div');
            wrap.className = 'city-ground';
            wrap.style.cssText = 'position:absolute;overflow:hidden;pointer-events:none;z-index:0';
            const img = document.createElement('img');
            img.alt = '';
            img.decoding = 'async';
            img.style.cssText = 'position:absolute;max-width:none;will-change:transform';
            wrap.appendChild(img);
            box.insertBefore(wrap, box.firstChild);
        }
        const img = wrap.firstChild;
        if (img.getAttribute('src') !== spec.src) img.setAttribute('src', spec.src);
        const [w, s, e, n] = spec.bbox;
        const place = (ev) => {
            const fl = gd._fullLayout, sz = fl._size, get = (ax, k) => {
                const v = ev && ev[ax + '.range[' + k + ']'];
                return v !== undefined ? +v : (ev && ev[ax + '.range'] ? +ev[ax + '.range'][k] : fl[ax].range[k]);
            };
            const x0 = get('xaxis', 0), x1 = get('xaxis', 1), y0 = get('yaxis', 0), y1 = get('yaxis', 1);
            wrap.style.left = sz.l + 'px'; wrap.style.top = sz.t + 'px';
            wrap.style.width = sz.w + 'px'; wrap.style.height = sz.h + 'px';
            const px = lon => (lon - x0) / (x1 - x0) * sz.w, py = lat => (y1 - lat) / (y1 - y0) * sz.h;
            img.style.left = px(w) + 'px'; img.style.top = py(n) + 'px';
            img.style.width = (px(e) - px(w)) + 'px'; img.style.height = (py(s) - py(n)) + 'px';
        };
        if (!gd.__ground) {
            gd.__ground = true;
            gd.on('plotly_afterplot', () => place());
            gd.on('plotly_relayout', () => place());
            gd.on('plotly_relayouting', ev => place(ev));
        }
        place();
    };
    find();
    return window.dash_clientside.no_update;
}
"""


def _time(snap, frame) -> dict:
    """What the page's clock counts on from (``city-time``): the frame answered (the Unix second
    it was asked for), the twin's local time in it (:func:`dash_app.live.clock_ms`), its zone,
    and the simulated seconds per second it is running at (0 while paused or fast-forwarding)."""
    rate = snap["speed"] if snap["playing"] and not snap["jumping"] and not snap["error"] else 0.0
    return {"frame": frame, "clock_ms": snap["clock_ms"], "tz": snap["tz"], "rate": rate}
#: Text colours of the feed's kinds (each at least 4.5:1 on white, WCAG AA).
FEED_COLOUR = {"incident": "#a33a00", "dispatch": PALETTE["blue"], "SLA breach": "#8a5a00",
               "device fault": "#444444"}


#: The devices not OK, a layer each over the devices (drawn in the OK colour): ``(status code,
#: trace name)``. One colour per trace: a per-point colour (the state codes on a colour scale)
#: made plotly.js convert every device's colour from text on every 1 Hz frame (Brașov's devices:
#: most of the page's script time per frame); now only these few points change.
ALERT_LAYERS = [(k, f"{name} devices") for k, name in enumerate(STATUSES) if k != OK]


def _alerts(d: dict, encode: bool = True) -> dict[str, dict]:
    """The devices of each :data:`ALERT_LAYERS` state: ``{trace name: {"x", "y", "text"}}``
    (coordinates as :func:`typed` arrays for a patch, numpy arrays with ``encode=False``)."""
    code = np.asarray(d["code"])
    out = {}
    for k, name in ALERT_LAYERS:
        at = np.flatnonzero(code == k)
        x, y = np.asarray(d["lon"])[at], np.asarray(d["lat"])[at]
        out[name] = {"x": typed(x) if encode else x, "y": typed(y) if encode else y,
                     "text": [d["id"][j] for j in at.tolist()]}
    return out


def typed(values) -> dict | list:
    """A numeric array as plotly.js's base64 typed-array spec (``{"dtype", "bdata"}``), which a
    patch carries in a quarter of the bytes of a JSON list and plotly.js reads without parsing
    numbers; a plain list stays a list."""
    if not isinstance(values, np.ndarray):
        return values
    arr = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
    return {"dtype": arr.dtype.str.lstrip("<|"), "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def figure(live, snap) -> go.Figure:
    """The map, in the order of the module docstring; traces are found by name, not position
    (:func:`trace_index`)."""
    city = live.city
    dist, notes = district_traces(city)
    c, u, w, i, d, dn = (snap["citizens"], snap["units"], snap["crews"], snap["incidents"], snap["devices"],
                         snap["density"])
    fig = go.Figure(dist)
    fig.add_trace(go.Heatmap(x=dn["x"], y=dn["y"], z=dn["z"], name="citizens on the move (density)",
                             colorscale=DENSITY_SCALE, showscale=False, zmin=1, hoverongaps=False,
                             hovertemplate="%{z} citizens on the move here<extra></extra>", showlegend=True))
    ground = layout_image(city)
    if ground is None:                                  # no picture: the roads as vector traces
        fig.add_traces(road_class_traces(city))
    fig.add_trace(go.Scattergl(x=d["lon"], y=d["lat"], mode="markers", name="devices", text=d["id"],
                               marker={"size": 3, "symbol": "square", "opacity": 0.3,
                                       "color": STATUS_COLOUR[STATUSES[OK]]}))
    for (k, name), got in zip(ALERT_LAYERS, _alerts(d, encode=False).values()):
        fig.add_trace(go.Scattergl(**got, mode="markers", name=name,
                                   marker={"size": 4, "symbol": "square", "opacity": 0.6,
                                           "color": STATUS_COLOUR[STATUSES[k]]}))
    fig.add_trace(go.Scattergl(x=c["lon"], y=c["lat"], mode="markers", name="citizens on the move",
                               marker={"size": 3, "color": PALETTE["blue"], "opacity": 0.7}, hoverinfo="skip"))
    b = snap["buses"]
    fig.add_trace(go.Scattergl(x=b["lon"], y=b["lat"], mode="markers", name="buses", text=b["name"],
                               marker={"size": 8, "symbol": "square", "color": PALETTE["purple"],
                                       "line": {"width": 1, "color": "black"}}))
    fig.add_trace(go.Scattergl(x=w["lon"], y=w["lat"], mode="markers", name="crews", text=w["name"],
                               marker={"size": 9, "symbol": "diamond", "color": PALETTE["orange"],
                                       "line": {"width": 1, "color": "black"}}))
    fig.add_trace(go.Scattergl(x=u["lon"], y=u["lat"], mode="markers", name="ambulances and fire engines",
                               text=u["name"], marker={"size": 11, "symbol": "triangle-up", "color": PALETTE["green"],
                                                       "line": {"width": 1, "color": "black"}}))
    fig.add_trace(go.Scattergl(x=i["lon"], y=i["lat"], mode="markers", name="open incidents", text=i["kind"],
                               marker={"size": 13, "symbol": "x", "color": PALETTE["vermillion"]}))
    fig.add_trace(go.Scattergl(x=[], y=[], mode="markers", name="chosen event", hoverinfo="skip",
                               marker={"size": 28, "symbol": "circle-open", "color": "black",
                                       "line": {"width": 3}}))
    map_layout(fig, city, height=760)
    fig.update_layout(meta={"frame": None, "sim_s": snap["sim_s"]})     # which moment is drawn (the 1 Hz patches set it)
    xr, yr = home_view(city)                            # open on where the city is, not its far corners
    fig.update_xaxes(range=xr, autorange=False)
    fig.update_yaxes(range=yr, autorange=False)
    fig.update_layout(annotations=[*fig.layout.annotations, *notes])
    if ground:                                          # the ground shows through, beneath (GROUND_JS)
        fig.update_layout(paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    return fig


_VIEWS: dict = {}


def home_view(city) -> tuple[list[float], list[float]]:
    """The map's opening ranges (lon, lat): the 1st–99th percentile of the city's nodes plus 4 %,
    so a far suburb does not shrink the city; computed once per city."""
    if city.content_hash not in _VIEWS:
        a = city.arrays
        (x0, x1), (y0, y1) = np.percentile(a["node_lon"], [1, 99]), np.percentile(a["node_lat"], [1, 99])
        mx, my = (x1 - x0) * 0.04, (y1 - y0) * 0.04
        _VIEWS[city.content_hash] = ([float(x0 - mx), float(x1 + mx)], [float(y0 - my), float(y1 + my)])
    return _VIEWS[city.content_hash]


def trace_index(fig: go.Figure) -> dict[str, int]:
    """``{trace name: index}`` of a :func:`figure`, for the 1 Hz patches."""
    return {t.name: k for k, t in enumerate(fig.data)}


#: A sparkline's size in CSS pixels.
SPARK_SIZE = (170, 34)


def sparkline(values) -> str:
    """A KPI's recent trend as a tiny SVG line without axes (``None`` samples leave gaps), as a
    ``data:`` URI for an ``<img>``.

    Written by hand rather than as a plotly figure: six small plotly graphs cost the browser a
    plot each on the first render and every redraw, for a polyline."""
    w, h = SPARK_SIZE
    ys = [None if v is None else float(v) for v in values]
    got = [v for v in ys if v is not None]
    runs, cur = [], []
    if got:
        lo, hi = min(got), max(got)
        span = (hi - lo) or 1.0
        step = w / max(1, len(ys) - 1)
        for k, v in enumerate(ys):
            if v is None:                                  # a gap ends the current line
                if cur:
                    runs.append(cur)
                cur = []
                continue
            cur.append(f"{k * step:.1f},{h - 2 - (v - lo) / span * (h - 4):.1f}")
        if cur:
            runs.append(cur)
    lines = "".join(f'<polyline points="{" ".join(r)}" fill="none" stroke="{PALETTE["blue"]}" stroke-width="1.5"/>'
                    if len(r) > 1 else
                    f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="1.5" fill="{PALETTE["blue"]}"/>'
                    for r in runs)
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">{lines}</svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _spark_alt(label: str) -> str:
    return f"trend of {label} over the last simulated hours"


def _spark(key: str, label: str, trends: dict):
    return html.Img(id=f"spark-{key}", src=sparkline(trends.get(key, [])), alt=_spark_alt(label),
                    className="spark", width=SPARK_SIZE[0], height=SPARK_SIZE[1])


def feed_items(events: list[dict]):
    """The event feed's entries: a button per event that has a place (it flies the map there)."""
    if not events:
        return [html.Li("Nothing has happened yet: incidents, dispatches, SLA breaches and device faults "
                        "appear here as the city runs (try the jump to the morning rush).", className="hint")]
    out = []
    for e in events:
        text = [html.Span(e["at"], className="feed-at"), " ",
                html.Span(e["kind"], className="feed-kind", style={"color": FEED_COLOUR.get(e["kind"])}),
                " ", e["what"]]
        if e["lon"] is None:
            out.append(html.Li(text, key=str(e["seq"])))
        else:
            out.append(html.Li(html.Button(text, id={"type": "city-event", "index": e["seq"]}, className="feed-item",
                                           title="show on the map"), key=str(e["seq"])))
    return out


def _key():
    items = [html.Span([html.Span(className="swatch", style={"background": colour}), name], className="key-item")
             for name, colour in KEY]
    return html.Div([html.Span("Ground: ", className="kpi-label"), *items], className="map-key")


def _cards(snap, trends):
    out = []
    for key, *_ in KPIS:
        label, _unit, meaning = kpi_meta(key)
        c = card(label, kpi_text(key, snap["kpis"][key]), f"kpi-{key}", hint=meaning)
        c.children.insert(2, _spark(key, label, trends))
        out.append(c)
    return out


def _jump_label(snap) -> str:
    """The jump button's text: what it does, or how far the fast-forward under way has got
    (``Preparing 07:30 … 42 %``)."""
    rush = f"{int(RUSH_HOUR):02d}:{int(RUSH_HOUR % 1 * 60):02d}"
    if snap.get("jump"):
        hhmm, done = snap["jump"]
        return f"Preparing {hhmm} … {done:.0%}"
    return f"Preparing {rush} …" if snap["jumping"] else f"Jump to the morning rush ({rush})"


def _moving(snap) -> str:
    return f"{snap['moving_total']} moving of {snap['population']}"


def _preparing(ctx):
    """The City page while the live twin is being built: what is under way, polled until the
    twin exists (then :func:`_page` fills in)."""
    return html.Div([
        html.H1("City — preparing the live city"),
        html.P(ctx.live_status(), id="city-preparing", role="status", className="hint"),
        html.P("The other pages work meanwhile; this one fills in by itself when the city is ready.",
               className="hint"),
        dcc.Interval(id="city-wait", interval=1000),
    ])


def layout(ctx):
    live = ctx.live
    if live is None and ctx.live_note is not None:
        return html.Div(_preparing(ctx), id="city-body")
    if live is None:
        return html.Div([html.H1("City"), html.P("No live twin: start the control room with "
                                                 "`twin dash --live baseline` to watch a running city.")])
    return html.Div(_page(live), id="city-body")


def _ground(city) -> dict | None:
    """What :data:`GROUND_JS` lays under the map: the picture's address and the lon/lat box it
    covers (``None`` for a city without one: its roads are traces then)."""
    img = layout_image(city)
    return None if img is None else {"src": img["source"], "bbox": list(city.bbox)}


def _page(live):
    snap = live.snapshot()
    fig = figure(live, snap)
    events = live.events()
    return html.Div([
        html.H1(f"City — {live.city.name}"),
        html.Div([
            html.Button("Pause" if snap["playing"] else "Play", id="city-play", n_clicks=0,
                        **{"aria-label": "play or pause the simulation"}),
            html.Label("Speed", htmlFor="city-speed", className="inline-label"),
            dcc.Dropdown(id="city-speed", options=[{"label": t, "value": v} for v, t in _speeds(live.speed)],
                         value=live.speed,
                         clearable=False, style={"width": "180px"}),
            html.Button(_jump_label(snap), id="city-jump", n_clicks=0, disabled=snap["jumping"]),
            html.Button("Show the whole city", id="city-reset", n_clicks=0),
            html.Span([html.Span("Brașov time ", className="kpi-label"),
                       html.Span(snap["clock"], id="city-clock", role="timer", **{"aria-live": "off"})],
                      className="clock"),
            html.Span(_moving(snap), id="city-moving"),
        ], className="controls"),
        html.Div(_cards(snap, live.trends()), className="kpis"),
        html.Div([
            html.Div([
                html.Div(dcc.Graph(id="city-map", figure=fig, config={"displaylogo": False}),
                         role="region", **{"aria-label": "map of the city: land use, buildings, roads, districts, "
                                                      "citizens, buses, units, crews, incidents, devices"}),
                _key(),
                html.P("Citizens on the move are shown as a density grid (everyone) and as points (a sample); "
                       "devices are drawn small and faint beneath the people; click a legend entry to hide a "
                       "layer.", className="hint"),
            ], className="map-col"),
            html.Section([html.H2("What is happening", id="city-feed-title"),
                          html.Ol(feed_items(events), id="city-feed", className="feed",
                                  **{"aria-labelledby": "city-feed-title"})],
                         className="feed-col"),
        ], className="city-row"),
        html.Div(id="city-error", role="alert"),
        dcc.Interval(id="city-timer", interval=TIMER_MS),
        dcc.Store(id="city-frame"),
        dcc.Store(id="city-time", data=_time(snap, None)),
        dcc.Store(id="city-ground", data=_ground(live.city)), dcc.Store(id="city-ground-set"),
        dcc.Store(id="city-speed-ack"),
        dcc.Store(id="city-index", data=trace_index(fig)),
        dcc.Store(id="city-feed-seq", data=events[0]["seq"] if events else 0),
    ])


def register(app, ctx):
    serve_ground(app.server)                            # the ground picture, fetched once by the browser

    @app.callback(Output("city-preparing", "children"), Output("city-body", "children"),
                  Input("city-wait", "n_intervals"), prevent_initial_call=True)
    def wait(_n):
        if ctx.live is None:                            # still building (or failed: the note says so)
            return ctx.live_status() or "The live twin stopped.", no_update
        return no_update, _page(ctx.live)

    app.clientside_callback(GROUND_JS, Output("city-ground-set", "data"), Input("city-ground", "data"))
    app.clientside_callback(FRAME_JS, Output("city-frame", "data"), Input("city-timer", "n_intervals"),
                            State("city-frame", "data"), State("city-time", "data"), prevent_initial_call=True)
    app.clientside_callback(CLOCK_JS, Output("city-clock", "children"), Input("city-timer", "n_intervals"),
                            Input("city-time", "data"), prevent_initial_call=True)

    @app.callback(Output("city-map", "figure"), Output("city-time", "data"), Output("city-moving", "children"),
                  Output("city-error", "children"), Output("city-feed", "children"),
                  Output("city-jump", "children"), Output("city-jump", "disabled"),
                  *[Output(f"kpi-{k[0]}", "children") for k in KPIS],
                  *[Output(f"spark-{k[0]}", "src") for k in KPIS],
                  Output("city-feed-seq", "data"),
                  Input("city-frame", "data"), State("city-index", "data"), State("city-feed-seq", "data"),
                  prevent_initial_call=True)
    def tick(frame, index, feed_seq):
        if ctx.live is None or not index or not frame:
            return (no_update,) * (8 + 2 * len(KPIS))
        n = int(frame["sec"])
        snap = ctx.live.snapshot()
        p = Patch()
        p["layout"]["meta"] = {"frame": n, "sim_s": snap["sim_s"]}
        p["data"][index["buses"]]["text"] = snap["buses"]["name"]
        for name, key in (("citizens on the move", "citizens"), ("buses", "buses"), ("crews", "crews"),
                          ("ambulances and fire engines", "units"), ("open incidents", "incidents")):
            p["data"][index[name]]["x"] = typed(snap[key]["lon"])
            p["data"][index[name]]["y"] = typed(snap[key]["lat"])
        p["data"][index["citizens on the move (density)"]]["z"] = snap["density"]["z"]
        for name, got in _alerts(snap["devices"]).items():
            for key, v in got.items():
                p["data"][index[name]][key] = v
        p["data"][index["open incidents"]]["text"] = snap["incidents"]["kind"]
        kp = [kpi_text(k[0], snap["kpis"][k[0]]) for k in KPIS]
        if n % SPARK_EVERY == 0:
            trends = ctx.live.trends()
            sparks = [sparkline(trends.get(k[0], [])) for k in KPIS]
        else:
            sparks = [no_update] * len(KPIS)
        events = ctx.live.events()
        newest = events[0]["seq"] if events else 0
        feed = feed_items(events) if newest != feed_seq else no_update     # redrawn only when it changed
        return (p, _time(snap, n), _moving(snap), snap["error"] or "", feed,
                _jump_label(snap), snap["jumping"], *kp, *sparks, newest)

    @app.callback(Output("city-map", "figure", allow_duplicate=True),
                  Input({"type": "city-event", "index": ALL}, "n_clicks"), State("city-index", "data"),
                  prevent_initial_call=True)
    def fly(clicks, index):
        # the clicked entry: a trigger with a count (a feed redrawn at the same moment triggers too,
        # with its new buttons' empty counts)
        hit = next((t for t in callback_context.triggered if t.get("value")), None)
        if ctx.live is None or hit is None or not any(c for c in clicks if c):
            return no_update
        e = ctx.live.event(int(json.loads(hit["prop_id"].rsplit(".", 1)[0])["index"]))
        if e is None or e["lon"] is None:
            return no_update
        p = Patch()
        dx, dy = FLY_SPAN
        p["layout"]["xaxis"]["range"] = [e["lon"] - dx, e["lon"] + dx]
        p["layout"]["yaxis"]["range"] = [e["lat"] - dy, e["lat"] + dy]
        p["layout"]["xaxis"]["autorange"] = False
        p["layout"]["yaxis"]["autorange"] = False
        p["layout"]["uirevision"] = f"event-{e['seq']}"
        p["data"][index["chosen event"]]["x"] = [e["lon"]]
        p["data"][index["chosen event"]]["y"] = [e["lat"]]
        return p

    @app.callback(Output("city-map", "figure", allow_duplicate=True), Input("city-reset", "n_clicks"),
                  State("city-index", "data"), prevent_initial_call=True)
    def whole_city(_n, index):
        p = Patch()
        p["layout"]["xaxis"]["autorange"] = True
        p["layout"]["yaxis"]["autorange"] = True
        p["layout"]["uirevision"] = f"whole-{_n}"
        p["data"][index["chosen event"]]["x"] = []
        p["data"][index["chosen event"]]["y"] = []
        return p

    @app.callback(Output("city-jump", "children", allow_duplicate=True), Input("city-jump", "n_clicks"),
                  prevent_initial_call=True)
    def jump(_n):
        if ctx.live is None:
            return no_update
        ctx.live.jump_to(RUSH_HOUR, wait=False)          # the twin's thread fast-forwards; the page keeps ticking
        return _jump_label(ctx.live.snapshot())

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
