"""Fixtures: every ReINTEL post (train, public test, private test), read once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REINTEL = Path(__file__).resolve().parents[2] / "data" / "reintel"


@pytest.fixture(scope="session")
def reintel_texts() -> list[str]:
    """The 4,372 + 1,642 + 1,646 post texts of data/reintel/*.csv, empty ones included."""
    csv.field_size_limit(2**31 - 1)
    texts = []
    for name in ("public_train.csv", "public_test.csv", "private_test.csv"):
        with (REINTEL / name).open(encoding="utf-8", newline="") as handle:
            texts += [row.get("post_message") or "" for row in csv.DictReader(handle)]
    return texts
