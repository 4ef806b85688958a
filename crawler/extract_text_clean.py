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
    DATE_LINE,
    MARK,
    NOISE_ATTRS,
    NOISE_ROLES,
    NOISE_TAGS,
    NOSCRIPT_TEXT,
    SPACE,
    class_weight,
    collapse_space,
    is_unlikely,
    size,
)

_MARK = MARK
_MAX_NODES = 3000  # per pass: deeper/larger trees are left as they are (cost grows with depth x size)
_CONTAINERS = "div, section, ul, ol, dl, table, figure, form, fieldset, header, p"
_CUT_CHILDREN = "p, li, img, h1, h2, h3, h4, h5, h6, input, a"
_CAPTIONS = "figcaption"
_LONG_CAPTION = 200
_FAST_RUN = 1 << 16  # a longer block is collapsed in slices (bounded peak memory)
# What ``str.split`` treats as whitespace in an ASCII text, besides one space (and two spaces).
_CELLS = frozenset({"td", "th"})
_BLOCKS_AND_CELLS = BLOCKS + ", td, th"
_NAMED_PARAGRAPH = 200  # a paragraph this long stays even when its class reads like boilerplate
_TIMESTAMP = 24  # a longer line is more than a date and a time
_SOFT_HYPHEN = "\u00ad"  # an invisible hyphenation hint inside a word


def strip_noise(tree: LexborHTMLParser) -> None:
    """Remove scripts, styles, navigation, hidden elements and friends from the whole body."""
    body = tree.body
    if body is None:
        return
    noise = []
    for node in body.traverse():
        tag = node.tag
        if tag in NOISE_TAGS or (tag == "aside" and _no_h1(node)) or (tag == "noscript" and _small(node)):
            noise.append(node)
    noise.extend(node for node in body.css(NOISE_ATTRS) if _hidden(node))
    for node in _outermost(noise, None):
        node.decompose()


def _small(noscript: LexborNode) -> bool:
    """A ``<noscript>`` image fallback or "enable JavaScript" note (a long one is the page's text)."""
    return size(noscript.text()) < NOSCRIPT_TEXT


def _no_h1(node: LexborNode) -> bool:
    return not node.css("h1")


def _hidden(node: LexborNode) -> bool:
    """Hidden or ARIA furniture: ``[hidden]`` (not a React "S:" boundary), ``aria-hidden=true``,
    navigation-like roles (a complementary one unless it holds the h1), inline ``display: none``."""
    attrs = node.attributes
    if "hidden" in attrs and not (attrs.get("id") or "").startswith("S:"):
        return True
    if attrs.get("aria-hidden") == "true":
        return True
    role = attrs.get("role")
    if role is not None and (role in NOISE_ROLES or (role == "complementary" and _no_h1(node))):
        return True
    style = attrs.get("style") or ""
    return "display:none" in style or "display: none" in style


def _outermost(nodes: Iterable[LexborNode], stop: LexborNode | None) -> list[LexborNode]:
    """Those of ``nodes`` (document order) that have no ancestor among them, below ``stop``; each once
    (a selector list returns a node once per alternative it matches)."""
    chosen = list(nodes)
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


def _counts(node: LexborNode) -> dict[str, int]:
    counts: dict[str, int] = {}
    for child in node.css(_CUT_CHILDREN):
        tag = child.tag or ""
        counts[tag] = counts.get(tag, 0) + 1
    return counts


def _is_boilerplate(node: LexborNode, text_len: int, root_len: int, linked: int) -> bool:
    """Readability's conditional clean-up, tuned: does this container look like furniture?
    ``linked`` is the size of the text inside its links."""
    if text_len > 0.5 * root_len and root_len > 200:
        return False
    tag = node.tag or ""
    weight = class_weight(node)
    if weight < 0 and text_len < 0.25 * root_len and (tag != "p" or text_len < _NAMED_PARAGRAPH):
        return True  # (a long paragraph is text whatever its class: "com-paragraph" is no comment)
    if text_len == 0:
        return tag not in {"p", "figure", "div", "section"} or not node.css_first("img, picture, video")
    density = min(1.0, linked / text_len)
    if tag == "p":
        return density > 0.75 and text_len < 160
    if tag == "table":  # a data table links its products or names in a cell: only mostly links is a box
        return density > 0.6 and text_len < 2000
    if density > (0.5 if weight >= 25 else 0.35) and text_len < 2000:
        return True
    if tag in {"ul", "ol"} and density > 0.35 and text_len < 600:
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


