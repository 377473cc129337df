"""The ledger on the embedded chain and on ganache: anchoring, receipts, tampering, access
control, permits, privacy, nonces under concurrency, a node outage, and a run."""
from __future__ import annotations

import copy
import json
import threading
from datetime import date

import pyarrow.compute as pc
import pytest
from sqlalchemy import update

from ledger import merkle
from ledger.chain import LedgerError, LedgerReverted, LedgerUnavailable, open_chain
from ledger.compiler import compiled
from ledger.ledger import Ledger, text32
from ledger.store import payments
from tests.ganache_node import Ganache
from tests.serving import free_port

CHAINS = ["embedded", "ganache"]


@pytest.fixture(scope="module")
def ganache(tmp_path_factory):
    g = Ganache(tmp_path_factory.mktemp("ganache")).start()
    yield g
    g.stop()


@pytest.fixture(params=CHAINS)
def ledger(request, tmp_path, _private_cache):
    url = None if request.param == "embedded" else request.getfixturevalue("ganache").url
    return Ledger.open(url, f"sqlite:///{tmp_path / 'ledger.sqlite'}", batch_size=500)


def _pay(ledger, n=1200, payers=40):
    return ledger.pay_many([(f"citizen:{i % payers}", ("building", "land", "vehicle")[i % 3], 1000 + i,
                             1772445600 + 60 * i) for i in range(n)])


# ---- compiling ----------------------------------------------------------------------------------
def test_contracts_compile_from_source_with_a_cache(_private_cache):
    a = compiled("Treasury")
    b = compiled("Treasury")
    assert a == b and a["evm_version"] == "shanghai" and a["bytecode"].startswith("0x")
    assert {x["name"] for x in a["abi"] if x["type"] == "function"} >= {"record", "anchor", "verify", "set_treasury"}
    cached = list((_private_cache / "vyper").glob("Treasury-*.json"))
    assert len(cached) == 1 and a["source_hash"][:20] in cached[0].name
    with pytest.raises(FileNotFoundError):
        compiled("Nope")


def test_merkle_proofs_for_every_leaf_and_odd_sizes():
    for n in (1, 2, 3, 7, 8, 33):
        leaves = [merkle.leaf(1, i, bytes(32), bytes(32), text32("land"), i + 1, 0) for i in range(n)]
        t = merkle.tree(leaves)
        r = merkle.root(t)
        for i in range(n):
            assert merkle.verify(leaves[i], merkle.proof(t, i), r)
        if n > 1:
            assert not merkle.verify(leaves[0], merkle.proof(t, 1), r)


def test_a_leaf_is_the_double_hash_of_the_abi_encoded_payment():
    from eth_abi import encode
    from eth_hash.auto import keccak

    fields = [3, 1, b"\1" * 32, b"\2" * 32, text32("land"), 4_500, 1772445600]
    once = keccak(encode(list(merkle.LEAF_ENCODING), fields))
    assert merkle.leaf(*fields) == keccak(once) != once        # double-hashed: leaves ≠ inner nodes


def test_an_inner_node_never_passes_as_a_leaf(ledger):
    """The old attack: hand over an inner node as the "leaf" with the rest of its proof. The
    bare proof check (MerkleProof semantics) accepts it — which is why the leaf is always
    recomputed from the payment's fields, on chain and off — and the contract checks the index."""
    ids = _pay(ledger, n=8)
    ledger.anchor()
    r = ledger.receipt(ids[2])
    t = merkle.tree([bytes.fromhex(x["leaf"][2:]) for x in ledger.receipts(ids)])
    parent = (t.position[2] - 1) // 2
    inner, rest = t.nodes[parent], [bytes.fromhex(x[2:]) for x in r["proof"][1:]]
    assert merkle.verify(inner, rest, t.root)                  # a bare proof check cannot tell
    forged = copy.deepcopy(r)
    forged.update(leaf="0x" + inner.hex(), proof=r["proof"][1:], index=parent)
    v = ledger.verify_receipt(forged)
    assert not v.ok and "leaf" in v.reason
    f = ledger.treasury.functions
    p = r["payment"]
    fields = [bytes.fromhex(p["ref"][2:]), bytes.fromhex(p["payer_hash"][2:]), text32(p["tax_type"]),
              p["amount_bani"], p["paid_at"]]
    proof = [bytes.fromhex(x[2:]) for x in r["proof"]]
    assert ledger.chain.call(f.verify(r["batch_id"], r["index"], *fields, proof))
    assert ledger.chain.call(f.leaf(r["batch_id"], r["index"], *fields)).hex() == r["leaf"][2:]
    assert not ledger.chain.call(f.verify(r["batch_id"], r["index"], *fields, proof[1:]))
    assert not ledger.chain.call(f.verify(r["batch_id"], 8, *fields, proof))         # index ≥ count


