"""Bytes -> text for web payloads, including legacy Vietnamese encodings.

Order: BOM (utf-8/utf-16/utf-32) > charset in Content-Type > in-document declaration
(``<?xml encoding>``, ``<meta charset>``) > strict UTF-8 > charset-normalizer guess.
Text in a Unicode encoding is returned as published (the evidence is the exact text; matching normalises a
copy, see ``vntext``). Only windows-1258 is composed (NFC): that code page can only store tone marks as
separate combining characters, so its decomposed form is an artefact of the encoding, not the author's text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

__all__ = ["decode_body", "declared_charset"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALIASES = {
    "cp1258": "windows-1258",
    "x-cp1258": "windows-1258",
    "windows1258": "windows-1258",
    "vn-1258": "windows-1258",
    "iso-8859-1": "windows-1252",  # per the WHATWG encoding standard
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "unicode": "utf-16",
}
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.I)
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


def _norm_name(name: str) -> str | None:
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> tuple[str | None, str]:
    """(codec name or None, where it came from: "bom" / "header" / "document" / "")."""
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return enc, "bom"
    if content_type:
        header = _CT_CHARSET.search(content_type)
        if header and (name := _norm_name(header.group(1))):
            return name, "header"
    head = body[:2048]
    document = _XML_DECL.search(head) or _META.search(head)
    if document and (name := _norm_name(document.group(1).decode("ascii", "replace"))):
        return name, "document"
    return None, ""


_DECOMPOSING = frozenset({"cp1258"})  # codec names whose decoding leaves tone marks as combining characters


def _published(text: str, enc: str) -> str:
    return unicodedata.normalize("NFC", text) if _norm_name(enc) in _DECOMPOSING else text


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``body`` (composed only for windows-1258); returns (text, codec name used)."""
    enc, source = declared_charset(body, content_type)
    if enc:
        data = body
        if source == "bom":
            for bom, name in _BOMS:
                if name == enc:
                    data = body[len(bom) :]
                    break
        elif enc in {"utf-16", "utf-32"}:
            data = body  # codec handles its own BOM
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            text = data.decode(enc, errors="replace") if source == "bom" else ""
        else:
            return _published(text, enc), enc
        if text:
            return _published(text, enc), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body).best()
    if best is not None and best.encoding:
        return _published(str(best), best.encoding), best.encoding
    return body.decode("utf-8", errors="replace"), "utf-8"
