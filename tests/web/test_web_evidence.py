"""Evidence a fact-checker can use: whole words and phrases highlighted with their weight and sentence, never a
function word, a piece of a word or a name; the post's signals as plainly worded lines apart; in both languages.
The page tests use the committed model's real explanations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from classifier import PostInput
from classifier.phrases import FUNCTION_WORDS
from store.models import QueueItem, Verdict
from web.evidence import evidence_view
from web_support import flag, signed_in

TEXT = ("BẠN MUỐN MÌNH LÀ NGƯỜI SỐNG SÓT SAU KHI ĐÃ BỊ NHIỄM VŨ HÁN THÌ HÃY LÀM ĐÚNG SAU ĐÂY. Khi bạn biết mình bị "
        "lây nhiễm con Vũ Hán vì ho nhiều, đau ngực, khó thở thì hãy uống nước muối ấm! Bác sĩ Thùy Trang nói "
        "uống tỏi sống chữa khỏi virus Vũ Hán, chia sẻ ngay cho người thân!!!")


def _feature(text: str, term: str, weight: float = 0.5, kind: str = "phrase", **extra: object) -> dict:
    spans = [[m.start(), m.end()] for m in re.finditer(re.escape(term), text)]
    return {"term": term.lower(), "weight": weight, "spans": spans, "kind": kind, **extra}


def test_function_words_pieces_of_words_and_names_are_never_highlighted() -> None:
    text = "Chuẩn bị tin bịa: bà Nguyễn Thị Nhung nói có thuốc chữa khỏi. Nhung bảo vậy."
    features = [_feature(text, "bị"), _feature(text, "có"), _feature(text, "Nhung"),
                _feature(text, "Nguyễn Thị Nhung"), _feature(text, "chữa khỏi", 0.9), _feature(text, "Chuẩn bị", 0.2),
                _feature(text, "thuốc", -0.3), _feature(text, "có thuốc")]
    view = evidence_view(text, features, "vi")
    assert [h.term for h in view.phrases] == ["chữa khỏi", "chuẩn bị"]
    assert view.phrases[0].title == "trọng số +0.90"
    assert str(view.phrases[0].sentence) == "bà Nguyễn Thị Nhung nói có thuốc <mark>chữa khỏi</mark>." \
        or "<mark>chữa khỏi</mark>" in str(view.phrases[0].sentence)
    assert not view.signals


def test_signals_are_listed_apart_in_plain_words_in_both_languages() -> None:
    features = [
        {"term": "dấu chấm than", "weight": 0.4, "spans": [], "kind": "signal", "note": "5 dấu chấm than"},
        {"term": "số bình luận", "weight": 0.6, "spans": [], "kind": "signal", "note": "1.250 bình luận"},
        {"term": "giờ đăng", "weight": 0.2, "spans": [], "kind": "signal",
         "note": "đăng lúc 3 giờ sáng (giờ Việt Nam)"},
        {"term": "giống bài đã biết", "weight": 2.0, "spans": [], "kind": "similar",
         "note": "giống 4 bài đã biết là không đáng tin (1 do người duyệt xác nhận)", "refs": ["item:12"]},
    ]
    vi = evidence_view("Tin nóng!!!!!", features, "vi")
    en = evidence_view("Tin nóng!!!!!", features, "en")
    assert not vi.phrases and not vi.marks
    assert [s.text for s in vi.signals] == [
        "giống 4 bài đã biết là không đáng tin (1 bài do người duyệt xác nhận)", "1.250 bình luận",
        "5 dấu chấm than", "đăng lúc 3 giờ sáng (giờ Việt Nam)"]
    assert [s.text for s in en.signals] == [
        "similar to 4 posts known to be unreliable (1 confirmed by reviewers)", "1,250 comments",
        "5 exclamation marks", "posted at 3 o'clock in the morning (Vietnam time)"]
    assert en.signals[0].refs == ("item:12",)


def _real_item(runtime) -> int:
    """A flagged post whose verdict is the committed model's own, with its explanation."""
    post = PostInput(text=TEXT, like_count=3, comment_count=250, share_count=40,
                     published_at=datetime(2020, 3, 1, 20, tzinfo=UTC))
    verdict = runtime.model().score_one(post, explain=True)
    assert any(f.kind == "phrase" for f in verdict.features) and any(f.kind != "phrase" for f in verdict.features)
    item = flag(runtime.db, "real", verdict.score, text=TEXT)
    with runtime.db.write() as s:
        row = s.scalar(select(Verdict).join(QueueItem, QueueItem.verdict_id == Verdict.id)
                       .where(QueueItem.id == item))
        row.features = [f.as_dict() for f in verdict.features]
    return item


def test_the_item_page_shows_real_evidence_in_vietnamese_and_english(runtime) -> None:
    runtime.config.settings.ui_language = "vi"
    item = _real_item(runtime)
    ana = signed_in(runtime, "ana")
    page = ana.get(f"/items/{item}").text
    post_text = page.split('id="post-text">', 1)[1].split("</div>", 1)[0]
    marks = re.findall(r'<mark title="trọng số \+\d\.\d\d" aria-describedby="(evidence-\d+)">([^<]+)</mark>', post_text)
    for ref, _ in marks:
        assert f'id="{ref}">trọng số +' in page
    marks = [shown for _, shown in marks]
    assert marks, post_text
    for shown in marks:
        assert shown.lower() not in FUNCTION_WORDS and "Thùy" not in shown and "Trang" not in shown
        at = TEXT.index(shown)
        assert (at == 0 or not TEXT[at - 1].isalnum()) and not TEXT[at + len(shown)].isalnum()
    phrases = page.split('id="evidence-phrases">', 1)[1].split("</ol>", 1)[0]
    assert phrases.count("<blockquote") == phrases.count("<li>") and "<mark>" in phrases
    signals = page.split('id="evidence-signals">', 1)[1].split("</ul>", 1)[0]
    assert "lượt thích" in signals or "bình luận" in signals or "giống" in signals
    assert "<mark" not in signals and "Về chính bài đăng" in page and "Vì sao mô hình gắn cờ" in page

    runtime.config.settings.ui_language = "en"
    bob = signed_in(runtime, "bob")
    page = bob.get(f"/items/{item}").text
    signals = page.split('id="evidence-signals">', 1)[1].split("</ul>", 1)[0]
    assert "likes" in signals or "comments" in signals or "similar to" in signals
    assert 'title="weight +' in page and "Why the model flagged it" in page
