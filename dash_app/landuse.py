"""The map's ground: land use, water and parks from the city's own OSM extract, drawn offline.

A real city's source (``…/osm/brasov_all_highways.osm.bz2``) holds only its streets; the full
extract beside it (``…/osm/brasov.osm.pbf``, the name's first word) holds its areas. This module
reads those areas once with pyosmium (areas assembled from closed ways and multipolygon
relations), keeps the ones inside the city's bounding box, sorts them into a few classes,
simplifies them to about 5 m and caches the result as JSON under the city cache
(:func:`twin.city.cache_root`), keyed by the extract's size, time and the box — so the second
page load reads a small file, and no tile or script is ever fetched from the internet.

The layer is drawn as SVG ``Scatter`` fills: plotly paints its WebGL traces (roads, citizens,
vehicles) above every SVG trace, so land use always lies under the roads and the people.
The demo town has no extract: :func:`landuse_traces` returns no traces for it.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import plotly.graph_objects as go

#: Class → (fill colour, what OSM tags fall in it as ``key=value`` or ``key=*``), bottom to top.
CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "farmland": ("#eef0d5", ("landuse=farmland", "landuse=farmyard", "landuse=orchard", "landuse=vineyard",
                             "landuse=meadow", "natural=grassland")),
    "residential": ("#ececec", ("landuse=residential",)),
    "industry and commerce": ("#ebdbe8", ("landuse=industrial", "landuse=commercial", "landuse=retail",
                                          "landuse=railway", "landuse=construction", "landuse=brownfield",
                                          "landuse=military")),
    "woods": ("#add19e", ("landuse=forest", "natural=wood", "natural=scrub")),
    "parks and sports": ("#c8facc", ("leisure=park", "leisure=garden", "leisure=playground", "leisure=pitch",
                                     "leisure=sports_centre", "leisure=stadium", "landuse=grass",
                                     "landuse=village_green", "landuse=recreation_ground", "landuse=cemetery",
                                     "landuse=allotments")),
    "water": ("#aad3df", ("natural=water", "water=*", "landuse=reservoir", "landuse=basin",
                          "waterway=riverbank", "leisure=swimming_pool")),
}
SIMPLIFY_DEG = 5e-5          # ≈ 5 m in latitude: invisible at city scale, a fraction of the points
MIN_AREA_DEG2 = 2e-8         # ≈ 150 m²: smaller areas are not drawn


def extract_for(source: str | None) -> Path | None:
    """The full OSM extract beside a city's street file (``brasov_drive.osm.bz2`` →
    ``brasov.osm.pbf``), or ``None`` when there is none (the demo town, a lone file)."""
    if not source or source == "demo":
        return None
    p = Path(source)
    cand = p.parent / (p.name.split("_")[0].split(".")[0] + ".osm.pbf")
    return cand if cand.is_file() else None


def _classify(tags) -> str | None:
    for name, (_, rules) in CLASSES.items():
        for rule in rules:
            k, v = rule.split("=")
            got = tags.get(k)
            if got is not None and (v == "*" or got == v):
                return name
    return None


def read_areas(pbf: Path, bbox: tuple[float, float, float, float]) -> dict[str, list[list[list[float]]]]:
    """The classed areas of ``pbf`` that meet ``bbox`` (west, south, east, north).

    Returns
    -------
    dict
        ``{class: [ring, …]}``, each ring ``[[lon, …], [lat, …]]`` (outer rings only: holes in
        a park are not drawn), simplified by :data:`SIMPLIFY_DEG`.
    """
    import osmium
    import shapely
    from osmium.geom import WKBFactory

    box = shapely.box(*bbox)
    wkb = WKBFactory()
    out: dict[str, list] = {k: [] for k in CLASSES}
    keys = sorted({r.split("=")[0] for _, rules in CLASSES.values() for r in rules})
    fp = osmium.FileProcessor(str(pbf)).with_areas(osmium.filter.KeyFilter(*keys)) \
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    for area in fp:
        cls = _classify(area.tags)
        if cls is None:
            continue
        try:
            geom = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(area)))
        except RuntimeError:                    # an area OSM could not close: skipped, as renderers do
            continue
        if not geom.intersects(box):
            continue
        geom = geom.intersection(box).simplify(SIMPLIFY_DEG)
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon" or poly.area < MIN_AREA_DEG2:
                continue
            xs, ys = poly.exterior.coords.xy
            out[cls].append([[round(x, 6) for x in xs], [round(y, 6) for y in ys]])
    return out


def areas_for(city) -> dict[str, list] | None:
    """The city's classed areas (:func:`read_areas`), from the on-disk cache when it has them;
    ``None`` when the city has no extract."""
    from twin.city import cache_root

    pbf = extract_for(getattr(city, "source", None))
    if pbf is None:
        return None
    st = pbf.stat()
    key = hashlib.sha256(json.dumps([str(pbf.resolve()), st.st_size, st.st_mtime_ns, list(city.bbox),
                                     SIMPLIFY_DEG, MIN_AREA_DEG2, sorted(CLASSES)]).encode()).hexdigest()[:16]
    path = cache_root() / "landuse" / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    areas = read_areas(pbf, city.bbox)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(areas))
    tmp.replace(path)
    return areas


_TRACES: dict = {}


def landuse_traces(city) -> list[go.Scatter]:
    """One filled SVG trace per land-use class (named ``land use: <class>``), or none."""
    key = getattr(city, "content_hash", id(city))
    if key not in _TRACES:
        areas = areas_for(city) or {}
        traces = []
        for name, (colour, _) in CLASSES.items():
            rings = areas.get(name) or []
            if not rings:
                continue
            xs, ys = [], []
            for rx, ry in rings:
                xs += rx + [None]
                ys += ry + [None]
            traces.append(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=colour,
                                     line={"width": 0, "color": colour}, name=f"land use: {name}",
                                     hoverinfo="skip", legendgroup="land use", showlegend=True))
        _TRACES[key] = traces
    return _TRACES[key]
