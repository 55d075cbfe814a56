"""Claims as files: schema.org ClaimReview (JSON-LD, as fact-checkers publish and Google Fact Check Tools reads)
and JSON Lines (one flat object per claim).

Reading accepts a ClaimReview object, a list of them, a JSON-LD ``@graph``, a Google Fact Check Tools API
answer (``{"claims": [...]}``) or JSON Lines of ClaimReviews or flat records. A file that cannot be read gets
an InvalidInput naming the line or record; nothing is imported from it. Claimants (who said it) are not read:
kiemtin is about claims, never about people.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from review.claims import ClaimInfo, ClaimInput
from review.errors import InvalidInput, Phrase
from vntext import fold_accents

__all__ = ["FORMATS", "VERDICT_LABELS", "parse_claims", "to_claimreview", "to_record", "verdict_for", "write_claims"]

FORMATS = ("claimreview", "jsonl")

#: the verdict as ClaimReview's ``reviewRating.alternateName`` says it, and its 1..5 ``ratingValue``
VERDICT_LABELS: dict[str, tuple[str, int]] = {
    "false": ("False", 1), "misleading": ("Misleading", 2), "partly_false": ("Partly false", 2),
    "missing_context": ("Missing context", 3), "unproven": ("Unproven", 3), "satire": ("Satire", 3),
    "true": ("True", 5), "other": ("Other", 3),
}

#: where in the input a record is ("the file, line 3, record 2"), translated with the refusal that names it
Where = str | Phrase

_LABELS = frozenset(label for label, _value in VERDICT_LABELS.values())

#: ratings as fact-checkers write them (English and Vietnamese, compared unaccented and lower-case)
_RATINGS: dict[str, str] = {
    **{fold_accents(label).lower(): verdict for verdict, (label, _v) in VERDICT_LABELS.items()},
    "fake": "false", "pants on fire": "false", "mostly false": "partly_false", "half true": "partly_false",
    "mixture": "partly_false", "mostly true": "true", "correct": "true", "unverified": "unproven",
    "no evidence": "unproven", "lacks context": "missing_context", "out of context": "missing_context",
    "sai": "false", "sai su that": "false", "tin gia": "false", "gia": "false", "bia dat": "false",
    "xuyen tac": "false", "gay hieu lam": "misleading", "danh lua": "misleading", "sai lech": "misleading",
    "sai mot phan": "partly_false", "mot phan sai": "partly_false", "dung mot phan": "partly_false",
    "thieu boi canh": "missing_context", "chua kiem chung": "unproven", "chua xac minh": "unproven",
    "khong co bang chung": "unproven", "chau biem": "satire", "dung": "true", "su that": "true",
}


def verdict_for(rating: str) -> str:
    """The verdict a written rating means (``Sai sự thật`` -> ``false``); ``other`` when it is not known."""
    return _RATINGS.get(" ".join(fold_accents(rating).lower().replace("-", " ").split()).strip(" .!"), "other")


def _date(value: Any, where: Where) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("%(where)s: %(value)r is not a date (YYYY-MM-DD or an ISO 8601 time)", where=where,
                           value=value) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name", "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def _appearances(item: Any) -> tuple[str, ...]:
    if not isinstance(item, dict):
        return ()
    found = item.get("appearance") or item.get("firstAppearance") or []
    found = found if isinstance(found, list) else [found]
    urls = [a.get("url") if isinstance(a, dict) else a for a in found]
    return tuple(str(u) for u in urls if isinstance(u, str) and u)


def _from_claimreview(obj: dict[str, Any], where: Where) -> ClaimInput:
    rating_obj = obj.get("reviewRating") or {}
    rating_obj = rating_obj if isinstance(rating_obj, dict) else {}
    canonical = _text(rating_obj.get("alternateName"))
    written = _text(rating_obj.get("name")) or ("" if canonical in _LABELS else canonical)
    verdict = verdict_for(canonical) if canonical else "other"
    if verdict == "other" and written:
        verdict = verdict_for(written)
    text = _text(obj.get("claimReviewed"))
    if not text.strip():
        raise InvalidInput("%(where)s: a ClaimReview without claimReviewed (the claim's text)", where=where)
    keywords = _text(obj.get("keywords"))
    return ClaimInput(
        text=text, verdict=verdict, rating=written, summary=_text(obj.get("reviewBody") or obj.get("description")),
        review_url=_text(obj.get("url")) or None, publisher=_text(obj.get("author") or obj.get("publisher")),
        language=_text(obj.get("inLanguage")) or "vi", category=keywords or None,
        reviewed_at=_date(obj.get("datePublished"), where), appearances=_appearances(obj.get("itemReviewed")))


def _from_factcheck_api(claim: dict[str, Any], where: Where) -> list[ClaimInput]:
    found = []
    for review in claim.get("claimReview") or []:
        rating = _text(review.get("textualRating"))
        found.append(ClaimInput(
            text=_text(claim.get("text")), verdict=verdict_for(rating), rating=rating,
            summary=_text(review.get("title")), review_url=_text(review.get("url")) or None,
            publisher=_text(review.get("publisher")), language=_text(review.get("languageCode")) or "vi",
            reviewed_at=_date(review.get("reviewDate"), where)))
    return found


def _from_record(obj: dict[str, Any], where: Where) -> ClaimInput:
    if not isinstance(obj.get("text"), str):
        raise InvalidInput("%(where)s: a record needs \"text\" (the claim) as a string", where=where)
    rating = _text(obj.get("rating"))
    return ClaimInput(
        text=obj["text"], verdict=str(obj.get("verdict") or (verdict_for(rating) if rating else "false")),
        rating=rating, summary=_text(obj.get("summary")), review_url=_text(obj.get("review_url")) or None,
        publisher=_text(obj.get("publisher")), language=_text(obj.get("language")) or "vi",
        category=_text(obj.get("category")) or None, reviewed_at=_date(obj.get("reviewed_at"), where),
        appearances=tuple(str(u) for u in obj.get("appearances") or [] if isinstance(u, str)))


def _one(obj: Any, where: Where) -> list[ClaimInput]:
    if isinstance(obj, list):
        return [c for n, o in enumerate(obj, start=1)
                for c in _one(o, Phrase("%(where)s, record %(n)s", where=where, n=n))]
    if not isinstance(obj, dict):
        raise InvalidInput("%(where)s: expected a JSON object, got %(kind)s", where=where, kind=type(obj).__name__)
    if "@graph" in obj:
        return _one(obj["@graph"], where)
    if isinstance(obj.get("claims"), list):
        return [c for n, o in enumerate(obj["claims"], start=1) if isinstance(o, dict)
                for c in _from_factcheck_api(o, Phrase("%(where)s, claim %(n)s", where=where, n=n))]
    kind = obj.get("@type")
    if kind == "ClaimReview" or (isinstance(kind, list) and "ClaimReview" in kind):
        return [_from_claimreview(obj, where)]
    if kind is not None:
        return []  # other JSON-LD things in a graph (the site, the article): not claims
    return [_from_record(obj, where)]


def parse_claims(data: str, *, name: Where | None = None) -> list[ClaimInput]:
    """The claims in a ClaimReview JSON(-LD) document or a JSON Lines file (see the module docstring)."""
    name = Phrase("the file") if name is None else name
    stripped = data.lstrip("\ufeff").strip()
    if not stripped:
        raise InvalidInput("%(name)s is empty", name=name)
    try:
        return _one(json.loads(stripped), name)
    except json.JSONDecodeError:
        pass
    found: list[ClaimInput] = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput("%(name)s, line %(n)s: not JSON (%(error)s); expected ClaimReview JSON-LD or JSON Lines",
                               name=name, n=number, error=exc.msg) from None
        found += _one(obj, Phrase("%(name)s, line %(n)s", name=name, n=number))
    return found


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_claimreview(claim: ClaimInfo) -> dict[str, Any]:
    """One claim as a schema.org ClaimReview object."""
    label, value = VERDICT_LABELS[claim.verdict]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": label, "ratingValue": value, "bestRating": 5,
                              "worstRating": 1}
    if claim.rating:
        rating["name"] = claim.rating
    urls = list(dict.fromkeys((*claim.appearances, *claim.linked_urls)))
    item: dict[str, Any] = {"@type": "Claim"}
    if urls:
        item["appearance"] = [{"@type": "CreativeWork", "url": u} for u in urls]
    obj: dict[str, Any] = {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": claim.text,
                           "reviewRating": rating, "itemReviewed": item, "inLanguage": claim.language}
    optional = {"url": claim.review_url, "reviewBody": claim.summary or None,
                "author": {"@type": "Organization", "name": claim.publisher} if claim.publisher else None,
                "datePublished": _iso(claim.reviewed_at), "keywords": claim.category}
    obj.update({k: v for k, v in optional.items() if v})
    return obj


def to_record(claim: ClaimInfo) -> dict[str, Any]:
    """One claim as a flat JSON Lines record (what ``parse_claims`` reads back)."""
    return {"id": claim.id, "text": claim.text, "verdict": claim.verdict, "rating": claim.rating,
            "summary": claim.summary, "review_url": claim.review_url, "publisher": claim.publisher,
            "language": claim.language, "category": claim.category, "reviewed_at": _iso(claim.reviewed_at),
            "appearances": list(dict.fromkeys((*claim.appearances, *claim.linked_urls)))}


def write_claims(claims: Iterable[ClaimInfo], format: str) -> str:
    """The file's text: a JSON array of ClaimReview objects, or one JSON record per line."""
    if format == "claimreview":
        return json.dumps([to_claimreview(c) for c in claims], ensure_ascii=False, indent=2) + "\n"
    if format == "jsonl":
        return "".join(json.dumps(to_record(c), ensure_ascii=False) + "\n" for c in claims)
    raise InvalidInput("unknown claims format %(format)r: use %(choices)s", format=format,
                           choices=" or ".join(FORMATS))
