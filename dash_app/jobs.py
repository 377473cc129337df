"""Scenario runs and studies started from the Scenario lab, in the background, with progress.

:class:`Jobs` runs one scenario (with its replications) at a time per worker thread into
``runs/<scenario>-<stamp>``, or a study (:meth:`Jobs.submit_study`: the scenario and its
baseline, paired, compared by :func:`twin_app.study.run_study`) into
``runs/study-<scenario>-<stamp>``; :meth:`Jobs.status` reports progress (replications done, as a
fraction) and the outcome (a study's comparison in ``result``). A failed run keeps its error
message for the page.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path


class Jobs:
    """Background scenario runs (see the module docstring)."""

    def __init__(self, runs_dir: str | Path, city_loader=None, workers: int = 1):
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lab-run")
        self.city_loader = city_loader
        self.jobs: dict[str, dict] = {}
        self.lock = threading.Lock()

    def submit(self, scenario) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
        job_id = f"{scenario.name}-{stamp}"
        out = self.runs_dir / job_id
        with self.lock:
            self.jobs[job_id] = {"id": job_id, "scenario": scenario.name, "state": "queued", "progress": 0.0,
                                 "replications": scenario.replications, "out": str(out), "error": None,
                                 "started": time.time()}
        self.pool.submit(self._run, job_id, scenario, out)
        return job_id

    def _run(self, job_id: str, scenario, out: Path) -> None:
        from twin_app.run import run_replications

        job = self.jobs[job_id]
        job["state"] = "running"
        try:
            city = self.city_loader(scenario.city) if self.city_loader else None

            def progress(done: float) -> None:
                job["progress"] = round(min(done / scenario.replications, 1.0), 3)

            run_replications(scenario, out, city=city, progress=progress)
            job.update(state="done", progress=1.0, wall_s=round(time.time() - job["started"], 1))
        except Exception as exc:
            job.update(state="failed", error=f"{type(exc).__name__}: {exc}")

    def submit_study(self, name: str, options: dict, sets=()) -> str:
        """Start a study of library scenario ``name`` against its baseline; ``options`` are
        :func:`twin_app.study.plan_study`'s (city, population, hours, seed, replications)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
        job_id = f"study-{name}-{stamp}"
        out = self.runs_dir / job_id
        reps = int(options.get("replications") or 1)
        with self.lock:
            self.jobs[job_id] = {"id": job_id, "scenario": name, "study": True, "state": "queued", "progress": 0.0,
                                 "replications": reps, "out": str(out), "error": None, "started": time.time(),
                                 "result": None}
        self.pool.submit(self._run_study, job_id, name, dict(options), list(sets), out)
        return job_id

    def _run_study(self, job_id: str, name: str, options: dict, sets: list, out: Path) -> None:
        from twin_app.study import run_study

        job = self.jobs[job_id]
        job["state"] = "running"
        try:
            city = self.city_loader(options.get("city") or "demo") if self.city_loader else None
            job["result"] = run_study(name, out=out, city_obj=city, sets=sets, **options)
            job.update(state="done", progress=1.0, wall_s=round(time.time() - job["started"], 1))
        except Exception as exc:
            job.update(state="failed", error=f"{type(exc).__name__}: {exc}")

    def status(self, job_id: str) -> dict | None:
        job = self.jobs.get(job_id)
        if job is not None and job.get("study") and job["state"] == "running":
            done = sum(1 for m in Path(job["out"]).glob("*/rep-*/manifest.json") if '"complete"' in m.read_text())
            job["progress"] = round(min(done / (2 * job["replications"]), 0.99), 3)
        return job

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
