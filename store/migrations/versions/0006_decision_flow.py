"""the decision flow: what an undo puts back, cluster decisions, comments, saved filters, password resets

``decisions.status_before`` (the item's status when the decision was made) and ``decisions.cluster_of_id``
(the named item's decision for copies decided with the cluster) let an undo restore exactly what was there.
Decisions written before this have neither; they are older than any undo window. ``item_comments``,
``saved_filters`` and ``password_resets`` are new tables, and the audit log gets an index for its action filter.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("decisions", sa.Column("status_before", sa.String(length=16), nullable=True))
    op.add_column("decisions", sa.Column("cluster_of_id", sa.Integer(), nullable=True))
    op.create_index("ix_decisions_cluster_of", "decisions", ["cluster_of_id"], unique=False)
    op.create_table(
        "item_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["queue_item_id"], ["queue_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_item_comments_item", "item_comments", ["queue_item_id", "id"], unique=False)
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),
    )
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
    op.drop_table("password_resets")
    op.drop_table("saved_filters")
    op.drop_index("ix_item_comments_item", table_name="item_comments")
    op.drop_table("item_comments")
    op.drop_index("ix_decisions_cluster_of", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("cluster_of_id")
        batch.drop_column("status_before")
