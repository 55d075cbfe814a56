"""The round-2 experiment script runs end to end on a small CSV and prints paired comparisons."""

import re

from research import stack_experiments


def test_stack_experiments_print_reference_and_paired_rows(tmp_path, small_csv, capsys):
    small = small_csv
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    (unlabelled / "public_test.csv").write_text("id,post_message\n1,tin giả về vắc xin\n", encoding="utf-8")

    stack_experiments.main(["--data", str(small), "--unlabelled", str(unlabelled),
                            "--only", "+ kNN similarity to labelled posts"])

    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert [ln.split(" | ")[0] for ln in lines[1:]] == [
        "| words 1-3 LR -> + metadata GB (reference)", "| + kNN similarity to labelled posts"]
    auc = [float(re.match(r"([0-9.]+) ±", ln.split(" | ")[1]).group(1)) for ln in lines[1:]]
    assert all(0.5 < a <= 1.0 for a in auc), lines  # better than chance even on 240 posts
    assert "+0.000 (0/5)" in lines[1]  # the reference compared with itself
