"""Shared fixtures: a real database per test — a SQLite file, and the local PostgreSQL server when
``KIEMTIN_TEST_POSTGRES_URL`` is set (each session gets its own throwaway database there)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import AppConfig, Settings
from crawlkit import LocalServer, _server
from service.runtime import Runtime
from store import Database
from store.models import Base
from tests_support import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "models"
POSTGRES_ENV = "KIEMTIN_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, dropped at the end; None when not configured."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    with fresh_postgres_database(base) as url:
        yield url


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> Iterator[str]:
    """A migrated, empty database: every test that uses it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kiemtin.db'}"
        Database(url).upgrade()
        yield url
        return
    if postgres_url is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV} (the CI does when the server answers)")
    db = Database(postgres_url)
    db.upgrade()
    _truncate_all(db)
    db.dispose()
    yield postgres_url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    """A runtime on the test database with the committed model, allowed to crawl 127.0.0.1."""
    config = AppConfig(settings=Settings(ui_language="en", database_url=database_url, models_dir=MODELS_DIR,
                                         allow_networks=["127.0.0.0/8"], min_delay_s=0.0, request_timeout_s=3.0,
                                         backoff_base_s=0.05))
    rt = Runtime.open(config)
    yield rt
    rt.close()


@pytest.fixture
def queued_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """``runtime`` with a broker: the machine's Redis under a key prefix of this test's own (skipped without it)."""
    from redis_kit import shared_redis_or_skip, unique_prefix
    from service.tasks import configure

    url = shared_redis_or_skip()
    with unique_prefix(url) as prefix:
        config = runtime.config.model_copy(deep=True)
        config.settings.broker_url, config.settings.redis_key_prefix = url, prefix
        configure(config)
        yield Runtime(config=config, db=runtime.db)


def sqlite_url(path: Path) -> str:
    return str(make_url(f"sqlite:///{path}"))


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with a route table (see crawlkit.LocalServer)."""
    yield from _server()


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI on the test database, run from tmp_path with no configuration file."""
    monkeypatch.setenv("KIEMTIN_DATABASE_URL", database_url)
    monkeypatch.setenv("KIEMTIN_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "en")  # the CLI tests read its English messages
    monkeypatch.chdir(tmp_path)
    return tmp_path
