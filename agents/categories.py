"""The one table from the real MyCluj report categories to the twin's service codes.

Cluj-Napoca's MyCluj platform files citizen reports under 16 Romanian categories
(``../shared/data/stats/cluj_mycluj_stats.json``). Each row here maps one of them to

* ``code`` — our Open311 ``service_code`` (the services issue builds its catalogue on it);
* ``en`` — the English name;
* ``chatbot`` — the chatbot's ``category`` slot value for it;
* ``where`` — where the problem is: ``street`` (on a road: found by people passing by),
  ``place`` (at an address: noise, construction, a homeless person), ``none`` (no location:
  taxes, social assistance; filed from home);
* ``failure`` — the infrastructure failure kind it is, for problems a sensor could also see.

Anything that needs the categories (agents, services, chatbot, analytics) imports this table.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Category:
    mycluj_id: int
    ro: str
    code: str
    en: str
    chatbot: str
    where: str
    failure: str | None = None


CATEGORIES: tuple[Category, ...] = (
    Category(16, "Parcări neregulamentare", "illegal_parking", "Illegal parking", "illegal_parking", "street"),
    Category(9, "Străzi/Alei/Trotuare/Poduri", "streets", "Streets, sidewalks and bridges", "pothole", "street", "pothole"),
    Category(8, "Spații verzi/Parcuri", "parks", "Green spaces and parks", "green_space", "street"),
    Category(13, "Altele", "other", "Other", "other", "place"),
    Category(7, "Salubritate", "sanitation", "Sanitation", "garbage", "street"),
    Category(11, "Semnalizare rutieră", "road_signs", "Road signs and markings", "road_sign", "street", "road_sign"),
    Category(4, "Iluminat public", "public_lighting", "Public lighting", "streetlight", "street", "streetlight"),
    Category(5, "Parcări/Parking-uri", "parking", "Parking lots", "other", "street"),
    Category(2, "Depozitări deşeuri", "waste_dumping", "Illegal waste dumping", "garbage", "street"),
    Category(3, "Construcții/lucrări neautorizate; organizare şantier", "illegal_construction",
             "Unauthorised construction or works", "illegal_construction", "place"),
    Category(15, "Transport public (CTP)", "public_transport", "Public transport", "public_transport", "street"),
    Category(14, "Rețele de apă/canalizare (CAS)", "water_sewer", "Water and sewer networks", "water_sewer",
             "street", "water_leak"),
    Category(12, "Tulburarea liniștii publice", "noise", "Disturbing the peace (noise)", "noise", "place"),
    Category(1, "Asistență socială", "social_assistance", "Social assistance", "other", "none"),
    Category(10, "Taxe și impozite", "taxes", "Local taxes", "other", "none"),
    Category(6, "Persoane fără adăpost sau care apelează la mila publicului", "homeless",
             "Homeless people or begging", "other", "place"),
)
BY_CODE = {c.code: c for c in CATEGORIES}
BY_RO = {c.ro: c for c in CATEGORIES}
CODES = tuple(c.code for c in CATEGORIES)


@dataclass(frozen=True)
class ReportStats:
    """Calibration read from the MyCluj statistics file."""

    shares: dict[str, float]            # service code -> share of reports
    per_1000_per_day: float
    total: int
    days: int


def load_mycluj(path: str | Path, population: int = 330_000) -> ReportStats:
    """Category shares and the daily rate per 1,000 inhabitants from the MyCluj file.

    ``population``: Cluj-Napoca's inhabitants as the data README gives them (the 2021 census
    counted 286,598 in the municipality, ≈ 330,000 with the students and commuters the
    platform also serves).
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    counts = {}
    for row in data["by_category"]:
        cat = BY_RO.get(row["name"])
        if cat is None:
            raise ValueError(f"MyCluj category {row['name']!r} is not in agents.categories.CATEGORIES")
        counts[cat.code] = counts.get(cat.code, 0) + int(row["tickets"])
    total = sum(counts.values())
    d0 = date.fromisoformat(data["date_range"]["first_ticket"])
    d1 = date.fromisoformat(data["date_range"]["latest_ticket"])
    days = (d1 - d0).days + 1
    return ReportStats(shares={c: counts.get(c, 0) / total for c in CODES},
                       per_1000_per_day=total / days / population * 1000, total=total, days=days)


# Built-in copy of the same figures (ticket counts per category, 2017-03-22 .. 2026-10-03), so
# that a run on a machine without the shared data still has the real mix. Tests check that it
# equals the file.
MYCLUJ_TICKETS = {"illegal_parking": 40625, "streets": 39894, "parks": 25750, "other": 19018,
                  "sanitation": 18128, "road_signs": 14339, "public_lighting": 13299, "parking": 13260,
                  "waste_dumping": 9583, "illegal_construction": 7715, "public_transport": 6454,
                  "water_sewer": 3157, "noise": 2180, "social_assistance": 816, "taxes": 780,
                  "homeless": 298}
MYCLUJ_DAYS = 3484
MYCLUJ_POPULATION = 330_000


def builtin_stats() -> ReportStats:
    total = sum(MYCLUJ_TICKETS.values())
    return ReportStats(shares={c: MYCLUJ_TICKETS[c] / total for c in CODES},
                       per_1000_per_day=total / MYCLUJ_DAYS / MYCLUJ_POPULATION * 1000,
                       total=total, days=MYCLUJ_DAYS)
