"""Open-data export: aggregated, anonymised tables of a run, as CSV and Parquet.

:func:`export` writes, per run:

* ``requests_by_district_category_day`` — requests received and closed, median resolution time;
* ``emergencies_by_district_kind_day`` — emergencies and median response time;
* ``payments_by_tax_day`` — payments and amounts.

**k-anonymity**: every cell carries the number of *distinct citizens* behind it, and a cell with
fewer than ``k`` (10 by default) is suppressed — its figures are removed and ``suppressed`` is
true — so no published number describes fewer than ``k`` people. Citizens appear only as counts;
no pseudonym leaves the run. Every file credits © OpenStreetMap contributors (the districts and
places come from OSM).
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb

ATTRIBUTION = "© OpenStreetMap contributors (ODbL); SmartCity Twin simulated data"

QUERIES = {
    "requests_by_district_category_day": """
        SELECT coalesce(payload->>'district', 'unknown') AS district, payload->>'service_code' AS category,
               CAST(floor(t / 86400) AS INTEGER) AS day,
               count(*) FILTER (WHERE kind = 'request_received') AS received,
               count(*) FILTER (WHERE kind = 'request_closed') AS closed,
               median((payload->>'resolution_h')::DOUBLE) FILTER (WHERE kind = 'request_closed') AS median_resolution_h,
               count(DISTINCT entity) AS citizens
        FROM ev WHERE kind IN ('request_received', 'request_closed') AND entity LIKE 'citizen:%'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    "emergencies_by_district_kind_day": """
        SELECT coalesce(payload->>'district', 'unknown') AS district, payload->>'incident_kind' AS kind,
               CAST(floor(t / 86400) AS INTEGER) AS day, count(*) AS emergencies,
               median((payload->>'response_s')::DOUBLE) / 60 AS median_response_min,
               count(DISTINCT ref) AS citizens
        FROM ev WHERE kind = 'on_scene' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    "payments_by_tax_day": """
        SELECT payload->>'tax_type' AS tax_type, CAST(floor(t / 86400) AS INTEGER) AS day, count(*) AS payments,
               sum((payload->>'amount_bani')::BIGINT) / 100.0 AS amount_ron, count(*) AS citizens
        FROM ev WHERE kind = 'tax_payment' GROUP BY 1, 2 ORDER BY 1, 2""",
    # a payment event names no payer (privacy by design), so each payment counts as one payer: a
    # household pays a given tax at most once a day
}
MEASURES = {"requests_by_district_category_day": ("received", "closed", "median_resolution_h"),
            "emergencies_by_district_kind_day": ("emergencies", "median_response_min"),
            "payments_by_tax_day": ("payments", "amount_ron")}


def export(run_dir: str | Path, out_dir: str | Path, k: int = 10) -> dict:
    """Write the tables (CSV and Parquet) with cells under ``k`` citizens suppressed; returns
    ``{table: {"rows", "suppressed", "csv", "parquet"}}``."""
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    run = Path(run_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE ev AS SELECT * FROM read_parquet('{(run / 'events.parquet').as_posix()}') "
                "WHERE kind NOT IN ('trip_start', 'trip_end', 'bus_board')")
    report = {}
    for name, sql in QUERIES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE t AS {sql}")
        sets = ", ".join(f"{m} = NULL" for m in MEASURES[name])
        con.execute("ALTER TABLE t ADD COLUMN suppressed BOOLEAN DEFAULT false")
        con.execute(f"UPDATE t SET {sets}, suppressed = true WHERE citizens < {int(k)}")
        con.execute("ALTER TABLE t DROP COLUMN citizens")
        con.execute(f"ALTER TABLE t ADD COLUMN attribution VARCHAR DEFAULT '{ATTRIBUTION}'")
        csv, pq = out / f"{name}.csv", out / f"{name}.parquet"
        con.execute(f"COPY t TO '{csv.as_posix()}' (HEADER, DELIMITER ',')")
        con.execute(f"COPY t TO '{pq.as_posix()}' (FORMAT PARQUET)")
        rows, supp = con.execute("SELECT count(*), count(*) FILTER (WHERE suppressed) FROM t").fetchone()
        report[name] = {"rows": rows, "suppressed": supp, "csv": str(csv), "parquet": str(pq)}
    (out / "README.json").write_text(json.dumps({"k": k, "attribution": ATTRIBUTION, "tables": report}, indent=1),
                                     encoding="utf-8")
    return report
