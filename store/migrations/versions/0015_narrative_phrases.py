"""narrative_phrases: the keyword phrases found in each unit text, kept so the hourly rebuild segments only new texts

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "narrative_phrases",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("phrases", sa.JSON(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_narrative_phrases_used", "narrative_phrases", ["used_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_narrative_phrases_used", table_name="narrative_phrases")
    op.drop_table("narrative_phrases")
