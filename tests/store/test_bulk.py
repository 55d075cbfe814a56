"""Many rows a statement (store.bulk): the same rows on SQLite (executemany) and PostgreSQL (unnested arrays)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select

from store.bulk import insert_rows, one_of, update_rows
from store.db import Database
from store.models import AuditEntry, Post
from store.types import utcnow

POSTS = cast(Table, Post.__table__)
AUDIT = cast(Table, AuditEntry.__table__)


def _post(i: int, **changes: object) -> dict[str, object]:
    now = utcnow()
    row = {"source_id": None, "platform": "rss", "external_id": f"e{i}", "url": f"http://127.0.0.1/{i}",
           "canonical_url": "", "author_handle": None, "title": None, "text": f"tin số {i} 'O''Brien'; --",
           "search_text": f"tin so {i}", "published_at": None, "first_seen_at": now, "fetched_at": now,
           "language": "vi", "content_sha256": f"{i:064x}", "simhash": -(2**63) if i == 1 else i or None,
           "cluster_id": None, "like_count": None, "comment_count": i, "share_count": None, "view_count": None,
           "score_pending": True}
    row.update(changes)
    return row


def test_insert_skips_conflicts_returns_what_it_inserted_and_update_matches_keys(db: Database) -> None:
    with db.write() as session:
        first = insert_rows(session, POSTS, [_post(i) for i in range(1200)], conflict=["platform", "external_id"],
                            returning=[POSTS.c.id, POSTS.c.external_id])
        assert sorted(e for _, e in first) == sorted(f"e{i}" for i in range(1200))  # more than one chunk
        again = insert_rows(session, POSTS, [_post(5), _post(1200)], conflict=["platform", "external_id"],
                            returning=[POSTS.c.id, POSTS.c.external_id])
        assert [e for _, e in again] == ["e1200"]  # the known post is skipped, not returned
        ids = {e: i for i, e in first}
        update_rows(session, POSTS, [{"id": ids["e3"], "cluster_id": ids["e1"], "title": "Tiêu đề"},
                                     {"id": 10**9, "cluster_id": 1, "title": "không có"}])
        update_rows(session, POSTS, [
            {"id": ids["e4"], "content_sha256": f"{4:064x}", "score_pending": False},  # text unchanged: cleared
            {"id": ids["e6"], "content_sha256": "changed meanwhile", "score_pending": False},  # kept waiting
        ], keys=("id", "content_sha256"))
        rows = {r.external_id: r for r in session.execute(select(POSTS)).all()}
    assert (rows["e3"].cluster_id, rows["e3"].title, rows["e1"].simhash) == (ids["e1"], "Tiêu đề", -(2**63))
    assert rows["e3"].text == "tin số 3 'O''Brien'; --" and rows["e0"].simhash is None
    assert (rows["e4"].score_pending, rows["e6"].score_pending) == (False, True)
    assert len(rows) == 1201


def test_json_values_round_trip(db: Database) -> None:
    details = {"post_id": 7, "reason": "tin giả \"y tế\"", "nested": [1, None, {"a": "b"}]}
    with db.write() as session:
        insert_rows(session, AUDIT, [
            {"actor": "system", "action": "queue.flag", "target_type": "queue_item", "target_id": "1",
             "details": details, "at": utcnow()},
            {"actor": "system", "action": "queue.flag", "target_type": "queue_item", "target_id": "2",
             "details": {}, "at": utcnow()}])
        stored = session.scalars(select(AuditEntry.details).order_by(AuditEntry.target_id)).all()
    assert stored == [details, {}]


def test_one_of_matches_any_number_of_values_as_one_bound_value(db: Database) -> None:
    with db.write() as session:
        insert_rows(session, POSTS, [_post(i) for i in range(40)])
    many = [f"e{i}" for i in range(0, 40_000, 2)]  # more than SQLite's 32,766 variables, were they expanded
    with db.session() as session:
        found = session.scalars(select(Post.external_id).where(one_of(session, Post.external_id, many))).all()
        odd = session.scalars(select(Post.id).where(one_of(session, Post.comment_count, [1, 3]))).all()
        none = session.scalars(select(Post.id).where(one_of(session, Post.id, []))).all()
    assert sorted(found) == sorted(f"e{i}" for i in range(0, 40, 2)) and len(odd) == 2 and none == []
