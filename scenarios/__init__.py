"""Scenarios: what-if runs described in YAML and validated by a schema.

Owns the scenario schema (:mod:`scenarios.schema`), the shipped library (``library/*.yaml``) and
:func:`load_scenario`. The schema validates every component's parameters, so it may import the
packages that define them (:mod:`twin`, :mod:`agents`, :mod:`sensors`, :mod:`services`,
:mod:`ledger`); only :mod:`twin_app` and :mod:`dash_app` import it.
"""
from scenarios.schema import Scenario, ScenarioError, library_names, load_scenario

__all__ = ["Scenario", "ScenarioError", "library_names", "load_scenario"]
