"""The in-process event bus: MQTT-style topics, published and subscribed to by every module.

Topics are slash-separated (``city/brasov/mobility/citizen``); a subscription pattern may use
MQTT's wildcards, ``+`` for one level and ``#`` for the rest. Delivery is synchronous and in
subscription order, so a run stays deterministic. The sensors' MQTT bridge mirrors this bus to a
real broker; the event log is just one more subscriber, on ``#``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Event:
    """Something that happened at simulated time ``t`` (seconds since the run's start).

    ``entity`` is the pseudonymous id of what the event is about (``citizen:12``,
    ``ambulance:3``), ``ref`` an optional related id; ``lon``/``lat`` where it happened
    (NaN if nowhere in particular); ``payload`` JSON-serialisable details.
    """

    t: float
    topic: str
    kind: str
    entity: str = ""
    ref: str = ""
    lon: float = math.nan
    lat: float = math.nan
    payload: dict = field(default_factory=dict)


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT topic matching: ``+`` matches one level, a final ``#`` matches any remainder."""
    p = pattern.split("/")
    t = topic.split("/")
    for i, level in enumerate(p):
        if level == "#":
            return i == len(p) - 1
        if i >= len(t):
            return False
        if level != "+" and level != t[i]:
            return False
    return len(p) == len(t)


def _check_pattern(pattern: str) -> None:
    levels = pattern.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            raise ValueError(f"subscription pattern {pattern!r}: '#' must be a whole, final level")
        if "+" in level and level != "+":
            raise ValueError(f"subscription pattern {pattern!r}: '+' must be a whole level")


class EventBus:
    """Synchronous publish/subscribe with MQTT wildcards and a per-topic routing cache."""

    def __init__(self) -> None:
        self._subs: list[tuple[str, Callable[[Event], None]]] = []
        self._cache: dict[str, list[Callable[[Event], None]]] = {}
        self.published = 0

    def subscribe(self, pattern: str, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` for every event whose topic matches ``pattern``."""
        _check_pattern(pattern)
        self._subs.append((pattern, callback))
        self._cache.clear()

    def unsubscribe(self, callback: Callable[[Event], None]) -> None:
        self._subs = [(p, c) for p, c in self._subs if c is not callback]
        self._cache.clear()

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every matching subscriber, in subscription order."""
        subs = self._cache.get(event.topic)
        if subs is None:
            if "+" in event.topic or "#" in event.topic:
                raise ValueError(f"cannot publish to a topic with wildcards: {event.topic!r}")
            subs = [c for p, c in self._subs if topic_matches(p, event.topic)]
            self._cache[event.topic] = subs
        self.published += 1
        for callback in subs:
            callback(event)
