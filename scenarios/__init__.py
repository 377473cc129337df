"""Scenarios: what-if runs described in YAML and validated by a schema.

Owns the scenario schema (:mod:`scenarios.schema`), the shipped library (``library/*.yaml``) and
:func:`load_scenario`. May import :mod:`twin` and third-party libraries only.
"""
from scenarios.schema import Scenario, ScenarioError, library_names, load_scenario

__all__ = ["Scenario", "ScenarioError", "library_names", "load_scenario"]
