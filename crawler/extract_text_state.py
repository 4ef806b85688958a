"""Last-resort main text from an embedded JSON state (Next.js ``__NEXT_DATA__``, React Server
Component ``self.__next_f.push`` chunks, ``window.__STATE__ = {...}`` and friends).

Client-rendered pages ship the article only inside scripts: the markup then yields (almost) nothing.
Only in that case :func:`state_text` reads the page source again (``tree.raw_html``, so the normal
path pays nothing), takes every long JSON string literal inside inline scripts, turns each into lines
(HTML fragments are parsed and rendered block per line, plain strings split on newlines), keeps those
that read like prose and returns the largest.
"""

from __future__ import annotations

import json
import re

from selectolax.lexbor import LexborHTMLParser

from crawler.extract_text_clean import render_lines
from crawler.extract_text_noise import strip_noise
from crawler.extract_text_rules import SPACE, size

_SCRIPT = re.compile(rb"<script\b([^>]*)>", re.IGNORECASE)
_STRING = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)  # unrolled: no per-character group
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[\s/>]")
_CODE = re.compile(r"function\s*\(|=>|\bvar |\bconst |\{\s*\"|\{[^}]*:[^}]*;|https?://\S+$|[a-z-]+=['\"]")
_WORD = re.compile(r"\w{3,}")
_MIN_CHARS = 500
_MAX_SOURCE = 4 << 20  # a bigger page is not scanned again (the regex pass costs ~60 ms per MB at worst)
_MAX_STRINGS = 200
_STRING_LEN = (400, 1 << 20)  # an article body's JSON string is longer than the first, shorter than the second


def _lines(value: str) -> list[str]:
    if _MARKUP.search(value):
        fragment = LexborHTMLParser(value)
        if fragment.body is None:
            return []
        strip_noise(fragment)
        return render_lines(fragment.body, None)
    return [line for line in (SPACE.sub(" ", part).strip() for part in value.split("\n")) if line]


def _prose(lines: list[str]) -> bool:
    """Sentences, not code, URLs, base64 or a list of labels."""
    text = " ".join(lines)
    total = size(text)
    if total < _MIN_CHARS or _CODE.search(text[:2000]):
        return False
    spaces = text.count(" ")
    wide = sum(1 for char in text[:2000] if ord(char) >= 0x3000)  # CJK scripts use no spaces
    return (spaces * 12 >= total or wide * 3 >= min(total, 2000)) and sum(map(len, lines)) >= 2 * len(lines) * 10


def _about(lines: list[str], words: set[str]) -> bool:
    """Shares words with the page title (so not a cookie notice or an author bio)."""
    if not words:
        return True
    text = " ".join(lines).casefold()
    return sum(1 for word in words if word in text) * 2 >= max(len(words), 2)


def state_text(tree: LexborHTMLParser, title: str | None) -> list[str]:
    """The longest prose held in a JSON string of an inline script, one block per line (or []);
    with a ``title``, only a text that shares words with it."""
    words = {word.casefold() for word in _WORD.findall(title or "")}
    source = tree.raw_html
    if not source or len(source) > _MAX_SOURCE:
        return []
    best: list[str] = []
    best_size = 0
    seen = 0
    for script in _SCRIPT.finditer(source):
        attrs = script.group(1).lower()
        end = source.find(b"</script", script.end())
        if end < 0:
            end = len(source)
        if b"src=" in attrs or b"ld+json" in attrs:
            continue
        for literal in _STRING.finditer(source, script.end(), end):
            if not _STRING_LEN[0] <= len(literal.group(1)) <= _STRING_LEN[1]:
                continue
            seen += 1
            if seen > _MAX_STRINGS:
                return best
            try:
                value = json.loads(b'"' + literal.group(1) + b'"', strict=False)
            except ValueError:
                continue
            if not isinstance(value, str) or size(value) <= best_size:
                continue
            lines = _lines(value)
            total = sum(size(line) for line in lines)
            if total > best_size and _prose(lines) and _about(lines, words):
                best, best_size = lines, total
    return best
