"""The city model: demo town, real files, formats, caching, lookups, errors."""
from __future__ import annotations

import os

import numpy as np
import osmium
import pytest

from twin import demo, osm
from twin.city import load_city
from twin.errors import TwinError
from twin.speeds import edge_speed_kph, main_highway, parse_maxspeed


def test_demo_xml_is_deterministic_and_labelled_synthetic():
    a, b = demo.demo_osm_xml(), demo.demo_osm_xml()
    assert a == b
    assert "SYNTHETIC" in a and 'v="synthetic"' in a


def test_demo_town_has_what_the_design_asks_for(demo_city):
    c = demo_city
    assert c.synthetic and "synthetic" in c.name.lower()
    assert c.population == demo.POPULATION
    counts = c.poi_counts()
    for kind in ("townhall", "hospital", "ambulance_station", "fire_station", "police", "school"):
        assert counts.get(kind, 0) >= 1, kind
    assert {d.name for d in c.districts} == set(demo.DISTRICTS)
    assert all(d.polygon is not None for d in c.districts)
    assert (c.node_district >= 0).all()
    names = c.street_names
    assert "Bulevardul Republicii" in names and "Piața Sfatului" in names
    assert sum(n.startswith("Strada ") for n in names) > 50
    # four two-way bridges over the river, one-way streets in the old town, a road hierarchy
    assert c.edge_bridge.sum() == 8
    assert c.edge_oneway.sum() > 20
    assert {"primary", "trunk", "residential", "living_street"} <= set(c.highway_types)


def test_demo_is_strongly_connected_by_car(demo_city):
    assert len(demo_city.core_nodes("drive")) == demo_city.n_nodes


def test_bridges_are_the_only_links_across_the_river(demo_city):
    c = demo_city
    south = np.nonzero(c.node_lat < demo.LAT0 - 600 / 111_320)[0]
    north = np.nonzero(c.node_lat > demo.LAT0 - 600 / 111_320)[0]
    closed = c.router("time", "drive", closed_edges=np.nonzero(c.edge_bridge)[0])
    assert (closed.distances(north[:20], south[:20]) == -1).all()
    assert (c.router("time", "drive").distances(north[:20], south[:20]) > 0).all()


def test_arrays_are_consistent_with_the_osmnx_graph(demo_city):
    c = demo_city
    G = c.graph
    assert len(G) == c.n_nodes and G.number_of_edges() == c.n_edges
    assert np.all(np.diff(c.node_osmid) > 0)
    assert c.indptr[-1] == c.n_edges and np.all(np.diff(c.edge_u) >= 0)
    for u, v, k, d in list(G.edges(keys=True, data=True))[:300]:
        e = d["twin_edge"]
        assert c.node_osmid[c.edge_u[e]] == u and c.node_osmid[c.edge_v[e]] == v
        assert d["length_mm"] == c.edge_length_mm[e] == round(d["length"] * 1000)
        assert d["time_ms"] == c.edge_time_ms[e] > 0 or d["length_mm"] == 0


def test_free_flow_times_follow_maxspeed_and_defaults(demo_city):
    c = demo_city
    e = c.streets["Șoseaua de Centură"][0]
    assert c.edge_speed_kph[e] == 70
    assert c.edge_time_ms[e] == round(c.edge_length_mm[e] / (70 / 3.6))
    assert parse_maxspeed("50") == 50 and parse_maxspeed("RO:urban") == 50
    assert parse_maxspeed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed("50;30") == 30 and parse_maxspeed(["50", "70"]) == 60
    assert parse_maxspeed("signals") is None and parse_maxspeed("0") is None
    assert edge_speed_kph("residential", None) == 30
    assert edge_speed_kph(["primary", "secondary"], None) == 50
    assert edge_speed_kph("residential", None, {"residential": 25}) == 25


def test_second_load_comes_from_cache_and_is_identical(demo_city):
    again = load_city("demo")
    assert again.cache_dir is not None and again.cache_dir == demo_city.cache_dir
    assert again.content_hash == demo_city.content_hash
    for k, v in demo_city.arrays.items():
        assert np.array_equal(again.arrays[k], v), k
    assert [p.name for p in again.pois] == [p.name for p in demo_city.pois]


