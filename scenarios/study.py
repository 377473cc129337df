"""Study settings: what a comparison needs for statistical power, shared by both sides.

A scenario is *one intervention on a named baseline* (``baseline:`` in its YAML). Whatever a
study needs to see the intervention's effect at all — more emergencies than an ordinary day has,
citizens who report more often so that crews become the constraint, a longer horizon — is not
part of the intervention: it is a **study setting**, applied identically to the baseline and to
the scenario. A scenario may recommend settings (``study: [emergencies_x10]``); ``twin study``
applies them, and any given with ``--study``, to both sides; ``twin compare`` refuses two runs
whose study settings differ (they would confound the setting with the intervention).

Each setting is a named, documented change of a few fields, relative to the scenario's own value
(``times``) or absolute (``set``), so that it composes with timeline events that scale the same
rates. :func:`apply_study` applies a list of them to a scenario's data.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StudySetting:
    """A named change shared by both sides of a comparison.

    Attributes
    ----------
    name : str
        The name used in ``study:`` and ``--study``.
    meaning : str
        One sentence: what it changes and why a study would want it.
    times : dict[str, float]
        Dotted scenario fields multiplied by a factor (``incidents.medical_per_1000_per_day``).
    set : dict[str, object]
        Dotted scenario fields set to a value.
    """

    name: str
    meaning: str
    times: dict[str, float] = field(default_factory=dict)
    set: dict[str, object] = field(default_factory=dict)


SETTINGS: dict[str, StudySetting] = {s.name: s for s in (
    StudySetting("emergencies_x10",
                 "medical emergencies ten times as frequent (0.45 → 4.5 per 1,000 a day), so that a day shows "
                 "enough ambulance responses per district to measure a change in response time",
                 times={"incidents.medical_per_1000_per_day": 10.0}),
    StudySetting("reports_x80",
                 "citizens report problems eighty times as often, so that field crews, not the reports, are "
                 "the constraint on resolution time",
                 times={"demand.report_multiplier": 80.0}),
    StudySetting("fast",
                 "no IoT devices, no ledger and no chatbot: for studies of trips, emergencies and crews that do "
                 "not need them; a Brașov day runs several times faster (the streetlights alone send most of "
                 "the messages of a run)",
                 set={"sensors.density": {t: 0.0 for t in ("streetlight", "air_quality", "traffic_counter", "noise",
                                                            "waste_bin", "water_pressure", "wearable")},
                      "ledger.enabled": False, "chatbot.enabled": False}),
    StudySetting("stay_home",
                 "nobody leaves home (no trips, and no bus vehicles to drive empty; reports come from residents "
                 "and neighbours): for studies of the adoption funnel, which does not need movement, at a small "
                 "part of a run's cost",
                 set={"daily.enabled": False, "transit.vehicles.enabled": False}),
    StudySetting("horizon_x2",
                 "twice the simulated hours, for effects that build up over days (backlogs)",
                 times={"hours": 2.0}),
)}


class StudySettingError(ValueError):
    """An unknown study setting; the message names it and lists the known ones."""


def check_names(names) -> list[str]:
    """The names, deduplicated in order; :class:`StudySettingError` for an unknown one."""
    out: list[str] = []
    for n in names or ():
        if n not in SETTINGS:
            raise StudySettingError(f"study: unknown setting {n!r}; known: {', '.join(SETTINGS)}")
        if n not in out:
            out.append(n)
    return out


def apply_study(data: dict, names) -> dict:
    """Apply the study settings ``names`` to a scenario's data (a full ``model_dump``), in place.

    Parameters
    ----------
    data : dict
        Every field of the scenario (defaults included, so that ``times`` has a value to scale).
    names : list of str
        Setting names, e.g. ``["emergencies_x10"]``.

    Returns
    -------
    dict
        ``data``, with the fields changed and ``data["study"]`` the sorted list of names, so that
        two runs with the same settings carry the same ``study`` whatever the order given.
    """
    names = check_names(names)
    for n in names:
        s = SETTINGS[n]
        for dotted, factor in s.times.items():
            parent, key = _parent(data, dotted)
            parent[key] = parent[key] * factor
        for dotted, value in s.set.items():
            parent, key = _parent(data, dotted)
            parent[key] = value
    data["study"] = sorted(names)
    return data


def _parent(data: dict, dotted: str):
    cur = data
    *path, last = dotted.split(".")
    for p in path:
        cur = cur[p]
    return cur, last
