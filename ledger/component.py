"""The ledger in a run: tax payments anchored in batches, approved permits on the registry.

:class:`LedgerComponent` (component ``"ledger"``) queues every tax payment of the citizens
(:mod:`agents.taxes`, which tells it who paid through ``Taxes.on_payment``, in process — the
public ``tax_payment`` event names no one) under the payer's pseudonym, and every
``anchor_every_min`` simulated minutes anchors what is queued: one ``batch_anchored`` event per
batch (root, size, total, transaction) and one ``payment_receipt`` per payment (batch, index,
leaf, proof, root, chain id, contract, transaction) on ``ledger/...``.

**Privacy.** A ``payment_receipt`` event is the receipt and nothing more: its entity is
``payment:<id>``, it has no place, and it never carries the payer's pseudonym — only the salted
``payer_hash`` the chain sees. No published event links a pseudonym to a payer hash, so
:meth:`ledger.ledger.Ledger.forget` (which deletes the salt and the pseudonym in the store)
leaves nothing that leads from the chain or the log back to the citizen. A ``permit_issued``
event names the permit, its request and its place, never the applicant.

Permits the city hall approves (``permit_decided``) are issued on the permit registry
(``permit_issued``). A chain that is down only delays the
anchoring (``anchor_deferred``); the next tick catches up. A ``chain_outage`` on the scenario's
timeline (``twin.conditions.down("chain")``) does the same for its window: payments are kept
off chain, anchoring and permit issuing wait for the node.
"""
from __future__ import annotations

import math
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from ledger.chain import LedgerError, LedgerUnavailable



