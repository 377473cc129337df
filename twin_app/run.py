"""Run a scenario end to end: load the city, build the twin, simulate, write the run directory.

The run directory holds ``manifest.json`` (scenario, seed, city hash, package versions, wall
time), ``events.parquet`` (the event log) and ``kpis.json``. :func:`run_scenario` returns the
summary that ``twin run --json`` prints.
"""
from __future__ import annotations

import json
import os
import platform
import time
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from twin.city import beside, load_city
from twin.engine import Twin
from twin.errors import TwinError
from twin.mobility import Mobility
from twin.traffic import Traffic

PACKAGES = ("smartcity-twin", "numpy", "networkx", "osmnx", "simpy", "mesa", "pyarrow", "cython",
            "scipy", "shapely")


def package_versions() -> dict[str, str]:
    """Python's and the packages' versions, and ``code``: the stamp of the twin's own sources
    (:func:`twin.codeversion.code_version`), which a study compares before reusing a run."""
    from twin.codeversion import code_version

    out = {"python": platform.python_version(), "code": code_version()}
    for p in PACKAGES:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "not installed"
    return out


def population_of(scenario, city) -> int:
    """Number of citizens: the scenario's ``population``, or ``scale`` × the city's population."""
    if scenario.population is not None:
        return int(scenario.population)
    scale = 0.1 if scenario.scale is None else scenario.scale
    if not city.population:
        raise TwinError(f"city {city.name!r} has no population tag; give --population N instead of --scale")
    return int(round(city.population * scale))


def load_timetable(scenario, city):
    """The scenario's GTFS timetable snapped to ``city``: ``gtfs: auto`` finds the feed beside
    the city's OSM file; ``none`` runs without buses."""
    from twin.gtfs import find_gtfs, load_gtfs

    if scenario.gtfs == "none":
        return None
    path = find_gtfs(city) if scenario.gtfs == "auto" else Path(scenario.gtfs)
    return load_gtfs(path, city) if path is not None else None


def report_stats(city):
    """Report calibration: the MyCluj statistics beside the city's data (``../stats/``) when
    present, the same figures built in otherwise."""
    from agents.categories import builtin_stats, load_mycluj

    if city.source and not city.synthetic:
        path = beside(city.source, "stats", "cluj_mycluj_stats.json")
        if path is not None:
            return load_mycluj(path)
    return builtin_stats()


def default_run_dir(scenario, city) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{scenario.name}-{city.slug}-s{scenario.seed}-{stamp}"


def closure_edges(city, closures, city_key: str | None = None):
    """Edges of the closed roads: street names (matched ignoring case and diacritics) or OSM way
    ids; TwinError naming the entry that matches nothing.

    ``closures`` may map city names to lists (``{"demo": [...], "brasov": [...]}``); the list of
    this city is used: the key ``city_key`` (the scenario's ``city:``), the city's slug, or
    ``demo`` for the synthetic town.
    """
    import numpy as np

    from twin.text import slugify

    if isinstance(closures, dict):
        keys = {slugify(str(k)) for k in (city_key, city.slug, city.name, "demo" if city.synthetic else None) if k}
        found = [k for k in closures if slugify(k) in keys]
        if not found:
            raise TwinError(f"closures: no list for city {city.name!r} (slug {city.slug!r}); the scenario names "
                            f"streets for: {', '.join(closures) or 'no city'} — add closures: {{{city.slug}: [...]}}")
        closures = closures[found[0]]
    out = []
    for item in closures:
        try:
            out.append(city.edges_of_way(int(item)) if isinstance(item, int) or str(item).isdigit()
                       else city.edges_named(str(item)))
        except TwinError as exc:
            raise TwinError(f"closures: {item!r} — {exc}") from None
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def transit_planner(scenario, city, timetable):
    """The timetable a run's buses keep (the scenario's what-if applied, e.g. a line at double
    frequency) and the journey planner on it (:class:`twin.transit.Planner`), or ``(None,
    None)`` without buses. Built here, once per run, and handed to every component that plans
    (the citizens' journeys; the chatbot can take the same one)."""
    from agents.journeys import make_planner, transit_timetable

    if timetable is None or not len(timetable.stop_node):
        return timetable, None
    timetable = transit_timetable(timetable, scenario.transit)
    return timetable, make_planner(timetable, city, scenario.transit)


