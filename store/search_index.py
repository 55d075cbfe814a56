"""The word index over ``posts.search_text`` (accent-folded text and title) and the match against it.

Stored texts and queries are split the same way, into runs of letters and digits (``vntext.search_words``): the FTS5
``unicode61`` table ``queue_fts`` of the queued posts' texts by queue item id on SQLite; on PostgreSQL a GIN index
(``ix_posts_search_words``) on ``posts.search_words``, ``to_tsvector('simple', ...)`` of the text with everything
but letters and digits turned into spaces, kept by triggers for the queued posts only (migration 0016; a generated
column of every post before). Both find the same queue items. A query is a phrase
of whole words whose last word is also a prefix when it has two or more characters (``cach l`` is not ``cach ly``;
``cach ly`` finds "cách ly" and "cách lý"). The first ``INDEXED_CHARS`` characters of a post are indexed (a bound on
PostgreSQL's 1 MB tsvector).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, literal_column, select, table, text

from store.models import QueueItem

__all__ = [
    "INDEXED_CHARS",
    "MAX_WORDS",
    "POSTGRES_DROP",
    "POSTGRES_INDEX",
    "POSTGRES_QUEUED_WORDS",
    "POSTGRES_QUEUED_WORDS_DROP",
    "POSTGRES_VECTOR",
    "SQLITE_DROP",
    "SQLITE_INDEX",
    "fts5_phrase",
    "fts5_item_ids",
    "postgres_vector",
    "ts_query",
    "word_match",
]

INDEXED_CHARS = 100_000
MAX_WORDS = 32  # a longer query is cut to its first MAX_WORDS words

# PostgreSQL: the words of search_text in a stored generated column (not in the models: like the index, a
# migration's), so a phrase's candidates from the GIN index are rechecked without parsing the text again
POSTGRES_VECTOR = ("to_tsvector('simple'::regconfig, regexp_replace(left(search_text, "
                   f"{INDEXED_CHARS}), '[^[:alnum:]]+', ' ', 'g'))")
POSTGRES_INDEX = (
    f"ALTER TABLE posts ADD COLUMN IF NOT EXISTS search_words tsvector GENERATED ALWAYS AS ({POSTGRES_VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS ix_posts_search_words ON posts USING gin (search_words)",
)
POSTGRES_DROP = ("DROP INDEX IF EXISTS ix_posts_search_words", "ALTER TABLE posts DROP COLUMN IF EXISTS search_words")


def postgres_vector(search_text: str) -> str:
    """``POSTGRES_VECTOR`` of the column reference ``search_text`` (a constant of the migrations, never input)."""
    return POSTGRES_VECTOR.replace("left(search_text,", f"left({search_text},")


# PostgreSQL since migration 0016: the words of the queued posts only, as on SQLite (search is a filter of the
# queue, and computing every crawled post's tsvector in the INSERT cost a third of the server's ingest time).
# ``posts.search_words`` is a plain column, set when a post gets a queue item (one statement per INSERT, through
# its transition table) or moves to one, and again when a queued post's text changes; the GIN index holds only them.
POSTGRES_QUEUED_WORDS = (
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_words",  # its index goes with it
    "ALTER TABLE posts ADD COLUMN search_words tsvector",
    "CREATE INDEX ix_posts_search_words ON posts USING gin (search_words)",
    "CREATE FUNCTION queue_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608 - constants only
    f"UPDATE posts AS p SET search_words = {postgres_vector('p.search_text')} "
    "FROM (SELECT DISTINCT post_id FROM new_items) AS n WHERE p.id = n.post_id; RETURN NULL; END $$",
    "CREATE TRIGGER queue_words_insert AFTER INSERT ON queue_items REFERENCING NEW TABLE AS new_items "
    "FOR EACH STATEMENT EXECUTE FUNCTION queue_words_insert()",
    "CREATE FUNCTION queue_words_move() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608 - constants only
    f"UPDATE posts AS p SET search_words = {postgres_vector('p.search_text')} WHERE p.id = NEW.post_id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER queue_words_move AFTER UPDATE OF post_id ON queue_items FOR EACH ROW "
    "WHEN (OLD.post_id IS DISTINCT FROM NEW.post_id) EXECUTE FUNCTION queue_words_move()",
    "CREATE FUNCTION queue_words_edit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608 - constants only
    "IF NEW.search_words IS NOT NULL OR EXISTS (SELECT 1 FROM queue_items WHERE post_id = NEW.id) THEN "
    f"NEW.search_words := {postgres_vector('NEW.search_text')}; END IF; RETURN NEW; END $$",
    "CREATE TRIGGER queue_words_edit BEFORE UPDATE OF search_text ON posts FOR EACH ROW "
    "WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) EXECUTE FUNCTION queue_words_edit()",
    f"UPDATE posts SET search_words = {POSTGRES_VECTOR} WHERE id IN (SELECT post_id FROM queue_items)",  # noqa: S608
)
POSTGRES_QUEUED_WORDS_DROP = (
    "DROP TRIGGER IF EXISTS queue_words_edit ON posts", "DROP TRIGGER IF EXISTS queue_words_move ON queue_items",
    "DROP TRIGGER IF EXISTS queue_words_insert ON queue_items", "DROP FUNCTION IF EXISTS queue_words_edit()",
    "DROP FUNCTION IF EXISTS queue_words_move()", "DROP FUNCTION IF EXISTS queue_words_insert()",
    *POSTGRES_DROP,
)

# SQLite: the words of the queued posts only, by queue item id (search is a filter of the queue: a tenth of the
# posts or less, so a phrase of two common words reads a tenth of the doclists). A table with its own copy of
# the text, so a row goes by its id alone when a queue item is deleted (also by a post's cascade).
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS queue_fts_insert", "DROP TRIGGER IF EXISTS queue_fts_delete",
    "DROP TRIGGER IF EXISTS queue_fts_move", "DROP TRIGGER IF EXISTS queue_fts_edit",
    "DROP TABLE IF EXISTS queue_fts",
)
SQLITE_INDEX = (  # the first INDEXED_CHARS characters: substr(..., 1, 100000)
    "CREATE VIRTUAL TABLE queue_fts USING fts5(search_text, tokenize='unicode61')",
    "CREATE TRIGGER queue_fts_insert AFTER INSERT ON queue_items BEGIN "
    "INSERT INTO queue_fts(rowid, search_text) SELECT q.id, substr(p.search_text, 1, 100000) "
    "FROM queue_items AS q JOIN posts AS p ON p.id = q.post_id WHERE q.id = new.id; END",
    "CREATE TRIGGER queue_fts_delete AFTER DELETE ON queue_items BEGIN "
    "DELETE FROM queue_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER queue_fts_move AFTER UPDATE OF post_id ON queue_items BEGIN "
    "DELETE FROM queue_fts WHERE rowid = old.id; "
    "INSERT INTO queue_fts(rowid, search_text) SELECT q.id, substr(p.search_text, 1, 100000) "
    "FROM queue_items AS q JOIN posts AS p ON p.id = q.post_id WHERE q.id = new.id; END",
    "CREATE TRIGGER queue_fts_edit AFTER UPDATE OF search_text ON posts BEGIN "
    "DELETE FROM queue_fts WHERE rowid IN (SELECT id FROM queue_items WHERE post_id = new.id); "
    "INSERT INTO queue_fts(rowid, search_text) SELECT q.id, substr(p.search_text, 1, 100000) "
    "FROM queue_items AS q JOIN posts AS p ON p.id = q.post_id WHERE q.post_id = new.id; END",
    "INSERT INTO queue_fts(rowid, search_text) SELECT q.id, substr(p.search_text, 1, 100000) "
    "FROM queue_items AS q JOIN posts AS p ON p.id = q.post_id",
)


def _prefix(words: Sequence[str]) -> bool:
    return len(words[-1]) >= 2


def fts5_phrase(words: Sequence[str]) -> str:
    """One FTS5 phrase of ``words`` (``"cach" + "ly"*``), every word quoted so nothing in it is FTS5 syntax."""
    quoted = " + ".join('"' + w.replace('"', '""') + '"' for w in words[:MAX_WORDS])
    return quoted + ("*" if _prefix(words[:MAX_WORDS]) else "")


def ts_query(words: Sequence[str]) -> str:
    """The same phrase for PostgreSQL's ``to_tsquery`` (``'cach' <-> 'ly':*``), every word quoted."""
    words = words[:MAX_WORDS]
    quoted = " <-> ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words)
    return quoted + (":*" if _prefix(words) else "")


def fts5_item_ids(words: Sequence[str]) -> Any:
    """``SELECT rowid FROM queue_fts WHERE queue_fts MATCH :phrase`` (SQLite): the queue items whose post has the
    phrase ``words``."""
    return select(literal_column("rowid", Integer)).select_from(table("queue_fts")).where(
        literal_column("queue_fts").op("MATCH")(fts5_phrase(words)))


def word_match(words: Sequence[str], dialect: str) -> Any:
    """A condition on ``queue_items`` joined to ``posts``: the post's indexed words contain the phrase ``words``
    (not empty), through the word index; the phrase is always a bound parameter."""
    if dialect == "sqlite":
        return QueueItem.id.in_(fts5_item_ids(words))
    return text("posts.search_words @@ to_tsquery('simple'::regconfig, :search_words)").bindparams(
        search_words=ts_query(words))
