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


def test_batch_ngram_counting_equals_tfidf_vectorizer():
    """The numpy n-gram lookup gives TfidfVectorizer's matrix, also across empty docs, unknown words and
    doc boundaries (an n-gram must never join the end of one post to the start of the next)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.fast_path import _TextPart
    from classifier.features import TokenString

    train = ["tin giả về vắc xin", "vắc xin an toàn", "tin giả lan truyền", "uống nước chanh chữa covid"]
    vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 3), sublinear_tf=True)
    vec.fit(train)
    part = _TextPart(TokenString(), vec)
    assert part.plain, "the batch path should handle this vectorizer"
    docs = ["", "tin giả tin giả", "vắc", "xin an", "lạ tin lạ giả về", "chanh chữa covid vắc xin", ""]
    # 'vắc' + 'xin an' would form 'vắc xin' / 'vắc xin an' if the boundary leaked
    np.testing.assert_allclose(part._tfidf(docs).toarray(), vec.transform(docs).toarray(), rtol=1e-6)
    assert part._tfidf(["vắc"]).nnz == 1 and part._tfidf(["vắc", "xin"]).sum(axis=1).tolist() == [[1.0], [1.0]]
