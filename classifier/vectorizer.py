"""A TfidfVectorizer that persists its vocabulary compactly.

skops stores a plain ``vocabulary_`` dict node by node, which makes saving and loading a 100k-term model take
tens of seconds; this subclass stores the terms as one newline-joined string (terms never contain newlines:
they are built from whitespace-split tokens) and rebuilds the dict on load.
"""

from __future__ import annotations

from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["CompactTfidfVectorizer"]


class CompactTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer with a fast-to-persist vocabulary (see module docstring)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        vocabulary = state.pop("vocabulary_", None)
        state.pop("stop_words_", None)
        if vocabulary is not None:
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            if any("\n" in t for t in terms):
                raise ValueError("vocabulary terms must not contain newlines")
            state["vocabulary_terms_"] = "\n".join(terms)
            state["vocabulary_size_"] = len(terms)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        joined = state.pop("vocabulary_terms_", None)
        size = state.pop("vocabulary_size_", None)
        super().__setstate__(state)
        if joined is not None:
            terms = joined.split("\n") if size else []
            self.vocabulary_ = {term: i for i, term in enumerate(terms)}
