"""Plausibility of a run: does the simulated city behave like the figures it was built from?

Before a planner trusts a comparison, the baseline itself should look like a city. This module
reads a finished run (``events.parquet``, ``kpis.json``, ``manifest.json``) and sets what the
citizens did beside what the scenario says they should do:

* **modal split** — journeys by the mode actually taken (car, bus, walk);
* **trips per mode** — length (km) and duration (min) distributions of every leg, per mode;
* **walk legs** — lengths and durations against the scenario's walking limits
  (``daily.walk_max_m``: the longest journey a citizen chooses to walk, straight line;
  ``transit.max_walk_to_stop_m`` and its fallback: the walk to a bus stop), and the *long walks*
  the model reports when neither a car nor a line served a journey;
* **emergencies per 1,000 inhabitants a day**, against ``incidents.*_per_1000_per_day`` (the
  medical rate is weighted towards the elderly, so the realised rate is the stated one times the
  mean weight — the report states both);
* **report rate per 1,000 a day**, against the MyCluj figure (0.187, Cluj-Napoca 2017–2026) times
  ``demand.report_multiplier``;
* **population** — persona shares against ``population`` parameters (``PopulationParams``,
  Eurostat/INS sources cited there).

Each figure becomes a *check* ``{check, value, expected, source, verdict}`` where ``verdict`` is
``ok``, ``check`` (outside the expected range: look at it) or ``info`` (no reference to compare
with). A reference that is an assumption says so in ``source``. Rates over a window shorter than a
day scale its count to a day, which the daily cycle makes rough (the report says when).

Analytics reads run outputs only: it never imports the simulation, so the references are read
from the run's manifest (the parameters the run used) and cited here.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
from scipy import stats

MODES = ("car", "bus", "walk")
MYCLUJ_PER_1000_PER_DAY = 0.187
# persona shares of PopulationParams (agents/population.py, where each is sourced)
PERSONA_SOURCE = "PopulationParams.persona_shares (Eurostat, INS, ANPDPD; agents/population.py)"


def _log(run: Path) -> str:
    return (run / "events.parquet").as_posix()


def _poisson_range(expected: float, level: float = 0.95) -> tuple[float, float]:
    """Counts a Poisson process with mean ``expected`` gives with probability ``level``."""
    if expected <= 0:
        return 0.0, 0.0
    return float(stats.poisson.ppf((1 - level) / 2, expected)), float(stats.poisson.ppf((1 + level) / 2, expected))


def plausibility(run_dir: str | Path) -> dict:
    """The plausibility report of one run (see the module docstring).

    Parameters
    ----------
    run_dir
        A run directory (``manifest.json``, ``events.parquet``, ``kpis.json``); for a set of
        replications pass one of its ``rep-NN`` folders.

    Returns
    -------
    dict
        ``scenario``, ``city``, ``population``, ``hours``, ``modal_split``, ``trips`` (per mode),
        ``walk_legs``, ``checks`` (list, see the module docstring).

    Raises
    ------
    FileNotFoundError
        Naming the file, when the folder is not a finished run.
    """
    run = Path(run_dir)
    for f in ("manifest.json", "events.parquet", "kpis.json"):
        if not (run / f).exists():
            raise FileNotFoundError(f"{run}: no {f} — not a finished run directory")
    m = json.loads((run / "manifest.json").read_text())
    k = json.loads((run / "kpis.json").read_text())
    sc = m["scenario"]
    n = int(m.get("population") or k.get("population", {}).get("citizens") or 0)
    t_end = duckdb.sql(f"SELECT max(t) FROM read_parquet('{_log(run)}')").fetchall()[0][0] or 0.0
    hours = float(sc.get("hours") or t_end / 3600)
    days = hours / 24.0
    out = {"scenario": sc["name"], "city": m["city"]["name"], "population": n, "hours": hours,
           "start": sc.get("start"), "checks": []}
    checks = out["checks"]

    # ---- modal split ------------------------------------------------------------------------
    by_mode = (k.get("journeys") or {}).get("by_mode") or (k.get("daily") or {}).get("journeys_by_mode") or {}
    total = sum(by_mode.values())
    out["modal_split"] = {md: {"journeys": int(by_mode.get(md, 0)),
                               "share": round(by_mode.get(md, 0) / total, 4) if total else None} for md in MODES}
    daily = sc.get("daily") or {}
    pop_p = sc.get("citizens") or {}
    car_hh = (pop_p.get("households_with_car") if isinstance(pop_p, dict) else None) or 0.60
    if total:
        car = out["modal_split"]["car"]["share"]
        checks.append({"check": "car share of journeys", "value": car, "expected": [0.2, 0.6],
                       "source": "assumption: Romanian city modal splits put the car between 20 % and 60 % of "
                                 f"journeys (no observed Brașov split in the repository); households with a car "
                                 f"{car_hh}, car use {daily.get('car_use', 0.75)}",
                       "verdict": "ok" if 0.2 <= car <= 0.6 else "check"})
        if journeys := k.get("journeys"):
            checks.append({"check": "journeys on the bus", "value": out["modal_split"]["bus"]["share"],
                           "expected": None, "source": f"GTFS timetable {journeys.get('timetable') or 'none'}",
                           "verdict": "info"})

    # ---- trips per mode ---------------------------------------------------------------------
    rows = duckdb.sql(f"""
        SELECT payload->>'mode' AS mode, count(*),
               quantile_cont((payload->>'length_m')::DOUBLE, [0.1, 0.5, 0.9, 0.95]) ,
               max((payload->>'length_m')::DOUBLE),
               quantile_cont((payload->>'duration_s')::DOUBLE, [0.1, 0.5, 0.9, 0.95]),
               max((payload->>'duration_s')::DOUBLE), avg((payload->>'duration_s')::DOUBLE)
        FROM read_parquet('{_log(run)}') WHERE kind = 'trip_end' AND topic LIKE '%/mobility/citizen'
        GROUP BY 1 ORDER BY 1""").fetchall()
    trips = {}
    for mode, cnt, lq, lmax, dq, dmax, dmean in rows:
        trips[mode] = {"legs": cnt,
                       "length_km": {"p10": _r(lq[0] / 1000), "p50": _r(lq[1] / 1000), "p90": _r(lq[2] / 1000),
                                     "p95": _r(lq[3] / 1000), "max": _r(lmax / 1000)},
                       "duration_min": {"p10": _r(dq[0] / 60), "p50": _r(dq[1] / 60), "p90": _r(dq[2] / 60),
                                        "p95": _r(dq[3] / 60), "max": _r(dmax / 60), "mean": _r(dmean / 60)}}
    out["trips"] = trips

    # ---- walk legs ----------------------------------------------------------------------------
    transit = sc.get("transit") or {}
    walk_max = float(daily.get("walk_max_m", 1000.0))
    stop_max = float(transit.get("max_walk_to_stop_fallback_m", transit.get("max_walk_to_stop_m", 800.0)))
    limit = max(walk_max, stop_max)
    j = k.get("journeys") or {}
    w = trips.get("walk")
    # a street route is longer than the straight line; 1.5 × covers the usual detour. A leg with a
    # private end (``coarse``) is published with a stand-in length, routed from its home cell's
    # representative (twin.geoprivacy), which can be far longer or shorter than the leg walked: only
    # exact lengths are judged; the stand-ins over the bound are counted apart, for the record.
    over = duckdb.sql(f"""SELECT count(*) FILTER (WHERE (payload->>'length_m')::DOUBLE > {1.5 * limit}
                                                  AND NOT coalesce((payload->>'coarse')::BOOLEAN, false)),
                                 count(*),
                                 count(*) FILTER (WHERE (payload->>'length_m')::DOUBLE > {1.5 * limit}
                                                  AND coalesce((payload->>'coarse')::BOOLEAN, false))
                          FROM read_parquet('{_log(run)}') WHERE kind = 'trip_end' AND payload->>'mode' = 'walk'
                          AND topic LIKE '%/mobility/citizen'""").fetchall()[0]
    long_walks = int(j.get("long_walks", 0)) + int(j.get("no_departure_walked", 0))
    out["walk_legs"] = {"legs": over[1], "limit_walk_max_m": walk_max, "limit_walk_to_stop_m": stop_max,
                        "over_1_5x_limit": over[0], "over_1_5x_limit_stand_in": over[2],
                        "long_walks_reported": int(j.get("long_walks", 0)),
                        "no_departure_walked": int(j.get("no_departure_walked", 0)),
                        "long_walk_km_p50": j.get("long_walk_km_p50"), "long_walk_km_max": j.get("long_walk_km_max"),
                        "length_km": (w or {}).get("length_km"), "duration_min": (w or {}).get("duration_min")}
    if w:
        checks.append({"check": "walk legs over 1.5 × the walking limit, not reported as long walks",
                       "value": max(0, over[0] - long_walks), "expected": [0, 0],
                       "source": f"daily.walk_max_m {walk_max:g} m, transit walk to a stop ≤ {stop_max:g} m "
                                 "(straight line; 1.5 × for the street detour); exact lengths only: legs from or "
                                 "to a home are published as stand-ins",
                       "verdict": "ok" if over[0] <= long_walks else "check"})
        far = max(long_walks, over[0])
        checks.append({"check": "walk legs that are long walks (share)", "value": _r(far / max(over[1], 1)),
                       "expected": [0, 0.05], "source": "assumption: few citizens walk far when neither car nor bus "
                                                        "serves them",
                       "verdict": "ok" if far <= 0.05 * max(over[1], 1) else "check"})

    # ---- emergencies ---------------------------------------------------------------------------
    inc = sc.get("incidents") or {}
    created = (k.get("incidents") or {}).get("created") or {}
    personas = (k.get("population") or {}).get("personas") or {}
    elderly_w = float(inc.get("elderly_medical_factor", 3.0))
    ages = (sc.get("citizens") or {}).get("age_shares") if isinstance(sc.get("citizens"), dict) else None
    old = float((ages or {}).get("65+", 0.193))
    weight = 1 + (elderly_w - 1) * old                     # mean of the elderly weighting
    for kind, rate, wgt in (("medical", inc.get("medical_per_1000_per_day", 0.45), weight),
                            ("fire", inc.get("fire_per_1000_per_day", 0.008), 1.0),
                            ("gas_leak", inc.get("gas_leak_per_1000_per_day", 0.004), 1.0)):
        if n <= 0 or days <= 0:
            break
        got = int(created.get(kind, 0))
        exp = float(rate) * wgt * n / 1000 * days
        lo, hi = _poisson_range(exp)
        checks.append({"check": f"{kind} emergencies per 1,000 a day", "value": _r(got / n * 1000 / days),
                       "expected": [_r(lo / n * 1000 / days), _r(hi / n * 1000 / days)],
                       "source": f"incidents.{kind}_per_1000_per_day {rate}"
                                 + (f" × elderly weighting {wgt:.2f} (65+ share {old}, factor {elderly_w:g})"
                                    if kind == "medical" else "")
                                 + ("" if hours >= 24 else f"; a {hours:g} h window scaled to a day"),
                       "verdict": "ok" if lo <= got <= hi else "check"})
    out["emergencies_per_1000_per_day"] = _r(sum(int(created.get(x, 0)) for x in ("medical", "fire", "accident",
                                                                                  "gas_leak"))
                                             / max(n, 1) * 1000 / max(days, 1e-9))

    # ---- reports -------------------------------------------------------------------------------
    dem = sc.get("demand") or {}
    filed = int((k.get("demand") or {}).get("reports_filed", 0))
    base = dem.get("reports_per_1000_per_day") or MYCLUJ_PER_1000_PER_DAY
    rate = float(base) * float(dem.get("report_multiplier", 1.0))
    if n > 0 and days > 0:
        exp = rate * n / 1000 * days
        lo, hi = _poisson_range(exp)
        # problems are reported when seen: a short run reports only part of what appeared
        checks.append({"check": "reports filed per 1,000 a day", "value": _r(filed / n * 1000 / days),
                       "expected": [0.0, _r(hi / n * 1000 / days)],
                       "source": f"MyCluj {MYCLUJ_PER_1000_PER_DAY} per 1,000 a day (Cluj-Napoca 2017–2026, "
                                 f"shared/data/stats) × report_multiplier {dem.get('report_multiplier', 1.0)}; "
                                 "problems found late are reported after the run ends",
                       "verdict": "ok" if filed <= hi else "check"})
        out["report_rate_per_1000_per_day"] = _r(filed / n * 1000 / days)

    # ---- population ---------------------------------------------------------------------------
    shares = (sc.get("citizens") or {}).get("persona_shares") if isinstance(sc.get("citizens"), dict) else None
    if personas and shares:
        tot = sum(personas.values())
        worst = max(abs(personas.get(p, 0) / tot - s) for p, s in shares.items())
        checks.append({"check": "largest persona share gap", "value": _r(worst), "expected": [0, 3 / math.sqrt(tot)],
                       "source": PERSONA_SOURCE, "verdict": "ok" if worst <= 3 / math.sqrt(tot) else "check"})
    return out


def _r(x, nd: int = 3):
    return None if x is None else round(float(x), nd)


def to_text(rep: dict) -> str:
    """The report as aligned text (what ``twin analyze RUN --plausibility`` prints)."""
    lines = [f"Plausibility of {rep['scenario']!r} on {rep['city']}: {rep['population']:,} citizens, "
             f"{rep['hours']:g} h from {rep.get('start')}",
             "  modal split (journeys): " + ", ".join(
                 f"{md} {v['share'] * 100:.1f} % ({v['journeys']})" for md, v in rep["modal_split"].items()
                 if v["share"] is not None),
             f"  {'mode':6s} {'legs':>7s} {'km p50':>7s} {'km p95':>7s} {'km max':>7s} {'min p50':>8s} "
             f"{'min p95':>8s} {'min max':>8s}"]
    for md, t in rep["trips"].items():
        lk, dm = t["length_km"], t["duration_min"]
        lines.append(f"  {md:6s} {t['legs']:7d} {lk['p50']:7.2f} {lk['p95']:7.2f} {lk['max']:7.2f} {dm['p50']:8.1f} "
                     f"{dm['p95']:8.1f} {dm['max']:8.1f}")
    w = rep["walk_legs"]
    lines.append(f"  walk legs: {w['legs']}, limits {w['limit_walk_max_m']:g} m (journey walked by choice) and "
                 f"{w['limit_walk_to_stop_m']:g} m (to a stop); over 1.5 × the limit: {w['over_1_5x_limit']} "
                 f"(and {w['over_1_5x_limit_stand_in']} published stand-ins of legs from or to a home, not judged); "
                 f"long walks reported: {w['long_walks_reported']} (+ {w['no_departure_walked']} after the last bus)")
    lines.append(f"  {'check':66s} {'value':>8s}  {'expected':>16s}  verdict  source")
    for c in rep["checks"]:
        exp = "–" if c["expected"] is None else f"[{c['expected'][0]:g}, {c['expected'][1]:g}]"
        val = "–" if c["value"] is None else f"{c['value']:g}"
        lines.append(f"  {c['check']:66s} {val:>8s}  {exp:>16s}  {c['verdict']:7s}  {c['source']}")
    return "\n".join(lines)


def to_html(rep: dict) -> str:
    """The report as an HTML fragment (a section of the comparison report)."""
    import html

    e = html.escape
    trips = "".join(f"<tr><td>{e(md)}</td><td>{t['legs']}</td><td>{t['length_km']['p50']}</td>"
                    f"<td>{t['length_km']['p95']}</td><td>{t['duration_min']['p50']}</td><td>{t['duration_min']['p95']}"
                    f"</td><td>{t['duration_min']['max']}</td></tr>" for md, t in rep["trips"].items())
    split = ", ".join(f"{e(md)} {v['share'] * 100:.1f} %" for md, v in rep["modal_split"].items()
                      if v["share"] is not None)
    checks = "".join(
        f"<tr><td>{e(c['check'])}</td><td>{c['value']}</td><td>{'–' if c['expected'] is None else c['expected']}</td>"
        f"<td>{c['verdict']}</td><td>{e(c['source'])}</td></tr>" for c in rep["checks"])
    w = rep["walk_legs"]
    return (f"<p>{e(rep['scenario'])} on {e(rep['city'])}, {rep['population']:,} citizens, {rep['hours']:g} h. "
            f"Modal split of journeys: {split}.</p>"
            "<table border=1 cellpadding=4><tr><th>mode</th><th>legs</th><th>km p50</th><th>km p95</th>"
            "<th>min p50</th><th>min p95</th><th>min max</th></tr>" + trips + "</table>"
            f"<p>Walk legs: {w['legs']}; limits {w['limit_walk_max_m']:g} m (walked by choice) and "
            f"{w['limit_walk_to_stop_m']:g} m (to a stop); over 1.5 × the limit: {w['over_1_5x_limit']} "
            f"(and {w['over_1_5x_limit_stand_in']} published stand-ins of legs from or to a home, not judged); "
            "long walks "
            f"reported: {w['long_walks_reported']} (+ {w['no_departure_walked']} after the last bus).</p>"
            "<table border=1 cellpadding=4><tr><th>check</th><th>value</th><th>expected</th><th>verdict</th>"
            "<th>source</th></tr>" + checks + "</table>")
