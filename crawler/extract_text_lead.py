"""The standfirst (lead, intro, excerpt) that sits before the chosen article container.

Many templates put the lead paragraph into the article header, next to the headline, and the body
into a sibling container: the scorer then picks the body alone. :func:`lead_lines` looks at the
preceding siblings of the container and of its nearest ancestors for a short, link-free block that
is either named a lead by its class (``lead``, ``intro``, ``teaser``, ``chapo``, ``sommario``,
``bajada``, ``Einleitung``...) or is the first long text after the headline (``h1``) in a header.
It returns that block's lines so the caller can put them first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborNode

from crawler.extract_text_clean import render_lines
from crawler.extract_text_rules import Tags, link_density, size

_LEAD_CLASS = re.compile(
    r"lead(?!erboard)|lede|intro|excerpt|standfirst|summary|abstract|dek\b|deck|sub-?headline|sub-?title|"
    r"teaser|chapo|sommario|bajada|epigraph|einleitung|description|preface",
    re.IGNORECASE,
)
_NOT_LEAD = re.compile(
    r"caption|credit|byline|author|date|image|img|photo|media|link|list|item|nav|cookie|consent|privacy|gdpr|"
    r"newsletter|subscri",
    re.IGNORECASE,
)
_TAGS = frozenset({"p", "div", "section", "header", "span", "h2", "strong", "blockquote", "hgroup"})
_AFTER_H1 = frozenset({"p", "h2", "div", "span"})
_LEVELS = 6  # the container and this many ancestors: a lead further away belongs to something else
_SIBLINGS = 6
_DEPTH = 3
_LEAD_CHARS = (40, 1000)
_HEADER_LEAD = 60  # a text after the headline this long is a standfirst, not a kicker or byline
_FURNITURE = Tags("img, picture, video, ul, ol, table, form, time")
_HEADLINE = Tags("h1")


def _named(node: LexborNode, depth: int) -> Iterator[LexborNode]:
    """``node`` and its descendants (``depth`` levels down) whose class names a lead."""
    if node.tag not in _TAGS:
        return
    label = node.attributes.get("class") or ""
    if _LEAD_CLASS.search(label) and not _NOT_LEAD.search(label):
        yield node
        return
    if depth:
        for child in node.iter():
            yield from _named(child, depth - 1)


def _after_headline(node: LexborNode) -> Iterator[LexborNode]:
    """In a header block holding the ``h1``: the first long text element after it."""
    if node.tag == "h1" or not _HEADLINE.held(node):
        return
    seen_h1 = False
    for child in node.traverse():
        tag = child.tag
        if tag == "h1":
            seen_h1 = True
        elif seen_h1 and tag in _AFTER_H1 and size(child.text()) >= _HEADER_LEAD:
            yield child
            return


def _candidates(root: LexborNode) -> Iterator[LexborNode]:
    node: LexborNode | None = root
    for _ in range(_LEVELS):
        if node is None or node.tag in {"body", "html"}:
            return
        sibling = node.prev
        for _ in range(_SIBLINGS):
            if sibling is None:
                break
            if sibling.is_element_node:  # (not a text or comment node)
                yield from _named(sibling, _DEPTH)
                yield from _after_headline(sibling)
            sibling = sibling.prev
        node = node.parent


def _is_lead(node: LexborNode) -> bool:
    text_len = size(node.text())
    if not _LEAD_CHARS[0] <= text_len <= _LEAD_CHARS[1] or link_density(node, text_len) > 0.2:
        return False
    return not _FURNITURE.held(node)


def lead_lines(roots: list[LexborNode]) -> list[str]:
    """Lines of the lead paragraph placed before ``roots[0]`` (outside it), or []."""
    if not roots:
        return []
    for node in _candidates(roots[0]):
        if _is_lead(node):
            return render_lines(node, None)
    return []
