"""Free-flow speeds of Romanian streets, from OSM ``maxspeed`` or sensible defaults.

Legal limits (Codul rutier, OUG 195/2002, art. 49-50): 50 km/h inside localities unless signs say
otherwise (up to 80 km/h on some urban sections); outside: 90 km/h, 100 km/h on expressways and
European roads, 130 km/h on motorways. Inside a city, minor streets are driven well below the
limit, so the defaults for them are typical free-flow speeds rather than the legal maximum.
Every default is a parameter: pass your own table to :func:`edge_speed_kph`.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

#: km/h used when an edge has no usable ``maxspeed`` tag.
ROMANIAN_URBAN_DEFAULTS_KPH: dict[str, float] = {
    "motorway": 130.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 40.0,
    "unclassified": 40.0,
    "road": 40.0,
    "busway": 50.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
    "track": 20.0,
}
#: km/h for highway types that are not in the table (footways and the like carry no cars).
FALLBACK_KPH = 30.0

#: OSM road classes from the most to the least important: what a merged edge is (below).
HIGHWAY_RANK = ("motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
                "primary_link", "secondary_link", "tertiary_link", "busway", "unclassified", "road",
                "residential", "living_street", "service", "track", "pedestrian", "cycleway", "footway",
                "path", "steps", "bridleway", "corridor")
_RANK = {h: k for k, h in enumerate(HIGHWAY_RANK)}


def main_highway(highway) -> str:
    """The ``highway`` class of an edge; of a merged edge, its most important class.

    osmnx's simplification merges the ways of a chain of edges and keeps their differing values
    as a list built from a *set*, so the list's order changes with Python's string hashing
    (``PYTHONHASHSEED``) from one process to the next. Taking its first element made a city's
    speeds, road classes and therefore routes differ between two runs with the same seed; the
    most important class (then the name, for classes not in :data:`HIGHWAY_RANK`) does not.
    """
    if isinstance(highway, (list, tuple)):
        vals = [str(h) for h in highway if h not in (None, "")]
        return min(vals, key=lambda h: (_RANK.get(h, len(_RANK)), h)) if vals else "road"
    return str(highway)


#: implicit ``maxspeed`` values used in Romania (``RO:urban`` etc.), km/h.
IMPLICIT_KPH = {
    "ro:urban": 50.0,
    "ro:rural": 90.0,
    "ro:trunk": 100.0,
    "ro:motorway": 130.0,
    "ro:living_street": 20.0,
    "walk": 5.0,
    "none": 130.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def parse_maxspeed(value) -> float | None:
    """km/h of one OSM ``maxspeed`` value; None if it cannot be read.

    ``"50"``, ``"50 km/h"``, ``"30 mph"``, ``"RO:urban"``, ``"50;30"`` (the lowest) and lists
    (their mean, as osmnx does for merged edges) are understood.
    """
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        vals = [v for v in (parse_maxspeed(x) for x in value) if v is not None]
        return math.fsum(vals) / len(vals) if vals else None      # exact: the list's order varies
    s = str(value).strip().lower()
    if ";" in s or "|" in s:
        vals = [v for v in (parse_maxspeed(x) for x in re.split(r"[;|]", s)) if v is not None]
        return min(vals) if vals else None
    if s in IMPLICIT_KPH:
        return IMPLICIT_KPH[s]
    m = _NUMBER.match(s)
    if not m:
        return None
    kph = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
    return kph if kph > 0 else None


def edge_speed_kph(highway, maxspeed, defaults: Mapping[str, float] | None = None) -> float:
    """Free-flow speed of an edge in km/h.

    Parameters
    ----------
    highway
        The edge's ``highway`` value (a list after osmnx simplification: its most important
        class, :func:`main_highway`).
    maxspeed
        The edge's ``maxspeed`` value or None.
    defaults
        km/h per highway type; :data:`ROMANIAN_URBAN_DEFAULTS_KPH` if None.
    """
    kph = parse_maxspeed(maxspeed)
    if kph is not None:
        return kph
    table = ROMANIAN_URBAN_DEFAULTS_KPH if defaults is None else defaults
    return float(table.get(main_highway(highway), FALLBACK_KPH))
