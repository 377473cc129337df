"""The adoption funnel: how each citizen comes to use (or not) the city's digital services.

The case study's journey map — awareness → consideration → onboarding → usage → support →
feedback — is kept per citizen **and per service family** (:data:`FAMILIES`: reports, local
taxes, permits, transport information) as one ``int8`` stage array of shape
``(citizens, families)`` (struct-of-arrays, like :mod:`agents.population`), so a citizen is in
exactly one stage of each service at any time::

    unaware ─► aware ─► considering ─► onboarding ─► using
                  │            │             │           │
                  └────────────┴──► dropped (with a reason) ◄┘   (dropped may try again)

**Who is counted.** The sources count people aged 16–74; the funnel holds the citizens aged 15+
(the twin's age groups start at 15). Children (0–14) stay unaware, are in no count, share or gap,
and use the offline channel; the 75+ cannot be told apart from the 65–74 and stay in.

**Daily batches.** At every midnight :class:`Adoption` advances every citizen by at most one
stage per service, all transitions drawn from the start-of-day state with a fixed number of
random numbers a day (so that two scenarios differing in one intervention keep their common
random numbers). What moves citizens:

* **awareness** — a base rate (media, word of mouth), *neighbours* (the share of the district's
  citizens already using the service), *visible results* (reports resolved in the district that
  day, each seen by ``fix_seen_by`` people: a fixed pothole advertises the reporting app),
  being told of the online option after giving up in a desk queue, and *campaigns*
  (:class:`Campaign`: a district, a persona, a channel);
* **consideration** — an aware citizen weighs the service once in a while and goes on with
  probability ``trust × (1 − privacy concern)``; the others drop out (``trust_privacy``);
* **onboarding** — the account and identity step can fail on digital skills (much less with an
  *assisted kiosk*), on accessibility needs, or on the identity step (ROeID); a failure leads to
  a **support contact** (chatbot hand-off for the digitally able, phone otherwise) served by a
  support team (``support_staff_per_100k`` people per 100,000 inhabitants) in a FIFO queue: a
  citizen who waits longer than their patience drops out (``support_wait``), the others are
  helped through (or not); every day waited costs trust (``support_wait_trust``). In a run with
  the city hall the queue is its support line, a desk with office hours
  (:mod:`services.support`: ``support_requested`` out, ``support_answered`` /
  ``support_abandoned`` back); without it (the funnel alone) a daily queue here;
* **usage and feedback** — users file on their digital channel; the rating a citizen gives after
  a request closes (``citizens/feedback``) moves their trust up or down, and a user whose trust
  falls below ``lapse_trust`` stops (``bad_experience``).

**Channels emerge.** :meth:`Adoption.channel` gives the channel of a citizen's request of a
family: their digital channel (web, app, chatbot — or kiosk when they onboarded at an assisted
kiosk) once they use the service, their offline channel (phone, in person, kiosk) otherwise.
:mod:`agents.demand` and :mod:`agents.taxes` ask it, so desk queues, the chatbot's load and the
SLA respond to adoption.

**Events** (topic ``citizens/adoption``): ``adoption_state`` — at the start and after every
daily step, one row per (family, persona, district) with the citizens now in each stage and
those who ever reached each stage (aggregates only); ``adoption_changed`` — a citizen started
using a service or dropped out (with the reason and the days since they became aware);
``support_requested`` — a support contact sent to the city hall's support line;
``support_contact`` — a support contact served or abandoned, with its wait.

**Parameters** (:class:`AdoptionParams`) state their source where a Romanian figure exists:

* 23 % of Romanians aged 16–74 used a public authority's website or app in 2023, EU 69 %
  (Eurostat ``isoc_ciegi_ac``, news release 24 Sep 2024) — the starting share of users;
* 27.7 % have at least basic digital skills, EU 55.6 % (Eurostat ``isoc_sk_dskl_i21``, 2023) —
  who passes onboarding unaided (:attr:`agents.population.Population.digital`);
* 89 % used the internet in 2023 (``isoc_ci_ifp_iu``), but only ≈ 40 % of 65–74 year olds
  (Eurostat, 2020 survey) — the low awareness of the elderly persona.

Everything else is a **labelled assumption** (``# assumption`` beside it): rates per day, trust,
privacy concern, the identity step's success, support productivity. No Romanian survey gives them
per persona; they are chosen to reproduce the persona channel mixes of :mod:`agents.personas` at
the start, and every one is a scenario parameter.

Written by hand: the funnel is a handful of vectorised Bernoulli draws per day on NumPy arrays; no
agent-based or diffusion library adds anything over that, and a per-citizen object model (Mesa
agents) would be hundreds of times slower at Brașov's 250,000 citizens.
"""
from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents import personas as P
from twin.errors import TwinError

FAMILIES = ("reports", "taxes", "permits", "transport_info")
STAGES = ("unaware", "aware", "considering", "onboarding", "using", "dropped")
UNAWARE, AWARE, CONSIDERING, ONBOARDING, USING, DROPPED = range(6)
#: why a citizen dropped out (index 0: not dropped)
REASONS = ("", "trust_privacy", "digital_skills", "accessibility", "identity_step", "support_wait",
           "bad_experience")
