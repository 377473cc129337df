"""The map's static layers painted once as a picture: land use, water, parks, buildings, rail,
rivers and every road, styled by class.

A city's ground (:func:`dash_app.landuse.ground_for`: ~30,000 buildings and ~1,000 areas for
Brașov, ~250,000 points) and its roads (44,000 edges for Brașov with every path) are far too much
to hand the browser as vector traces: plotly takes ~2.5 s to draw Brașov's buildings alone as SVG
fills, over a minute as WebGL fills in a headless browser, and every trace in the figure is
recomputed by plotly on each 1 Hz refresh of the live layers (a partial update still re-runs the
whole figure's ``calc``). So this module paints the static layers once per city file with Pillow
into a PNG (about :data:`METRES_PER_PX` per pixel, at most :data:`MAX_PX` a side), caches it in
the city cache, and the City page lays it beneath its live traces, in lon/lat, as a layer of its
own (:data:`dash_app.pages.city.GROUND_JS`: painted once, only composited on each 1 Hz frame). The
picture is not carried inside the figure: the browser fetches it
once from the control room itself (:data:`ROUTE`, :func:`serve_ground`, cached for a year as
``immutable``: its name changes with what is painted), so it weighs neither on the City page's
first answer nor on any later one (as a ``data:`` URI it was most of the first answer). plotly.js
puts a URL source on the page as it is (only a ``staticPlot`` redraws it through a canvas). Nothing is
fetched from the internet. District boundaries and names, people, vehicles, incidents and
devices stay crisp vector traces on top.

Hand-written because no installed library paints polygons to a picture (datashader would need
spatialpandas and numba for the same result); Pillow's ``ImageDraw`` does the filling.

The demo town has no extract: its own synthetic land-use polygons (``city.landuse``) are painted.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from pathlib import Path

import numpy as np

from dash_app.landuse import CLASSES, _classify, ground_for, ground_key_for

METRES_PER_PX = 5.0
MAX_PX = 5000
BUILDING = ("#d9d0c9", "#bfb2a6")          # fill, outline
RAIL = "#707070"
WATERWAY = CLASSES["water"][0]

#: The road classes (:data:`dash_app.theme.ROAD_CLASSES`) painted into the ground, bottom to top:
#: ``{class: (colour, width in pixels)}``. Rail is painted between the streets and the main roads.
PAINTED_ROADS = {"paths and lanes": ("#b9b9b9", 1), "streets": ("#8c8c8c", 2), "main roads": ("#d08a1f", 3)}
PATH_COLOUR = PAINTED_ROADS["paths and lanes"][0]
#: The map key shown under the map: (label, colour), bottom to top.
KEY = [*[(name, colour) for name, (colour, _) in CLASSES.items()], ("buildings", BUILDING[0]),
       *[(name, colour) for name, (colour, _) in PAINTED_ROADS.items()], ("rail", RAIL)]


def canvas_size(bbox) -> tuple[int, int]:
    """Pixels ``(width, height)`` for ``bbox`` at :data:`METRES_PER_PX` (capped at :data:`MAX_PX`)."""
    w, s, e, n = bbox
    mx = (e - w) * 111_320 * math.cos(math.radians((s + n) / 2))
    my = (n - s) * 110_540
    scale = max(METRES_PER_PX, max(mx, my) / MAX_PX)
    return max(1, round(mx / scale)), max(1, round(my / scale))


def _demo_ground(city) -> dict:
    """A ground from the city's own land-use polygons (the demo town's synthetic districts)."""
    import shapely

    areas: dict[str, list] = {k: [] for k in CLASSES}
    for use in getattr(city, "landuse", []) or []:
        cls = _classify({"landuse": use.get("kind")})
        if cls is None:
            continue
        geom = shapely.from_wkb(use["polygon"])
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type == "Polygon":
                xs, ys = poly.exterior.coords.xy
                areas[cls].append([list(xs), list(ys)])
    return {"areas": areas, "buildings": [], "rail": [], "waterways": []}


def paint(ground: dict, bbox, roads: dict | None = None) -> "PIL.Image.Image":  # noqa: F821
    """The ground painted on a white canvas of :func:`canvas_size` (north up, lon/lat linear),
    with ``roads`` (``{class: [(lon0, lat0, lon1, lat1)]}``, styled by :data:`PAINTED_ROADS`)
    over it."""
    from PIL import Image, ImageDraw

    w, s, e, n = bbox
    W, H = canvas_size(bbox)
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)

    def px(ring):
        x = (np.asarray(ring[0], float) - w) / (e - w) * W
        y = (n - np.asarray(ring[1], float)) / (n - s) * H
        return list(zip(x.tolist(), y.tolist()))

    for name, (colour, _) in CLASSES.items():
        for ring in ground["areas"].get(name, []):
            if len(ring[0]) >= 3:
                draw.polygon(px(ring), fill=colour)
    for ring in ground.get("waterways", []):
        draw.line(px(ring), fill=WATERWAY, width=3, joint="curve")
    for ring in ground.get("buildings", []):
        if len(ring[0]) >= 3:
            draw.polygon(px(ring), fill=BUILDING[0], outline=BUILDING[1])
    roads = roads or {}

    def lines(name):
        colour, width = PAINTED_ROADS[name]
        for x0, y0, x1, y1 in roads.get(name, ()):
            draw.line([((x0 - w) / (e - w) * W, (n - y0) / (n - s) * H),
                       ((x1 - w) / (e - w) * W, (n - y1) / (n - s) * H)], fill=colour, width=width)

    lines("paths and lanes")
    lines("streets")
    for ring in ground.get("rail", []):
        draw.line(px(ring), fill=RAIL, width=2, joint="curve")
    lines("main roads")
    return img


def _roads(city) -> dict:
    """The city's core edges by painted class, ``{class: [(lon0, lat0, lon1, lat1)]}``."""
    from dash_app.theme import road_class_edges

    a = city.arrays
    out = {}
    for name, edges in road_class_edges(city).items():
        u, v = a["edge_u"][edges], a["edge_v"][edges]
        out[name] = np.column_stack([a["node_lon"][u], a["node_lat"][u], a["node_lon"][v], a["node_lat"][v]]).tolist()
    return out


