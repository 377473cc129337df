"""SenML (RFC 8428): the telemetry format of every device.

A SenML **pack** is a JSON array of **records**. The first record usually carries the base
fields: ``bn`` (base name — here ``urn:dev:twin:<device id>:``), ``bt`` (base time, seconds
since the Unix epoch). Each record names a measurement (``n``), its unit (``u``, from the SenML
units registry) and one value: ``v`` (number), ``vs`` (string), ``vb`` (boolean) or ``vd``
(data); ``t`` is a time relative to ``bt``. The resolved name of a record is ``bn + n`` and its
time ``bt + t`` (RFC 8428 §4.5).

::

    [{"bn": "urn:dev:twin:aq-0007:", "bt": 1772445600.0, "n": "pm25", "u": "kg/m3", "v": 1.84e-08},
     {"n": "pm10", "u": "kg/m3", "v": 3.1e-08},
     {"n": "no2", "u": "kg/m3", "v": 2.27e-08}]

:func:`pack` builds one; :func:`validate` checks a decoded pack against RFC 8428 (field names
and types, exactly one value, known units, a name after resolution that uses only the allowed
characters) and raises :class:`SenMLError` naming the record and the field; :func:`resolve`
returns the resolved records.
"""
from __future__ import annotations

import json
import math
import re

# The SenML units registry: RFC 8428 §12.1 and the units RFC 8798 added (B … deg). Devices use
# SI units unscaled, as the registry recommends: particulate matter in kg/m3 (18 µg/m³ is
# 1.8e-08 kg/m3), noise in Bspl (bels of sound pressure level: 65 dB is 6.5 Bspl), pressure in Pa.
UNITS = frozenset("""
m kg g s A K cd mol Hz rad sr N Pa J W C V F Ohm S Wb T H Cel lm lx Bq Gy Sv kat m2 m3 l m/s m/s2 m3/s l/s
W/m2 cd/m2 bit bit/s lat lon pH dB dBW Bspl count / % %RH %EL EL 1/s 1/min beat/min beats S/m
B VA VAs var vars J/m kg/m3 deg
""".split())
BASE_FIELDS = {"bn": str, "bt": (int, float), "bu": str, "bv": (int, float), "bs": (int, float), "bver": int}
REGULAR_FIELDS = {"n": str, "u": str, "v": (int, float), "vs": str, "vb": bool, "vd": str, "s": (int, float),
                  "t": (int, float), "ut": (int, float)}
VALUE_FIELDS = ("v", "vs", "vb", "vd", "s")
NAME_RE = re.compile(r"^[A-Za-z0-9][-:./_A-Za-z0-9]*$")
URN_PREFIX = "urn:dev:twin:"


class SenMLError(ValueError):
    """A pack that is not valid SenML; the message names the record and the field."""


def base_name(device_id: str) -> str:
    """The SenML base name of a device (a pseudonymous id, never a person)."""
    return f"{URN_PREFIX}{device_id}:"


def pack(device_id: str, t_unix: float, readings: list[tuple]) -> list[dict]:
    """A pack for one device at one time: ``readings`` is a list of ``(name, unit, value)``
    (``unit`` may be None); the value's type picks ``v``, ``vs`` or ``vb``."""
    out = []
    for k, (name, unit, value) in enumerate(readings):
        rec: dict = {"bn": base_name(device_id), "bt": round(float(t_unix), 6)} if k == 0 else {}
        rec["n"] = name
        if unit is not None:
            rec["u"] = unit
        if isinstance(value, bool):
            rec["vb"] = value
        elif isinstance(value, str):
            rec["vs"] = value
        else:
            rec["v"] = float(f"{float(value):.6g}")
        out.append(rec)
    return out


def dumps(p: list[dict]) -> bytes:
    """Compact UTF-8 JSON of a pack."""
    return json.dumps(p, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def validate(p) -> None:
    """Raise :class:`SenMLError` unless ``p`` (decoded JSON) is a valid SenML pack."""
    if not isinstance(p, list) or not p:
        raise SenMLError(f"a SenML pack is a non-empty JSON array, got {type(p).__name__}")
    bn = ""
    for i, rec in enumerate(p):
        if not isinstance(rec, dict):
            raise SenMLError(f"record {i}: must be a JSON object, got {type(rec).__name__}")
        for k, v in rec.items():
            typ = BASE_FIELDS.get(k) or REGULAR_FIELDS.get(k)
            if typ is None:
                if k.endswith("_"):
                    raise SenMLError(f"record {i}: field {k!r} is a must-understand extension this reader lacks")
                continue                                         # unknown fields are ignored (RFC 8428 §4.4)
            if isinstance(v, bool) and typ is not bool:
                raise SenMLError(f"record {i}: field {k!r} must be {_tname(typ)}, got a boolean")
            if not isinstance(v, typ):
                raise SenMLError(f"record {i}: field {k!r} must be {_tname(typ)}, got {v!r}")
            if isinstance(v, float) and not math.isfinite(v):
                raise SenMLError(f"record {i}: field {k!r} must be finite, got {v!r}")
        if "bn" in rec:
            bn = rec["bn"]
        values = [k for k in VALUE_FIELDS if k in rec]
        if len(values) > 1 or (not values and "s" not in rec and "n" in rec and "v" not in rec
                               and not any(k in rec for k in BASE_FIELDS)):
            raise SenMLError(f"record {i}: must carry exactly one value (v, vs, vb or vd), has {values or 'none'}")
        name = bn + rec.get("n", "")
        if not name or not NAME_RE.match(name):
            raise SenMLError(f"record {i}: resolved name {name!r} is empty or uses characters SenML forbids")
        if "u" in rec and rec["u"] not in UNITS:
            raise SenMLError(f"record {i}: unit {rec['u']!r} is not in the SenML units registry")


def resolve(p: list[dict]) -> list[dict]:
    """Resolved records: ``{"n": full name, "t": absolute time, "u", one value}`` (RFC 8428 §4.6)."""
    validate(p)
    out = []
    bn, bt, bu = "", 0.0, None
    for rec in p:
        bn = rec.get("bn", bn)
        bt = rec.get("bt", bt)
        bu = rec.get("bu", bu)
        r = {"n": bn + rec.get("n", ""), "t": bt + rec.get("t", 0.0)}
        u = rec.get("u", bu)
        if u is not None:
            r["u"] = u
        for k in VALUE_FIELDS:
            if k in rec:
                r[k] = rec[k]
        out.append(r)
    return out


def _tname(typ) -> str:
    if typ is str:
        return "a string"
    if typ is bool:
        return "a boolean"
    if typ is int:
        return "an integer"
    return "a number"
