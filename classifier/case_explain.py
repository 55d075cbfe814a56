"""Why a case head scored a post high: every group of its inputs, the text's phrases, closeness to known
unreliable posts and each piece of metadata, as reasons a reviewer can check.

A group's weight is how much lower the head's log-odds would be if that group had its typical value (the
median over the head's training rows, ``CaseStack.references_``): occlusion, computed for all groups of all
explained posts in one batch. The text score's share is spread over the words and phrases that raised it
(``classifier.phrases``); similarity becomes one "similar" reason naming the nearest known posts; each
metadata feature becomes a "signal" with a plain Vietnamese note ("5 dấu chấm than", "đăng lúc 3 giờ sáng").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import logit

from classifier.case_stack import N_SIMILARITY, CaseStack, head_columns, head_key
from classifier.features import METADATA_FEATURE_NAMES, SURFACE_COLUMNS
from classifier.phrases import phrase_evidence
from classifier.records import FeatureEvidence

__all__ = ["SIMILAR_MIN", "CaseInputs", "explain_rows", "signal_note"]

#: A labelled post counts as "close" from this similarity on (dot product of l2-normalised TF-IDF rows over
#: the rarer terms; 1 for the same text).
SIMILAR_MIN = 0.35
#: A reason must move the log-odds by at least this much to be reported.
MIN_WEIGHT = 0.01
_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
#: Reviewer-facing names of the metadata groups (the ``term`` of a signal).
SIGNAL_TERMS = {
    "like_count": "số lượt thích", "comment_count": "số bình luận", "share_count": "số lượt chia sẻ",
    "hour": "giờ đăng", "weekday": "ngày đăng trong tuần", "text_length": "độ dài bài", "line_count": "số dòng",
    "exclamation_marks": "dấu chấm than", "question_marks": "dấu hỏi", "link_count": "liên kết",
    "hashtag_count": "hashtag", "emoji_count": "emoji", "capital_share": "tỉ lệ chữ hoa",
    "digit_share": "tỉ lệ chữ số",
}  # fmt: skip


@dataclass
class CaseInputs:
    """What the heads read for a batch: text decision value, similarity columns, raw metadata, and the case
    (index into INPUT_CASES) of the head that scored each row, with its probability, and whether that head was
    the case's article head (``article``; then ``decision`` is the article route's text model's)."""

    decision: np.ndarray
    near: np.ndarray
    meta: np.ndarray
    used: np.ndarray
    proba: np.ndarray
    article: np.ndarray


def _groups(key: str) -> list[tuple[str, list[int]]]:
    """(group, positions in the head input) for the head ``key``; hour and weekday are one group each."""
    groups: dict[str, list[int]] = {"text": [0], "similar": list(range(1, 1 + N_SIMILARITY))}
    for pos, column in enumerate(head_columns(key), start=1 + N_SIMILARITY):
        name = METADATA_FEATURE_NAMES[column]
        if name == "empty_text":
            continue
        groups.setdefault(name.split("_")[0] if name[:4] in ("hour", "week") else name, []).append(pos)
    return list(groups.items())


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def signal_note(group: str, meta_row: np.ndarray) -> str:
    """Plain Vietnamese for a metadata group's value in ``meta_row`` (MetadataFeatures output)."""
    value = dict(zip(METADATA_FEATURE_NAMES, meta_row.tolist(), strict=True))
    if group == "hour":
        hour = int(round(math.atan2(value["hour_sin"], value["hour_cos"]) * 12 / math.pi)) % 24
        part = "sáng" if hour < 11 else "trưa" if hour < 13 else "chiều" if hour < 18 else "tối" if hour < 22 else "đêm"
        return f"đăng lúc {hour if hour <= 12 else hour - 12} giờ {part} (giờ Việt Nam)"
    if group == "weekday":
        day = int(round(math.atan2(value["weekday_sin"], value["weekday_cos"]) * 7 / (2 * math.pi))) % 7
        return f"đăng vào {_WEEKDAYS[day]}"
    if group in ("capital_share", "digit_share"):
        share = round(value[group] * 100)
        return f"{share}% chữ cái viết hoa" if group == "capital_share" else f"{share}% ký tự là chữ số"
    count = int(round(math.expm1(value[group])))
    return {
        "like_count": f"{_thousands(count)} lượt thích",
        "comment_count": f"{_thousands(count)} bình luận",
        "share_count": f"{_thousands(count)} lượt chia sẻ",
        "text_length": f"dài {_thousands(count)} ký tự",
        "line_count": f"{_thousands(count + 1)} dòng",
        "exclamation_marks": f"{count} dấu chấm than",
        "question_marks": f"{count} dấu hỏi",
        "link_count": f"{count} liên kết",
        "hashtag_count": f"{count} hashtag",
        "emoji_count": f"{count} emoji",
    }.get(group, group)


