"""What citizens ask of the city hall: reports, chatbot questions, permits, feedback.

**Reports.** Problems appear at the MyCluj rate (≈ 0.19 per 1,000 inhabitants a day) with the
MyCluj category mix (:mod:`agents.categories`). Each problem is somewhere:

* ``street`` problems (a pothole, a dark streetlight, illegal parking ...) lie on a road edge and
  are reported by a citizen **passing by**: every passer-by notices with probability
  ``notice_prob`` (the movement kernel counts who entered each edge); a problem nobody has
  reported after ``resident_report_h`` hours is reported by someone living nearby;
* ``place`` problems (noise, unauthorised works) are reported by a neighbour soon after; the
  place is the filer's home, so events show it only as its 500 m grid cell
  (:class:`twin.geoprivacy.HomeGrid`), never exactly next to the filer's pseudonym;
* ``none`` problems (taxes, social assistance) are filed from home; their events, and permit
  applications (also made from home), show the home's grid cell too.

Each problem becomes one ``report_filed`` event (topic ``citizens/report``) from a real citizen
of the population, through their channel — the digital one once they use the reporting service,
an offline one before (:meth:`agents.adoption.Adoption.channel`; without the adoption component,
the channel their profile prefers) — with their language,
notification channel and accessibility needs — what the services need to personalise replies.
Ground truth (``problem_created``) goes to ``incidents/problem`` for the analytics.

**Chatbot questions** (from the citizens who use the chatbot, as the adoption funnel has it that
day), **permit applications** (on the citizen's channel for permits) and **feedback** after a
request is closed (the services publish ``request_closed`` under ``services/...``) follow
Poisson rates per persona; every rate is a parameter.
"""
from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agents import personas as P
from agents.categories import BY_CODE, CATEGORIES, CODES, ReportStats, builtin_stats

CHAT_TOPICS = {"transport_schedule": 0.25, "office_info": 0.15, "documents_info": 0.15, "tax_info": 0.15,
               "request_status": 0.10, "permit_verify": 0.05, "greeting": 0.10, "out_of_scope": 0.05}
PERMIT_TYPES = ("urbanism_certificate", "building", "residential_parking")

DESCRIPTIONS = {
    "ro": {"street": "Problemă de tip „{ro}” pe {street}.", "place": "Sesizare „{ro}” la adresa mea.",
           "none": "Solicitare: {ro}."},
    "en": {"street": "{en} problem on {street}.", "place": "{en} at my address.", "none": "Request: {en}."},
}


class DemandParams(BaseModel):
    """Rates of what citizens ask for (per 1,000 inhabitants a day unless said otherwise)."""

    model_config = ConfigDict(extra="forbid")
    # None: from the MyCluj statistics (≈ 0.187)
    reports_per_1000_per_day: float | None = Field(None, ge=0)
    report_multiplier: float = Field(1.0, ge=0)
    notice_prob: float = Field(0.02, ge=0, le=1)
    resident_report_h: float = Field(12.0, gt=0)
    check_every_min: float = Field(10.0, gt=0)
    # questions a day per citizen whose preferred channel is the chatbot
    chat_per_user_per_day: float = Field(0.03, ge=0)
    # permits: Brașov issues ≈ 2,000 building permits and ≈ 6,000 urbanism certificates a year;
    # residential parking permits are renewed yearly by ≈ 40,000 households (assumptions)
    permits_per_1000_per_day: dict[str, float] = Field(default_factory=lambda: {
        "urbanism_certificate": 0.065, "building": 0.022, "residential_parking": 0.43})
    # share of citizens who rate a closed request
    feedback_share: float = Field(0.35, ge=0, le=1)