def build_twin(scenario, city, run_dir=None, timetable="auto", mqtt=None) -> Twin:
    """A :class:`Twin` with every component of the scenario attached (not yet run); ``mqtt``
    (:class:`sensors.bridge.MqttParams`) mirrors it to a broker."""
    from agents.adoption import Adoption
    from agents.daily import DailyLife
    from agents.demand import Demand
    from agents.incidents import Incidents
    from agents.journeys import Journeys
    from agents.population import Citizens
    from sensors.component import Sensors
    from services.component import CityServices
    from services.dispatch import Responders
    from agents.taxes import Taxes

    population = population_of(scenario, city)
    if isinstance(timetable, str):
        timetable = load_timetable(scenario, city)
    timetable, planner = transit_planner(scenario, city, timetable)
    twin = Twin(city, seed=scenario.seed, start=scenario.start, run_dir=run_dir)
    try:
        if scenario.closures:
            twin.close_roads(closure_edges(city, scenario.closures, scenario.city), walkable=True)
        scale = population / city.population if city.population else 1.0
        twin.add(Traffic(scenario.traffic, scale=scale))          # before anything that moves
        twin.add(Mobility(population, kind="citizen", tick_s=scenario.tick_s))
        twin.add(Citizens(population, scenario.citizens))
        twin.add(Adoption(scenario.adoption, scenario.city))
        twin.add(Journeys(timetable, scenario.transit, planner=planner, scale=scale))
        twin.add(DailyLife(scenario.daily))
        twin.add(Demand(scenario.demand, report_stats(city)))
        twin.add(Taxes(scenario.taxes))
        twin.add(Incidents(scenario.incidents))
        twin.add(CityServices(scenario.services))
        twin.add(Responders(scenario.responders))
        twin.add(Sensors(scenario.sensors))
        if scenario.ledger.enabled:
            from ledger.component import LedgerComponent

            twin.add(LedgerComponent(scenario.ledger))
        if scenario.chatbot.enabled:
            from services.chatbot.component import ChatbotComponent

            twin.add(ChatbotComponent(scenario.chatbot))
        if scenario.events:
            from agents.timeline import Timeline

            twin.add(Timeline(scenario.events))
        if mqtt is not None:
            from sensors.bridge import MqttBridge

            bridge = twin.add(MqttBridge(mqtt))
            if twin.component("journeys").buses is not None:     # the buses' GTFS-Realtime feeds, retained
                from agents.realtime import RealtimeFeed

                feed = twin.add(RealtimeFeed(scenario.transit.realtime_every_s))
                feed.sinks.append(lambda topic, payload: bridge.publish(twin.topic(topic), payload, retain=True))
    except BaseException:
        twin.close()
        raise
    return twin


