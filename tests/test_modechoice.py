"""Mode choice (agents/modechoice.py): the logit draw against its probabilities, availability,
determinism, and the utility's response to its weights."""
from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from agents.modechoice import (BUS, CAR, WALK, ModeChoiceParams, bus_cost, choose, crowding_cost,
                               crowding_multiplier, probabilities)

INF = np.inf


def test_draws_follow_the_logit_probabilities():
    p = ModeChoiceParams(scale_min=8.0)
    cost = np.array([[20.0, 30.0, 25.0]])                      # car, walk, bus minutes
    prob = probabilities(p, cost)[0]
    assert prob.sum() == pytest.approx(1.0)
    assert prob[CAR] / prob[BUS] == pytest.approx(np.exp(5 / 8))
    n = 40_000
    got = choose(p, np.repeat(cost, n, axis=0), np.random.default_rng(1))
    freq = np.bincount(got, minlength=3) / n
    # within 4 standard errors of each probability
    assert np.all(np.abs(freq - prob) < 4 * np.sqrt(prob * (1 - prob) / n)), (freq, prob)


def test_unavailable_alternatives_are_never_chosen():
    p = ModeChoiceParams()
    cost = np.array([[INF, 5.0, INF], [INF, INF, 90.0], [INF, INF, INF], [1.0, INF, 500.0]])
    got = choose(p, np.repeat(cost, 500, axis=0), np.random.default_rng(2)).reshape(4, 500)
    assert (got[0] == WALK).all() and (got[1] == BUS).all() and (got[2] == -1).all()
    assert set(got[3]) <= {CAR, BUS} and (got[3] == CAR).mean() > 0.99
    assert probabilities(p, cost)[2].sum() == 0


def test_the_same_seed_gives_the_same_choices():
    p = ModeChoiceParams()
    cost = np.random.default_rng(0).uniform(5, 60, (1000, 3))
    a = choose(p, cost, np.random.default_rng(7))
    b = choose(p, cost, np.random.default_rng(7))
    assert (a == b).all() and len(set(a)) == 3


def test_a_cheaper_bus_wins_riders():
    """A lower bus constant (or fewer transfers, less waiting) raises the bus share."""
    cost = np.tile([45.0, INF, 0.0], (20_000, 1))
    base = ModeChoiceParams()
    cost[:, BUS] = bus_cost(base, in_vehicle_s=900, wait_s=600, walk_s=480, transfers=1)
    share = (choose(base, cost, np.random.default_rng(3)) == BUS).mean()
    better = cost.copy()
    better[:, BUS] = bus_cost(base, in_vehicle_s=900, wait_s=300, walk_s=480, transfers=0)
    share2 = (choose(base, better, np.random.default_rng(3)) == BUS).mean()
    assert 0.15 < share < 0.25 and share2 > share + 0.3
    # the cost: 15 min riding + 2 × 10 min waiting + 2 × 8 min walking + 5 min for the change
    assert bus_cost(base, 900, 600, 480, 1) == pytest.approx(15 + 20 + 16 + 5)


def test_crowding_weighs_riding_minutes_and_full_vehicles_cost_a_headway_each():
    """Seats free (load ≤ 0.3): a riding minute is a minute; a full vehicle: 1.6 minutes; a
    rider expecting two full buses to pass before boarding adds two headways' wait at the
    wait weight; ``crowding: false`` ignores both."""
    p = ModeChoiceParams()
    assert crowding_multiplier(p, [0.0, 0.3, 0.65, 1.0, 1.4]).tolist() == pytest.approx([1, 1, 1.3, 1.6, 1.6])
    assert crowding_cost(p, 1200, 0.2, 0, 600) == 0
    assert crowding_cost(p, 1200, 1.0, 0, 600) == pytest.approx(0.6 * 20)
    assert crowding_cost(p, 1200, 0.2, 2, 600) == pytest.approx(2.0 * 2 * 10)
    assert crowding_cost(ModeChoiceParams(crowding=False), 1200, 1.0, 2, 600) == 0
    # a crowded bus loses riders to the car
    cost = np.tile([30.0, INF, 30.0], (20_000, 1))
    calm = (choose(p, cost, np.random.default_rng(3)) == BUS).mean()
    cost[:, BUS] += crowding_cost(p, 1200, 1.0, 1, 600)
    crowded = (choose(p, cost, np.random.default_rng(3)) == BUS).mean()
    assert 0.45 < calm < 0.55 and crowded < 0.1


def test_bad_weights_name_the_field():
    with pytest.raises(ValidationError, match="scale_min"):
        ModeChoiceParams(scale_min=0)
    with pytest.raises(ValidationError, match="walk_weight"):
        ModeChoiceParams(walk_weight=-1)
