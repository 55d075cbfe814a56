"""Queue search by whole words over the accent-folded text (store.search_index), the same on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from builders import flag
from review.browse import QueueFilters, count_matching, queue_page
from store import Database
from store.search_index import INDEXED_CHARS, MAX_WORDS, POSTGRES_INDEX, SQLITE_INDEX, fts5_phrase, ts_query

FIRST = "Bộ Y tế: khu cách ly ở Đồng Nai ghi nhận ca nhiễm 2019-nCoV mới, người dân không hoảng loạn"
SECOND = "Thời tiết Hà Nội hôm nay nắng đẹp; cách đây một năm trời mưa"


def found(db: Database, q: str, **filters: object) -> list[int]:
    with db.session() as s:
        return [r.item.id for r in queue_page(session=s, filters=QueueFilters(q=q, **filters)).rows]  # type: ignore[arg-type]


def test_whole_words_in_a_row_the_last_one_also_a_prefix(db: Database) -> None:
    first, second = flag(db, "a", score=0.9, text=FIRST), flag(db, "b", score=0.8, text=SECOND)
    for q in ("cach ly", "CÁCH LY", "dong nai", "đồng", "ncov", "2019 ncov", "nc", "bo y te", "bo y",
              "khong hoang loan", "hoang lo"):
        assert found(db, q) == [first], q
    assert found(db, "cach") == [first, second]      # both, in the queue's order
    assert found(db, "ha noi") == [second]
    # whole words: a piece inside a word is not a word, words out of order are not the phrase
    for q in ("ach ly", "ong nai", "cov", "ly cach", "nai dong", "y b"):
        assert found(db, q) == [], q
    # a one-letter last word is a whole word, not every word starting with that letter
    assert found(db, "cach l") == [] and found(db, "nam t") == [] and found(db, "bo y") == [first]


@pytest.mark.parametrize("q", ['"', '""', "*", "cach*", "NEAR(cach ly)", "cach OR nai", "-cach", "cach -ly",
                               "ly AND cach", "^cach", "search_text:cach", "cach + ly", "'; DROP TABLE posts; --",
                               "(cach", "cach\\", "{ly}", "cach:*", "cach <-> ly", "!ly", "x" * 5000,
                               " ".join(["cach ly"] * 100)])
def test_query_syntax_in_the_input_is_never_interpreted(db: Database, q: str) -> None:
    first, second = flag(db, "a", score=0.9, text=FIRST), flag(db, "b", score=0.8, text=SECOND)
    both = ("cach*", "-cach", "^cach", "(cach", "cach\\", "cach:*")
    only_first = ("cach -ly", "cach + ly", "{ly}", "cach <-> ly", "!ly")
    # the words of the input, as a phrase: operators are words ("near", "or", "and") or nothing at all
    expected = [first, second] if q in both else [first] if q in only_first else []
    assert found(db, q) == expected, q
    with db.session() as s:
        assert count_matching(session=s, filters=QueueFilters(q=q)) == len(expected)


def test_no_letter_or_digit_matches_nothing_and_no_query_matches_everything(db: Database) -> None:
    first, second = flag(db, "a", score=0.9, text=FIRST), flag(db, "b", score=0.8, text=SECOND)
    for q in ("...", " - ", "!!! ???", "🙂", "_"):
        assert found(db, q) == [], q
        with db.session() as s:
            assert count_matching(session=s, filters=QueueFilters(q=q)) == 0
    for q in ("", "   ", None):
        assert found(db, q) == [first, second]  # type: ignore[arg-type]


def test_phrases_are_built_from_quoted_words_only() -> None:
    assert fts5_phrase(["cach", "ly"]) == '"cach" + "ly"*'
    assert fts5_phrase(["bo", "y"]) == '"bo" + "y"'
    assert ts_query(["cach", "ly"]) == "'cach' <-> 'ly':*"
    assert ts_query(["bo", "y"]) == "'bo' <-> 'y'"
    assert fts5_phrase(["a"] * (MAX_WORDS + 5)).count('"a"') == MAX_WORDS
    # both databases index the same first characters of a post
    assert all(f"search_text, 1, {INDEXED_CHARS})" in st for st in SQLITE_INDEX if "INSERT" in st)
    assert f"left(search_text, {INDEXED_CHARS})" in POSTGRES_INDEX[0]


def test_pages_and_counts_of_common_and_rare_phrases(db: Database) -> None:
    ids = [flag(db, f"p{i}", score=0.5 + i / 100, text=f"Tin số {i}: {'cách ly' if i % 3 else 'cách xa'} khu dân cư")
           for i in range(12)]
    wanted = [i for n, i in enumerate(ids) if n % 3][::-1]  # highest score first
    with db.session() as s:
        seen, after = [], None
        while True:
            page = queue_page(session=s, filters=QueueFilters(q="cach ly", sort="score"), after=after, limit=3)
            seen += [r.item.id for r in page.rows]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == wanted
        assert count_matching(session=s, filters=QueueFilters(q="cach ly")) == len(wanted)
        assert count_matching(session=s, filters=QueueFilters(q="cach")) == 12
        assert count_matching(session=s, filters=QueueFilters(q="cach", status="open")) == 12
        opened = queue_page(session=s, filters=QueueFilters(q="khu dan", status="open"), limit=50)
        assert len(opened.rows) == 12


def test_the_index_follows_edits_deletions_and_new_items(db: Database) -> None:
    first, second = flag(db, "a", score=0.9, text=FIRST), flag(db, "b", score=0.8, text=SECOND)
    with db.write() as s:
        s.execute(text("UPDATE posts SET search_text = 'bai da sua' WHERE id = (SELECT post_id FROM queue_items "
                       "WHERE id = :i)"), {"i": first})
    assert found(db, "cach ly") == [] and found(db, "bai da sua") == [first]
    with db.write() as s:  # a post's deletion takes its queue item (and its words) with it
        s.execute(text("DELETE FROM posts WHERE id = (SELECT post_id FROM queue_items WHERE id = :i)"), {"i": first})
    assert found(db, "bai da") == [] and found(db, "cach") == [second]
    third = flag(db, "c", score=0.7, text="Bài đã sửa ở nơi khác")
    assert found(db, "bai da sua") == [third]
    if db.engine.dialect.name == "sqlite":
        with db.session() as s:
            assert s.execute(text("SELECT count(*) FROM queue_fts")).scalar() == 2
            assert s.execute(text("INSERT INTO queue_fts(queue_fts) VALUES ('integrity-check')")) is not None


def test_postgresql_keeps_the_words_of_queued_posts_only(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's queue_fts indexes only queued posts by construction")
    from store.posts import upsert_post
    from tests_support import crawled

    item = flag(db, "a", score=0.9, text=FIRST)
    with db.write() as s:  # crawled, never flagged: no words computed for it
        upsert_post(session=s, captured=crawled("b", text=SECOND), source_id=None)
    with db.session() as s:
        words = dict(s.execute(text("SELECT external_id, search_words IS NOT NULL FROM posts")).all())
    assert words == {"a": True, "b": False}
    assert found(db, "cach ly") == [item] and found(db, "ha noi") == []
    with db.write() as s:  # a crawled post that is edited stays without words until it is queued
        s.execute(text("UPDATE posts SET search_text = 'ha noi da sua' WHERE external_id = 'b'"))
        assert s.execute(text("SELECT search_words FROM posts WHERE external_id = 'b'")).scalar() is None
    later = flag(db, "b", score=0.7, text=SECOND)  # flagged later: its words come with its queue item
    assert found(db, "ha noi") == [later]
