"""Read OpenStreetMap files: road ways for osmnx, points of interest and districts.

osmnx's ``graph_from_xml`` turns *every* way of a file into edges, and it cannot read ``.pbf``.
So :func:`read_osm` reads any OSM file with pyosmium (``.osm``, ``.osm.bz2``, ``.osm.gz``,
``.osm.pbf``) in one pass, keeps the highway ways that pass osmnx's own network filters, and
:func:`write_highways_xml` writes them back as plain OSM XML for ``osmnx.graph_from_xml``. Real
files and the embedded demo town take exactly this path.

Each kept way also gets a ``twin:modes`` tag: a bit mask saying whether cars (:data:`DRIVE`) and
pedestrians (:data:`WALK`) may use it. One graph then serves both, and each router picks the
edges of its mode. Two deliberate departures from osmnx's filters:

* cars use osmnx's ``drive_service`` filter: public service roads are drivable, because in
  Romanian blocks-of-flats districts the homes are reached by them;
* pedestrians may walk along roads tagged ``sidewalk=separate``: osmnx drops those expecting the
  separately mapped footway, but a drive extract does not have it, and the walker still can.

A node whose coordinates are not a finite longitude in -180..180 and latitude in -90..90
(``lat="nan"``, ``lat="999"``, ``lon="181"``) is an error naming the node id and the value
(:class:`CoordinateError`), never a silently dropped or misplaced road.

All OSM-derived data: © OpenStreetMap contributors, ODbL 1.0.
"""
from __future__ import annotations

import bz2
import gzip
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import osmium
import shapely

from twin.errors import TwinError

WALK = 1
DRIVE = 2
#: edge-mode bits that a router or lookup of each mode accepts
MODE_BITS = {"walk": WALK, "drive": DRIVE, "any": WALK | DRIVE}

# osmnx 2.x network filters (osmnx/_overpass.py, `_get_network_filter`), as data: a way is kept
# when it has a highway tag and no listed tag matches its regex (Overpass `!~`, unanchored).
_PRIVATE = {"access": "private"}
NETWORK_FILTERS: dict[str, dict[str, str]] = {
    "drive": {
        "area": "yes",
        **_PRIVATE,
        "highway": "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
        "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|"
        "rest_area|service|services|steps|track",
        "motor_vehicle": "no",
        "motorcar": "no",
        "service": "alley|driveway|emergency_access|parking|parking_aisle|private",
    },
    "drive_service": {
        "area": "yes",
        **_PRIVATE,
        "highway": "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
        "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|"
        "rest_area|services|steps|track",
        "motor_vehicle": "no",
        "motorcar": "no",
        "service": "emergency_access|parking|parking_aisle|private",
    },
    "walk": {
        "area": "yes",
        **_PRIVATE,
        "highway": "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|"
        "proposed|raceway|razed|rest_area|services",
        "foot": "no",
        "service": "private",
    },
    "all": {
        "area": "yes",
        "highway": "abandoned|construction|no|planned|platform|proposed|raceway|razed|"
        "rest_area|services",
    },
}
_COMPILED = {k: {t: re.compile(rx) for t, rx in f.items()} for k, f in NETWORK_FILTERS.items()}
NETWORKS = ("all", "drive", "walk")
_MODE_FILTER = {"drive": "drive_service", "walk": "walk", "all": "all"}

# (tag, value) -> our POI kind
POI_TAGS: dict[tuple[str, str], str] = {
    ("amenity", "townhall"): "townhall",
    ("amenity", "hospital"): "hospital",
    ("amenity", "clinic"): "clinic",
    ("amenity", "doctors"): "doctors",
    ("emergency", "ambulance_station"): "ambulance_station",
    ("amenity", "fire_station"): "fire_station",
    ("amenity", "police"): "police",
    ("amenity", "school"): "school",
    ("amenity", "kindergarten"): "kindergarten",
    ("amenity", "college"): "college",
    ("amenity", "university"): "university",
    ("amenity", "pharmacy"): "pharmacy",
    ("amenity", "post_office"): "post_office",
    ("amenity", "bus_station"): "bus_station",
    ("amenity", "marketplace"): "marketplace",
    ("amenity", "library"): "library",
    ("amenity", "courthouse"): "courthouse",
    ("amenity", "social_facility"): "social_facility",
    ("amenity", "community_centre"): "community_centre",
}
DISTRICT_PLACES = ("suburb", "quarter", "neighbourhood", "borough")
TOWN_PLACES = ("city", "town", "municipality")
LANDUSE_KINDS = ("residential", "commercial", "retail", "industrial")
_NODE_TAGS = ("highway", "junction", "railway", "ref")
#: osmium's fixed-point coordinate of a node the file does not contain (an extract's cut edge)
_UNDEFINED = 2**31 - 1