DIGITAL = ("web", "app", "chatbot")
OFFLINE = ("phone", "in_person", "kiosk")
#: the service family a chatbot question is about
FAMILY_OF_CHAT = {"transport_schedule": "transport_info", "tax_info": "taxes", "documents_info": "permits",
                  "permit_verify": "permits", "request_status": "reports", "office_info": "reports",
                  "greeting": "reports", "out_of_scope": "reports"}
#: personas whose gap to the others is the inclusion gap
VULNERABLE = ("elderly_low_digital", "disability")


def _per_persona(v: dict, name: str) -> dict:
    unknown = set(v) - set(P.PERSONAS)
    if unknown:
        raise ValueError(f"{name}: unknown persona(s) {sorted(unknown)}; allowed: {list(P.PERSONAS)}")
    bad = {k: x for k, x in v.items() if not 0 <= x <= 1}
    if bad:
        raise ValueError(f"{name}: values must be in [0, 1], got {bad}")
    return v


def _one_of(value: str, field: str) -> str:
    """``value`` if it is a known persona, service family or promoted channel (by ``field``);
    otherwise a ValueError naming the field, the value and what is allowed."""
    allowed = {"persona": P.PERSONAS, "family": FAMILIES, "channel": DIGITAL + ("kiosk",)}[field]
    if value not in allowed:
        raise ValueError(f"{field} {value!r} is not one of {list(allowed)}")
    return value


class Campaign(BaseModel):
    """An awareness campaign: who it reaches, from when, for how long, how hard.

    ``district`` is a district name (matched ignoring case and diacritics), or a mapping from a
    city (``demo``, ``brasov`` …) to its district name, so one scenario file works in several
    cities; None reaches the whole city. ``persona`` and ``family`` narrow it (None: all);
    ``channel`` is the digital channel it promotes (the reached citizens' channel once they use
    the service; None keeps theirs).
    """

    model_config = ConfigDict(extra="forbid")
    district: str | dict[str, str] | None = None
    persona: str | None = None
    family: str | None = None
    channel: str | None = None
    start_day: float = Field(0.0, ge=0)
    days: float = Field(14.0, gt=0)
    # chance a day that an unaware citizen in its target hears of the service (posters, letters,
    # a stand at the market); assumption
    reach_per_day: float = Field(0.04, ge=0, le=1)

    @field_validator("persona", "family", "channel")
    @classmethod
    def _known(cls, v, info):
        return v if v is None else _one_of(v, info.field_name)


class Course(BaseModel):
    """A digital-skills course: seats a day per 100,000 inhabitants, for one persona."""

    model_config = ConfigDict(extra="forbid")
    persona: str = "elderly_low_digital"
    # 0: no course. 20 seats a day per 100,000 ≈ 56 a day in Brașov (a library programme; assumption)
    seats_per_100k_per_day: float = Field(0.0, ge=0)
    start_day: float = Field(0.0, ge=0)
    # share of participants who come out with basic digital skills (assumption)
    pass_share: float = Field(0.8, ge=0, le=1)

    @field_validator("persona")
    @classmethod
    def _persona(cls, v):
        return _one_of(v, "persona")


