"""``twin study``: one scenario against its baseline, paired, checked and reported in one command.

A planner's question is "what does this intervention change?". :func:`run_study` answers it the
only honest way the twin knows:

1. :func:`plan_study` builds both sides from the library: the scenario and the baseline it names
   (``baseline:``), sharing one **setting** — city, citizens, hours, start, tick, GTFS, seeds —
   taken from the scenario and the command line (a field the scenario declares it ``changes``,
   such as ``tax_deadline_rush``'s ``start``, stays the baseline's own), and the same **study
   settings** (:mod:`scenarios.study`: the scenario's ``study:`` list plus ``--study``) and
   ``--set`` values. So B − A is the intervention and nothing else.
2. Both sides run the same replications with the same seeds (common random numbers), one after
   the other, or as Dask tasks (:func:`twin_app.sweep.run_on_dask`) when ``workers`` or a
   ``scheduler`` is given.
3. :func:`compare_runs` compares them: the KPI table of
   :func:`services.analytics.compare.compare` (per KPI ``a``, ``b``, ``diff``, ``diff_ci95``,
   ``significant``; ``by_district``), the parameter ``diff`` and the ``confounded`` list of
   :func:`scenarios.guard.check`, the minimum detectable difference of every KPI
   (:func:`services.analytics.power.mdd`), trip times by mode (``trips``) and, for runs in
   ``traffic: queue`` mode, the road's figures (``traffic``: vehicle-hours, delay, peak-hour
   speed, and the streets whose lost vehicle-hours changed most).

The study folder holds ``<baseline>/`` and ``<scenario>/`` (replication sets),
``compare.json`` (the result) and ``report.html``. Finished replications are reused when they
are exactly the side asked for, made by the same code (:func:`already_run`); a study never
overwrites another study's results or finished replications it cannot reuse unless told to
(``overwrite``, ``twin study --force``).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from scenarios import load_scenario
from scenarios.guard import check
from scenarios.schema import SETTING_FIELDS, Scenario, ScenarioError
from services.analytics.compare import ci95, compare, kpis_of, report_html, run_dirs
from services.analytics.power import mdd, replications_needed
from twin.errors import TwinError

#: trip-time KPIs read from each run's kpis.json (mobility by mode), compared like the others;
#: the ``line`` ones are of the line a scenario boosts (``transit.boost_line``), read on both
#: sides from ``journeys.transit`` (boardings of that line; planned door-to-door minutes of the
#: bus journeys riding it)
TRIP_KPIS = {"car_trip_min_mean": ("car", "mean_min"), "car_trip_min_p95": ("car", "p95_min"),
             "walk_trip_min_mean": ("walk", "mean_min"), "bus_trip_min_mean": ("bus", "mean_min"),
             "boost_line_boardings": ("line", "ridership_by_line"),
             "boost_line_journey_min": ("line", "journey_min_by_line")}
TRIP_LABELS = {"car_trip_min_mean": "Car trip time, mean", "car_trip_min_p95": "Car trip time, 95th percentile",
               "walk_trip_min_mean": "Walk trip time, mean", "bus_trip_min_mean": "Bus journey time, mean",
               "boost_line_boardings": "Boardings of the boosted line",
               "boost_line_journey_min": "Journey time of its riders, mean"}
TRIP_UNITS = {"boost_line_boardings": "boardings"}
#: traffic KPIs read from each run's kpis.json (``traffic``, queue mode only): name → (path in
#: ``kpis.traffic``, label, unit)
TRAFFIC_KPIS = {
    "traffic_vehicle_km": (("vehicle_km",), "Vehicle-km driven", "veh·km"),
    "traffic_vehicle_hours": (("vehicle_hours",), "Vehicle-hours on the road", "veh·h"),
    "traffic_mean_delay_s": (("mean_delay_s",), "Delay per car trip, mean", "s"),
    "traffic_share_time_lost": (("share_time_lost",), "Share of car time lost to congestion", "share"),
    "traffic_peak_speed_kph": (("peak_hour", "speed_kph"), "Network speed in the peak hour", "km/h"),
}
#: streets shown in a comparison: those whose lost vehicle-hours changed most (B − A, either way)
TRAFFIC_STREETS = 12


def _set_dotted(data: dict, assignment: str) -> dict:
    """Apply ``dotted.field=value`` (value as JSON, else a string) to scenario data."""
    if "=" not in assignment:
        raise TwinError(f"--set {assignment!r}: give dotted.field=value")
    key, text = assignment.split("=", 1)
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    cur = data
    *path, last = key.strip().split(".")
    for p in path:
        if not isinstance(cur.get(p), dict):
            raise TwinError(f"--set {key}: {p!r} is not a section of the scenario")
        cur = cur[p]
    if last not in cur:
        raise TwinError(f"--set {key}: the scenario has no field {last!r} there")
    cur[last] = value
    return data


def plan_study(name: str, *, city: str | None = None, population: int | None = None, scale: float | None = None,
               hours: float | None = None, seed: int | None = None, replications: int | None = None,
               study=(), sets=()) -> tuple[Scenario, Scenario]:
    """The baseline and the scenario of a study, sharing one setting (see the module docstring).

    Parameters
    ----------
    name : str
        A library scenario or YAML file with ``baseline:``.
    city, population, scale, hours, seed, replications
        ``twin run``'s options; None keeps the scenario's own.
    study : iterable of str
        Study settings added to the scenario's ``study:`` list, for both sides.
    sets : iterable of str
        ``dotted.field=value`` applied to both sides after the study settings.

    Returns
    -------
    (Scenario, Scenario)
        The baseline (A) and the scenario (B).

    Raises
    ------
    ScenarioError
        Unknown names, a scenario without ``baseline:``, or a field that does not validate.
    TwinError
        A bad ``--set``.
    """
    cli = dict(city=city, population=population, scale=scale, hours=hours, seed=seed, replications=replications)
    raw = load_scenario(name, **cli, study=[])             # the setting before study settings scale it
    if not raw.baseline:
        raise ScenarioError(f"scenario {name!r} names no baseline (baseline: in its YAML), so there is nothing "
                            f"to compare it with; twin study takes a scenario such as new_ambulance_station")
    names = sorted(set(load_scenario(name, **cli).study) | set(study or ()))
    shared = {f: getattr(raw, f) for f in SETTING_FIELDS if f != "study" and f not in raw.changes}
    shared["replications"] = raw.replications
    sides = []
    for n in (raw.baseline, name):
        sc = load_scenario(n, **shared, study=names)
        if sets:
            data = sc.model_dump()
            for s in sets:
                _set_dotted(data, s)
            try:
                sc = Scenario.model_validate(data)
            except Exception as exc:   # pydantic names the field and the value
                raise TwinError(f"--set {', '.join(sets)}: {exc}") from None
        sides.append(sc)
    return sides[0], sides[1]


def _trip_values(path, kpi: str, line: str | None = None) -> list:
    mode, field = TRIP_KPIS[kpi]
    out = []
    for d in run_dirs(path):
        k = json.loads((d / "kpis.json").read_text(encoding="utf-8")) if (d / "kpis.json").exists() else {}
        if mode == "line":
            transit = (k.get("journeys") or {}).get("transit") or {}
            out.append(None if line is None else (transit.get(field) or {}).get(line, 0 if field ==
                                                                                 "ridership_by_line" else None))
        else:
            out.append(((k.get("mobility") or {}).get(mode) or {}).get(field))
    return out


def _traffic_of(path) -> list[dict]:
    out = []
    for d in run_dirs(path):
        k = json.loads((d / "kpis.json").read_text(encoding="utf-8")) if (d / "kpis.json").exists() else {}
        out.append(k.get("traffic") or {})
    return out


def traffic_rows(path_a, path_b, paired: bool, streets: int = TRAFFIC_STREETS) -> dict:
    """The road's figures of two runs in ``traffic: queue`` mode, rows like the trip times':
    :data:`TRAFFIC_KPIS`, then ``street_lost_vehicle_hours.<street>`` for the ``streets`` streets
    whose lost vehicle-hours (time on the street beyond free flow, ``kpis.traffic.by_street``)
    changed most between the means of A and B, largest increase first. A street a side does not
    list carried under 1 vehicle-km (per unit of scale) there: 0. Empty when neither side ran
    queues. The streets are *picked* by the size of their change, so read their intervals as a
    map of where delay moved, not as tests chosen in advance."""
    ta, tb = _traffic_of(path_a), _traffic_of(path_b)
    if not any(t.get("mode") == "queue" for t in ta + tb):
        return {}

    def get(t, keys):
        for key in keys:
            t = t.get(key) if isinstance(t, dict) else None
        return t

    rows = {n: {"label": label, "unit": unit} | _simple_row([get(t, keys) for t in ta], [get(t, keys) for t in tb],
                                                             paired)
            for n, (keys, label, unit) in TRAFFIC_KPIS.items()}
    names = sorted({s for t in ta + tb for s in (t.get("by_street") or {})})

    def lost(ts, street):
        return [float(((t.get("by_street") or {}).get(street) or {}).get("lost_vehicle_hours") or 0.0) for t in ts]

    change = sorted(((sum(lost(tb, s)) / len(tb) - sum(lost(ta, s)) / len(ta), s) for s in names),
                    key=lambda x: (-abs(x[0]), x[1]))[:streets]
    for _, s in sorted(change, key=lambda x: (-x[0], x[1])):
        rows[f"street_lost_vehicle_hours.{s}"] = {"label": f"Delay on {s}", "unit": "lost veh·h"} | _simple_row(
            lost(ta, s), lost(tb, s), paired)
    return rows


def boosted_line(path) -> str | None:
    """The line a side's scenario boosts (``transit.boost_line`` in its first run's manifest)."""
    dirs = run_dirs(path)
    m = dirs[0] / "manifest.json" if dirs else None
    if m is None or not m.exists():
        return None
    sc = json.loads(m.read_text(encoding="utf-8")).get("scenario") or {}
    return (sc.get("transit") or {}).get("boost_line")


def _simple_row(a: list, b: list, paired: bool) -> dict:
    ma, ha = ci95(a)
    mb, hb = ci95(b)
    if paired:
        md, hd = ci95([y - x for x, y in zip(a, b) if x is not None and y is not None])
    else:
        md = None if ma is None or mb is None else mb - ma
        hd = None if ha is None or hb is None else (ha ** 2 + hb ** 2) ** 0.5
    return {"a": ma, "a_ci95": ha, "b": mb, "b_ci95": hb, "diff": md, "diff_ci95": hd,
            "significant": bool(md is not None and hd is not None and abs(md) > hd), "mdd": mdd(a, b, paired)}


def compare_runs(path_a, path_b, allow=()) -> dict:
    """The comparison of two runs or replication sets, checked for confounding.

    Returns :func:`services.analytics.compare.compare`'s result with, added: ``diff`` (param →
    ``{a, b, role}``), ``confounded`` (params, empty when clean), ``declared`` (the scenarios'
    ``changes``), ``mdd`` per KPI row (minimum detectable difference at these replications, 80 %
    power, 5 % level; also in ``by_district`` rows), and ``trips`` (trip times by mode, rows like
    the KPIs').

    Raises
    ------
    TwinError
        A path that is not a run, or an ``allow`` entry that matches no difference.
    """
    guard = check(path_a, path_b, allow)
    r = compare(path_a, path_b)
    ka, kb = kpis_of(path_a), kpis_of(path_b)
    paired = r["paired"]
    for name, row in r["kpis"].items():
        row["mdd"] = mdd([k.get(name) for k in ka], [k.get(name) for k in kb], paired)
    tables = {"response_min_p50": ("response_by_district", "p50_min"),
              "response_min_p90": ("response_by_district", "p90_min")}
    for district, rows in (r.get("by_district") or {}).items():
        for name, row in rows.items():
            if name in tables:
                t, f = tables[name]
                row["mdd"] = mdd([((k.get(t) or {}).get(district) or {}).get(f) for k in ka],
                                 [((k.get(t) or {}).get(district) or {}).get(f) for k in kb], paired)
    line = boosted_line(path_b) or boosted_line(path_a)
    r["trips"] = {n: {"label": TRIP_LABELS[n] + (f" ({line})" if TRIP_KPIS[n][0] == "line" and line else ""),
                      "unit": TRIP_UNITS.get(n, "min")}
                  | _simple_row(_trip_values(path_a, n, line), _trip_values(path_b, n, line), paired)
                  for n in TRIP_KPIS}
    r["traffic"] = traffic_rows(path_a, path_b, paired)
    r.update(diff=guard["diff"], confounded=guard["confounded"], declared=guard["declared"],
             scenarios=guard["scenarios"], seeds=guard["seeds"])
    return r


def suggest_replications(path_a, path_b, targets: dict[str, float], paired: bool) -> dict:
    """Replications per side needed to detect each target effect (``{kpi: effect}``), with the
    spread of the replications run as the pilot: ``{kpi: {"effect", "replications"}}``."""
    ka, kb = kpis_of(path_a), kpis_of(path_b)
    out = {}
    for name, effect in targets.items():
        if name in TRIP_KPIS:
            line = boosted_line(path_b) or boosted_line(path_a)
            a, b = _trip_values(path_a, name, line), _trip_values(path_b, name, line)
        elif any(name in k for k in ka):
            a, b = [k.get(name) for k in ka], [k.get(name) for k in kb]
        else:
            raise TwinError(f"--target-effect {name}: no such KPI; use one of the comparison's KPIs, e.g. "
                            f"response_min_p90, resolution_h_median, car_trip_min_mean")
        try:
            out[name] = {"effect": effect, "replications": replications_needed(a, b, paired, effect)}
        except ValueError as exc:
            raise TwinError(f"--target-effect {name}: {exc}") from None
    return out


def default_out(scenario: Scenario, city) -> Path:
    return Path("runs") / f"study-{scenario.name}-{city.slug}-{datetime.now():%Y%m%d-%H%M%S}"


def run_study(name: str, *, out: str | Path | None = None, city_obj=None, workers: int | None = None,
              scheduler: str | None = None, target_effect: dict | None = None, progress: bool = False,
              overwrite: bool = True, **options) -> dict:
    """Run a study (see the module docstring) and return the comparison, also written to
    ``out/compare.json`` and ``out/report.html``.

    Parameters
    ----------
    name : str
        The scenario (it names its baseline).
    out : path, optional
        The study folder (default ``runs/study-<scenario>-<city>-<time>``).
    city_obj : City, optional
        The city already loaded (else loaded from the scenario's ``city``).
    workers, scheduler
        Run the replications as Dask tasks on a LocalCluster of ``workers`` processes or on the
        cluster at ``scheduler``; neither: one after the other in this process.
    target_effect : dict, optional
        ``{kpi: effect}``: also suggest the replications needed to detect each
        (``replications_needed`` in the result).
    progress : bool
        Progress bars on a terminal.
    overwrite : bool
        False: refuse (TwinError, before running anything) a folder holding another scenario's
        study or finished replications of a side that cannot be reused (other settings, other
        code); see :func:`check_study_out`. ``twin study`` passes False unless ``--force``.
    **options
        :func:`plan_study`'s keywords (city, population, scale, hours, seed, replications, study,
        sets).

    Returns
    -------
    dict
        :func:`compare_runs`'s result plus ``study`` (scenario, baseline, question, expected,
        kpis to look at, study settings, population, hours, city, replications, folder).
    """
    from twin.city import load_city
    from twin_app.run import run_replications
    from twin_app.sweep import run_on_dask

    base, scen = plan_study(name, **options)
    city = city_obj or load_city(scen.city)
    out = Path(out) if out is not None else default_out(scen, city)
    sides = [(base, out / base.name), (scen, out / scen.name)]
    if not overwrite:
        check_study_out(out, scen, sides, city)
    if workers or scheduler:
        jobs = []
        for sc, folder in sides:
            if already_run(sc, folder, city):
                continue
            for k in range(sc.replications):
                one = sc.model_copy(update={"seed": sc.seed + k, "replications": 1})
                jobs.append((one.model_dump_json(), str(folder / f"rep-{k:02d}")))
        run_on_dask(jobs, workers=workers or 2, scheduler=scheduler)
        for sc, folder in sides:
            (folder / "replications.json").write_text(json.dumps(
                {"scenario": sc.name, "seeds": [sc.seed + k for k in range(sc.replications)],
                 "runs": [f"rep-{k:02d}" for k in range(sc.replications)]}, indent=2))
    else:
        for sc, folder in sides:
            if not already_run(sc, folder, city):
                run_replications(sc, folder, city=city, progress=progress)
    r = compare_runs(out / base.name, out / scen.name)
    r["study"] = {"scenario": scen.name, "baseline": base.name, "question": scen.question,
                  "intervention": scen.intervention, "changes": scen.changes, "kpis": scen.kpis,
                  "expected": scen.expected, "study_settings": scen.study, "city": city.name,
                  "population": _population(out / scen.name), "hours": scen.hours, "start": str(scen.start),
                  "replications": scen.replications, "seeds": [scen.seed + k for k in range(scen.replications)],
                  "folder": str(out), "placed": placed_stations(out / scen.name, city),
                  "closed_districts": closure_districts(scen, city)}
    if target_effect:
        r["replications_needed"] = suggest_replications(out / base.name, out / scen.name, target_effect, r["paired"])
    (out / "compare.json").write_text(json.dumps(r, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    report_html(r, out / "report.html", title=f"SmartCity Twin — study of {scen.name} against {base.name}")
    return r


def check_study_out(out: Path, scenario: Scenario, sides, city) -> None:
    """Refuse (TwinError naming ``--out``) a study folder whose results this study would replace:
    ``compare.json`` of another scenario's study, or a side's finished replications that are not
    exactly this side made by this code (:func:`already_run`), which would be run again over."""
    shown = str(out)
    prev = out / "compare.json"
    if prev.exists():
        try:
            other = (json.loads(prev.read_text(encoding="utf-8")).get("study") or {}).get("scenario")
        except (OSError, ValueError, AttributeError):
            other = "?"
        if other != scenario.name:
            raise TwinError(f"--out {shown!r} holds the study of {other!r}; pass --force to replace its results "
                            f"(replications that match are still reused), or choose another folder")
    for sc, folder in sides:
        if (folder / "replications.json").exists() and not already_run(sc, folder, city):
            raise TwinError(f"--out {shown!r} holds finished replications of {sc.name!r} made with other settings "
                            f"or other code; pass --force to run them again there, or choose another folder")


def already_run(scenario: Scenario, folder: Path, city) -> bool:
    """True when ``folder`` holds finished replications of exactly ``scenario`` (every field, the
    seeds) on ``city`` (its content hash), made by this code (``versions.code`` of each manifest,
    :func:`twin.codeversion.code_version`): a study run again, or a second scenario studied
    against the same baseline in the same folder, reuses them instead of running them again."""
    from twin.codeversion import code_version

    meta = folder / "replications.json"
    if not meta.exists():
        return False
    seeds = [scenario.seed + k for k in range(scenario.replications)]
    if json.loads(meta.read_text()).get("seeds") != seeds:
        return False
    for seed, d in zip(seeds, run_dirs(folder)):
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8")) if (d / "manifest.json").exists() else {}
        want = json.loads(scenario.model_copy(update={"seed": seed, "replications": 1}).model_dump_json())
        if (m.get("status") != "complete" or m.get("scenario") != want
                or (m.get("versions") or {}).get("code") != code_version()
                or (m.get("city") or {}).get("content_hash") != city.content_hash):
            return False
    return True


def placed_stations(folder: Path, city) -> list[dict]:
    """Where the scenario's extra stations went (``responders.extra_stations`` of its first
    replication), with the district of each: the district a planner should look at."""
    k = run_dirs(folder)[0] / "kpis.json"
    placed = ((json.loads(k.read_text(encoding="utf-8")) if k.exists() else {}).get("responders") or {}).get(
        "extra_stations") or []
    out = []
    for x in placed:
        i = int(city.arrays["node_district"][x["node"]]) if "node" in x else -1
        out.append({**x, "district": city.districts[i].name if 0 <= i < len(city.districts) else None})
    return out


def closure_districts(scenario: Scenario, city) -> list[str]:
    """The districts the scenario's closed roads run through (empty without closures): where a
    planner looks for the closure's effect on response times."""
    if not scenario.closures:
        return []
    from twin_app.run import closure_edges

    a = city.arrays
    edges = closure_edges(city, scenario.closures, scenario.city)
    ids = set(a["node_district"][a["edge_u"][edges]].tolist()) | set(a["node_district"][a["edge_v"][edges]].tolist())
    return sorted(city.districts[i].name for i in ids if 0 <= i < len(city.districts))


def _population(folder: Path):
    m = run_dirs(folder)[0] / "manifest.json"
    return json.loads(m.read_text(encoding="utf-8")).get("population")
