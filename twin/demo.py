"""The embedded demo town, *Valea Verde* (SYNTHETIC), written as OpenStreetMap XML.

A small Romanian-style town that needs no network and no data file, so that ``twin run --city
demo`` works on a fresh machine. It is generated deterministically (same bytes every time) as
OSM XML and loaded through the *same* pyosmium → osmnx path as real data, so the default run
exercises the real code.

The town (about 5.7 × 4.2 km, 45,000 inhabitants):

* **Centrul Istoric** — a dense, slightly irregular old town with narrow one-way lanes, living
  streets and a one-way square (*Piața Sfatului*), the town hall and the municipal police;
* **Centrul Nou** — a newer grid with the university and the county ambulance substation;
* **Cartierul Tineretului**, **Cartierul Florilor**, **Valea Râului** — blocks-of-flats districts;
* **Cartierul Nord** — houses on the hillside; **Zona Industrială** — wide industrial streets
  and the coach station;
* two boulevards crossing in the centre, a ring road (*Șoseaua de Centură*), and the river
  *Râul Verde* crossed by four bridges — the only links between Valea Râului and the rest,
  which makes the town a good stage for road-closure what-ifs;
* the county emergency hospital, an ambulance station, a fire station, police stations,
  schools, kindergartens, pharmacies, a market, a library, a post office.

Nothing here describes a real place; every feature carries ``note=synthetic``.
"""
from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

NAME = "Valea Verde (synthetic demo town)"
POPULATION = 45_000
LAT0, LON0 = 45.500, 25.000          # origin of the local metric frame (synthetic)
UNIT = 100.0                          # lattice spacing, metres
_M_PER_DEG_LAT = 111_320.0

# districts: name -> (i0, i1, j0, j1, step, population, landuse, street-name pool)
_PERSONS = [
    "Strada Ion Creangă", "Strada Mihai Eminescu", "Strada Vasile Alecsandri", "Strada George Coșbuc",
    "Strada Ion Luca Caragiale", "Strada Lucian Blaga", "Strada Tudor Vladimirescu",
    "Strada Ștefan cel Mare", "Strada Alexandru Ioan Cuza", "Strada Gheorghe Doja", "Strada Horea",
    "Strada Cloșca", "Strada Crișan", "Strada Nicolae Iorga", "Strada Spiru Haret",
    "Strada Octavian Goga", "Strada George Enescu", "Strada Ciprian Porumbescu",
    "Strada Constantin Brâncoveanu", "Strada Matei Basarab", "Strada Vlad Țepeș",
    "Strada Mircea cel Bătrân", "Strada Decebal", "Strada Traian", "Strada Dacilor",
    "Strada Mihail Kogălniceanu", "Strada Titu Maiorescu", "Strada Andrei Mureșanu",
    "Strada Gheorghe Lazăr", "Strada Petru Rareș", "Strada Nicolae Titulescu",
    "Strada Liviu Rebreanu", "Strada Mihail Sadoveanu", "Strada Ana Ipătescu",
]
_FLOWERS = [
    "Strada Trandafirilor", "Strada Lalelelor", "Strada Garoafelor", "Strada Crizantemelor",
    "Strada Zambilelor", "Strada Liliacului", "Strada Bujorului", "Strada Narciselor",
    "Strada Macilor", "Strada Margaretelor", "Strada Toporașilor", "Strada Brândușelor",
    "Strada Iasomiei", "Strada Magnoliei", "Strada Orhideelor", "Strada Panseluțelor",
    "Strada Gladiolelor", "Strada Ghioceilor", "Strada Crinului", "Strada Begoniei",
    "Strada Petuniei",
]
_TREES = [
    "Strada Stejarului", "Strada Fagului", "Strada Teiului", "Strada Salcâmilor", "Strada Brazilor",
    "Strada Molidului", "Strada Mesteacănului", "Strada Plopilor", "Strada Arinului",
    "Strada Castanilor", "Strada Nucului", "Strada Cireșilor", "Strada Vișinilor",
    "Strada Merilor", "Strada Perilor", "Strada Prunilor", "Strada Salciei", "Strada Ulmului",
]
_TRADES = [
    "Strada Fabricii", "Strada Uzinei", "Strada Turnătorilor", "Strada Strungarilor",
    "Strada Lăcătușilor", "Strada Sudorilor", "Strada Electricienilor", "Strada Mecanicilor",
    "Strada Forjorilor", "Strada Morii",
]
_MOUNTAINS = [
    "Strada Bucegi", "Strada Făgăraș", "Strada Retezat", "Strada Ceahlău", "Strada Rarău",
    "Strada Parâng", "Strada Piatra Craiului", "Strada Postăvarului", "Strada Ciucaș",
]
_RIVERS = [
    "Strada Oltului", "Strada Mureșului", "Strada Siretului", "Strada Prutului", "Strada Argeșului",
    "Strada Jiului", "Strada Buzăului", "Strada Ialomiței", "Strada Someșului", "Strada Crișului",
    "Strada Bistriței", "Strada Dâmboviței", "Strada Târnavei", "Strada Moldovei", "Strada Vedei",
    "Strada Bârsei", "Strada Ghimbășelului", "Strada Tărlungului", "Strada Lotrului",
    "Strada Cernei", "Strada Nerei", "Strada Motrului", "Strada Sucevei", "Strada Trotușului",
    "Strada Bahluiului", "Strada Vasluiului", "Strada Arieșului", "Strada Hârtibaciului",
    "Strada Cibinului", "Strada Sadului", "Strada Covurluiului", "Strada Milcovului",
]
DISTRICTS = {
    "Centrul Istoric": (-6, 6, -4, 6, 1, 3_500, "commercial", _PERSONS),
    "Centrul Nou": (6, 21, -4, 6, 2, 5_000, "commercial", _PERSONS[20:] + _PERSONS[:4]),
    "Cartierul Tineretului": (-27, -6, -4, 12, 2, 11_000, "residential", _TREES),
    "Cartierul Florilor": (-6, 21, 6, 21, 2, 12_000, "residential", _FLOWERS),
    "Zona Industrială": (21, 30, -4, 21, 3, 500, "industrial", _TRADES),
    "Cartierul Nord": (-27, -6, 12, 21, 3, 3_000, "residential", _MOUNTAINS),
    "Valea Râului": (-27, 24, -21, -8, 2, 10_000, "residential", _RIVERS),
}