def ground_png(city) -> Path | None:
    """The city's painted ground (:func:`paint`) as a PNG in the city cache, painted on first
    use and then read from disk; ``None`` when the city has nothing to paint."""
    from twin.city import cache_root

    key = ground_key_for(city)
    if key is None and not getattr(city, "landuse", None):
        return None
    key = hashlib.sha256(f"{key}-{city.content_hash}-{PAINTED_ROADS}-{RAIL}".encode()).hexdigest()[:16]
    W, _ = canvas_size(city.bbox)
    path = cache_root() / "ground" / f"{key}-{W}.png"
    if not path.exists():
        from twin.city import cache_entry_lock

        with cache_entry_lock(path):                     # one painter per picture (threads and processes)
            if not path.exists():
                got = ground_for(city)
                img = paint(got[1] if got is not None else _demo_ground(city), city.bbox, _roads(city))
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
                img.quantize(colors=32).save(tmp, format="PNG", optimize=True)
                tmp.replace(path)
    return path


#: Where the control room serves the painted pictures (:func:`serve_ground`).
ROUTE = "/_ground/"
_NAME = re.compile(r"[0-9a-f]{16}-\d+\.png")
#: The pictures' HTTP lifetime: their names change with what is painted, so a browser keeps one
#: and never asks again (``immutable``).
MAX_AGE_S = 365 * 24 * 3600


def layout_image(city) -> dict | None:
    """Where the painted ground goes, as a plotly layout image spec (``source``: its address under
    :data:`ROUTE`, fetched by the browser once; the lon/lat box it covers); ``None`` when there
    is none. The City page lays it as a layer of its own (see the module docstring)."""
    path = ground_png(city)
    if path is None:
        return None
    w, s, e, n = city.bbox
    return {"source": ROUTE + path.name, "xref": "x", "yref": "y", "x": w, "y": n, "sizex": e - w,
            "sizey": n - s, "sizing": "stretch", "layer": "below", "xanchor": "left", "yanchor": "top"}


def serve_ground(server) -> None:
    """Serve the painted pictures of the city cache at :data:`ROUTE` on ``server`` (the control
    room's Flask app): only names :func:`ground_png` writes, with a year's ``immutable`` caching
    and an ETag."""
    from flask import abort, send_from_directory

    from twin.city import cache_root

    def ground(name: str):
        if not _NAME.fullmatch(name):
            abort(404)
        folder = cache_root() / "ground"
        if not (folder / name).is_file():
            abort(404)
        resp = send_from_directory(folder, name, mimetype="image/png", max_age=MAX_AGE_S, conditional=True)
        resp.cache_control.immutable = True
        resp.cache_control.public = True
        return resp

    server.add_url_rule(ROUTE + "<name>", "city_ground", ground)
