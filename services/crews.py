"""Field crews: the people who go out and fix what citizens report.

Each field department (:data:`services.catalogue.DEPARTMENTS` with ``work="field"``) has a
:class:`CrewPool`: its crews are :class:`Crew` Mesa agents (in the run's ``CityModel``) based at
the department's depot, and a ``simpy.PriorityResource`` with one slot per crew holds the work
queue (urgent first, then first come first served).

A job's life:

1. it waits for a slot (a crew free) — and, outside the department's **shift**, for the shift
   to start (a job begun before the end of a shift is finished);
2. the **free crew nearest by road travel time** (exact, from the CH router) takes it; the
   crew **drives** there on the road graph with the run's crew :class:`twin.mobility.Mobility`;
3. it works on site for an exponential time (mean: the department's ``mean_work_min``), and
   stays where it is for the next job.

``on_assigned``, ``on_site`` and ``on_done`` tell the workflow (:mod:`services.component`)
what happened, so it can update the request and notify the citizen.
"""
from __future__ import annotations

import mesa
import numpy as np
import simpy

from services.desks import Hours


class Crew(mesa.Agent):
    """One crew of a department."""

    def __init__(self, model, index: int, department: str, node: int):
        super().__init__(model)
        self.index = index             # index in the crew Mobility
        self.department = department
        self.depot = node
        self.node = node
        self.busy = False
        self.jobs_done = 0

    @property
    def name(self) -> str:
        return f"crew:{self.department}:{self.index}"


class CrewPool:
    """The crews of one field department (see the module docstring)."""

    def __init__(self, twin, department, crews: list[Crew], mobility, rng, hours: Hours | None,
                 *, on_assigned=None, on_site=None, on_done=None):
        self.twin = twin
        self.env: simpy.Environment = twin.env
        self.department = department
        self.crews = crews
        self.mobility = mobility
        self.rng = rng
        self.hours = hours
        self.mean_s = department.mean_work_min * 60.0
        self.resource = simpy.PriorityResource(self.env, capacity=max(1, len(crews)))
        self.on_assigned, self.on_site, self.on_done = on_assigned, on_site, on_done
        self._arrivals: dict[int, simpy.Event] = {}
        self.waits: list[float] = []
        self.travel: list[float] = []
        self.busy_s = 0.0
        self.done = 0

    @property
    def queue_length(self) -> int:
        return len(self.resource.queue)

    @property
    def busy(self) -> int:
        return sum(c.busy for c in self.crews)

    def submit(self, job, node: int, priority: int):
        """Queue ``job`` at road node ``node``; returns its SimPy process."""
        return self.env.process(self._handle(job, int(node), priority))

    def arrived(self, crew_index: int) -> None:
        """The crew Mobility says crew ``crew_index`` reached its destination."""
        ev = self._arrivals.pop(crew_index, None)
        if ev is not None:
            ev.succeed()

    def _handle(self, job, node: int, priority: int):
        env = self.env
        t0 = env.now
        with self.resource.request(priority=priority) as req:
            yield req
            if self.hours is not None:
                closed = self.hours.wait_s(self.twin.clock)
                if closed > 0:
                    yield env.timeout(closed)
            crew = self._nearest_free(node)
            crew.busy = True
            wait = env.now - t0
            self.waits.append(wait)
            if self.on_assigned:
                self.on_assigned(job, crew, wait)
            t_leave = env.now
            if crew.node != node:
                ev = env.event()
                self._arrivals[crew.index] = ev
                failed = self.mobility.request([crew.index], [crew.node], [node], "car")
                if len(failed):
                    self._arrivals.pop(crew.index, None)
                else:
                    yield ev
            crew.node = node
            self.travel.append(env.now - t_leave)
            if self.on_site:
                self.on_site(job, crew, env.now - t_leave)
            work = float(self.rng.exponential(self.mean_s))
            yield env.timeout(work)
            self.busy_s += env.now - t_leave
            crew.busy = False
            crew.jobs_done += 1
            self.done += 1
            if self.on_done:
                self.on_done(job, crew, work)

    def _nearest_free(self, node: int) -> Crew:
        free = [c for c in self.crews if not c.busy]
        if len(free) == 1:
            return free[0]
        src = np.array([c.node for c in free], np.int32)
        t = self.twin.router("time", "drive").distances(src, np.full(len(free), node, np.int32))
        t = np.where(t < 0, np.iinfo(np.int64).max, t)
        return free[int(np.argmin(t))]

    def kpis(self, elapsed_s: float | None = None) -> dict:
        w = np.asarray(self.waits) / 60.0
        tr = np.asarray(self.travel) / 60.0
        out = {"crews": len(self.crews), "jobs_done": self.done, "queued_now": self.queue_length,
               "mean_wait_min": round(float(w.mean()), 1) if len(w) else None,
               "mean_travel_min": round(float(tr.mean()), 1) if len(tr) else None}
        if elapsed_s:
            out["utilisation"] = round(self.busy_s / (max(1, len(self.crews)) * elapsed_s), 3)
        return out


def shift_of(department) -> Hours:
    """A department's working hours as :class:`services.desks.Hours`."""
    return Hours(department.shift[0], department.shift[1], department.weekdays_only)


__all__ = ["Crew", "CrewPool", "shift_of"]
