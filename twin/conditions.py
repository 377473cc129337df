"""The run's conditions: weather, outages and demand multipliers that scenario events change.

A :class:`Conditions` object lives on every :class:`twin.engine.Twin` as ``twin.conditions``.
The timeline (:mod:`agents.timeline`) writes it; the components that care read it at the moment
they act, so an event needs no wiring into them:

* ``temp_offset_c`` — added to the modelled air temperature (a heatwave: +8 °C);
* ``rate(kind)`` — a multiplier on the rate of an incident kind or a report category
  (``"medical"``, ``"accident"``, ``"streets"`` …), 1.0 unless an event set it;
* ``down(system)`` — whether a system is out (``"mqtt"``: the broker the devices talk to;
  ``"chain"``: the ledger's chain node);
* ``speed_factor`` — the share of free-flow speed the roads allow (snow: 0.6); :class:`Mobility`
  components apply it to their edge speeds when it changes.

It imports nothing from the rest of the twin: it is plain state with a change signal.
"""
from __future__ import annotations

import math
from typing import Callable


class Conditions:
    """Mutable run conditions (see the module docstring)."""

    def __init__(self) -> None:
        self.temp_offset_c = 0.0
        self.speed_factor = 1.0
        self._rates: dict[str, list[float]] = {}       # the factors of the events in force
        self._down: set[str] = set()
        self.listeners: list[Callable[[str], None]] = []

    # ---- reading ------------------------------------------------------------------------------
    def rate(self, kind: str) -> float:
        """Multiplier on the rate of ``kind`` (1.0 if no event changed it)."""
        return math.prod(self._rates.get(kind, ()))

    def down(self, system: str) -> bool:
        """True while ``system`` (``"mqtt"``, ``"chain"``) is out."""
        return system in self._down

    @property
    def outages(self) -> list[str]:
        return sorted(self._down)

    # ---- writing (the timeline) ---------------------------------------------------------------
    def scale_rate(self, kind: str, factor: float) -> None:
        """Multiply the rate of ``kind`` by ``factor`` while an event lasts (:meth:`unscale_rate`
        ends it; a factor of 0 can be undone too)."""
        self._rates.setdefault(kind, []).append(float(factor))
        self._changed("rate")

    def unscale_rate(self, kind: str, factor: float) -> None:
        """End one :meth:`scale_rate` of ``kind`` by ``factor``."""
        factors = self._rates.get(kind, [])
        if float(factor) not in factors:
            raise ValueError(f"no rate factor {factor} of {kind!r} in force")
        factors.remove(float(factor))
        if not factors:
            del self._rates[kind]
        self._changed("rate")

    def set_down(self, system: str, down: bool) -> None:
        (self._down.add if down else self._down.discard)(system)
        self._changed(system)

    def set_speed_factor(self, factor: float) -> None:
        if not factor > 0:
            raise ValueError(f"speed_factor must be > 0, got {factor}")
        self.speed_factor = float(factor)
        self._changed("speed")

    def set_temp_offset(self, offset_c: float) -> None:
        self.temp_offset_c = float(offset_c)
        self._changed("temp")

    def _changed(self, what: str) -> None:
        for f in self.listeners:
            f(what)
