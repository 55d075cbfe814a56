"""search by whole words: a word index over ``posts.search_text`` instead of trigrams

Folded text has few distinct trigrams, so a trigram phrase had many candidates to check (issue 12). On SQLite
the trigram table ``posts_fts`` gives way to ``queue_fts``, an FTS5 ``unicode61`` table of the queued posts'
``search_text`` (first ``INDEXED_CHARS`` characters) by queue item id, kept in step by triggers on
``queue_items`` and ``posts``; on PostgreSQL the pg_trgm index ``ix_posts_text_trgm`` gives way
to ``ix_posts_search_words``, a GIN index on the stored generated column ``posts.search_words``,
``to_tsvector('simple', ...)`` of the text split the same way (``store.search_index``). Both are filled for
existing posts here. Downgrade restores the trigram indexes.

Revision ID: 0013
Revises: 0010
"""

from alembic import op

from store.search_index import POSTGRES_DROP, POSTGRES_INDEX, SQLITE_DROP, SQLITE_INDEX

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

_SQLITE_TRIGRAM_DROP = (
    "DROP TRIGGER IF EXISTS posts_fts_insert", "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_update", "DROP TABLE IF EXISTS posts_fts",
)
# the trigram index of migration 0008, restored by downgrade
_SQLITE_TRIGRAM = (
    "CREATE VIRTUAL TABLE posts_fts USING fts5(search_text, content='posts', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF search_text ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO posts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
)
_POSTGRES_TRIGRAM = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS ix_posts_text_trgm ON posts USING gin (search_text gin_trgm_ops);
    END IF;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGRAM_DROP + SQLITE_DROP + SQLITE_INDEX:
            op.execute(statement)
    else:
        op.execute("DROP INDEX IF EXISTS ix_posts_text_trgm")
        for statement in POSTGRES_INDEX:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DROP + _SQLITE_TRIGRAM_DROP + _SQLITE_TRIGRAM:
            op.execute(statement)
    else:
        for statement in POSTGRES_DROP:
            op.execute(statement)
        op.execute(_POSTGRES_TRIGRAM)
