"""verdicts.explain_pending: a flagged verdict whose evidence is still to be computed (a partial index)

Scoring writes verdicts and queue items without explanations; ``service.explain.explain_pending`` fills the
evidence of the verdicts marked here, found through a small partial index.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN on both databases (no table rebuild); existing verdicts carry their evidence already
    op.add_column("verdicts", sa.Column("explain_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_verdicts_explain_pending", "verdicts", ["id"], sqlite_where=sa.text("explain_pending"),
                    postgresql_where=sa.text("explain_pending"))


def downgrade() -> None:
    op.drop_index("ix_verdicts_explain_pending", table_name="verdicts")
    op.drop_column("verdicts", "explain_pending")