def _similar(stack: CaseStack, text_row: sparse.csr_matrix, weight: float) -> FeatureEvidence | None:
    if stack.unreliable_posts_.shape[1] == 0:
        return None
    sim = np.asarray((text_row @ stack.unreliable_posts_).todense()).ravel()
    close = np.flatnonzero(sim >= SIMILAR_MIN)
    if close.size == 0:
        return None
    close = close[np.argsort(-sim[close], kind="stable")]
    refs = stack.refs()
    linked = [refs[j] for j in close if j < len(refs) and refs[j]]
    note = f"giống {len(close)} bài đã biết là không đáng tin"
    if linked:
        note += f" ({len(linked)} do người duyệt xác nhận)"
    return FeatureEvidence(term="giống bài đã biết", weight=weight, kind="similar", note=note,
                           refs=tuple(linked[:5]))


def explain_rows(
    stack: CaseStack,
    inputs: CaseInputs,
    text_rows: sparse.csr_matrix,
    coef: np.ndarray,
    terms: Sequence[str] | np.ndarray,
    texts: Sequence[str],
    rows: Sequence[int],
    head_proba: Callable[[str, np.ndarray], np.ndarray],
    *,
    top_k: int = 8,
    article_coef: np.ndarray | None = None,
) -> list[tuple[FeatureEvidence, ...]]:
    """Evidence for each of ``rows`` (indices into the batch), strongest first.

    ``text_rows``: the batch's word TF-IDF rows; ``coef``/``terms``: the text model's coefficients and n-gram of
    each of those columns (``article_coef``: the article route's text model's); ``texts``: the exact texts
    scored; ``head_proba(key, inputs)``: a head's probability."""
    from classifier.records import INPUT_CASES

    out: list[tuple[FeatureEvidence, ...]] = []
    for i in rows:
        article = bool(inputs.article[i])
        case = head_key(INPUT_CASES[int(inputs.used[i])], article)
        Z = CaseStack.head_input(case, inputs.decision[i : i + 1], inputs.near[i : i + 1], inputs.meta[i : i + 1])
        groups = _groups(case)
        reference = stack.references_[case]
        variants = np.repeat(Z, len(groups), axis=0)
        for k, (_, cols) in enumerate(groups):
            variants[k, cols] = reference[cols]
        p = float(np.clip(inputs.proba[i], 1e-9, 1 - 1e-9))
        without = np.clip(head_proba(case, variants), 1e-9, 1 - 1e-9)
        weights = logit(p) - logit(without)
        evidence: list[FeatureEvidence] = []
        for (group, cols), weight in zip(groups, weights.tolist(), strict=True):
            if weight < MIN_WEIGHT:
                continue
            if group == "text":
                row_coef = article_coef if article and article_coef is not None else coef
                evidence.extend(_phrases(text_rows, i, row_coef, terms, texts[i], weight, top_k))
            elif group == "similar":
                found = _similar(stack, text_rows[i], weight)
                if found is not None:
                    evidence.append(found)
            elif _shows(group, cols, Z[0], reference):
                evidence.append(FeatureEvidence(term=SIGNAL_TERMS.get(group, group), weight=weight, kind="signal",
                                                note=signal_note(group, inputs.meta[i])))
        evidence.sort(key=lambda f: -f.weight)
        out.append(tuple(evidence[:top_k]))
    return out


def _shows(group: str, cols: list[int], z: np.ndarray, reference: np.ndarray) -> bool:
    """A surface cue is a reason only when the post has more of it than usual ("few links" is not something a
    reviewer can check); counts and posting time are reasons either way."""
    surface = {METADATA_FEATURE_NAMES[c] for c in SURFACE_COLUMNS}
    return group not in surface or bool(np.all(z[cols] > reference[cols]))


def _phrases(text_rows: sparse.csr_matrix, i: int, coef: np.ndarray, terms: Sequence[str] | np.ndarray, text: str,
             weight: float, top_k: int) -> list[FeatureEvidence]:
    start, end = text_rows.indptr[i], text_rows.indptr[i + 1]
    cols = text_rows.indices[start:end]
    contrib = text_rows.data[start:end].astype(np.float64) * coef[cols]
    total = float(contrib[contrib > 0].sum())
    if total <= 0:
        return []
    pairs = [(str(terms[c]), float(v)) for c, v in zip(cols.tolist(), contrib.tolist(), strict=True)]
    return phrase_evidence(text, pairs, top_k=top_k, scale=weight / total)
