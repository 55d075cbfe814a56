"""PostgreSQL: search words of the queued posts only, kept by triggers, instead of a generated column of every post

Computing the tsvector of every crawled post in its INSERT was a third of the server's time on ingest, for
words only queued posts are searched by (SQLite's ``queue_fts`` indexes only them already, migration 0013).
``posts.search_words`` becomes a plain column that triggers set when a post gets a queue item or its queued text
changes (``store.search_index.POSTGRES_QUEUED_WORDS``); the queued posts' words are filled here. Downgrade
restores the generated column. SQLite: nothing changes.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

from store.search_index import POSTGRES_INDEX, POSTGRES_QUEUED_WORDS, POSTGRES_QUEUED_WORDS_DROP

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_QUEUED_WORDS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*POSTGRES_QUEUED_WORDS_DROP, *POSTGRES_INDEX):
            op.execute(statement)
