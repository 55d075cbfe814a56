"""Write one fetched response as a WARC file (ISO 28500, the Web Archive's format), with warcio.

The file holds a ``warcinfo`` record, the ``request`` as sent (method, URL, User-Agent) and the ``response``:
the HTTP status line and headers as received and the body as read (already inflated and under the fetcher's
size cap, so ``Content-Encoding``/``Transfer-Encoding`` are dropped and ``Content-Length`` is the body's).
Files are gzip-compressed per record (``.warc.gz``) and never overwritten.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .result import FetchResult

__all__ = ["WarcFile", "write_warc"]

_DROPPED = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class WarcFile:
    path: Path
    sha256: str  # of the .warc.gz file
    payload_sha256: str  # of the response body
    size: int
    captured_at: datetime


def write_warc(path: Path, result: FetchResult, *, user_agent: str, captured_at: datetime | None = None,
               software: str = "kiemtin") -> WarcFile:
    """Write ``result`` (the final hop of a fetch) to a new WARC file at ``path``."""
    captured_at = (captured_at or datetime.now(UTC)).astimezone(UTC)
    warc_date = captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        reason = HTTPStatus(result.status).phrase
    except ValueError:
        reason = ""
    headers = [(k, v) for k, v in result.headers.multi_items() if k.lower() not in _DROPPED]
    headers.append(("Content-Length", str(len(result.content))))
    with path.open("xb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {
            "software": software, "format": "WARC File Format 1.0",
            "description": "a public post's page or API answer, kept as evidence"}))
        request = writer.create_warc_record(
            result.url, "request", payload=BytesIO(b""), length=0,
            warc_headers_dict={"WARC-Date": warc_date},
            http_headers=StatusAndHeaders(f"GET {_path(result.url)} HTTP/1.1",
                                          [("User-Agent", user_agent), ("Host", _host(result.url))],
                                          is_http_request=True))
        writer.write_record(request)
        response = writer.create_warc_record(
            result.url, "response", payload=BytesIO(result.content), length=len(result.content),
            warc_headers_dict={"WARC-Date": warc_date, "WARC-Concurrent-To": request.rec_headers.get_header(
                "WARC-Record-ID")},
            http_headers=StatusAndHeaders(f"{result.status} {reason}".strip(), headers, protocol="HTTP/1.1"))
        writer.write_record(response)
    data = path.read_bytes()
    return WarcFile(path=path, sha256=hashlib.sha256(data).hexdigest(),
                    payload_sha256=hashlib.sha256(result.content).hexdigest(), size=len(data),
                    captured_at=captured_at)


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc
