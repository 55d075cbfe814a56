"""Migrations build the schema from empty, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from store import Database
from store.audit import record
from store.db import MIGRATIONS
from store.models import Base


def test_upgrade_from_empty_creates_every_table(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert db.current_revision() is not None


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    not_models = ("apscheduler", "posts_fts", "queue_fts", "search_words")  # the scheduler's table, the search index
    assert [d for d in diff if not any(name in repr(d) for name in not_models)] == []


def test_upgrade_twice_is_harmless(db: Database) -> None:
    before = db.current_revision()
    db.upgrade()
    assert db.current_revision() == before


def test_migrations_run_from_the_configured_url_without_a_connection(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")  # what `alembic upgrade head` does: no connection handed over
    engine = create_engine(url)
    try:
        assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrating_with_neither_connection_nor_url_says_what_is_missing() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with pytest.raises(CommandError, match="sqlalchemy.url"):
        command.upgrade(cfg, "head")


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


def test_0002_copies_each_verdict_score_onto_its_queue_item(db: Database) -> None:
    db.downgrade("0001")
    with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO posts (id, platform, external_id, url, canonical_url, text, first_seen_at, fetched_at, "
            "language, content_sha256) VALUES (1, 'rss', 'a', 'u', 'u', 't', '2020-01-01', '2020-01-01', 'vi', 'h')",
            "INSERT INTO snapshots (id, post_id, text, sha256, url, captured_at) VALUES (1, 1, 't', 'h', 'u', "
            "'2020-01-01')",
            "INSERT INTO verdicts (id, post_id, snapshot_id, model_version, score, label, threshold, features, "
            "created_at) VALUES (1, 1, 1, 'm', 0.875, true, 0.5, '[]', '2020-01-01')",
            "INSERT INTO queue_items (id, post_id, verdict_id, status, priority, created_at, updated_at) "
            "VALUES (1, 1, 1, 'pending', 1.0, '2020-01-01', '2020-01-01')",
        ):
            conn.execute(text(statement))
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT score FROM queue_items WHERE id = 1")).scalar_one() == 0.875


def test_0008_marks_unscored_posts_folds_search_text_and_keeps_one_verdict_per_snapshot(db: Database) -> None:
    db.downgrade("0007")
    with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO posts (id, platform, external_id, url, canonical_url, text, title, first_seen_at, "
            "fetched_at, language, content_sha256) VALUES (1, 'rss', 'a', 'u', 'u', 'Khu cách ly', 'Đồng Nai', "
            "'2020-01-01', '2020-01-01', 'vi', 'h1'), (2, 'rss', 'b', 'u', 'u', 'Chưa chấm', NULL, '2020-01-01', "
            "'2020-01-01', 'vi', 'h2'), (3, 'rss', 'c', 'u', 'u', 'English', NULL, '2020-01-01', '2020-01-01', "
            "'en', 'h3')",
            "INSERT INTO snapshots (id, post_id, text, sha256, url, captured_at) VALUES "
            "(1, 1, 't', 'h1', 'u', '2020-01-01'), (2, 2, 't', 'h2', 'u', '2020-01-01'), "
            "(3, 3, 't', 'h3', 'u', '2020-01-01')",
            "INSERT INTO verdicts (id, post_id, snapshot_id, model_version, score, label, threshold, features, "
            "created_at) VALUES (1, 1, 1, 'm', 0.9, true, 0.5, '[]', '2020-01-01'), "
            "(2, 1, 1, 'm', 0.8, true, 0.5, '[]', '2020-01-01')",
            "INSERT INTO queue_items (id, post_id, verdict_id, status, priority, created_at, updated_at) "
            "VALUES (1, 1, 2, 'pending', 1.0, '2020-01-01', '2020-01-01')",
        ):
            conn.execute(text(statement))
    db.upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, score_pending, search_text FROM posts ORDER BY id")).all()
        assert [(i, bool(p), s) for i, p, s in rows] == [
            (1, False, "khu cach ly\ndong nai"), (2, True, "chua cham"), (3, False, "english")]
        assert conn.execute(text("SELECT id FROM verdicts")).scalars().all() == [1]
        assert conn.execute(text("SELECT verdict_id FROM queue_items")).scalar_one() == 1


def test_0013_indexes_existing_posts_by_word_and_downgrade_restores_trigrams(db: Database) -> None:
    from review.browse import QueueFilters, count_matching  # a test may reach up: the search through the index

    db.downgrade("0010")
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO posts (id, platform, external_id, url, canonical_url, text, first_seen_at, fetched_at, "
            "language, content_sha256, search_text) VALUES (1, 'rss', 'a', 'u', 'u', 'Khu cách ly', '2020-01-01', "
            "'2020-01-01', 'vi', 'h1', 'khu cach ly')"))
    db.upgrade()
    with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO snapshots (id, post_id, text, sha256, url, captured_at) VALUES (1, 1, 't', 'h1', 'u', "
            "'2020-01-01')",
            "INSERT INTO verdicts (id, post_id, snapshot_id, model_version, score, label, threshold, features, "
            "created_at) VALUES (1, 1, 1, 'm', 0.9, true, 0.5, '[]', '2020-01-01')",
            "INSERT INTO queue_items (id, post_id, verdict_id, status, priority, created_at, updated_at, score) "
            "VALUES (1, 1, 1, 'pending', 1.0, '2020-01-01', '2020-01-01', 0.9)",
        ):
            conn.execute(text(statement))
    with db.session() as s:  # the post written before 0013 is in the word index
        assert [count_matching(session=s, filters=QueueFilters(q=q)) for q in ("cach ly", "ach ly", "khu c")] == [
            1, 0, 0]
    if sqlite:
        with db.engine.connect() as conn:
            assert "unicode61" in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'queue_fts'")).scalar()
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'posts_fts'")).scalar() == 0
    else:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'posts' AND indexname "
                                     "LIKE 'ix_posts_%words'")).scalars().all() == ["ix_posts_search_words"]
    db.downgrade("0010")
    with db.engine.connect() as conn:
        if sqlite:
            assert "trigram" in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'posts_fts'")).scalar()
            # the restored trigram index has the old rows: a substring inside a word is found again
            assert conn.execute(text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH '\"ach l\"'")).scalar() == 1
        else:
            assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_posts_search_words'"
                                     )).scalar() == 0
    db.upgrade()
