"""A household's car is one car (agents/daily.py): a household never has more cars out than it owns
(one, or two: agents.population's second_car_share), they go to the first members leaving and
come back when their tours end at home; deterministic."""
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
    # every household owns a car (half of them two) and every tour could take one: sharing is the
    # only limit
    twin.add(Citizens(n, PopulationParams(households_with_car=1.0, second_car_share=0.5)))
    twin.add(Journeys())
    daily = twin.add(DailyLife(DailyParams(car_use=1.0, choice={"car_constant_min": -30.0})))
    return twin, daily


def test_a_household_never_has_more_cars_out_than_it_owns(demo_city):
    twin, daily = _day(demo_city, seed=3)
    pop = twin.component("population").pop
    n_hh = pop.n_households
    owned = pop.hh_cars.astype(int)
    assert set(np.unique(owned[pop.household[pop.has_car]])) == {1, 2}
    most_out = np.zeros(n_hh, int)
    for _ in range(4 * 14):                            # every 15 minutes until 14:00
        twin.run(0.25)
        out = np.bincount(pop.household[daily.tour_car], minlength=n_hh)
        most_out = np.maximum(most_out, out)
        # every car is at home or out with one member of its household, never both, never lost
        assert np.array_equal(out + daily.cars_home, owned), "a car was duplicated or lost"
        assert (daily.cars_home >= 0).all()
    assert (most_out <= owned).all()
    assert (most_out[owned == 2] == 2).any() and (most_out[owned == 1] == 1).any()   # cars did go out
    k = daily.kpis()
    # households with more adults leaving in the morning than cars: some found none left
    assert k["car_busy_declined"] > 50, k
    assert k["journeys_by_mode"]["car"] > 300, k
    assert twin.component("population").kpis()["household_cars"] == owned.sum()


def test_cars_come_home_with_their_tour_and_the_day_is_deterministic(demo_city):
    got = []
    for _ in range(2):
        twin, daily = _day(demo_city, seed=11, n=1000)
        twin.run(24.0)
        got.append((daily.kpis(), daily.cars_home.copy(), daily.tour_car.copy()))
    (k, home, out), (k2, home2, out2) = got
    assert k == k2 and np.array_equal(home, home2) and np.array_equal(out, out2)
    # after midnight almost every tour has ended at home: the cars are back
    pop_cars = int(home.sum() + out.sum())          # cars at home + members out with one
    assert out.sum() < 0.05 * pop_cars, (int(out.sum()), pop_cars)
    assert k["journeys_by_mode"]["car"] > 0 and CAR == 0
