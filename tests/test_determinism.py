"""Same seed, same event log, down to the ledger's hashes.

Two runs of Brașov at one seed (scale 0.05, 24 h) differed in one ``payment_receipt`` and its
``batch_anchored``: ``payer_hash``, ``leaf``, ``root`` and ``tx_hash`` of a payment made
through the chatbot, whose payer pseudonym was ``chat:{id(session)}`` — a memory address,
different in every process. The pseudonym now comes from the ledger's random source, the
run's seeded stream (:meth:`ledger.ledger.Ledger.one_off_payer`)."""
from __future__ import annotations

from datetime import datetime

import pytest

from ledger.ledger import Ledger
from services.chatbot.bot import Chatbot
from twin.rng import RandomStreams

NOW = datetime(2026, 3, 2, 13, 0)


def _seeded_ledger(tmp_path, name: str, seed: int = 42) -> Ledger:
    """A ledger on the embedded chain drawing from the run's ``ledger`` stream, as
    :class:`ledger.component.LedgerComponent` opens it."""
    rng = RandomStreams(seed).get("ledger")
    return Ledger.open(None, f"sqlite:///{tmp_path / name}", random_bytes=lambda n: rng.bytes(n))


def _pay_by_chat(bot: Chatbot, session: str) -> int:
    bot.reply(session, "vreau sa platesc impozitul")
    bot.reply(session, "pe teren")
    r = bot.reply(session, "da")
    act = next(a for a in r["actions"] if a["type"] == "tax_payment")
    return act["payment_id"]


def test_a_chat_payment_gets_the_same_payer_hash_root_and_transaction_at_the_same_seed(tmp_path, model):
    # both bots alive at once, as two processes would be: an id()-based pseudonym differs
    receipts = []
    bots = []
    for name in ("a.sqlite", "b.sqlite"):
        ledger = _seeded_ledger(tmp_path, name)
        bot = Chatbot(ledger=ledger, clock=lambda: NOW, model=model)
        bots.append(bot)
        ledger.pay_many([("citizen:7", "building", 21_562, 1772431580)])        # a household's tax
        pids = [_pay_by_chat(bot, "citizen:12131@46800"), _pay_by_chat(bot, "citizen:40@50000")]
        ledger.anchor()
        receipts.append(ledger.receipts(pids))
    a, b = receipts
    assert a == b                       # payer_hash, leaf, proof, root, tx_hash, block: all equal
    # each chat payment has a payer of its own, which links it to no other payment
    assert a[0]["payment"]["payer_hash"] != a[1]["payment"]["payer_hash"]
    assert all(bots[0].ledger.verify_receipt(r).ok for r in a)


def test_one_off_payers_follow_the_seed_and_refuse_a_bad_prefix(tmp_path):
    x = _seeded_ledger(tmp_path, "x.sqlite")
    y = _seeded_ledger(tmp_path, "y.sqlite")
    z = _seeded_ledger(tmp_path, "z.sqlite", seed=43)
    px, py, pz = x.one_off_payer("chat"), y.one_off_payer("chat"), z.one_off_payer("chat")
    assert px == py != pz and px.startswith("chat:") and len(px) == len("chat:") + 32
    assert x.one_off_payer("chat") != px                     # never the same twice
    with pytest.raises(Exception, match="prefix"):
        x.one_off_payer("a@b")
