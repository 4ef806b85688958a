"""Shortcuts of the metadata stage give what the plain calls they replace give."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from crawler.extract_jsonld import _loads

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>|;)\s*$")


def _reference(text: str) -> Any:
    """``_loads`` as it was written with ``json.loads``."""
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        pass
    cleaned = _TRAILING_COMMA.sub(r"\1", _WRAPPERS.sub("", text))
    try:
        return json.loads(cleaned, strict=False)
    except (ValueError, RecursionError):
        return None


_PIECES = ['{"a": 1}', "[1, 2,]", '{"b": "x\ty"}', "\ufeff", " ", "<!--", "-->", ";", "//<![CDATA[", "]]>", "{", "}"]
_PIECES += ['"\\u00e9"', "null", "1e5", "[", "]", ",", ":", '"k"', "\n", "NaN", "-Infinity", '"\\ud800"']


def test_shared_decoder_reads_like_json_loads() -> None:
    rng = random.Random(12)
    texts = ["\ufeff{}", '\ufeff{"a": 1}', "[" * 5000 + "]" * 5000, "", "  ", '{"a": [1, {"b": 2},],}']
    texts += ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 12))) for _ in range(5000)]
    for text in texts:
        assert repr(_loads(text)) == repr(_reference(text)), text


def test_blank_page_check_is_the_strip_test() -> None:
    # ``extract_metadata`` tells a blank page by ``isspace`` (no copy of the page): the same whitespace
    # as ``strip``, checked on every code point
    texts = ["", " \n\t"] + [text for code in range(0x110000) for text in (chr(code), f" {chr(code)}\n")]
    for text in texts:
        assert (not text or text.isspace()) == (not text.strip())
