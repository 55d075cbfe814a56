"""Reviewers' decisions become labelled examples for `kiemtin train --include-decisions`."""

from __future__ import annotations

from builders import appeal, decide, flag, people
from review.priority import PriorityWeights, priority
from service.training_data import decision_examples
from store import Database


def test_confirmed_and_dismissed_items_become_labelled_examples(db: Database) -> None:
    ids = {name: flag(db, name, text=f"Bài đăng số {name} về tin đồn vắc-xin gây vô sinh ở Hà Nội")
           for name in ("confirmed", "accurate", "not_vi", "pending", "reversed")}
    people(db, ("ana", "analyst"), ("bao", "analyst"), ("cam", "reviewer"))
    decide(db, "ana", ids["confirmed"], "confirm", category="health_misinformation", justification="Bộ Y tế bác bỏ")
    decide(db, "ana", ids["accurate"], "dismiss", dismiss_reason="accurate")
    decide(db, "ana", ids["not_vi"], "dismiss", dismiss_reason="not_vietnamese")
    decide(db, "ana", ids["reversed"], "confirm", category="false_claim", justification="sai")
    appeal(db, "bao", ids["reversed"], "đã đính chính")
    decide(db, "cam", ids["reversed"], "dismiss", dismiss_reason="accurate")
    with db.session() as s:
        examples = {e.text.split()[3]: e for e in decision_examples(session=s)}
    assert {name: e.label for name, e in examples.items()} == {"confirmed": 1, "accurate": 0, "reversed": 0}
    assert examples["confirmed"].category == "health_misinformation"
    assert all(e.origin == "review" for e in examples.values())
    assert {name: e.ref for name, e in examples.items()} == {name: f"item:{ids[name]}" for name in examples}


def test_uncertainty_priority_puts_scores_near_the_threshold_first() -> None:
    weights = PriorityWeights(mode="uncertainty")
    near = priority(score=0.52, threshold=0.5, like_count=0, comment_count=0, share_count=0, published_at=None,
                    weights=weights)
    sure = priority(score=0.99, threshold=0.5, like_count=10_000, comment_count=0, share_count=0,
                    published_at=None, weights=weights)
    assert near > sure
