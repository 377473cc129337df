"""The map's ground: land use, water, parks, buildings, rail and rivers from the city's own OSM
extract, read offline.

A real city's source (``…/osm/brasov_all_highways.osm.bz2``) holds only its streets; the full
extract beside it (``…/osm/brasov.osm.pbf``, the name's first word) holds the rest. This module
reads it once with pyosmium (areas assembled from closed ways and multipolygon relations; rail
and river lines from ways), keeps what lies inside the city's bounding box, sorts areas into a
few classes, simplifies them (~5 m for land use, ~1.5 m for buildings) and caches the result as
JSON under the city cache (:func:`twin.city.cache_root`), keyed by the extract's size, time, the
box and the rules (:func:`ground_key`) — so it is read once per city file, never per request,
and no tile or script is ever fetched from the internet. :mod:`dash_app.ground` paints it.

The demo town has no extract: :func:`ground_for` returns ``None`` and the painter uses the
city's own (synthetic) land-use polygons instead.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

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


RAIL = ("rail", "light_rail", "tram", "narrow_gauge", "subway")
WATERWAYS = ("river", "stream", "canal")
BUILDING_SIMPLIFY_DEG = 1.5e-5   # ≈ 1.5 m: a building keeps its shape
MIN_BUILDING_DEG2 = 3e-9         # ≈ 20 m²: sheds and kiosks are not drawn
VERSION = 2                      # bump when what is read changes (the cache key holds it)


def _rings(geom, bbox_geom, tol: float, min_area: float) -> list:
    import shapely

    if not shapely.contains(bbox_geom, geom):
        if not geom.intersects(bbox_geom):
            return []
        geom = geom.intersection(bbox_geom)
    geom = geom.simplify(tol)
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon" or poly.area < min_area:
            continue
        xs, ys = poly.exterior.coords.xy
        out.append([[round(x, 6) for x in xs], [round(y, 6) for y in ys]])
    return out


def read_ground(pbf: Path, bbox: tuple[float, float, float, float]) -> dict:
    """What lies under the streets in ``pbf`` within ``bbox`` (west, south, east, north), in one
    pass over the file.

    Returns
    -------
    dict
        ``{"areas": {class: [ring, …]}, "buildings": [ring, …], "rail": [line, …],
        "waterways": [line, …]}``; a ring or line is ``[[lon, …], [lat, …]]``. Areas keep their
        outer rings only (holes in a park are not drawn), simplified by :data:`SIMPLIFY_DEG`;
        buildings by :data:`BUILDING_SIMPLIFY_DEG`; rail is the ``railway`` ways in :data:`RAIL`,
        waterways the ``waterway`` ways in :data:`WATERWAYS`.
    """
    import osmium
    import shapely
    from osmium.geom import WKBFactory

    box = shapely.box(*bbox)
    wkb = WKBFactory()
    areas: dict[str, list] = {k: [] for k in CLASSES}
    buildings: list = []
    lines: dict[str, list] = {"rail": [], "waterways": []}
    keys = sorted({r.split("=")[0] for _, rules in CLASSES.values() for r in rules} | {"building", "railway", "waterway"})
    fp = osmium.FileProcessor(str(pbf)).with_areas(osmium.filter.KeyFilter(*keys)) \
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA | osmium.osm.WAY)) \
        .with_filter(osmium.filter.KeyFilter(*keys))
    for obj in fp:
        tags = obj.tags
        if obj.is_way():
            kind = "rail" if tags.get("railway") in RAIL else "waterways" if tags.get("waterway") in WATERWAYS \
                else None
            if kind is not None and tags.get("area") != "yes":
                try:
                    line = shapely.from_wkb(bytes.fromhex(wkb.create_linestring(obj)))
                except (RuntimeError, osmium.InvalidLocationError):
                    continue
                if line.intersects(box):
                    for part in getattr(clip := line.intersection(box).simplify(SIMPLIFY_DEG), "geoms", [clip]):
                        if part.geom_type == "LineString" and len(part.coords) > 1:
                            xs, ys = part.coords.xy
                            lines[kind].append([[round(x, 6) for x in xs], [round(y, 6) for y in ys]])
            continue
        is_building = tags.get("building", "no") != "no"
        cls = None if is_building else _classify(tags)
        if cls is None and not is_building:
            continue
        try:
            geom = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj)))
        except RuntimeError:                    # an area OSM could not close: skipped, as renderers do
            continue
        if is_building:
            buildings += _rings(geom, box, BUILDING_SIMPLIFY_DEG, MIN_BUILDING_DEG2)
        else:
            areas[cls] += _rings(geom, box, SIMPLIFY_DEG, MIN_AREA_DEG2)
    return {"areas": areas, "buildings": buildings, **lines}


def ground_key(pbf: Path, bbox) -> str:
    """The cache key of a city's ground: the extract (path, size, time), the box and the rules."""
    st = pbf.stat()
    return hashlib.sha256(json.dumps([VERSION, str(pbf.resolve()), st.st_size, st.st_mtime_ns, list(bbox),
                                      SIMPLIFY_DEG, MIN_AREA_DEG2, BUILDING_SIMPLIFY_DEG, MIN_BUILDING_DEG2,
                                      list(RAIL), list(WATERWAYS), sorted(CLASSES)]).encode()).hexdigest()[:16]


def ground_key_for(city) -> str | None:
    """The cache key of the city's ground (:func:`ground_key`), or ``None`` when it has no extract."""
    pbf = extract_for(getattr(city, "source", None))
    return None if pbf is None else ground_key(pbf, city.bbox)


def ground_for(city) -> tuple[str, dict] | None:
    """``(key, ground)`` of the city (:func:`read_ground`), from the on-disk cache when it has
    it; ``None`` when the city has no extract."""
    from twin.city import cache_root

    key = ground_key_for(city)
    if key is None:
        return None
    path = cache_root() / "ground" / f"{key}.json"
    if path.exists():
        return key, json.loads(path.read_text())
    ground = read_ground(extract_for(city.source), city.bbox)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(ground))
    tmp.replace(path)
    return key, ground
