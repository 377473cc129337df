"""The ledger's throughput on the embedded chain (py-evm in process).

* baseline — **one transaction per payment** (``Ledger.record``: a signed ``record`` call and
  its receipt), payments per second;
* **anchored** — 20,000 payments end to end: queued in the store (``pay_many``), frozen into
  Merkle batches of 10,000 and anchored (one transaction per batch), and a receipt with its
  proof built for every payment; payments per second;
* verification — ``verify_receipt`` of one receipt (leaf, proof, the contract's ``verify`` call,
  the anchoring transaction's event), seconds per receipt.

    .venv/bin/python -m pytest benchmarks/test_bench_ledger.py --benchmark-only
"""
from __future__ import annotations


import pytest

from ledger.ledger import Ledger

N = 20_000


def _items(n, offset=0):
    return [(f"citizen:{i % 5000}", ("building", "land", "vehicle")[i % 3], 1000 + i, 1772445600 + i)
            for i in range(offset, offset + n)]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return Ledger.open(None, f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'l.sqlite'}", batch_size=10_000)


@pytest.mark.benchmark(group="ledger: payments per second (embedded py-evm chain)")
def test_one_transaction_per_payment_baseline(benchmark, ledger):
    ids = ledger.pay_many(_items(200, offset=10**6))
    it = iter(ids)
    benchmark.pedantic(lambda: ledger.record(next(it)), rounds=200, iterations=1)
    benchmark.extra_info["payments_per_s"] = round(1 / benchmark.stats.stats.mean, 1)


@pytest.mark.benchmark(group="ledger: payments per second (embedded py-evm chain)")
def test_anchored_payments_with_proofs(benchmark, ledger):
    offsets = iter(range(0, 10**6, N))

    def run():
        ids = ledger.pay_many(_items(N, offset=next(offsets)))
        ledger.anchor()
        return ledger.receipts(ids)

    receipts = benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["payments_per_s"] = round(N / benchmark.stats.stats.mean)
    assert len(receipts) == N and all(r["tx_hash"] for r in receipts[:: N // 10])


@pytest.mark.benchmark(group="ledger: verify one receipt")
def test_verify_receipt(benchmark, ledger):
    ids = ledger.pay_many(_items(1000, offset=5 * 10**6))
    ledger.anchor()
    receipts = ledger.receipts(ids)
    it = iter(receipts * 10)
    ok = benchmark(lambda: ledger.verify_receipt(next(it)).ok)
    assert ok
    benchmark.extra_info["ms_per_receipt"] = round(benchmark.stats.stats.mean * 1000, 2)
