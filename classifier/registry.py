"""Model versions on disk: ``models/<version>/{model.skops,card.json,MODEL_CARD.md}``, ``models/ACTIVE``."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import skops.io as sio
from sklearn.pipeline import Pipeline

from classifier.errors import ClassifierError, ModelNotFoundError
from classifier.model import MisinfoModel
from classifier.records import ModelInfo

__all__ = [
    "ACTIVE_FILE",
    "CARD_FILE",
    "MODEL_FILE",
    "TRUSTED_PREFIXES",
    "active_version",
    "list_versions",
    "load_model",
    "load_pipeline",
    "read_card",
    "save_pipeline",
    "set_active_version",
]

ACTIVE_FILE = "ACTIVE"
MODEL_FILE = "model.skops"
CARD_FILE = "card.json"
#: Only types from these packages may be instantiated when a model file is loaded.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "classifier.")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _check_version_name(version: str) -> str:
    if not _VERSION_RE.match(version):
        raise ClassifierError("invalid model version name %(version)r", version=version)
    return version


def save_pipeline(pipeline: Pipeline, path: Path) -> None:
    """Persist a fitted pipeline with skops."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(pipeline, path)


def load_pipeline(path: Path) -> Pipeline:
    """Load a pipeline, refusing any type outside sklearn/numpy/scipy/classifier."""
    if not path.is_file():
        raise ModelNotFoundError("%(path)s: model file not found", path=str(path))
    try:
        untrusted = sio.get_untrusted_types(file=path)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
        if refused:
            raise ClassifierError("%(path)s: refusing to load untrusted type(s): %(types)s", path=str(path),
                                  types=", ".join(sorted(refused)))
        obj = sio.load(path, trusted=untrusted)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ClassifierError("%(path)s: not a readable model file (%(detail)s)", path=str(path),
                              detail=f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, Pipeline):
        raise ClassifierError("%(path)s: expected a sklearn Pipeline, found %(found)s", path=str(path),
                              found=type(obj).__name__)
    return obj


def read_card(models_dir: Path, version: str) -> dict:
    """The card.json of a version (empty dict if missing or unreadable)."""
    try:
        return json.loads((models_dir / version / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def active_version(models_dir: Path) -> str | None:
    """The version named in ``models_dir/ACTIVE``, or None."""
    try:
        text = (Path(models_dir) / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def set_active_version(models_dir: Path, version: str) -> None:
    """Point ``models_dir/ACTIVE`` at ``version`` (atomically); ModelNotFoundError if it does not exist."""
    models_dir = Path(models_dir)
    _check_version_name(version)
    if not (models_dir / version / MODEL_FILE).is_file():
        raise ModelNotFoundError("no model version %(version)r in %(folder)s", version=version, folder=str(models_dir))
    tmp = models_dir / f".{ACTIVE_FILE}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, models_dir / ACTIVE_FILE)


def list_versions(models_dir: Path) -> list[ModelInfo]:
    """All saved versions, oldest first."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    active = active_version(models_dir)
    infos = []
    for child in models_dir.iterdir():
        if child.is_dir() and (child / MODEL_FILE).is_file():
            card = read_card(models_dir, child.name)
            infos.append(
                ModelInfo(
                    version=child.name,
                    created_at=str(card.get("created_at", "")),
                    metrics=dict(card.get("metrics", {})),
                    active=child.name == active,
                )
            )
    return sorted(infos, key=lambda i: (i.created_at, i.version))


def load_model(models_dir: Path, version: str | None = None) -> MisinfoModel:
    """Load ``version`` (default: the active one) from ``models_dir``."""
    models_dir = Path(models_dir)
    if version is None:
        version = active_version(models_dir)
        if version is None:
            raise ModelNotFoundError("no active model in %(folder)s (train one, or activate a version)",
                                     folder=str(models_dir))
    _check_version_name(version)
    path = models_dir / version / MODEL_FILE
    if not path.is_file():
        raise ModelNotFoundError("no model version %(version)r in %(folder)s", version=version, folder=str(models_dir))
    card = read_card(models_dir, version)
    if "threshold" not in card:
        raise ClassifierError("%(path)s: missing or has no threshold", path=str(models_dir / version / CARD_FILE))
    thresholds = card.get("thresholds") if isinstance(card.get("thresholds"), dict) else None
    return MisinfoModel(load_pipeline(path), version=version, threshold=float(card["threshold"]),
                        thresholds={k: float(v) for k, v in thresholds.items()} if thresholds else None)
