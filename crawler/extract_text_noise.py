"""Noise stripping for the main-text extractor: scripts, styles, navigation, hidden and ARIA furniture
leave the whole body before anything is measured (see ``crawler.extract_text``).

Removal is two-phase: decide on the unmodified tree, then remove only the outermost of the chosen
nodes, so no node is touched after an ancestor was destroyed. What the tags give away goes first (one
walk of the body in Python); the query of the hidden elements then walks a smaller tree and also finds
the ``itemprop=articleBody`` elements the extractor prefers, unless the caller knows them already (the
metadata stage's walk found them, and the tree did not change since): then it walks the body only.
"""

from __future__ import annotations

from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.extract_text_rules import NOISE_ATTRS, NOISE_ROLES, NOISE_TAGS, NOSCRIPT_TEXT, size, tag_ids

_NOISE_OR_HEADLINE = tag_ids(NOISE_TAGS | {"aside", "noscript", "h1"})  # what the noise walk looks at
ARTICLE_BODY = "[itemprop=articleBody], [itemprop=articlebody]"  # (values match case-sensitively)
ARTICLE_BODY_VALUES = ("articleBody", "articlebody")
_NOISE_ATTRS_OR_ARTICLE_BODY = f"{NOISE_ATTRS}, {ARTICLE_BODY}"


def strip_noise(
    tree: LexborHTMLParser, *, article_bodies: bool = False, known_bodies: list[LexborNode] | None = None
) -> list[LexborNode]:
    """Remove scripts, styles, navigation, hidden elements and friends from the whole body.

    With ``article_bodies``, also return what ``tree.css(ARTICLE_BODY)`` returns after the removal
    (the ``itemprop=articleBody`` elements of the whole document that stay), found by the query that
    finds the hidden elements: one walk of the tree less. With ``known_bodies`` (what that query
    returns on the tree as it is now, from a walk the caller made anyway: ``read_page``), they are
    that list less what the removal takes, and the query of the hidden elements walks the body only."""
    body = tree.body
    if body is None:
        return []
    noise, holding = _noise_by_tag(body)
    removed_by_tag = outermost(noise, body)  # (the body itself is no noise tag)
    if known_bodies:  # decided before the removal: no node is read after an ancestor was destroyed
        gone = {node.mem_id for node in removed_by_tag}
        memo: dict[int, bool] = {}
        known_bodies = [node for node in known_bodies if not _inside(node, -1, memo, gone)]
    for node in removed_by_tag:
        node.decompose()  # first, so that the query of the attributes walks a smaller tree
    if not article_bodies or known_bodies is not None:
        hidden = [node for node in body.css(NOISE_ATTRS) if _hidden(node.attributes, node.mem_id, holding)]
        removed = {node.mem_id for node in hidden}
        kept = known_bodies or []
        if removed and kept:
            kept = [node for node in kept if not _inside(node, -1, {}, removed)]
        for node in outermost(hidden, None):
            node.decompose()
        return kept if article_bodies else []
    hidden, found = [], []
    seen: set[int] = set()
    in_body: dict[int, bool] = {}
    for node in tree.css(_NOISE_ATTRS_OR_ARTICLE_BODY):  # the whole document, not only the body
        mem_id = node.mem_id
        if mem_id in seen:  # (a node comes once per alternative it matches)
            continue
        seen.add(mem_id)
        attrs = node.attributes
        if attrs.get("itemprop") in ARTICLE_BODY_VALUES:
            found.append(node)
        if _hidden(attrs, mem_id, holding) and _inside(node, body.mem_id, in_body):
            hidden.append(node)
    removed = {node.mem_id for node in hidden}
    kept = [node for node in found if not _inside(node, -1, {}, removed)] if removed else found
    for node in outermost(hidden, None):
        node.decompose()
    return kept


