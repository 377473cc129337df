"""Database engines for the twin's stores: one place for URLs and SQLite settings.

The city hall (:mod:`services.store`) and the ledger (:mod:`ledger.store`) each keep their
tables in a SQL database through SQLAlchemy 2: an embedded SQLite file by default, PostgreSQL
(psycopg 3) when a URL names it. Both open their engine here so that they read URLs the same
way and run SQLite the same way:

* ``postgresql://`` and ``postgres://`` mean psycopg 3 (``postgresql+psycopg://``);
* a SQLite file runs in WAL mode with ``synchronous=NORMAL`` (a commit survives a crash of the
  process; the last commits may be lost only if the machine itself loses power) and
  ``foreign_keys=ON``, with a 30 s busy timeout and connections usable from any thread;
* ``private=True`` makes a SQLite file owner-only (0600), for stores that hold secrets;
* a PostgreSQL ``schema`` keeps several stores in one database.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

__all__ = ["engine_url", "open_engine", "sqlite_url"]


def sqlite_url(path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path}"


def engine_url(url: str) -> str:
    """``url`` with PostgreSQL spelt for psycopg 3; ValueError naming it when it is neither kind."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise ValueError(f"database url {url!r}: use sqlite:///FILE or postgresql://USER@HOST/DB")
    return url


def open_engine(url: str, *, schema: str | None = None, private: bool = False) -> Engine:
    """A SQLAlchemy engine for ``url`` (see the module docstring for what is set).

    Parameters
    ----------
    url
        ``sqlite:///path/to/file.sqlite`` or ``postgresql://user@host:5432/db``.
    schema
        PostgreSQL only: a schema of its own, created if missing.
    private
        SQLite only: create the file (and narrow an existing one) to owner-only permissions.
    """
    url = engine_url(url)
    kwargs: dict = {}
    if url.startswith("sqlite"):
        if schema:
            raise ValueError(f"schema={schema!r}: schemas are for PostgreSQL; SQLite stores are separate files")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        if schema:
            if not schema.replace("_", "").isalnum():
                raise ValueError(f"schema={schema!r}: use letters, digits and _ only")
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        if private:
            _private_file(make_url(url).database)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif schema:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _private_file(database: str | None) -> None:
    """Create the SQLite file owner-only (0600), or narrow an existing one to 0600."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        os.chmod(path, 0o600)
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)
    elif path.parent.is_dir():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
