import json

import numpy as np
import pytest

from classifier import ClassifierDataError, LabelledExample, evaluate, load_model, train_and_save
from classifier.cv import dedupe_examples
from classifier.metrics import choose_threshold, reliability


def test_training_writes_model_card_and_activates(trained):
    models_dir, report = trained
    version_dir = models_dir / "test-model"
    assert (version_dir / "model.skops").is_file()
    assert (version_dir / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# Model card")
    card = json.loads((version_dir / "card.json").read_text(encoding="utf-8"))
    assert card["threshold"] == report.threshold
    assert card["seed"] == 3 and "created_at" in card and "ReINTEL" in card["credit"]
    assert (models_dir / "ACTIVE").read_text(encoding="utf-8").strip() == "test-model"


def test_threshold_reaches_target_recall_on_out_of_fold_predictions(trained):
    _, report = trained
    assert report.metrics["at_threshold"]["recall"] >= 0.80
    assert 0.0 < report.threshold < 1.0


def test_model_learns_something_on_held_out_posts(trained, reintel_examples, small_train):
    models_dir, _ = trained
    seen = {ex.text for ex in small_train}
    held_out = [ex for ex in reintel_examples if ex.text not in seen][:600]
    result = evaluate(load_model(models_dir), held_out)
    assert result["roc_auc"] > 0.75


def test_evaluate_returns_the_documented_keys(trained, small_train):
    models_dir, _ = trained
    result = evaluate(load_model(models_dir), small_train[:50])
    assert set(result) == {
        "model_version", "stripped_metadata", "n", "positives", "roc_auc", "average_precision", "threshold",
        "precision", "recall", "f1", "confusion", "calibration", "cases",
    }  # fmt: skip
    assert set(result["confusion"]) == {"tp", "fp", "tn", "fn"}
    assert result["n"] == 50
    assert sum(b["n"] for b in result["calibration"]["bins"]) == 50
    assert 0.0 <= result["calibration"]["expected_calibration_error"] <= 1.0
    json.dumps(result)


def test_reliability_bins_and_expected_calibration_error():
    y = np.array([0, 0, 1, 1, 1, 0])
    scores = np.array([0.05, 0.15, 0.95, 1.0, 0.55, 0.45])
    out = reliability(y, scores, bins=2)
    assert out["bins"] == [
        {"bin": "0.0-0.5", "n": 3, "mean_score": 0.2167, "observed": 0.0},
        {"bin": "0.5-1.0", "n": 3, "mean_score": 0.8333, "observed": 1.0},
    ]
    assert abs(out["expected_calibration_error"] - (3 * 0.21667 + 3 * 0.16667) / 6) < 1e-4


def test_training_is_reproducible_with_a_seed(tmp_path, small_train):
    subset = small_train[:60] + small_train[100:180]
    a = train_and_save(subset, tmp_path, seed=5, version="a", activate=False)
    b = train_and_save(subset, tmp_path, seed=5, version="b", activate=False)
    assert a.threshold == b.threshold
    assert a.metrics["fold_roc_auc"] == b.metrics["fold_roc_auc"]
    posts = [ex.text for ex in small_train[300:360]]
    scores_a = [v.score for v in load_model(tmp_path, "a").score(posts, explain=False)]
    scores_b = [v.score for v in load_model(tmp_path, "b").score(posts, explain=False)]
    assert scores_a == scores_b


def test_duplicate_texts_are_removed_before_training():
    examples = [
        LabelledExample(text="Hoà bình", label=0),
        LabelledExample(text="hòa  bình", label=0),
        LabelledExample(text="khác", label=1),
    ]
    assert len(dedupe_examples(examples)) == 2


def test_training_refuses_a_single_class(tmp_path):
    examples = [LabelledExample(text=f"bài {i}", label=0) for i in range(50)]
    with pytest.raises(ClassifierDataError, match="each class"):
        train_and_save(examples, tmp_path)


def test_choose_threshold_is_the_highest_reaching_target_recall():
    y = [1, 1, 1, 1, 1, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.1, 0.65, 0.2]
    assert choose_threshold(y, scores, 0.8) == 0.6
