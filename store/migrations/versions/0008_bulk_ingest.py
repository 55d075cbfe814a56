"""bulk ingest and accent-insensitive search: posts.score_pending, one verdict per snapshot, posts.search_text

``posts.score_pending`` marks posts whose current text waits for a verdict, so scoring selects them through a
small partial index instead of an anti-join per batch; existing posts in a scored language ("vi", "und") whose
current snapshot has no verdict are marked. ``uq_verdicts_snapshot_id``: concurrent scorers never write two
verdicts for one snapshot; duplicates written before (by a race) are folded into the first one, and queue
items pointing at a removed duplicate point at the kept verdict.

``posts.search_text`` is ``vntext.search_form`` of text and title (``store.posts.post_search_text``), filled
here for existing posts; the search index moves onto it under the same names: the FTS5 trigram table
``posts_fts`` (and its triggers) on SQLite, ``ix_posts_text_trgm`` (pg_trgm GIN) on PostgreSQL.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from store.posts import post_search_text

revision = "0008"
down_revision = "0012"
branch_labels = None
depends_on = None


_SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS posts_fts_insert", "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_update", "DROP TABLE IF EXISTS posts_fts",
)


def _sqlite_fts(column: str, watched: str) -> tuple[str, ...]:
    """The FTS5 trigram table ``posts_fts`` over ``column`` of posts, kept in step by triggers."""
    old = ", ".join(f"old.{c}" for c in column.split(", "))
    new = ", ".join(f"new.{c}" for c in column.split(", "))
    return (
        f"CREATE VIRTUAL TABLE posts_fts USING fts5({column}, content='posts', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
        f"INSERT INTO posts_fts(rowid, {column}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
        f"INSERT INTO posts_fts(posts_fts, rowid, {column}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER posts_fts_update AFTER UPDATE OF {watched} ON posts BEGIN "
        f"INSERT INTO posts_fts(posts_fts, rowid, {column}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO posts_fts(rowid, {column}) VALUES (new.id, {new}); END",
        "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
    )


_POSTGRES_TRGM = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        DROP INDEX IF EXISTS ix_posts_text_trgm;
        CREATE INDEX ix_posts_text_trgm ON posts USING gin ({column} gin_trgm_ops);
    END IF;
END $$;
"""


def _fill_search_text() -> None:
    """search_text of every existing post, a thousand at a time."""
    bind = op.get_bind()
    posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("text", sa.Text), sa.column("title", sa.Text),
                     sa.column("search_text", sa.Text))
    last = 0
    while True:
        rows = bind.execute(sa.select(posts.c.id, posts.c.text, posts.c.title).where(posts.c.id > last)
                            .order_by(posts.c.id).limit(1000)).all()
        if not rows:
            return
        bind.execute(posts.update().where(posts.c.id == sa.bindparam("pid")).values(search_text=sa.bindparam("st")),
                     [{"pid": pid, "st": post_search_text(text or "", title)} for pid, text, title in rows])
        last = rows[-1][0]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for statement in _SQLITE_FTS_DROP:
            op.execute(statement)
    op.add_column("posts", sa.Column("search_text", sa.Text(), nullable=True))
    _fill_search_text()
    if sqlite:
        for statement in _sqlite_fts("search_text", "search_text"):
            op.execute(statement)
    else:
        op.execute(_POSTGRES_TRGM.format(column="search_text"))
    # a plain ADD COLUMN on both databases (no table rebuild: the posts_fts triggers stay)
    op.add_column("posts", sa.Column("score_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE posts SET score_pending = TRUE WHERE language IN ('vi', 'und') AND NOT EXISTS ("
        "SELECT 1 FROM snapshots JOIN verdicts ON verdicts.snapshot_id = snapshots.id "
        "WHERE snapshots.post_id = posts.id AND snapshots.sha256 = posts.content_sha256)"
    )
    op.create_index("ix_posts_score_pending", "posts", ["source_id", "id"], sqlite_where=sa.text("score_pending"),
                    postgresql_where=sa.text("score_pending"))
    op.execute(
        "UPDATE queue_items SET verdict_id = (SELECT min(v1.id) FROM verdicts AS v1 JOIN verdicts AS mine "
        "ON mine.snapshot_id = v1.snapshot_id WHERE mine.id = queue_items.verdict_id)"
    )
    op.execute("DELETE FROM verdicts WHERE id NOT IN (SELECT min(id) FROM verdicts GROUP BY snapshot_id)")
    op.create_index("uq_verdicts_snapshot_id", "verdicts", ["snapshot_id"], unique=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS_DROP:
            op.execute(statement)
        op.drop_column("posts", "search_text")
        for statement in _sqlite_fts("text, title", "text, title"):
            op.execute(statement)
    else:
        op.execute(_POSTGRES_TRGM.format(column="text"))
        op.drop_column("posts", "search_text")
    op.drop_index("uq_verdicts_snapshot_id", table_name="verdicts")
    op.drop_index("ix_posts_score_pending", table_name="posts")
    op.drop_column("posts", "score_pending")  # ALTER TABLE DROP COLUMN (SQLite 3.35+): no table rebuild
