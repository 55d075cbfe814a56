import unicodedata

import pytest

from vntext import LANGUAGE_SAMPLE_CHARS, detect_language

SAMPLES = {
    "vi": "Chính phủ cho biết hôm thứ Ba rằng các quy định mới sẽ áp dụng cho tất cả các công ty.",
    "en": "The government said on Tuesday that the new rules will apply to all companies from next year.",
    "fr": "Le gouvernement a annoncé mardi que les nouvelles règles seront appliquées dans tout le pays.",
    "de": "Die Regierung hat am Dienstag mitgeteilt, dass die neuen Regeln für alle Unternehmen gelten.",
    "es": "El gobierno anunció el martes que las nuevas reglas se aplicarán a todas las empresas del país.",
    "id": "Pemerintah mengatakan bahwa aturan baru itu akan berlaku untuk semua perusahaan dan warga.",
    "zh": "政府周二表示，新规定将适用于所有公司。",
    "ja": "政府は火曜日、新しい規則がすべての企業に適用されると発表しました。",
    "ko": "정부는 화요일 새로운 규칙이 모든 기업에 적용될 것이라고 밝혔다.",
    "th": "รัฐบาลกล่าวเมื่อวันอังคารว่ากฎใหม่จะใช้กับทุกบริษัท",
    "km": "រដ្ឋាភិបាលបាននិយាយកាលពីថ្ងៃអង្គារថា ច្បាប់ថ្មីនឹងអនុវត្តចំពោះក្រុមហ៊ុនទាំងអស់",
    "lo": "ລັດຖະບານກ່າວໃນວັນອັງຄານວ່າກົດລະບຽບໃໝ່ຈະນຳໃຊ້ກັບທຸກບໍລິສັດ",
    "ru": "Правительство заявило во вторник, что новые правила будут применяться ко всем компаниям.",
    "ar": "قالت الحكومة يوم الثلاثاء إن القواعد الجديدة ستطبق على جميع الشركات.",
}


@pytest.mark.parametrize(("code", "text"), SAMPLES.items(), ids=SAMPLES.keys())
def test_each_supported_language_is_recognised(code, text):
    assert detect_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        unicodedata.normalize("NFD", SAMPLES["vi"]),
        "Kh\u200bẩn c\u200dấp: người dân hoang mang",
        "Ðây là thông tin ðã ðược xác nhận",
        "KHẨN CẤP: CHIA SẺ NGAY CHO MỌI NGƯỜI",
        "Toi khong biet nua, cho minh hoi voi",  # no diacritics: function words
        "Tin nóng: Bộ Y tế xác nhận thêm ca nhiễm mới. Source: the Ministry of Health said",
    ],
    ids=["nfd", "zero-width", "eth", "capitals", "no-diacritics", "some-english"],
)
def test_vietnamese_is_recognised_however_it_is_typed(text):
    assert detect_language(text) == "vi"


@pytest.mark.parametrize(
    "text", ["", "ok", "😀😀😀", "https://example.com/abc", "12/04/2020 15:30", "\u200b\u200b\u200b"]
)
def test_too_little_to_tell_is_undetermined(text):
    assert detect_language(text) == "und"


def test_vietnamese_with_a_little_chinese_stays_vietnamese_and_mostly_chinese_is_chinese():
    assert detect_language(SAMPLES["vi"] + " 中国") == "vi"
    assert detect_language(SAMPLES["zh"] + " và") == "zh"


def test_only_the_first_sample_characters_are_read():
    assert detect_language("x " * LANGUAGE_SAMPLE_CHARS + SAMPLES["vi"]) == "und"
    assert detect_language(SAMPLES["vi"] + " x" * LANGUAGE_SAMPLE_CHARS) == "vi"


def test_reintel_posts_are_vietnamese(reintel_texts):
    posts = [t for t in reintel_texts if len(t) > 40]
    hits = sum(detect_language(t) == "vi" for t in posts)
    assert hits / len(posts) > 0.99
