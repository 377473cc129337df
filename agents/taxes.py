"""Local taxes: households pay building, land and vehicle tax, with a rush before the deadline.

Romanian local taxes (Codul fiscal, Law 227/2015, arts. 462, 467, 472) are due in two equal
instalments, by **31 March** and by **30 September**; paying the whole year by 31 March earns a
discount of up to 10 % set by the local council (Brașov grants 10 %). Most households pay once,
before the first deadline, and many in its last days.

Each household owes building and land tax (≈ 95 % of Romanians own their home: Eurostat
ilc_lvho02, 2022) and, with a car, vehicle tax. Amounts are log-normal around typical Brașov
values (assumptions: building 250 RON, land 35 RON, vehicle 200 RON a year). Payments on day
``d`` before the deadline arrive at a rate proportional to ``exp(-(deadline - d) / rush_days)``
so that ``early_share`` of households have paid by the deadline; after it, stragglers pay at
``late_rate_per_day``. A payment is made online (card, ghiseul.ro) by households whose payer uses
the online tax service (:mod:`agents.adoption`; without it: whose payer has digital skills), at a
cashier or kiosk otherwise; amounts are in bani (1 RON = 100 bani).
Each payment is a ``tax_payment`` event on ``citizens/payment`` — **without the payer**: no
pseudonym, no household, no place (only tax type, amount, discount, year, channel, language), so
the public log cannot tie a payment, and through its time and amount the ledger's salted payer
hash, to a citizen. Who paid goes only to the components registered in :attr:`Taxes.on_payment`
(the ledger, which records it under the payer's pseudonym and can erase it).
"""
from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agents import personas as P
from agents.population import OCCUPATIONS

TAX_TYPES = ("building", "land", "vehicle")


class TaxParams(BaseModel):
    """Amounts (RON a year, medians), shares and timing of local-tax payments."""

    model_config = ConfigDict(extra="forbid")
    deadline_month: int = Field(3, ge=1, le=12)
    deadline_day: int = Field(31, ge=1, le=31)
    discount: float = Field(0.10, ge=0, le=0.10)   # Codul fiscal: at most 10 %
    early_share: float = Field(0.60, ge=0, le=1)
    rush_days: float = Field(12.0, gt=0)
    late_rate_per_day: float = Field(0.002, ge=0, le=1)
    owner_share: float = Field(0.95, ge=0, le=1)
    building_ron: float = Field(250.0, gt=0)
    land_ron: float = Field(35.0, gt=0)
    vehicle_ron: float = Field(200.0, gt=0)
    amount_sigma: float = Field(0.5, ge=0)


