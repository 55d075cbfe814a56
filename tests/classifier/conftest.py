"""Shared fixtures: a small model trained once per test session on a ReINTEL subset."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import pytest
from filelock import FileLock

from classifier import LabelledExample, load_model, read_labelled_csv, train_and_save

REPO = Path(__file__).resolve().parents[2]
TRAIN_CSV = REPO / "data" / "reintel" / "public_train.csv"


@pytest.fixture(scope="session")
def reintel_examples() -> list[LabelledExample]:
    return read_labelled_csv(TRAIN_CSV)


@pytest.fixture(scope="session")
def small_train(reintel_examples) -> list[LabelledExample]:
    """A stratified 400-example subset (fast to train, still enough to learn something)."""
    rng = random.Random(7)
    pos = [e for e in reintel_examples if e.label == 1]
    neg = [e for e in reintel_examples if e.label == 0]
    return rng.sample(pos, 100) + rng.sample(neg, 300)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, worker_id, small_train):
    """(models_dir, TrainReport) for a model trained on the small subset: once per run, shared by the pytest-xdist
    workers (the first trains it under a file lock, the others read it; the tests only read it)."""
    if worker_id == "master":
        models_dir = tmp_path_factory.mktemp("models")
        return models_dir, train_and_save(small_train, models_dir, seed=3, version="test-model")
    shared = tmp_path_factory.getbasetemp().parent
    models_dir, report_file = shared / "trained-models", shared / "trained-report.pickle"
    with FileLock(str(shared / "trained.lock")):
        if not report_file.exists():
            report = train_and_save(small_train, models_dir, seed=3, version="test-model")
            report_file.write_bytes(pickle.dumps(report))
    return models_dir, pickle.loads(report_file.read_bytes())  # noqa: S301 - written by this test run above


@pytest.fixture(scope="module")
def model(trained):
    """The small model, loaded (worker processes stopped at the end of the module)."""
    models_dir, _ = trained
    loaded = load_model(models_dir)
    yield loaded
    loaded.close()
