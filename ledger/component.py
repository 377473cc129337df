"""The ledger in a run: tax payments anchored in batches, approved permits on the registry.

:class:`LedgerComponent` (component ``"ledger"``) queues every ``tax_payment`` of the citizens
(:mod:`agents.taxes`) under the payer's pseudonym, and every ``anchor_every_min`` simulated
minutes anchors what is queued: one ``batch_anchored`` event per batch (root, size, total,
transaction) and one ``payment_receipt`` per payment (batch, index, leaf, proof, root, chain id,
contract, transaction) on ``ledger/...``. Permits the city hall approves (``permit_decided``)
are issued on the permit registry (``permit_issued``). A chain that is down only delays the
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
        self._where: dict[int, tuple] = {}
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
        twin.bus.subscribe(twin.topic("citizens/payment"), self._on_payment)
        twin.bus.subscribe(twin.topic("services/permits"), self._on_permit)
        twin.env.process(self._anchoring())

    def _unix(self) -> int:
        return int(self.twin.unix_time)

    def _on_payment(self, event) -> None:
        if event.kind != "tax_payment":
            return
        self.queue.append((event.entity, event.payload["tax_type"], int(event.payload["amount_bani"]), self._unix(),
                           event.lon, event.lat))

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
        self.twin.emit("ledger/permits", "permit_issued", event.entity, event.ref, event.lon, event.lat,
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
            ids = self.ledger.pay_many([(e, t, a, u) for e, t, a, u, _, _ in items])
            self._where.update({pid: (it[0], it[4], it[5]) for pid, it in zip(ids, items)})
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
                who, lon, lat = self._where.pop(r["payment"]["id"], ("", math.nan, math.nan))
                self.twin.emit("ledger/receipts", "payment_receipt", who, f"batch:{b['id']}", lon, lat,
                               payment_id=r["payment"]["id"], payment_ref=r["payment"]["ref"],
                               payer_hash=r["payment"]["payer_hash"], tax_type=r["payment"]["tax_type"],
                               amount_bani=r["payment"]["amount_bani"], paid_at=r["payment"]["paid_at"],
                               batch_id=r["batch_id"], index=r["index"], leaf=r["leaf"], proof=r["proof"],
                               root=r["root"], chain_id=r["chain_id"], contract=r["contract"], tx_hash=r["tx_hash"],
                               block=r["block"])

    def shutdown(self) -> None:
        pass

    def kpis(self) -> dict:
        try:
            self.flush()                              # anchor what the last tick left
        except LedgerError as exc:
            self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
        return {"chain": self.ledger.chain.url or "embedded (py-evm)", "chain_id": self.ledger.chain.chain_id,
                "treasury": self.ledger.treasury.address, "permits_contract": self.ledger.permits.address,
                "batches_anchored": self.batches, "payments_anchored": self.anchored,
                "payments_queued": self.ledger.queued(), "anchor_deferred": self.deferred,
                "permits_issued": self.permits_issued, "errors": self.errors}