class Demand:
    """Citizens' reports, questions, permit applications and feedback (component ``"demand"``).

    Parameters
    ----------
    params
        :class:`DemandParams`.
    stats
        Report calibration (:func:`agents.categories.load_mycluj`); the built-in MyCluj figures
        by default.
    """

    name = "demand"

    def __init__(self, params: DemandParams | None = None, stats: ReportStats | None = None):
        self.p = params or DemandParams()
        self.stats = stats or builtin_stats()
        self.reports = {c: 0 for c in CODES}
        self.by_channel = {c: 0 for c in P.CHANNELS}
        self.problems_created = 0
        self.chat = {k: 0 for k in CHAT_TOPICS}
        self.permits = {k: 0 for k in PERMIT_TYPES}
        self.feedback: list[int] = []
        self._next_problem = 0

    def attach(self, twin) -> None:
        from scipy.spatial import cKDTree

        self.twin = twin
        self.pop = twin.component("population").pop
        self.mobility = twin.component("mobility")
        self.rng = twin.rng.get("demand")
        # feedback reacts to the services: its own stream, so that a scenario that changes the
        # services leaves the problems and reports the same (common random numbers)
        self.fb_rng = twin.rng.get("demand_feedback")
        # the adoption funnel decides each request's channel (None: the profile's fixed channel)
        try:
            adoption = twin.component("adoption")
            self.adoption = adoption if adoption.p.enabled else None
        except KeyError:
            self.adoption = None
        city = twin.city
        a = city.arrays
        self.edges = city.core_edges("both")
        w = a["edge_length_mm"][self.edges].astype(np.float64)
        self.edge_p = w / w.sum()
        homes = self.pop.home
        self._home_tree = cKDTree(np.column_stack([a["node_x"][homes], a["node_y"][homes]])) if len(homes) else None
        # pending street problems
        self.pend_id = np.zeros(0, np.int64)
        self.pend_cat = np.zeros(0, np.int16)
        self.pend_edge = np.zeros(0, np.int32)
        self.pend_t = np.zeros(0, np.float64)
        self.pend_seen = np.zeros(0, np.int64)
        twin.env.process(self._problems())
        twin.env.process(self._questions())
        twin.bus.subscribe(f"{twin.topic_root}/services/#", self._on_service_event)

    def channel(self, citizen: int, family: str) -> str:
        """The channel of citizen ``citizen``'s request of ``family`` (reports, permits …)."""
        if self.adoption is not None:
            return self.adoption.channel(citizen, family)
        return P.CHANNELS[self.pop.channel[citizen]]

    # ---- problems and reports ------------------------------------------------------------------
    @property
    def rate_per_1000(self) -> float:
        base = self.p.reports_per_1000_per_day
        return (self.stats.per_1000_per_day if base is None else base) * self.p.report_multiplier

    def _problems(self):
        env = self.twin.env
        dt = self.p.check_every_min * 60.0
        shares = np.array([self.stats.shares[c] for c in CODES])
        n_pop = len(self.pop)
        while True:
            yield env.timeout(dt)
            lam = self.rate_per_1000 * n_pop / 1000.0 * dt / 86400.0
            factor = np.array([self.twin.conditions.rate(c) for c in CODES])   # timeline events
            counts = self.rng.poisson(lam * shares * factor)
            for k in np.nonzero(counts)[0]:
                self._create(int(k), int(counts[k]), dt)
            self._discover()

    def _create(self, k: int, count: int, dt: float) -> None:
        cat = CATEGORIES[k]
        now = self.twin.now
        times = now - self.rng.random(count) * dt        # appeared during the last interval
        ids = self._next_problem + np.arange(count)
        self._next_problem += count
        self.problems_created += count
        a = self.twin.city.arrays
        if cat.where == "street":
            edges = self.rng.choice(self.edges, size=count, p=self.edge_p)
            lon, lat = self.twin.city.edge_midpoints(edges)
            self.pend_id = np.r_[self.pend_id, ids]
            self.pend_cat = np.r_[self.pend_cat, np.full(count, k, np.int16)]
            self.pend_edge = np.r_[self.pend_edge, edges]
            self.pend_t = np.r_[self.pend_t, times]
            self.pend_seen = np.r_[self.pend_seen, self.mobility.fleet.traffic[edges]]
        else:
            who = self.rng.integers(0, len(self.pop), size=count)
            edges = np.full(count, -1)
            nodes = self.pop.home[who]       # filed from home: the home is shown as its grid cell only
            lon, lat = self.mobility.grid.centres(a["node_lon"][nodes], a["node_lat"][nodes])
        for i in range(count):
            self.twin.emit("incidents/problem", "problem_created", f"problem:{ids[i]}", "",
                           lon[i], lat[i], service_code=cat.code, failure=cat.failure, edge=int(edges[i]),
                           appeared_at=round(float(times[i]), 1))
        if cat.where != "street":
            for i in range(count):
                self._file(int(who[i]), k, int(ids[i]), float(lon[i]), float(lat[i]),
                           "neighbour" if cat.where == "place" else "home", None)

    def _discover(self) -> None:
        """Passers-by notice street problems; old unnoticed ones are reported by a resident."""
        if not len(self.pend_id):
            return
        now = self.twin.now
        fleet = self.mobility.fleet
        passes = fleet.traffic[self.pend_edge] - self.pend_seen
        self.pend_seen = fleet.traffic[self.pend_edge].copy()
        p_seen = 1.0 - (1.0 - self.p.notice_prob) ** passes
        seen = self.rng.random(len(passes)) < p_seen
        old = (now - self.pend_t) > self.p.resident_report_h * 3600.0
        done = seen | old
        if not done.any():
            return
        a = self.twin.city.arrays
        movers = fleet.active[:fleet.n_active]
        on_edge = fleet.current_edges(movers) if len(movers) else np.zeros(0, np.int32)
        lons, lats = self.twin.city.edge_midpoints(self.pend_edge)
        for j in np.nonzero(done)[0]:
            e = int(self.pend_edge[j])
            lon, lat = float(lons[j]), float(lats[j])
            here = movers[on_edge == e] if seen[j] else movers[:0]
            if len(here):
                who, how = int(self.rng.choice(here)), "passer_by"
            else:
                x = (a["node_x"][a["edge_u"][e]] + a["node_x"][a["edge_v"][e]]) / 2
                y = (a["node_y"][a["edge_u"][e]] + a["node_y"][a["edge_v"][e]]) / 2
                _, near = self._home_tree.query([x, y], k=min(5, len(self.pop)))
                who, how = int(self.rng.choice(np.atleast_1d(near))), ("passer_by" if seen[j] else "resident")
            self._file(who, int(self.pend_cat[j]), int(self.pend_id[j]), lon, lat, how, e)
        keep = ~done
        self.pend_id, self.pend_cat = self.pend_id[keep], self.pend_cat[keep]
        self.pend_edge, self.pend_t, self.pend_seen = self.pend_edge[keep], self.pend_t[keep], self.pend_seen[keep]

    def _file(self, citizen: int, k: int, problem: int, lon: float, lat: float, how: str, edge) -> None:
        cat = CATEGORIES[k]
        prof = self.pop.profile(citizen)
        lang = prof["language"] if prof["language"] in DESCRIPTIONS else "ro"
        names = self.twin.city.edge_names
        street = "strada" if lang == "ro" else "the street"
        if edge is not None and self.twin.city.arrays["edge_name"][edge] >= 0:
            street = names[self.twin.city.arrays["edge_name"][edge]]
        text = DESCRIPTIONS[lang][cat.where].format(ro=cat.ro, en=cat.en, street=street)
        channel = self.channel(citizen, "reports")
        self.reports[cat.code] += 1
        self.by_channel[channel] += 1
        self.twin.emit("citizens/report", "report_filed", prof["citizen"], f"problem:{problem}", lon, lat,
                       service_code=cat.code, description=text, discovered_by=how, channel=channel,
                       lang=prof["language"], notify=prof["notify"], access_needs=prof["access_needs"],
                       persona=prof["persona"], district=int(self.pop.district[citizen]))

    # ---- questions and permits ----------------------------------------------------------------
    def _questions(self):
        env = self.twin.env
        dt = 3600.0
        users = np.nonzero(self.pop.channel == P.CHANNELS.index("chatbot"))[0]
        users_day = -1
        topics = list(CHAT_TOPICS)
        tp = np.array(list(CHAT_TOPICS.values()))
        a = self.twin.city.arrays
        while True:
            yield env.timeout(dt)
            hour = int(env.now // 3600) % 24
            if self.adoption is not None and int(env.now // 86400) != users_day:
                users, users_day = self.adoption.chat_users(), int(env.now // 86400)   # who uses it today
            awake = 0.2 if hour < 7 or hour >= 23 else 1.0
            n = self.rng.poisson(len(users) * self.p.chat_per_user_per_day * dt / 86400.0 * awake * 1.25)
            who = users[self.rng.integers(0, len(users), size=n)] if len(users) else []
            for c in who:
                topic = topics[self.rng.choice(len(topics), p=tp / tp.sum())]
                self.chat[topic] += 1
                prof = self.pop.profile(int(c))
                self.twin.emit("citizens/chat", "chat_question", prof["citizen"], "", math.nan, math.nan,
                               intent=topic, lang=prof["language"], access_needs=prof["access_needs"])
            for kind, rate in self.p.permits_per_1000_per_day.items():
                m = self.rng.poisson(rate * len(self.pop) / 1000.0 * dt / 86400.0 * awake * 1.25)
                for c in self.rng.integers(0, len(self.pop), size=m):
                    self.permits[kind] = self.permits.get(kind, 0) + 1
                    node = self.pop.home[c]
                    prof = self.pop.profile(int(c))
                    lon, lat = self.mobility.grid.centres([a["node_lon"][node]], [a["node_lat"][node]])
                    self.twin.emit("citizens/permit", "permit_application", prof["citizen"], "",
                                   float(lon[0]), float(lat[0]), permit_type=kind,
                                   channel=self.channel(int(c), "permits"), lang=prof["language"])

    # ---- feedback ------------------------------------------------------------------------------
    def _on_service_event(self, event) -> None:
        if event.kind != "request_closed" or not event.entity.startswith("citizen:"):
            return
        c = int(event.entity.split(":")[1])
        if not 0 <= c < len(self.pop) or self.fb_rng.random() >= self.p.feedback_share:
            return
        hours = float(event.payload.get("resolution_h", 24.0))
        sla_met = bool(event.payload.get("sla_met", True))
        score = 4.3 - (0 if sla_met else 1.2) - min(hours / 24.0, 10) * 0.15 + self.fb_rng.normal(0, 0.6)
        rating = int(np.clip(round(score), 1, 5))
        self.feedback.append(rating)
        self.twin.emit("citizens/feedback", "feedback", event.entity, event.ref, event.lon, event.lat,
                       rating=rating, channel=self.channel(c, "reports"))

    def kpis(self) -> dict:
        fb = np.asarray(self.feedback)
        return {"problems_created": self.problems_created, "reports_filed": int(sum(self.reports.values())),
                "pending_unreported": int(len(self.pend_id)),
                "reports_by_category": {k: v for k, v in self.reports.items() if v},
                "reports_by_channel": {k: v for k, v in self.by_channel.items() if v},
                "rate_per_1000_per_day": round(self.rate_per_1000, 4),
                "chat_questions": int(sum(self.chat.values())), "chat_by_intent": self.chat,
                "permit_applications": self.permits,
                "feedback": {"count": int(len(fb)), "mean": round(float(fb.mean()), 2) if len(fb) else None}}


__all__ = ["Demand", "DemandParams", "BY_CODE", "CHAT_TOPICS", "PERMIT_TYPES"]
