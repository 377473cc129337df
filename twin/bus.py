"""The in-process event bus: MQTT-style topics, published and subscribed to by every module.

Topics are slash-separated (``city/brasov/mobility/citizen``); a subscription pattern may use
MQTT's wildcards, ``+`` for one level and ``#`` for the rest. Delivery is synchronous and in
subscription order, so a run stays deterministic. The sensors' MQTT bridge mirrors this bus to a
real broker; the event log is just one more subscriber, on ``#``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np


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


@dataclass(slots=True)
class EventBatch:
    """Many events of one topic and kind at once, as columns (the fast path for trips).

    ``t``, ``lon``, ``lat`` are float arrays, ``entity`` (and ``ref``, or one string for all) a
    sequence of ids, ``payload`` a mapping of column name → array or list (numbers, or strings
    that need no JSON escaping). Subscribers that define ``on_batch(batch)`` receive it whole;
    the others get each row as an :class:`Event`, in order.
    """

    t: np.ndarray
    topic: str
    kind: str
    entity: list
    lon: np.ndarray
    lat: np.ndarray
    payload: dict = field(default_factory=dict)
    ref: object = ""

    def __len__(self) -> int:
        return len(self.t)

    def events(self) -> Iterator[Event]:
        cols = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in self.payload.items()}
        refs = [self.ref] * len(self) if isinstance(self.ref, str) else list(self.ref)
        for i, (t, ent, lon, lat) in enumerate(zip(self.t.tolist(), self.entity, self.lon.tolist(),
                                                   self.lat.tolist())):
            yield Event(t, self.topic, self.kind, ent, refs[i], lon, lat, {k: v[i] for k, v in cols.items()})


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
        subs = self._subscribers(event.topic)
        self.published += 1
        for callback in subs:
            callback(event)

    def publish_batch(self, batch: EventBatch) -> None:
        """Deliver a batch: whole to subscribers with ``on_batch``, row by row to the others."""
        if not len(batch):
            return
        subs = self._subscribers(batch.topic)
        self.published += len(batch)
        for callback in subs:
            on_batch = getattr(callback, "on_batch", None)
            if on_batch is not None:
                on_batch(batch)
            else:
                for e in batch.events():
                    callback(e)

    def _subscribers(self, topic: str) -> list:
        subs = self._cache.get(topic)
        if subs is None:
            if "+" in topic or "#" in topic:
                raise ValueError(f"cannot publish to a topic with wildcards: {topic!r}")
            subs = [c for p, c in self._subs if topic_matches(p, topic)]
            self._cache[topic] = subs
        return subs
