"""crawl_host_state: robots.txt, next request start, pauses and AutoThrottle delay per host, shared by crawl runs

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_host_state",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("last_start", sa.Float(), nullable=True),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.Column("throttle_delay", sa.Float(), nullable=True),
        sa.Column("robots_body", sa.Text(), nullable=True),
        sa.Column("robots_deny_reason", sa.Text(), nullable=True),
        sa.Column("robots_expires", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("origin"),
    )


def downgrade() -> None:
    op.drop_table("crawl_host_state")
