"""One head per input case: a post is scored by the head for the inputs it has, against that head's threshold,
and explained with phrases, signals and similarity."""

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest

from classifier import (
    EVIDENCE_KINDS,
    INPUT_CASES,
    ClassifierError,
    LabelledExample,
    PostInput,
    evaluate,
    input_case,
    load_model,
)
from classifier.case_explain import SIMILAR_MIN, _similar, signal_note
from classifier.features import METADATA_FEATURE_NAMES, MetadataFeatures
from classifier.model import MisinfoModel
from classifier.model_pipeline import build_pipeline

TEXT = ("KHẨN CẤP!!! Chia sẻ ngay: thuốc đặc trị virus corona đã được tìm ra, Bộ Y tế giấu thông tin, "
        "mọi người cảnh giác, lan truyền cho người thân")
WHEN = datetime(2020, 3, 1, 20, tzinfo=UTC)


def test_input_case_is_what_the_post_has():
    assert input_case(PostInput(text="a")) == "text"
    assert input_case(PostInput(text="a", like_count=1, comment_count=2, share_count=3)) == "text"  # no time
    assert input_case(PostInput(text="a", published_at=WHEN, like_count=1)) == "text_time"
    assert input_case(PostInput(text="a", published_at=WHEN, like_count=1, comment_count=0,
                                share_count=0)) == "text_counts_time"
    assert input_case(PostInput(text="a", published_at=WHEN, like_count=-1, comment_count=0,
                                share_count=0)) == "text_time"  # a dirty count is an unknown count


def test_each_post_is_scored_by_its_case_head_against_that_heads_threshold(model, trained):
    _, report = trained
    posts = [PostInput(text=TEXT), PostInput(text=TEXT, published_at=WHEN),
             PostInput(text=TEXT, like_count=5, comment_count=120, share_count=900, published_at=WHEN)]
    verdicts = model.score(posts, explain=False)
    assert [v.case for v in verdicts] == list(INPUT_CASES)
    assert report.card["thresholds"] == {case: model.threshold_for(case) for case in INPUT_CASES}
    for v in verdicts:
        assert v.threshold == report.card["thresholds"][v.case]
        assert v.label == (v.score >= v.threshold)
    assert len({v.score for v in verdicts}) == 3  # three different heads


def test_a_given_threshold_applies_to_every_case(model):
    posts = [PostInput(text=TEXT), PostInput(text=TEXT, published_at=WHEN)]
    assert [v.threshold for v in model.score(posts, threshold=0.37)] == [0.37, 0.37]


def test_explain_flagged_explains_only_posts_at_or_above_their_threshold(model, small_train):
    verdicts = model.score([ex.text for ex in small_train[70:160]], explain="flagged")
    assert any(v.label for v in verdicts) and not all(v.label for v in verdicts)
    assert all(bool(v.features) or not v.label for v in verdicts)
    assert all(not v.features for v in verdicts if not v.label)
    with pytest.raises(ClassifierError, match="flagged"):
        model.score([TEXT], explain="all")


def test_every_reason_is_a_phrase_with_spans_or_a_signal_or_similarity_with_a_note(model, small_train):
    unreliable = [ex for ex in small_train if ex.label == 1][:25]
    posts = [PostInput(text=ex.text, like_count=ex.like_count, comment_count=ex.comment_count,
                       share_count=ex.share_count, published_at=ex.published_at) for ex in unreliable]
    verdicts = model.score(posts + [PostInput(text=TEXT)], explain=True)
    kinds = {f.kind for v in verdicts for f in v.features}
    assert {"phrase", "signal"} <= kinds <= set(EVIDENCE_KINDS)
    for v, post in zip(verdicts, posts + [PostInput(text=TEXT)], strict=True):
        assert [f.weight for f in v.features] == sorted((f.weight for f in v.features), reverse=True)
        for f in v.features:
            assert f.weight > 0
            if f.kind == "phrase":
                assert f.spans and all(0 <= a < b <= len(post.text) for a, b in f.spans)
            else:
                assert f.spans == () and f.note
            if v.case == "text":
                assert f.term not in ("số lượt thích", "số bình luận", "số lượt chia sẻ", "giờ đăng")


