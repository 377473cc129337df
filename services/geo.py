"""Where a request is: inside the city or not, which district, which street.

:class:`CityArea` answers the three questions the city hall asks of a location:

* :meth:`CityArea.contains` — is the point inside the city? (within the convex hull of its road
  network, grown by ``margin_m``, and no farther than ``max_road_m`` from a road);
* :meth:`CityArea.locate` — the district and the street name nearest to a point (reverse
  geocoding, for ``address`` in Open311 answers);
* :meth:`CityArea.geocode` — a point for an ``address_string`` such as ``"Str. Republicii 12"``:
  the street is matched ignoring case and diacritics, then fuzzily (rapidfuzz) so that typos
  still find it; the point is the middle of the street.
"""
from __future__ import annotations


import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree
from shapely import contains_xy, convex_hull, prepare
from shapely.geometry import MultiPoint

from twin.text import street_key

class CityArea:
    """Location questions about one :class:`twin.city.City` (see the module docstring)."""

    def __init__(self, city, margin_m: float = 300.0, max_road_m: float = 1000.0):
        self.city = city
        a = city.arrays
        x, y = a["node_x"], a["node_y"]
        hull = convex_hull(MultiPoint(np.column_stack([x, y]))).buffer(margin_m)
        prepare(hull)
        self._hull = hull
        self._tree = cKDTree(np.column_stack([x, y]))
        self.max_road_m = max_road_m
        # street per node: the name of a named edge leaving or entering it
        names = a["edge_name"]
        node_street = np.full(city.n_nodes, -1, np.int64)
        named = np.nonzero(names >= 0)[0]
        node_street[a["edge_v"][named]] = names[named]
        node_street[a["edge_u"][named]] = names[named]
        self._node_street = node_street
        self._keys: dict[str, str] = {}
        for n in city.street_names:
            self._keys.setdefault(street_key(n), n)
        self._key_list = list(self._keys)

    def contains(self, lon: float, lat: float) -> bool:
        """Whether (lon, lat) is inside the city (see the module docstring)."""
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return False
        x, y = self.city.project([lon], [lat])
        if not contains_xy(self._hull, x[0], y[0]):
            return False
        d, _ = self._tree.query([x[0], y[0]])
        return bool(d <= self.max_road_m)

    def place(self, lons, lats) -> tuple[np.ndarray, list, list]:
        """Vectorised :meth:`contains` and :meth:`locate`: ``(inside, districts, streets)``."""
        lons = np.asarray(lons, float)
        lats = np.asarray(lats, float)
        if len(lons) == 0:
            return np.zeros(0, bool), [], []
        x, y = self.city.project(lons, lats)
        finite = np.isfinite(x) & np.isfinite(y)
        x, y = np.where(finite, x, 0.0), np.where(finite, y, 0.0)
        inside = finite & contains_xy(self._hull, x, y)
        d, node = self._tree.query(np.column_stack([x, y]))
        inside &= d <= self.max_road_m
        nd = self.city.arrays.get("node_district")
        districts, streets = [], []
        for k in range(len(lons)):
            di = int(nd[node[k]]) if nd is not None else -1
            districts.append(self.city.districts[di].name if 0 <= di < len(self.city.districts) else None)
            si = int(self._node_street[node[k]])
            streets.append(self.city.edge_names[si] if si >= 0 else None)
        return inside, districts, streets

    def locate(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        """``(district name, street name)`` nearest to the point (None where unknown)."""
        x, y = self.city.project([lon], [lat])
        _, node = self._tree.query([x[0], y[0]])
        d = int(self.city.arrays["node_district"][node]) if "node_district" in self.city.arrays else -1
        district = self.city.districts[d].name if 0 <= d < len(self.city.districts) else None
        s = int(self._node_street[node])
        if s < 0:                                   # nearest named street among the next nodes
            _, near = self._tree.query([x[0], y[0]], k=min(16, self.city.n_nodes))
            for n in np.atleast_1d(near):
                if self._node_street[n] >= 0:
                    s = int(self._node_street[n])
                    break
        return district, (self.city.edge_names[s] if s >= 0 else None)

    def geocode(self, address: str, min_score: float = 85.0) -> tuple[float, float, str] | None:
        """``(lon, lat, street name)`` for an address string, or None if no street matches."""
        key = street_key(address)
        if not key:
            return None
        street = self._keys.get(key)
        if street is None and self._key_list:
            hit = process.extractOne(key, self._key_list, scorer=fuzz.ratio, score_cutoff=min_score)
            if hit is None:
                return None
            street = self._keys[hit[0]]
        if street is None:
            return None
        edges = self.city.streets[street]
        e = edges[len(edges) // 2: len(edges) // 2 + 1]
        lon, lat = self.city.edge_midpoints(e)
        return float(lon[0]), float(lat[0]), street
