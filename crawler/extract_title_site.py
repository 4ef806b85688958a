"""Separator segments of a title and the site's name in them ("Headline | Section | Site").

A title is split into segments on "|", " - ", " : ", "::", "»", " / ", dashes and the like. A segment
*names the site* when it is one of the site's names (``og:site_name``, JSON-LD names, the host name,
a home-link heading), compared as ``match_key`` keys; a name inside a segment counts only when it is
most of it ("Libération.fr"), never one word of a headline.
"""

from __future__ import annotations

import functools
import re

from crawler.extract_page import match_key

SEPARATORS = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|:|·|•|»|/|~)\s+|\s*[|ㅣ\uff5c]\s*")
_HAS_SEPARATOR = re.compile(r"\s[-\u2013\u2014:·•»/~]\s|[|ㅣ\uff5c]")
_SEPARATOR_CHAR = re.compile(r"[|\-\u2013\u2014:·•»/~ㅣ\uff5c]")  # in every separator: a cheap test first
_TRAILING_SEPARATOR = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|·|•)\s*$")
# a separator before or after a site name written on without spaces; not a hyphen ("Corona-News")
_SEPARATOR_BEFORE_END = re.compile(r"\s*[|:\u2013\u2014·•»_~ㅣ\uff5c]+\s*$")  # searched up to the name
_SEPARATOR_AT_START = re.compile(r"\s*[|:\u2013\u2014·•»_~ㅣ\uff5c]+\s*")
_JOINED = frozenset("-|:_·•~ㅣ\uff5c")  # a separator written without spaces ("Headline-Section")
_MAX_SITE_WORDS = 6

key = functools.lru_cache(maxsize=4096)(match_key)
"""``match_key``, remembered: the same few titles are compared many times per page."""


def has_separator(value: str) -> bool:
    return _SEPARATOR_CHAR.search(value) is not None and _HAS_SEPARATOR.search(value) is not None


def split_segments(value: str, maxsplit: int = 0) -> list[str]:
    """``SEPARATORS.split``, without running that slow pattern over a value with no separator character."""
    if _SEPARATOR_CHAR.search(value) is None:
        return [value]
    return SEPARATORS.split(value, maxsplit)


class SiteNames:
    """The names of the site, as written and as comparison keys."""

    def __init__(self, names: list[str]) -> None:
        self.names = [name for name in names if len(name) >= 2]
        self.keys = {k for k in map(key, self.names) if len(k) >= 2}

    def named_by(self, segment: str) -> bool:
        """Whether ``segment`` names the site."""
        segment_key = key(segment)
        if not segment_key or len(segment.split()) > _MAX_SITE_WORDS:
            return False
        if segment_key in self.keys:
            return True
        size = len(segment_key)
        return any(
            (len(name) >= 4 and name in segment_key and len(name) >= 0.6 * size) or (size >= 4 and segment_key in name)
            for name in self.keys
        )

    def strip_joined(self, title: str) -> str:
        """``title`` without a site name written on to it without spaces ("Headline:Site", "Site_Headline")."""
        folded = title.casefold()
        if len(folded) != len(title):
            return title
        for name in self.names:
            low = name.casefold()
            if len(folded) <= len(low) + 3:
                continue
            if folded.endswith(low):
                match = _SEPARATOR_BEFORE_END.search(title, 0, len(title) - len(low))
                if match:
                    return title[: match.start()]
            if folded.startswith(low):
                match = _SEPARATOR_AT_START.match(title, len(low))
                if match:
                    return title[match.end() :]
        return title

    def strip_from(self, title: str) -> str:
        """``title`` without leading or trailing segments that name the site (and a tagline after it)."""
        if _SEPARATOR_CHAR.search(title) is None:
            return self.strip_joined(title)
        title = _TRAILING_SEPARATOR.sub("", title)
        if not has_separator(title):
            return self.strip_joined(title)
        split = [part for part in split_segments(title) if part.strip()]
        parts: list[str] | None = split  # ``None``: the title changed, split it again
        for index in range(1, len(split) - 1):  # "Headline | Site | Tagline"
            if self.named_by(split[index]):
                title = title[: title.find(split[index - 1]) + len(split[index - 1])].strip()
                parts = None
                break
        for _ in range(2):
            if parts is None:
                parts = [part for part in split_segments(title) if part.strip()]
            if len(parts) < 2:
                return title
            if self.named_by(parts[-1]):
                kept = parts[:-1]
            elif self.named_by(parts[0]):
                kept = parts[1:]
            else:
                return self.strip_joined(title)
            title = title[title.find(kept[0]) : title.rfind(kept[-1]) + len(kept[-1])].strip()
            parts = None
        return title


def drop_extra_segments(titles: list[str]) -> list[str]:
    """A "Headline | Section" (or "Headline-Section") title becomes "Headline" when another source gives
    just "Headline"."""
    keys = set(map(key, titles))
    if len(keys) < 2:
        return titles
    out = []
    for title in titles:
        parts = split_segments(title)
        for end in range(len(parts) - 1, 0, -1):
            if key(" ".join(parts[:end])) in keys:
                title = title[: title.find(parts[end - 1]) + len(parts[end - 1])].strip()
                break
        else:
            for other in titles:
                if len(other) < len(title) and title.startswith(other) and title[len(other)] in _JOINED:
                    title = other
                    break
        out.append(title)
    return out


def segment_runs(value: str) -> dict[str, str]:
    """Each leading and each trailing run of separator segments of ``value``, by comparison key."""
    parts = split_segments(value)
    runs: dict[str, str] = {}
    for cut in range(1, len(parts)):
        head = value[: value.find(parts[cut - 1]) + len(parts[cut - 1])].strip()
        tail = value[value.rfind(parts[cut]) :].strip()
        runs.setdefault(key(head), head)
        runs.setdefault(key(tail), tail)
    return runs


def leading_segment(value: str) -> str | None:
    """The first separator segment of ``value``, when it has more than one."""
    parts = split_segments(value, 1)
    return parts[0] if len(parts) == 2 else None