def test_similar_names_the_reviewed_posts_it_is_close_to(small_train):
    examples = small_train[:240]
    refs = [f"item:{i}" if ex.label == 1 and i % 2 == 0 else None for i, ex in enumerate(examples)]
    pipeline = build_pipeline()
    pipeline.fit(examples, np.asarray([ex.label for ex in examples]), clf__refs=refs)
    model = MisinfoModel(pipeline, "with-refs", 0.5)
    stack = pipeline.steps[-1][1]
    i = next(i for i, ex in enumerate(examples) if ex.label == 1 and i % 2 == 0)
    text_row = model.scorer.blocks([PostInput(text=examples[i].text)])[0].matrix
    similar = _similar(stack, text_row, 0.8)
    assert similar is not None and similar.kind == "similar" and similar.weight == 0.8
    assert similar.refs[0] == f"item:{i}"  # the same post is the closest
    assert similar.note.startswith("giống ") and "người duyệt xác nhận" in similar.note
    assert _similar(stack, model.scorer.blocks([PostInput(text="xyzzy quux")])[0].matrix, 0.8) is None
    assert SIMILAR_MIN < 1.0


def test_signal_notes_say_the_value_in_plain_vietnamese():
    post = PostInput(text="Tin nóng!!!!! Xem ngay", like_count=1200, comment_count=3, share_count=0,
                     published_at=datetime(2020, 3, 1, 20, 5, tzinfo=UTC))  # 03:05 on Monday in Vietnam
    row = MetadataFeatures().fit([]).transform([post])[0]
    assert signal_note("hour", row) == "đăng lúc 3 giờ sáng (giờ Việt Nam)"
    assert signal_note("weekday", row) == "đăng vào thứ Hai"
    assert signal_note("like_count", row) == "1.200 lượt thích"
    assert signal_note("exclamation_marks", row) == "5 dấu chấm than"
    assert len(row) == len(METADATA_FEATURE_NAMES) and not math.isnan(row[0])


def test_evaluate_reports_each_case_and_can_strip_metadata(model, small_train):
    mixed = small_train[:120] + [LabelledExample(text=ex.text, label=ex.label) for ex in small_train[120:200]]
    report = evaluate(model, mixed)
    assert set(report["cases"]) == {input_case(ex) for ex in mixed}
    assert sum(c["n"] for c in report["cases"].values()) == len(mixed)
    for case, figures in report["cases"].items():
        assert figures["threshold"] == model.threshold_for(case)
        assert 0.0 <= figures["flagged_share"] <= 1.0
    stripped = evaluate(model, mixed, strip_metadata=True)
    assert stripped["stripped_metadata"] and list(stripped["cases"]) == ["text"]
    assert stripped["cases"]["text"]["n"] == len(mixed) and stripped["threshold"] == model.threshold_for("text")
    json.dumps(report)