# (kind tags, name, i, j) — placed inside blocks (offset from the lattice) so that nearest-node
# lookups have to do real work
POIS = [
    ({"amenity": "townhall"}, "Primăria Municipiului Valea Verde", 1, 1),
    ({"amenity": "hospital", "emergency": "yes", "healthcare": "hospital"},
     "Spitalul Clinic Județean de Urgență Valea Verde", 10, 9),
    ({"amenity": "hospital", "healthcare": "hospital"}, "Spitalul de Pneumoftiziologie", -20, 16),
    ({"emergency": "ambulance_station"}, "Serviciul de Ambulanță Județean – Substația Centru", 8, -2),
    ({"amenity": "fire_station"}, "Detașamentul de Pompieri Valea Verde", -12, 3),
    ({"amenity": "police"}, "Poliția Municipiului Valea Verde", 3, 4),
    ({"amenity": "police"}, "Poliția Locală – Secția Valea Râului", -10, -15),
    ({"amenity": "school"}, "Școala Gimnazială Nr. 1", -3, -2),
    ({"amenity": "school"}, "Școala Gimnazială Nr. 2", -18, 7),
    ({"amenity": "school"}, "Școala Gimnazială Nr. 3", 4, 14),
    ({"amenity": "school"}, "Școala Gimnazială Nr. 4", -6, -17),
    ({"amenity": "school"}, "Liceul Tehnologic Valea Verde", 24, 10),
    ({"amenity": "college"}, "Colegiul Național Andrei Mureșanu", 2, -3),
    ({"amenity": "university"}, "Universitatea din Valea Verde", 14, 3),
    ({"amenity": "kindergarten"}, "Grădinița cu Program Prelungit Nr. 1", -14, 1),
    ({"amenity": "kindergarten"}, "Grădinița Nr. 5", 12, 15),
    ({"amenity": "kindergarten"}, "Grădinița Nr. 7", 10, -12),
    ({"amenity": "pharmacy"}, "Farmacia Centrală", 0, 3),
    ({"amenity": "pharmacy"}, "Farmacia Florilor", 6, 12),
    ({"amenity": "pharmacy"}, "Farmacia Tineretului", -16, 5),
    ({"amenity": "pharmacy"}, "Farmacia Valea Râului", 2, -13),
    ({"amenity": "clinic"}, "Policlinica Municipală", -4, 5),
    ({"amenity": "doctors"}, "Cabinet Medicină de Familie Dr. Popescu", -22, -10),
    ({"amenity": "post_office"}, "Oficiul Poștal Valea Verde 1", -1, 5),
    ({"amenity": "bus_station"}, "Autogara Valea Verde", 25, 1),
    ({"amenity": "marketplace"}, "Piața Agroalimentară Florilor", 8, 16),
    ({"amenity": "library"}, "Biblioteca Județeană Octavian Goga", -2, 0),
    ({"amenity": "social_facility"}, "Direcția de Asistență Socială", -5, 2),
]