def _linked_sizes(root: LexborNode, containers: list[LexborNode]) -> dict[int, int]:
    """Size of the link text inside each of ``containers`` (by ``mem_id``; absent = no link text), from
    one query for the root's links instead of one per container."""
    ids = {node.mem_id for node in containers}
    linked: dict[int, int] = {}
    root_id = root.mem_id
    for link in root.css("a"):
        amount = size(link.text())
        if not amount:
            continue
        node = link.parent
        while node is not None:
            if node.mem_id in ids:  # (the root itself may be among them: a query matches it too)
                linked[node.mem_id] = linked.get(node.mem_id, 0) + amount
            if node.mem_id == root_id:
                break
            node = node.parent
    return linked


def prune(root: LexborNode) -> None:
    """Drop boilerplate containers inside the article root (related boxes, share bars, comments...)."""
    for node in root.css(_CAPTIONS):
        if size(node.text()) < _LONG_CAPTION:  # a photo credit/caption; a long one is gallery text
            node.decompose()
    root_len = size(root.text())
    doomed: list[LexborNode] = []
    doomed_sizes: dict[int, int] = {}
    for node in root.css("[class], [id]")[:_MAX_NODES]:  # (a node with both comes twice)
        if node.mem_id not in doomed_sizes and is_unlikely(node):
            text_len = size(node.text())
            if text_len < 0.5 * root_len or root_len < 200:
                doomed.append(node)
                doomed_sizes[node.mem_id] = text_len
    for node in _outermost(doomed, root):
        root_len -= doomed_sizes[node.mem_id]  # the root's text loses exactly the removed subtree's
        node.decompose()
    containers = root.css(_CONTAINERS)
    if len(containers) > _MAX_NODES:
        return
    linked = _linked_sizes(root, containers)
    doomed = []
    for node in containers:
        links = linked.get(node.mem_id, 0)
        if node.tag == "p" and not links and class_weight(node) >= 0:
            continue  # a link-free paragraph stays (an empty one renders as nothing either way)
        if _is_boilerplate(node, size(node.text()), root_len, links):
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
        if len(part) > _FAST_RUN:
            out.append(collapse_space(part))
        elif part.isascii() and _single_spaced(part):
            out.append(part.strip())  # single spaces only: nothing to collapse (no per-word objects)
        else:
            out.append(" ".join(part.split()))
    return out


def _single_spaced(part: str) -> bool:
    """Whether a text has no whitespace but single spaces, as ``str.split`` sees ASCII whitespace
    (chained ``in`` scans are much faster than a regex search or a per-word split)."""
    return not (
        "\n" in part
        or "  " in part
        or "\t" in part
        or "\r" in part
        or "\x0b" in part
        or "\x0c" in part
        or "\x1c" in part
        or "\x1d" in part
        or "\x1e" in part
        or "\x1f" in part
    )


def _is_timestamp(line: str) -> bool:
    """A line that is only a date ("23.10.2018", "2024-03-02") and/or a time ("19:49", "3:59 PM")."""
    return len(line) <= _TIMESTAMP and line[0].isdigit() and DATE_LINE.fullmatch(line) is not None


def render_lines(root: LexborNode, title: str | None) -> list[str]:
    """The root's text, one block (paragraph, heading, list item, ``<br>``-separated run) per line."""
    for node in root.css(_BLOCKS_AND_CELLS):
        if node.tag in _CELLS:
            node.insert_before(" ")  # a table row is one line, its cells apart
        else:
            node.insert_before(_MARK)
            node.insert_after(_MARK)
    lines: list[str] = []
    skip = SPACE.sub(" ", title).strip().casefold() if title else None
    for line in _block_texts(root.text().replace(_SOFT_HYPHEN, "")):
        if len(line) < 2 or BOILERPLATE_LINE.match(line) or _is_timestamp(line):
            continue
        if skip and line.casefold() == skip:
            skip = None
            continue
        if lines and lines[-1] == line:
            continue
        lines.append(line)
    return lines
