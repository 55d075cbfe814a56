"""Searching the queue without accents, as most people type: the page and the API fold both sides the same way."""

from __future__ import annotations

from service.runtime import Runtime
from web_support import flag, signed_in


def test_unaccented_searches_find_accented_posts_in_the_page_and_the_api(runtime: Runtime) -> None:
    wanted = flag(runtime.db, "a", 0.9, text="Khu cách ly ở Đồng Nai nhận người về từ Trung Quốc", terms=("cách ly",))
    flag(runtime.db, "b", 0.8, text="Thời tiết Hà Nội hôm nay nắng đẹp", terms=("thời tiết",))
    client = signed_in(runtime, "ana")
    for q in ("cach ly", "dong nai", "TRUNG QUOC", "cách ly"):
        items = client.get("/api/queue", params={"q": q}).json()["items"]
        assert [item["id"] for item in items] == [wanted], q
    page = client.get("/queue", params={"q": "trung quoc"})
    assert page.status_code == 200 and "Trung Quốc" in page.text and "Thời tiết" not in page.text


def test_searches_with_no_word_or_query_syntax_answer_empty_not_an_error(runtime: Runtime) -> None:
    wanted = flag(runtime.db, "a", 0.9, text="Khu cách ly ở Đồng Nai", terms=("cách ly",))
    client = signed_in(runtime, "ana")
    for q in ("...", '"', "*", "NEAR(", "cach OR ly", "x" * 3000):
        response = client.get("/api/queue", params={"q": q})
        assert response.status_code == 200 and response.json()["items"] == [], q
        assert client.get("/queue", params={"q": q}).status_code == 200, q
        assert client.get("/queue/count", params={"q": q}).status_code == 200, q
    assert [i["id"] for i in client.get("/api/queue", params={"q": '"cach" -ly*'}).json()["items"]] == [wanted]
