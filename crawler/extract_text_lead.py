"""The standfirst (lead, intro, excerpt) that sits just before the chosen article container.

Many templates put the lead paragraph into the article header, next to the headline, and the body
into a sibling container: the scorer then picks the body alone. :func:`lead_lines` looks at the
preceding siblings of the container and of its nearest ancestors for a short, link-free block whose
class names it a lead, and returns its lines so the caller can put them first.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from crawler.extract_text_clean import render_lines
from crawler.extract_text_rules import link_density, size

_LEAD_CLASS = re.compile(r"lead(?!er)|lede|intro|excerpt|standfirst|summary|abstract|dek|sub-?headline", re.IGNORECASE)
_TAGS = frozenset({"p", "div", "section", "header", "span", "h2", "strong"})
_LEVELS = 4  # the container and this many ancestors: a lead further away belongs to something else
_SIBLINGS = 6
_LEAD_CHARS = (40, 800)


def _matches(node: LexborNode, depth: int = 2) -> LexborNode | None:
    """``node`` or one of its descendants (two levels down at most) when its class names a lead."""
    if node.tag not in _TAGS:
        return None
    if _LEAD_CLASS.search(node.attributes.get("class") or ""):
        return node
    if depth:
        for child in node.iter():
            found = _matches(child, depth - 1)
            if found is not None:
                return found
    return None


def _find(root: LexborNode) -> LexborNode | None:
    node: LexborNode | None = root
    for _ in range(_LEVELS):
        if node is None or node.tag in {"body", "html"}:
            return None
        sibling = node.prev
        for _ in range(_SIBLINGS):
            if sibling is None:
                break
            if sibling.tag and not sibling.tag.startswith("-"):
                found = _matches(sibling)
                if found is not None:
                    return found
            sibling = sibling.prev
        node = node.parent
    return None


def lead_lines(roots: list[LexborNode]) -> list[str]:
    """Lines of the lead paragraph placed before ``roots[0]`` (outside it), or []."""
    if not roots:
        return []
    lead = _find(roots[0])
    if lead is None:
        return []
    text_len = size(lead.text())
    if not _LEAD_CHARS[0] <= text_len <= _LEAD_CHARS[1] or link_density(lead, text_len) > 0.2:
        return []
    if lead.css_first("img, picture, video, ul, ol, table, form, time"):
        return []
    return render_lines(lead, None)
