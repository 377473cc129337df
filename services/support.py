"""The support line of the digital services: where citizens stuck in onboarding wait for help.

A citizen whose sign-up step fails (digital skills, accessibility, the identity step) may ask for
help (:mod:`agents.adoption`): a hand-off from the chatbot to a person if they are digitally able,
a phone call otherwise. In a run with the city hall, those contacts are not served by the
funnel's own daily queue but here, at a real :class:`services.desks.Desk` named ``support``::

    support_requested (citizens/adoption) ─► SupportLine: Desk "support" (office hours, FIFO)
                                              │                           │
          support_answered (services/support) ◄┘ a person handled it      └► support_abandoned
                                                                             (waited past patience)

and :class:`agents.adoption.Adoption` reads the answers back from the bus: a contact answered
gets the citizen through (or not), a long wait lowers their trust, giving up drops them out.
The desk's queue therefore responds to adoption (a campaign brings more sign-ups, more failures,
longer waits), and its waits, utilisation and backlog appear with the other desks'
(``services.departments.support``, the hourly ``counters``).

**Staffing.** The team size is the funnel's ``adoption.support_staff_per_100k`` (people per
100,000 inhabitants, a scaled population gets the same share of them), each handling
``contacts_per_staff_per_day`` contacts in an 8-hour working day (assumptions, see
:class:`agents.adoption.AdoptionParams`). A team of ``s`` people becomes ``max(1, round(s))``
clerks whose handling time keeps the team's capacity exact: at a small population the fraction
of a person is one clerk working proportionally slower. The line is open 08:00–16:00 on
weekdays, like the city hall's desks (assumption). A contact waits at most its citizen's
patience (``support_patience_days`` × their patience relative to the median), as a ticket in
the queue, not on hold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from services.desks import Desk, Hours

#: the working day of the support line, in minutes (08:00–16:00)
WORKDAY_MIN = 8 * 60.0


@dataclass
class Contact:
    citizen: str
    family: str
    via: str
    t0: float
    started: float = math.nan


def staffing(staff: float, contacts_per_staff_per_day: float) -> tuple[int, float]:
    """``(clerks, mean handling minutes)`` of a team of ``staff`` people (possibly a fraction)
    each handling ``contacts_per_staff_per_day`` in a working day: the same contacts a day."""
    clerks = max(1, round(staff))
    per_contact = WORKDAY_MIN / contacts_per_staff_per_day
    return clerks, per_contact * clerks / max(staff, 1e-9)


class SupportLine:
    """The support desk of a run (see the module docstring); built by
    :class:`services.component.CityServices` when the run has an adoption funnel."""

    def __init__(self, twin, adoption, desks: dict):
        self.twin = twin
        p = adoption.p
        staff = p.support_staff_per_100k * len(adoption.pop) / 100_000.0
        clerks, mean_min = staffing(staff, p.contacts_per_staff_per_day)
        self.staff = staff
        self.desk = Desk(twin.env, "support", clerks, mean_min, twin.rng.get("services_support"),
                         hours=Hours(8, 16, True), clock=lambda now: twin.start + timedelta(seconds=now),
                         on_start=self._start, on_done=self._done, on_abandon=self._abandoned)
        desks["support"] = self.desk
        adoption.support_desk = True                    # the funnel no longer queues its contacts itself
        twin.bus.subscribe(twin.topic("citizens/adoption"), self._on_adoption)

    def _on_adoption(self, event) -> None:
        if event.kind != "support_requested":
            return
        pl = event.payload
        job = Contact(event.entity, str(pl["family"]), str(pl["via"]), self.twin.now)
        self.desk.submit(job, 2, float(pl["patience_h"]) * 3600.0)

    def _start(self, job: Contact, wait_s: float) -> None:
        job.started = self.twin.now

    def _done(self, job: Contact, work_s: float) -> None:
        self.twin.emit("services/support", "support_answered", job.citizen, "", family=job.family, via=job.via,
                       wait_h=round((job.started - job.t0) / 3600.0, 3))

    def _abandoned(self, job: Contact, waited_s: float) -> None:
        self.twin.emit("services/support", "support_abandoned", job.citizen, "", family=job.family, via=job.via,
                       wait_h=round(waited_s / 3600.0, 3))

    def kpis(self) -> dict:
        return {"staff": round(self.staff, 3), "clerks": self.desk.clerks,
                "mean_handling_min": round(self.desk.mean_s / 60.0, 2)} | self.desk.kpis(self.twin.now or None)


__all__ = ["SupportLine", "staffing"]
