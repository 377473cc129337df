"""A scenario as a Mesa model, so that ``mesa.batch_run`` sweeps parameters of the twin.

:class:`ScenarioModel` takes a scenario name and any parameter as a keyword; nested fields are
joined by ``__`` (``daily__car_use=0.5``, ``citizens__persona_shares=...``). One Mesa step is one
simulated hour; the model stops after the scenario's ``hours``; its DataCollector samples the
run's headline KPIs every step::

    import mesa
    from twin_app.batch import ScenarioModel
    rows = mesa.batch_run(ScenarioModel, {"population": 2000, "daily__car_use": [0.3, 0.9],
                                          "seed": [1, 2]}, max_steps=24, display_progress=False)

Cities are loaded once per process and shared by the runs.
"""
from __future__ import annotations

from functools import lru_cache

import mesa

from scenarios import load_scenario
from scenarios.schema import Scenario, ScenarioError
from twin.city import load_city
from twin_app.run import build_twin


@lru_cache(maxsize=4)
def _city(source: str):
    return load_city(source)


def _nested(overrides: dict) -> dict:
    out: dict = {}
    for key, value in overrides.items():
        parts = key.split("__")
        cur = out
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = value
    return out


def _merge(base: dict, extra: dict) -> dict:
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


class ScenarioModel(mesa.Model):
    """One run of a scenario, stepped an hour at a time (see the module docstring)."""

    def __init__(self, scenario: str = "baseline", seed: int = 42, **params):
        super().__init__(rng=seed)
        base = load_scenario(scenario).model_dump()
        data = _merge(base, _nested({"seed": seed, **params}))
        if "population" in params:
            data["scale"] = None
        if "scale" in params:
            data["population"] = None
        try:
            self.scenario = Scenario.model_validate(data)
        except Exception as exc:  # pydantic's message names the field and the value
            raise ScenarioError(f"ScenarioModel({scenario!r}): {exc}") from None
        self.twin = build_twin(self.scenario, _city(self.scenario.city))
        k = self.twin.component
        self.datacollector = mesa.DataCollector(model_reporters={
            "trips": lambda m: int(k("mobility").completed.sum()),
            "reports": lambda m: int(sum(k("demand").reports.values())),
            "chat_questions": lambda m: int(sum(k("demand").chat.values())),
            "tax_payments": lambda m: k("taxes").payments,
            "incidents": lambda m: int(sum(k("incidents").created.values())),
            "units_busy": lambda m: sum(1 for u in k("responders").units if u.state != "available"),
        })

    def step(self) -> None:
        self.twin.run(1.0)
        self.datacollector.collect(self)
        if self.twin.now >= self.scenario.hours * 3600.0 - 1e-6:
            self.running = False
