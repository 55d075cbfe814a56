"""Crawler text helpers: HTML to plain text, canonical URLs, dates.

Normalisation, dedupe hashes, SimHash and language detection live in :mod:`vntext` (shared with the
classifier); ``crawler`` re-exports the dedupe helpers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, CData, NavigableString, Tag

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


_SKIPPED_TAGS = {"script", "style", "noscript", "template"}


def html_to_text(html: str) -> str:
    """Plain text from an HTML fragment: block elements become line breaks, scripts/styles removed.

    The characters are kept as they are (no Unicode normalisation, zero-width characters stay); only
    spaces inside a line are collapsed and outer whitespace is trimmed. One walk over the tree, without
    editing it (inserting line breaks next to each block made the time grow with size x depth: minutes
    for a deeply nested page). Escaped plain text and simple well-formed markup (a feed's description, a
    Mastodon status) are read without the parser, with the same result (``_unescape_plain``,
    ``_simple_markup``)."""
    if "<" not in html and "&" not in html:
        return html.strip()
    plain = _unescape_plain(html) if "<" not in html else _simple_markup(html)
    return plain if plain is not None else _markup_to_text(html)


#: an ``&`` that is neither one of the common entities below nor a bare ampersand: the HTML parser decides
_UNCOMMON_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|nbsp|#39|#x27);|[^A-Za-z0-9#]|$)")
#: control characters, which the HTML parser drops or rewrites
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_COMMON_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&#39;", "'"),
                    ("&#x27;", "'"), ("&nbsp;", "\xa0"), ("&amp;", "&"))  # &amp; last: "&amp;lt;" is "&lt;"


def _unescape_plain(html: str) -> str | None:
    """Text without tags whose only markup is common entities (a feed's escaped plain text), read without
    building a tree: the same text ``_markup_to_text`` gives (``tests/crawler/test_text.py`` compares them);
    None when the parser must decide (other entities, control characters, a leading byte-order mark)."""
    if html.startswith("\ufeff") or _UNCOMMON_AMPERSAND.search(html) or _CONTROL.search(html):
        return None
    for entity, char in _COMMON_ENTITIES:
        if entity in html:
            html = html.replace(entity, char)
    return _tidy(html)


#: the tags of simple markup (a Mastodon status: paragraphs, line breaks, links and spans), and any other ``<`` or
#: ``>``, which send the fragment to the parser
_SIMPLE_TAG = re.compile(r'<(/?)(p|br|a|span)((?:\s+[a-z][a-z-]*="[^"<>&]*")*)\s*(/?)>|[<>]')


def _simple_markup(html: str) -> str | None:
    """``_markup_to_text`` of well-formed simple markup (``p`` not inside another element, ``a`` and ``span``
    nested properly, ``br``; double-quoted attributes), read without building a tree; None for anything else,
    including text between tags that is only whitespace (the parser keeps or drops it by context). A test
    compares the two on ReINTEL posts shaped as statuses and on random fragments."""
    if html.startswith("\ufeff") or _UNCOMMON_AMPERSAND.search(html) or _CONTROL.search(html):
        return None
    parts: list[str] = []
    open_tags: list[str] = []
    at = 0
    for tag in _SIMPLE_TAG.finditer(html):
        text, at = html[at:tag.start()], tag.end()
        name, closing, void = tag.group(2), tag.group(1), tag.group(4)
        if name is None or (text and text.isspace()):
            return None
        parts.append(text)
        if name == "br":
            if closing:
                return None
            parts.append("\n")
        elif void:
            return None
        elif closing:
            if not open_tags or open_tags.pop() != name:
                return None
            if name == "p":
                parts.append("\n")
        else:
            if (name == "p" and open_tags) or (name == "a" and "a" in open_tags):
                return None
            open_tags.append(name)
            if name == "p":
                parts.append("\n")
    rest = html[at:]
    if open_tags or (rest and rest.isspace()):
        return None
    parts.append(rest)
    return _unescape_plain("".join(parts))


#: runs of spaces and tabs that are not already a single space
_SPACE_RUN = re.compile(r"(?: [ \t\r\f\v\xa0]|[\t\r\f\v\xa0])[ \t\r\f\v\xa0]*")
_LINE_EDGE = re.compile(r"[^\S\n]+\n[^\S\n]*|\n[^\S\n]+")  # whitespace around a line break
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Spaces inside a line collapsed to one, lines trimmed, at most one empty line in a row, outer whitespace
    trimmed."""
    return _BLANK_LINES.sub("\n\n", _LINE_EDGE.sub("\n", _SPACE_RUN.sub(" ", text))).strip()


def _markup_to_text(html: str) -> str:
    """``html_to_text`` by the HTML parser (lxml through BeautifulSoup)."""
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
    return _tidy("".join(parts))


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
