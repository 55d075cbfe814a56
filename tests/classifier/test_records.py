"""FeatureEvidence as stored JSON: the shape agreed with the web app, and old stored features."""

import pytest

from classifier import ClassifierDataError, FeatureEvidence


def test_evidence_round_trips_through_its_stored_json():
    kinds = [
        FeatureEvidence(term="vắc xin", weight=0.75, spans=((3, 10), (40, 47))),
        FeatureEvidence(term="dấu chấm than", weight=0.2, kind="signal", note="5 dấu chấm than"),
        FeatureEvidence(term="giống bài đã biết", weight=1.1, kind="similar", note="giống 3 bài đã biết là không "
                        "đáng tin (1 do người duyệt xác nhận)", refs=("item:12",)),
    ]
    for evidence in kinds:
        stored = evidence.as_dict()
        assert set(stored) == {"term", "weight", "spans", "kind", "note", "refs"}
        assert FeatureEvidence.from_dict(stored) == evidence


def test_features_stored_before_kinds_existed_read_as_phrases():
    old = {"term": "chia sẻ ngay", "weight": 0.41, "spans": [[0, 12]]}
    assert FeatureEvidence.from_dict(old) == FeatureEvidence(term="chia sẻ ngay", weight=0.41, spans=((0, 12),),
                                                             kind="phrase", note="", refs=())


@pytest.mark.parametrize(("data", "field"), [
    ({"weight": 1.0}, "term"),
    ({"term": "x", "weight": "much"}, "weight"),
    ({"term": "x", "weight": 1, "kind": "rumour"}, "kind"),
    ({"term": "x", "weight": 1, "spans": [[5, 2]]}, "spans"),
    ({"term": "x", "weight": 1, "spans": [["a", "b"]]}, "spans"),
    ({"term": "x", "weight": 1, "refs": "item:1"}, "refs"),
    ("vắc xin", "object"),
])
def test_unusable_stored_evidence_is_a_clear_error_naming_the_field(data, field):
    with pytest.raises(ClassifierDataError, match=field):
        FeatureEvidence.from_dict(data)
