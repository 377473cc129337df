"""The ledger's own records off chain (SQLAlchemy 2; SQLite by default, PostgreSQL by URL).

``ledger_payments``
    Every payment, queued the moment it is made (so a chain outage loses nothing), then put in
    a batch (``batch_id``, ``idx``, ``leaf``) and anchored. ``payer`` is the pseudonymous id
    (``citizen:17``); ``payer_hash`` = keccak256(salt ‖ payer) is what the chain sees.
``ledger_salts``
    One random salt per pseudonym. **Erasing it** (:meth:`services`-side right to erasure,
    :meth:`ledger.ledger.Ledger.forget`) makes the person's payments unlinkable: the hash on
    chain can no longer be recomputed from the pseudonym.
``ledger_batches``
    Each batch: Merkle root, size, total, and once anchored the transaction hash and block.
``ledger_settings``
    Contract addresses per chain id and contract code, and ``account_seed``: the secret the
    ledger's own accounts on a development node come from (:func:`ledger.ledger.account_seed`).

The store holds secrets (the salts, the account seed), so a SQLite store file is created with
**0600** permissions (owner only; SQLite gives its ``-wal`` and ``-shm`` files the same mode)
and an existing one is narrowed to 0600 when opened. A PostgreSQL store is as private as the
database's own access rights.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

from twin import storage

metadata = MetaData()

payments = Table(
    "ledger_payments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(66), nullable=False, unique=True),      # 0x + 32 bytes
    Column("payer", String(80), nullable=True),                  # pseudonym; NULL once forgotten
    Column("payer_hash", String(66), nullable=False),
    Column("tax_type", String(32), nullable=False),
    Column("amount_bani", BigInteger, nullable=False),
    Column("paid_at", BigInteger, nullable=False),               # unix seconds
    Column("batch_id", Integer, nullable=True),
    Column("idx", Integer, nullable=True),
    Column("leaf", String(66), nullable=True),
    Index("ix_ledger_payments_batch", "batch_id", "idx"),
    Index("ix_ledger_payments_payer", "payer"),
)

salts = Table(
    "ledger_salts", metadata,
    Column("payer", String(80), primary_key=True),
    Column("salt", String(66), nullable=False),
)

batches = Table(
    "ledger_batches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("root", String(66), nullable=False),
    Column("count", Integer, nullable=False),
    Column("total_bani", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),                # built | anchored
    Column("tx_hash", String(66), nullable=True),
    Column("block", BigInteger, nullable=True),
    Column("chain_id", BigInteger, nullable=True),
    Column("contract", String(42), nullable=True),
)

settings = Table(
    "ledger_settings", metadata,
    Column("key", String(120), primary_key=True),
    Column("value", Text, nullable=False),
)


def open_engine(url: str):
    """An engine with the ledger's tables created; a SQLite file is owner-only (0600) and runs
    in WAL mode (both from :func:`twin.storage.open_engine`)."""
    engine = storage.open_engine(url, private=True)
    metadata.create_all(engine)
    return engine
