"""Parameter sweeps on Dask distributed: every (value, replication) run is one task.

``twin sweep SCENARIO --param demand.report_multiplier=1,2,4 --replications 4 [--workers 2]``
builds one scenario per value (the parameter is a dotted path into the scenario), runs each with
seeds ``seed … seed+N-1`` (common random numbers across values) as independent tasks on a Dask
``LocalCluster`` (``--workers`` processes, one thread each), or on a real cluster with
``--scheduler tcp://host:8786``. Each task writes its run directory and returns its KPIs; a task
whose worker dies is re-run elsewhere (``retries``; the tests kill a worker with
``TWIN_SWEEP_CRASH_ONCE=<file>``), not lost. The result is one table: per value,
each headline KPI's mean and 95 % CI.
"""
from __future__ import annotations

import json
from pathlib import Path

from services.analytics.compare import HEADLINE, ci95


def _set(data: dict, dotted: str, value) -> dict:
    cur = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        if not isinstance(cur.get(p), dict):
            raise ValueError(f"--param {dotted}: {p!r} is not a section of the scenario")
        cur = cur[p]
    if parts[-1] not in cur:
        raise ValueError(f"--param {dotted}: the scenario has no field {parts[-1]!r} there")
    cur[parts[-1]] = value
    return data


def parse_values(text: str) -> list:
    out = []
    for v in text.split(","):
        v = v.strip()
        try:
            out.append(json.loads(v))
        except ValueError:
            out.append(v)
    return out


def run_task(scenario_json: str, out_dir: str) -> dict:
    """One run (executed on a worker): the scenario as JSON → its flat KPIs."""
    from scenarios.schema import Scenario
    from services.analytics.kpis import run_kpis
    from twin_app.run import run_scenario

    import os

    crash = os.environ.get("TWIN_SWEEP_CRASH_ONCE")          # fault injection for the tests
    if crash and not Path(crash).exists():
        Path(crash).write_text("crashed once")
        os._exit(1)                                         # the worker process dies mid-task
    sc = Scenario.model_validate_json(scenario_json)
    run_scenario(sc, out_dir)
    k = run_kpis(out_dir)
    return {n: k.get(n) for n in HEADLINE}


def run_on_dask(jobs: list[tuple[str, str]], *, workers: int = 2, scheduler: str | None = None,
                retries: int = 2) -> list[dict]:
    """Run ``(scenario_json, run_dir)`` jobs as Dask tasks (:func:`run_task`), one per run, on a
    ``LocalCluster`` of ``workers`` processes or on the cluster at ``scheduler``; a task whose
    worker dies is retried ``retries`` times. Returns each job's headline KPIs, in order."""
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(run_task, js, d, retries=retries, pure=False, key=f"run-{i}")
                   for i, (js, d) in enumerate(jobs)]
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sweep(scenario, param: str, values: list, replications: int, out: str | Path, *, workers: int = 2,
          scheduler: str | None = None, retries: int = 2, overwrite: bool = True) -> dict:
    """Run the sweep (see the module docstring) and return ``{"param", "values", "table"}``.

    ``overwrite=False`` refuses (TwinError naming ``--out``, before any task runs) a folder that
    holds a finished sweep (``sweep.json``); ``twin sweep`` passes it unless ``--force``."""
    out = Path(out)
    if not overwrite and (out / "sweep.json").exists():
        from twin.errors import TwinError

        raise TwinError(f"--out {str(out)!r} holds a finished sweep (sweep.json); pass --force to replace it, "
                        f"or choose another folder")
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    base = json.loads(scenario.model_dump_json())
    for v in values:
        data = _set(json.loads(json.dumps(base)), param, v)
        for k in range(replications):
            data_k = dict(data, seed=scenario.seed + k, replications=1)
            from scenarios.schema import Scenario

            sc = Scenario.model_validate(data_k)          # a bad value fails here, before any task
            jobs.append((v, k, sc.model_dump_json(), str(out / f"{param}={v}" / f"rep-{k:02d}")))
    results = run_on_dask([(js, d) for _, _, js, d in jobs], workers=workers, scheduler=scheduler, retries=retries)
    table = {}
    for v in values:
        rows = [r for (vv, _, _, _), r in zip(jobs, results) if vv == v]
        table[str(v)] = {n: dict(zip(("mean", "ci95"), ci95([r.get(n) for r in rows]))) for n in HEADLINE}
    result = {"param": param, "values": [str(v) for v in values], "replications": replications, "table": table}
    (out / "sweep.json").write_text(json.dumps(result, indent=1, default=str))
    return result
