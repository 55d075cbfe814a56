"""Engines, sessions and migrations.

SQLite (WAL, foreign keys on, busy timeout) is the embedded default; PostgreSQL works through psycopg 3.
Writers on SQLite use ``BEGIN IMMEDIATE`` so concurrent threads queue on the lock instead of failing.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "dialect_insert", "normalise_database_url"]

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock taken while migrating, so that several processes starting at once migrate one by one.
MIGRATION_LOCK_KEY = 0x6B69656D74696E  # "kiemtin"


def normalise_database_url(url: str | URL) -> URL:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(str(url)) if not isinstance(url, URL) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("kiemtin_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ``on_conflict_do_nothing``/``on_conflict_do_update`` for the session's database (SQLite or
    PostgreSQL)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def _fresh_turn(database: weakref.ref[Database]) -> None:
    found = database()
    if found is not None:
        found._write_turn = threading.RLock()  # noqa: SLF001 - its own lock, reset in a forked child


class Database:
    """One database: an engine, short-lived sessions, and the Alembic migrations that shape it."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = normalise_database_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(self.engine.execution_options(kiemtin_write=True), expire_on_commit=False)
        # SQLite has one writer at a time: this process's threads take turns here, instead of in SQLite's busy
        # handler, which sleeps in steps of up to 100 ms; other processes still wait on the busy timeout
        self._write_turn: AbstractContextManager[Any] = threading.RLock() if self.is_sqlite else nullcontext()
        if self.is_sqlite:  # a child forked while another thread held the turn must not wait for it forever
            os.register_at_fork(after_in_child=partial(_fresh_turn, weakref.ref(self)))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-mostly session; commit yourself if you write."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on success and rolled back on error."""
        with self._write_turn, self._writers() as session, session.begin():
            yield session

    def alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.render_as_string(hide_password=False).replace("%", "%%"))
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision`` (idempotent)."""
        cfg = self.alembic_config()
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # held until this transaction ends; the next process then finds the schema up to date
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)

    def downgrade(self, revision: str) -> None:
        cfg = self.alembic_config()
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, revision)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()
