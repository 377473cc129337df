"""The KPI catalogue: what every KPI of a run *is*, and the interval that suits it.

Every number :func:`services.analytics.kpis.run_kpis` produces has one entry here: a label a
planner can read, a unit, a one-sentence meaning, the direction that is better, and its
**kind**, which decides how its uncertainty is stated:

``count``
    events counted in a run (emergencies, requests). The interval of the mean over replications
    is the exact (Garwood) Poisson interval of the total, widened by the over-dispersion the
    replications show (quasi-Poisson). It never goes below 0.
``proportion``
    a share in [0, 1] (SLA compliance, coverage). The t-interval is built on the logit scale
    (delta method) and mapped back, so it stays inside [0, 1].
``positive``
    a non-negative continuous quantity: durations, rates per hour, money, time-averages. The
    t-interval of the mean, cut at 0: the quantity cannot be negative, so the cut loses no
    coverage. (A log-scale interval was tried: with three replications and a spread as large as
    the mean, exponentiating made its upper bound tens of times the mean.)
``score``
    a bounded score (satisfaction 1–5) or a dimensionless check (Little's ratio): a t-interval,
    clipped to the score's range.

The *difference* B − A of two scenarios can be negative whatever the kind, so
:func:`interval` with ``values_b`` gives a t-interval (paired under common random numbers,
Welch otherwise); for proportions it is clipped to [−1, 1].

Nested KPIs (by district, category, timeline event, persona, device type) have entries keyed by
a dotted path with ``*`` for the variable part, e.g. ``response_by_district.*.p50_min``;
:func:`entry` finds the entry of any concrete path (``response_by_district.Centru.p50_min``).

>>> from services.analytics.kpi_catalogue import entry, interval, label_unit
>>> label_unit("little_L")
'Open requests on average (requests)'
>>> iv = interval("emergencies", [0, 1, 0])
>>> iv.lo >= 0
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

KINDS = ("count", "proportion", "positive", "score")
BETTER = ("higher", "lower", "neither")


@dataclass(frozen=True)
class KPI:
    """One catalogue entry.

    Attributes
    ----------
    key
        The KPI's name in ``run_kpis`` output (dotted path with ``*`` for nested ones).
    label
        What a planner reads instead of the identifier.
    unit
        Unit of the value (``"min"``, ``"h"``, ``"share"``, ``"requests"`` …).
    meaning
        One sentence: what the number measures.
    better
        ``"higher"``, ``"lower"`` or ``"neither"`` (a workload or a check, not a goal).
    kind
        One of :data:`KINDS`; decides the interval (see the module docstring).
    bounds
        For ``score``: the range the interval is clipped to.
    """

    key: str
    label: str
    unit: str
    meaning: str
    better: str
    kind: str
    bounds: tuple[float, float] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"KPI {self.key!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.better not in BETTER:
            raise ValueError(f"KPI {self.key!r}: better {self.better!r} is not one of {BETTER}")

    @property
    def title(self) -> str:
        """``label (unit)`` — how tables and axes name the KPI."""
        return f"{self.label} ({self.unit})"


def _k(key, label, unit, meaning, better, kind, bounds=None) -> KPI:
    return KPI(key, label, unit, meaning, better, kind, bounds)


_ENTRIES = [
    _k("sim_hours", "Simulated time", "h", "How long the run simulated, from its start to its last event.",
       "neither", "positive"),
    # ---- requests
    _k("reports_filed", "Reports filed by citizens", "reports",
       "Problems citizens reported to the city hall on any channel.", "neither", "count"),
    _k("requests_received", "Requests received", "requests",
       "Open311 requests the city hall accepted (reports, permits, devices).", "neither", "count"),
    _k("requests_closed", "Requests closed", "requests", "Requests the city hall resolved or rejected within the run.",
       "higher", "count"),
    _k("sla_compliance", "Closed within the SLA", "share",
       "Share of closed requests resolved within their service-level agreement.", "higher", "proportion"),
    _k("resolution_h_median", "Resolution time, median", "h",
       "Half of the closed requests took longer than this from receipt to closure.", "lower", "positive"),
    _k("resolution_h_p90", "Resolution time, 90th percentile", "h",
       "One closed request in ten took longer than this from receipt to closure.", "lower", "positive"),
    _k("field_resolution_h_mean", "Field-work resolution time, mean", "h",
       "Mean time to close requests that need a crew on site (duplicates left out).", "lower", "positive"),
    _k("field_resolution_h_p90", "Field-work resolution time, 90th percentile", "h",
       "One field-work request in ten took longer than this to close.", "lower", "positive"),
    _k("sla_breaches", "SLA breaches", "requests", "Requests still open when their SLA ran out.", "lower", "count"),
    _k("gave_up", "Citizens who gave up", "citizens",
       "Callers or visitors who left a desk queue before being served.", "lower", "count"),
    # ---- emergencies
    _k("emergencies", "Emergencies reached", "incidents", "Incidents (112) a responder reached on scene.",
       "neither", "count"),
    _k("response_min_p50", "Emergency response time, median", "min",
       "Half of the emergencies waited longer than this from the call to a unit on scene.", "lower", "positive"),
    _k("response_min_p90", "Emergency response time, 90th percentile", "min",
       "One emergency in ten waited longer than this from the call to a unit on scene.", "lower", "positive"),
    _k("coverage_8min", "Population within 8 min of a station", "share",
       "Share of residents living within 8 minutes by road of an ambulance or fire station.", "higher",
       "proportion"),
    _k("coverage_15min", "Population within 15 min of a station", "share",
       "Share of residents living within 15 minutes by road of an ambulance or fire station.", "higher",
       "proportion"),
    _k("coverage_ambulance_8min", "Population within 8 min of an ambulance", "share",
       "Share of residents living within 8 minutes by road of an ambulance station.", "higher", "proportion"),
    _k("coverage_fire_8min", "Population within 8 min of a fire station", "share",
       "Share of residents living within 8 minutes by road of a fire station.", "higher", "proportion"),
    # ---- chatbot, satisfaction
    _k("chat_conversations", "Chatbot conversations", "conversations",
       "Conversations citizens held with the city hall's assistant.", "neither", "count"),
    _k("chat_handoff_rate", "Chats handed to an operator", "share",
       "Share of chatbot conversations passed on to a human operator.", "lower", "proportion"),
    _k("chat_containment_rate", "Chats solved by the bot", "share",
       "Share of chatbot conversations settled without a human operator.", "higher", "proportion"),
    _k("chat_wrong_actions", "Chatbot wrong actions", "actions",
       "Actions the assistant took that the citizen did not ask for.", "lower", "count"),
    _k("satisfaction", "Satisfaction", "rating 1–5", "Mean rating citizens gave after their request closed.",
       "higher", "score", (1.0, 5.0)),
    # ---- payments
    _k("payments_anchored", "Payments anchored", "payments", "Tax payments whose receipt was anchored on the ledger.",
       "neither", "count"),
    _k("payments_ron", "Payments anchored, amount", "RON", "Total amount of the anchored tax payments.",
       "neither", "positive"),
    _k("anchoring_lag_s", "Anchoring lag, mean", "s", "Mean time from a payment to its anchoring on the chain.",
       "lower", "positive"),
    # ---- Little's law
    _k("little_L", "Open requests on average", "requests",
       "Time-average number of requests open in the city hall (Little's L).", "lower", "positive"),
    _k("little_L_counters", "Open requests on average (hourly counters)", "requests",
       "Time-average of the open requests the hourly monitor published; should match Little's L.",
       "lower", "positive"),
    _k("little_lambda_per_h", "Request arrival rate", "requests/h",
       "Requests received per hour over the run (Little's λ).", "neither", "positive"),
    _k("little_W_h", "Time a request stays open, mean", "h",
       "Mean time a request spent open within the run window (Little's W).", "lower", "positive"),
    _k("little_ratio", "Little's law check L/(λW)", "ratio",
       "Open requests from the counters over λ·W; near 1 when the log is consistent.", "neither", "score",
       (0.0, math.inf)),
    # ---- requests by category and district
    _k("by_category.*.closed", "Requests closed", "requests", "Requests of the category closed in the run.",
       "higher", "count"),
    _k("by_category.*.sla_compliance", "Closed within the SLA", "share",
       "Share of the category's closed requests resolved within their SLA.", "higher", "proportion"),
    _k("by_category.*.median_h", "Resolution time, median", "h",
       "Median time to close a request of the category.", "lower", "positive"),
    _k("by_category.*.p90_h", "Resolution time, 90th percentile", "h",
       "90th percentile of the time to close a request of the category.", "lower", "positive"),
    _k("by_district.*.closed", "Requests closed", "requests", "Requests in the district closed in the run.",
       "higher", "count"),
    _k("by_district.*.sla_compliance", "Closed within the SLA", "share",
       "Share of the district's closed requests resolved within their SLA.", "higher", "proportion"),
    _k("by_district.*.median_h", "Resolution time, median", "h",
       "Median time to close a request in the district.", "lower", "positive"),
    _k("response_by_district.*.n", "Emergencies reached", "incidents",
       "Emergencies in the district a responder reached.", "neither", "count"),
    _k("response_by_district.*.p50_min", "Emergency response time, median", "min",
       "Median time from the call to a unit on scene in the district.", "lower", "positive"),
    _k("response_by_district.*.p90_min", "Emergency response time, 90th percentile", "min",
       "90th percentile of the time from the call to a unit on scene in the district.", "lower", "positive"),
    # ---- timeline events
    _k("timeline.*.event", "Timeline event", "name", "The scenario event (heatwave, outage …) of the window.",
       "neither", "score"),
    _k("timeline.*.from_h", "Event start", "h", "When the event began, hours after the run's start.", "neither",
       "positive"),
    _k("timeline.*.to_h", "Event end", "h", "When the event ended (or the run did), hours after the start.",
       "neither", "positive"),
    _k("timeline.*.emergencies", "Emergencies during the event", "incidents",
       "Emergencies reached on scene while the event was in force.", "neither", "count"),
    _k("timeline.*.response_min_p50", "Response time during the event, median", "min",
       "Median emergency response time while the event was in force.", "lower", "positive"),
    _k("timeline.*.response_min_p90", "Response time during the event, 90th percentile", "min",
       "90th percentile of the emergency response time while the event was in force.", "lower", "positive"),
    # ---- trip times (a run's kpis.json, mobility by mode; the comparison's ``trips`` rows)
    _k("car_trip_min_mean", "Car trip time, mean", "min", "Mean door-to-door time of the citizens' car trips.",
       "lower", "positive"),
    _k("car_trip_min_p95", "Car trip time, 95th percentile", "min",
       "One car trip in twenty took longer than this.", "lower", "positive"),
    _k("walk_trip_min_mean", "Walk trip time, mean", "min", "Mean time of the walking legs (whole walks and walks "
       "to and from the bus).", "lower", "positive"),
    _k("bus_trip_min_mean", "Bus ride time, mean", "min", "Mean time on board a bus, from boarding to alighting.",
       "lower", "positive"),
    # ---- the road in traffic: queue mode (a run's kpis.json ``traffic``; the comparison's ``traffic`` rows)
    _k("traffic_vehicle_km", "Vehicle-km driven", "veh·km", "Kilometres driven by the simulated vehicles on the "
       "queued road.", "neither", "positive"),
    _k("traffic_vehicle_hours", "Vehicle-hours on the road", "veh·h", "Hours the simulated vehicles spent on the "
       "queued road, queues included.", "lower", "positive"),
    _k("traffic_mean_delay_s", "Delay per car trip, mean", "s", "Mean of each car trip's time minus the free-flow "
       "time of the same path.", "lower", "positive"),
    _k("traffic_share_time_lost", "Share of car time lost to congestion", "share", "Time on the road beyond free "
       "flow, as a share of all time on the road.", "lower", "proportion"),
    _k("traffic_peak_speed_kph", "Network speed in the peak hour", "km/h", "Vehicle-km over vehicle-hours in the "
       "hour with the most vehicle-km.", "higher", "positive"),
    _k("street_lost_vehicle_hours.*", "Delay on a street", "lost veh·h", "Time spent on the street's edges beyond "
       "free flow, summed over the vehicles that used it.", "lower", "positive"),
    # ---- channels and sensors
    _k("channel_mix_by_persona.*.*", "Reports by persona and channel", "reports",
       "Reports filed by citizens of the persona on the channel.", "neither", "count"),
    _k("sensor_alerts.*", "Sensor faults and alarms", "devices",
       "Device state changes away from ok (or alarms) by status and device type.", "neither", "count"),
    # ---- the adoption funnel (services.analytics.funnel)
    _k("adoption_using_share", "Digital services in use", "share",
       "Share of citizen × service pairs (reports, taxes, permits, transport info) using the digital service "
       "at the end of the run.", "higher", "proportion"),
    _k("adoption_using_share_start", "Digital services in use at the start", "share",
       "Share of citizen × service pairs using the digital service when the run began.", "neither", "proportion"),
    _k("adoption_aware_share", "Aware of the digital services", "share",
       "Share of citizen × service pairs no longer unaware of the digital service at the end of the run.",
       "higher", "proportion"),
    _k("inclusion_gap", "Inclusion gap", "share points",
       "Digital use share of everybody else minus that of the elderly with low digital skills and people with "
       "disabilities, at the end of the run.", "lower", "score", (-1.0, 1.0)),
    _k("inclusion_gap_start", "Inclusion gap at the start", "share points",
       "The inclusion gap when the run began.", "neither", "score", (-1.0, 1.0)),
    _k("adoption_new_users", "New users of digital services", "citizen-services",
       "Times a citizen started using a digital service during the run.", "higher", "count"),
    _k("adoption_dropouts", "Drop-outs from the funnel", "citizen-services",
       "Times a citizen gave up on a digital service (declined, failed onboarding, left support, lapsed).",
       "lower", "count"),
    _k("time_to_adopt_days_median", "Time to adoption, median", "days",
       "Median days from becoming aware of a digital service during the run to using it.", "lower", "positive"),
    _k("support_contacts", "Onboarding support contacts", "contacts",
       "Support contacts (chatbot hand-offs, phone) of citizens stuck in onboarding, served or abandoned.",
       "neither", "count"),
    _k("support_wait_h_mean", "Support wait, mean", "h",
       "Mean wait of an onboarding support contact until served or abandoned.", "lower", "positive"),
    _k("support_gave_up", "Support contacts abandoned", "contacts",
       "Support contacts whose citizen gave up waiting.", "lower", "count"),
    _k("funnel_by_persona.*.unaware_share", "Unaware", "share",
       "Share of the persona's citizen × service pairs still unaware of the digital service.", "lower", "proportion"),
    _k("funnel_by_persona.*.aware_share", "Aware, not yet considering", "share",
       "Share of the persona's citizen × service pairs aware but undecided.", "neither", "proportion"),
    _k("funnel_by_persona.*.considering_share", "Considering", "share",
       "Share of the persona's citizen × service pairs deciding to sign up.", "neither", "proportion"),
    _k("funnel_by_persona.*.onboarding_share", "Onboarding", "share",
       "Share of the persona's citizen × service pairs in the middle of signing up.", "neither", "proportion"),
    _k("funnel_by_persona.*.using_share", "Using", "share",
       "Share of the persona's citizen × service pairs using the digital service.", "higher", "proportion"),
    _k("funnel_by_persona.*.dropped_share", "Dropped out", "share",
       "Share of the persona's citizen × service pairs that gave up on the digital service.", "lower",
       "proportion"),
    _k("funnel_by_persona.*.conv_aware", "Reached awareness", "share",
       "Share of the persona's citizen × service pairs that ever became aware.", "higher", "proportion"),
    _k("funnel_by_persona.*.conv_considering", "Aware → considering", "share",
       "Of the pairs that became aware, the share that went on to consider the service.", "higher", "proportion"),
    _k("funnel_by_persona.*.conv_onboarding", "Considering → onboarding", "share",
       "Of the pairs that considered the service, the share that started signing up.", "higher", "proportion"),
    _k("funnel_by_persona.*.conv_using", "Onboarding → using", "share",
       "Of the pairs that started signing up, the share that came through to use it.", "higher", "proportion"),
    _k("funnel_by_family.*.using_share", "Using", "share",
       "Share of citizens using the digital service of the family at the end of the run.", "higher", "proportion"),
    _k("funnel_by_family.*.using_share_start", "Using at the start", "share",
       "Share of citizens using the digital service of the family when the run began.", "neither", "proportion"),
    _k("adoption_by_district.*.aware_share", "Aware of the digital services", "share",
       "Share of the district's citizen × service pairs no longer unaware at the end of the run.", "higher",
       "proportion"),
    _k("adoption_by_district.*.using_share", "Digital services in use", "share",
       "Share of the district's citizen × service pairs using the digital service at the end of the run.",
       "higher", "proportion"),
    _k("adoption_drop_reasons.*", "Drop-outs by reason", "citizen-services",
       "Times citizens left the funnel for the reason (trust or privacy, skills, accessibility, identity step, "
       "support wait, bad experience).", "lower", "count"),
]

CATALOGUE: dict[str, KPI] = {e.key: e for e in _ENTRIES}

# district-level KPIs in a comparison use the city-level names (see services.analytics.compare)
DISTRICT_KPIS = {("response_by_district", "p50_min"): "response_min_p50",
                 ("response_by_district", "p90_min"): "response_min_p90",
                 ("response_by_district", "n"): "emergencies",
                 ("by_district", "closed"): "requests_closed",
                 ("by_district", "sla_compliance"): "sla_compliance",
                 ("by_district", "median_h"): "resolution_h_median",
                 ("adoption_by_district", "aware_share"): "adoption_aware_share",
                 ("adoption_by_district", "using_share"): "adoption_using_share"}


def entry(key: str) -> KPI:
    """The catalogue entry of a KPI name or a concrete nested path.

    Parameters
    ----------
    key
        ``"response_min_p90"`` or a dotted path such as ``"response_by_district.Centru.p50_min"``
        (a district name may itself contain dots: the first and last parts decide).

    Raises
    ------
    KeyError
        Naming the key, when the catalogue has no entry for it.
    """
    if key in CATALOGUE:
        return CATALOGUE[key]
    parts = key.split(".")
    if len(parts) >= 2:
        for pattern in (f"{parts[0]}.*.{parts[-1]}", f"{parts[0]}.*", f"{parts[0]}.*.*"):
            if pattern in CATALOGUE and (pattern.count(".") == 1 or len(parts) >= 3):
                return CATALOGUE[pattern]
    raise KeyError(f"KPI {key!r}: no entry in services.analytics.kpi_catalogue")


def label_unit(key: str) -> str:
    """``"Label (unit)"`` of a KPI, for tables and axes (the raw key when uncatalogued)."""
    try:
        return entry(key).title
    except KeyError:
        return key


def walk(kpis: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Every leaf of a ``run_kpis`` result as ``(dotted path, value)``; list items (the
    timeline) are numbered."""
    out = []
    for k, v in kpis.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            out.extend(walk(v, path + "."))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                out.extend(walk(item, f"{path}.{i}.") if isinstance(item, dict) else [(f"{path}.{i}", item)])
        else:
            out.append((path, v))
    return out


