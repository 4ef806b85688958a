"""Decode an HTML response body to text, the way a browser would pick the encoding.

Order: BOM, the HTTP ``Content-Type`` charset, the page's ``<meta charset>`` / ``http-equiv``
declaration, then detection from the bytes. Two corrections for declarations that lie: bytes
declared UTF-8 that hold no UTF-8 sequence at all are read as cp1252, and bytes declared (in the
page) as a legacy encoding that are entirely valid UTF-8 with multi-byte sequences (a page re-saved
as UTF-8 without updating its ``<meta>``) are read as UTF-8. Never raises; undecodable bytes
become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import html_to_unicode

_DETECT_SAMPLE = 256 * 1024
_FALLBACK = "cp1252"
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def detect_encoding(body: bytes) -> str | None:
    """Guess the encoding of undeclared bytes: UTF-8 when valid, else charset_normalizer's best."""
    sample = body[:_DETECT_SAMPLE]
    if not _NON_ASCII.search(sample):
        return "utf-8"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte sequence cut by the sample boundary is still UTF-8
        if exc.start >= len(sample) - 3 and len(body) > len(sample):
            return "utf-8"
    from charset_normalizer import from_bytes  # only here, for the few pages that need it: 10 ms to import

    try:
        matches = from_bytes(sample)
        best = matches.best()
    except Exception:  # the detector must never break decoding
        return _FALLBACK
    if best is None:
        return _FALLBACK
    # Equal scores are common for short Western text (cp1250/cp1252/cp1257 agree on most letters and
    # disagree on ï, ñ...); the detector then picks by table order. Prefer the web's default, as browsers do.
    tied = any(m.encoding == _FALLBACK and (m.chaos, m.coherence) == (best.chaos, best.coherence) for m in matches)
    return _FALLBACK if tied else best.encoding


def _is_utf8(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def _mislabelled_utf8(body: bytes) -> bool:
    """True when bytes claimed as UTF-8 hold 8-bit text with no valid UTF-8 sequence at all."""
    return bool(_NON_ASCII.search(body)) and not _UTF8_MULTIBYTE.search(body)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Return ``body`` as text; see the module docstring for how the encoding is chosen."""
    return _decode(body, content_type)[0]


def decode_for_parser(body: bytes, content_type: str | None) -> tuple[str, str | bytes]:
    """``decode_html``'s text, and what to hand a parser that reads bytes as UTF-8 (selectolax encodes
    a text to UTF-8 first): ``body`` itself when it is exactly that text's UTF-8 encoding (no copy to
    make), else the text."""
    text, lossless = _decode(body, content_type)
    return text, body if lossless else text


def _decode(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """The text, and whether it is ``body`` decoded as UTF-8 without a BOM and without a replacement
    (then ``text.encode("utf-8") == body``)."""
    if not body:
        return "", False
    try:
        encoding, text = html_to_unicode(content_type, body, auto_detect_fun=detect_encoding)
    except Exception:  # w3lib is robust, but a decoder must never fail the caller
        return body.decode("utf-8", errors="replace"), False
    if _is_utf8(encoding):
        if "\ufffd" in text:  # a replaced byte (or a U+FFFD in the page: this says no either way)
            if _mislabelled_utf8(body):
                return body.decode(_FALLBACK, errors="replace"), False
            return text, False
        return text, not body.startswith(codecs.BOM_UTF8)  # (a BOM was stripped from the text)
    if not _header_charset(content_type) and _UTF8_MULTIBYTE.search(body):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return text, False


def _header_charset(content_type: str | None) -> bool:
    return bool(content_type and "charset=" in content_type.lower())
