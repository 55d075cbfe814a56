import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifier import (
    ClassifierError,
    ModelNotFoundError,
    active_version,
    list_versions,
    load_model,
    set_active_version,
)
from classifier.registry import load_pipeline


class Sneaky(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_save_load_round_trip_gives_identical_scores(trained, small_train):
    models_dir, _ = trained
    first = load_model(models_dir, "test-model")
    second = load_model(models_dir, "test-model")
    posts = [ex.text for ex in small_train[:40]]
    assert [v.score for v in first.score(posts)] == [v.score for v in second.score(posts)]


def test_load_refuses_untrusted_types(tmp_path):
    pipe = Pipeline([("sneaky", Sneaky()), ("clf", LogisticRegression())])
    pipe.fit([[0.0], [1.0]], [0, 1])
    path = tmp_path / "model.skops"
    sio.dump(pipe, path)
    with pytest.raises(ClassifierError, match="untrusted type.*Sneaky"):
        load_pipeline(path)


def test_active_version_and_listing(trained):
    models_dir, _ = trained
    assert active_version(models_dir) == "test-model"
    infos = list_versions(models_dir)
    assert [i.version for i in infos] == ["test-model"]
    assert infos[0].active and "roc_auc_mean" in infos[0].metrics


def test_activating_an_unknown_version_raises(trained):
    models_dir, _ = trained
    with pytest.raises(ModelNotFoundError):
        set_active_version(models_dir, "nope")
    assert active_version(models_dir) == "test-model"


def test_loading_without_an_active_model_raises(tmp_path):
    assert active_version(tmp_path) is None
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path)


def test_version_names_cannot_escape_the_models_dir(trained):
    models_dir, _ = trained
    with pytest.raises(ClassifierError):
        load_model(models_dir, "../etc")
