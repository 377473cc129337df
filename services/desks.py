"""Back-office desks: clerks who handle requests one at a time, modelled as a SimPy resource.

A :class:`Desk` has ``clerks`` servers (a ``simpy.PriorityResource``: lower priority numbers
first, first come first served within a priority). Each job waits for a free clerk, is handled
for an exponential time of mean ``mean_min`` minutes, and reports back through ``on_start`` and
``on_done``. With Poisson arrivals and one priority this is the M/M/c queue, whose mean wait
Erlang C gives (:func:`erlang_c_wait`; the tests check the desk against it).

Desks keep office hours when given a :class:`Hours`: outside them no job is started (a clerk
who is busy at closing time finishes the job). A job may carry a ``patience_s``: a citizen who
waits longer at a counter or on the phone gives up (``on_abandon``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import simpy


@dataclass(frozen=True)
class Hours:
    """Working hours: ``start``..``end`` local hours (``end`` may be 24), weekdays or every day."""

    start: int = 8
    end: int = 16
    weekdays_only: bool = True

    def wait_s(self, t: datetime) -> float:
        """Seconds from ``t`` until the next working moment (0 if working now)."""
        if self.start == 0 and self.end >= 24 and not self.weekdays_only:
            return 0.0
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        for k in range(8):
            d = day + timedelta(days=k)
            if self.weekdays_only and d.weekday() >= 5:
                continue
            open_at = d + timedelta(hours=self.start)
            close_at = d + timedelta(hours=self.end)
            if t < close_at:
                return max(0.0, (open_at - t).total_seconds())
        raise ValueError(f"hours {self} never open")


class Desk:
    """Clerks handling jobs (see the module docstring).

    Parameters
    ----------
    env
        The SimPy environment.
    name
        Department code (for events and KPIs).
    clerks
        Number of servers.
    mean_min
        Mean handling time in minutes (exponential).
    rng
        ``numpy.random.Generator`` for handling times.
    hours, clock
        Office hours and a function turning ``env.now`` into a local datetime; None: always open.
    on_start, on_done, on_abandon
        ``callback(job, wait_s)`` when a clerk takes a job, ``callback(job, work_s)`` when it is
        done, ``callback(job, waited_s)`` when its citizen gives up.
    """

    def __init__(self, env: simpy.Environment, name: str, clerks: int, mean_min: float, rng, *,
                 hours: Hours | None = None, clock=None, on_start=None, on_done=None, on_abandon=None):
        if clerks < 1:
            raise ValueError(f"desk {name!r}: clerks must be >= 1, got {clerks}")
        self.env = env
        self.name = name
        self.clerks = clerks
        self.mean_s = mean_min * 60.0
        self.rng = rng
        self.hours = hours
        self.clock = clock
        self.resource = simpy.PriorityResource(env, capacity=clerks)
        self.on_start, self.on_done, self.on_abandon = on_start, on_done, on_abandon
        self.waits: list[float] = []
        self.served = 0
        self.abandoned = 0
        self.busy_s = 0.0

    @property
    def queue_length(self) -> int:
        return len(self.resource.queue)

    @property
    def busy(self) -> int:
        return self.resource.count

    def submit(self, job, priority: int = 2, patience_s: float = math.inf):
        """Queue ``job``; returns its SimPy process."""
        return self.env.process(self._handle(job, priority, patience_s))

    def _handle(self, job, priority: int, patience_s: float):
        env = self.env
        t0 = env.now
        with self.resource.request(priority=priority) as req:
            if math.isfinite(patience_s):
                got = yield req | env.timeout(patience_s)
                if req not in got:
                    self.abandoned += 1
                    if self.on_abandon:
                        self.on_abandon(job, env.now - t0)
                    return
            else:
                yield req
            if self.hours is not None:
                closed = self.hours.wait_s(self.clock(env.now))
                if closed > 0:
                    yield env.timeout(closed)
            wait = env.now - t0
            self.waits.append(wait)
            if self.on_start:
                self.on_start(job, wait)
            work = float(self.rng.exponential(self.mean_s))
            yield env.timeout(work)
            self.busy_s += work
            self.served += 1
            if self.on_done:
                self.on_done(job, work)

    def kpis(self, elapsed_s: float | None = None) -> dict:
        w = self.waits
        out = {"clerks": self.clerks, "served": self.served, "queued_now": self.queue_length,
               "mean_wait_min": round(sum(w) / len(w) / 60.0, 2) if w else None}
        if self.abandoned:
            out["abandoned"] = self.abandoned
        if elapsed_s:
            out["utilisation"] = round(self.busy_s / (self.clerks * elapsed_s), 3)
        return out


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean waiting time in queue of M/M/c (Erlang C): ``C(c, a) / (c·μ − λ)``.

    ``arrival_rate`` λ and ``service_rate`` μ per unit time; ``servers`` c with λ < cμ.
    """
    lam, mu, c = arrival_rate, service_rate, servers
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError(f"unstable queue: utilisation {rho:.3f} >= 1")
    term = 1.0
    s = 1.0                      # sum_{k<c} a^k / k!
    for k in range(1, c):
        term *= a / k
        s += term
    top = term * a / c / (1 - rho)     # a^c / c! / (1 - rho)
    p_wait = top / (s + top)
    return p_wait / (c * mu - lam)
