"""verdicts.input_case: which inputs the post had and so which model head scored it

"text", "text_time" or "text_counts_time" (``classifier.INPUT_CASES``); NULL for verdicts written before, and
by models trained before the case heads.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verdicts") as batch:
        batch.add_column(sa.Column("input_case", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verdicts") as batch:
        batch.drop_column("input_case")
