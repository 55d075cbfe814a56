"""bulk ingest: posts.score_pending (partial index) and one verdict per snapshot

``posts.score_pending`` marks posts whose current text waits for a verdict, so scoring selects them through a
small partial index instead of an anti-join per batch; existing posts in a scored language ("vi", "und") whose
current snapshot has no verdict are marked. ``uq_verdicts_snapshot_id``: concurrent scorers never write two
verdicts for one snapshot; duplicates written before (by a race) are folded into the first one, and queue
items pointing at a removed duplicate point at the kept verdict.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.drop_index("uq_verdicts_snapshot_id", table_name="verdicts")
    op.drop_index("ix_posts_score_pending", table_name="posts")
    op.drop_column("posts", "score_pending")  # ALTER TABLE DROP COLUMN (SQLite 3.35+): no table rebuild
