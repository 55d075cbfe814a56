"""Exceptions raised by the classifier package."""

from __future__ import annotations

__all__ = ["ClassifierDataError", "ClassifierError", "ModelNotFoundError"]


class ClassifierError(Exception):
    """Base class for every error the classifier raises on purpose."""


class ClassifierDataError(ClassifierError):
    """Input data (a CSV, an example list, a post) cannot be used."""


class ModelNotFoundError(ClassifierError):
    """The requested model version (or an active one) does not exist."""
