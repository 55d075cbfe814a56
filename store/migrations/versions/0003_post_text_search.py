"""an index for substring search over post text: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL

On SQLite, ``posts_fts`` is an external-content FTS5 table kept in step with ``posts`` by triggers. On
PostgreSQL the trigram index serves ``ILIKE '%...%'``; it is skipped (search still works, unindexed) when the
database user may not create the pg_trgm extension.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE posts_fts USING fts5(text, title, content='posts', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, text, title) VALUES (new.id, new.text, new.title); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, text, title) VALUES ('delete', old.id, old.text, old.title); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF text, title ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, text, title) VALUES ('delete', old.id, old.text, old.title); "
    "INSERT INTO posts_fts(rowid, text, title) VALUES (new.id, new.text, new.title); END",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
)

_POSTGRES_UP = """
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm not available to this user: post text search stays unindexed';
END $$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS ix_posts_text_trgm ON posts USING gin (text gin_trgm_ops);
    END IF;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)
    else:
        op.execute(_POSTGRES_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS posts_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_posts_text_trgm")
