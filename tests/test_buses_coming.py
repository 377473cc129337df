"""Buses._coming (agents/buses.py), which strands a waiting rider when no vehicle of the pattern is
left to pass the stop, reads the pattern's rearmost vehicle instead of scanning all of them; it
must answer as the scan does at every moment of a day, for every stop of the line."""
from __future__ import annotations

import math

import pytest

from tests.test_buses import H8, _fleet, _line, street  # noqa: F401  (fixture)

pytestmark = pytest.mark.brasov


def _scan(buses, p: int, i: int) -> bool:
    return any(v.pos < i or (v.pos == i and v.at_stop)
               for v in buses.live.values() if v.pattern == p)


def test_coming_answers_as_the_scan_of_every_live_vehicle(brasov, street, tmp_path):
    _, ff = street
    hop = [int(math.ceil(x)) + 60 for x in ff]
    tt = _line(brasov, street, tmp_path / "f", hop, [H8, H8 + 240, H8 + 480])
    twin, buses, _ = _fleet(brasov, tt)
    twin.run(7.95)
    seen = set()
    for _ in range(120):                       # 20 s steps through the three trips and after
        for p in range(len(tt.pattern_stops)):
            for i in range(len(tt.pattern_stops[p])):
                want = _scan(buses, p, i)
                assert buses._coming(p, i) == want, (twin.now, p, i)
                seen.add(want)
        twin.run(20 / 3600)
    assert seen == {True, False}              # both answers were asked for
    assert buses.kpis()["trips_run"] == 3 and not buses.live
