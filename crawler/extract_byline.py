"""Byline detection in the page markup, used for authors when no structured source names one.

Order of trust (the first that yields a name wins):

1. Author markup: ``itemprop=author`` (its ``name`` first), ``rel=author`` links, hCard ``.fn``
   inside an author block, then elements whose class names an author or byline (``author``,
   ``byline``, ``writer``, ``autor``, ``username``, ``credit``...), those inside ``<article>`` first.
2. Author links: ``a[href*=/author/]`` and the like.

Markup inside comments, related-article teasers, asides, captions and forms is skipped (comment
authors use the same hCard classes). An element's text is read as a byline: a leading label ("By", "Von", "Posted by",
"Ein Artikel von", "Veröffentlicht am 8. Mai 2021 von") is dropped, and what follows a date
connector (" am ", " on ", " @ ") or another label ("Quelle:") is cut; a bare label ("Autor:") is
skipped; ``clean_authors`` then splits and cleans the names.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.extract_page import node_text
from crawler.extract_people import clean_authors

_STRICT = (
    "[itemprop=author] [itemprop=name], [itemprop=author], [rel=author], .author .fn, .byline .fn, "
    ".vcard.author, .byline, .by-line, .author-name, .author, [class*=byline i], [class*=author-name i], "
    "[class*=authorname i], [class*=article-author i], [class*=autor i], address.author"
)
_LOOSE = (
    "[class*=author i], [class*=writer i], [class*=username i], [class*=credit i], [class*=verfasser i], [id*=author i]"
)
_LINKS = "a[href*='/author/'], a[href*='/authors/'], a[href*='/autor/'], a[href*='/autoren/'], a[href*='/profile/']"
_SKIP_CONTAINER = re.compile(r"comment|related|recommend|newsletter|caption|listing", re.I)
_SKIP_TAGS = frozenset({"aside", "figcaption", "script", "style", "button", "form", "select", "option"})
_MARKER = re.compile(
    r"(?i)(?:^|[\s:|])(?:(?:by|von|par|por|door|di|af|av)\s+|(?:autor(?:in)?|author|verfasser):\s*)(?=\S)"
)
_WEEKDAY = r"(?:(?:mon|diens|mitt|donners|frei|sams|sonn)tag|(?:mon|tues|wednes|thurs|fri|satur|sun)day)"
_CONNECTOR = re.compile(
    r"(?i)\s+(?:am|on|le|el|il|um|at)\s+(?:\d|" + _WEEKDAY + r")|"
    r"\s+(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)\.?,\s*\d|\s+@\s+|\s+(?:[|•·]|-|\u2013|\u2014)\s+(?=\d)|\s+\w+:(?:\s|$)"
)
_MAX_TEXT = 100
_MAX_CHECK = 30
_MAX_DEPTH = 10


def _skipped(node: LexborNode) -> bool:
    """True when the node sits inside comments, navigation, a footer or a sidebar-like block."""
    current: LexborNode | None = node
    for _ in range(_MAX_DEPTH):
        if current is None or current.tag in ("body", "article", "main"):
            return False
        if current.tag in _SKIP_TAGS:
            return True
        attrs = current.attributes
        marker = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if _SKIP_CONTAINER.search(marker) and not re.search(r"(?i)author|byline", marker):
            return True
        current = current.parent
    return False


def byline_text(text: str) -> str:
    """The name part of one byline text: label before "by"/"von" and date after it removed."""
    marker = _MARKER.search(text[:60])
    if marker:
        text = text[marker.end() :]
    cut = _CONNECTOR.search(text)
    return text[: cut.start()] if cut else text


def _names(nodes: list[LexborNode]) -> list[str]:
    for node in nodes[:_MAX_CHECK]:
        text = node_text(node)
        if not text or len(text) > _MAX_TEXT or text.endswith(":") or _skipped(node):
            continue
        raw = byline_text(text)
        if clean_authors([raw]):
            return [raw]
    return []


def markup_bylines(tree: LexborHTMLParser) -> list[str]:
    """The first author markup that yields a name; see the module docstring for the order."""
    for selector in (_STRICT, _LOOSE, _LINKS):
        names = _names(tree.css(f"article :is({selector})")[:_MAX_CHECK] + tree.css(selector)[:_MAX_CHECK])
        if names:
            return names
    return []