class LedgerParams(BaseModel):
    """Where the ledger runs and how often it anchors."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    chain_url: str | None = None            # None: the embedded chain
    private_key: str | None = None          # a funded account on a real node
    db_url: str | None = None               # None: ledger.sqlite in the run directory
    anchor_every_min: float = Field(15.0, gt=0)
    batch_size: int = Field(10_000, ge=1)
    issue_permits: bool = True
    permit_valid_days: int = Field(365, ge=1)


class LedgerComponent:
    """See the module docstring."""

    name = "ledger"

    def __init__(self, params: LedgerParams | None = None):
        self.p = params or LedgerParams()
        self.queue: list[tuple] = []
        self.batches = 0
        self.anchored = 0
        self.deferred = 0
        self.permits_issued = 0
        self.errors: dict[str, int] = {}
        self._pending_permits: list = []

    def attach(self, twin) -> None:
        import tempfile
        from pathlib import Path

        from ledger.ledger import Ledger

        self.twin = twin
        db = self.p.db_url
        if db is None:
            folder = twin.run_dir if twin.run_dir is not None else Path(tempfile.mkdtemp(prefix="twin-ledger-"))
            path = Path(folder) / "ledger.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            db = f"sqlite:///{path}"
        rng = twin.rng.get("ledger")
        self.ledger = Ledger.open(self.p.chain_url, db, self.p.private_key, self.p.batch_size,
                                  random_bytes=lambda n: rng.bytes(n))
        taxes = next((c for c in twin.components if c.name == "taxes"), None)
        if taxes is not None:
            taxes.on_payment.append(self._on_payment)
        twin.bus.subscribe(twin.topic("services/permits"), self._on_permit)
        twin.env.process(self._anchoring())

    def _unix(self) -> int:
        return int(self.twin.unix_time)

    def _on_payment(self, payer: str, tax_type: str, amount_bani: int, t: float) -> None:
        """A citizen paid (called by the taxes component, never through the public bus)."""
        self.queue.append((payer, tax_type, int(amount_bani), self._unix()))

    def _on_permit(self, event) -> None:
        if event.kind != "permit_decided" or event.payload.get("outcome") != "approved" or not self.p.issue_permits:
            return
        if self.twin.conditions.down("chain"):                # issued when the node is back
            self._pending_permits.append(event)
            return
        day = self.twin.clock.date()
        permit_id = f"{event.payload['permit_type'][:4].upper()}-{day.year}-{event.ref.split(':')[1]}"
        document = f"{permit_id}|{event.payload['permit_type']}|{event.ref}|{day.isoformat()}"
        try:
            tx = self.ledger.issue_permit(permit_id, document, event.payload["permit_type"][:32], "urbanism", day,
                                          day + timedelta(days=self.p.permit_valid_days))
        except LedgerError as exc:
            self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
            return
        self.permits_issued += 1
        # the permit, its request and its place (a permit is about a building), never the applicant
        self.twin.emit("ledger/permits", "permit_issued", f"permit:{permit_id}", event.ref, event.lon, event.lat,
                       permit_id=permit_id, tx_hash=tx, contract=self.ledger.permits.address)

    def _anchoring(self):
        env = self.twin.env
        while True:
            yield env.timeout(self.p.anchor_every_min * 60.0)
            self.flush()

    def flush(self) -> None:
        """Queue what arrived and anchor it now (and issue permits an outage held back)."""
        if self._pending_permits and not self.twin.conditions.down("chain"):
            pending, self._pending_permits = self._pending_permits, []
            for event in pending:
                self._on_permit(event)
        items, self.queue = self.queue, []
        if items:
            self.ledger.pay_many(items)
        try:
            if self.twin.conditions.down("chain"):
                raise LedgerUnavailable("chain node out (scenario timeline: chain_outage)")
            done = self.ledger.anchor()
        except LedgerUnavailable as exc:
            self.deferred += 1
            self.twin.emit("ledger/batches", "anchor_deferred", "ledger", "", math.nan, math.nan, reason=str(exc)[:200],
                           queued=self.ledger.queued())
            return
        for b in done:
            self.batches += 1
            self.anchored += b["count"]
            self.twin.emit("ledger/batches", "batch_anchored", f"batch:{b['id']}", "", math.nan, math.nan,
                           root=b["root"], count=b["count"], total_bani=b["total_bani"], tx_hash=b["tx_hash"],
                           block=b["block"], chain_id=self.ledger.chain.chain_id,
                           contract=self.ledger.treasury.address)
            from sqlalchemy import select

            from ledger.store import payments

            with self.ledger.engine.connect() as conn:
                ids = list(conn.execute(select(payments.c.id).where(payments.c.batch_id == b["id"])
                                        .order_by(payments.c.idx)).scalars())
            for r in self.ledger.receipts(ids):
                self.twin.emit("ledger/receipts", "payment_receipt", f"payment:{r['payment']['id']}",
                               f"batch:{b['id']}", math.nan, math.nan,
                               payment_id=r["payment"]["id"], payment_ref=r["payment"]["ref"],
                               payer_hash=r["payment"]["payer_hash"], tax_type=r["payment"]["tax_type"],
                               amount_bani=r["payment"]["amount_bani"], paid_at=r["payment"]["paid_at"],
                               batch_id=r["batch_id"], index=r["index"], leaf=r["leaf"], proof=r["proof"],
                               root=r["root"], chain_id=r["chain_id"], contract=r["contract"], tx_hash=r["tx_hash"],
                               block=r["block"])

    def shutdown(self) -> None:
        pass

    def finish(self) -> None:
        """Anchor what the last tick left (called by :meth:`twin.engine.Twin.finish`)."""
        try:
            self.flush()
        except LedgerError as exc:
            self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1

    def kpis(self) -> dict:
        return {"chain": self.ledger.chain.url or "embedded (py-evm)", "chain_id": self.ledger.chain.chain_id,
                "treasury": self.ledger.treasury.address, "permits_contract": self.ledger.permits.address,
                "batches_anchored": self.batches, "payments_anchored": self.anchored,
                "payments_queued": self.ledger.queued() + len(self.queue), "anchor_deferred": self.deferred,
                "permits_issued": self.permits_issued, "errors": self.errors}