def _noise_by_tag(body: LexborNode) -> tuple[list[LexborNode], set[int]]:
    """The noise that its tag gives away (one walk of the body), and the ``mem_id`` of the elements
    that hold an ``h1`` (an aside or a complementary box holding the headline stays)."""
    noise, asides, headlines = [], [], []
    for node in body.traverse():
        tag_id = node.tag_id
        if tag_id in _NOISE_OR_HEADLINE:  # (a membership test is cheaper than a ``get`` call)
            tag = _NOISE_OR_HEADLINE[tag_id]
            if tag in NOISE_TAGS:
                noise.append(node)
            elif tag == "h1":
                headlines.append(node)
            elif tag == "aside":
                asides.append(node)
            elif _small(node):  # a noscript
                noise.append(node)
    holding = _around(headlines)
    noise.extend(node for node in asides if node.mem_id not in holding)
    return noise, holding


def _inside(node: LexborNode, ancestor_id: int, memo: dict[int, bool], among: set[int] | None = None) -> bool:
    """Whether ``node`` is the element ``ancestor_id`` or inside it, or with ``among``: whether it or
    one of its ancestors is one of those; ``memo`` keeps the answer for every element on the way up."""
    path: list[int] = []
    current: LexborNode | None = node
    found = False
    while current is not None:
        mem_id = current.mem_id
        known = memo.get(mem_id)
        if known is not None:
            found = known
            break
        path.append(mem_id)
        if mem_id == ancestor_id or (among is not None and mem_id in among):
            found = True
            break
        current = current.parent
    for mem_id in path:
        memo[mem_id] = found
    return found


def _around(nodes: list[LexborNode]) -> set[int]:
    """The ``mem_id`` of ``nodes`` and of all their ancestors: the elements that hold one of them
    (found from the nodes up, instead of a query inside each candidate)."""
    ids: set[int] = set()
    for node in nodes:
        current: LexborNode | None = node
        while current is not None and current.mem_id not in ids:
            ids.add(current.mem_id)
            current = current.parent
    return ids


def _small(noscript: LexborNode) -> bool:
    """A ``<noscript>`` image fallback or "enable JavaScript" note (a long one is the page's text)."""
    return size(noscript.text()) < NOSCRIPT_TEXT


def _hidden(attrs: dict[str, str | None], mem_id: int, holding_h1: set[int]) -> bool:
    """Whether an element's attributes make it hidden or ARIA furniture: ``[hidden]`` (not a React
    "S:" boundary), ``aria-hidden=true``, navigation-like roles (a complementary one unless it holds
    the h1: its ``mem_id`` is in ``holding_h1``), inline ``display: none``. Only an element that
    matches ``NOISE_ATTRS`` can be."""
    if "hidden" in attrs and not (attrs.get("id") or "").startswith("S:"):
        return True
    if attrs.get("aria-hidden") == "true":
        return True
    role = attrs.get("role")
    if role is not None and (role in NOISE_ROLES or (role == "complementary" and mem_id not in holding_h1)):
        return True
    style = attrs.get("style") or ""
    return "display:none" in style or "display: none" in style


def outermost(nodes: Iterable[LexborNode], stop: LexborNode | None) -> list[LexborNode]:
    """Those of ``nodes`` (document order) that have no ancestor among them, below ``stop``; each once
    (a selector list returns a node once per alternative it matches)."""
    chosen = list(nodes)
    if len(chosen) < 2:
        return chosen
    ids = {node.mem_id for node in chosen}
    if len(ids) < len(chosen):
        unique: dict[int, LexborNode] = {}
        for node in chosen:
            unique.setdefault(node.mem_id, node)
        chosen = list(unique.values())
    if len(ids) < 2:
        return chosen
    stop_id = stop.mem_id if stop is not None else -1
    out = []
    inside: dict[int, bool] = {}
    for node in chosen:
        path: list[int] = []
        parent = node.parent
        found = False
        while parent is not None and parent.mem_id != stop_id:
            known = inside.get(parent.mem_id)
            if known is not None:
                found = known
                break
            if parent.mem_id in ids:
                found = True
                break
            path.append(parent.mem_id)
            parent = parent.parent
        for mem_id in path:
            inside[mem_id] = found
        if not found:
            out.append(node)
    return out