class CoordinateError(TwinError):
    """A node of an OSM file whose longitude or latitude is not a usable coordinate."""


def _usable(node_id: int, loc) -> bool:
    """True if ``loc`` is a valid location; False if it is undefined (a way refers to a node the
    extract does not contain, which is normal at its border); :class:`CoordinateError` if it is
    defined but out of range."""
    if loc.valid():
        return True
    if loc.x == _UNDEFINED or loc.y == _UNDEFINED:
        return False
    lon, lat = loc.lon_without_check(), loc.lat_without_check()
    what, value, limit = ("lat", lat, 90) if not -90 <= lat <= 90 else ("lon", lon, 180)
    raise CoordinateError(f"node {node_id}: {what} {value:g} is out of range (-{limit}..{limit})")


def _bad_coordinate(path) -> str | None:
    """Find the first node of an OSM XML file whose ``lat``/``lon`` is not a finite number in
    range, and say which (``node 2: lat '999' …``); None for a PBF file or if none is found.

    pyosmium stops on such a value with only the value in its message; this second pass, taken
    only on that error, names the node.
    """
    import xml.etree.ElementTree as ET

    name = str(path).lower()
    if name.endswith(".pbf"):
        return None
    opener = bz2.open if name.endswith(".bz2") else gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            for _, el in ET.iterparse(f, events=("start",)):
                if el.tag != "node":
                    continue
                for what, limit in (("lat", 90), ("lon", 180)):
                    text = el.get(what)
                    try:
                        v = float(text)
                    except (TypeError, ValueError):
                        v = math.nan
                    if not (math.isfinite(v) and -limit <= v <= limit):
                        return (f"node {el.get('id')}: {what} {text!r} is not a coordinate "
                                f"(a finite number from -{limit} to {limit})")
                el.clear()
    except (OSError, EOFError, ET.ParseError):
        return None
    return None


def passes(tags: dict[str, str], network: str) -> bool:
    """True if a way with these tags belongs to ``network`` under osmnx's filter."""
    if "highway" not in tags:
        return False
    for key, rx in _COMPILED[network].items():
        value = tags.get(key)
        if value is not None and rx.search(value):
            return False
    return True


def way_modes(tags: dict[str, str]) -> int:
    """Bit mask of the modes (:data:`WALK`, :data:`DRIVE`) allowed on a way."""
    return (WALK if passes(tags, "walk") else 0) | (DRIVE if passes(tags, "drive_service") else 0)


def kind_of(tags: dict[str, str]) -> str | None:
    """Our POI kind for a set of OSM tags, or None."""
    for (k, v), kind in POI_TAGS.items():
        if tags.get(k) == v:
            return kind
    return None


@dataclass
class OsmExtract:
    """What :func:`read_osm` found in a file."""

    nodes: dict[int, tuple[float, float, dict[str, str]]] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    pois: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    landuse: list[dict] = field(default_factory=list)
    town: dict | None = None


def read_osm(path: str | Path, network: str = "all") -> OsmExtract:
    """Read highway ways of ``network``, POIs and places from any OSM file.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    network
        ``"all"``, ``"drive"`` or ``"walk"``: which ways become graph edges.

    Returns
    -------
    OsmExtract
        Ways with their node coordinates and tags (plus ``twin:modes``), POIs as dicts
        (``kind, name, lon, lat, osm_type, osm_id, tags``), places (districts with a WKB polygon
        where the file has one), land-use polygons (residential, commercial, retail, industrial)
        and the town (name, population) if tagged.
    """
    if network not in NETWORKS:
        raise ValueError(f"network={network!r} is not one of {NETWORKS}")
    try:
        try:
            return _read(path, network, areas=True)
        except RuntimeError as exc:
            # osmium's area assembler needs a file sorted by type and id; extracts cut by other
            # tools often are not ("Way IDs out of order"). Read again, building areas from closed
            # ways only (multipolygon relations are then skipped).
            if "out of order" not in str(exc):
                raise
            return _read(path, network, areas=False)
    except osmium.InvalidLocationError as exc:  # "wrong format for coordinate: '999'"
        raise CoordinateError(_bad_coordinate(path) or str(exc)) from None


