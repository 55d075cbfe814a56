"""A crawl run's error lines read in the reader's language: the kind translated, the technical detail as written."""

from __future__ import annotations

import crawler.errors
from web.i18n import RUN_ERROR_KINDS, said_run_error, translations


def test_every_kind_is_a_crawler_error_or_a_run_failure_and_has_vietnamese() -> None:
    for kind, label in RUN_ERROR_KINDS.items():
        assert kind in ("unexpected error", "scoring failed") or issubclass(getattr(crawler.errors, kind),
                                                                           crawler.errors.CrawlError), kind
        assert translations("vi").gettext(label) != label, kind
    named = {name for name in crawler.errors.__all__ if name[0].isupper()} - {"DropPost"}
    assert named <= set(RUN_ERROR_KINDS)  # a new crawler error needs its label


def test_lines_are_said_with_their_kind_translated_and_old_lines_as_written() -> None:
    line = "HTTPStatusError: HTTP 503 Service Unavailable (http://127.0.0.1:8000/f.xml)"
    assert said_run_error(line, "vi") == "máy chủ trả về mã lỗi: HTTP 503 Service Unavailable (http://127.0.0.1:8000/f.xml)"
    assert said_run_error(line, "en") == "the server answered with an error status: HTTP 503 Service Unavailable (" \
                                         "http://127.0.0.1:8000/f.xml)"
    assert said_run_error("scoring failed: OSError: disk full", "vi") == "chấm điểm thất bại: OSError: disk full"
    for untouched in ("robots.txt disallows /x", "Foo: bar", "<script>alert(1)</script>", ""):
        assert said_run_error(untouched, "vi") == untouched
