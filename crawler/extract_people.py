"""Author-name cleaning for the metadata extractor.

Turns raw bylines ("By Jane Doe and John Roe, Staff Writers | Updated May 3") into person or
organisation names: prefixes, roles, dates, e-mails and URLs removed, lists split, duplicates dropped.
A trailing job title or degree ("Jane Doe Chefredakteur", "Jane Doe, PhD") is removed, and a part
that is only a degree, a weekday or a heading ("Authors") is not a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|story|text|words|photos?|report|compiled|erstellt|verfasst|"
    r"geschrieben|gespeichert|alles|mehr|more|interview|beitrag|artikel|ein artikel|pressemitteilung|"
    r"herausgeber|autoren|autorin|authors?)\s+)?"
    r"(?:by|von|vom|par|por|di|door|af|av|from|author|autor|auteur|autore|text|texte|interview|redaktion(?=\s*\S))"
    r"\b\s*[:\-\u2013\u2014]?\s*",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"\s*(?:,|;|&|\||/|·|•|\s+[-\u2013\u2014]\s+|\s+(?:and|und|et|y|e|en|og|och|i)\s+)\s*", re.IGNORECASE
)
_ROLE_WORDS = re.compile(
    r"\b(?:writers?|reporters?|correspondents?|editor|editors|contributors?|contributing|columnists?|"
    r"senior|chief|published|updated|posted|modified|minutes?|min read|read|photographer|"
    r"redakteur|redakteurin|korrespondent|mitarbeiter|aktualisiert|veröffentlicht|stand|"
    r"more|about|follow|alle|all|posts|beiträge|articles|artikel|email|twitter|facebook|share|comments?|"
    r"view|profile|"
    r"associate|news desk|producer|analyst|guest|bureau|special to|no author|unknown|\w*admin\w*)\b",
    re.IGNORECASE,
)
_TRAILING_ROLE = re.compile(
    r"\s+(?:chefredakteur(?:in)?|redakteur(?:in)?|kontakt|contact|phd|ph\.d\.?|m\.?d\.?|mba|mph)$", re.IGNORECASE
)
_NOT_A_NAME = re.compile(
    r"^(?:phd|ph\.d|md|mba|mph|msc|(?:mon|diens|mitt|donners|frei|sams|sonn)tag|sonnabend|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|authors?|autoren|authority control)$",
    re.IGNORECASE,
)
_NOISE = re.compile(r"https?://\S+|\S+@\S+\.\S+|@\w+|\(.*?\)|\[.*?\]", re.IGNORECASE)
_STRIP = " \t\n.,:;-\u2013\u2014|'\"()[]~*•·"
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_MAX_NAME = 60
_MAX_WORDS = 6


def _clean_part(part: str) -> str | None:
    part = _PREFIX.sub("", part.strip(_STRIP))
    part = _TRAILING_ROLE.sub("", part.strip(_STRIP)).strip(_STRIP)
    if (
        not part
        or _NOT_A_NAME.match(part)
        or len(part) > _MAX_NAME
        or _DIGIT.search(part)
        or not _HAS_LETTER.search(part)
    ):
        return None
    if _ROLE_WORDS.search(part):
        return None
    words = part.split()
    if len(words) > _MAX_WORDS:
        return None
    if part.islower() and len(words) > 1:
        return None
    return " ".join(words)


def split_names(raw: str) -> list[str]:
    """The names in one raw byline string, in order."""
    if not raw or raw.lstrip().startswith(("http://", "https://", "www.")):
        return []
    text = _NOISE.sub(" ", raw[:500])
    text = _SPACES.sub(" ", text).strip()
    text = _PREFIX.sub("", text)
    names: list[str] = []
    for part in _SPLIT.split(text):
        cleaned = _clean_part(part)
        if cleaned:
            names.append(cleaned)
    return names


def clean_authors(raws: Iterable[str]) -> tuple[str, ...]:
    """Split, clean and de-duplicate (case-insensitively) the names of several raw bylines."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in raws:
        for name in split_names(raw):
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                out.append(name)
    return tuple(out)