class _Builder:
    def __init__(self) -> None:
        self.rng = np.random.default_rng(20240321)  # fixed: the town never changes
        self.taken: set[tuple] = set()
        self.blocked: set[tuple] = set()
        self.ways: list[tuple[list[tuple[int, int]], dict[str, str]]] = []
        self.jitter: dict[tuple[int, int], tuple[float, float]] = {}

    @staticmethod
    def _seg(p, q):
        return (p, q) if p <= q else (q, p)

    def way(self, pts: list[tuple[int, int]], tags: dict[str, str]) -> None:
        """Add a way along lattice points, skipping segments another way already has."""
        run: list[tuple[int, int]] = []
        for p, q in zip(pts[:-1], pts[1:]):
            s = self._seg(p, q)
            if s in self.taken or s in self.blocked:
                if len(run) >= 2:
                    self.ways.append((run, dict(tags)))
                run = []
                continue
            self.taken.add(s)
            if not run:
                run = [p]
            run.append(q)
        if len(run) >= 2:
            self.ways.append((run, dict(tags)))


def _hline(j, i0, i1):
    step = 1 if i1 >= i0 else -1
    return [(i, j) for i in range(i0, i1 + step, step)]


def _vline(i, j0, j1):
    step = 1 if j1 >= j0 else -1
    return [(i, j) for j in range(j0, j1 + step, step)]


def _crossing(b: _Builder, i: int, j_top: int, j_bottom: int, name: str, bridge: str, tags: dict):
    """A north-south road that crosses the river (banks at j=-5 and j=-7) on a bridge."""
    b.way(_vline(i, j_top, -5), {**tags, "name": name})
    b.way([(i, -5), (i, -7)], {**tags, "name": bridge, "bridge": "yes", "layer": "1"})
    b.way(_vline(i, -7, j_bottom), {**tags, "name": name})


def _build() -> _Builder:
    b = _Builder()
    primary = {"highway": "primary", "maxspeed": "50", "lanes": "2"}
    secondary = {"highway": "secondary", "maxspeed": "50"}
    tertiary = {"highway": "tertiary"}
    ring = {"highway": "trunk", "maxspeed": "70", "lanes": "2"}
    # the square in the old town: a one-way loop; the lattice inside it is not a street
    square = [(-3, 2), (-1, 2), (-1, 4), (-3, 4), (-3, 2)]
    b.blocked.update({b._seg((-2, 2), (-2, 3)), b._seg((-2, 3), (-2, 4)),
                      b._seg((-3, 3), (-2, 3)), b._seg((-2, 3), (-1, 3))})
    b.way(square, {"highway": "residential", "name": "Piața Sfatului", "oneway": "yes",
                   "junction": "roundabout", "maxspeed": "20"})
    # boulevards and the ring road
    b.way(_hline(0, -27, 30), {**primary, "name": "Bulevardul Republicii"})
    _crossing(b, 0, 21, -21, "Bulevardul Independenței", "Podul Independenței", primary)
    b.way(_hline(21, -27, 30), {**ring, "name": "Șoseaua de Centură"})
    _crossing(b, -27, 21, -21, "Șoseaua de Centură", "Podul de Centură", ring)
    b.way(_hline(-21, -27, 24), {**ring, "name": "Șoseaua de Centură"})
    b.way(_vline(30, 21, -4), {**ring, "name": "Șoseaua de Centură"})
    _crossing(b, -15, 21, -21, "Calea Bucureștiului", "Podul Mare", secondary)
    _crossing(b, 15, 21, -21, "Calea Feldioarei", "Podul Nou", secondary)
    # arteries on district boundaries
    b.way(_hline(-4, -27, 30), {**tertiary, "name": "Splaiul Nordic"})
    b.way(_hline(-8, -27, 24), {**tertiary, "name": "Splaiul Sudic"})
    b.way(_hline(6, -27, 30), {**tertiary, "name": "Strada Mihai Viteazu"})
    b.way(_hline(12, -27, 30), {**tertiary, "name": "Bulevardul Eroilor"})
    b.way(_hline(-14, -27, 24), {**tertiary, "name": "Strada Zizinului"})
    b.way(_vline(-6, -4, 21), {**tertiary, "name": "Strada Nicolae Bălcescu"})
    b.way(_vline(6, -4, 21), {**tertiary, "name": "Strada Avram Iancu"})
    b.way(_vline(21, -4, 21), {**tertiary, "name": "Strada Industriilor"})
    b.way(_vline(24, -8, -21), {**tertiary, "name": "Strada Timișului"})
    # old-town jitter: interior lattice points move up to 20 m, deterministically
    for i in range(-5, 6):
        for j in range(-3, 6):
            b.jitter[(i, j)] = tuple(b.rng.uniform(-20.0, 20.0, size=2))
    # district streets
    for dname, (i0, i1, j0, j1, step, _, use, pool) in DISTRICTS.items():
        names = iter(pool)
        k = 0
        for i in range(i0 + step, i1, step):
            tags = _district_street_tags(dname, k)
            pts = _vline(i, j0, j1) if not (k % 2 and "oneway" in tags) else _vline(i, j1, j0)
            b.way(pts, {**tags, "name": next(names, f"Aleea {dname} {k + 1}")})
            k += 1
        for j in range(j0 + step, j1, step):
            tags = _district_street_tags(dname, k)
            pts = _hline(j, i0, i1) if not (k % 2 and "oneway" in tags) else _hline(j, i1, i0)
            b.way(pts, {**tags, "name": next(names, f"Aleea {dname} {k + 1}")})
            k += 1
    return b


