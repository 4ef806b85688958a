"""Prose boxes next to the chosen article container.

Templates often split one article over sibling boxes: a teaser or summary box, the body, a closing
box with the last paragraphs. The scorer picks the box with most text; :func:`with_prose_siblings`
then adds the siblings (same parent) that read like article prose: enough text, hardly any links,
sentences, and no class/id that names boilerplate.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from crawler.extract_text_rules import class_id, class_weight, is_unlikely, size, tag_ids

_TAGS = frozenset({"p", "div", "section", "blockquote", "header"})
_MIN_CHARS = 60
_MAX_LINKS = 0.2
_SENTENCE = re.compile(r"[.!?\u3002\uff01\uff1f]\s|[.!?\u3002\uff01\uff1f\"\u201d\u00bb)]\s*$")
_FURNITURE = frozenset(
    tag_ids(frozenset({"h1", "form", "img", "picture", "video", "figure", "ul", "ol", "table", "time", "iframe"}))
)
_LINK = next(iter(tag_ids(frozenset({"a"}))))


def is_prose_box(node: LexborNode) -> bool:
    """A box of article prose: >= 60 characters of sentences, < 20% linked, no furniture inside,
    no boilerplate class/id."""
    if node.tag not in _TAGS:
        return False
    label = class_id(node)
    if is_unlikely(node, label) or class_weight(node, label) < 0:
        return False
    text = node.text()
    text_len = size(text)
    if text_len < _MIN_CHARS or not _SENTENCE.search(text):
        return False
    links = []
    for inner in node.traverse():  # (one walk for the links and the furniture)
        tag_id = inner.tag_id
        if tag_id in _FURNITURE:
            return False
        if tag_id == _LINK:
            links.append(inner)
    return sum(size(link.text()) for link in links) / text_len < _MAX_LINKS  # the link density


def with_prose_siblings(roots: list[LexborNode]) -> list[LexborNode]:
    """``roots`` (siblings, document order) plus the prose boxes among their siblings before the last
    root (a lead or an article part; what follows the article is mostly newsletter and disclaimer)."""
    parent = roots[0].parent
    if parent is None or parent.tag in {"html", "body", "#document"}:
        return roots
    if any(root.parent is None or root.parent.mem_id != parent.mem_id for root in roots):
        return roots
    chosen = {root.mem_id for root in roots}
    out = []
    seen = 0
    for child in parent.iter():
        if child.mem_id in chosen:
            out.append(child)
            seen += 1
        elif seen < len(chosen) and is_prose_box(child):  # before the last root only
            out.append(child)
    return out
