"""A configuration value that fails validation is said in the reader's language; English stays Pydantic's."""

from __future__ import annotations

import pytest

from config import ConfigError, load_config
from web.i18n import said

BAD = """\
[settings]
web_port = 0
threshold = "x"
ui_language = "fr"
display_timezone = "Mars/Olympus"
bogus = 1
session_hours = 1.5
[[sources]]
name = "a"
kind = "rss"
url = "ftp://x"
schedule = "every 1s"
[[sources]]
kind = "rss"
url = "http://x"
enabled = "maybe"
"""

ENGLISH = [
    "settings.threshold: Input should be a valid number, unable to parse string as a number",
    "settings.web_port: Input should be greater than or equal to 1",
    "settings.session_hours: Input should be a valid integer, got a number with a fractional part",
    "settings.display_timezone: unknown time zone 'Mars/Olympus': use an IANA name such as 'Asia/Ho_Chi_Minh' or "
    "'UTC'",
    "settings.ui_language: Input should be 'vi' or 'en'",
    "settings.bogus: Extra inputs are not permitted",
    "sources[0].url: must be an http:// or https:// URL",
    "sources[0].schedule: interval 'every 1s' is too short: the minimum is 10s",
    "sources[1].name: Field required",
    "sources[1].enabled: Input should be a valid boolean, unable to interpret input",
]
VIETNAMESE = [
    "settings.threshold: giá trị phải là một số",
    "settings.web_port: giá trị phải lớn hơn hoặc bằng 1",
    "settings.session_hours: giá trị phải là một số nguyên, không có phần thập phân",
    "settings.display_timezone: không biết múi giờ 'Mars/Olympus': hãy dùng tên IANA như 'Asia/Ho_Chi_Minh' hoặc "
    "'UTC'",
    "settings.ui_language: giá trị phải là 'vi' hoặc 'en'",
    "settings.bogus: không có trường này",
    "sources[0].url: phải là một URL http:// hoặc https://",
    "sources[0].schedule: khoảng thời gian 'every 1s' quá ngắn: tối thiểu là 10s",
    "sources[1].name: bắt buộc phải có",
    "sources[1].enabled: giá trị phải là true hoặc false",
]


def _error(tmp_path, text: str) -> ConfigError:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


def test_each_bad_value_is_said_in_vietnamese_and_english(tmp_path) -> None:
    error = _error(tmp_path, BAD)
    where = f"{tmp_path / 'bad.toml'}: "
    assert str(error).splitlines() == [where + line for line in ENGLISH]
    assert said(error, "en") == str(error)
    assert said(error, "vi").splitlines() == [where + line for line in VIETNAMESE]


@pytest.mark.parametrize(("text", "english", "vietnamese"), [
    ('[settings]\nuser_agent = "ab"', "String should have at least 8 characters", "chuỗi phải có ít nhất 8 ký tự"),
    ("[settings]\nspike_p_value = 1", "Input should be less than 1", "giá trị phải nhỏ hơn 1"),
    ('[settings]\nweb_host = 5', "Input should be a valid string", "giá trị phải là một chuỗi ký tự"),
    ("settings = 5", "Input should be a valid dictionary or instance of Settings", "giá trị phải là một bảng (table)"),
    ("[settings]\nallow_networks = ['10.0.0.1/8']", "'10.0.0.1/8' is not an IP address", "'10.0.0.1/8' không phải"),
    ('[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x"\nschedule = "cron * * * *"',
     "cron '* * * *' needs 5 fields", "cron '* * * *' cần 5 trường"),
    ('[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x"\nquiet_hours = "22:00-22:00"',
     "quiet hours '22:00-22:00' is empty", "giờ tạm nghỉ '22:00-22:00' trống"),
])
def test_one_bad_value(tmp_path, text: str, english: str, vietnamese: str) -> None:
    error = _error(tmp_path, text)
    assert english in str(error) and said(error, "en") == str(error)
    assert vietnamese in said(error, "vi")


def test_an_unknown_kind_of_problem_keeps_pydantics_english(tmp_path) -> None:
    error = _error(tmp_path, '[settings]\nredis_key_prefix = "a b"')  # a pattern: said, as Pydantic says it
    assert "String should match pattern" in str(error) and "chuỗi phải khớp mẫu" in said(error, "vi")
    error = _error(tmp_path, "[settings]\nmodels_dir = 5")  # a message this module has no sentence for
    assert "Input is not a valid path" in str(error) and said(error, "vi") == said(error, "en") == str(error)