def _district_street_tags(district: str, k: int) -> dict[str, str]:
    if district == "Centrul Istoric":
        if k % 5 == 4:
            return {"highway": "living_street", "maxspeed": "20"}
        return {"highway": "residential", "oneway": "yes", "maxspeed": "30"}
    if district == "Zona Industrială":
        return {"highway": "unclassified", "maxspeed": "40"}
    if district == "Centrul Nou":
        return {"highway": "tertiary" if k % 3 == 0 else "residential"}
    return {"highway": "residential"}


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lat = LAT0 + y / _M_PER_DEG_LAT
    lon = LON0 + x / (_M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    return lon, lat


def demo_osm_xml() -> str:
    """The demo town as an OSM XML document (deterministic)."""
    b = _build()
    node_ids: dict[tuple[int, int], int] = {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="smartcity-twin demo (SYNTHETIC town)">']

    def node_for(p: tuple[int, int]) -> int:
        if p not in node_ids:
            node_ids[p] = 100_000 + (p[0] + 50) * 100 + (p[1] + 50)
        return node_ids[p]

    for pts, _ in b.ways:
        for p in pts:
            node_for(p)
    for p in sorted(node_ids):
        dx, dy = b.jitter.get(p, (0.0, 0.0))
        lon, lat = _lonlat(p[0] * UNIT + dx, p[1] * UNIT + dy)
        lines.append(f'<node id="{node_ids[p]}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    extra_id = 900_000

    def tagged_node(lon, lat, tags) -> None:
        nonlocal extra_id
        extra_id += 1
        lines.append(f'<node id="{extra_id}" lat="{lat:.7f}" lon="{lon:.7f}">' + _tags(tags) + "</node>")

    lon, lat = _lonlat(0, 100)
    tagged_node(lon, lat, {"place": "town", "name": NAME, "population": str(POPULATION),
                           "note": "synthetic demo town generated by SmartCity Twin"})
    for tags, name, i, j in POIS:
        lon, lat = _lonlat(i * UNIT + 35.0, j * UNIT + 30.0)
        tagged_node(lon, lat, {**tags, "name": name, "note": "synthetic"})
    way_id = 1_000
    for pts, tags in b.ways:
        way_id += 1
        refs = "".join(f'<nd ref="{node_ids[p]}"/>' for p in pts)
        lines.append(f'<way id="{way_id}">{refs}{_tags({**tags, "note": "synthetic"})}</way>')
    # district polygons and land use (closed ways), and the river
    for dname, (i0, i1, j0, j1, _, pop, use, _) in DISTRICTS.items():
        corners = [(i0, j0), (i1, j0), (i1, j1), (i0, j1)]
        refs = []
        for ci, cj in corners:
            lon, lat = _lonlat(ci * UNIT, cj * UNIT)
            extra_id += 1
            lines.append(f'<node id="{extra_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(extra_id)
        nds = "".join(f'<nd ref="{r}"/>' for r in refs + refs[:1])
        way_id += 1
        lines.append(f'<way id="{way_id}">{nds}' + _tags(
            {"place": "suburb", "name": dname, "population": str(pop), "note": "synthetic"}) + "</way>")
        way_id += 1
        lines.append(f'<way id="{way_id}">{nds}' + _tags(
            {"landuse": use, "name": dname, "note": "synthetic"}) + "</way>")
    river = []
    for i in range(-30, 34, 4):
        lon, lat = _lonlat(i * UNIT, -6 * UNIT + 25.0 * math.sin(i / 3.0))
        extra_id += 1
        lines.append(f'<node id="{extra_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
        river.append(extra_id)
    way_id += 1
    lines.append(f'<way id="{way_id}">' + "".join(f'<nd ref="{r}"/>' for r in river)
                 + _tags({"waterway": "river", "name": "Râul Verde", "note": "synthetic"}) + "</way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _tags(tags: dict[str, str]) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in tags.items())


def write_demo_osm(path: str | Path) -> Path:
    """Write the demo town to ``path`` (OSM XML) and return the path."""
    path = Path(path)
    path.write_text(demo_osm_xml(), encoding="utf-8")
    return path
