import unicodedata

import pytest

from classifier import PostInput, load_model, normalize_text
from classifier.tokens import normalised_tokens

TEXT = (
    "KHẨN CẤP!!! Chia sẻ ngay: thuốc đặc trị virus corona đã được tìm ra, Bộ Y tế giấu thông tin, "
    "hoà bình thuỷ lợi, mọi người cảnh giác, lan truyền cho người thân"
)


@pytest.fixture(scope="module")
def model(trained):
    models_dir, _ = trained
    return load_model(models_dir)


def _check_spans_point_at_terms(verdict, original):
    with_spans = [f for f in verdict.features if f.spans]
    assert with_spans, "expected at least one word feature mapped to the text"
    for feature in with_spans:
        for start, end in feature.spans:
            assert 0 <= start < end <= len(original)
            assert normalised_tokens(original[start:end]) == feature.term.split(" ")


def test_features_push_up_and_are_sorted_strongest_first(model):
    verdict = model.score_one(PostInput(text=TEXT))
    weights = [f.weight for f in verdict.features]
    assert 0 < len(weights) <= 8
    assert all(w > 0 for w in weights)
    assert weights == sorted(weights, reverse=True)


def test_explanation_spans_point_at_the_words_in_the_original_text(model):
    _check_spans_point_at_terms(model.score_one(PostInput(text=TEXT)), TEXT)


def test_explanation_spans_survive_nfd_input_and_zero_width_characters(model):
    nasty = unicodedata.normalize("NFD", TEXT).replace("ngay", "ng\u200bay").replace("cảnh", "c\u200dảnh")
    assert normalize_text(nasty) == normalize_text(TEXT)
    verdict = model.score_one(PostInput(text=nasty))
    _check_spans_point_at_terms(verdict, nasty)
    plain = model.score_one(PostInput(text=TEXT))
    assert [f.term for f in verdict.features] == [f.term for f in plain.features]
    assert verdict.score == pytest.approx(plain.score)


def test_explain_false_gives_no_features(model):
    [verdict] = model.score([PostInput(text=TEXT)], explain=False)
    assert verdict.features == ()
