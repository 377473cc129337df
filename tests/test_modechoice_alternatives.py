"""What the mode choice was offered (issue 19): driving licences (agents/daily.py) and the
``transit.alternatives`` / ``transit.no_car_because`` KPIs of agents/journeys.py, on the demo town
(no timetable: walk and car only)."""
from __future__ import annotations

import numpy as np

from agents.daily import DailyLife, DailyParams
from agents.journeys import CAR_STATUS, MODE_NAMES, Journeys
from agents.population import OCCUPATIONS, Citizens
from twin.engine import Twin
from twin.mobility import Mobility


def _morning(city, n=1500, seed=5, **daily):
    twin = Twin(city, seed=seed)
    twin.add(Mobility(n, tick_s=5.0))
    twin.add(Citizens(n))
    j = twin.add(Journeys())
    d = twin.add(DailyLife(DailyParams(**daily)))
    return twin, j, d


def test_pupils_never_drive_and_each_household_car_has_a_driver(demo_city):
    for share in (0.0, 0.55, 1.0):
        twin, _, d = _morning(demo_city, **{"licence_share": share})
        pop = twin.component("population").pop
        lic = d.licence
        able = d.adult & (pop.occupation != OCCUPATIONS.index("pupil")) & pop.has_car
        assert not (lic & ~able).any()                       # no pupil, child or carless household
        assert not (lic & (pop.occupation == OCCUPATIONS.index("pupil"))).any()
        # every car-owning household has a licensed adult per car (as many as it has adults able)
        n_lic = np.bincount(pop.household[lic], minlength=pop.n_households)
        n_able = np.bincount(pop.household[able], minlength=pop.n_households)
        assert (n_lic >= np.minimum(pop.hh_cars, n_able)).all()
        extra = able & ~_first(pop, able)
        if share == 1.0:
            assert (lic == able).all()
        elif share == 0.0:
            assert not (lic & extra).any()
        else:                                                # the others at the national rate
            rate = lic[extra].mean()
            assert abs(rate - share) < 4 * np.sqrt(share * (1 - share) / extra.sum()), (rate, extra.sum())


def _first(pop, able):
    from agents.daily import _first_per_group

    return _first_per_group(np.maximum(pop.household, 0), able, pop.hh_cars.astype(np.int64))


def test_the_kpis_say_what_each_journey_was_offered_and_why_no_car(demo_city):
    got = []
    for _ in range(2):
        twin, j, d = _morning(demo_city)
        twin.run(10.0)
        got.append(j.kpis()["transit"])
    k = got[0]
    assert k == got[1]                                       # deterministic for a seed
    alt, why = k["alternatives"], k["no_car_because"]
    by_mode = j.kpis()["by_mode"]
    assert sum(a["journeys"] for a in alt.values()) == sum(by_mode.values()) > 500
    for m in MODE_NAMES:                                     # the sets add up to the modes taken
        assert sum(a[m] for a in alt.values()) == by_mode[m]
    assert "bus" not in "+".join(alt)                         # no timetable in the demo town
    for name, a in alt.items():
        assert a["journeys"] == sum(a[m] for m in MODE_NAMES)
        offered = set(name.split("+"))
        if name == "car_to_bring_home":
            assert a["car"] == a["journeys"]
        elif name != "none":                                 # chosen among what was offered
            assert all(a[m] == 0 for m in MODE_NAMES if m not in offered), (name, a)
    assert set(why) <= set(CAR_STATUS) and sum(why.values()) == sum(by_mode.values())
    offered_car = sum(a["journeys"] for n, a in alt.items() if "car" in n.split("+") or n == "car_to_bring_home")
    assert offered_car <= why["free"]                        # a car is offered only when free
    assert why["no_licence"] > 0 and why["no_car_in_household"] > 0
    # with every adult but pupils licensed, fewer journeys lack a licence and more drive
    twin, j2, _ = _morning(demo_city, licence_share=1.0)
    twin.run(10.0)
    k2 = j2.kpis()
    assert k2["transit"]["no_car_because"]["no_licence"] < why["no_licence"]
    assert k2["by_mode"]["car"] > by_mode["car"]