class Taxes:
    """Households paying local taxes (component ``"taxes"``)."""

    name = "taxes"

    def __init__(self, params: TaxParams | None = None):
        self.p = params or TaxParams()
        self.payments = 0
        self.bani = 0
        self.discount_bani = 0
        self.by_channel: dict[str, int] = {}
        #: called ``f(payer_pseudonym, tax_type, amount_bani, t)`` for every payment, in process
        #: only (never published): how the ledger learns who paid
        self.on_payment: list = []

    def attach(self, twin) -> None:
        self.twin = twin
        pop = twin.component("population").pop
        self.pop = pop
        rng = twin.rng.get("taxes")
        self.rng = rng
        try:
            adoption = twin.component("adoption")
            self.adoption = adoption if adoption.p.enabled else None
        except KeyError:
            self.adoption = None
        hh = pop.household
        n_h = pop.n_households
        # the payer of a household: its oldest member (ties: lowest id)
        order = np.lexsort((np.arange(len(pop)), -pop.age.astype(np.int64), hh))
        first = np.r_[True, hh[order][1:] != hh[order][:-1]]
        self.payer = np.full(n_h, -1, np.int64)
        self.payer[hh[order][first]] = order[first]
        tourist = pop.occupation == OCCUPATIONS.index("visitor")   # visitors pay nothing here
        owes = np.zeros(n_h, bool)
        owes[hh[~tourist]] = True
        owes &= rng.random(n_h) < self.p.owner_share
        self.owes = owes
        s = self.p.amount_sigma
        self.amount = np.stack([
            np.round(self.p.building_ron * np.exp(rng.normal(0, s, n_h)) * 100),
            np.round(self.p.land_ron * np.exp(rng.normal(0, s, n_h)) * 100),
            np.where(np.bincount(hh, weights=pop.has_car, minlength=n_h) > 0,
                     np.round(self.p.vehicle_ron * np.exp(rng.normal(0, s, n_h)) * 100), 0)], axis=1).astype(np.int64)
        self.paid = np.zeros(n_h, bool)
        # households that paid before the run started
        start = twin.start.date()
        dl = self._deadline(start.year)
        before = self._cum_share(start, dl)
        self.paid[owes & (rng.random(n_h) < before)] = True
        self.paid_before_start = int(self.paid.sum())
        twin.env.process(self._days())

    def _deadline(self, year: int) -> date:
        """The deadline of ``year``; a day past the month's end means its last day."""
        last = calendar.monthrange(year, self.p.deadline_month)[1]
        return date(year, self.p.deadline_month, min(self.p.deadline_day, last))

    def _weights(self, deadline: date) -> tuple[date, np.ndarray]:
        jan1 = date(deadline.year, 1, 1)
        days = np.arange((deadline - jan1).days + 1)
        w = np.exp(-(days[-1] - days) / self.p.rush_days)
        return jan1, w / w.sum()

    def _cum_share(self, day: date, deadline: date) -> float:
        """Share of households that have paid before ``day``."""
        jan1, w = self._weights(deadline)
        k = (day - jan1).days
        return self.p.early_share * float(w[:max(0, min(k, len(w)))].sum())

    def share_on(self, day: date) -> float:
        """Share of all households expected to pay on ``day``."""
        deadline = self._deadline(day.year)
        jan1, w = self._weights(deadline)
        k = (day - jan1).days
        if 0 <= k < len(w):
            return self.p.early_share * float(w[k])
        return (1 - self.p.early_share) * self.p.late_rate_per_day

    def _days(self):
        env = self.twin.env
        while True:
            day = (self.twin.start + timedelta(seconds=env.now)).date()
            unpaid = np.nonzero(self.owes & ~self.paid)[0]
            deadline = self._deadline(day.year)
            # probability for an unpaid household, so that the expected count is share_on(day)
            left = max(1e-9, 1.0 - self._cum_share(day, deadline))
            prob = min(1.0, self.share_on(day) / left)
            payers = unpaid[self.rng.random(len(unpaid)) < prob]
            # during the day: 08:00–22:00, more in the evening online
            t_day = int(env.now // 86400) * 86400.0
            times = t_day + np.sort(self.rng.uniform(8, 22, len(payers))) * 3600.0
            self.rng.shuffle(payers)
            early = day <= deadline
            for h, t in zip(payers.tolist(), times.tolist()):
                if t > env.now:
                    yield env.timeout(t - env.now)
                self._pay(h, early, day.year)
            yield env.timeout(t_day + 86400.0 - env.now)

    def _pay(self, h: int, early: bool, year: int) -> None:
        c = int(self.payer[h])
        pop = self.pop
        online = self.adoption.uses(c, "taxes") if self.adoption is not None else pop.digital[c]
        channel = "online" if online else ("kiosk" if self.rng.random() < 0.2 else "cashier")
        self.paid[h] = True
        for k, tax in enumerate(TAX_TYPES):
            due = int(self.amount[h, k])
            if due <= 0:
                continue
            disc = int(round(due * self.p.discount)) if early else 0
            self.payments += 1
            self.bani += due - disc
            self.discount_bani += disc
            self.by_channel[channel] = self.by_channel.get(channel, 0) + 1
            for pay in self.on_payment:
                pay(f"citizen:{c}", tax, due - disc, self.twin.now)
            self.twin.emit("citizens/payment", "tax_payment", "", "", math.nan, math.nan, tax_type=tax,
                           amount_bani=due - disc, discount_bani=disc, year=year, channel=channel,
                           lang=P.LANGUAGES[pop.language[c]])

    def kpis(self) -> dict:
        return {"payments": self.payments, "amount_ron": round(self.bani / 100, 2),
                "discount_ron": round(self.discount_bani / 100, 2), "by_channel": self.by_channel,
                "households_liable": int(self.owes.sum()), "paid_before_start": self.paid_before_start,
                "households_paid": int(self.paid.sum())}
