"""Crawler text helpers: HTML to plain text, canonical URLs, dates.

Normalisation, dedupe hashes, SimHash and language detection live in :mod:`vntext` (shared with the
classifier); ``crawler`` re-exports the dedupe helpers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup

__all__ = ["canonicalize_url", "html_to_text", "parse_datetime"]

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


def html_to_text(html: str) -> str:
    """Plain text from an HTML fragment: block elements become line breaks, scripts/styles removed.

    The characters are kept as they are (no Unicode normalisation, zero-width characters stay); only
    spaces inside a line are collapsed and outer whitespace is trimmed."""
    if "<" not in html and "&" not in html:
        return html.strip()
    soup = BeautifulSoup(html, "lxml")
    for bad in soup(["script", "style", "noscript", "template"]):
        bad.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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