def test_the_model_card_states_each_cases_figures_and_threshold(trained):
    models_dir, report = trained
    cases = report.metrics["cases"]
    assert list(cases) == list(INPUT_CASES)
    for figures in cases.values():
        assert figures["at_threshold"]["recall"] >= 0.80
        assert len(figures["fold_roc_auc"]) == 5 and 0 <= figures["calibration"]["expected_calibration_error"] <= 1
    card = (models_dir / "test-model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    for case in INPUT_CASES:
        assert f"| `{case}` |" in card
    assert report.data["by_case"]["text_counts_time"] > 0


def test_models_trained_before_the_case_heads_still_score_and_explain():
    from pathlib import Path

    old = load_model(Path(__file__).resolve().parents[2] / "models", "kiemtin-20261123-011807")
    [bare, full] = old.score([PostInput(text=TEXT), PostInput(text=TEXT, like_count=5, comment_count=1,
                                                                share_count=9, published_at=WHEN)])
    assert (bare.case, full.case) == ("text", "text_counts_time")
    assert bare.threshold == full.threshold == old.threshold
    assert {f.kind for f in bare.features} <= {"phrase", "signal"} and bare.features


ARTICLE = "\n".join([
    "Bộ Y tế công bố thuốc đặc trị virus corona, người dân cần biết ngay",
    *[f"Theo thông tin lan truyền, đoạn {i} nói rằng thuốc này đã được thử nghiệm và chữa khỏi cho nhiều bệnh nhân, "
      "mọi người nên chia sẻ cho người thân biết." for i in range(12)],
])


@pytest.fixture(scope="module")
def routed(small_train):
    """A model with the article route (off in the production configuration), trained on the small subset."""
    from classifier.model_pipeline import PipelineConfig

    examples = small_train[:300]
    pipeline = build_pipeline(PipelineConfig(long_chars=1000, long_C=0.25))
    pipeline.fit(examples, np.asarray([ex.label for ex in examples]))
    return MisinfoModel(pipeline, "routed", 0.3, thresholds={"text": 0.2, "text_time": 0.25})


def test_long_texts_take_the_article_route_of_their_case(routed):
    assert len(ARTICLE) >= 1000 > len(TEXT)
    posts = [PostInput(text=TEXT), PostInput(text=ARTICLE), PostInput(text=ARTICLE, published_at=WHEN),
             PostInput(text=ARTICLE, like_count=5, comment_count=120, share_count=900, published_at=WHEN)]
    verdicts = routed.score(posts, explain=True)
    assert [v.route for v in verdicts] == ["post", "article", "article", "article"]
    assert [v.case for v in verdicts] == ["text", *INPUT_CASES]
    assert [v.threshold for v in verdicts] == [0.2, 0.2, 0.25, 0.3]  # the case's threshold on either route
    assert all(v.label == (v.score >= v.threshold) for v in verdicts)
    stack = routed.pipeline.steps[-1][1]
    assert set(stack.heads_) == set(INPUT_CASES) | {f"{case}:article" for case in INPUT_CASES}
    assert stack.long_linear_.C == 0.25 < stack.linear_.C
    assert len({v.score for v in verdicts[1:]}) == 3  # three article heads
    # an article head never reads text length or line count, so never names them; its phrases are in the text
    for v in verdicts[1:]:
        assert not {f.term for f in v.features} & {"độ dài bài", "số dòng"}
        assert all(f.spans and all(0 <= a < b <= len(ARTICLE) for a, b in f.spans)
                   for f in v.features if f.kind == "phrase")
    assert any(f.kind == "phrase" for v in verdicts[1:] for f in v.features)
    # the fast path scores what the sklearn pipeline scores, on both routes
    assert np.allclose([v.score for v in verdicts], routed.pipeline.predict_proba(posts)[:, 1], atol=1e-9)


def test_without_the_route_every_text_is_a_post(small_train):
    from classifier.model_pipeline import PipelineConfig

    examples = small_train[:240]
    pipeline = build_pipeline(PipelineConfig(long_chars=0))
    pipeline.fit(examples, np.asarray([ex.label for ex in examples]))
    assert set(pipeline.steps[-1][1].heads_) == set(INPUT_CASES)
    [verdict] = MisinfoModel(pipeline, "no-route", 0.5).score([PostInput(text=ARTICLE)], explain=False)
    assert verdict.route == "post"


def test_models_trained_before_the_article_route_score_every_text_as_a_post():
    from pathlib import Path

    old = load_model(Path(__file__).resolve().parents[2] / "models", "kiemtin-20261130-022342")
    [short, long] = old.score([PostInput(text=TEXT), PostInput(text=ARTICLE)], explain="flagged")
    assert (short.route, long.route) == ("post", "post") and long.case == "text"
