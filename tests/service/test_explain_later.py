"""Flagged posts are queued first and explained after (service.explain): the same evidence as before, byte for byte,
stored once however many explainers race, and never missing when a person opens or decides an item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from builders import complete, people
from classifier import PostInput
from crawler import CrawlPage
from review import decisions
from review.actors import person
from review.errors import WrongState
from review.explanations import pending_explanations, store_explanations
from review.priority import PriorityWeights
from service.explain import ensure_explained, explain_pending
from service.ingest import IngestCounts, _unscored, score_batch, store_page
from service.runtime import Runtime
from store.models import QueueItem, Source, Verdict
from tests_support import crawled, reintel_texts

ROOT = Path(__file__).resolve().parents[2]




def _stored(runtime: Runtime, n_each: int) -> int:
    """Posts stored, waiting for their verdicts: the source id."""
    with runtime.db.write() as session:
        source = Source(name="feed", kind="rss", url="http://127.0.0.1/f.xml", schedule="every 1h")
        session.add(source)
        session.flush()
        source_id = source.id
    page = CrawlPage([crawled(str(i), text=text, like_count=10 * i, share_count=i)
                      for i, text in enumerate(reintel_texts(n_each))], None)
    store_page(runtime, source_id=source_id, page=page, counts=IngestCounts())
    return source_id


def _scored(runtime: Runtime, n_each: int = 6) -> tuple[int, list[PostInput], list[Verdict]]:
    """Posts stored and scored (not explained): the source id, the model inputs and the verdicts, in post order."""
    source_id = _stored(runtime, n_each)
    with runtime.db.session() as session:
        batch = _unscored(session, 100, source_id)
    assert score_batch(runtime, batch, PriorityWeights()) > 0
    inputs = [PostInput(text=p.text, like_count=p.like_count, comment_count=p.comment_count,
                        share_count=p.share_count, published_at=p.published_at) for p in batch]
    with runtime.db.session() as session:
        verdicts = list(session.scalars(select(Verdict).order_by(Verdict.post_id)))
    return source_id, inputs, verdicts


def test_flags_are_queued_pending_and_explained_after_with_the_evidence_scoring_used_to_store(runtime: Runtime):
    _, inputs, verdicts = _scored(runtime)
    flagged = [v for v in verdicts if v.label]
    assert flagged and all(v.explain_pending and v.features == [] for v in flagged)
    assert not any(v.explain_pending for v in verdicts if not v.label)
    with runtime.db.session() as session:
        assert len(session.scalars(select(QueueItem)).all()) == len(flagged)  # queued before any explanation

    assert explain_pending(runtime) == len(flagged)
    before = runtime.model().score(inputs, explain="flagged", threshold=runtime.config.settings.threshold)
    with runtime.db.session() as session:
        stored = {v.post_id: v for v in session.scalars(select(Verdict))}
    for verdict, old in zip(verdicts, before, strict=True):
        now = stored[verdict.post_id]
        assert not now.explain_pending
        expected = [f.as_dict() for f in old.features]
        assert json.dumps(now.features, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
        assert bool(expected) == verdict.label  # every flagged post has its reasons; the others none
    assert explain_pending(runtime) == 0  # idempotent: nothing left


def test_two_explainers_never_clobber_each_other(runtime: Runtime):
    _, _, verdicts = _scored(runtime, 3)
    with runtime.db.session() as session:
        seen_by_both = pending_explanations(session, limit=100)
    assert {p.verdict_id for p in seen_by_both} == {v.id for v in verdicts if v.label}
    assert explain_pending(runtime) == len(seen_by_both)  # the first explainer stores
    with runtime.db.session() as session:
        first = {v.id: v.features for v in session.scalars(select(Verdict))}
    late = {p.verdict_id: [{"term": "clobbered", "weight": 1.0}] for p in seen_by_both}
    assert store_explanations(runtime.db, late) == 0  # the slower one changes nothing
    with runtime.db.session() as session:
        assert {v.id: v.features for v in session.scalars(select(Verdict))} == first


def test_nobody_decides_an_item_before_its_evidence_and_the_safety_net_computes_it(runtime: Runtime):
    _, _, verdicts = _scored(runtime, 3)
    people(runtime.db, ("an", "analyst"))
    with runtime.db.session() as session:
        item_id = session.scalar(select(QueueItem.id).order_by(QueueItem.id).limit(1))
    assert item_id is not None
    choice = decisions.Choice(action="confirm", **complete("confirm", {}))
    with pytest.raises(WrongState, match="still being computed"):
        decisions.decide(runtime.db, person("an"), item_id, choice)

    assert ensure_explained(runtime, [item_id]) == 1  # what the item page, the API and the decide adapters call
    assert ensure_explained(runtime, [item_id]) == 0
    with runtime.db.session() as session:
        item = session.get(QueueItem, item_id)
        assert item is not None and item.verdict.features and not item.verdict.explain_pending
        others = session.scalars(select(Verdict).where(Verdict.explain_pending)).all()
    assert len(others) == sum(v.label for v in verdicts) - 1  # only that item (it has no cluster) was explained
    assert decisions.decide(runtime.db, person("an"), item_id, choice).status == "confirmed"


def test_with_a_broker_the_scoring_task_queues_the_explain_task_on_the_score_queue(queued_runtime: Runtime):
    from service.tasks import SCORE_QUEUE, explain_batch
    from service.tasks import score_batch as score_task
    from service.worker_status import workers_status

    rt = queued_runtime
    source_id = _stored(rt, 3)
    flagged = score_task(source_id)  # what a worker runs (here, in this process)
    assert flagged > 0
    status = workers_status(rt.config, timeout_s=0.2)
    assert status is not None
    assert next(q for q in status.queues if q.name == SCORE_QUEUE).depth == 1  # kiemtin.explain_pending
    with rt.db.session() as session:
        assert len(session.scalars(select(Verdict).where(Verdict.explain_pending)).all()) == flagged
    assert explain_batch(source_id) == flagged  # what the worker taking that message runs
    assert explain_batch(source_id) == 0
    with rt.db.session() as session:
        assert session.scalars(select(Verdict).where(Verdict.explain_pending)).all() == []


def test_the_scheduler_round_explains_what_a_crash_left_pending(runtime: Runtime):
    from service.scheduler import CrawlScheduler

    _, _, verdicts = _scored(runtime, 3)  # scored, then "the process died" before explaining
    CrawlScheduler(runtime)._explain_leftovers()  # a step of the leader's background round
    with runtime.db.session() as session:
        assert session.scalars(select(Verdict).where(Verdict.explain_pending)).all() == []
        assert all(bool(v.features) == v.label for v in session.scalars(select(Verdict)))
    assert any(v.label for v in verdicts)
