"""The round-3 experiment script runs end to end on a small CSV, text only, with paired comparisons."""

import re

from research import case_experiments


def _inputs(tmp_path):
    """A folder with the two unlabelled files and a four-article news CSV."""
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    for name in ("public_test.csv", "private_test.csv"):
        (unlabelled / name).write_text("id,post_message\n1,tin giả về vắc xin\n2,Bộ Y tế thông báo\n",
                                       encoding="utf-8")
    news = tmp_path / "news.csv"
    news.write_text("text,label\nThủ tướng thăm bệnh viện,0\nUống nước muối chữa khỏi corona,1\n"
                    "Giá xăng giảm,0\nTỏi chữa ung thư,1\n", encoding="utf-8")
    return unlabelled, news


def test_case_experiments_print_the_reference_and_paired_text_only_rows(tmp_path, small_csv, capsys):
    small = small_csv
    unlabelled, news = _inputs(tmp_path)

    case_experiments.main(["--data", str(small), "--unlabelled", str(unlabelled), "--news", str(news),
                           "--only", "text head: words LR + similarity + surface cues (adopted)"])

    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert [ln.split(" | ")[0] for ln in lines[1:]] == [
        "| one boosting stage, counts and time imputed (before the case heads)",
        "| text head: words LR + similarity + surface cues (adopted)"]
    cells = [ln.split(" | ") for ln in lines[1:]]
    assert all(0.5 < float(re.match(r"([0-9.]+) ±", c[1]).group(1)) <= 1.0 for c in cells), lines
    assert "+0.000 (0/5)" in lines[1]  # the reference compared with itself
    # flagged share; news ROC-AUC on the dev half, the test half and the whole file
    assert all(c[6].endswith("%") and all(0.0 <= float(v) <= 1.0 for v in c[7].split(" / ")) for c in cells)
    assert all(len(c[7].split(" / ")) == 3 for c in cells), lines


def test_round_five_rows_compare_with_the_candidate_and_read_news_text(tmp_path, small_csv, capsys):
    unlabelled, news = _inputs(tmp_path)
    idf_text = tmp_path / "news.txt"
    idf_text.write_text("Bộ Y tế thông báo ca mắc mới\nGiá vàng hôm nay tăng mạnh\n\n", encoding="utf-8")
    row = "long route: article head on an LR with C=0.25, IDF with news text, no length cues"

    case_experiments.main(["--data", str(small_csv), "--unlabelled", str(unlabelled), "--news", str(news),
                           "--idf-text", str(idf_text), "--only", row])

    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert [ln.split(" | ")[0] for ln in lines[1:]] == [
        "| one boosting stage, counts and time imputed (before the case heads)",
        "| text head: words LR + similarity + surface cues (adopted)",
        f"| {case_experiments.CANDIDATE}",
        f"| {row}"]
    cells = [ln.split(" | ") for ln in lines[1:]]
    assert cells[2][10] == "—"  # the candidate is not compared with itself
    assert re.fullmatch(r"[+-][0-9.]+ \([0-5]/5\) / [+-][0-9.]+ \([0-5]/5\)", cells[3][10]), lines
    assert all(0.0 <= float(v) <= 1.0 for v in cells[3][7].split(" / ")), lines