# ---- receipts as untrusted input ----------------------------------------------------------------------
def _bad_receipts(ledger, r):
    """(what, change) pairs: each makes a receipt that must be refused with a reason, not raise."""
    other = merkle.tree([merkle.leaf(r["batch_id"], r["index"], bytes.fromhex(r["payment"]["ref"][2:]),
                                     bytes.fromhex(r["payment"]["payer_hash"][2:]), text32(r["payment"]["tax_type"]),
                                     r["payment"]["amount_bani"], r["payment"]["paid_at"]), b"\7" * 32])

    def own_root(x):                      # a consistent receipt whose root was never anchored
        x.update(proof=["0x" + (b"\7" * 32).hex()], root="0x" + other.root.hex())

    return [
        ("tx_hash", lambda x: x.update(tx_hash="0x" + "ab" * 32)),                 # random transaction
        ("tx_hash", lambda x: x.update(tx_hash="0xnothex")),
        ("amount_bani", lambda x: x["payment"].update(amount_bani=-100)),
        ("amount_bani", lambda x: x["payment"].update(amount_bani=2**256)),
        ("amount_bani", lambda x: x["payment"].update(amount_bani="100")),
        ("amount_bani", lambda x: x["payment"].update(amount_bani=10**30)),       # fits, but not the leaf
        ("proof", lambda x: x.update(proof=["0x" + "44" * 32] + x["proof"][1:])),
        ("proof", lambda x: x.update(proof=x["proof"] * 20)),
        ("proof", lambda x: x.update(proof="0x" + "44" * 32)),
        ("proof[0]", lambda x: x.update(proof=["0x44"])),
        ("root", own_root),
        ("root", lambda x: x.update(root=None)),
        ("batch_id", lambda x: x.update(batch_id=10**6)),
        ("batch_id", lambda x: x.update(batch_id=-1)),
        ("index", lambda x: x.update(index=True)),
        ("payment.ref", lambda x: x["payment"].update(ref="0x" + "11" * 31)),
        ("payment.tax_type", lambda x: x["payment"].update(tax_type="x" * 40)),
        ("payment", lambda x: x.pop("payment")),
        ("chain_id", lambda x: x.update(chain_id="1")),
        ("contract", lambda x: x.update(contract="nope")),
        ("block", lambda x: x.update(block=x["block"] + 1)),
    ]


def test_verify_receipt_answers_not_ok_for_every_bad_input(ledger):
    ids = _pay(ledger, n=12)
    ledger.anchor()
    good = ledger.receipt(ids[4])
    assert ledger.verify_receipt(good).ok
    for what, change in _bad_receipts(ledger, good):
        r = copy.deepcopy(good)
        change(r)
        v = ledger.verify_receipt(r)                         # never raises
        assert not v.ok and v.reason, (what, v)
        assert what.split(".")[-1].split("[")[0] in v.reason or what in ("amount_bani", "root", "batch_id"), (what, v)
    for junk in (None, 42, "0x12", [], {"payment": {}}):
        v = ledger.verify_receipt(junk)
        assert not v.ok and v.reason


