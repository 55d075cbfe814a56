"""Reviewers' decisions become labelled examples for `kiemtin train --include-decisions`."""

from __future__ import annotations

from crawler import simhash64
from review.priority import PriorityWeights, priority
from review.queue import appeal, decide, enqueue
from service.training_data import decision_examples
from store import Database
from store.models import QueueItem, User, Verdict
from store.posts import upsert_post
from store.users import create_user
from tests_support import crawled


def _item(db: Database, external_id: str, text: str) -> int:
    with db.write() as s:
        result = upsert_post(session=s, captured=crawled(external_id, text=text), source_id=None,
                             simhash=simhash64(text))
        verdict = Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="t", score=0.9,
                          label=True, threshold=0.5, features=[])
        s.add(verdict)
        s.flush()
        return enqueue(session=s, post=result.post, verdict=verdict).id


def test_confirmed_and_dismissed_items_become_labelled_examples(db: Database) -> None:
    ids = {name: _item(db, name, f"Bài đăng số {name} về tin đồn vắc-xin gây vô sinh ở Hà Nội")
           for name in ("confirmed", "accurate", "not_vi", "pending", "reversed")}
    with db.write() as s:
        ana = create_user(session=s, username="ana", password="correct horse battery", role="analyst")
        bao = create_user(session=s, username="bao", password="correct horse battery", role="analyst")
        item = lambda name: s.get(QueueItem, ids[name])  # noqa: E731
        decide(session=s, item=item("confirmed"), user=ana, action="confirm", category="health_misinformation",
               justification="Bộ Y tế bác bỏ")
        decide(session=s, item=item("accurate"), user=ana, action="dismiss", dismiss_reason="accurate")
        decide(session=s, item=item("not_vi"), user=ana, action="dismiss", dismiss_reason="not_vietnamese")
        decide(session=s, item=item("reversed"), user=ana, action="confirm", category="false_claim",
               justification="sai")
        appeal(session=s, item=item("reversed"), user=bao, reason="đã đính chính")
    with db.write() as s:
        decide(session=s, item=s.get(QueueItem, ids["reversed"]), user=s.get(User, bao.id), action="dismiss",
               dismiss_reason="accurate")
    with db.session() as s:
        examples = {e.text.split()[3]: e for e in decision_examples(session=s)}
    assert {name: e.label for name, e in examples.items()} == {"confirmed": 1, "accurate": 0, "reversed": 0}
    assert examples["confirmed"].category == "health_misinformation"
    assert all(e.origin == "review" for e in examples.values())


def test_uncertainty_priority_puts_scores_near_the_threshold_first() -> None:
    weights = PriorityWeights(mode="uncertainty")
    near = priority(score=0.52, threshold=0.5, like_count=0, comment_count=0, share_count=0, published_at=None,
                    weights=weights)
    sure = priority(score=0.99, threshold=0.5, like_count=10_000, comment_count=0, share_count=0,
                    published_at=None, weights=weights)
    assert near > sure
