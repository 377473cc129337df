"""Colours, cards and the road map shared by the pages.

The palette is Okabe–Ito (safe for the common colour-vision deficiencies); text is near-black
on white (contrast above 12:1).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from dash import html

from dash_app.data import OSM_CREDIT

PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
           "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000", "grey": "#6b6b6b"}
STATUS_COLOUR = {"ok": PALETTE["green"], "faulty": PALETTE["vermillion"], "silent": PALETTE["black"],
                 "drifting": PALETTE["orange"]}
TEXT = "#1a1a1a"


def card(label: str, value, ident: str, hint: str | None = None) -> html.Div:
    """A KPI card: the label, the value (``ident`` is the value's id, for updates) and, when
    given, what the number means (shown under the value and as a tooltip)."""
    parts = [html.Div(label, className="kpi-label"),
             html.Div("–" if value is None else str(value), id=ident, className="kpi-value")]
    if hint:
        parts.append(html.Div(hint, className="kpi-hint"))
    return html.Div(parts, className="kpi", role="status", title=hint or label, **{"aria-label": label})


def road_trace(city) -> go.Scattergl:
    """All drivable core roads as one line trace (lon/lat with gaps), in light grey."""
    key = city.content_hash
    if key not in _ROADS:
        a = city.arrays
        e = city.core_edges("both")
        u, v = a["edge_u"][e], a["edge_v"][e]
        x = np.column_stack([a["node_lon"][u], a["node_lon"][v], np.full(len(e), np.nan)]).ravel()
        y = np.column_stack([a["node_lat"][u], a["node_lat"][v], np.full(len(e), np.nan)]).ravel()
        _ROADS[key] = (x, y)
    x, y = _ROADS[key]
    return go.Scattergl(x=x, y=y, mode="lines", line={"color": "#c8c8c8", "width": 1}, hoverinfo="skip",
                        name="roads")


_ROADS: dict = {}


def map_layout(fig: go.Figure, city, height: int = 620) -> go.Figure:
    """Equal-aspect lon/lat axes (scaled by the latitude), no tiles, the OSM credit."""
    lat0 = float(np.mean(city.bbox[1::2]))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white",
                      paper_bgcolor="white", legend={"orientation": "h", "y": 1.02, "x": 0},
                      uirevision="map", font={"color": TEXT},
                      annotations=[{"text": OSM_CREDIT, "showarrow": False, "xref": "paper", "yref": "paper",
                                    "x": 1, "y": 0, "xanchor": "right", "yanchor": "bottom",
                                    "font": {"size": 11, "color": TEXT}, "bgcolor": "rgba(255,255,255,0.8)"}])
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / np.cos(np.radians(lat0)))
    return fig


#: Road classes drawn on the City page, bottom to top: (name, OSM highway values, colour, width).
#: Anything else (service roads, footways, paths, steps, tracks, cycleways) is "paths and lanes".
ROAD_CLASSES = [
    ("paths and lanes", None, "#c4c4c4", 0.6),
    ("streets", ("tertiary", "tertiary_link", "residential", "unclassified", "living_street", "road"), "#8c8c8c", 1.2),
    ("main roads", ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                    "secondary", "secondary_link"), "#d08a1f", 2.4),
]


def road_class_edges(city) -> dict[str, np.ndarray]:
    """The city's core edges in each :data:`ROAD_CLASSES` class, ``{class: edge indices}``."""
    a = city.arrays
    e = city.core_edges("both")
    hw = np.asarray(city.highway_types, dtype=object)[a["edge_highway"][e]]
    named = {v for _, vals, _, _ in ROAD_CLASSES if vals for v in vals}
    return {name: (e[np.isin(hw, list(vals))] if vals else e[~np.isin(hw, list(named))])
            for name, vals, _, _ in ROAD_CLASSES}


def road_class_traces(city) -> list[go.Scattergl]:
    """The city's roads as one WebGL line trace per :data:`ROAD_CLASSES` entry (named
    ``roads: <class>``), main roads wide and amber, streets grey, paths thin and light; float32
    coordinates (sent as base64 typed arrays: about 1 m of precision, half the bytes)."""
    key = ("classes", city.content_hash)
    if key not in _ROADS:
        a = city.arrays
        edges = road_class_edges(city)
        out = []
        for name, vals, colour, width in ROAD_CLASSES:
            sel = edges[name]
            u, v = a["edge_u"][sel], a["edge_v"][sel]
            x = np.column_stack([a["node_lon"][u], a["node_lon"][v], np.full(len(sel), np.nan)]).ravel()
            y = np.column_stack([a["node_lat"][u], a["node_lat"][v], np.full(len(sel), np.nan)]).ravel()
            out.append((f"roads: {name}", x.astype(np.float32), y.astype(np.float32), colour, width))
        _ROADS[key] = out
    return [go.Scattergl(x=x, y=y, mode="lines", line={"color": colour, "width": width}, hoverinfo="skip",
                         name=name, legendgroup="roads") for name, x, y, colour, width in _ROADS[key]]


DISTRICT_COLOUR = "#5b2a86"


_DISTRICTS: dict = {}


def district_traces(city) -> tuple[list[go.Scatter], list[dict]]:
    """District boundaries (one dotted SVG line trace, ``districts``) and their names (layout
    annotations, drawn above everything, in data coordinates so they follow zoom and pan);
    computed once per city."""
    if city.content_hash not in _DISTRICTS:
        _DISTRICTS[city.content_hash] = _district_parts(city)
    xs, ys, notes = _DISTRICTS[city.content_hash]
    traces = [go.Scatter(x=xs, y=ys, mode="lines", name="districts", hoverinfo="skip",
                         line={"color": DISTRICT_COLOUR, "width": 1.2, "dash": "dot"})] if xs else []
    return traces, [dict(n) for n in notes]


def _district_parts(city) -> tuple[list, list, list[dict]]:
    xs, ys, notes = [], [], []
    for d in city.districts:
        if d.polygon is not None:
            for poly in getattr(d.polygon, "geoms", [d.polygon]):
                if poly.geom_type != "Polygon":
                    continue
                bx, by = poly.simplify(5e-5).exterior.coords.xy
                xs += list(bx) + [None]
                ys += list(by) + [None]
            c = d.polygon.representative_point()
            lon, lat = c.x, c.y
        else:
            lon, lat = d.lon, d.lat
        notes.append({"x": lon, "y": lat, "xref": "x", "yref": "y", "text": d.name, "showarrow": False,
                      "font": {"size": 11, "color": DISTRICT_COLOUR}, "bgcolor": "rgba(255,255,255,0.65)",
                      "name": "district"})
    return xs, ys, notes
