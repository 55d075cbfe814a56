"""Shared fixture: a small labelled CSV (60 unreliable, 180 reliable ReINTEL posts) for the experiment scripts."""

import csv
from pathlib import Path

import pytest

TRAIN_CSV = Path(__file__).resolve().parents[2] / "data" / "reintel" / "public_train.csv"


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    with TRAIN_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        fields = reader.fieldnames
    small = tmp_path / "small.csv"
    with small.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows([r for r in rows if r["label"] == "1"][:60] + [r for r in rows if r["label"] == "0"][:180])
    return small