class AdoptionParams(BaseModel):
    """Starting shares, daily rates and interventions of the adoption funnel (see the module
    docstring for the sources; every unsourced figure is marked as an assumption)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    # share of each persona's 15+ using the city's digital services at the start. Weighted by the
    # personas' shares of the 15+ (children are outside the funnel) this is 0.229: Eurostat
    # isoc_ciegi_ac 2023, Romania 23 % of 16–74 year olds used a public authority's website or
    # app in the last 12 months. The split by persona is an assumption.
    start_using: dict[str, float] = Field(default_factory=lambda: {
        "elderly_low_digital": 0.03, "disability": 0.15, "digital_worker": 0.50, "student": 0.42,
        "small_business": 0.46, "tourist": 0.30, "resident": 0.10})
    # usage relative to the average, per family (assumption: more people check a timetable online
    # than apply for a permit online; EU-wide 42 % obtain information online, 29 % file tax
    # declarations, 18 % request documents — isoc_ciegi_ac 2023)
    family_factor: dict[str, float] = Field(default_factory=lambda: {
        "reports": 0.9, "taxes": 1.0, "permits": 0.6, "transport_info": 1.5})
    # share of the non-users who know the digital service exists (assumption; low for the elderly:
    # ≈ 40 % of 65–74 year olds use the internet at all, Eurostat 2020)
    start_aware: dict[str, float] = Field(default_factory=lambda: {
        "elderly_low_digital": 0.20, "disability": 0.45, "digital_worker": 0.85, "student": 0.80,
        "small_business": 0.80, "tourist": 0.30, "resident": 0.50})
    # of the aware non-users at the start, the share who have already declined (dropped for
    # trust or privacy) rather than not decided yet (assumption)
    start_declined: float = Field(0.5, ge=0, le=1)
    # users among those without digital skills, relative to the skilled (helped by family; assumption)
    unskilled_use_factor: float = Field(0.3, ge=0, le=1)
    # ---- awareness (per day; assumptions)
    awareness_per_day: float = Field(0.002, ge=0, le=1)
    neighbour_weight: float = Field(0.03, ge=0, le=1)      # × the district's share of users
    fix_seen_by: float = Field(40.0, ge=0)                 # people who notice one resolved report
    # ---- consideration (assumptions; Romanians' trust in public institutions is among the EU's
    # lowest, Standard Eurobarometer 99, 2023: ≈ 30 % trust the government)
    decide_per_day: float = Field(0.03, ge=0, le=1)
    trust_mean: dict[str, float] = Field(default_factory=lambda: {
        "elderly_low_digital": 0.45, "disability": 0.55, "digital_worker": 0.70, "student": 0.70,
        "small_business": 0.60, "tourist": 0.65, "resident": 0.55})
    trust_sd: float = Field(0.15, ge=0, le=1)
    privacy_concern: dict[str, float] = Field(default_factory=lambda: {
        "elderly_low_digital": 0.35, "disability": 0.25, "digital_worker": 0.15, "student": 0.10,
        "small_business": 0.20, "tourist": 0.10, "resident": 0.25})
    retry_per_day: float = Field(0.01, ge=0, le=1)         # a dropped citizen considers again
    # ---- onboarding (per attempt; assumptions)
    onboard_per_day: float = Field(0.15, ge=0, le=1)      # a considering citizen starts onboarding
    attempt_per_day: float = Field(0.5, ge=0, le=1)       # an onboarding citizen tries the next step
    skill_pass_digital: float = Field(0.95, ge=0, le=1)
    skill_pass_unskilled: float = Field(0.25, ge=0, le=1)
    access_pass: float = Field(0.70, ge=0, le=1)          # with accessibility needs
    # the identity step (ROeID: video identification or a visit to a counter)
    identity_pass: float = Field(0.75, ge=0, le=1)
    # assisted kiosks in libraries: citizens without skills onboard there with this success and
    # file at the kiosk afterwards (None: no assisted kiosks)
    assisted_kiosks: bool = False
    assisted_skill_pass: float = Field(0.80, ge=0, le=1)
    # ---- support (assumptions)
    support_seek: float = Field(0.6, ge=0, le=1)          # a failed step leads to a support contact
    # people answering support contacts, per 100,000 inhabitants (≈ 20 in Brașov; a scaled
    # population gets the same share of them)
    support_staff_per_100k: float = Field(8.0, ge=0)
    contacts_per_staff_per_day: float = Field(40.0, gt=0)
    # days a citizen of median patience waits for support (scaled by their patience)
    support_patience_days: float = Field(2.0, gt=0)
    support_fix: float = Field(0.8, ge=0, le=1)           # a served contact gets them through
    # trust lost per day a support contact waits (a two-day wait costs about half a bad rating)
    support_wait_trust: float = Field(0.025, ge=0, le=1)
    # ---- feedback
    trust_up: float = Field(0.05, ge=0, le=1)             # rating 4–5
    trust_down: float = Field(0.10, ge=0, le=1)           # rating 1–2, or giving up in a queue
    lapse_trust: float = Field(0.2, ge=0, le=1)
    # ---- interventions
    campaigns: list[Campaign] = Field(default_factory=list)
    course: Course = Course()

    @field_validator("start_using", "start_aware", "trust_mean", "privacy_concern")
    @classmethod
    def _personas(cls, v, info):
        return _per_persona(v, info.field_name)

    @field_validator("family_factor")
    @classmethod
    def _families(cls, v):
        unknown = set(v) - set(FAMILIES)
        if unknown:
            raise ValueError(f"family_factor: unknown famil(ies) {sorted(unknown)}; allowed: {list(FAMILIES)}")
        return v


def _mix(persona: str, channels) -> np.ndarray:
    """The persona's channel mix restricted to ``channels`` (renormalised; uniform if empty)."""
    mix = P.CHANNEL_MIX[persona]
    w = np.array([mix.get(c, 0.0) for c in channels])
    return w / w.sum() if w.sum() > 0 else np.full(len(channels), 1.0 / len(channels))


def _fold(s: str) -> str:
    from twin.text import fold

    return fold(s)


