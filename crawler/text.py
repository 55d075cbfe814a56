"""Text and URL helpers: normalisation, canonical URLs, hashes for dedupe, offline language id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, CData, NavigableString, Tag

__all__ = [
    "canonicalize_url",
    "content_hash",
    "detect_language",
    "hamming",
    "html_to_text",
    "normalize_text",
    "parse_datetime",
    "simhash64",
]

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u180e"), None)


def normalize_text(text: str) -> str:
    """NFC-normalise and remove zero-width characters; trims outer whitespace, keeps everything else."""
    return unicodedata.normalize("NFC", text.translate(_ZERO_WIDTH)).strip()


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "section",
    "article",
    "pre",
    "figure",
    "figcaption",
    "table",
}


_SKIPPED_TAGS = {"script", "style", "noscript", "template"}


def html_to_text(html: str) -> str:
    """Plain text from an HTML fragment: block elements become line breaks, scripts/styles removed.

    One walk over the tree, without editing it (inserting line breaks next to each block made the time
    grow with size x depth: minutes for a deeply nested page).
    """
    if "<" not in html and "&" not in html:
        return normalize_text(html)
    soup = BeautifulSoup(html, "lxml")
    kept = soup.interesting_string_types or {NavigableString, CData}  # the strings get_text() would keep
    parts: list[str] = []
    walk = [iter(soup.contents)]
    closes_block = [False]
    while walk:
        node = next(walk[-1], None)
        if node is None:
            walk.pop()
            if closes_block.pop():
                parts.append("\n")
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name not in _SKIPPED_TAGS:
                block = node.name in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                walk.append(iter(node.contents))
                closes_block.append(block)
        elif type(node) in kept:
            parts.append(str(node))
    text = "".join(parts)
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return normalize_text(out)


_TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "ref_src",
    "ref_url",
    "zarsrc",
    "zalo_source",
    "spm",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "_hsenc",
    "_hsmi",
    "__tn__",
    "__cft__",
    "s_cid",
    "cmpid",
}
_TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "__cft__")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonicalize_url(url: str) -> str:
    """Canonical form for dedupe: lowercase scheme/host, no default port, no fragment, no tracking params."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:  # keep userinfo only if present (rare); never lowercase it
        cred = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{cred}@{netloc}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or ("/" if host else "")
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def content_hash(text: str) -> str:
    """sha256 hex of the normalised, case-folded, whitespace-collapsed text (exact-duplicate key)."""
    return hashlib.sha256(_dedupe_form(text).encode("utf-8")).hexdigest()


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _dedupe_form(text: str) -> str:
    return " ".join(_WORD_RE.findall(normalize_text(text).casefold()))


_MASK64 = (1 << 64) - 1


