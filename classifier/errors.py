"""Exceptions raised by the classifier package.

Each keeps its English sentence as ``template`` and ``params`` besides the message
(``ModelNotFoundError("no model version %(version)r in %(folder)s", version=v, folder=d)``), so that the command
line and the pages can say it in the reader's language (``web.i18n.said``); this package knows no languages.
"""

from __future__ import annotations

__all__ = ["ClassifierDataError", "ClassifierError", "ModelNotFoundError"]


class ClassifierError(Exception):
    """Base class for every error the classifier raises on purpose."""

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template, self.params = message, params
        super().__init__(message % params if params else message)


class ClassifierDataError(ClassifierError):
    """Input data (a CSV, an example list, a post) cannot be used."""


class ModelNotFoundError(ClassifierError):
    """The requested model version (or an active one) does not exist."""
