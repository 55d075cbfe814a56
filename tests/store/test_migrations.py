"""Migrations build the schema from empty, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from store import Database
from store.audit import record
from store.models import Base


def test_upgrade_from_empty_creates_every_table(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert db.current_revision() is not None


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "apscheduler" not in repr(d)] == []


def test_upgrade_twice_is_harmless(db: Database) -> None:
    before = db.current_revision()
    db.upgrade()
    assert db.current_revision() == before


def test_audit_log_refuses_update_and_delete(db: Database) -> None:
    with db.write() as session:
        record(session=session, actor="tester", action="test.write", note="x")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.session() as session:
        assert session.execute(text("SELECT actor FROM audit_log")).scalar_one() == "tester"


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
