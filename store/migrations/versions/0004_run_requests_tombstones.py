"""run-now requests and removed-source tombstones get tables of their own (they were audit-log rows)

The audit log is a record, not working state: the scheduler now reads ``run_requests`` and seeding reads
``source_tombstones``. Tombstones are carried over from the log (a source whose last create/delete there is a
delete); run-now requests older than a day were forgotten anyway and are not carried over.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        sa.Column("dispatched_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_run_requests_pending", "run_requests", ["dispatched_at", "requested_at"], unique=False)
    tombstones = op.create_table(
        "source_tombstones",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("removed_by", sa.String(length=64), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    rows = op.get_bind().execute(sa.text(
        "SELECT target_id, action, actor, at FROM audit_log WHERE target_type = 'source' "
        "AND action IN ('source.create', 'source.delete') AND target_id IS NOT NULL ORDER BY id"
    )).all()
    latest: dict[str, tuple[str, str, object]] = {}
    for name, action, actor, at in rows:
        latest[name] = (action, actor, at)
    removed = [{"name": name[:100], "removed_by": actor[:64], "removed_at": at}
               for name, (action, actor, at) in latest.items() if action == "source.delete"]
    if removed:
        op.bulk_insert(tombstones, removed)


def downgrade() -> None:
    op.drop_table("source_tombstones")
    op.drop_index("ix_run_requests_pending", table_name="run_requests")
    op.drop_table("run_requests")
