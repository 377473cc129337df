"""The household's car is one car (agents/daily.py): never out with two members at once, taken by
the first member leaving, back when its tour ends at home; deterministic."""
from __future__ import annotations

import numpy as np

from agents.daily import DailyLife, DailyParams, _first_per_group
from agents.journeys import CAR, Journeys
from agents.population import Citizens, PopulationParams
from twin.engine import Twin
from twin.mobility import Mobility


def test_the_first_of_a_household_in_a_release_gets_its_car():
    hh = np.array([4, 7, 4, 4, 9, 7, -1])
    want = np.array([True, True, True, False, True, True, False])
    slots = np.zeros(10, np.int16)
    slots[[4, 7]] = 1                                  # household 9 has no car at home
    got = _first_per_group(hh, want, slots)
    assert got.tolist() == [True, True, False, False, False, False, False]
    slots[4] = 2                                       # two cars: the first two who want one
    assert _first_per_group(hh, want, slots).tolist() == [True, True, True, False, False, False, False]


def _day(city, seed: int, n: int = 2000):
    twin = Twin(city, seed=seed)
    twin.add(Mobility(n, tick_s=5.0))
    # every household owns a car and every tour could take it: sharing is the only limit
    twin.add(Citizens(n, PopulationParams(households_with_car=1.0)))
    twin.add(Journeys())
    daily = twin.add(DailyLife(DailyParams(car_use=1.0, choice={"car_constant_min": -30.0})))
    return twin, daily


def test_a_household_car_is_out_with_one_member_at_most(demo_city):
    twin, daily = _day(demo_city, seed=3)
    pop = twin.component("population").pop
    n_hh = pop.n_households
    owning = np.zeros(n_hh, bool)
    owning[pop.household[pop.has_car]] = True
    most_out = 0
    for _ in range(4 * 14):                            # every 15 minutes until 14:00
        twin.run(0.25)
        out = np.bincount(pop.household[daily.tour_car], minlength=n_hh)
        most_out = max(most_out, int(out.max()))
        # every car is at home or out with one member of its household, never both, never lost
        assert np.array_equal(out + daily.cars_home, owning.astype(int)), "a car was duplicated or lost"
        assert (daily.cars_home >= 0).all()
    assert most_out == 1                               # cars did go out
    k = daily.kpis()
    # households of two or more adults who leave in the morning: some found the car taken
    assert k["car_busy_declined"] > 100, k
    assert k["journeys_by_mode"]["car"] > 300, k
    drivers = np.nonzero(daily.tour_car)[0]
    assert len(np.unique(pop.household[drivers])) == len(drivers)


def test_cars_come_home_with_their_tour_and_the_day_is_deterministic(demo_city):
    got = []
    for _ in range(2):
        twin, daily = _day(demo_city, seed=11, n=1000)
        twin.run(24.0)
        got.append((daily.kpis(), daily.cars_home.copy(), daily.tour_car.copy()))
    (k, home, out), (k2, home2, out2) = got
    assert k == k2 and np.array_equal(home, home2) and np.array_equal(out, out2)
    # after midnight almost every tour has ended at home: the cars are back
    pop_cars = int(home.sum() + out.sum())
    assert out.sum() < 0.05 * pop_cars, (int(out.sum()), pop_cars)
    assert k["journeys_by_mode"]["car"] > 0 and CAR == 0