@dataclass(frozen=True)
class Interval:
    """A point estimate and its interval: ``mean`` with ``[lo, hi]`` (None when undefined)."""

    mean: float | None
    lo: float | None
    hi: float | None

    @property
    def half(self) -> float | None:
        """The larger distance from the mean to a bound (a ± figure for symmetric display)."""
        if self.mean is None or self.lo is None or self.hi is None:
            return None
        return max(self.mean - self.lo, self.hi - self.mean)

    def excludes_zero(self) -> bool:
        return self.lo is not None and self.hi is not None and (self.lo > 0 or self.hi < 0)


def _clean(values) -> np.ndarray:
    return np.asarray([x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))], float)


def _t(n: int, level: float) -> float:
    return float(stats.t.ppf(0.5 + level / 2, n - 1))


def interval(kpi: str | KPI, values_a, values_b=None, *, paired: bool = False, level: float = 0.95) -> Interval:
    """The interval of a KPI's mean over replications, or of the difference B − A.

    Parameters
    ----------
    kpi
        A KPI name, nested path or :class:`KPI`; its ``kind`` picks the method (module docstring).
    values_a
        The KPI in each replication of A (None values are dropped).
    values_b
        When given: the KPI in each replication of B; the result is the interval of B − A.
    paired
        B − A replication by replication (common random numbers); needs equal lengths.
    level
        Confidence level.

    Returns
    -------
    Interval
        ``lo``/``hi`` are None with a single replication (except counts, whose Poisson interval
        needs only the total). A count's and a positive quantity's interval never goes below 0;
        a proportion's stays in [0, 1].
    """
    e = kpi if isinstance(kpi, KPI) else entry(kpi)
    if values_b is not None:
        return _diff(e, values_a, values_b, paired, level)
    v = _clean(values_a)
    n = len(v)
    if n == 0:
        return Interval(None, None, None)
    m = float(v.mean())
    if e.kind == "count":
        return _poisson(v, level)
    if n == 1:
        return Interval(m, None, None)
    se = float(v.std(ddof=1)) / math.sqrt(n)
    t = _t(n, level)
    if e.kind == "proportion":
        if se == 0 or m <= 0 or m >= 1:
            return Interval(m, max(0.0, m - t * se), min(1.0, m + t * se))
        lg, s = math.log(m / (1 - m)), se / (m * (1 - m))
        ex = lambda x: 1.0 / (1.0 + math.exp(-x))   # noqa: E731
        return Interval(m, ex(lg - t * s), ex(lg + t * s))
    if e.kind == "positive":
        return Interval(m, max(0.0, m - t * se), m + t * se)
    lo, hi = e.bounds or (-math.inf, math.inf)
    return Interval(m, max(lo, m - t * se), min(hi, m + t * se))