def test_two_loads_of_an_uncached_city_at_once_parse_it_once(tmp_path, monkeypatch, demo_city):
    """Two processes (or threads) loading the same new city: the second waits for the first one's
    cache entry instead of parsing it again and replacing the entry under its feet."""
    import threading
    import time

    from twin import city as city_mod

    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    builds, real_build = [], city_mod._build

    def slow_build(*args, **kwargs):
        builds.append(threading.get_ident())
        time.sleep(0.5)                          # wide open window for the other loader
        return real_build(*args, **kwargs)

    monkeypatch.setattr(city_mod, "_build", slow_build)
    got = [None, None]

    def load(i):
        got[i] = load_city("demo")

    threads = [threading.Thread(target=load, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(builds) == 1
    assert got[0].content_hash == got[1].content_hash == demo_city.content_hash
    assert got[0].cache_dir == got[1].cache_dir and (got[0].cache_dir / "meta.json").exists()


def test_a_city_is_the_same_in_every_process_whatever_the_string_hashing():
    """osmnx keeps a merged edge's differing tags as a list made from a set, whose order follows
    PYTHONHASHSEED; the city (road classes, names, speeds) must not. It did: the demo town's
    content hash differed from one process to the next, and so could routes on a real city."""
    import subprocess
    import sys

    code = ("import hashlib; from twin.city import load_city; c = load_city('demo', cache=False); "
            "print(c.content_hash, hashlib.sha256(c.arrays['edge_time_ms'].tobytes()).hexdigest()[:12], "
            "c.highway_types)")
    got = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(got) == 1, got


def test_a_merged_edge_takes_its_most_important_class_and_the_mean_of_its_speed_limits():
    assert main_highway(["residential", "tertiary"]) == main_highway(["tertiary", "residential"]) == "tertiary"
    assert main_highway(["footway", "weird_class"]) == "footway" and main_highway(["b_x", "a_x"]) == "a_x"
    assert edge_speed_kph(["residential", "primary"], None) == 50.0
    assert parse_maxspeed(["30", "50", "RO:urban"]) == parse_maxspeed(["RO:urban", "50", "30"]) == 130 / 3


def test_content_hash_ignores_file_format(tmp_path, demo_city):
    """The same town as .osm, .osm.bz2 and .osm.pbf is the same city."""
    xml = demo.write_demo_osm(tmp_path / "vv.osm")
    import bz2

    (tmp_path / "vv.osm.bz2").write_bytes(bz2.compress(xml.read_bytes()))
    with osmium.SimpleWriter(str(tmp_path / "vv.osm.pbf")) as w:
        for obj in osmium.FileProcessor(str(xml)):
            w.add(obj)
    hashes = {load_city(tmp_path / f"vv{s}").content_hash for s in (".osm", ".osm.bz2", ".osm.pbf")}
    assert hashes == {demo_city.content_hash}


def test_graphml_source(tmp_path, demo_city):
    import osmnx as ox

    path = tmp_path / "vv.graphml"
    ox.save_graphml(demo_city.graph, path)
    c = load_city(path)
    assert (c.n_nodes, c.n_edges) == (demo_city.n_nodes, demo_city.n_edges)
    assert np.array_equal(c.edge_length_mm, demo_city.edge_length_mm)


def test_nearest_node_matches_brute_force(demo_city):
    c = demo_city
    rng = np.random.default_rng(5)
    w, s, e, n = c.bbox
    lon, lat = rng.uniform(w, e, 50), rng.uniform(s, n, 50)
    got = c.nearest_nodes(lon, lat)
    x, y = c.project(lon, lat)
    brute = np.argmin((c.node_x[None, :] - x[:, None]) ** 2 + (c.node_y[None, :] - y[:, None]) ** 2, axis=1)
    assert np.array_equal(got, brute)
    for p in c.pois:
        assert p.node == c.nearest_node(p.lon, p.lat)


def test_street_and_way_lookups(demo_city):
    c = demo_city
    edges = c.edges_named("bulevardul republicii")   # case and diacritics do not matter
    assert len(edges) > 10 and all(c.edge_names[c.edge_name[e]] == "Bulevardul Republicii" for e in edges)
    way = int(c.edge_way_ids[c.edge_way_ptr[edges[0]]])
    assert edges[0] in c.edges_of_way(way)
    with pytest.raises(TwinError, match="Strada Inexistentă"):
        c.edges_named("Strada Inexistentă")
    with pytest.raises(TwinError, match="123456789"):
        c.edges_of_way(123456789)


def test_street_names_are_real_streets_and_edge_names_every_named_way(demo_city):
    """Brașov's extract names bus bays and platforms (service roads and footways) and cycle paths
    like streets; the chatbot and geocoding match addresses against ``street_names``, so those are
    left out there, while ``edge_names`` (indexed by ``edge_name``) keeps every way's name."""
    import dataclasses

    from twin.text import is_street_name

    odd = ["Stația RAT Saturn - Peron 2", "Stație RAT Triaj - Peron 1", "Peron linia 2-3",
           "Pistă de biciclete - Bd. Iuliu Maniu", "Parcare Kaufland"]
    real = ["Strada Sforii", "Aleea Cavalerilor", "Bulevardul 15 Noiembrie", "Calea București", "Piața Sfatului",
            "Strada Stației", "Drumul Poienii"]
    assert not any(is_street_name(n) for n in odd) and all(is_street_name(n) for n in real)
    c = dataclasses.replace(demo_city, edge_names=sorted(demo_city.edge_names + odd + real))
    assert set(real) <= set(c.street_names) and not set(odd) & set(c.street_names)
    assert set(c.street_names) | set(odd) == set(c.edge_names)
    assert set(demo_city.street_names) == set(demo_city.edge_names)      # the demo town names only streets


def test_network_filters_follow_osmnx():
    assert osm.passes({"highway": "residential"}, "drive")
    assert not osm.passes({"highway": "footway"}, "drive")
    assert not osm.passes({"highway": "residential", "access": "private"}, "drive")
    assert not osm.passes({"highway": "service", "service": "parking_aisle"}, "drive_service")
    assert osm.way_modes({"highway": "service"}) == osm.WALK | osm.DRIVE
    assert osm.way_modes({"highway": "footway"}) == osm.WALK
    assert osm.way_modes({"highway": "motorway"}) == osm.DRIVE
    assert osm.way_modes({"building": "yes"}) == 0


@pytest.mark.parametrize("source, message", [
    ("no/such/file.osm.bz2", "city file not found: no/such/file.osm.bz2"),
    ("missing.osm.pbf", "city file not found: missing.osm.pbf"),
])
def test_bad_sources_give_clear_errors(source, message):
    with pytest.raises(TwinError, match=message.replace(".", r"\.")):
        load_city(source)


def test_bad_files_and_options(tmp_path):
    with pytest.raises(TwinError, match="is a directory"):
        load_city(tmp_path)
    bad = tmp_path / "broken.osm"
    bad.write_text("this is not xml")
    with pytest.raises(TwinError, match="broken.osm"):
        load_city(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(TwinError, match="no 'all' roads"):
        load_city(empty)
    with pytest.raises(TwinError, match="network='bike'"):
        load_city("demo", network="bike")
    with pytest.raises(TwinError, match="pois file not found"):
        load_city("demo", pois=tmp_path / "nope.geojson")


@pytest.mark.brasov
def test_brasov_drive_graph(brasov):
    # the shared data README: 7,084 nodes / 15,911 edges after osmnx simplify (largest component);
    # 7,217 / 16,142 since a change of street name or of the modes allowed ends an edge
    assert (brasov.n_nodes, brasov.n_edges) == (7217, 16142)
    assert brasov.name == "Brașov" and brasov.population == 253_200
    assert len(brasov.pois) == 351 and brasov.poi_counts()["fire_station"] == 3
    names = {d.name for d in brasov.districts}
    assert {"Astra", "Tractorul", "Centrul Nou", "Noua-Dârste"} <= names
    assert "Strada Mihai Viteazul" in brasov.street_names
    assert (brasov.node_district >= 0).all()
    again = load_city(brasov.source)
    assert again.cache_dir is not None and again.content_hash == brasov.content_hash


# A square and its streets as OSM maps them (Brașov's centre in miniature): the road along the
# square is a tertiary way of 100 m between two longer streets, with no junction at either end;
# beside it a pedestrian square (area=yes), pedestrian streets (one with motor_vehicle=yes), a road
# closed to motor vehicles and a street that runs on into a footway.
_NODES = {1: (25.5900, 45.6400), 2: (25.5930, 45.6400), 3: (25.5943, 45.6400), 4: (25.5980, 45.6400),
          5: (25.5943, 45.6410), 6: (25.5900, 45.6410), 7: (25.6010, 45.6400), 8: (25.6040, 45.6400),
          9: (25.5960, 45.6410), 30: (25.5930, 45.6395), 31: (25.5940, 45.6395), 32: (25.5940, 45.6398)}
_WAYS = {
    10: ([1, 2], {"highway": "tertiary", "name": "Strada Mureșenilor"}),
    11: ([2, 3], {"highway": "tertiary", "name": "Piața Sfatului", "foot": "no"}),
    12: ([3, 4], {"highway": "tertiary", "name": "Strada George Barițiu"}),
    20: ([2, 30, 31, 32, 2], {"highway": "pedestrian", "area": "yes", "name": "Piața Mică"}),
    21: ([3, 5, 6], {"highway": "pedestrian", "name": "Strada Republicii"}),
    22: ([6, 1], {"highway": "residential", "name": "Strada Castelului"}),
    23: ([5, 9], {"highway": "pedestrian", "motor_vehicle": "yes", "name": "Strada Hans Benkner"}),
    24: ([9, 4], {"highway": "residential", "motor_vehicle": "no", "name": "Strada Închisă"}),
    25: ([4, 7], {"highway": "residential", "name": "Strada Lungă"}),
    26: ([7, 8], {"highway": "footway"}),
}


def _write_osm(path):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{n}" version="1" lat="{lat}" lon="{lon}"/>' for n, (lon, lat) in _NODES.items()]
    for w, (refs, tags) in _WAYS.items():
        lines.append(f'<way id="{w}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs] + [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    path.write_text("\n".join(lines + ["</osm>"]), encoding="utf-8")
    return path


def test_pedestrian_streets_and_squares_carry_no_cars_and_each_street_keeps_its_own_edges(tmp_path):
    c = load_city(_write_osm(tmp_path / "square.osm"))
    a = c.arrays
    drive = (a["edge_modes"] & osm.DRIVE) > 0
    walk = (a["edge_modes"] & osm.WALK) > 0
    of_way = {w: c.edges_of_way(w) for w in _WAYS if w != 20}
    assert not any(20 in a["edge_way_ids"][a["edge_way_ptr"][e]:a["edge_way_ptr"][e + 1]]
                   for e in range(c.n_edges))                           # the square is no road at all
    for w in (21, 23, 24, 26):                                          # pedestrian, motor_vehicle=no, footway
        assert len(of_way[w]) and not drive[of_way[w]].any(), w
    assert not drive[[e for e in range(c.n_edges) if c.highway_types[a["edge_highway"][e]] == "pedestrian"]].any()
    # the road along the square is its own 100 m, both ways: neither street beside it is named after it
    sq = c.edges_named("Piața Sfatului")
    assert len(sq) == 2 and np.allclose(a["edge_length_mm"][sq] / 1000, 101, atol=2) and drive[sq].all()
    assert not walk[sq].any()                                           # foot=no: the square's own road only
    for name, metres in (("Strada Mureșenilor", 234), ("Strada George Barițiu", 289)):
        e = c.edges_named(name)
        assert len(e) == 2 and np.allclose(a["edge_length_mm"][e] / 1000, metres, atol=3), name
        assert drive[e].all() and walk[e].all(), name
    # a street running on into a footway keeps its cars (the footway its pedestrians)
    assert drive[of_way[25]].all() and walk[of_way[26]].all()
