"""Where the city hall keeps its records: SQLAlchemy 2 tables on SQLite or PostgreSQL.

:func:`open_store` takes a database URL. The embedded default is a SQLite file (WAL journal,
``synchronous=NORMAL``: a commit is durable against a crash of the program, and costs no
fsync); ``postgresql+psycopg://...`` selects PostgreSQL. An optional ``schema`` keeps several
stores apart in one PostgreSQL database (the tests use one schema each).

Tables
------
``service_requests``
    One row per request: service, where, what, status (Open311's ``open``/``closed``) and the
    workflow ``stage``, department, priority, SLA due time, a **pseudonymous** citizen id, the
    citizen's channel, language and notification preferences, feedback.
``status_changes``
    The audit trail: every stage change, when, by whom (a staff key's name, a crew).
``contacts``
    **Personal data** (names, e-mail, phone, device id) given with a request, in its own table
    with an ``expires_at`` (the retention rule); :meth:`Store.purge_personal_data` deletes
    what has expired. Nothing else refers to a person except by pseudonym.
``api_keys``
    Hashes of API keys (never the keys), each with a role and a rate limit.
``settings``
    Key-value settings of the store (the pseudonymisation secret).

Times are stored as naive UTC datetimes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, SmallInteger,
                        String, Table, Text, text)
from sqlalchemy.engine import Engine

from twin.storage import engine_url, open_engine, sqlite_url

__all__ = ["Store", "metadata", "open_store", "sqlite_url"]

metadata = MetaData()

service_requests = Table(
    "service_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(36), nullable=False, unique=True),
    Column("service_code", String(40), nullable=False),
    Column("status", String(6), nullable=False),              # open | closed (Open311)
    Column("stage", String(16), nullable=False),              # received | assigned | in_progress | resolved | duplicate | rejected
    Column("status_notes", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("address", String(300), nullable=True),
    Column("district", String(80), nullable=True),
    Column("department", String(40), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("attributes", Text, nullable=True),                # JSON
    Column("media_url", String(2000), nullable=True),
    Column("citizen", String(40), nullable=True),             # pseudonym
    Column("channel", String(16), nullable=True),
    Column("lang", String(8), nullable=True),
    Column("notify", String(16), nullable=True),
    Column("source", String(16), nullable=False),             # api | twin
    Column("duplicate_of", Integer, nullable=True),
    Column("requested_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("expected_at", DateTime, nullable=True),           # the SLA due time
    Column("closed_at", DateTime, nullable=True),
    Column("sla_breached", Boolean, nullable=False, default=False),
    Column("rating", SmallInteger, nullable=True),
    Column("feedback", Text, nullable=True),
    Index("ix_requests_code_status", "service_code", "status"),
    Index("ix_requests_requested_at", "requested_at"),
    Index("ix_requests_status_expected", "status", "expected_at"),
)

status_changes = Table(
    "status_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("service_requests.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("at", DateTime, nullable=False),
    Column("stage", String(16), nullable=False),
    Column("status", String(6), nullable=False),
    Column("note", Text, nullable=True),
    Column("by", String(80), nullable=True),
)

contacts = Table(
    "contacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("service_requests.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("email", String(254), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("device_id", String(200), nullable=True),
    Column("account_id", String(200), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("role", String(10), nullable=False),               # client | staff | admin
    Column("rate_per_min", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

settings = Table(
    "settings", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)


@dataclass
class Store:
    """An open database: its engine and (PostgreSQL) schema."""

    engine: Engine
    url: str
    schema: str | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def purge_personal_data(self, now: datetime) -> int:
        """Delete contact rows whose retention has expired; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(contacts.delete().where(contacts.c.expires_at <= now)).rowcount

    def drop(self) -> None:
        """Delete every table (and the PostgreSQL schema, if the store has its own)."""
        if self.schema:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        else:
            metadata.drop_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, schema: str | None = None, create: bool = True) -> Store:
    """Open (and by default create the tables of) the store at ``url``.

    Parameters
    ----------
    url
        A SQLAlchemy URL: ``sqlite:///path/to/file.sqlite`` or
        ``postgresql+psycopg://user@host:5432/db``. ``postgresql://`` is read as psycopg 3
        (the engine, its URL and SQLite settings come from :func:`twin.storage.open_engine`).
    schema
        PostgreSQL only: a schema of its own (created if missing) for the tables.
    """
    url = engine_url(url)
    engine = open_engine(url, schema=schema)
    if create:
        metadata.create_all(engine)
    return Store(engine, url, schema)
