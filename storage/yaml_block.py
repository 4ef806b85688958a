"""Block-style YAML written directly, byte for byte as PyYAML's C dumper would write it, for plain data.

Exports write one YAML document per article; PyYAML's representer and resolver (pure Python) cost
more than the rest of the export together. ``block_yaml`` writes the same text for what exports hold
(``dict``/``list`` of ``str``, ``int``, ``bool`` and ``None``, strings on one line) and returns None for
anything else, so the caller can fall back to ``yaml.dump``: floats, other types, shared containers
(PyYAML would write anchors), strings with line breaks, tabs, control or other special characters
(double-quoted by libyaml), very long strings and keys (which libyaml would fold or write as ``?``
complex keys). ``tests/test_yaml_block.py`` compares it with ``yaml.dump`` on many documents.

A string is written plain when libyaml's scalar analysis allows plain style in block context and the
dumper's resolver reads it back as a string; otherwise single-quoted (``'`` doubled).
"""

from __future__ import annotations

import re
from typing import Any

STR_TAG = "tag:yaml.org,2002:str"
MAX_SCALAR = 100_000  # far below the dumper's line width, so libyaml never folds a line
MAX_SIMPLE_KEY = 128  # libyaml's limit (UTF-8 bytes) for a key written as "key: value"
# libyaml's printable characters, minus line breaks (\n, U+2028, U+2029): one-line strings
# that need no double quotes. Tabs, controls, U+0085, U+FEFF, non-BMP characters are not in it.
_ONE_LINE = re.compile("[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
# libyaml's block indicators: a leading document marker or indicator character, "? ", ": ",
# "- " at the start, ": " or a final ":" anywhere, " #" anywhere.
_INDICATOR = re.compile(r"---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |$)|.*?(?:: |:$| #)", re.DOTALL)

Resolvers = dict[Any, list[tuple[str, re.Pattern[str]]]]


class Unsupported(Exception):
    """The data holds something this writer does not write exactly as PyYAML would."""


class BlockYAML:
    """A writer for one dumper's implicit resolvers (what reads back as a number, a bool, null...)."""

    def __init__(self, resolvers: Resolvers) -> None:
        self._resolvers = resolvers
        self._wildcard = resolvers.get(None, [])
        self._scalars: dict[str, str] = {}
        self._keys: dict[str, str] = {}

    def _plain_is_str(self, text: str) -> bool:
        for tag, regexp in self._resolvers.get(text[0] if text else "", []) + self._wildcard:
            if regexp.match(text):
                return tag == STR_TAG
        return True

    def string(self, text: str) -> str:
        """``text`` as a block-context scalar (plain, else single-quoted); Unsupported if neither fits."""
        known = self._scalars.get(text)
        if known is not None:
            return known
        if len(text) > MAX_SCALAR or not ((text.isascii() and text.isprintable()) or _ONE_LINE.fullmatch(text)):
            raise Unsupported(text[:40])  # ASCII and printable: " " to "~", the quick case of _ONE_LINE
        if (text and text[0] != " " and text[-1] != " " and not _INDICATOR.match(text)
                and self._plain_is_str(text)):
            written = text
        else:
            written = "'" + text.replace("'", "''") + "'"
        if len(self._scalars) > 50_000:
            self._scalars.clear()
        self._scalars[text] = written
        return written

    def scalar(self, value: Any) -> str:
        kind = type(value)
        if kind is str:
            return self.string(value)
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return str(value)
        raise Unsupported(kind.__name__)

    def key(self, key: Any) -> str:
        """``key`` as a simple mapping key; Unsupported for what libyaml would write otherwise."""
        known = self._keys.get(key) if type(key) is str else None
        if known is not None:
            return known
        if type(key) is not str or len(key.encode("utf-8")) > MAX_SIMPLE_KEY:
            raise Unsupported("key")
        written = self.string(key)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[key] = written
        return written

    def dump(self, data: Any) -> str:
        """The document for a non-empty mapping (what ``yaml.dump`` returns for it)."""
        if type(data) is not dict or not data:
            raise Unsupported("top level")
        out: list[str] = []
        self._mapping(out, data, "", False, set())
        return "".join(out)

    def _value(self, value: Any, seen: set[int]) -> str | None:
        """A value written on its key's or dash's line; None for a non-empty collection (lines below)."""
        kind = type(value)
        if kind is str:
            return self._scalars.get(value) or self.string(value)
        if kind is dict or kind is list:
            if id(value) in seen:
                raise Unsupported("shared container: PyYAML writes an anchor")
            seen.add(id(value))
            if value:
                return None
            return "{}" if kind is dict else "[]"  # libyaml writes empty collections in flow style
        return self.scalar(value)

    def _mapping(self, out: list[str], data: dict[Any, Any], pad: str, inline: bool, seen: set[int]) -> None:
        keys = self._keys
        for key, value in data.items():
            written = keys.get(key) if type(key) is str else None
            if written is None:
                written = self.key(key)
            lead = "" if inline else pad
            inline = False
            text = self._value(value, seen)
            if text is not None:
                out.append(f"{lead}{written}: {text}\n")
            elif type(value) is dict:
                out.append(f"{lead}{written}:\n")
                self._mapping(out, value, pad + "  ", False, seen)
            else:
                out.append(f"{lead}{written}:\n")
                self._sequence(out, value, pad, False, seen)  # libyaml: not indented under a key

    def _sequence(self, out: list[str], items: list[Any], pad: str, inline: bool, seen: set[int]) -> None:
        for item in items:
            lead = "" if inline else pad
            inline = False
            text = self._value(item, seen)
            if text is not None:
                out.append(f"{lead}- {text}\n")
            elif type(item) is dict:
                out.append(f"{lead}- ")
                self._mapping(out, item, pad + "  ", True, seen)
            else:
                out.append(f"{lead}- ")
                self._sequence(out, item, pad + "  ", True, seen)
