"""Tree clean-up for the main-text extractor: noise stripping, boilerplate pruning inside the chosen
article container, and the block-per-line text rendering.

Removal is two-phase everywhere: decide on the unmodified tree, then remove only the outermost of the
chosen nodes, so no node is touched after an ancestor was destroyed.
"""

from __future__ import annotations

from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.extract_text_rules import (
    BLOCKS,
    BOILERPLATE_LINE,
    HARD_NOISE,
    MARK,
    SPACE,
    class_weight,
    collapse_space,
    is_unlikely,
    link_density,
    size,
)

_MARK = MARK
_MAX_NODES = 3000  # per pass: deeper/larger trees are left as they are (cost grows with depth x size)
_CONTAINERS = "div, section, ul, ol, dl, table, figure, form, fieldset, header, p"
_CUT_CHILDREN = "p, li, img, h1, h2, h3, h4, h5, h6, input, a"
_CAPTIONS = "figcaption"
_LONG_CAPTION = 200
_FAST_RUN = 1 << 16  # a longer block is collapsed in slices (bounded peak memory)


def strip_noise(tree: LexborHTMLParser) -> None:
    """Remove scripts, styles, navigation, hidden elements and friends from the whole tree."""
    for node in _outermost(tree.css(HARD_NOISE), None):
        node.decompose()


def _outermost(nodes: Iterable[LexborNode], stop: LexborNode | None) -> list[LexborNode]:
    """Those of ``nodes`` (document order) that have no ancestor among them, below ``stop``."""
    chosen = list(nodes)
    ids = {node.mem_id for node in chosen}
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


def _counts(node: LexborNode) -> dict[str, int]:
    counts: dict[str, int] = {}
    for child in node.css(_CUT_CHILDREN):
        tag = child.tag or ""
        counts[tag] = counts.get(tag, 0) + 1
    return counts


def _is_boilerplate(node: LexborNode, text_len: int, root_len: int) -> bool:
    """Readability's conditional clean-up, tuned: does this container look like furniture?"""
    if text_len > 0.5 * root_len and root_len > 200:
        return False
    tag = node.tag or ""
    weight = class_weight(node)
    if weight < 0 and text_len < 0.25 * root_len:
        return True
    if text_len == 0:
        return tag not in {"p", "figure", "div", "section"} or not node.css_first("img, picture, video")
    density = link_density(node, text_len)
    if tag == "p":
        return density > 0.75 and text_len < 160
    if density > (0.5 if weight >= 25 else 0.35) and text_len < 2000:
        return True
    if tag in {"ul", "ol"} and density > 0.25 and text_len < 600:
        return True
    if tag in {"table", "dl"}:
        return False
    counts = _counts(node)
    paragraphs = counts.get("p", 0)
    if counts.get("input", 0) > max(1, paragraphs // 3):
        return True
    if tag not in {"ul", "ol"} and counts.get("li", 0) > 2 * paragraphs + 4 and density > 0.2:
        return True
    headings = sum(counts.get(h, 0) for h in ("h2", "h3", "h4", "h5", "h6"))
    return bool(headings >= 3 and counts.get("a", 0) >= headings and paragraphs < headings and density > 0.2)


def prune(root: LexborNode) -> None:
    """Drop boilerplate containers inside the article root (related boxes, share bars, comments...)."""
    for node in root.css(_CAPTIONS):
        if size(node.text()) < _LONG_CAPTION:  # a photo credit/caption; a long one is gallery text
            node.decompose()
    root_len = size(root.text())
    unlikely = [node for node in root.css("[class], [id]")[:_MAX_NODES] if is_unlikely(node)]
    doomed = [node for node in unlikely if size(node.text()) < 0.5 * root_len or root_len < 200]
    for node in _outermost(doomed, root):
        node.decompose()
    containers = root.css(_CONTAINERS)
    if len(containers) > _MAX_NODES:
        return
    root_len = size(root.text())
    doomed = []
    for node in containers:
        text_len = size(node.text())
        if _is_boilerplate(node, text_len, root_len):
            doomed.append(node)
    for node in _outermost(doomed, root):
        node.decompose()


def _block_texts(text: str) -> list[str]:
    """The ``_MARK``-separated runs of ``text``, whitespace collapsed and stripped.

    Same as ``collapse_space(text, pattern=SPACE_BUT_MARK).split(_MARK)`` with each part stripped, but
    ``str.split`` (the same whitespace as ``\\s``) is much faster than a regex; a huge run keeps the sliced
    regex path, which bounds peak memory.
    """
    out = []
    for part in text.split(_MARK):
        if len(part) <= _FAST_RUN:
            out.append(" ".join(part.split()))
        else:
            out.append(collapse_space(part))
    return out


def render_lines(root: LexborNode, title: str | None) -> list[str]:
    """The root's text, one block (paragraph, heading, list item, ``<br>``-separated run) per line."""
    for node in root.css(BLOCKS):
        node.insert_before(_MARK)
        node.insert_after(_MARK)
    for node in root.css("td, th"):
        node.insert_before(" ")  # a table row is one line, its cells apart
    lines: list[str] = []
    skip = SPACE.sub(" ", title).strip().casefold() if title else None
    for line in _block_texts(root.text()):
        if len(line) < 2 or BOILERPLATE_LINE.match(line):
            continue
        if skip and line.casefold() == skip:
            skip = None
            continue
        if lines and lines[-1] == line:
            continue
        lines.append(line)
    return lines
