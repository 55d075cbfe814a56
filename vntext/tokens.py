"""Text processed one whitespace-separated token at a time, remembering the tokens already seen.

Posts reuse a small vocabulary (a few thousand syllables, with their punctuation), so a function that works
on each token alone is computed once per distinct token instead of once per occurrence. ``per_token`` is only
for functions whose result on a whole text equals their results on its tokens in order: no step of theirs may
join or split across whitespace (``tests/vntext/test_tokens.py`` checks each use on every ReINTEL post).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["TokenMemo"]

T = TypeVar("T")

#: Tokens remembered per function before the memo starts over (a few MB): memory stays flat however many
#: posts pass.
MEMO_TOKENS = 100_000
#: Longer tokens (URLs, runs without spaces) are computed each time: they rarely repeat.
MEMO_TOKEN_CHARS = 40


class TokenMemo(Generic[T]):
    """``fn`` of each token of a text (``str.split()``), remembered for short tokens; thread-safe (one dict
    operation at a time, a cleared memo is only recomputed)."""

    def __init__(self, fn: Callable[[str], T], *, size: int = MEMO_TOKENS) -> None:
        self._fn, self._size = fn, size
        self._memo: dict[str, T] = {}

    def each(self, text: str) -> list[T]:
        """``fn(token)`` for every token of ``text``, in order."""
        memo, fn = self._memo, self._fn
        out: list[T] = []
        for token in text.split():
            value = memo.get(token)
            if value is None:
                value = fn(token)
                if len(token) <= MEMO_TOKEN_CHARS:
                    if len(memo) >= self._size:
                        memo.clear()
                    memo[token] = value
            out.append(value)
        return out
