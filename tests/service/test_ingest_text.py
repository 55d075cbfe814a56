"""Ingest keeps the captured text exact as evidence and matches on a normalised copy (vntext)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select

from classifier import PostInput
from classifier.tokens import normalised_tokens
from crawler import CrawlPage
from crawlkit import LocalServer, Resp
from review.priority import PriorityWeights
from service.crawl_job import run_source
from service.ingest import IngestCounts, _unscored, score_batch, store_page
from service.runtime import Runtime
from store.models import Post, QueueItem, Snapshot, Source, Verdict
from tests_support import crawled, reintel_texts
from vntext import detect_language, simhash64

ROOT = Path(__file__).resolve().parents[2]
FAMILY = "👨\u200d👩\u200d👧"
ROBOTS_OK = Resp(200, "User-agent: *\nAllow: /\n", content_type="text/plain")


def _feed(items: dict[str, str]) -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><link>http://127.0.0.1/p/{guid}</link><description>{escape(text)}</description>"
        "</item>"
        for guid, text in items.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'


def _crawl(runtime: Runtime, server: LocalServer, items: dict[str, str]) -> None:
    feed = Resp(200, _feed(items), content_type="application/rss+xml")
    server.routes.update({"/robots.txt": ROBOTS_OK, "/f.xml": feed})
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url=server.url("/f.xml"), schedule="every 1h")
        session.add(source)
        session.flush()
        source_id = source.id
    summary = run_source(runtime, source_id)
    assert summary.status == "ok", summary.errors
    assert summary.counts.explained == summary.counts.flagged  # explained right after the run's scoring


def _unreliable_text_with_invisible_characters(runtime: Runtime) -> str:
    """A ReINTEL post labelled unreliable, typed with an emoji ZWJ sequence, a zero-width space and ð, that the
    committed model flags (so its verdict carries evidence)."""
    model = runtime.model()
    csv.field_size_limit(10_000_000)
    with (ROOT / "data/reintel/public_train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = row["post_message"].strip()
            if row["label"] != "1" or not 80 < len(text) < 600 or set(text) & set("<>&") or " đ" not in text:
                continue
            exact = f"{FAMILY} " + text.replace(" đ", " ð", 1).replace(" ", " \u200b", 1)
            if model.score([PostInput(text=exact)], explain=False)[0].score >= runtime.threshold():
                return exact
    raise AssertionError("no flagged ReINTEL post found")


def test_stored_snapshot_is_the_exact_text_and_its_evidence_spans_point_into_it(runtime, server):
    exact = _unreliable_text_with_invisible_characters(runtime)
    _crawl(runtime, server, {"g1": exact})
    with runtime.db.session() as session:
        post = session.scalars(select(Post)).one()
        snapshot = session.scalars(select(Snapshot)).one()
        verdict = session.scalars(select(Verdict)).one()
    assert snapshot.text == post.text == exact
    assert snapshot.sha256 == post.content_sha256 == hashlib.sha256(exact.encode("utf-8")).hexdigest()
    assert post.simhash == simhash64(exact) != 0
    assert post.language == "vi" and verdict.label
    spans = [(f["term"], s) for f in verdict.features for s in f["spans"]]
    assert spans
    for term, (start, end) in spans:
        assert normalised_tokens(exact[start:end]) == term.split(" ")


def test_posts_without_words_get_no_simhash_and_do_not_cluster_together(runtime, server):
    _crawl(runtime, server, {"a": "😀😀😀", "b": "🎉🎉 !!!", "c": f"{FAMILY}"})
    with runtime.db.session() as session:
        posts = list(session.scalars(select(Post).order_by(Post.id)))
    assert len(posts) == 3
    assert [p.simhash for p in posts] == [None, None, None]
    assert len({p.cluster_id for p in posts}) == 3


def test_copies_typed_differently_share_a_cluster(runtime, server):
    plain = "Người dân cần bình tĩnh, hòa bình và thủy lợi đã được khôi phục theo thông tin chính thức"
    typed = "Người dân cần bình tĩnh, hoà bình và thuỷ lợi ðã được khôi ph\u200bục theo thông tin chính thức 🙏"
    _crawl(runtime, server, {"a": plain, "b": typed})
    with runtime.db.session() as session:
        a, b = session.scalars(select(Post).order_by(Post.id))
    assert a.text == plain and b.text == typed
    assert a.content_sha256 != b.content_sha256 and a.simhash == b.simhash
    assert a.cluster_id == b.cluster_id == a.id


def test_the_verdict_language_is_the_language_the_crawler_stored(runtime, server):
    items = {
        "vi": "Người dân cần bình tĩnh theo dõi tin tức chính thức từ Bộ Y tế",
        "en": "The government said on Tuesday that the new rules will apply to all companies",
        "fr": "Le gouvernement a annoncé mardi que les nouvelles règles seront appliquées dans le pays",
        "und": "😀 12/04/2020 ok",
    }
    _crawl(runtime, server, items)
    with runtime.db.session() as session:
        stored = {p.external_id: p.language for p in session.scalars(select(Post))}
        scored = {v.post_id for v in session.scalars(select(Verdict))}
        ids = {p.external_id: p.id for p in session.scalars(select(Post))}
    assert stored == {code: code for code in items}
    verdicts = runtime.model().score([PostInput(text=items[code]) for code in items], explain=False)
    assert {code: v.language for code, v in zip(items, verdicts, strict=True)} == stored
    assert {code: detect_language(text) for code, text in items.items()} == stored
    assert scored == {ids["vi"], ids["und"]}  # others are stored with their language, not scored





def test_scorers_racing_on_one_batch_write_one_verdict_and_one_queue_item_per_post(runtime: Runtime) -> None:
    texts = reintel_texts(4)
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url="http://127.0.0.1/f.xml", schedule="every 1h")
        session.add(source)
        session.flush()
        source_id = source.id
    page = CrawlPage([crawled(str(i), text=text) for i, text in enumerate(texts)], None)
    store_page(runtime, source_id=source_id, page=page, counts=IngestCounts())
    with runtime.db.session() as session:
        batch = _unscored(session, 100, source_id)
    assert len(batch) == len(texts)
    flagged = score_batch(runtime, batch, PriorityWeights())
    assert flagged > 0
    assert score_batch(runtime, batch, PriorityWeights()) == 0  # the slower scorer finds the verdicts written
    with runtime.db.session() as session:
        assert len(session.scalars(select(Verdict)).all()) == len(texts)
        assert len(session.scalars(select(QueueItem)).all()) == flagged
        assert session.scalars(select(Post).where(Post.score_pending)).all() == []
        assert _unscored(session, 100, source_id) == []


def test_run_source_reports_scoring_progress_for_a_progress_bar(runtime: Runtime, server: LocalServer) -> None:
    texts = {str(i): text for i, text in enumerate(reintel_texts(3))}
    server.routes.update({"/robots.txt": ROBOTS_OK,
                          "/f.xml": Resp(200, _feed(texts), content_type="application/rss+xml")})
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url=server.url("/f.xml"), schedule="every 1h")
        session.add(source)
        session.flush()
        source_id = source.id
    heard: list[tuple[int, int, int]] = []
    summary = run_source(runtime, source_id, on_page=lambda c: heard.append((c.fetched, c.scored, c.to_score)))
    assert summary.status == "ok", summary.errors
    assert heard[0] == (len(texts), 0, 0)  # the stored page
    assert heard[-1] == (len(texts), len(texts), len(texts))  # the scored batch