def check_out(run_dir: str | Path, overwrite: bool = True) -> Path:
    """Make sure the folder ``run_dir`` can take a run (or a set of replications), and create it.

    Refused, with a :class:`TwinError` naming ``--out`` and the path: a path that is a file (or
    has a file on the way), a folder that cannot be created or written, a non-empty folder that
    is not a run directory (someone's own files), and — unless ``overwrite`` — a *finished* run
    (``manifest.json`` with status ``complete``, or a ``replications.json``). A failed or interrupted run
    (any other status) may always be redone in place. The ``twin`` command passes
    ``overwrite=False`` unless given ``--force``; library callers keep the old default.
    """
    run_dir = Path(run_dir)
    shown = str(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise TwinError(f"--out {shown!r} is a file, not a folder; give a folder for the run")
    if run_dir.is_dir() and any(run_dir.iterdir()):
        manifest, reps = run_dir / "manifest.json", run_dir / "replications.json"
        if not (manifest.exists() or reps.exists() or any(run_dir.glob("rep-[0-9]*"))):
            raise TwinError(f"--out {shown!r} exists and is not a run directory; choose another")
        if not overwrite and (reps.exists() or _status(manifest) == "complete"):
            raise TwinError(f"--out {shown!r} holds a finished run; pass --force to replace it, "
                            f"or choose another folder")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:                  # a file on the way, no permission, read-only disk
        raise TwinError(f"--out {shown!r}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise TwinError(f"--out {shown!r}: the folder is not writable")
    return run_dir


def _status(manifest: Path) -> str | None:
    """The ``status`` of a run's manifest, or None if it is missing or unreadable."""
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def run_scenario(scenario, out: str | Path | None = None, progress: bool = False, city=None, mqtt=None,
                 overwrite: bool = True) -> dict:
    """Run ``scenario`` and return its summary (events, agents, sim_hours, wall_s, run_dir, kpis);
    ``mqtt`` (:class:`sensors.bridge.MqttParams`) publishes the run to a broker as it goes;
    ``overwrite=False`` refuses to replace a finished run in ``out`` (see :func:`check_out`)."""
    t0 = time.perf_counter()
    city = city or load_city(scenario.city)
    population = population_of(scenario, city)
    run_dir = Path(out) if out is not None else default_run_dir(scenario, city)
    check_out(run_dir, overwrite)
    manifest = {
        "scenario": json.loads(scenario.model_dump_json()),
        "seed": scenario.seed,
        "city": {"name": city.name, "source": city.source, "content_hash": city.content_hash,
                 "nodes": city.n_nodes, "edges": city.n_edges, "synthetic": city.synthetic,
                 "attribution": city.attribution},
        "population": population,
        "versions": package_versions(),
        "created": datetime.now().isoformat(timespec="seconds"),
        "status": "running",
    }
    _write_json(run_dir / "manifest.json", manifest)
    try:
        timetable = load_timetable(scenario, city)
        if timetable is not None:
            manifest["gtfs"] = {"source": timetable.source, "trips": timetable.n_trips,
                                "service_date_exact": timetable.service_date(scenario.start.date())[1]}
            _write_json(run_dir / "manifest.json", manifest)
        twin = build_twin(scenario, city, run_dir, timetable, mqtt=mqtt)
    except BaseException as exc:               # e.g. --services-url or --mqtt unreachable: bad input
        _finalise_manifest(run_dir, manifest, [_reason(exc)], t0, interrupted=not isinstance(exc, Exception))
        raise
    error = None
    try:
        try:
            bar, tick = None, None
            if callable(progress):                  # a caller's own progress: progress(hours_done)
                tick = progress
            elif progress:
                from tqdm import tqdm

                bar = tqdm(total=round(scenario.hours, 2), unit="sim h", desc=f"{scenario.name} @ {city.slug}",
                           leave=False, disable=None)  # None: only on a terminal

                def tick(h):
                    bar.n = round(min(h, scenario.hours), 2)
                    bar.refresh()
            twin.run(scenario.hours, progress=tick)
            if bar is not None:
                bar.close()
            twin.finish()
            kpis = twin.kpis()
        except Exception as exc:               # a service gone for good, a broker that never came back, a bug
            error = exc
            kpis = _partial_kpis(twin)
    except BaseException as exc:               # interrupted (Ctrl-C): the manifest says so
        _finalise_manifest(run_dir, manifest, [_reason(exc)], t0, interrupted=True)
        raise
    finally:
        twin.close()
    reasons = ([_reason(error)] if error is not None else []) + _failures(twin)
    kpis["attribution"] = city.attribution
    if reasons:
        kpis["failed"] = reasons
    _write_json(run_dir / "kpis.json", kpis)
    wall = _finalise_manifest(run_dir, manifest, reasons, t0, events=twin.bus.published)
    summary = {"scenario": scenario.name, "city": city.name, "seed": scenario.seed,
               "events": twin.bus.published, "agents": population, "sim_hours": scenario.hours,
               "wall_s": wall, "run_dir": str(run_dir), "kpis": kpis}
    if error is not None and not isinstance(error, TwinError):
        raise error                            # a bug: exit 1 with its traceback, the run marked failed
    if reasons:
        hours = twin.now / 3600.0
        raise RunFailed(f"{'; '.join(reasons)} — the run {'stopped after' if error else 'ran'} {hours:.2f} of "
                        f"{scenario.hours:g} simulated hours; {run_dir} is marked failed and its kpis.json holds "
                        f"the figures so far", summary, getattr(error, "exit_code", 2))
    return summary


class RunFailed(TwinError):
    """A run that could not finish as asked: a service it depends on gone for good
    (``--services-url``), MQTT messages the broker never acknowledged (``--mqtt``), ....

    Its run directory holds what it got to: ``kpis.json`` with the figures so far (and the
    reasons under ``failed``), ``manifest.json`` with ``status: failed`` and the ``reason``.
    :attr:`summary` is what :func:`run_scenario` would have returned; :attr:`exit_code` is the
    cause's (2: the environment or the input, never 0).
    """

    def __init__(self, message: str, summary: dict | None = None, exit_code: int = 2):
        super().__init__(message)
        self.summary = summary
        self.exit_code = exit_code


def _reason(exc: BaseException) -> str:
    """A failure in one line: a :class:`TwinError`'s own words, anything else with its type."""
    if isinstance(exc, TwinError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"internal error: {type(exc).__name__}: {exc}"


def _failures(twin) -> list[str]:
    """What the components say stops the run from being complete (their ``failure()``: the
    MQTT bridge's lost messages, ...)."""
    out = []
    for c in twin.components:
        why = getattr(c, "failure", None)
        why = why() if callable(why) else None
        if why:
            out.append(why)
    return out


def _partial_kpis(twin) -> dict:
    """The KPIs of a run that failed part-way: its end-of-run work done as far as it goes (the
    MQTT bridge drains and counts), then the figures; whatever cannot be had is said so."""
    try:
        twin.finish()
    except Exception:                          # the cause is reported already; keep the figures
        pass
    try:
        return twin.kpis()
    except Exception as exc:
        return {"kpis_error": _reason(exc)}


def _finalise_manifest(run_dir: Path, manifest: dict, reasons: list[str], t0: float, events: int | None = None,
                       interrupted: bool = False) -> float:
    """Write the manifest's final status — ``complete``, ``failed`` (with the ``reason``) or
    ``interrupted`` — and the wall time; a run never stays ``running`` once it has ended."""
    wall = round(time.perf_counter() - t0, 3)
    manifest.update(status="interrupted" if interrupted else "failed" if reasons else "complete", wall_s=wall)
    if events is not None:
        manifest["events"] = events
    if reasons:
        manifest["reason"] = "; ".join(reasons)
    _write_json(run_dir / "manifest.json", manifest)
    return wall


def _write_json(path: Path, data) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_replications(scenario, out: str | Path, city=None, progress: bool = False, mqtt=None,
                     overwrite: bool = True) -> dict:
    """Run ``scenario.replications`` replications with seeds ``seed, seed+1, …`` (the same seeds
    for every scenario: common random numbers) into ``out/rep-NN``; ``out/replications.json``
    lists them. ``progress`` may be a callable, given the replications done so far (fractional);
    ``overwrite=False`` refuses to replace finished replications (see :func:`check_out`)."""
    out = check_out(out, overwrite)
    city = city or load_city(scenario.city)
    runs, summaries = [], []
    for k in range(scenario.replications):
        sc = scenario.model_copy(update={"seed": scenario.seed + k, "replications": 1})
        each = (lambda h, k=k: progress(k + h / sc.hours)) if callable(progress) else progress
        s = run_scenario(sc, out / f"rep-{k:02d}", progress=each, city=city, mqtt=mqtt, overwrite=overwrite)
        runs.append(f"rep-{k:02d}")
        summaries.append(s)
    _write_json(out / "replications.json", {"scenario": scenario.name, "seeds": [scenario.seed + k for k in
                                                                                 range(scenario.replications)],
                                            "runs": runs})
    return {"scenario": scenario.name, "city": city.name, "replications": len(runs), "run_dir": str(out),
            "runs": summaries}
