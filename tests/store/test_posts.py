"""Posts are unique per platform id; re-crawls update, edits snapshot, copies cluster."""

from __future__ import annotations

from sqlalchemy import func, select

from crawler import simhash64
from store import Database
from store.models import Post, Snapshot
from store.posts import cluster_members, sha256_text, upsert_post
from tests_support import TEXT, crawled


def test_recrawl_updates_counts_and_never_duplicates(db: Database) -> None:
    with db.write() as s:
        first = upsert_post(session=s, captured=crawled(), source_id=None, simhash=simhash64(TEXT))
    with db.write() as s:
        again = upsert_post(session=s, captured=crawled(like_count=50), source_id=None, simhash=simhash64(TEXT))
        same = upsert_post(session=s, captured=crawled(like_count=50), source_id=None, simhash=simhash64(TEXT))
    assert (first.outcome, again.outcome, same.outcome) == ("new", "updated", "unchanged")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 1
        assert s.scalar(select(Post.like_count)) == 50
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_edited_text_keeps_the_old_snapshot_and_adds_one(db: Database) -> None:
    with db.write() as s:
        upsert_post(session=s, captured=crawled(), source_id=None)
    with db.write() as s:
        result = upsert_post(session=s, captured=crawled(text=TEXT + " (đã sửa)"), source_id=None)
    assert result.text_changed and result.snapshot.sha256 == sha256_text(TEXT + " (đã sửa)")
    with db.session() as s:
        hashes = s.scalars(select(Snapshot.sha256).order_by(Snapshot.id)).all()
    assert hashes == [sha256_text(TEXT), sha256_text(TEXT + " (đã sửa)")]


def test_copies_across_sources_form_one_cluster(db: Database) -> None:
    near = TEXT.replace("chính thức", "chính thức!!")
    with db.write() as s:
        a = upsert_post(session=s, captured=crawled("a"), source_id=None, simhash=simhash64(TEXT)).post
        b = upsert_post(session=s, captured=crawled("b", platform="telegram"), source_id=None,
                        simhash=simhash64(TEXT)).post
        c = upsert_post(session=s, captured=crawled("c", text=near), source_id=None, simhash=simhash64(near)).post
        d = upsert_post(session=s, captured=crawled("d", text="Một bài hoàn toàn khác về thời tiết Hà Nội hôm nay."),
                        source_id=None, simhash=simhash64("Một bài hoàn toàn khác về thời tiết Hà Nội hôm nay.")).post
    assert a.cluster_id == b.cluster_id == c.cluster_id == a.id
    assert d.cluster_id == d.id
    with db.session() as s:
        assert {p.id for p in cluster_members(session=s, post=s.get(Post, a.id))} == {b.id, c.id}
