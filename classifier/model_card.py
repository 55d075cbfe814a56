"""Render a version's MODEL_CARD.md from its card.json."""

from __future__ import annotations

from classifier.records import INPUT_CASES

__all__ = ["CASE_MEANINGS", "render_model_card"]

#: What each input case means, for the card and the README.
CASE_MEANINGS = {
    "text": "text only: no engagement counts, no posting time",
    "text_time": "text and posting time, counts unknown",
    "text_counts_time": "text, like/comment/share counts and posting time",
}
assert set(CASE_MEANINGS) == set(INPUT_CASES)


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_model_card(card: dict) -> str:
    """Markdown model card for one trained version."""
    m = card.get("metrics", {})
    at = m.get("at_threshold", {})
    data = card.get("data", {})
    cfg = card.get("config", {})
    lines = [
        f"# Model card: {card.get('version')}",
        "",
        f"Created {card.get('created_at')} with seed {card.get('seed')}. {card.get('notes', '')}".rstrip(),
        "",
        "**Intended use.** Triage: put possibly unreliable Vietnamese social posts in front of human "
        "reviewers. Never use it to remove, hide or label content automatically.",
        "",
        f"**Data.** {data.get('examples_after_dedup')} examples after removing "
        f"{data.get('duplicates_removed')} duplicate texts ({data.get('positives')} unreliable, "
        f"{data.get('negatives')} reliable; origins {data.get('by_origin')}). {card.get('credit', '')}",
        "",
        "**Model.** Normalised syllable n-grams "
        f"{tuple(cfg.get('word_ngrams', ()))} TF-IDF"
        + (f" + character n-grams {tuple(cfg['char_ngrams'])}" if cfg.get("char_ngrams") else "")
        + (" + engagement/time/surface metadata" if cfg.get("metadata") else "")
        + (
            f" -> logistic regression on the text (C={cfg.get('C')}); its out-of-fold score, the text's similarity "
            f"to the {cfg.get('neighbours')} closest unreliable and reliable training posts and the metadata the "
            "post has feed one gradient-boosted head per input case (HistGradientBoosting, log-loss, "
            f"{cfg.get('boost_iterations')} trees of {cfg.get('boost_leaves')} leaves); nothing is imputed. "
            + (f"Article route: a text of at least {cfg['long_chars']:,} characters is scored by a second head "
               f"of its case that reads a logistic regression with C={cfg.get('long_C')} instead and no text "
               "length or line count (same threshold). " if cfg.get("long_chars") else "")
            + "Explanations: words and phrases of the text (underthesea word segmentation), closeness to known "
            "unreliable posts and metadata signals, each weighed by how much it raised the head's log-odds."
            if cfg.get("stack") and cfg.get("heads")
            else f" -> logistic regression (C={cfg.get('C')}); its out-of-fold score"
            + (
                f", the text's similarity to the {cfg['neighbours']} closest unreliable and reliable training "
                "posts"
                if cfg.get("neighbours")
                else ""
            )
            + " and the metadata feed a gradient-boosted model (HistGradientBoosting, log-loss"
            + (f", {cfg['boost_iterations']} trees of {cfg['boost_leaves']} leaves" if cfg.get("boost_leaves") else "")
            + ") that outputs the probability. "
            "Explanations are the logistic regression's per-feature contributions (the linear component)."
            if cfg.get("stack")
            else f" -> logistic regression (C={cfg.get('C')}), {cfg.get('calibration')} calibration. "
            "Explanations are the logistic regression's per-feature contributions."
        ),
        "",
        f"**Cross-validation.** {m.get('cv')}.",
        "",
        "| metric | mean | sd | pooled out-of-fold |",
        "|---|---|---|---|",
        f"| ROC-AUC | {_fmt(m.get('roc_auc_mean'))} | {_fmt(m.get('roc_auc_sd'))} | "
        f"{_fmt(m.get('roc_auc_pooled'))} |",
        f"| average precision | {_fmt(m.get('average_precision_mean'))} | "
        f"{_fmt(m.get('average_precision_sd'))} | {_fmt(m.get('average_precision_pooled'))} |",
        "",
        f"Brier score of the out-of-fold probabilities: {_fmt(m.get('brier_pooled'))}.",
        "",
        *_calibration_lines(m.get("calibration")),
        *(_case_lines(m["cases"], card) if m.get("cases") else [
            f"**Operating threshold** {_fmt(card.get('threshold'))} ({card.get('threshold_rule')}): "
            f"precision {_fmt(at.get('precision'))}, recall {_fmt(at.get('recall'))}, F1 {_fmt(at.get('f1'))} "
            f"on out-of-fold predictions; confusion {at.get('confusion')}.",
            "",
        ]),
        "**Known limits.** Trained on 2020 (COVID-19 era) Facebook posts; 'unreliable' is broader than "
        "'false' (rumour, opinion, clickbait); short posts and posts that are only a link carry little "
        "signal; non-Vietnamese text is out of scope. See models/README.md.",
        "",
    ]
    return "\n".join(lines)


def _calibration_lines(calibration: dict | None) -> list[str]:
    if not calibration or not calibration.get("bins"):
        return []
    lines = [
        "**Calibration** (out-of-fold; expected calibration error "
        f"{_fmt(calibration.get('expected_calibration_error'))}):",
        "",
        "| score bin | posts | mean score | share unreliable |",
        "|---|---|---|---|",
    ]
    lines += [f"| {b['bin']} | {b['n']} | {b['mean_score']:.3f} | {b['observed']:.3f} |" for b in calibration["bins"]]
    return [*lines, ""]


def _case_lines(cases: dict, card: dict) -> list[str]:
    lines = [
        "**Input cases.** Each post is scored by the head for the inputs it has, against that head's own threshold "
        f"({card.get('threshold_rule')}). Every held-out post was scored once for each case it has the inputs for, "
        "stripped to them (a post with counts and time also counts as text only, and as text and time).",
        "",
        "| case | the post has | posts | ROC-AUC | average precision | threshold | precision | recall | "
        "flagged | calibration error |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in INPUT_CASES:
        m = cases.get(case)
        if not m:
            continue
        at = m["at_threshold"]
        lines.append(
            f"| `{case}` | {CASE_MEANINGS[case]} | {m['n']} | {_fmt(m['roc_auc_mean'])} ± {_fmt(m['roc_auc_sd'])} | "
            f"{_fmt(m['average_precision_mean'])} ± {_fmt(m['average_precision_sd'])} | {_fmt(m['threshold'])} | "
            f"{_fmt(at['precision'])} | {_fmt(at['recall'])} | {m['flagged_share']:.1%} | "
            f"{_fmt(m['calibration']['expected_calibration_error'])} |"
        )
    lines += ["", "ROC-AUC and average precision: mean ± sd over the folds; the rest: pooled out-of-fold; calibration "
              "error: expected calibration error over 10 score bins.", ""]
    return lines
