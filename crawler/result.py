"""``FetchResult``: a finished response (the final hop), with lazy text decoding and JSON parsing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from .body import media_type
from .encoding import decode_body
from .errors import ParseError, ParseLimitExceeded
from .models import ValidatorStore

__all__ = ["FetchResult"]


@dataclass
class FetchResult:
    """A finished response (final hop). ``not_modified`` is True for a 304."""

    url: str
    requested_url: str
    status: int
    headers: httpx.Headers
    content: bytes
    not_modified: bool = False
    _text: str | None = field(default=None, repr=False)

    @property
    def media_type(self) -> str:
        return media_type(self.headers)

    @property
    def text(self) -> str:
        """Body decoded with charset detection (legacy Vietnamese encodings), as published (``decode_body``)."""
        if self._text is None:
            self._text, _ = decode_body(self.content, self.headers.get("content-type"))
        return self._text

    def json(self) -> Any:
        """The body as JSON; ParseError when malformed, ParseLimitExceeded when nested too deep to decode."""
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise ParseError(f"malformed JSON: {exc}", url=self.url) from None
        except RecursionError:
            raise ParseLimitExceeded(
                "JSON nested deeper than the decoder allows (about 1000 levels); refused", url=self.url
            ) from None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def save_validators(self, store: ValidatorStore | None) -> None:
        """Persist ETag/Last-Modified for the requested URL (call after the posts are stored)."""
        if store is not None and not self.not_modified and (self.etag or self.last_modified):
            store.put(self.requested_url, self.etag, self.last_modified)
