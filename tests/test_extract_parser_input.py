"""The parser is handed the body's own bytes only when they are exactly the UTF-8 of the decoded text."""

from __future__ import annotations

import codecs
import random

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.charset import decode_for_parser, decode_html

_PAGE = "<html><head>{meta}</head><body><p>{text}</p></body></html>"
_TEXTS = ["plain", "caf\u00e9 \u201cquoted\u201d", "\u0416\u0443\u0440\u043d\u0430\u043b", "\ufffd kept", "\U0001f600"]
_METAS = ["", '<meta charset="utf-8">', '<meta charset="windows-1252">', '<meta charset="koi8-r">']
_HEADERS = [None, "text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1"]


def _bodies() -> list[bytes]:
    bodies = [b"", b"   \n", b"\xef\xbb\xbf<p>bom</p>", codecs.BOM_UTF16_LE + "<p>x</p>".encode("utf-16-le")]
    for meta in _METAS:
        for text in _TEXTS:
            page = _PAGE.format(meta=meta, text=text)
            for encoding in ("utf-8", "cp1252", "koi8-r"):
                try:
                    bodies.append(page.encode(encoding))
                except UnicodeEncodeError:
                    continue
    rng = random.Random(3)
    alphabet = [b"a", b" ", b"<p>", b"\xc3\xa9", b"\xe2\x80\x9c", b"\xe9", b"\x80", b"\xff", b"\xef\xbf\xbd"]
    alphabet.append(b"\xed\xa0\x80")  # (an encoded surrogate: not UTF-8 to Python)
    bodies.extend(b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(300))
    return bodies


@pytest.mark.parametrize("header", _HEADERS)
def test_parser_input_is_the_decoded_text_or_its_exact_utf8(header: str | None) -> None:
    shortcuts = 0
    for body in _bodies():
        text, markup = decode_for_parser(body, header)
        assert text == decode_html(body, header)
        if isinstance(markup, bytes):
            shortcuts += 1
            assert markup is body
            assert markup == text.encode("utf-8")
            assert LexborHTMLParser(markup).html == LexborHTMLParser(text).html
        else:
            assert markup is text
    assert shortcuts or header == _HEADERS[-1]  # (taken at all, unless the header names a legacy charset)


def test_no_shortcut_past_a_bom_or_a_replacement() -> None:
    for body in (b"\xef\xbb\xbf<p>x</p>", b"<p>\xff</p>", "<p>\ufffd</p>".encode()):
        assert isinstance(decode_for_parser(body, "text/html; charset=utf-8")[1], str)