def simhash64(text: str, *, shingle: int = 2) -> int:
    """64-bit SimHash over syllable shingles (Vietnamese words are space-separated syllables).

    Returned as a signed int64-safe Python int (range -2**63 .. 2**63-1) so it fits a BIGINT column.
    """
    syllables = _dedupe_form(text).split()
    if not syllables:
        return 0
    n = min(shingle, len(syllables))
    weights = [0] * 64
    for i in range(len(syllables) - n + 1):
        gram = " ".join(syllables[i : i + n]).encode("utf-8")
        h = int.from_bytes(hashlib.blake2b(gram, digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if (h >> bit) & 1 else -1
    value = 0
    for bit in range(64):
        if weights[bit] > 0:
            value |= 1 << bit
    return value - (1 << 64) if value >= (1 << 63) else value


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit SimHashes (signed or unsigned form)."""
    return ((a ^ b) & _MASK64).bit_count()


# --- offline language identification -------------------------------------------------------------

_VI_ONLY = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
_VI_WORDS = {
    "và",
    "của",
    "là",
    "không",
    "có",
    "được",
    "những",
    "người",
    "cho",
    "với",
    "này",
    "một",
    "các",
    "đã",
    "trong",
    "để",
    "khi",
    "thì",
    "mà",
    "cũng",
    "như",
    "về",
    "từ",
    "tại",
    "đến",
    "năm",
    "ngày",
    "bị",
    "sẽ",
    "rất",
    "nhiều",
    "ra",
    "lại",
    "nhưng",
    "vì",
    "nên",
    "đang",
    "chúng",
    "tôi",
    "bạn",
}
_PROFILES: dict[str, set[str]] = {
    "en": {
        "the",
        "and",
        "of",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "with",
        "as",
        "was",
        "on",
        "are",
        "be",
        "this",
        "by",
        "have",
        "from",
        "not",
        "at",
        "or",
        "an",
        "they",
        "which",
        "you",
        "has",
    },
    "fr": {
        "le",
        "la",
        "les",
        "de",
        "des",
        "et",
        "est",
        "un",
        "une",
        "du",
        "en",
        "que",
        "qui",
        "dans",
        "pour",
        "pas",
        "sur",
        "au",
        "avec",
        "ce",
        "il",
        "elle",
        "sont",
        "par",
        "plus",
        "nous",
    },
    "de": {
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "zu",
        "den",
        "mit",
        "von",
        "sich",
        "des",
        "auf",
        "für",
        "im",
        "dem",
        "es",
        "auch",
        "wir",
        "sie",
        "ich",
        "wird",
        "sind",
    },
    "es": {
        "el",
        "la",
        "los",
        "las",
        "de",
        "y",
        "que",
        "en",
        "un",
        "una",
        "es",
        "por",
        "con",
        "para",
        "del",
        "se",
        "no",
        "al",
        "lo",
        "como",
        "más",
        "pero",
        "sus",
        "su",
        "fue",
        "este",
    },
    "id": {
        "yang",
        "dan",
        "di",
        "ini",
        "itu",
        "dengan",
        "untuk",
        "dari",
        "tidak",
        "ada",
        "akan",
        "pada",
        "juga",
        "dalam",
        "ke",
        "kami",
        "saya",
        "mereka",
        "bisa",
        "sudah",
        "oleh",
        "karena",
    },
}
_SCRIPTS = (
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("km", re.compile(r"[\u1780-\u17ff]")),
    ("lo", re.compile(r"[\u0e80-\u0eff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
)


def detect_language(text: str) -> str:
    """Best-effort ISO 639-1 code, fully offline; "und" when too short or unclear.

    Vietnamese is recognised by its distinctive letters/tone marks plus function words; other
    Latin-script languages by stopword profiles; CJK/Thai/Khmer/Cyrillic/Arabic by script.
    """
    t = unicodedata.normalize("NFC", text).casefold()
    letters = [c for c in t if c.isalpha()]
    if len(letters) < 3:
        return "und"
    # Japanese kana before Han so mixed kanji+kana text is ja
    script_hits = {code: len(rx.findall(t)) for code, rx in _SCRIPTS}
    if script_hits["ja"] and script_hits["ja"] * 5 >= script_hits["zh"]:
        script_hits["zh"] = 0
    best_script = max(script_hits, key=lambda k: script_hits[k])
    if script_hits[best_script] * 2 > len(letters):
        return best_script
    words = _WORD_RE.findall(t)
    if not words:
        return "und"
    vi_chars = sum(1 for c in letters if c in _VI_ONLY)
    vi_words = sum(1 for w in words if w in _VI_WORDS)
    scores = {code: sum(1 for w in words if w in prof) for code, prof in _PROFILES.items()}
    vi_score = vi_words + 3 * vi_chars / max(1, len(letters)) * len(words)
    best = max(scores, key=lambda k: scores[k])
    if vi_chars / len(letters) >= 0.04 or (vi_score > scores[best] and vi_score >= 1):
        return "vi"
    if scores[best] >= 1 and scores[best] / len(words) >= 0.08:
        return best
    if len(words) <= 3 and scores[best] >= 1:
        return best
    return "und"


def parse_datetime(value: str | int | float | datetime | None) -> datetime | None:
    """Parse ISO 8601, RFC 2822 or epoch seconds into a tz-aware UTC datetime (naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float):
        dt = datetime.fromtimestamp(float(value), UTC)
    else:
        s = value.strip()
        if not s:
            return None
        if re.fullmatch(r"\d{9,11}(\.\d+)?", s):
            dt = datetime.fromtimestamp(float(s), UTC)
        else:
            try:
                dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                try:
                    dt = parsedate_to_datetime(s)
                except (TypeError, ValueError, IndexError):
                    return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
