"""The ledger: payments anchored in Merkle batches, verifiable receipts, and the permit registry.

::

    ledger = Ledger.open()                                   # embedded chain, SQLite in a temp folder
    ledger = Ledger.open("http://127.0.0.1:8545", db_url="sqlite:///ledger.sqlite")
    pid = ledger.pay("citizen:17", "building", 45_000)        # queued at once, durable
    ledger.anchor()                                          # one transaction for the whole batch
    r = ledger.receipt(pid)                                  # payment, batch, proof, chain, tx
    ledger.verify_receipt(r)                                 # → Verification(ok=True, ...)
    ledger.issue_permit("AC-2026-00042", b"...pdf...", "building", "urbanism", date(2026, 3, 2), date(2027, 3, 2))
    ledger.verify_permit("AC-2026-00042")                    # issuer, validity, status

**Payments** are stored off chain first (``ledger_payments``), so a chain that is down loses
nothing: :meth:`Ledger.anchor` takes the queued payments into a *batch* (its Merkle root fixed
and stored before anything is sent), then anchors every batch not yet on chain. If the node is
unreachable the batch waits and the next :meth:`anchor` sends it; before sending, the ledger asks
the contract whether that batch id is already anchored (a transaction whose answer was lost), and
the contract itself refuses a second anchor of a batch, so nothing is anchored twice.
``record()`` puts one payment on chain as its own transaction (the slow baseline).

**Receipts** carry the payment's fields, batch id, index, leaf, Merkle proof, root, chain id,
contract address, transaction hash and block. The tree is OpenZeppelin's standard Merkle tree
(:mod:`ledger.merkle`: double-hashed leaves, sorted pairs), so a receipt verifies with
``@openzeppelin/merkle-tree`` or ``MerkleProof`` as well as here. :meth:`Ledger.verify_receipt`
checks every field's type and range, recomputes the leaf from the fields, asks the contract to
check the proof against the anchored root, and checks the transaction's ``Anchored`` event:
change any field of a receipt, or any row of the store after anchoring, and verification fails.
It never raises on a bad receipt — a random transaction hash, a negative or huge amount, a wrong
proof, an unknown root all give ``Verification(ok=False, reason)`` naming the field; only a node
that cannot be reached raises :class:`LedgerUnavailable` (that says nothing about the receipt).

**Keys.** With ``private_key`` every role signs with that funded account. Without one (a
development node, or the embedded chain) the ledger makes its own accounts from a random
32-byte seed: for a node at a URL the seed comes from the OS's CSPRNG on first use and is kept
in the ledger's private store (``ledger_settings``; a SQLite store is created with 0600
permissions), so nobody else can compute the admin, treasury or issuer keys; the embedded chain
lives only inside this process, so its seed is simply drawn afresh each time (from the
simulation's seeded stream in a run, which keeps event logs reproducible).

**Privacy**: the chain sees no name, CNP, e-mail or address — a payment reference (random), the
tax type, the amount, a time, and ``keccak256(salt ‖ pseudonym)``. :meth:`Ledger.forget` erases a
pseudonym's salt and the pseudonym in the store: the chain's hashes then lead to no one, and
receipts still verify.
"""
from __future__ import annotations

import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone

from eth_hash.auto import keccak
from sqlalchemy import func, insert, select, update

from ledger import merkle
from ledger.chain import Chain, LedgerError, LedgerReverted, LedgerUnavailable, as_ledger_error, open_chain
from ledger.receipt import TAX_TYPES, BadReceipt, parse_receipt
from ledger.compiler import compiled
from ledger.store import batches, open_engine, payments, salts, settings

def text32(s: str) -> bytes:
    """A short text as bytes32 (UTF-8, right-padded); ValueError if longer than 32 bytes."""
    b = s.encode("utf-8")
    if len(b) > 32:
        raise ValueError(f"{s!r} is longer than 32 bytes")
    return b.ljust(32, b"\0")


