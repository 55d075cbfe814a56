"""queue items carry their verdict's score, indexed with the status, so sorting by score needs no join

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
    op.execute(
        "UPDATE queue_items SET score = (SELECT verdicts.score FROM verdicts WHERE verdicts.id = queue_items.verdict_id)"
    )
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.create_index("ix_queue_items_status_score", ["status", "score"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_items_status_score")
        batch_op.drop_column("score")
