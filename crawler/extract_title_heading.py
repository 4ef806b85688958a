"""The visible headline of a page: its ``<h1>`` elements, and the headline inside one that also carries a kicker.

Many article templates put more than the headline into the ``<h1>``: a kicker ("roofline", "overline")
before it, a date or category line after it, a screen-reader label ("Headline:"). ``heading_core``
returns the headline without those parts; ``visible_headings`` lists a page's usable ``<h1>``
elements (hidden ones, such as a screen-reader copy of the site name, left out).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from crawler.extract_page import Page, clean, first_inside

_MAX_HEADING = 300
_FEW = 8  # up to this many <h1> are filtered in Python (no second query)
# a class that hides the element from view (screen-reader text), not one that hides it on some screens only
_HIDDEN_CLASS = re.compile(
    r"(?:^|[-_])(?:visually-?hidden|sr-only|screen-reader-text|element-invisible|offscreen)$"
    r"|^(?:is-)?(?:hidden|invisible|aural)$|^d-none$",
    re.IGNORECASE,
)
_HIDDEN_HINTS = ("hidden", "sr-only", "screen-reader-text", "invisible", "offscreen", "aural", "d-none")
# child elements that stand apart from the headline text when they open or close the <h1>
_LEADING = frozenset({"span", "small", "div", "p", "time", "strong", "header", "h2", "h3", "h4", "h5", "h6"})
_TRAILING = frozenset({"small", "div", "p", "time"})
_WORDLESS = re.compile(r"^\W*$")


@dataclass(frozen=True)
class Heading:
    """One ``<h1>``: its whole text and, when it opens or closes with a kicker element, the headline alone."""

    text: str
    core: str  # the headline without a leading kicker or trailing date line; ``text`` when there is none


def _hidden(node: LexborNode) -> bool:
    """Whether the element is hidden from view by a screen-reader-only class or ``aria-hidden``."""
    attrs = node.attributes
    if attrs.get("aria-hidden") == "true":
        return True
    classes = attrs.get("class")
    if not classes:
        return False
    if classes.isascii():  # the pattern's words are ASCII: a class holding none of them cannot match
        lowered = classes.lower()
        if not any(hint in lowered for hint in _HIDDEN_HINTS):
            return False
    return any(_HIDDEN_CLASS.search(name) for name in classes.split())


def _children(node: LexborNode) -> tuple[list[LexborNode], bool]:
    """Child nodes that show text (comments, blank text and ``<br>`` left out), and whether a hidden one was."""
    out = []
    dropped = False
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            if not child.is_empty_text_node:
                out.append(child)
        elif tag == "-comment" or tag == "br":
            continue
        elif _hidden(child):
            dropped = True
        elif child.text(deep=True).strip():
            out.append(child)
    return out, dropped


def _unwrapped(node: LexborNode) -> tuple[list[LexborNode], bool, bool]:
    """The heading's children once single-element wrappers (``<a>``, ``<span>``) are looked through,
    whether hidden text was left out, and whether a wrapper is a link to the home page."""
    children, dropped = _children(node)
    home = False
    while len(children) == 1 and children[0].tag != "-text":  # <h1><a><span>...</span></a></h1>
        wrapper = children[0]
        home = home or (wrapper.tag == "a" and _home_href(wrapper.attributes.get("href")))
        children, hidden = _children(wrapper)
        dropped = dropped or hidden
    return children, dropped, home


def _core_of(children: list[LexborNode], dropped: bool, text: str) -> str:
    start, end = 0, len(children)
    while end - start > 1 and children[start].tag in _LEADING:
        if children[start + 1].tag == "-text" and children[start + 1].text().lstrip()[:1].islower():
            break  # "<span>Word</span> goes on": a styled first word, not a kicker
        start += 1
        while end - start > 1 and _WORDLESS.match(children[start].text(deep=True)):  # ":" or " - " between
            start += 1
    while end - start > 1 and children[end - 1].tag in _TRAILING:
        end -= 1
    if not dropped and start == 0 and end == len(children):
        return text
    return clean(" ".join(child.text(deep=True) for child in children[start:end])) or text


def heading_core(node: LexborNode, text: str) -> str:
    """The headline inside an ``<h1>``: without a leading kicker element, a trailing date/category line
    or text hidden from view.

    Only an element that opens the heading (``span``, ``small``, ``div``, ...) or closes it (``small``,
    ``div``, ``time``, ...) is split off, and only while headline text remains, so inline markup inside
    the headline ("A <b>B</b> C") stays.
    """
    children, dropped, _ = _unwrapped(node)
    return _core_of(children, dropped, text)


def _home_href(href: str | None) -> bool:
    """Whether a link goes to a site's home page ("/", "https://host/", "/?lang=de")."""
    href = (href or "").strip()
    if "://" in href:
        address = href.rsplit("://", 1)[1]  # the last address: archive.org wraps the original one
    elif href.startswith("//"):
        address = href[2:]
    elif href.startswith("/"):
        address = "host" + href
    else:
        return False  # "", "#", "?page=2", "story.html": not the home page
    path = address.split("/", 1)[1] if "/" in address else ""
    return not path.split("?", 1)[0].split("#", 1)[0]


def visible_headings(page: Page, skip: Callable[[str], bool]) -> tuple[list[Heading], list[str]]:
    """The page's ``<h1>`` headlines (those inside ``<article>`` first) and the texts of ``<h1>`` that are
    only a link to the home page (the site's name). Hidden headings and ``skip``-ped texts are left out."""
    every = page.all_headings
    in_article = first_inside(every, "article", 3) if len(every) <= _FEW else page.tree.css("article h1")[:3]
    out: list[Heading] = []
    home: list[str] = []
    seen: set[str] = set()
    done: set[int] = set()  # an <h1> in <article> comes again among the headings: its text would be in ``seen``
    for node in in_article + page.headings:
        node_id = node.mem_id
        if node_id in done:
            continue
        done.add(node_id)
        text = clean(node.text(separator=" "))
        if not text or len(text) > _MAX_HEADING or text in seen or _hidden(node):
            continue
        seen.add(text)
        first = node.first_child
        if first is not None and first.tag == "-text" and first.next is None:  # <h1>Headline</h1>
            if not skip(text):
                out.append(Heading(text, text))
            continue
        children, dropped, is_home = _unwrapped(node)
        if is_home:
            home.append(text)
        elif not skip(text):
            out.append(Heading(text, _core_of(children, dropped, text)))
    return out, home