def untext32(b: bytes) -> str:
    return bytes(b).rstrip(b"\0").decode("utf-8", "replace")


def hx(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def unhx(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


class Ledger:
    """Payments, receipts and permits on one chain (see the module docstring)."""

    def __init__(self, chain: Chain, engine, batch_size: int = 10_000, random_bytes=None):
        self.chain = chain
        self.engine = engine
        self.batch_size = batch_size
        # where payment references and salts come from: the OS's CSPRNG; a simulation passes
        # its seeded stream so that the same seed gives the same event log
        self.random_bytes = random_bytes or secrets.token_bytes
        self.treasury = self._contract("Treasury")
        self.permits = self._contract("Permits")
        self._roles_ready()

    @classmethod
    def open(cls, chain_url: str | None = None, db_url: str | None = None, private_key: str | None = None,
             batch_size: int = 10_000, random_bytes=None) -> "Ledger":
        """Connect to a chain (embedded if ``chain_url`` is None) and a store (a temporary SQLite
        file if ``db_url`` is None), deploying the contracts on first use."""
        if db_url is None:
            db_url = f"sqlite:///{tempfile.mkdtemp(prefix='twin-ledger-')}/ledger.sqlite"
        engine = open_engine(db_url)
        seed = None
        if not private_key:
            seed = (random_bytes or secrets.token_bytes)(32) if chain_url is None else account_seed(engine)
        return cls(open_chain(chain_url, private_key, seed=seed), engine, batch_size, random_bytes)

    # ---- contracts ---------------------------------------------------------------------------
    def _contract(self, name: str):
        c = compiled(name)
        key = f"{name}:{self.chain.chain_id}:{c['source_hash'][:20]}"
        w3 = self.chain.w3
        with self.engine.begin() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
        address = json.loads(row[0])["address"] if row else None
        if address is not None and len(w3.eth.get_code(address)) == 0:
            address = None                          # a fresh chain behind the same id (a restarted dev node)
        if address is None:
            address = self.chain.deploy(c["abi"], c["bytecode"], "admin")
            with self.engine.begin() as conn:
                conn.execute(settings.delete().where(settings.c.key == key))
                conn.execute(insert(settings).values(key=key, value=json.dumps({"address": address})))
        return w3.eth.contract(address=address, abi=c["abi"])

    def _roles_ready(self) -> None:
        ch = self.chain
        tr = ch.account("treasury").address
        if not ch.call(self.treasury.functions.treasury(tr)):
            ch.send(self.treasury.functions.set_treasury(tr, True), "admin")
        for role, bits in (("issuer", 1), ("auditor", 2)):
            a = ch.account(role).address
            if ch.call(self.permits.functions.roles(a)) != bits and ch.account(role) is not ch.account("admin"):
                ch.send(self.permits.functions.set_roles(a, bits), "admin")
            elif ch.account(role) is ch.account("admin") and ch.call(self.permits.functions.roles(a)) != 3:
                ch.send(self.permits.functions.set_roles(a, 3), "admin")

    # ---- payments ----------------------------------------------------------------------------
    def _salt(self, conn, payer: str) -> bytes:
        row = conn.execute(select(salts.c.salt).where(salts.c.payer == payer)).first()
        if row is not None:
            return unhx(row[0])
        s = self.random_bytes(32)
        conn.execute(insert(salts).values(payer=payer, salt=hx(s)))
        return s

    def one_off_payer(self, prefix: str = "anon") -> str:
        """A fresh pseudonym for a payer who gives none (a chat payment): ``prefix:`` and 16
        bytes of the ledger's random source in hex. In a run that source is the simulation's
        seeded stream, so the same seed gives the same pseudonym, salt and payer hash (a
        pseudonym built from ``id()`` of an object, a memory address, made the chat payments'
        payer hashes, their batch's root and transaction differ between two runs of one seed);
        elsewhere it is the OS's CSPRNG. Used once, it links that payment to no other."""
        if not isinstance(prefix, str) or not prefix or len(prefix) > 40 or "@" in prefix:
            raise LedgerError(f"prefix: {prefix!r} must be 1–40 characters without '@'")
        return f"{prefix}:{bytes(self.random_bytes(16)).hex()}"

    def pay(self, payer: str, tax_type: str, amount_bani: int, paid_at: datetime | int | None = None) -> int:
        """Queue one payment; returns its id."""
        return self.pay_many([(payer, tax_type, amount_bani, paid_at)])[0]

    def pay_many(self, items) -> list[int]:
        """Queue payments ``(payer pseudonym, tax_type, amount_bani, paid_at)`` in one transaction."""
        rows = []
        for payer, tax_type, amount, paid_at in items:
            if tax_type not in TAX_TYPES:
                raise LedgerError(f"tax_type: {tax_type!r} is not one of {TAX_TYPES}")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise LedgerError(f"amount_bani: {amount!r} must be a whole number of bani > 0")
            if not isinstance(payer, str) or not payer or len(payer) > 80:
                raise LedgerError(f"payer: {payer!r} must be a pseudonymous id of 1–80 characters")
            if "@" in payer or payer.isdigit():
                raise LedgerError(f"payer: {payer!r} looks like personal data (e-mail or CNP); give a pseudonym")
            rows.append((payer, tax_type, int(amount), _unix(paid_at)))
        out = []
        with self.engine.begin() as conn:
            known: dict[str, bytes] = {}
            values = []
            for payer, tax_type, amount, t in rows:
                s = known.get(payer)
                if s is None:
                    s = known[payer] = self._salt(conn, payer)
                values.append({"ref": hx(self.random_bytes(32)), "payer": payer,
                               "payer_hash": hx(keccak(s + payer.encode())), "tax_type": tax_type,
                               "amount_bani": amount, "paid_at": t})
            if values:
                res = conn.execute(insert(payments).returning(payments.c.id, sort_by_parameter_order=True), values)
                out = [int(x) for x in res.scalars()]
        return out

    def queued(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(payments.c.batch_id.is_(None))).scalar_one()

    def record(self, payment_id: int):
        """Baseline: put one payment on chain as its own transaction (a ``Payment`` event)."""
        with self.engine.connect() as conn:
            p = conn.execute(select(payments).where(payments.c.id == payment_id)).one()
        return self.chain.send(self.treasury.functions.record(unhx(p.ref), unhx(p.payer_hash), text32(p.tax_type),
                                                              p.amount_bani), "treasury")

    def _build_batch(self) -> int | None:
        """Freeze up to ``batch_size`` queued payments into a batch; returns its id."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(payments.c.id, payments.c.ref, payments.c.payer_hash, payments.c.tax_type,
                                       payments.c.amount_bani, payments.c.paid_at)
                                .where(payments.c.batch_id.is_(None)).order_by(payments.c.id)
                                .limit(self.batch_size)).all()
            if not rows:
                return None
            bid = conn.execute(insert(batches).values(root="0x", count=len(rows),
                                                      total_bani=sum(r.amount_bani for r in rows),
                                                      status="built")).inserted_primary_key[0]
            leaves = [merkle.leaf(bid, i, unhx(r.ref), unhx(r.payer_hash), text32(r.tax_type), r.amount_bani,
                                  r.paid_at) for i, r in enumerate(rows)]
            root = merkle.tree(leaves).root
            conn.execute(update(payments).where(payments.c.id == _bind("pid")).values(
                batch_id=_bind("b"), idx=_bind("i"), leaf=_bind("l")),
                [{"pid": r.id, "b": bid, "i": i, "l": hx(lf)} for i, (r, lf) in enumerate(zip(rows, leaves))])
            conn.execute(update(batches).where(batches.c.id == bid).values(root=hx(root)))
        return int(bid)

    def anchor(self) -> list[dict]:
        """Batch what is queued and anchor every batch not yet on chain; returns the batches
        anchored now (``id``, ``root``, ``count``, ``total_bani``, ``tx_hash``, ``block``).

        Raises LedgerUnavailable if the node is down: the payments stay queued in batches, and
        the next call anchors them.
        """
        while self._build_batch() is not None:
            pass
        done = []
        with self.engine.connect() as conn:
            todo = conn.execute(select(batches).where(batches.c.status == "built").order_by(batches.c.id)).all()
        for b in todo:
            on_chain = self.chain.call(self.treasury.functions.batches(b.id))
            if on_chain[3] != 0:                                 # anchored before; the answer was lost
                if hx(on_chain[0]) != b.root:
                    raise LedgerError(f"batch {b.id}: the chain holds root {hx(on_chain[0])}, the store {b.root}; "
                                      "this store does not belong to this contract")
                logs = self.treasury.events.Anchored.get_logs(argument_filters={"batch_id": b.id}, from_block=0)
                tx, block = (logs[0]["transactionHash"], logs[0]["blockNumber"]) if logs else (None, None)
            else:
                rcpt = self.chain.send(self.treasury.functions.anchor(b.id, unhx(b.root), b.count, b.total_bani),
                                       "treasury")
                tx, block = rcpt["transactionHash"], rcpt["blockNumber"]
            with self.engine.begin() as conn:
                conn.execute(update(batches).where(batches.c.id == b.id).values(
                    status="anchored", tx_hash=hx(tx) if tx is not None else None, block=block,
                    chain_id=self.chain.chain_id, contract=self.treasury.address))
            done.append({"id": b.id, "root": b.root, "count": b.count, "total_bani": b.total_bani,
                         "tx_hash": hx(tx) if tx is not None else None, "block": block})
        return done

    # ---- receipts ----------------------------------------------------------------------------
    def receipt(self, payment_id: int) -> dict:
        """The receipt of an anchored payment (LedgerError if it is not anchored yet)."""
        return self.receipts([payment_id])[0]

    def receipts(self, payment_ids) -> list[dict]:
        ids = list(payment_ids)
        with self.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(payments).where(payments.c.id.in_(ids)))}
            bids = {r.batch_id for r in rows.values() if r.batch_id is not None}
            bs = {b.id: b for b in conn.execute(select(batches).where(batches.c.id.in_(bids)))}
            members = {}
            for bid in bids:
                members[bid] = [unhx(x) for x in conn.execute(
                    select(payments.c.leaf).where(payments.c.batch_id == bid).order_by(payments.c.idx)).scalars()]
        trees = {bid: merkle.tree(leaves) for bid, leaves in members.items()}
        out = []
        for pid in ids:
            r = rows.get(pid)
            if r is None:
                raise LedgerError(f"payment {pid} does not exist")
            b = bs.get(r.batch_id)
            if b is None or b.status != "anchored":
                raise LedgerError(f"payment {pid} is not anchored yet (call anchor())")
            out.append({
                "payment": {"id": r.id, "ref": r.ref, "payer_hash": r.payer_hash, "tax_type": r.tax_type,
                            "amount_bani": r.amount_bani, "paid_at": r.paid_at},
                "batch_id": r.batch_id, "index": r.idx, "leaf": r.leaf,
                "proof": [hx(p) for p in merkle.proof(trees[r.batch_id], r.idx)],
                "root": b.root, "chain_id": b.chain_id, "contract": b.contract, "tx_hash": b.tx_hash,
                "block": b.block})
        return out

    def verify_receipt(self, receipt: dict, check_tx: bool = True) -> Verification:
        """Check a receipt against the chain (see the module docstring).

        Returns ``Verification(ok, reason)`` for every input, however malformed or hostile;
        raises only :class:`LedgerUnavailable` when the node cannot be reached.
        """
        try:
            r = parse_receipt(receipt)
        except BadReceipt as exc:
            return Verification(False, str(exc))
        if r.chain_id != self.chain.chain_id:
            return Verification(False, f"chain_id: {r.chain_id} is not this chain's {self.chain.chain_id}")
        if r.contract.lower() != self.treasury.address.lower():
            return Verification(False, f"contract: {r.contract} is not the treasury contract")
        lf = merkle.leaf(r.batch_id, r.index, r.ref, r.payer_hash, text32(r.tax_type), r.amount_bani, r.paid_at)
        if lf != r.leaf:
            return Verification(False, "leaf: the payment fields do not hash to the receipt's leaf")
        if not merkle.verify(lf, r.proof, r.root):
            return Verification(False, "proof: the Merkle proof does not lead to the receipt's root")
        try:
            confirmed = self.chain.call(self.treasury.functions.verify(
                r.batch_id, r.index, r.ref, r.payer_hash, text32(r.tax_type), r.amount_bani, r.paid_at, r.proof))
        except LedgerUnavailable:
            raise
        except LedgerError as exc:
            return Verification(False, f"the contract could not check the receipt: {exc}")
        if not confirmed:
            return Verification(False, f"root: the contract does not confirm this payment in batch {r.batch_id} "
                                       "(unknown batch, index outside it, or not its anchored root)")
        if check_tx and r.tx_hash is not None:
            return self._check_anchor_tx(r)
        return Verification(True, "anchored on chain")

    def _check_anchor_tx(self, r) -> Verification:
        """Whether the receipt's transaction is the one that anchored its batch and root."""
        from web3.exceptions import TransactionNotFound
        from web3.logs import DISCARD

        try:
            rc = self.chain.w3.eth.get_transaction_receipt(r.tx_hash)
        except TransactionNotFound:
            return Verification(False, f"tx_hash: {hx(r.tx_hash)} is not a transaction on this chain")
        except Exception as exc:  # noqa: BLE001 - a node error: unreachable raises, the rest is a verdict
            err = as_ledger_error(exc, self.chain.url)
            if isinstance(err, LedgerUnavailable):
                raise err from None
            return Verification(False, f"tx_hash: {hx(r.tx_hash)} could not be read: {err}")
        if r.block is not None and rc["blockNumber"] != r.block:
            return Verification(False, f"block: {r.block} is not the block of {hx(r.tx_hash)} ({rc['blockNumber']})")
        evs = self.treasury.events.Anchored().process_receipt(rc, errors=DISCARD)
        if not any(e["address"].lower() == self.treasury.address.lower() and e["args"]["batch_id"] == r.batch_id
                   and bytes(e["args"]["root"]) == r.root for e in evs):
            return Verification(False, f"tx_hash: transaction {hx(r.tx_hash)} did not anchor this batch and root")
        return Verification(True, "anchored on chain")

    def verify_payment(self, payment_id: int) -> Verification:
        """Verify a payment as the store holds it now (a row altered after anchoring fails)."""
        return self.verify_receipt(self.receipt(payment_id))

    def forget(self, payer: str) -> int:
        """Erase a pseudonym's salt and the pseudonym in the store (GDPR erasure); returns how
        many payments it had. Their receipts still verify; nothing leads back to the person."""
        with self.engine.begin() as conn:
            n = conn.execute(update(payments).where(payments.c.payer == payer).values(payer=None)).rowcount
            conn.execute(salts.delete().where(salts.c.payer == payer))
        return n

    def payer_hash_of(self, payer: str) -> str | None:
        """The on-chain hash of a pseudonym, if its salt still exists."""
        with self.engine.connect() as conn:
            row = conn.execute(select(salts.c.salt).where(salts.c.payer == payer)).first()
        return None if row is None else hx(keccak(unhx(row[0]) + payer.encode()))

    # ---- permits -----------------------------------------------------------------------------
    @staticmethod
    def permit_key(permit_id: str) -> bytes:
        if not isinstance(permit_id, str) or not 1 <= len(permit_id) <= 64:
            raise LedgerError(f"permit_id: {permit_id!r} must be text of 1–64 characters")
        return keccak(permit_id.encode())

    def issue_permit(self, permit_id: str, document: bytes | str, permit_type: str, department: str,
                     valid_from: date, valid_to: date) -> str:
        """Issue a permit (as the issuer); returns the transaction hash."""
        doc = document.encode() if isinstance(document, str) else bytes(document)
        try:
            call = self.permits.functions.issue(self.permit_key(permit_id), keccak(doc), text32(permit_type),
                                                text32(department), _unix(valid_from), _unix(valid_to))
        except ValueError as exc:
            raise LedgerError(f"permit {permit_id}: {exc}") from None
        return hx(self.chain.send(call, "issuer")["transactionHash"])

    def revoke_permit(self, permit_id: str, reason: str, role: str = "issuer") -> str:
        call = self.permits.functions.revoke(self.permit_key(permit_id), text32(reason))
        return hx(self.chain.send(call, role)["transactionHash"])

    def verify_permit(self, permit_id: str, document: bytes | str | None = None, when: date | None = None) -> dict:
        """What anyone may know of a permit: status (valid, revoked, expired, not_yet_valid,
        unknown), issuer, department, type, validity, and whether ``document`` matches."""
        p = self.chain.call(self.permits.functions.permits(self.permit_key(permit_id)))
        doc_hash, ptype, dept, v_from, v_to, issuer, issued_at, revoked, reason = p
        if issued_at == 0:
            return {"permit_id": permit_id, "status": "unknown"}
        now = _unix(when) if when is not None else int(time.time())
        status = "revoked" if revoked else ("not_yet_valid" if now < v_from else ("expired" if now > v_to else "valid"))
        out = {"permit_id": permit_id, "status": status, "issuer": issuer, "department": untext32(dept),
               "permit_type": untext32(ptype), "valid_from": _day(v_from), "valid_to": _day(v_to),
               "doc_hash": hx(doc_hash), "contract": self.permits.address, "chain_id": self.chain.chain_id}
        if revoked:
            out["revoke_reason"] = untext32(reason)
        if document is not None:
            doc = document.encode() if isinstance(document, str) else bytes(document)
            out["document_matches"] = hx(keccak(doc)) == hx(doc_hash)
        return out


def account_seed(engine) -> bytes:
    """The store's secret seed for the ledger's own accounts on a development node: 32 random
    bytes from the OS's CSPRNG, made on first use and kept in ``ledger_settings``."""
    with engine.begin() as conn:
        row = conn.execute(select(settings.c.value).where(settings.c.key == "account_seed")).first()
        if row is not None:
            return unhx(json.loads(row[0])["seed"])
        seed = secrets.token_bytes(32)
        conn.execute(insert(settings).values(key="account_seed", value=json.dumps({"seed": hx(seed)})))
        return seed


def _bind(name):
    from sqlalchemy import bindparam

    return bindparam(name)


def _unix(t) -> int:
    if t is None:
        return int(time.time())
    if isinstance(t, bool):
        raise LedgerError(f"time {t!r} is not a time")
    if isinstance(t, int):
        return t
    if isinstance(t, float):
        return int(t)
    if isinstance(t, datetime):
        return int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp())
    if isinstance(t, date):
        return int(datetime(t.year, t.month, t.day, tzinfo=timezone.utc).timestamp())
    raise LedgerError(f"time {t!r} is not a time")


def _day(unix: int) -> str:
    return datetime.fromtimestamp(unix, tz=timezone.utc).date().isoformat()


__all__ = ["Ledger", "Verification", "LedgerError", "LedgerReverted", "LedgerUnavailable", "TAX_TYPES"]
