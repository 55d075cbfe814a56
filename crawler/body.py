"""Reading a response body: the size cap, bounded gzip/deflate inflating, and the media-type check.

The body is streamed and cut once it passes ``max_bytes`` (a declared Content-Length over the cap is
refused before reading). Content-Encoding gzip/deflate is inflated here, in steps bounded by the room left
under the cap, so a compression bomb is cut without being inflated. Charset decoding is
:mod:`crawler.encoding`'s job, later, on the finished body.
"""

from __future__ import annotations

import zlib

import httpx

from .errors import ContentTypeError, FetchError, ResponseTooLarge
from .models import FetchStats

__all__ = ["Inflater", "check_head", "check_sniffed", "media_type", "read_body"]

_EXPECT: dict[str, tuple[str, ...]] = {
    "html": ("text/html", "application/xhtml+xml"),
    "json": ("application/json", "text/json", "+json"),
    "xml": ("xml", "text/plain"),
    # sitemaps may be .xml.gz files, served as gzip or as bytes (parse_sitemap inflates them, bounded)
    "sitemap": ("xml", "text/plain", "gzip", "octet-stream"),
    "feed": ("xml", "text/plain", "application/rss", "application/atom"),
    "text": ("text/",),
}


class Inflater:
    """Content-Encoding gzip/deflate, inflated chunk by chunk with a bound on each step's output.

    httpx inflates every network chunk whole: 64 KB of a gzip bomb becomes about 64 MB before the
    size cap can look at it. ``feed`` returns at most ``limit`` bytes; the caller passes the room
    left under max_bytes plus one, so passing the cap is seen after at most one byte too many.
    """

    ENCODINGS = ("gzip", "x-gzip", "deflate")

    def __init__(self, encoding: str) -> None:
        self.deflate = encoding == "deflate"
        # deflate: zlib-wrapped as the RFC says, or raw deflate as some servers send (like httpx)
        self.first = self.deflate
        self.d = zlib.decompressobj(zlib.MAX_WBITS if self.deflate else zlib.MAX_WBITS | 16)

    def feed(self, data: bytes, limit: int) -> bytes:
        if self.d.eof:
            return b""  # bytes after the end of the stream are ignored, as httpx does
        try:
            out = self.d.decompress(data, max(1, limit))
        except zlib.error:
            if not self.first:
                raise
            self.first = False
            self.d = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.d.decompress(data, max(1, limit))
        self.first = False
        return out


def media_type(headers: httpx.Headers) -> str:
    """The Content-Type's media type, lower case ("" when absent)."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _media_ok(media: str, expect: str) -> bool:
    return any(tok in media for tok in _EXPECT.get(expect, ()))


def _sniff_ok(body: bytes, expect: str) -> bool:
    if expect == "sitemap" and body[:2] == b"\x1f\x8b":  # a gzip file: parse_sitemap inflates it
        return True
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if expect in ("feed", "xml", "sitemap"):
        return head.startswith((b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf"))
    if expect == "json":
        return head.startswith((b"{", b"["))
    if expect == "html":
        return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
    return True


def check_head(headers: httpx.Headers, media: str, *, expect: str | None, max_bytes: int, url: str) -> None:
    """Before reading: refuse a media type the adapter cannot parse (``text/*`` is sniffed later) and a
    declared Content-Length over ``max_bytes``."""
    if expect and media and not _media_ok(media, expect) and not media.startswith("text/"):
        raise ContentTypeError(f"expected {expect}, got content-type {media!r}", url=url)
    length = headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise ResponseTooLarge(f"Content-Length {length} exceeds max_bytes={max_bytes}", url=url)


def check_sniffed(media: str, body: bytes, *, expect: str | None, url: str) -> None:
    """After reading: a ``text/*`` answer where ``expect`` wanted something else must look like it."""
    if expect and media and not _media_ok(media, expect) and not _sniff_ok(body, expect):
        raise ContentTypeError(f"expected {expect}, got content-type {media!r}", url=url)


async def read_body(resp: httpx.Response, *, max_bytes: int, url: str, stats: FetchStats) -> bytes:
    """The (inflated) body, at most ``max_bytes``; every byte read is counted in ``stats.bytes``."""
    encoding = resp.headers.get("content-encoding", "").strip().lower()
    inflater = Inflater(encoding) if encoding in Inflater.ENCODINGS else None
    # gzip/deflate are inflated here, bounded; identity is passed through; anything else
    # (which we never ask for) is left to httpx
    chunks = resp.aiter_raw() if inflater or encoding in ("", "identity") else resp.aiter_bytes()
    buf = bytearray()
    try:
        async for raw in chunks:
            # at most the room left + 1 byte: enough to know the cap is passed, never more
            buf += inflater.feed(raw, max_bytes - len(buf) + 1) if inflater else raw
            if len(buf) > max_bytes:
                raise ResponseTooLarge(f"body exceeds max_bytes={max_bytes}; cut while streaming", url=url)
    except (zlib.error, httpx.DecodingError) as exc:
        raise FetchError(f"corrupt {encoding or 'encoded'} body: {exc}", url=url) from None
    finally:
        stats.bytes += len(buf)
    return bytes(buf)