def _poisson(v: np.ndarray, level: float) -> Interval:
    """Quasi-Poisson Garwood interval of the mean count over ``len(v)`` replications."""
    n, total = len(v), float(v.sum())
    m = total / n
    phi = max(1.0, float(v.var(ddof=1)) / m) if n > 1 and m > 0 else 1.0
    a = 1.0 - level
    s = total / phi                           # the total in "effective Poisson" units
    lo = 0.0 if s == 0 else stats.chi2.ppf(a / 2, 2 * s) / 2
    hi = stats.chi2.ppf(1 - a / 2, 2 * s + 2) / 2
    return Interval(m, float(lo) * phi / n, float(hi) * phi / n)


def _diff(e: KPI, values_a, values_b, paired: bool, level: float) -> Interval:
    a, b = list(values_a), list(values_b)
    if paired and len(a) == len(b):
        d = _clean([None if x is None or y is None else y - x for x, y in zip(a, b)])
        if len(d) == 0:
            return Interval(None, None, None)
        m = float(d.mean())
        if len(d) == 1:
            return Interval(m, None, None)
        h = _t(len(d), level) * float(d.std(ddof=1)) / math.sqrt(len(d))
    else:
        va, vb = _clean(a), _clean(b)
        if len(va) == 0 or len(vb) == 0:
            return Interval(None, None, None)
        m = float(vb.mean() - va.mean())
        if len(va) < 2 or len(vb) < 2:
            return Interval(m, None, None)
        sa, sb = va.var(ddof=1) / len(va), vb.var(ddof=1) / len(vb)
        se = math.sqrt(sa + sb)
        if se == 0:
            return Interval(m, m, m)
        dof = (sa + sb) ** 2 / ((sa ** 2 / (len(va) - 1) if sa else 0) + (sb ** 2 / (len(vb) - 1) if sb else 0))
        h = float(stats.t.ppf(0.5 + level / 2, dof)) * se
    lo, hi = m - h, m + h
    if e.kind == "proportion":
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    return Interval(m, lo, hi)


def fmt(value, unit: str = "", digits: int = 3) -> str:
    """A value for people: ``4.27 min``, ``0.953`` (shares as %), ``–`` for none."""
    if value is None:
        return "–"
    if unit == "share":
        return f"{100 * value:.1f} %"
    return f"{value:.{digits}g}" + (f" {unit}" if unit and unit not in ("ratio", "name") else "")


def fmt_interval(iv: Interval, unit: str = "") -> str:
    """``mean [lo, hi] unit`` (shares in %)."""
    if iv.mean is None:
        return "–"
    if iv.lo is None:
        return fmt(iv.mean, unit)
    if unit == "share":
        return f"{100 * iv.mean:.1f} % [{100 * iv.lo:.1f}, {100 * iv.hi:.1f}]"
    u = f" {unit}" if unit and unit not in ("ratio", "name") else ""
    return f"{iv.mean:.3g} [{iv.lo:.3g}, {iv.hi:.3g}]{u}"
