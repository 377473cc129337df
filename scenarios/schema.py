"""The scenario schema, and loading scenarios by library name or from a YAML file.

A scenario fixes everything a run needs: the city, how many citizens, how long, the seed, when
the simulation starts, and (in later issues) the interventions. Unknown fields are errors, and
every error names the field and the value, e.g. ``scenario 'x.yaml': population: -5 — Input
should be greater than or equal to 0``.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
from twin.errors import TwinError

LIBRARY = Path(__file__).parent / "library"


class ScenarioError(TwinError):
    """A scenario that does not exist or does not validate."""


class Scenario(BaseModel):
    """A run description (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "baseline"
    description: str = ""
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
    (keys whose value is None are ignored).

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
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(f"scenario {str(path)!r} is not valid YAML: {exc}") from None
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
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(scenario)'}: {_value(data, e['loc'])} — {e['msg']}"
            for e in exc.errors())
        raise ScenarioError(f"scenario {str(path)!r}: {problems}") from None


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
    return repr(cur)