def _read(path, network: str, areas: bool) -> OsmExtract:
    out = OsmExtract()
    wkb = osmium.geom.WKBFactory()
    highway_nodes: dict[int, dict[str, str]] = {}
    fp = osmium.FileProcessor(str(path)).with_locations()
    if areas:
        fp = fp.with_areas()
    for obj in fp:
        if obj.is_node():
            tags = dict(obj.tags)
            if not tags or not _usable(obj.id, obj.location):
                continue
            if any(t in tags for t in _NODE_TAGS):
                highway_nodes[obj.id] = {t: tags[t] for t in _NODE_TAGS if t in tags}
            _collect_feature(out, tags, "node", obj.id, obj.location.lon, obj.location.lat, None)
        elif obj.is_way():
            tags = dict(obj.tags)
            if "highway" in tags and passes(tags, _MODE_FILTER[network]):
                refs = []
                for nd in obj.nodes:
                    if not _usable(nd.ref, nd.location):
                        continue
                    refs.append(nd.ref)
                    if nd.ref not in out.nodes:
                        out.nodes[nd.ref] = (nd.location.lon, nd.location.lat, {})
                if len(refs) >= 2:
                    tags["twin:modes"] = str(way_modes(tags))
                    out.ways.append((obj.id, refs, tags))
            elif not areas and _is_area_feature(tags) and len(obj.nodes) >= 4 and obj.is_closed():
                pts = [(nd.location.lon, nd.location.lat) for nd in obj.nodes if _usable(nd.ref, nd.location)]
                geom = shapely.Polygon(pts) if len(pts) >= 4 else None
                if geom is not None and geom.is_valid and not geom.is_empty:
                    _collect_area(out, tags, "way", obj.id, shapely.MultiPolygon([geom]))
        elif obj.is_area():
            tags = dict(obj.tags)
            if not _is_area_feature(tags):
                continue
            try:
                geom = shapely.from_wkb(wkb.create_multipolygon(obj))
            except (RuntimeError, shapely.errors.GEOSException):
                continue
            _collect_area(out, tags, "way" if obj.from_way() else "relation", obj.orig_id(), geom)
    for nid, tags in highway_nodes.items():
        if nid in out.nodes:
            lon, lat, _ = out.nodes[nid]
            out.nodes[nid] = (lon, lat, tags)
    return out


def _is_area_feature(tags) -> bool:
    return (kind_of(tags) is not None or tags.get("place") in DISTRICT_PLACES
            or tags.get("landuse") in LANDUSE_KINDS)


def _collect_area(out: OsmExtract, tags, osm_type: str, osm_id: int, geom) -> None:
    c = geom.representative_point()
    _collect_feature(out, tags, osm_type, osm_id, c.x, c.y, geom)
    use = tags.get("landuse")
    if use in LANDUSE_KINDS:
        out.landuse.append({"kind": use, "name": tags.get("name", ""), "polygon": shapely.to_wkb(geom)})


def _collect_feature(out: OsmExtract, tags, osm_type, osm_id, lon, lat, geom) -> None:
    kind = kind_of(tags)
    if kind is not None:
        out.pois.append({"kind": kind, "name": tags.get("name", ""), "lon": lon, "lat": lat,
                         "osm_type": osm_type, "osm_id": int(osm_id), "tags": tags})
    place = tags.get("place")
    if place in DISTRICT_PLACES and tags.get("name"):
        out.places.append({"name": tags["name"], "place": place, "lon": lon, "lat": lat,
                           "polygon": None if geom is None else shapely.to_wkb(geom),
                           "population": _int_or_none(tags.get("population"))})
    elif place in TOWN_PLACES and tags.get("name"):
        pop = _int_or_none(tags.get("population"))
        if out.town is None or (pop or 0) > (out.town.get("population") or 0):
            out.town = {"name": tags["name"], "population": pop, "lon": lon, "lat": lat}


def _int_or_none(value) -> int | None:
    try:
        return int(str(value).replace(",", "").replace(" ", ""))
    except (TypeError, ValueError):
        return None


def write_highways_xml(extract: OsmExtract, path: str | Path) -> None:
    """Write the extract's highway ways and their nodes as OSM XML that osmnx can load."""
    used: set[int] = set()
    for _, refs, _ in extract.ways:
        used.update(refs)
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="smartcity-twin">\n')
        for nid in sorted(used):
            lon, lat, tags = extract.nodes[nid]
            if tags:
                f.write(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">')
                for k, v in tags.items():
                    f.write(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>")
                f.write("</node>\n")
            else:
                f.write(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for wid, refs, tags in extract.ways:
            f.write(f'<way id="{wid}">')
            for r in refs:
                f.write(f'<nd ref="{r}"/>')
            for k, v in tags.items():
                f.write(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>")
            f.write("</way>\n")
        f.write("</osm>\n")
