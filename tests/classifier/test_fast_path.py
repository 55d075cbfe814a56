import numpy as np
import pytest

from classifier import PostInput, load_model
from classifier.fast_path import FastScorer


@pytest.fixture(scope="module")
def model(trained):
    models_dir, _ = trained
    return load_model(models_dir)


def test_fast_path_scores_equal_the_sklearn_pipeline(model, small_train):
    posts = [
        PostInput(
            text=ex.text, like_count=ex.like_count, share_count=ex.share_count, published_at=ex.published_at
        )
        for ex in small_train[:80]
    ] + [PostInput(text=""), PostInput(text="123"), PostInput(text="một"), PostInput(text="")]
    scorer = FastScorer(model.pipeline)
    assert scorer.parts is not None and (scorer.linear or scorer.stack), "production structure not recognised"
    fast = scorer.proba(scorer.blocks(posts))
    slow = model.pipeline.predict_proba(posts)[:, 1]
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