class Adoption:
    """The adoption funnel of every citizen and service family (component ``"adoption"``).

    Parameters
    ----------
    params
        :class:`AdoptionParams`.
    city_key
        The scenario's ``city:`` (picks a campaign's district when it names one per city).
    """

    name = "adoption"

    def __init__(self, params: AdoptionParams | None = None, city_key: str | None = None):
        self.p = params or AdoptionParams()
        self.city_key = city_key
        self.day = 0
        self.support_waits_h: list[float] = []
        self.support_outcomes = {"solved": 0, "unsolved": 0, "gave_up": 0}
        self.changes = {"using": 0, "dropped": 0}
        self.drops = {r: 0 for r in REASONS[1:]}
        self.course_trained = 0
        self.days_to_adopt: list[float] = []
        #: True when the city hall's support line (:mod:`services.support`) answers the support
        #: contacts (set by it); False: the funnel's own daily queue does
        self.support_desk = False

    # ---- set-up ----------------------------------------------------------------------------
    def attach(self, twin) -> None:
        self.twin = twin
        self.pop = pop = twin.component("population").pop
        n, F = len(pop), len(FAMILIES)
        self.rng = twin.rng.get("adoption")
        init = twin.rng.get("adoption_start")
        self.srng = twin.rng.get("adoption_support")     # one draw a day: the day's fractional capacity
        p = self.p
        self.skilled = pop.digital.copy()
        # channels: the persona's digital and offline preferences
        self.digital_channel = np.zeros(n, np.int8)
        self.offline_channel = np.zeros(n, np.int8)
        for k, name in enumerate(P.PERSONAS):
            idx = np.nonzero(pop.persona == k)[0]
            d = init.choice(len(DIGITAL), size=len(idx), p=_mix(name, DIGITAL))
            o = init.choice(len(OFFLINE), size=len(idx), p=_mix(name, OFFLINE))
            self.digital_channel[idx] = np.array([P.CHANNELS.index(c) for c in DIGITAL], np.int8)[d]
            self.offline_channel[idx] = np.array([P.CHANNELS.index(c) for c in OFFLINE], np.int8)[o]
        # trust and privacy
        tm = np.array([p.trust_mean.get(x, 0.5) for x in P.PERSONAS])[pop.persona] if n else np.zeros(0)
        self.trust = np.clip(tm + init.normal(0, p.trust_sd, n), 0, 1).astype(np.float32)
        self.privacy = (np.array([p.privacy_concern.get(x, 0.2) for x in P.PERSONAS])[pop.persona]
                        if n else np.zeros(0)).astype(np.float32)
        # who is in the funnel: the 15+ (the twin's age groups; the sources count 16–74 year olds).
        # Children stay unaware and outside every count; the 75+ cannot be told apart from the
        # 65–74 in the twin's age groups and stay in.
        self.eligible = pop.age > 0
        self.n_eligible = int(self.eligible.sum())
        # starting stages
        using = np.array([p.start_using.get(x, 0.0) for x in P.PERSONAS])[pop.persona] if n else np.zeros(0)
        aware = np.array([p.start_aware.get(x, 0.0) for x in P.PERSONAS])[pop.persona] if n else np.zeros(0)
        using = np.where(self.eligible, using, 0.0)
        aware = np.where(self.eligible, aware, 0.0)
        ff = np.array([p.family_factor.get(f, 1.0) for f in FAMILIES])
        # within a persona, users are found among the skilled more than among the others
        # (unskilled_use_factor), keeping the persona's share (of its 15+) at start_using
        skilled_share = np.array([self.skilled[(pop.persona == k) & self.eligible].mean()
                                  if ((pop.persona == k) & self.eligible).any() else 0.0
                                  for k in range(len(P.PERSONAS))])
        norm = skilled_share + (1 - skilled_share) * p.unskilled_use_factor
        rel = np.where(self.skilled, 1.0, p.unskilled_use_factor) / np.maximum(norm[pop.persona], 1e-9) if n \
            else np.zeros(0)
        use_p = np.clip((using * rel)[:, None] * ff[None, :], 0, 0.97)
        u = init.random((n, F))
        self.stage = np.where(u < use_p, USING, np.where(u < use_p + (1 - use_p) * aware[:, None], AWARE, UNAWARE)
                              ).astype(np.int8)
        declined = (self.stage == AWARE) & (init.random((n, F)) < p.start_declined)
        self.stage[declined] = DROPPED
        self.start_counts = np.bincount(self.stage[self.eligible].ravel(), minlength=len(STAGES))
        self.reached = np.where(self.stage == DROPPED, AWARE, self.stage).astype(np.int8)  # furthest stage reached
        self.reason = np.where(declined, REASONS.index("trust_privacy"), 0).astype(np.int8)
        self.fail_reason = np.zeros((n, F), np.int8)       # the step a waiting support contact is about
        # the draw that decides whether a waiting contact's help works, taken with the day's
        # numbers when it is asked (common random numbers whatever the queue does)
        self.fix_u = np.zeros((n, F), np.float32)
        self.t_aware = np.full((n, F), np.nan, np.float32)  # day a citizen became aware in the run
        self.in_support = np.zeros((n, F), bool)
        self.queue: list[tuple[float, int, int]] = []     # (day queued, citizen, family)
        # districts
        self.n_districts = len(twin.city.districts)
        self.district_names = [d.name for d in twin.city.districts]
        self._dist_index = {d: i for i, d in enumerate(self.district_names)}
        dist = pop.district.astype(np.int64)
        self.dist = np.where(dist >= 0, dist, self.n_districts)      # unknown: one extra bucket
        self.dist_pop = np.bincount(self.dist, minlength=self.n_districts + 1).astype(float)
        self.dist_eligible = np.bincount(self.dist[self.eligible], minlength=self.n_districts + 1).astype(float)
        self.fixes_today = np.zeros(self.n_districts + 1)
        self.told_online = np.zeros(n, bool)                          # gave up in a queue today
        self.hurt = np.zeros(n, bool)                                 # a bad experience today
        # support capacity a day, for this many citizens
        self.capacity = p.support_staff_per_100k * n / 100_000.0 * p.contacts_per_staff_per_day
        self._campaigns = [self._campaign_mask(c) for c in p.campaigns]
        self._course_k = P.PERSONAS.index(p.course.persona)
        self._course_seats = p.course.seats_per_100k_per_day * n / 100_000.0
        self._course_carry = 0.0
        if not p.enabled:
            return
        twin.bus.subscribe(f"{twin.topic_root}/citizens/feedback", self._on_feedback)
        twin.bus.subscribe(f"{twin.topic_root}/services/requests", self._on_request)
        twin.bus.subscribe(f"{twin.topic_root}/services/support", self._on_support)
        self._snapshot()
        twin.env.process(self._days())

    def _campaign_mask(self, c: Campaign) -> np.ndarray:
        """Citizens a campaign targets (district and persona)."""
        pop = self.pop
        mask = np.ones(len(pop), bool)
        if c.persona is not None:
            mask &= pop.persona == P.PERSONAS.index(c.persona)
        if c.district is not None:
            name = c.district
            if isinstance(name, dict):
                from twin.text import slugify

                city = self.twin.city
                keys = {slugify(str(k)) for k in (self.city_key, city.slug, city.name,
                                                   "demo" if city.synthetic else None) if k}
                found = [k for k in name if slugify(k) in keys]
                if not found:
                    raise TwinError(f"adoption.campaigns.district: no district for city {city.name!r} "
                                    f"(slug {city.slug!r}) in {name}; add {city.slug}: <district>")
                name = name[found[0]]
            want = _fold(name)
            hit = [i for i, d in enumerate(self.district_names) if _fold(d) == want]
            if not hit:
                raise TwinError(f"adoption.campaigns.district: {name!r} is not a district of "
                                f"{self.twin.city.name}; its districts: {', '.join(self.district_names) or 'none'}")
            mask &= self.dist == hit[0]
        return mask

    # ---- what the other agents ask ---------------------------------------------------------
    def channel(self, citizen: int, family: str) -> str:
        """The channel citizen ``citizen`` uses for a request of ``family`` today."""
        f = FAMILIES.index(family)
        if self.p.enabled and self.stage[citizen, f] == USING:
            return P.CHANNELS[self.digital_channel[citizen]]
        return P.CHANNELS[self.offline_channel[citizen]]

    def uses(self, citizen: int, family: str) -> bool:
        """Whether the citizen uses the digital service of ``family`` now."""
        return bool(self.stage[citizen, FAMILIES.index(family)] == USING)

    def chat_users(self) -> np.ndarray:
        """Citizens who use the chatbot for at least one service family (the chatbot's load)."""
        chat = P.CHANNELS.index("chatbot")
        return np.nonzero((self.digital_channel == chat) & (self.stage == USING).any(axis=1))[0]

    # ---- what happens to citizens during the day ------------------------------------------
    def _citizen(self, entity: str) -> int | None:
        if not entity.startswith("citizen:"):
            return None
        c = int(entity.split(":")[1])
        return c if 0 <= c < len(self.pop) else None

    def _on_feedback(self, event) -> None:
        if event.kind != "feedback":
            return
        c = self._citizen(event.entity)
        if c is None:
            return
        r = int(event.payload.get("rating", 3))
        if r >= 4:
            self.trust[c] = min(1.0, self.trust[c] + self.p.trust_up)
        elif r <= 2:
            self.trust[c] = max(0.0, self.trust[c] - self.p.trust_down)
            self.hurt[c] = True

    def _on_request(self, event) -> None:
        if event.kind == "request_closed" and event.payload.get("stage") == "resolved" \
                and not event.payload.get("duplicate") and not event.payload.get("device"):
            i = self._dist_index.get(event.payload.get("district"))
            self.fixes_today[self.n_districts if i is None else i] += 1
        elif event.kind == "citizen_gave_up":
            c = self._citizen(event.entity)
            if c is not None:
                self.told_online[c] = True
                self.trust[c] = max(0.0, self.trust[c] - self.p.trust_down)
                self.hurt[c] = True

    # ---- the daily step --------------------------------------------------------------------
    def _days(self):
        env = self.twin.env
        while True:
            yield env.timeout((self.day + 1) * 86400.0 - env.now)
            self.day += 1
            self.step()
            self._snapshot()

    def step(self) -> None:
        """Advance every citizen and service by one day (see the module docstring)."""
        p, pop, rng = self.p, self.pop, self.rng
        n, F = self.stage.shape
        day = float(self.day)
        s0 = self.stage.copy()
        # the day's random numbers: a fixed number whatever the state (common random numbers)
        u_aware, u_decide, u_yes, u_onb, u_try, u_fail, u_seek, u_retry, u_fix = rng.random((9, n, F))
        u_course = rng.random(n)
        # ---- interventions first: the course
        self._course(u_course)
        # ---- awareness
        using = s0 == USING
        users_by_d = np.stack([np.bincount(self.dist, weights=using[:, f], minlength=self.n_districts + 1)
                               for f in range(F)], axis=1)
        share_d = users_by_d / np.maximum(self.dist_eligible, 1)[:, None]
        hazard = np.full((n, F), -math.log1p(-min(p.awareness_per_day, 0.999999)))
        hazard += p.neighbour_weight * share_d[self.dist]
        seen = p.fix_seen_by * self.fixes_today / np.maximum(self.dist_pop, 1)
        hazard[:, FAMILIES.index("reports")] += seen[self.dist]
        for c, mask in zip(p.campaigns, self._campaigns):
            if c.start_day <= day - 1 < c.start_day + c.days:
                cols = [FAMILIES.index(c.family)] if c.family else list(range(F))
                for f in cols:
                    hazard[mask, f] += -math.log1p(-min(c.reach_per_day, 0.999999))
        p_aware = 1.0 - np.exp(-hazard)
        p_aware[self.told_online] = 1.0
        to_aware = (s0 == UNAWARE) & (u_aware < p_aware) & self.eligible[:, None]
        # a campaign that promotes a channel makes it the reached citizens' digital channel
        for c, mask in zip(p.campaigns, self._campaigns):
            if c.channel and c.start_day <= day - 1 < c.start_day + c.days:
                hit = mask & to_aware.any(axis=1)
                self.digital_channel[hit] = P.CHANNELS.index(c.channel)
        # ---- consideration
        decides = (s0 == AWARE) & (u_decide < p.decide_per_day)
        yes = u_yes < (self.trust * (1 - self.privacy))[:, None]
        to_consider = decides & yes
        drop_trust = decides & ~yes
        retry = (s0 == DROPPED) & (u_retry < p.retry_per_day) & ~self.in_support
        # ---- onboarding
        to_onboard = (s0 == CONSIDERING) & (u_onb < p.onboard_per_day)
        tries = (s0 == ONBOARDING) & (u_try < p.attempt_per_day) & ~self.in_support
        skill_pass = np.where(self.skilled, p.skill_pass_digital,
                              p.assisted_skill_pass if p.assisted_kiosks else p.skill_pass_unskilled)
        access_pass = np.where(pop.access > 0, p.access_pass, 1.0)
        # one uniform decides which step fails: skills, then accessibility, then identity
        ps = skill_pass[:, None]
        pa = ps * access_pass[:, None]
        pi = pa * p.identity_pass
        fail = np.where(u_fail >= ps, REASONS.index("digital_skills"),
                        np.where(u_fail >= pa, REASONS.index("accessibility"),
                                 np.where(u_fail >= pi, REASONS.index("identity_step"), 0))).astype(np.int8)
        succeed = tries & (fail == 0)
        failed = tries & (fail > 0)
        seek = failed & (u_seek < p.support_seek)
        give_up = failed & ~seek
        # ---- usage: a bad experience that leaves trust below lapse_trust ends the use
        lapse = using & ((self.trust < p.lapse_trust) & self.hurt)[:, None]
        # ---- apply
        st = self.stage
        st[to_aware] = AWARE
        self.t_aware[to_aware] = day
        st[to_consider] = CONSIDERING
        st[to_onboard] = ONBOARDING
        st[retry] = CONSIDERING
        self.reason[retry] = 0
        self._adopt(succeed, day)
        self._drop(drop_trust, REASONS.index("trust_privacy"), day)
        self._drop(give_up, fail, day)
        self._drop(lapse, REASONS.index("bad_experience"), day)
        if p.assisted_kiosks:        # onboarded at a kiosk without skills: they file at the kiosk
            self.digital_channel[(succeed.any(axis=1)) & ~self.skilled] = P.CHANNELS.index("kiosk")
        self.fail_reason[seek] = fail[seek]
        self.fix_u[seek] = u_fix[seek]
        self.in_support[seek] = True
        cs, fs = np.nonzero(seek)
        if self.support_desk:
            self._ask_support_line(cs, fs)
        else:
            self.queue.extend((day, int(c), int(f)) for c, f in zip(cs.tolist(), fs.tolist()))
            self._support(day)
        np.maximum(self.reached, np.where(st == DROPPED, 0, st), out=self.reached)
        self.fixes_today[:] = 0
        self.told_online[:] = False
        self.hurt[:] = False

    def _course(self, u: np.ndarray) -> None:
        """Today's course seats go to members of the persona without skills (lowest random
        number first, so who is picked does not depend on anything else)."""
        seats = self._course_seats + self._course_carry
        k = int(seats)
        self._course_carry = seats - k
        if k <= 0 or self.day - 1 < self.p.course.start_day:
            return
        cand = np.nonzero((self.pop.persona == self._course_k) & ~self.skilled & self.eligible)[0]
        if not len(cand):
            return
        chosen = cand[np.argsort(u[cand], kind="stable")[:k]]
        passed = chosen[u[chosen] * 1e6 % 1 < self.p.course.pass_share]
        self.skilled[passed] = True
        self.course_trained += len(chosen)
        # the course shows the city's services: participants are aware of them afterwards
        unaware = self.stage[chosen] == UNAWARE
        rows, cols = np.nonzero(unaware)
        self.stage[chosen[rows], cols] = AWARE
        self.t_aware[chosen[rows], cols] = self.day
        self.trust[chosen] = np.minimum(1.0, self.trust[chosen] + self.p.trust_up)

    def _adopt(self, mask: np.ndarray, day: float) -> None:
        if not mask.any():
            return
        self.stage[mask] = USING
        self.reached[mask] = USING
        self.reason[mask] = 0
        c, f = np.nonzero(mask)
        waited = day - self.t_aware[c, f]
        self.days_to_adopt.extend(x for x in waited.tolist() if not math.isnan(x))
        self.changes["using"] += len(c)
        self._changed(c, f, "using", np.zeros(len(c), np.int8), waited)

    def _drop(self, mask: np.ndarray, reason, day: float) -> None:
        if not mask.any():
            return
        self.stage[mask] = DROPPED
        r = np.broadcast_to(np.asarray(reason, np.int8), mask.shape)
        self.reason[mask] = r[mask]
        c, f = np.nonzero(mask)
        for k in r[mask].tolist():
            self.drops[REASONS[k]] += 1
        self.changes["dropped"] += len(c)
        self._changed(c, f, "dropped", r[mask], day - self.t_aware[c, f])

    def _patience_days(self, c) -> np.ndarray | float:
        """Days citizen(s) ``c`` wait for support before giving up (their patience relative to the
        median of 12 minutes, times ``support_patience_days``)."""
        return self.p.support_patience_days * self.pop.patience_min[c].astype(float) / 12.0

    def _support(self, day: float) -> None:
        """Serve today's support capacity from the funnel's own FIFO queue (a run without the city
        hall's support line); a citizen who has waited past their patience has left it."""
        p = self.p
        cap = self.capacity
        cap_today = int(cap) + (1 if self.srng.random() < cap - int(cap) else 0)
        served_today = 0
        keep: list = []
        rows = []
        for t0, c, f in self.queue:
            patience = float(self._patience_days(c))
            if served_today < cap_today:
                wait_d = day - t0 + served_today / max(cap, 1e-9)
                if wait_d > patience:
                    rows.append((c, f, "gave_up", wait_d))
                    continue
                served_today += 1
                rows.append((c, f, "solved" if self.fix_u[c, f] < p.support_fix else "unsolved", wait_d))
            elif day + 1 - t0 > patience:
                rows.append((c, f, "gave_up", patience))
            else:
                keep.append((t0, c, f))
        self.queue = keep
        self._settle(rows, day)

    def _ask_support_line(self, cs: np.ndarray, fs: np.ndarray) -> None:
        """Today's support contacts go to the city hall's support line (``support_requested``)."""
        if not len(cs):
            return
        self.twin.emit_batch("citizens/adoption", "support_requested", self.twin.now,
                             [f"citizen:{c}" for c in cs.tolist()], np.full(len(cs), np.nan), np.full(len(cs), np.nan),
                             family=[FAMILIES[f] for f in fs.tolist()],
                             via=np.where(self.skilled[cs], "chatbot_handoff", "phone").tolist(),
                             patience_h=np.round(self._patience_days(cs) * 24.0, 3))

    def _on_support(self, event) -> None:
        """The support line answered a contact (the citizen is helped through with probability
        ``support_fix``) or its citizen gave up waiting."""
        if event.kind not in ("support_answered", "support_abandoned"):
            return
        c = self._citizen(event.entity)
        fam = event.payload.get("family")
        if c is None or fam not in FAMILIES or not self.in_support[c, FAMILIES.index(fam)]:
            return
        wait_d = float(event.payload.get("wait_h", 0.0)) / 24.0
        if event.kind == "support_abandoned":
            outcome = "gave_up"
        else:
            outcome = "solved" if self.fix_u[c, FAMILIES.index(fam)] < self.p.support_fix else "unsolved"
        self._settle([(c, FAMILIES.index(fam), outcome, wait_d)], self.twin.now / 86400.0)

    def _settle(self, rows: list, day: float) -> None:
        """Contacts ``(citizen, family, outcome, wait in days)`` are over: a solved one gets its
        citizen through onboarding, an unsolved one drops them for the step that failed, giving up
        drops them for the wait. Trust follows: every day waited costs ``support_wait_trust``, a
        solved contact earns ``trust_up``, an unsolved one or giving up costs ``trust_down``."""
        if not rows:
            return
        p = self.p
        cs = np.array([r[0] for r in rows])
        fs = np.array([r[1] for r in rows])
        outcome = [r[2] for r in rows]
        wait_d = np.array([r[3] for r in rows], float)
        waits = wait_d * 24.0
        self.in_support[cs, fs] = False
        for o, w in zip(outcome, waits.tolist()):
            self.support_outcomes[o] += 1
            self.support_waits_h.append(w)
        solved = np.array([o == "solved" for o in outcome])
        delta = np.where(solved, p.trust_up, -p.trust_down) - p.support_wait_trust * wait_d
        np.add.at(self.trust, cs, delta.astype(np.float32))
        np.clip(self.trust, 0.0, 1.0, out=self.trust)
        mask = np.zeros(self.stage.shape, bool)
        mask[cs[solved], fs[solved]] = True
        self._adopt(mask, day)
        for name, reason in (("unsolved", None), ("gave_up", REASONS.index("support_wait"))):
            sel = np.array([o == name for o in outcome])
            if sel.any():
                m = np.zeros(self.stage.shape, bool)
                m[cs[sel], fs[sel]] = True
                self._drop(m, self.fail_reason if reason is None else reason, day)
        via = np.where(self.skilled[cs], "chatbot_handoff", "phone")
        self.twin.emit_batch("citizens/adoption", "support_contact", self.twin.now,
                             [f"citizen:{c}" for c in cs.tolist()], np.full(len(cs), np.nan), np.full(len(cs), np.nan),
                             family=[FAMILIES[f] for f in fs.tolist()], via=via.tolist(), outcome=outcome,
                             wait_h=np.round(waits, 2),
                             persona=[P.PERSONAS[k] for k in self.pop.persona[cs].tolist()])

    # ---- events ----------------------------------------------------------------------------
    def _changed(self, c, f, stage: str, reasons, waited) -> None:
        pop = self.pop
        d = self.dist[c]
        names = self.district_names + ["?"]
        self.twin.emit_batch("citizens/adoption", "adoption_changed", self.twin.now,
                             [f"citizen:{x}" for x in c.tolist()], np.full(len(c), np.nan), np.full(len(c), np.nan),
                             family=[FAMILIES[x] for x in f.tolist()], stage=[stage] * len(c),
                             reason=[REASONS[x] for x in np.asarray(reasons).tolist()],
                             persona=[P.PERSONAS[x] for x in pop.persona[c].tolist()],
                             district=[names[x] for x in d.tolist()], days_since_aware=np.round(waited, 2),
                             channel=[P.CHANNELS[x] for x in self.digital_channel[c].tolist()])

    def counts(self) -> np.ndarray:
        """Citizens per (family, persona, district, stage) now: shape ``(F, personas,
        districts + 1, stages)`` (the last district: homes outside every district)."""
        return self._tally(self.stage)

    def _tally(self, stages: np.ndarray) -> np.ndarray:
        """Citizens of the funnel (the 15+) per (family, persona, district, value of ``stages``)."""
        F = stages.shape[1]
        D = self.n_districts + 1
        out = np.zeros((F, len(P.PERSONAS), D, len(STAGES)), np.int64)
        e = self.eligible
        key = (self.pop.persona[e].astype(np.int64) * D + self.dist[e]) * len(STAGES)
        for f in range(F):
            out[f] = np.bincount(key + stages[e, f], minlength=len(P.PERSONAS) * D * len(STAGES)
                                 ).reshape(len(P.PERSONAS), D, len(STAGES))
        return out

    def _snapshot(self) -> None:
        """One ``adoption_state`` row per (family, persona, district) with citizens."""
        now = self.counts()
        ever = self._tally(self.reached)
        # reached at least stage k = sum over furthest stage >= k
        atleast = np.flip(np.cumsum(np.flip(ever[..., :USING + 1], -1), -1), -1)
        total = now.sum(-1)
        f_i, p_i, d_i = np.nonzero(total)
        if not len(f_i):
            return
        names = self.district_names + ["?"]
        cols = {f"n_{s}": now[f_i, p_i, d_i, k] for k, s in enumerate(STAGES)}
        cols |= {f"reached_{s}": atleast[f_i, p_i, d_i, k] for k, s in enumerate(STAGES[:USING + 1])}
        self.twin.emit_batch("citizens/adoption", "adoption_state", self.twin.now, [""] * len(f_i),
                             np.full(len(f_i), np.nan), np.full(len(f_i), np.nan), day=np.full(len(f_i), self.day),
                             family=[FAMILIES[x] for x in f_i.tolist()], persona=[P.PERSONAS[x] for x in p_i.tolist()],
                             district=[names[x] for x in d_i.tolist()], **cols)

    # ---- results ---------------------------------------------------------------------------
    def funnel(self) -> dict:
        """Share of citizen×service pairs per stage, by persona (and ``all``)."""
        c = self.counts().sum(axis=(0, 2))           # persona × stage
        out = {}
        for k, name in enumerate(P.PERSONAS):
            tot = c[k].sum()
            if tot:
                out[name] = {s: round(float(c[k, j] / tot), 4) for j, s in enumerate(STAGES)}
        tot = c.sum()
        if tot:
            out["all"] = {s: round(float(c[:, j].sum() / tot), 4) for j, s in enumerate(STAGES)}
        return out

    def kpis(self) -> dict:
        if not self.p.enabled:
            return {"enabled": False}
        F = self.stage.shape[1]
        start = self.start_counts / max(1, self.n_eligible * F)
        e = self.eligible
        vul = np.isin(self.pop.persona[e], [P.PERSONAS.index(x) for x in VULNERABLE])
        using = (self.stage[e] == USING).mean(axis=1)
        gap = float(using[~vul].mean() - using[vul].mean()) if vul.any() and (~vul).any() else None
        w = np.asarray(self.support_waits_h)
        return {"days": self.day, "start_shares": {s: round(float(x), 4) for s, x in zip(STAGES, start)},
                "funnel_by_persona": self.funnel(), "changes": self.changes,
                "drop_reasons": {k: v for k, v in self.drops.items() if v},
                "inclusion_gap": None if gap is None else round(gap, 4),
                "days_to_adopt_median": round(float(np.median(self.days_to_adopt)), 2) if self.days_to_adopt else None,
                "support": {"contacts": int(len(w)), **self.support_outcomes,
                            "wait_h_mean": round(float(w.mean()), 2) if len(w) else None,
                            "queued_now": len(self.queue), "capacity_per_day": round(self.capacity, 2)},
                "course_trained": self.course_trained}


__all__ = ["Adoption", "AdoptionParams", "Campaign", "Course", "FAMILIES", "STAGES", "REASONS",
           "FAMILY_OF_CHAT"]
