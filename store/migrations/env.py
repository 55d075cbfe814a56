"""Alembic environment: runs on the connection the Database hands over (or the configured URL)."""

from __future__ import annotations

from alembic import context
from alembic.util import CommandError
from sqlalchemy import create_engine

from store.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # apscheduler owns its own job table; the text-search index (store.search_index) is not a model
    if type_ == "table" and (name == "apscheduler_jobs" or name.startswith(("posts_fts", "queue_fts"))):
        return False
    if type_ == "column" and name == "search_words" and obj.table.name == "posts":
        return False
    return not (type_ == "index" and name in ("ix_posts_text_trgm", "ix_posts_search_words"))


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          include_object=_include_object, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise CommandError("no database to migrate: set sqlalchemy.url or pass a connection in "
                           "config.attributes['connection'] (store.Database.upgrade does both)")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          include_object=_include_object, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
