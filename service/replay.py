"""An offline replay server: publishes real ReINTEL posts as an RSS feed on 127.0.0.1, a few more each minute.

Used by ``kiemtin demo`` (and handy in tests). It serves ``/robots.txt``, ``/feed.xml`` (with ETag, so
unchanged polls get 304) and ``/posts/<id>`` pages that the feed links to.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["ReplayPost", "ReplayServer", "load_replay_posts"]


@dataclass(frozen=True)
class ReplayPost:
    id: str
    text: str
    likes: str
    comments: str
    shares: str


def load_replay_posts(files: Sequence[Path], *, limit: int | None = None) -> list[ReplayPost]:
    """Unlabelled ReINTEL posts with non-empty text, in file order."""
    posts: list[ReplayPost] = []
    csv.field_size_limit(10_000_000)
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = (row.get("post_message") or "").strip()
                if text:
                    posts.append(ReplayPost(f"{path.stem}-{row['id']}", text, row.get("num_like_post", ""),
                                            row.get("num_comment_post", ""), row.get("num_share_post", "")))
                if limit and len(posts) >= limit:
                    return posts
    return posts


#: Characters XML 1.0 does not allow (a few ReINTEL posts hold control characters); dropped from the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    """A post's text as an RSS title or description, which readers take as HTML: escaped twice, so that the
    text's own "<URL>" placeholders and "&" stay text."""
    return escape(html.escape(_NOT_XML.sub("", value), quote=False))


def _count(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits or "0"


class ReplayServer:
    """Publishes ``initial`` posts at once, then ``per_step`` more every ``step_s`` seconds. With
    ``metadata=False`` the items carry only text (no publication date, no comment count), as many news feeds."""

    def __init__(self, posts: Sequence[ReplayPost], *, initial: int = 12, per_step: int = 3,
                 step_s: float = 20.0, host: str = "127.0.0.1", port: int = 0, metadata: bool = True) -> None:
        self.posts = list(posts)
        self.metadata = metadata
        self.initial, self.per_step, self.step_s = initial, per_step, step_s
        self.started = time.monotonic()
        self.epoch = datetime.now(UTC)
        self._rendered: tuple[int, bytes] | None = None  # (posts published, feed) of the last rendering
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"

    def published(self) -> list[ReplayPost]:
        steps = int((time.monotonic() - self.started) // self.step_s) if self.step_s > 0 else 0
        return self.posts[: min(len(self.posts), self.initial + steps * self.per_step)]

    def feed_xml(self) -> bytes:
        """The feed as published now; rendered again only when more posts are published."""
        published = self.published()
        cached = self._rendered
        if cached is not None and cached[0] == len(published):
            return cached[1]
        items = []
        for post in reversed(published):
            title = post.text.splitlines()[0][:90]
            moment = format_datetime(self.epoch.replace(microsecond=0), usegmt=True)
            extra = (f"<pubDate>{moment}</pubDate><slash:comments>{_count(post.comments)}</slash:comments>"
                     if self.metadata else "")
            items.append(
                f"<item><title>{_xml_text(title)}</title><link>{self.base_url}/posts/{post.id}</link>"
                f"<guid isPermaLink=\"false\">reintel-{post.id}</guid>"
                f"<description>{_xml_text(post.text)}</description>{extra}</item>"
            )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"><channel>'
            "<title>ReINTEL replay (kiemtin demo)</title>"
            f"<link>{self.base_url}/</link><description>Unlabelled ReINTEL posts (Le et al., VLSP 2020), "
            "replayed offline</description>" + "".join(items) + "</channel></rss>"
        ).encode("utf-8")
        self._rendered = (len(published), body)
        return body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

            def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path == "/robots.txt":
                    self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                elif self.path.startswith("/feed.xml"):
                    body = replay.feed_xml()
                    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                        return
                    self._send(200, body, "application/rss+xml; charset=utf-8", etag)
                elif self.path.startswith("/posts/"):
                    wanted = self.path.removeprefix("/posts/")
                    post = next((p for p in replay.published() if p.id == wanted), None)
                    if post is None:
                        self._send(404, b"not found", "text/plain")
                    else:
                        page = f"<html><body><article>{html.escape(post.text)}</article></body></html>"
                        self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
                else:
                    self._send(404, b"not found", "text/plain")

        return Handler

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
