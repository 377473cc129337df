"""The scenario schema, and loading scenarios by library name or from a YAML file.

A scenario fixes everything a run needs: the city, how many citizens, how long, the seed, when
the simulation starts, and its intervention. Unknown fields are errors, and every error names the
field and the value, e.g. ``scenario 'x.yaml': population: -5 — Input should be greater than or
equal to 0``.

A library scenario is **one intervention on a named baseline**: ``baseline:`` names the scenario
it is compared with, ``changes:`` lists the (dotted) fields its intervention sets — everything
else equals the baseline once both share the same *setting* (:data:`SETTING_FIELDS`: where, how
many, how long, from when, seeds, study settings). ``question``, ``intervention``, ``kpis`` and
``expected`` document it for the planner. Statistical-power knobs are *study settings*
(:mod:`scenarios.study`, ``study: [emergencies_x10]``), applied by :func:`load_scenario` and
shared by both sides of a study, never part of one side's intervention.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.adoption import AdoptionParams
from agents.daily import DailyParams
from agents.demand import DemandParams
from agents.incidents import IncidentParams
from agents.journeys import TransitParams
from agents.population import PopulationParams
from ledger.component import LedgerParams
from sensors.devices import SensorParams
from services.chatbot.component import ChatbotParams
from services.component import ServicesParams
from services.dispatch import ResponderParams
from agents.taxes import TaxParams
from agents.timeline import TimelineEvent
from scenarios.study import StudySettingError, apply_study, check_names
from scenarios.yamlfile import YamlFileError, read_yaml, shorten
from twin.errors import TwinError
from twin.traffic import TrafficParams

LIBRARY = Path(__file__).parent / "library"
#: longest quoted value, and longest whole message, of a validation error
MAX_VALUE_REPR = 80
MAX_MESSAGE = 2000

#: The *setting* of a run — shared by both sides of a comparison unless a scenario's ``changes``
#: names one of them (``tax_deadline_rush`` changes ``start``).
SETTING_FIELDS = ("city", "population", "scale", "hours", "start", "seed", "tick_s", "gtfs", "study")

#: Fields that describe a scenario and never change what a run does.
DOC_FIELDS = ("name", "description", "baseline", "question", "intervention", "changes", "kpis", "expected",
              "replications")


class ScenarioError(TwinError):
    """A scenario that does not exist or does not validate."""


class Scenario(BaseModel):
    """A run description (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "baseline"
    description: str = ""
    # the scenario this one is an intervention on (None: a baseline itself)
    baseline: str | None = None
    # for the planner: the question it answers, the intervention in words, the dotted fields the
    # intervention sets, the KPIs to look at, and the expected direction of their change
    question: str = ""
    intervention: str = ""
    changes: list[str] = Field(default_factory=list)
    kpis: list[str] = Field(default_factory=list)
    expected: str = ""
    # study settings (scenarios.study) applied to this run; shared by both sides of a study
    study: list[str] = Field(default_factory=list)
    city: str = "demo"
    population: int | None = Field(None, ge=0)
    scale: float | None = Field(None, gt=0, le=10)
    hours: float = Field(24.0, gt=0, le=24 * 366)
    seed: int = Field(42, ge=0, lt=2**63)
    start: datetime = datetime(2026, 3, 2, 0, 0, 0)
    tick_s: float = Field(5.0, gt=0, le=600)
    # "auto": the city's feed beside its OSM file (../gtfs/<city>_*.zip); a path; or "none"
    gtfs: str = "auto"
    # roads closed for the whole run: street names (all their edges) or OSM way ids; or a mapping
    # from a city's name (as in city:, e.g. "demo", "brasov") to its list, so one scenario file
    # names the right streets in each city it supports
    closures: list[str | int] | dict[str, list[str | int]] = Field(default_factory=list)
    # events on the timeline (agents.timeline): heatwave, snowstorm, earthquake, outages
    events: list[TimelineEvent] = Field(default_factory=list)
    replications: int = Field(1, ge=1, le=1000)
    citizens: PopulationParams = PopulationParams()
    # the adoption funnel of the digital services (agents.adoption): starting shares, rates and
    # interventions (campaigns, a skills course, assisted kiosks, onboarding, support)
    adoption: AdoptionParams = AdoptionParams()
    daily: DailyParams = DailyParams()
    transit: TransitParams = TransitParams()
    demand: DemandParams = DemandParams()
    taxes: TaxParams = TaxParams()
    incidents: IncidentParams = IncidentParams()
    responders: ResponderParams = ResponderParams()
    services: ServicesParams = ServicesParams()
    sensors: SensorParams = SensorParams()
    ledger: LedgerParams = LedgerParams()
    chatbot: ChatbotParams = ChatbotParams()
    # how vehicles share the road: queue (default) or free_flow (twin.traffic; `traffic: free_flow`)
    traffic: TrafficParams = TrafficParams()

    @field_validator("study")
    @classmethod
    def _known_study(cls, v):
        try:
            return check_names(v)
        except StudySettingError as exc:
            raise ValueError(str(exc).removeprefix("study: ")) from None

    @field_validator("changes")
    @classmethod
    def _known_changes(cls, v):
        for c in v:
            if c.split(".")[0] not in cls.model_fields or c.split(".")[0] in DOC_FIELDS:
                raise ValueError(f"{c!r} is not a field a scenario can change")
        return v

    @model_validator(mode="after")
    def _one_size(self):
        if self.population is not None and self.scale is not None:
            raise ValueError("give population or scale, not both")
        return self


def library_names() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(p.stem for p in LIBRARY.glob("*.yaml"))


def load_scenario(name_or_path: str, **overrides) -> Scenario:
    """Load a scenario from the library (by name) or a YAML file, then apply ``overrides``
    (keys whose value is None are ignored), then its study settings (``study:``, or the
    ``study`` override, which replaces the file's list).

    Raises
    ------
    ScenarioError
        Unknown name, missing or unreadable file, or a field that does not validate.
    """
    path = Path(name_or_path)
    if name_or_path in library_names():
        path = LIBRARY / f"{name_or_path}.yaml"
    elif not (path.suffix in (".yaml", ".yml") and path.exists()):
        if path.suffix in (".yaml", ".yml"):
            raise ScenarioError(f"scenario file not found: {name_or_path}")
        raise ScenarioError(f"unknown scenario {name_or_path!r}; the library has: "
                            f"{', '.join(library_names())} (or give a .yaml file)")
    try:
        # bounded: a binary file, a 'billion laughs' alias bomb or a 100,000-deep nesting is
        # a short error naming the file, not a traceback or a 254 MB message
        data = read_yaml(path) or {}
    except YamlFileError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario {str(path)!r} must be a mapping of fields, got {type(data).__name__}")
    data.setdefault("name", path.stem)
    for k, v in overrides.items():
        if v is not None:
            data[k] = v
    if overrides.get("population") is not None:
        data.pop("scale", None)
    if overrides.get("scale") is not None:
        data.pop("population", None)
    try:
        sc = Scenario.model_validate(data)
        if sc.study:
            sc = Scenario.model_validate(apply_study(sc.model_dump(), sc.study))
        return sc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(scenario)'}: {_value(data, e['loc'])} — {e['msg']}"
            for e in exc.errors())
        raise ScenarioError(shorten(f"scenario {str(path)!r}: {problems}", MAX_MESSAGE)) from None


def _value(data, loc):
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        elif isinstance(cur, dict) and cur.get("kind") == part:
            continue                    # the tag of a discriminated union (events: kind)
        else:
            return "(missing)" if loc else ""
    return shorten(repr(cur), MAX_VALUE_REPR)