# ---- the receipts are OpenZeppelin's standard: checked by OpenZeppelin's own library -----------------------
OZ_SCRIPT = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const input = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const verified = input.receipts.map(r => StandardMerkleTree.verify(r.root, input.encoding, r.values, r.proof));
const root = StandardMerkleTree.of(input.batch, input.encoding).root;
console.log(JSON.stringify({ verified, root }));
"""


def _receipt_values(r: dict) -> list[str]:
    p = r["payment"]
    return merkle.values(r["batch_id"], r["index"], p["ref"], p["payer_hash"], "0x" + text32(p["tax_type"]).hex(),
                         p["amount_bani"], p["paid_at"])


def test_openzeppelin_merkle_tree_verifies_our_receipts(tmp_path, _private_cache):
    """A receipt verifies with the npm package @openzeppelin/merkle-tree (StandardMerkleTree),
    and that library builds the very root we anchored from the same payments."""
    import shutil
    import subprocess

    from tests.ganache_node import ROOT

    modules = ROOT / ".tools" / "node_modules"
    if not (modules / "@openzeppelin" / "merkle-tree").exists() or shutil.which("node") is None:
        pytest.fail("@openzeppelin/merkle-tree is not installed in .tools (scripts/install.sh --dev installs it)")
    led = Ledger.open(None, f"sqlite:///{tmp_path / 'ledger.sqlite'}", batch_size=50)
    ids = _pay(led, n=37, payers=9)
    led.anchor()
    receipts = led.receipts(ids)
    picked = [receipts[i] for i in (0, 5, 17, 36)]
    forged = copy.deepcopy(receipts[5])
    forged["payment"]["amount_bani"] += 1
    items = [{"root": r["root"], "values": _receipt_values(r), "proof": r["proof"]} for r in picked + [forged]]
    (tmp_path / "in.json").write_text(json.dumps({"encoding": list(merkle.LEAF_ENCODING), "receipts": items,
                                                   "batch": [_receipt_values(r) for r in receipts]}))
    (tmp_path / "check.js").write_text(OZ_SCRIPT)
    out = subprocess.run(["node", str(tmp_path / "check.js"), str(tmp_path / "in.json")], capture_output=True,
                         text=True, timeout=60, env={"NODE_PATH": str(modules), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["verified"] == [True, True, True, True, False]
    assert got["root"] == receipts[0]["root"]


# ---- payments, anchoring, receipts ------------------------------------------------------------------
def test_payments_anchor_in_batches_and_every_receipt_verifies(ledger):
    ids = _pay(ledger)
    assert ledger.queued() == 1200
    done = ledger.anchor()
    assert [b["count"] for b in done] == [500, 500, 200] and ledger.queued() == 0
    assert ledger.chain.call(ledger.treasury.functions.batches_anchored()) == 3
    receipts = ledger.receipts(ids)
    for r in receipts[::37] + receipts[-3:]:
        v = ledger.verify_receipt(r)
        assert v.ok, v.reason
    r = receipts[0]
    assert r["chain_id"] == ledger.chain.chain_id and r["contract"] == ledger.treasury.address
    assert r["tx_hash"] == done[0]["tx_hash"] and len(r["proof"]) in (8, 9)     # a complete tree of 500
    assert ledger.anchor() == []                                                # nothing twice


@pytest.mark.parametrize("field,change", [
    ("payment.amount_bani", lambda v: v + 1), ("payment.tax_type", lambda v: "land" if v != "land" else "vehicle"),
    ("payment.ref", lambda v: "0x" + "11" * 32), ("payment.payer_hash", lambda v: "0x" + "22" * 32),
    ("payment.paid_at", lambda v: v + 1), ("batch_id", lambda v: v + 1), ("index", lambda v: v + 1),
    ("leaf", lambda v: "0x" + "33" * 32), ("proof", lambda v: ["0x" + "44" * 32] + v[1:]),
    ("root", lambda v: "0x" + "55" * 32), ("chain_id", lambda v: v + 1),
    ("contract", lambda v: "0x" + "66" * 20), ("tx_hash", lambda v: None),
])
def test_an_altered_receipt_fails_verification(ledger, field, change):
    ids = _pay(ledger, n=40)
    ledger.anchor()
    r = copy.deepcopy(ledger.receipt(ids[5]))
    assert ledger.verify_receipt(r).ok
    obj, key = (r["payment"], field.split(".")[1]) if "." in field else (r, field)
    obj[key] = change(obj[key])
    if field == "tx_hash":                      # a receipt that names another transaction
        other = ledger.chain.send(ledger.treasury.functions.record(b"\1" * 32, b"\2" * 32, text32("land"), 5),
                                  "treasury")
        r["tx_hash"] = "0x" + bytes(other["transactionHash"]).hex()
    v = ledger.verify_receipt(r)
    assert not v.ok and v.reason


def test_a_store_row_altered_after_anchoring_fails_verification(ledger):
    ids = _pay(ledger, n=30)
    ledger.anchor()
    assert ledger.verify_payment(ids[3]).ok
    with ledger.engine.begin() as conn:
        conn.execute(update(payments).where(payments.c.id == ids[3]).values(amount_bani=1))
    v = ledger.verify_payment(ids[3])
    assert not v.ok and "leaf" in v.reason
    assert ledger.verify_payment(ids[4]).ok                     # the others are untouched


def test_bad_payments_are_refused_before_anything_is_stored(ledger):
    for args, words in ((("citizen:1", "dog_tax", 100), "tax_type"), (("citizen:1", "land", 0), "amount_bani"),
                        (("citizen:1", "land", 10.5), "amount_bani"), (("ana@example.ro", "land", 10), "personal"),
                        (("1850101123456", "land", 10), "personal")):
        with pytest.raises(LedgerError, match=words):
            ledger.pay(*args)
    assert ledger.queued() == 0


# ---- access control ----------------------------------------------------------------------------------
def test_unauthorised_accounts_are_reverted(ledger):
    t, p = ledger.treasury.functions, ledger.permits.functions
    for call, words in ((t.record(b"\1" * 32, b"\2" * 32, text32("land"), 5), "only treasury"),
                        (t.anchor(10**9, b"\1" * 32, 1, 1), "only treasury"),
                        (t.set_treasury(ledger.chain.account("outsider").address, True), "only admin"),
                        (p.issue(b"\1" * 32, b"\2" * 32, text32("building"), text32("urbanism"), 1, 2), "only issuer"),
                        (p.set_roles(ledger.chain.account("outsider").address, 1), "only admin")):
        with pytest.raises(LedgerReverted, match=words):
            ledger.chain.send(call, "outsider")
    # the treasury itself cannot anchor a batch twice
    ids = _pay(ledger, n=3)
    ledger.anchor()
    with pytest.raises(LedgerReverted, match="batch already anchored"):
        ledger.chain.send(t.anchor(1, b"\1" * 32, 1, 1), "treasury")
    assert ledger.verify_payment(ids[0]).ok


# ---- permits ------------------------------------------------------------------------------------------
def test_permits_issue_verify_revoke(ledger):
    doc = b"%PDF certificat de urbanism nr. 42"
    ledger.issue_permit("CU-2026-42", doc, "urbanism_certificate", "urbanism", date(2026, 3, 1), date(2027, 3, 1))
    v = ledger.verify_permit("CU-2026-42", doc, when=date(2026, 6, 1))
    assert v["status"] == "valid" and v["document_matches"] is True and v["department"] == "urbanism"
    assert v["issuer"] == ledger.chain.account("issuer").address and v["valid_to"] == "2027-03-01"
    assert ledger.verify_permit("CU-2026-42", b"forged", when=date(2026, 6, 1))["document_matches"] is False
    assert ledger.verify_permit("CU-2026-42", when=date(2028, 1, 1))["status"] == "expired"
    assert ledger.verify_permit("CU-2026-42", when=date(2025, 1, 1))["status"] == "not_yet_valid"
    assert ledger.verify_permit("CU-2026-99")["status"] == "unknown"
    with pytest.raises(LedgerReverted, match="already used"):
        ledger.issue_permit("CU-2026-42", doc, "urbanism_certificate", "urbanism", date(2026, 3, 1), date(2027, 3, 1))
    with pytest.raises(LedgerReverted, match="valid_to must be after"):
        ledger.issue_permit("CU-2026-43", doc, "building", "urbanism", date(2027, 3, 1), date(2026, 3, 1))
    with pytest.raises(LedgerReverted, match="only its issuer or an auditor"):
        ledger.revoke_permit("CU-2026-42", "no reason", role="outsider")
    ledger.revoke_permit("CU-2026-42", "forged plans", role="auditor")
    v = ledger.verify_permit("CU-2026-42", when=date(2026, 6, 1))
    assert v["status"] == "revoked" and v["revoke_reason"] == "forged plans"


# ---- privacy ------------------------------------------------------------------------------------------
def test_nothing_personal_on_chain_and_erasure_unlinks(ledger):
    ids = ledger.pay_many([("citizen:777", "vehicle", 12_345, 1772445600), ("citizen:778", "land", 500, 1772445601)])
    ledger.anchor()
    ledger.record(ids[0])
    w3 = ledger.chain.w3
    blob = b""
    for n in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            blob += bytes(tx.get("input", tx.get("data", b"")))
            rc = w3.eth.get_transaction_receipt(tx["hash"])
            for log in rc["logs"]:
                blob += bytes(log["data"]) + b"".join(bytes(t) for t in log["topics"])
    assert b"citizen" not in blob and b"777" not in blob
    h = ledger.payer_hash_of("citizen:777")
    assert bytes.fromhex(h[2:]) in blob                       # only the salted hash is there
    assert ledger.forget("citizen:777") == 1
    assert ledger.payer_hash_of("citizen:777") is None
    assert ledger.verify_payment(ids[0]).ok                   # the receipt still holds
    assert ledger.payer_hash_of("citizen:778") is not None


# ---- keys --------------------------------------------------------------------------------------------------
def test_without_a_chain_key_the_roles_have_secret_keys_per_store(ganache, tmp_path, _private_cache):
    """No key is computable from a public constant: each store makes its own random seed (kept
    in the store, which is owner-only), and reopening a store finds its accounts and contracts."""
    import os
    import stat

    from eth_account import Account
    from eth_hash.auto import keccak

    public = {Account.from_key(keccak(f"smartcity-twin:{r}".encode())).address for r in ("admin", "treasury", "issuer")}
    a = Ledger.open(ganache.url, f"sqlite:///{tmp_path / 'a.sqlite'}")
    b = Ledger.open(ganache.url, f"sqlite:///{tmp_path / 'b.sqlite'}")
    roles = ("admin", "treasury", "issuer", "auditor")
    mine = {r: a.chain.account(r).address for r in roles}
    assert not public & set(mine.values())
    assert not set(mine.values()) & {b.chain.account(r).address for r in roles}
    assert len(set(mine.values())) == 4
    assert stat.S_IMODE(os.stat(tmp_path / "a.sqlite").st_mode) == 0o600
    again = Ledger.open(ganache.url, f"sqlite:///{tmp_path / 'a.sqlite'}")
    assert {r: again.chain.account(r).address for r in roles} == mine
    assert again.treasury.address == a.treasury.address                  # found, not redeployed
    ids = _pay(again, n=3)
    again.anchor()
    assert again.verify_payment(ids[0]).ok
    # the embedded chain: fresh random accounts every time, never the public ones
    e1, e2 = (Ledger.open(None, f"sqlite:///{tmp_path / f'e{i}.sqlite'}") for i in (1, 2))
    assert e1.chain.account("admin").address != e2.chain.account("admin").address
    assert e1.chain.account("admin").address not in public


# ---- concurrency and faults ------------------------------------------------------------------------------
def test_concurrent_senders_never_reuse_a_nonce(ledger):
    ids = _pay(ledger, n=24)
    errors = []

    def worker(chunk):
        for i in chunk:
            try:
                ledger.record(i)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(ids[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ledger.chain.call(ledger.treasury.functions.payments_recorded()) == 24


def test_node_outage_loses_nothing_and_anchors_nothing_twice(tmp_path, _private_cache):
    g = Ganache(tmp_path).start()
    try:
        led = Ledger.open(g.url, f"sqlite:///{tmp_path / 'ledger.sqlite'}", batch_size=100)
        first = _pay(led, n=150)
        led.anchor()
        g.stop()                                                   # the node goes away
        second = _pay(led, n=250)                                  # payments keep coming
        with pytest.raises(LedgerUnavailable, match="unreachable|does not answer|no receipt"):
            led.anchor()
        assert led.queued() == 0                                   # frozen into batches, waiting
        g.start()                                                  # same chain, same port
        done = led.anchor()
        assert sum(b["count"] for b in done) == 250
        assert led.anchor() == []
        assert led.chain.call(led.treasury.functions.batches_anchored()) == 2 + 3
        for r in led.receipts(first + second)[::25]:
            assert led.verify_receipt(r).ok
    finally:
        g.stop()


def test_unreachable_node_gives_a_clear_error():
    with pytest.raises(LedgerUnavailable, match=r"--chain-url http://127\.0\.0\.1:\d+: the node does not answer"):
        open_chain(f"http://127.0.0.1:{free_port()}", timeout_s=1)
    with pytest.raises(LedgerError, match="http"):
        open_chain("ws://127.0.0.1:8545")


# ---- in a run ---------------------------------------------------------------------------------------------
def test_a_run_anchors_tax_payments_and_logs_verifiable_receipts(tmp_path, demo_city):
    from scenarios import load_scenario
    from twin.eventlog import read_events
    from twin_app.run import run_scenario

    sc = load_scenario("baseline", city="demo", population=6000, hours=30, seed=5, start="2026-03-30T00:00:00",
                       ledger={"anchor_every_min": 60})
    s = run_scenario(sc, out=tmp_path / "run", city=demo_city)
    k = s["kpis"]["ledger"]
    ev = read_events(tmp_path / "run" / "events.parquet")
    paid = ev.filter(pc.equal(ev["kind"], "tax_payment"))
    batches = ev.filter(pc.equal(ev["kind"], "batch_anchored")).to_pylist()
    receipts = ev.filter(pc.equal(ev["kind"], "payment_receipt")).to_pylist()
    assert len(paid) > 50 and k["payments_anchored"] == len(paid) == len(receipts) and k["payments_queued"] == 0
    assert len(batches) == k["batches_anchored"] >= 2
    assert sum(json.loads(b["payload"])["count"] for b in batches) == len(paid)


def test_receipts_in_the_log_verify_on_the_run_chain(tmp_path, demo_city):
    from scenarios import load_scenario
    from twin.eventlog import read_events
    from twin_app.run import build_twin

    sc = load_scenario("baseline", city="demo", population=6000, hours=20, seed=5, start="2026-03-30T00:00:00",
                       ledger={"anchor_every_min": 120})
    tw = build_twin(sc, demo_city, tmp_path / "run", timetable=None)
    tw.run(20)
    led = tw.component("ledger").ledger
    tw.finish()                                       # anchors the last batch
    tw.close()
    ev = read_events(tmp_path / "run" / "events.parquet")
    receipts = [json.loads(r["payload"]) for r in ev.filter(pc.equal(ev["kind"], "payment_receipt")).to_pylist()]
    assert len(receipts) > 20
    for p in receipts[::7]:
        r = {"payment": {"id": p["payment_id"], "ref": p["payment_ref"], "payer_hash": p["payer_hash"],
                         "tax_type": p["tax_type"], "amount_bani": p["amount_bani"], "paid_at": p["paid_at"]},
             **{k: p[k] for k in ("batch_id", "index", "leaf", "proof", "root", "chain_id", "contract", "tx_hash",
                                  "block")}}
        assert led.verify_receipt(r).ok
        r["payment"]["amount_bani"] += 100
        assert not led.verify_receipt(r).ok


def test_cli_run_against_ganache_and_against_a_dead_node(ganache, tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "twin_app", "run", "--city", "demo", "--population", "3000", "--hours",
                          "6", "--seed", "2", "--out", str(tmp_path / "r"), "--json", "--chain-url", ganache.url],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    k = json.loads(out.stdout.strip().splitlines()[-1])["kpis"]["ledger"]
    assert k["chain"] == ganache.url and k["chain_id"] == 1337 and k["payments_queued"] == 0
    dead = subprocess.run([sys.executable, "-m", "twin_app", "run", "--city", "demo", "--population", "100", "--hours",
                           "1", "--out", str(tmp_path / "d"), "--chain-url", f"http://127.0.0.1:{free_port()}"],
                          capture_output=True, text=True)
    assert dead.returncode == 2 and "does not answer" in dead.stderr and "Traceback" not in dead.stderr
