"""Small builders shared by tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from crawler import Post

TEXT = "Bộ Y tế khuyến cáo người dân không nên hoảng loạn, hãy theo dõi thông tin chính thức về dịch bệnh."


def crawled(external_id: str = "1", text: str = TEXT, **kw: object) -> Post:
    """A crawled post as an adapter would hand it over."""
    base = Post(platform="rss", external_id=external_id, url=f"https://example.vn/{external_id}",
                canonical_url=f"https://example.vn/{external_id}", text=text, author_handle="Báo X",
                published_at=datetime(2020, 4, 1, tzinfo=UTC), like_count=1, share_count=2, language="vi")
    return replace(base, **kw)  # type: ignore[arg-type]
