"""Service-delivery monitoring: SLA breaches as events, and live counters.

:class:`SlaMonitor` keeps a heap of the open requests' due times. Every ``check_min`` minutes it
takes those now past due; a request still open is flagged in the store
(:meth:`services.hall.CityHall.mark_breaches`) and an ``sla_breached`` event goes to
``services/sla``. Closing a request on time simply leaves nothing to flag.

:class:`Counters` holds the live figures the control room shows: requests received, open and
closed per department and per district, breaches, resolution times; :meth:`Counters.snapshot`
adds the queues and staff utilisation of the crews and desks. The component publishes a
snapshot every hour as a ``counters`` event on ``services/monitor``.
"""
from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np


class SlaMonitor:
    """Flags requests that pass their SLA due time while open."""

    def __init__(self, twin, hall, counters: "Counters", check_min: float = 5.0):
        self.twin = twin
        self.hall = hall
        self.counters = counters
        self.check_s = check_min * 60.0
        self._heap: list[tuple[float, int]] = []
        self.info: dict[int, dict] = {}
        twin.env.process(self._loop())

    def watch(self, request_id: int, due_s: float, **info) -> None:
        """Watch request ``request_id``, due at simulated second ``due_s``."""
        heapq.heappush(self._heap, (due_s, request_id))
        self.info[request_id] = info

    def closed(self, request_id: int) -> None:
        self.info.pop(request_id, None)

    def _loop(self):
        env = self.twin.env
        while True:
            yield env.timeout(self.check_s)
            due = []
            while self._heap and self._heap[0][0] <= env.now:
                _, rid = heapq.heappop(self._heap)
                if rid in self.info:
                    due.append(rid)
            if not due:
                continue
            flagged = set(self.hall.mark_breaches(ids=due)) if self.hall is not None else set(due)
            for rid in due:
                info = self.info.pop(rid)
                if rid not in flagged:
                    continue
                self.counters.breach(info["department"], info.get("district"))
                self.twin.emit("services/sla", "sla_breached", f"request:{rid}", info.get("citizen") or "",
                               info.get("lon", np.nan), info.get("lat", np.nan), service_code=info["service_code"],
                               department=info["department"], sla_h=info["sla_h"],
                               district=info.get("district"))


class Counters:
    """Live counters per department and per district (see the module docstring)."""

    def __init__(self):
        self.received = defaultdict(int)
        self.duplicates = defaultdict(int)
        self.rejected = defaultdict(int)
        self.closed = defaultdict(int)
        self.breached = defaultdict(int)
        self.resolution_h: dict[str, list[float]] = defaultdict(list)
        self.district = defaultdict(lambda: {"received": 0, "closed": 0, "breached": 0, "resolution_h": []})
        self.sla_met = 0
        self.sla_missed = 0
        self.pools: dict = {}
        self.desks: dict = {}

    def receive(self, department: str, district, duplicate: bool) -> None:
        self.received[department] += 1
        if duplicate:
            self.duplicates[department] += 1
        self.district[district or "?"]["received"] += 1

    def reject(self, department: str) -> None:
        self.rejected[department] += 1

    def close(self, department: str, district, hours: float, sla_met: bool | None) -> None:
        self.closed[department] += 1
        self.resolution_h[department].append(hours)
        d = self.district[district or "?"]
        d["closed"] += 1
        d["resolution_h"].append(hours)
        if sla_met is True:
            self.sla_met += 1
        elif sla_met is False:
            self.sla_missed += 1

    def breach(self, department: str, district) -> None:
        self.breached[department] += 1
        self.district[district or "?"]["breached"] += 1

    def open_now(self) -> dict[str, int]:
        """Open requests per department (duplicates count until they close with their first)."""
        return {d: self.received[d] - self.closed[d] - self.rejected[d]
                for d in self.received if self.received[d] - self.closed[d] - self.rejected[d]}

    def snapshot(self, elapsed_s: float | None = None) -> dict:
        """Everything, as plain numbers (the ``counters`` event and the KPIs)."""
        def med(v):
            return round(float(np.median(v)), 2) if len(v) else None

        departments = {}
        for d in sorted(set(self.received) | set(self.pools) | set(self.desks)):
            if not self.received[d]:
                continue
            row = {"received": self.received[d], "duplicates": self.duplicates[d], "closed": self.closed[d],
                   "rejected": self.rejected[d], "sla_breached": self.breached[d],
                   "median_resolution_h": med(self.resolution_h[d])}
            if d in self.pools:
                row["crews"] = self.pools[d].kpis(elapsed_s)
            if d in self.desks:
                row["desk"] = self.desks[d].kpis(elapsed_s)
            departments[d] = row
        districts = {k: {"received": v["received"], "closed": v["closed"], "breached": v["breached"],
                         "median_resolution_h": med(v["resolution_h"])} for k, v in sorted(self.district.items())}
        total_closed = self.sla_met + self.sla_missed
        return {"received": int(sum(self.received.values())), "open": int(sum(self.open_now().values())),
                "closed": int(sum(self.closed.values())), "duplicates": int(sum(self.duplicates.values())),
                "rejected": int(sum(self.rejected.values())), "sla_breached": int(sum(self.breached.values())),
                "sla_met_share": round(self.sla_met / total_closed, 3) if total_closed else None,
                "backlog": {d: p.queue_length for d, p in {**self.pools, **self.desks}.items() if p.queue_length},
                "departments": departments, "districts": districts}
