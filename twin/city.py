"""The city: a road graph from OpenStreetMap, with the arrays the kernels run on.

:func:`load_city` turns a source into a :class:`City`:

* ``"demo"`` — the embedded synthetic town (:mod:`twin.demo`), loaded through the same
  pyosmium → osmnx path as real data;
* a path to ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` (read by :mod:`twin.osm`), or
  to a GraphML file written by osmnx;
* anything else is taken as a place name and downloaded with osmnx (cached by osmnx; never
  used by the tests).

A City exposes the osmnx ``MultiDiGraph`` (``city.graph``, loaded lazily), and compact arrays:
nodes sorted by OSM id (``node_osmid``, ``node_lon/lat``, projected ``node_x/y`` in metres),
edges sorted by tail node (a CSR adjacency: ``indptr`` and ``edge_v``), integer edge lengths in
millimetres and free-flow times in milliseconds (exact sums, see :mod:`twin._routing`), street
names, modes (walk/drive, see :mod:`twin.osm`; in a graph without any footway, pedestrians may
walk along every road but motorways, since such extracts leave out the separately mapped
sidewalks), bridges, OSM way ids; POIs by kind, districts and a district per
node; nearest-node lookup; and ``content_hash``, a digest of what the city *is* (not of the
file it came from).

A parsed city is cached on disk (``$TWIN_CACHE_DIR`` or ``~/.cache/smartcity-twin``), keyed by
the source file's bytes and the load options, so the second load takes milliseconds.

Data © OpenStreetMap contributors (ODbL 1.0), except the demo town, which is synthetic.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely

from twin import osm
from twin.errors import TwinError
from twin.speeds import edge_speed_kph, main_highway
from twin.text import fold, slugify

CACHE_VERSION = 7
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
FOOTWAY_TYPES = ("footway", "path", "pedestrian", "steps", "cycleway", "bridleway")
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")


def default_cache_root() -> Path:
    """The user's cache folder, ``~/.cache/smartcity-twin`` (what :func:`cache_root` is without
    ``$TWIN_CACHE_DIR``)."""
    return Path.home() / ".cache" / "smartcity-twin"


def cache_root() -> Path:
    """Folder of the on-disk city cache (``$TWIN_CACHE_DIR`` or ``~/.cache/smartcity-twin``)."""
    root = os.environ.get("TWIN_CACHE_DIR")
    return Path(root) if root else default_cache_root()


@dataclass
class District:
    """A named part of the city: a polygon (lon/lat) where known, always a point."""

    name: str
    lon: float
    lat: float
    polygon: object | None = None   # shapely geometry in lon/lat
    population: int | None = None


@dataclass
class POI:
    """A point of interest, snapped to its nearest graph node (``node``) and drive node."""

    kind: str
    name: str
    lon: float
    lat: float
    osm_id: int
    node: int
    drive_node: int
    tags: dict = field(default_factory=dict)


@dataclass
class City:
    """A city's road graph and everything the simulation needs to know about it."""

    name: str
    source: str
    synthetic: bool
    population: int | None
    crs: str
    arrays: dict[str, np.ndarray]
    #: the name of every named way, sorted; ``arrays["edge_name"]`` indexes it (-1: no name). It
    #: holds bus platforms and cycle paths too: :attr:`street_names` is the real streets
    edge_names: list[str]
    highway_types: list[str]
    pois: list[POI]
    districts: list[District]
    landuse: list[dict]
    content_hash: str
    cache_dir: Path | None = None
    load_s: float = 0.0
    _graph: object = None
    _routers: dict = field(default_factory=dict)

    # ---- arrays ----------------------------------------------------------------------------
    def __getattr__(self, item):
        arrays = self.__dict__.get("arrays")
        if arrays is not None and item in arrays:
            return arrays[item]
        raise AttributeError(item)

    @property
    def n_nodes(self) -> int:
        return len(self.arrays["node_osmid"])

    @property
    def n_edges(self) -> int:
        return len(self.arrays["edge_u"])

    @property
    def edge_length_m(self) -> np.ndarray:
        return self.arrays["edge_length_mm"] / 1000.0

    @property
    def attribution(self) -> str:
        if self.synthetic:
            return "Synthetic demo town (no real data); road data model: OpenStreetMap"
        return OSM_ATTRIBUTION

    @property
    def slug(self) -> str:
        return slugify(self.name.split("(")[0])

    @cached_property
    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        lon, lat = self.arrays["node_lon"], self.arrays["node_lat"]
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())

    @cached_property
    def node_index(self) -> dict[int, int]:
        """OSM node id → node index."""
        return {int(o): i for i, o in enumerate(self.arrays["node_osmid"])}

    # ---- graph -----------------------------------------------------------------------------
    @property
    def graph(self):
        """The osmnx ``MultiDiGraph`` (node ids are OSM ids; each edge carries ``twin_edge``,
        its index in the arrays, and the integer weights ``length_mm`` and ``time_ms``)."""
        if self._graph is None:
            if self.cache_dir is None or not (self.cache_dir / "graph.pkl").exists():
                raise TwinError(f"the graph of {self.name!r} is not available (no cache)")
            with open(self.cache_dir / "graph.pkl", "rb") as f:
                self._graph = pickle.load(f)
        return self._graph

    # ---- lookups ---------------------------------------------------------------------------
    def _kdtree(self, mode: str | None, core: bool = False):
        key = f"_kd_{mode}_{core}"
        if key not in self.__dict__:
            from scipy.spatial import cKDTree

            if mode is None:
                nodes = np.arange(self.n_nodes)
            elif core or mode == "both":
                nodes = self.core_nodes(mode)
            else:
                ok = (self.arrays["edge_modes"] & osm.MODE_BITS[mode]) > 0
                nodes = np.unique(np.concatenate([self.arrays["edge_u"][ok], self.arrays["edge_v"][ok]]))
            xy = np.column_stack([self.arrays["node_x"][nodes], self.arrays["node_y"][nodes]])
            self.__dict__[key] = (cKDTree(xy), nodes)
        return self.__dict__[key]

    def project(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat (degrees) → projected x/y (metres, the city's UTM zone)."""
        return self._transformer.transform(np.asarray(lon, float), np.asarray(lat, float))

    def unproject(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Projected x/y (metres) → lon/lat (degrees)."""
        return self._transformer.transform(np.asarray(x, float), np.asarray(y, float),
                                           direction="INVERSE")

    @cached_property
    def _transformer(self):
        from pyproj import Transformer

        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def nearest_nodes(self, lon, lat, mode: str | None = None, core: bool = False) -> np.ndarray:
        """Indices of the nodes nearest to each lon/lat; ``mode`` restricts to nodes that have
        an edge usable by ``"walk"`` or ``"drive"``, ``core=True`` further to
        :meth:`core_nodes` of that mode (from where everything is reachable)."""
        if core and mode is None:
            raise ValueError("core=True needs a mode ('walk' or 'drive')")
        x, y = self.project(np.atleast_1d(lon), np.atleast_1d(lat))
        tree, nodes = self._kdtree(mode, core)
        _, i = tree.query(np.column_stack([x, y]))
        return nodes[i].astype(np.int32)

    def nearest_node(self, lon: float, lat: float, mode: str | None = None) -> int:
        """Index of the node nearest to one lon/lat (see :meth:`nearest_nodes`)."""
        return int(self.nearest_nodes(lon, lat, mode)[0])

    def core_nodes(self, mode: str = "drive") -> np.ndarray:
        """Nodes of the largest strongly connected component of the ``mode`` network: from any
        of them every other is reachable (``"walk"`` treats walkable edges as two-way).
        ``"both"``: nodes in the drive core and the walk core, where anyone can go by any mode
        (homes, workplaces, stops)."""
        key = f"_core_{mode}"
        if mode == "both" and key not in self.__dict__:
            self.__dict__[key] = np.intersect1d(self.core_nodes("drive"), self.core_nodes("walk")).astype(np.int32)
        if key not in self.__dict__:
            from scipy.sparse import coo_matrix
            from scipy.sparse.csgraph import connected_components

            ok = (self.arrays["edge_modes"] & osm.MODE_BITS[mode]) > 0
            u, v = self.arrays["edge_u"][ok], self.arrays["edge_v"][ok]
            if mode == "walk":
                u, v = np.concatenate([u, v]), np.concatenate([v, u])
            g = coo_matrix((np.ones(len(u)), (u, v)), shape=(self.n_nodes, self.n_nodes)).tocsr()
            _, label = connected_components(g, directed=True, connection="strong")
            has_edge = np.zeros(self.n_nodes, bool)
            has_edge[u] = True
            sizes = np.bincount(label[has_edge], minlength=label.max() + 1)
            self.__dict__[key] = np.nonzero((label == np.argmax(sizes)) & has_edge)[0].astype(np.int32)
        return self.__dict__[key]

    def core_edges(self, mode: str = "both") -> np.ndarray:
        """Edges whose two ends are both :meth:`core_nodes` of ``mode`` (any edge mode)."""
        core = np.zeros(self.n_nodes, bool)
        core[self.core_nodes(mode)] = True
        a = self.arrays
        return np.nonzero(core[a["edge_u"]] & core[a["edge_v"]])[0].astype(np.int32)

    def edge_midpoints(self, edges) -> tuple[np.ndarray, np.ndarray]:
        """(lon, lat) halfway between the two end nodes of each edge."""
        a = self.arrays
        u, v = a["edge_u"][edges], a["edge_v"][edges]
        return (a["node_lon"][u] + a["node_lon"][v]) / 2, (a["node_lat"][u] + a["node_lat"][v]) / 2

    def pois_of(self, *kinds: str) -> list[POI]:
        """POIs of the given kinds (e.g. ``"hospital"``, ``"fire_station"``), in file order."""
        return [p for p in self.pois if p.kind in kinds]

    def poi_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.pois:
            counts[p.kind] = counts.get(p.kind, 0) + 1
        return dict(sorted(counts.items()))

    @cached_property
    def street_names(self) -> list[str]:
        """The real streets among :attr:`edge_names` (sorted): what a citizen gives as an address,
        without bus platforms, cycle paths, pavements and car parks (:func:`twin.text.is_street_name`).
        Index ``arrays["edge_name"]`` into :attr:`edge_names`, not this."""
        from twin.text import is_street_name

        return [n for n in self.edge_names if is_street_name(n)]

    @cached_property
    def streets(self) -> dict[str, np.ndarray]:
        """Way name → indices of its edges (for geocoding and closures; every named way)."""
        names = self.arrays["edge_name"]
        order = np.argsort(names, kind="stable")
        bounds = np.searchsorted(names[order], np.arange(len(self.edge_names) + 1))
        return {n: order[bounds[k]:bounds[k + 1]] for k, n in enumerate(self.edge_names)}

    def edges_named(self, name: str) -> np.ndarray:
        """Edges of a street, matched ignoring case and diacritics; TwinError if unknown."""
        want = fold(name)
        hits = [e for n, e in self.streets.items() if fold(n) == want]
        if not hits:
            raise TwinError(f"street {name!r} not found in {self.name}")
        return np.sort(np.concatenate(hits))

    def edges_of_way(self, way_id: int) -> np.ndarray:
        """Edges built from the OSM way ``way_id``; TwinError if none."""
        ptr, ids = self.arrays["edge_way_ptr"], self.arrays["edge_way_ids"]
        hit = np.nonzero(ids == way_id)[0]
        if len(hit) == 0:
            raise TwinError(f"OSM way id {way_id} is not an edge of {self.name}")
        return np.unique(np.searchsorted(ptr, hit, side="right") - 1)

    def router(self, metric: str = "time", mode: str = "drive", closed_edges=None):
        """A :class:`twin.routing.Router` (cached per metric and mode when nothing is closed)."""
        from twin.routing import Router

        if closed_edges is not None and len(closed_edges):
            return Router(self, metric=metric, mode=mode, closed_edges=closed_edges)
        key = (metric, mode)
        if key not in self._routers:
            self._routers[key] = Router(self, metric=metric, mode=mode)
        return self._routers[key]

    def info(self) -> dict:
        """Summary used by ``twin city info``."""
        w, s, e, n = self.bbox
        return {
            "name": self.name, "source": self.source, "synthetic": self.synthetic,
            "nodes": self.n_nodes, "edges": self.n_edges,
            "drive_edges": int(((self.arrays["edge_modes"] & osm.DRIVE) > 0).sum()),
            "walk_edges": int(((self.arrays["edge_modes"] & osm.WALK) > 0).sum()),
            "streets": len(self.street_names), "edge_km": round(float(self.edge_length_m.sum()) / 1000, 1),
            "bbox": [round(w, 6), round(s, 6), round(e, 6), round(n, 6)],
            "crs": self.crs, "population": self.population,
            "districts": [d.name for d in self.districts], "poi_counts": self.poi_counts(),
            "content_hash": self.content_hash, "load_s": round(self.load_s, 3),
            "attribution": self.attribution,
        }


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------

def load_city(source: str | os.PathLike = "demo", *, network: str = "all",
              pois: str | os.PathLike | None = "auto", places: str | os.PathLike | None = "auto",
              cache: bool = True) -> City:
    """Load a city from the demo town, an OSM or GraphML file, or a place name.

    Parameters
    ----------
    source
        ``"demo"``, a file path, or a place name (downloaded by osmnx).
    network
        ``"all"`` (every road and path; cars use the drivable ones), ``"drive"`` or ``"walk"``.
    pois, places
        GeoJSON files of points of interest and of districts. ``"auto"`` looks for
        ``<city>_pois.geojson`` / ``<city>_places.geojson`` in a ``pois`` folder beside the
        OSM file's folder (the layout of ``shared/data``); None uses only what the OSM file has.
    cache
        Read and write the on-disk cache.

    Returns
    -------
    City

    Raises
    ------
    TwinError
        Missing file, unreadable file, unknown network, empty graph.
    """
    t0 = time.perf_counter()
    if network not in osm.NETWORKS:
        raise TwinError(f"network={network!r} is not one of {', '.join(osm.NETWORKS)}")
    src = str(source)
    kind, path, digest = _resolve(src)
    pois_path = _sidecar(path, "pois") if pois == "auto" else (Path(pois) if pois else None)
    places_path = _sidecar(path, "places") if places == "auto" else (Path(places) if places else None)
    for label, p in (("pois", pois_path), ("places", places_path)):
        if p is not None and not p.exists():
            raise TwinError(f"{label} file not found: {p}")
    key_material = {
        "v": CACHE_VERSION, "kind": kind, "source": digest, "network": network,
        "pois": _file_digest(pois_path) if pois_path else None,
        "places": _file_digest(places_path) if places_path else None,
    }
    key = hashlib.sha256(json.dumps(key_material, sort_keys=True).encode()).hexdigest()[:24]
    cdir = cache_root() / "cities" / key
    if not cache:
        city = _build(src, kind, path, network, pois_path, places_path)
        city.load_s = time.perf_counter() - t0
        return city
    with cache_entry_lock(cdir):            # a second process waits for the first one's entry
        if (cdir / "meta.json").exists():
            try:
                city = _read_cache(cdir)
                city.load_s = time.perf_counter() - t0
                return city
            except (OSError, ValueError, KeyError, json.JSONDecodeError):
                pass  # a damaged cache entry is rebuilt below
        city = _build(src, kind, path, network, pois_path, places_path)
        _write_cache(city, cdir)
    city.load_s = time.perf_counter() - t0
    return city


@contextlib.contextmanager
def cache_entry_lock(cdir: Path):
    """Hold an exclusive lock on the cache entry ``cdir`` (a ``.lock`` file beside it).

    Two processes loading the same uncached city (two ``twin run`` at once, or the workers of a
    parallel test run) would otherwise both parse it — minutes for a 1:1 city — and the second
    one's write would replace the entry under the first one's feet. With the lock, the second
    waits and then reads the first one's entry (the chatbot's model cache uses it the same way).
    ``fcntl.flock`` is released by the kernel if the
    holder dies, so a crash never leaves the cache locked; where ``fcntl`` does not exist
    (Windows), there is no lock and the atomic rename in :func:`_write_cache` still keeps every
    entry whole.
    """
    try:
        import fcntl
    except ImportError:                      # pragma: no cover - not POSIX
        yield
        return
    cdir.parent.mkdir(parents=True, exist_ok=True)
    with open(cdir.with_name(cdir.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _resolve(src: str) -> tuple[str, Path | None, str]:
    if src == "demo":
        from twin.demo import demo_osm_xml

        return "demo", None, hashlib.sha256(demo_osm_xml().encode()).hexdigest()
    path = Path(src).expanduser()
    looks_like_file = ("/" in src or "\\" in src or src.lower().endswith(OSM_SUFFIXES + (".graphml",)))
    if path.exists():
        if path.is_dir():
            raise TwinError(f"city source {src!r} is a directory, not an OSM or GraphML file")
        kind = "graphml" if src.lower().endswith(".graphml") else "osm"
        if kind == "osm" and not src.lower().endswith(OSM_SUFFIXES):
            raise TwinError(f"city file {src!r} is not .osm, .osm.bz2, .osm.gz, .osm.pbf or .graphml")
        return kind, path.resolve(), _file_digest(path)
    if looks_like_file:
        raise TwinError(f"city file not found: {src}")
    return "place", None, src


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def beside(path: str | os.PathLike | None, folder: str, pattern: str) -> Path | None:
    """A data file kept beside a city's OSM file: the first match, in name order, of
    ``../<folder>/<pattern>``, where ``{prefix}`` in ``pattern`` is the OSM file's name up to its
    first ``_`` or ``.`` (``brasov_drive.osm.bz2`` → ``brasov``); None if there is none.

    This is how a city finds its POIs, districts, GTFS feed, report statistics and seismic list
    in the shared data layout (``osm/``, ``pois/``, ``gtfs/``, ``stats/``, ``seismic/``).
    """
    if path is None:
        return None
    path = Path(path)
    prefix = re.split(r"[_.]", path.name)[0]
    dirpath = path.parent.parent / folder
    found = sorted(dirpath.glob(pattern.format(prefix=prefix))) if dirpath.is_dir() else []
    return found[0] if found else None


def _sidecar(path: Path | None, what: str) -> Path | None:
    return beside(path, "pois", f"{{prefix}}_{what}.geojson")


def _build(src, kind, path, network, pois_path, places_path) -> City:
    import osmnx as ox

    extract = None
    synthetic = kind == "demo"
    with tempfile.TemporaryDirectory(prefix="twin-city-") as tmp:
        if kind in ("demo", "osm"):
            if kind == "demo":
                from twin.demo import write_demo_osm

                path_in = write_demo_osm(Path(tmp) / "demo.osm")
            else:
                path_in = path
            try:
                extract = osm.read_osm(path_in, network)
            except osm.CoordinateError as exc:  # NaN, 999: names the node and the value
                raise TwinError(f"OSM file {src}: {exc}") from None
            except RuntimeError as exc:  # pyosmium parse errors
                raise TwinError(f"cannot read OSM file {src}: {exc}") from None
            if not extract.ways:
                raise TwinError(f"OSM file {src} has no {network!r} roads")
            xml = Path(tmp) / "highways.osm"
            osm.write_highways_xml(extract, xml)
            saved = list(ox.settings.useful_tags_way)
            ox.settings.useful_tags_way = saved + ["twin:modes"]
            try:
                G = ox.graph_from_xml(xml, bidirectional=(network == "walk"), simplify=False)
                # a node where the street's name or the modes allowed change ends an edge: merged
                # across it, an edge kept one name for both streets (the 100 m of Piața Sfatului
                # named 557 m of Strada Mureșenilor and Strada George Barițiu, so the square
                # carried their traffic in kpis.traffic) and the modes both allow (a footway's
                # end took the walk off a street, a pedestrian street's the cars off a road)
                G = ox.simplify_graph(G, edge_attrs_differ=["name", "twin:modes"])
            finally:
                ox.settings.useful_tags_way = saved
        elif kind == "graphml":
            try:
                G = ox.load_graphml(path)
            except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
                raise TwinError(f"cannot read GraphML file {src}: {exc}") from None
        else:
            try:
                G = ox.graph_from_place(src, network_type="all" if network == "all" else network)
            except Exception as exc:  # noqa: BLE001 - network errors, unknown places
                raise TwinError(f"cannot download a road graph for place {src!r}: {exc}") from None
    if len(G) == 0:
        raise TwinError(f"city source {src!r} produced an empty road graph")

    town = extract.town if extract else None
    name = (town or {}).get("name") or (Path(src).name.split(".")[0] if kind != "place" else src)
    population = (town or {}).get("population")
    raw_pois = extract.pois if extract else []
    raw_places = extract.places if extract else []
    if pois_path:
        raw_pois = _geojson_pois(pois_path)
    if places_path:
        raw_places, town2 = _geojson_places(places_path)
        if town2:
            name = town2["name"] if not town else name
            population = population or town2.get("population")
    try:
        arrays, edge_names, highway_types, crs = _arrays_from_graph(G)
    except TwinError as exc:  # a node with NaN or out-of-range coordinates
        raise TwinError(f"city {src}: {exc}") from None
    city = City(name=name, source=src if kind != "osm" else str(path), synthetic=synthetic,
                population=population, crs=crs, arrays=arrays, edge_names=edge_names,
                highway_types=highway_types, pois=[], districts=[],
                landuse=extract.landuse if extract else [], content_hash="", _graph=G)
    city.districts = _districts(raw_places)
    city.arrays["node_district"] = _assign_districts(city)
    city.pois = _snap_pois(city, raw_pois)
    city.content_hash = _content_hash(city)
    return city


def _geojson_pois(path: Path) -> list[dict]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for f in data.get("features", []):
        props = f.get("properties") or {}
        kind = osm.kind_of(props)
        if kind is None or not f.get("geometry"):
            continue
        geom = shapely.geometry.shape(f["geometry"])
        c = geom if geom.geom_type == "Point" else geom.representative_point()
        out.append({"kind": kind, "name": props.get("name", ""), "lon": c.x, "lat": c.y,
                    "osm_type": props.get("osm_type", "node"), "osm_id": int(props.get("osm_id", 0)),
                    "tags": {k: v for k, v in props.items() if isinstance(v, str)}})
    return out


def _geojson_places(path: Path) -> tuple[list[dict], dict | None]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    places, town = [], None
    for f in data.get("features", []):
        props = f.get("properties") or {}
        place, name = props.get("place"), props.get("name")
        if not name or not f.get("geometry"):
            continue
        geom = shapely.geometry.shape(f["geometry"])
        pop = osm._int_or_none(props.get("population"))
        if place in osm.TOWN_PLACES:
            if town is None or (pop or 0) > (town.get("population") or 0):
                town = {"name": name, "population": pop}
            continue
        if place not in osm.DISTRICT_PLACES + ("village",):
            continue
        c = geom if geom.geom_type == "Point" else geom.representative_point()
        places.append({"name": name, "place": place, "lon": c.x, "lat": c.y,
                       "polygon": None if geom.geom_type == "Point" else shapely.to_wkb(geom),
                       "population": pop})
    return places, town


def _one(value):
    """One value of a tag that osmnx may have merged into a list: the first in text order.

    The list comes from a set (its order changes with ``PYTHONHASHSEED``), so "the first" would
    make the city differ from one process to the next; see :func:`twin.speeds.main_highway`."""
    if isinstance(value, (list, tuple)):
        vals = sorted(str(v) for v in value if v not in (None, ""))
        return vals[0] if vals else None
    return value


def _check_coordinates(nodes: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
    """TwinError naming the first node whose longitude is not finite in -180..180 or whose
    latitude is not finite in -90..90 (a GraphML file may hold NaN or 999; one such node would
    otherwise poison the projection, the spatial index and every distance)."""
    for what, v, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        bad = ~(np.isfinite(v) & (np.abs(v) <= limit))
        if bad.any():
            i = int(np.argmax(bad))
            raise TwinError(f"node {int(nodes[i])}: {what} {float(v[i])!r} is not a coordinate "
                            f"(a finite number from -{limit:g} to {limit:g})")


def _arrays_from_graph(G) -> tuple[dict, list[str], list[str], str]:
    from pyproj import Transformer

    nodes = np.array(sorted(G.nodes), dtype=np.int64)
    index = {int(n): i for i, n in enumerate(nodes)}
    lon = np.array([G.nodes[n]["x"] for n in nodes], dtype=np.float64)
    lat = np.array([G.nodes[n]["y"] for n in nodes], dtype=np.float64)
    _check_coordinates(nodes, lon, lat)
    zone = int((float(np.median(lon)) + 180) // 6) + 1
    crs = f"EPSG:{32600 + zone if float(np.median(lat)) >= 0 else 32700 + zone}"
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)

    edges = sorted(G.edges(keys=True, data=True), key=lambda e: (index[e[0]], index[e[1]], e[2]))
    m = len(edges)
    eu = np.empty(m, np.int32)
    ev = np.empty(m, np.int32)
    ekey = np.empty(m, np.int32)
    length_mm = np.empty(m, np.int64)
    time_ms = np.empty(m, np.int64)
    speed = np.empty(m, np.float64)
    modes = np.empty(m, np.uint8)
    oneway = np.zeros(m, bool)
    bridge = np.zeros(m, bool)
    name_idx = np.empty(m, np.int32)
    hw_idx = np.empty(m, np.int32)
    way_ptr = np.zeros(m + 1, np.int64)
    way_ids: list[int] = []
    names: dict[str, int] = {}
    hws: dict[str, int] = {}
    for i, (u, v, k, d) in enumerate(edges):
        eu[i], ev[i], ekey[i] = index[int(u)], index[int(v)], int(k)
        length = float(d.get("length", 0.0))
        length_mm[i] = int(round(length * 1000.0))
        hw = main_highway(d.get("highway", "road"))
        kph = edge_speed_kph(hw, d.get("maxspeed"))
        speed[i] = kph
        time_ms[i] = int(round(length / (kph / 3.6) * 1000.0))
        mv = d.get("twin:modes")
        if mv is None:
            tags = {t: str(v) for t in ("access", "service", "area") if (v := _one(d.get(t))) is not None}
            if "highway" in d:
                tags["highway"] = hw
            modes[i] = osm.way_modes(tags)
        else:
            vals = mv if isinstance(mv, list) else [mv]
            mask = 3
            for val in vals:
                mask &= int(val)
            modes[i] = mask
        oneway[i] = bool(d.get("oneway", False))
        br = d.get("bridge")
        bridge[i] = any(str(b) not in ("no", "None", "") for b in (br if isinstance(br, list) else [br])) if br else False
        nm = d.get("name")
        nm = _one(nm)
        name_idx[i] = names.setdefault(str(nm), len(names)) if nm else -1
        hw_idx[i] = hws.setdefault(hw, len(hws))
        ids = d.get("osmid", [])
        ids = ids if isinstance(ids, list) else [ids]
        way_ids.extend(int(w) for w in ids)
        way_ptr[i + 1] = len(way_ids)
        d["twin_edge"] = i
        d["length_mm"] = int(length_mm[i])
        d["time_ms"] = int(time_ms[i])
    # A drive-only extract has no footways: main roads there are often tagged foot=no because their
    # sidewalks are mapped as separate ways, which the extract left out. Without any footway in
    # the graph, pedestrians walk along every road except motorways (on its sidewalk, in effect).
    hw_of = list(hws)
    if not any(h in FOOTWAY_TYPES for h in hw_of):
        walkable_type = np.array([not h.startswith("motorway") for h in hw_of], bool)
        modes |= np.where(walkable_type[hw_idx], osm.WALK, 0).astype(np.uint8)
    # renumber street names alphabetically so that the order does not depend on edge order
    name_list = sorted(names)
    remap = np.array([name_list.index(n) for n in names], dtype=np.int32) if names else np.zeros(0, np.int32)
    name_idx = np.where(name_idx >= 0, remap[np.maximum(name_idx, 0)] if len(remap) else -1, -1).astype(np.int32)
    indptr = np.zeros(len(nodes) + 1, np.int64)
    np.add.at(indptr, eu + 1, 1)
    indptr = np.cumsum(indptr)
    arrays = {
        "node_osmid": nodes, "node_lon": lon, "node_lat": lat,
        "node_x": np.asarray(x, np.float64), "node_y": np.asarray(y, np.float64),
        "indptr": indptr, "edge_u": eu, "edge_v": ev, "edge_key": ekey,
        "edge_length_mm": length_mm, "edge_time_ms": time_ms, "edge_speed_kph": speed,
        "edge_modes": modes, "edge_oneway": oneway, "edge_bridge": bridge,
        "edge_name": name_idx, "edge_highway": hw_idx,
        "edge_way_ptr": way_ptr, "edge_way_ids": np.array(way_ids, np.int64),
    }
    return arrays, name_list, list(hws), crs


def _districts(raw_places: list[dict]) -> list[District]:
    polys = {fold(p["name"]): p for p in raw_places if p.get("polygon")}
    out: list[District] = []
    seen: set[str] = set()
    for p in sorted(raw_places, key=lambda p: (p.get("polygon") is None, p["name"])):
        key = fold(p["name"])
        if key in seen:
            continue
        seen.add(key)
        src = polys.get(key, p)
        geom = shapely.from_wkb(src["polygon"]) if src.get("polygon") else None
        out.append(District(name=p["name"], lon=float(p["lon"]), lat=float(p["lat"]),
                            polygon=geom, population=src.get("population") or p.get("population")))
    return out


def _assign_districts(city: City) -> np.ndarray:
    """District index per node: the polygon that covers it, else the nearest district point."""
    n = city.n_nodes
    out = np.full(n, -1, np.int16)
    if not city.districts:
        return out
    lon, lat = city.arrays["node_lon"], city.arrays["node_lat"]
    for k, d in enumerate(city.districts):
        if d.polygon is not None:
            inside = shapely.intersects_xy(d.polygon, lon, lat) & (out < 0)
            out[inside] = k
    rest = np.nonzero(out < 0)[0]
    if len(rest):
        from scipy.spatial import cKDTree

        dx, dy = city.project([d.lon for d in city.districts], [d.lat for d in city.districts])
        _, nearest = cKDTree(np.column_stack([dx, dy])).query(
            np.column_stack([city.arrays["node_x"][rest], city.arrays["node_y"][rest]]))
        out[rest] = nearest
    return out


def _snap_pois(city: City, raw: list[dict]) -> list[POI]:
    if not raw:
        return []
    lons = np.array([p["lon"] for p in raw])
    lats = np.array([p["lat"] for p in raw])
    # only POIs inside (or near) the graph's extent are the city's
    w, s, e, n = city.bbox
    pad = 0.01
    keep = (lons >= w - pad) & (lons <= e + pad) & (lats >= s - pad) & (lats <= n + pad)
    raw = [p for p, k in zip(raw, keep) if k]
    if not raw:
        return []
    lons, lats = lons[keep], lats[keep]
    nodes = city.nearest_nodes(lons, lats)
    has_drive = bool(((city.arrays["edge_modes"] & osm.DRIVE) > 0).any())
    dnodes = city.nearest_nodes(lons, lats, "drive") if has_drive else nodes
    return [POI(kind=p["kind"], name=p.get("name") or "", lon=float(p["lon"]), lat=float(p["lat"]),
                osm_id=int(p.get("osm_id") or 0), node=int(a), drive_node=int(b),
                tags={k: v for k, v in (p.get("tags") or {}).items() if k in _POI_TAGS_KEPT})
            for p, a, b in zip(raw, nodes, dnodes)]


_POI_TAGS_KEPT = ("amenity", "emergency", "healthcare", "name", "addr:street", "addr:housenumber",
                  "opening_hours", "note")


def _content_hash(city: City) -> str:
    a = city.arrays
    h = hashlib.sha256()
    h.update(a["node_osmid"].tobytes())
    h.update(np.round(a["node_lon"] * 1e7).astype(np.int64).tobytes())
    h.update(np.round(a["node_lat"] * 1e7).astype(np.int64).tobytes())
    for k in ("edge_u", "edge_v", "edge_length_mm", "edge_time_ms", "edge_modes", "edge_name"):
        h.update(a[k].tobytes())
    h.update("\n".join(city.edge_names).encode())
    h.update(json.dumps([(p.kind, p.name, p.node) for p in city.pois]).encode())
    h.update(json.dumps([d.name for d in city.districts]).encode())
    h.update(a["node_district"].tobytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# cache
# ---------------------------------------------------------------------------------------------

def _write_cache(city: City, cdir: Path) -> None:
    tmp = cdir.with_name(cdir.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    np.savez(tmp / "arrays.npz", **city.arrays)
    with open(tmp / "graph.pkl", "wb") as f:
        pickle.dump(city._graph, f, protocol=pickle.HIGHEST_PROTOCOL)
    meta = {
        "name": city.name, "source": city.source, "synthetic": city.synthetic,
        "population": city.population, "crs": city.crs,
        "street_names": city.edge_names,      # every way name (the key kept so that caches stay valid)
        "highway_types": city.highway_types, "content_hash": city.content_hash,
        "pois": [p.__dict__ for p in city.pois],
        "districts": [{"name": d.name, "lon": d.lon, "lat": d.lat, "population": d.population,
                       "polygon": None if d.polygon is None else shapely.to_wkt(d.polygon, rounding_precision=7)}
                      for d in city.districts],
        "landuse": [{**u, "polygon": shapely.to_wkt(shapely.from_wkb(u["polygon"]), rounding_precision=7)}
                    for u in city.landuse],
    }
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    import shutil

    if cdir.exists():                       # a damaged entry (a whole one was read, not rebuilt)
        shutil.rmtree(cdir, ignore_errors=True)
    try:
        tmp.rename(cdir)
    except OSError:  # another process won the race (no lock on this system); its copy is as good
        shutil.rmtree(tmp, ignore_errors=True)
    city.cache_dir = cdir if cdir.exists() else None


def _read_cache(cdir: Path) -> City:
    meta = json.loads((cdir / "meta.json").read_text(encoding="utf-8"))
    with np.load(cdir / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    districts = [District(name=d["name"], lon=d["lon"], lat=d["lat"], population=d["population"],
                          polygon=shapely.from_wkt(d["polygon"]) if d["polygon"] else None)
                 for d in meta["districts"]]
    landuse = [{**u, "polygon": shapely.to_wkb(shapely.from_wkt(u["polygon"]))} for u in meta["landuse"]]
    return City(name=meta["name"], source=meta["source"], synthetic=meta["synthetic"],
                population=meta["population"], crs=meta["crs"], arrays=arrays,
                edge_names=meta["street_names"], highway_types=meta["highway_types"],
                pois=[POI(**p) for p in meta["pois"]], districts=districts, landuse=landuse,
                content_hash=meta["content_hash"], cache_dir=cdir)
