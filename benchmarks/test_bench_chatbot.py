"""The assistant's reply time on one core, on the held-out messages, against a simple baseline.

* ``Chatbot.reply`` — a whole turn (language, intent model, emergency and out-of-scope rules,
  slots with fuzzy street and stop matching on Brașov's 805 streets and 476 stops, the reply),
  each message the first of a fresh session;
* baseline — **nearest training example** by rapidfuzz ``WRatio`` over the folded training set
  (no model; what one would write without scikit-learn), intent only.

Each records its intent accuracy on the held-out file in ``extra_info`` too.

    .venv/bin/python -m pytest benchmarks/test_bench_chatbot.py --benchmark-only
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from benchmarks.conftest import SHARED, load_shared_city
from services.chatbot.evaluate import load_jsonl
from twin.text import fold
from services.chatbot.training import examples

HELDOUT = Path(__file__).resolve().parent.parent / "services" / "chatbot" / "data" / "heldout.jsonl"


@pytest.fixture(scope="module")
def rows():
    return load_jsonl(HELDOUT)


@pytest.fixture(scope="module")
def bot():
    from services.geo import CityArea
    from services.server import make_chatbot

    city = load_shared_city(SHARED / "osm" / "brasov_all_highways.osm.bz2")
    return make_chatbot(city, area=CityArea(city), ledger=False)


@pytest.mark.benchmark(group="chatbot: one reply (held-out messages)")
def test_chatbot_reply(benchmark, bot, rows):
    it = itertools.cycle(enumerate(rows))

    def one():
        k, row = next(it)
        return bot.reply(f"bench-{k}-{id(row)}-{next(counter)}", row["text"])

    counter = itertools.count()
    benchmark.pedantic(one, rounds=len(rows) * 3, iterations=1)
    stats = benchmark.stats.stats
    data = sorted(stats.data)
    benchmark.extra_info["p95_ms"] = round(data[int(0.95 * len(data))] * 1000, 3)
    benchmark.extra_info["intent_accuracy"] = round(
        sum(bot.understand(r["text"]).intent == r["intent"] for r in rows) / len(rows), 4)


@pytest.mark.benchmark(group="chatbot: one reply (held-out messages)")
def test_nearest_example_baseline(benchmark, rows):
    train = examples()
    texts = [fold(t) for t, _, _ in train]
    labels = [i for _, i, _ in train]
    it = itertools.cycle(rows)

    def one():
        m = process.extractOne(fold(next(it)["text"]), texts, scorer=fuzz.WRatio)
        return labels[m[2]]

    benchmark.pedantic(one, rounds=len(rows) * 3, iterations=1)
    data = sorted(benchmark.stats.stats.data)
    benchmark.extra_info["p95_ms"] = round(data[int(0.95 * len(data))] * 1000, 3)
    hits = sum(labels[process.extractOne(fold(r["text"]), texts, scorer=fuzz.WRatio)[2]] == r["intent"] for r in rows)
    benchmark.extra_info["intent_accuracy"] = round(hits / len(rows), 4)
