"""kiemtin classifier: Vietnamese post text and metadata in, a calibrated 'unreliable' verdict out.

A pure library: it imports nothing from the crawler, store, review or pipeline packages.
"""

from __future__ import annotations

from classifier.data import DEFAULT_TRAIN_CSV_NAME, read_labelled_csv
from classifier.errors import ClassifierDataError, ClassifierError, ModelNotFoundError
from classifier.evaluation import evaluate
from classifier.features import input_case
from classifier.model import MisinfoModel
from classifier.records import (
    EVIDENCE_KINDS,
    INPUT_CASES,
    FeatureEvidence,
    LabelledExample,
    ModelInfo,
    PostInput,
    Verdict,
    sentence_spans,
)
from classifier.registry import active_version, list_versions, load_model, set_active_version
from classifier.training import TrainReport, train_and_save

__all__ = [
    "DEFAULT_TRAIN_CSV_NAME",
    "EVIDENCE_KINDS",
    "INPUT_CASES",
    "ClassifierDataError",
    "ClassifierError",
    "FeatureEvidence",
    "LabelledExample",
    "MisinfoModel",
    "ModelInfo",
    "ModelNotFoundError",
    "PostInput",
    "TrainReport",
    "Verdict",
    "active_version",
    "evaluate",
    "input_case",
    "list_versions",
    "load_model",
    "read_labelled_csv",
    "sentence_spans",
    "set_active_version",
    "train_and_save",
]
