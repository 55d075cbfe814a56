"""Posts are unique per platform id; re-crawls update, edits snapshot, copies cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import store.posts
from crawler import simhash64
from store import Database
from store.models import Post, Snapshot, Verdict
from store.posts import SEEN_REFRESH, cluster_members, sha256_text, upsert_post, upsert_posts
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


def test_an_unchanged_post_is_rewritten_only_to_refresh_an_hour_old_fetch_time(db: Database) -> None:
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    def stored() -> tuple[datetime, str]:
        with db.session() as s:
            fetched_at, url = s.execute(select(Post.fetched_at, Post.url)).one()
            return fetched_at, url

    def crawl(moment: datetime, **changes: Any) -> None:
        with db.write() as s:
            upsert_posts(session=s, captured=[crawled(**changes)], source_id=None, fetched_at=moment)

    crawl(start)
    crawl(start + timedelta(minutes=59))  # seen again, nothing new: the row is left as it is
    assert stored() == (start, "https://example.vn/1")
    crawl(start + timedelta(minutes=59), url="https://example.vn/1?moved")  # a new URL is written at once
    assert stored() == (start + timedelta(minutes=59), "https://example.vn/1?moved")
    crawl(start + timedelta(minutes=59) + SEEN_REFRESH, url="https://example.vn/1?moved")  # last seen, refreshed
    assert stored()[0] == start + timedelta(minutes=59) + SEEN_REFRESH


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


def test_a_page_in_bulk_inserts_updates_edits_and_counts_a_repeated_id_once(db: Database) -> None:
    with db.write() as s:
        upsert_posts(session=s, captured=[crawled("a"), crawled("b")], source_id=None, score_languages=("vi",))
    page = [crawled("a"), crawled("b", like_count=9), crawled("c", text=TEXT + " mới"), crawled("c"),
            crawled("a", text=TEXT + " (đã sửa)")]
    with db.write() as s:
        result = upsert_posts(session=s, captured=page, source_id=None, score_languages=("vi",))
    assert (result.new, result.updated, result.unchanged) == (1, 2, 2)
    assert result.outcomes == ["updated", "updated", "new", "unchanged", "unchanged"]
    assert result.text_changed == [True, False, True, False, False]
    with db.session() as s:
        posts = {p.external_id: p for p in s.scalars(select(Post))}
        assert len(posts) == 3 and posts["b"].like_count == 9
        assert posts["a"].text == TEXT + " (đã sửa)" and len(posts["a"].snapshots) == 2  # old snapshot kept
        assert posts["c"].text == TEXT  # the last copy on the page wins
        assert result.post_ids == [posts[k].id for k in ("a", "b", "c", "c", "a")]
        assert all(p.score_pending for p in posts.values())  # new or changed texts wait for a verdict


def test_posts_in_other_languages_are_not_marked_for_scoring(db: Database) -> None:
    with db.write() as s:
        upsert_posts(session=s, captured=[crawled("en", language="en"), crawled("vi")], source_id=None,
                     score_languages=("vi", "und"))
    with db.session() as s:
        assert dict(s.execute(select(Post.external_id, Post.score_pending)).all()) == {"en": False, "vi": True}


def test_one_verdict_per_snapshot_is_a_constraint(db: Database) -> None:
    with db.write() as s:
        result = upsert_post(session=s, captured=crawled(), source_id=None)
        s.add(Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="t", score=0.9,
                      label=True, threshold=0.5))
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="t", score=0.8,
                      label=True, threshold=0.5))


def test_a_page_in_bulk_clusters_exactly_as_one_post_at_a_time(tmp_path) -> None:
    base = ["Bộ Y tế khuyến cáo người dân không nên hoảng loạn, hãy theo dõi thông tin chính thức về dịch bệnh.",
            "Giá xăng tăng mạnh từ chiều nay theo thông báo của liên bộ Công Thương và Tài chính, mọi người lưu ý.",
            "Ngân hàng thông báo đổi tiền mới, người dân cần rút hết tiền mặt trước ngày mai để tránh thiệt hại."]
    texts = []
    for i, text in enumerate(base * 3):
        texts.append(text if i % 2 else text.replace(",", "!!,", 1))  # exact copies and near-duplicates
    texts += ["😀😀", "😀😀", "Một bài hoàn toàn khác về thời tiết Hà Nội hôm nay."]
    page = [crawled(str(i), text=text) for i, text in enumerate(texts)]
    clusters = []
    for name, pages in (("one", [[p] for p in page]), ("bulk", [page])):
        db = Database(f"sqlite:///{tmp_path / name}.db")
        db.upgrade()
        for chunk in pages:
            with db.write() as s:
                upsert_posts(session=s, captured=chunk, source_id=None)  # SimHashes from vntext
        with db.session() as s:
            clusters.append(s.execute(select(Post.external_id, Post.cluster_id, Post.simhash).order_by(Post.id)).all())
        db.dispose()
    assert clusters[0] == clusters[1]
    assert len({cluster for _, cluster, _ in clusters[0]}) == 5  # three stories, the emoji pair, the other post


def test_a_post_another_process_inserted_meanwhile_is_updated_and_its_copy_joins_its_cluster(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are reserved before the INSERT (a new post is its own cluster in it): one that loses the race for its
    (platform, external id) leaves only a gap in the ids, never a post pointing at a post that is not there."""
    text = "Tin đồn: uống nước chanh nóng chữa khỏi bệnh, lan truyền trên mạng xã hội hôm nay"
    with db.write() as s:
        first = upsert_posts(session=s, captured=[crawled("x", text=text, like_count=1)], source_id=None)
    real = store.posts._known
    calls: list[int] = []

    def missed_it(session: Any, keys: Any) -> Any:  # our look happened before the other process's INSERT
        calls.append(1)
        return {} if len(calls) == 1 else real(session, keys)

    monkeypatch.setattr(store.posts, "_known", missed_it)
    with db.write() as s:
        bulk = upsert_posts(session=s, captured=[crawled("x", text=text, like_count=9), crawled("y", text=text)],
                            source_id=None)
    assert bulk.outcomes == ["updated", "new"] and bulk.post_ids[0] == first.post_ids[0]
    with db.session() as s:
        rows = {p.external_id: p for p in s.scalars(select(Post))}
    assert len(rows) == 2 and rows["x"].like_count == 9
    assert rows["y"].cluster_id == rows["x"].cluster_id == rows["x"].id
