import pytest

from classifier import ClassifierDataError, read_labelled_csv
from classifier.data import parse_count


def test_missing_columns_give_an_error_naming_file_and_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(ClassifierDataError) as err:
        read_labelled_csv(path)
    message = str(err.value)
    assert "bad.csv" in message and "'post_message'" in message and "'label'" in message


def test_custom_column_names_are_used(tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("body,is_bad\nxin chào,1\n", encoding="utf-8")
    [ex] = read_labelled_csv(path, text_column="body", label_column="is_bad")
    assert ex.text == "xin chào" and ex.label == 1


def test_dirty_metadata_is_tolerated(tmp_path):
    path = tmp_path / "dirty.csv"
    path.write_text(
        "user_name,post_message,timestamp_post,num_like_post,num_comment_post,num_share_post,label\n"
        "u1,a,1585945439,unknown,1 comment,173.0,0\n"
        "u2,b,,,12 comment,1 share,1\n"
        "u3,c,garbage, Solskjaer thắng,,unknown,0\n",
        encoding="utf-8",
    )
    rows = read_labelled_csv(path)
    assert [(r.like_count, r.comment_count, r.share_count) for r in rows] == [
        (None, 1, 173),
        (None, 12, 1),
        (None, None, None),
    ]
    assert rows[0].published_at is not None and rows[0].published_at.year == 2020
    assert rows[1].published_at is None and rows[2].published_at is None
    assert rows[0].group == "u1"


def test_bad_label_is_reported_with_its_line(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("post_message,label\nok,0\nbad,maybe\n", encoding="utf-8")
    with pytest.raises(ClassifierDataError, match="line 3"):
        read_labelled_csv(path)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(ClassifierDataError, match="no such file"):
        read_labelled_csv(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("19477", 19477),
        ("173.0", 173),
        ("54 like", 54),
        ("", None),
        ("unknown", None),
        ("1 share", 1),
        (None, None),
    ],
)
def test_parse_count_handles_dirty_values(raw, value):
    assert parse_count(raw) == value
