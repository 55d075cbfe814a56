"""The single scikit-learn Pipeline used for training, evaluation and serving."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from classifier.case_stack import CaseStack
from classifier.features import METADATA_FEATURE_NAMES, MetadataFeatures, TokenString
from classifier.stacking import LinearThenBoost
from classifier.vectorizer import CompactTfidfVectorizer

__all__ = ["PipelineConfig", "build_pipeline"]


@dataclass(frozen=True)
class PipelineConfig:
    """Knobs of the production pipeline (research/experiments.py varies them)."""

    word_ngrams: tuple[int, int] = (1, 3)
    word_min_df: int = 2
    word_max_features: int | None = 200_000
    char_ngrams: tuple[int, int] | None = None
    char_min_df: int = 3
    char_max_features: int | None = 200_000
    metadata: bool = True
    C: float = 4.0
    class_weight: str | None = "balanced"
    calibration: str | None = "sigmoid"
    calibration_folds: int = 5
    stack: bool = True  # LinearThenBoost (text LR score + metadata -> gradient boosting) instead of LR
    heads: bool = True  # with stack: CaseStack, one boosting head per input case, metadata never imputed
    neighbours: int = 5  # with stack: similarity to the k closest unreliable / reliable training posts (0 = off)
    neighbour_max_df: float = 0.05  # with heads: the similarity reads terms found in at most this share of posts
    boost_iterations: int = 300
    boost_leaves: int = 7
    # with heads: texts of at least this many characters take the article route (0 = off): heads without text
    # length and line count, on a logistic regression with C = long_C (models/README.md, round 4)
    long_chars: int = 0
    long_C: float = 0.25


def build_pipeline(config: PipelineConfig | None = None, *, seed: int = 13) -> Pipeline:
    """Records -> [syllable n-gram TF-IDF | char n-gram TF-IDF | metadata] -> the classifier: by default a
    CaseStack (text LR score + similarity + the metadata a post has -> one gradient-boosting head per case)."""
    cfg = config or PipelineConfig()
    parts: list[tuple[str, object]] = [
        (
            "words",
            Pipeline(
                [
                    ("tokens", TokenString()),
                    (
                        "tfidf",
                        CompactTfidfVectorizer(
                            token_pattern=r"\S+",  # noqa: S106 - a regex, not a password
                            lowercase=False,
                            ngram_range=cfg.word_ngrams,
                            min_df=cfg.word_min_df,
                            max_features=cfg.word_max_features,
                            sublinear_tf=True,
                            dtype=_float32(),
                        ),
                    ),
                ]
            ),
        )
    ]
    if cfg.char_ngrams is not None:
        parts.append(
            (
                "chars",
                Pipeline(
                    [
                        ("tokens", TokenString()),
                        (
                            "tfidf",
                            CompactTfidfVectorizer(
                                analyzer="char_wb",
                                lowercase=False,
                                ngram_range=cfg.char_ngrams,
                                min_df=cfg.char_min_df,
                                max_features=cfg.char_max_features,
                                sublinear_tf=True,
                                dtype=_float32(),
                            ),
                        ),
                    ]
                ),
            )
        )
    if cfg.metadata and cfg.stack and cfg.heads:
        # the heads read the raw metadata (NaN where unknown): a post's case is which of it is known
        parts.append(("meta", Pipeline([("extract", MetadataFeatures())])))
    elif cfg.metadata:
        parts.append(
            (
                "meta",
                Pipeline(
                    [
                        ("extract", MetadataFeatures()),
                        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
            )
        )
    linear = LogisticRegression(
        C=cfg.C, class_weight=cfg.class_weight, solver="liblinear", max_iter=1000, random_state=seed
    )
    clf: object = linear
    if cfg.stack and cfg.heads:
        clf = CaseStack(
            linear=linear,
            n_meta=len(METADATA_FEATURE_NAMES) if cfg.metadata else 0,
            cv=cfg.calibration_folds,
            random_state=seed,
            neighbours=cfg.neighbours,
            neighbour_max_df=cfg.neighbour_max_df,
            boost_params={"max_iter": cfg.boost_iterations, "max_leaf_nodes": cfg.boost_leaves},
            long_chars=cfg.long_chars,
            long_linear=clone(linear).set_params(C=cfg.long_C) if cfg.long_chars else None,
        )
    elif cfg.stack:
        n_meta = len(METADATA_FEATURE_NAMES) if cfg.metadata else 0
        clf = LinearThenBoost(
            linear=linear,
            n_meta=n_meta,
            cv=cfg.calibration_folds,
            random_state=seed,
            neighbours=cfg.neighbours,
            boost_params={"max_iter": cfg.boost_iterations, "max_leaf_nodes": cfg.boost_leaves},
        )
    elif cfg.calibration is not None:
        clf = CalibratedClassifierCV(linear, method=cfg.calibration, cv=cfg.calibration_folds, ensemble=False)
    return Pipeline([("features", FeatureUnion(parts)), ("clf", clf)])


def _float32() -> type:
    import numpy as np

    return np.float32
