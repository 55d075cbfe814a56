"""The database layer: SQLAlchemy 2 models, Alembic migrations and small keyword-only CRUD functions."""

from store.db import Database, normalise_database_url
from store.types import utcnow

__all__ = ["Database", "normalise_database_url", "utcnow"]
