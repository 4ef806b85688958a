"""Tree clean-up for the main-text extractor: boilerplate pruning inside the chosen article container,
and the block-per-line text rendering (the noise stripping before both: ``crawler.extract_text_noise``).

Removal is two-phase everywhere: decide on the unmodified tree, then remove only the outermost of the
chosen nodes, so no node is touched after an ancestor was destroyed.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from crawler.extract_text_noise import outermost
from crawler.extract_text_rules import (
    BLOCKS,
    BOILERPLATE_LINE,
    BOILERPLATE_PHRASE,
    DATE_LINE,
    MARK,
    SPACE,
    Tags,
    class_weight,
    collapse_space,
    is_unlikely,
    size,
    tag_ids,
)

_MARK = MARK
_MARK_BYTES = MARK.encode()
_MAX_NODES = 3000  # per pass: deeper/larger trees are left as they are (cost grows with depth x size)
_CONTAINER_IDS = frozenset(
    tag_ids(frozenset({"div", "section", "ul", "ol", "dl", "table", "figure", "form", "fieldset", "header", "p"}))
)
_CAPTION, _LINK, _PARAGRAPH = (next(iter(tag_ids(frozenset({name})))) for name in ("figcaption", "a", "p"))
_CUT_CHILDREN = Tags("p, li, img, h1, h2, h3, h4, h5, h6, input, a")
_MEDIA = Tags("img, picture, video")
_LONG_CAPTION = 200
_FEW_ELEMENTS = 64  # a root with no more elements has their attributes read one by one, not queried
_SIZE_STEP = 512  # characters of the root's text measured at least at a time
_FAST_RUN = 1 << 16  # a longer block is collapsed in slices (bounded peak memory)
_CELL_IDS = frozenset(tag_ids(frozenset({"td", "th"})))
_BLOCKS_AND_CELLS = Tags(BLOCKS + ", td, th")
_BLOCK_IDS = _BLOCKS_AND_CELLS.ids - _CELL_IDS
_LINKED_PARAGRAPH = 160  # a paragraph this long stays whatever its links
_NAMED_PARAGRAPH = 200  # a paragraph this long stays even when its class reads like boilerplate
_TIMESTAMP = 24  # a longer line is more than a date and a time
_SOFT_HYPHEN = "\u00ad"  # an invisible hyphenation hint inside a word


def _counts(node: LexborNode) -> dict[str, int]:
    counts: dict[str, int] = {}
    for child in _CUT_CHILDREN.find(node):
        tag = child.tag or ""
        counts[tag] = counts.get(tag, 0) + 1
    return counts


class _RootSize:
    """The :func:`size` of the root's text less what was removed since, compared with thresholds
    while reading only as much of the text as the comparisons need (a whole-text pass is slow and
    most comparisons are settled by the first few hundred characters)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.removed = 0
        self._read = 0  # characters of the text measured so far
        self._found = 0  # their size

    def exceeds(self, amount: int) -> bool:
        """``size(text) - removed > amount``."""
        need = amount + self.removed + 1
        text = self.text
        while self._found < need and self._read < len(text):
            step = min(max(2 * (need - self._found), _SIZE_STEP), _FAST_RUN)  # (bounded copies)
            self._found += size(text[self._read : self._read + step])
            self._read += step
        return self._found >= need

    def exact(self) -> int:
        if self._read < len(self.text):
            self._found += size(self.text[self._read :] if self._read else self.text)  # (no copy when unread)
            self._read = len(self.text)
        return self._found - self.removed


def _is_boilerplate(node: LexborNode, text_len: int, root: _RootSize, linked: int, named: bool) -> bool:
    """Readability's conditional clean-up, tuned: does this container look like furniture?
    ``linked`` is the size of the text inside its links; ``root`` the size of the root's text (the
    comparisons with it are written as integer ones: ``text_len > 0.5 * root`` is ``root < 2 * text_len``);
    ``named``: whether it has a class or an id (else its class weight is 0)."""
    tag = node.tag or ""
    weight = class_weight(node) if named else 0
    if tag == "p" and weight >= 0 and text_len >= _LINKED_PARAGRAPH:
        return False  # (no rule below takes it: settled without reading the root's size)
    if root.exceeds(200) and not root.exceeds(2 * text_len - 1):
        return False
    if weight < 0 and root.exceeds(4 * text_len) and (tag != "p" or text_len < _NAMED_PARAGRAPH):
        return True  # (a long paragraph is text whatever its class: "com-paragraph" is no comment)
    if text_len == 0:
        return tag not in {"p", "figure", "div", "section"} or not _MEDIA.held(node)
    density = min(1.0, linked / text_len)
    if tag == "p":
        return density > 0.75 and text_len < _LINKED_PARAGRAPH
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


Elements = list[tuple[LexborNode, int]]  # elements of a subtree with their tag ids, document order


def _elements(root: LexborNode) -> Elements:
    """The root and the elements inside it, from one walk instead of a query per kind of element."""
    return [(node, node.tag_id) for node in root.traverse()]


def _remove(nodes: list[LexborNode], elements: Elements) -> Elements:
    """Decompose ``nodes`` (none inside another) and return ``elements`` without what went with them."""
    if not nodes:
        return elements
    gone = {inner.mem_id for node in nodes for inner in node.traverse()}
    kept = [element for element in elements if element[0].mem_id not in gone]
    for node in nodes:
        node.decompose()
    return kept


def _linked_sizes(root: LexborNode, links: list[LexborNode]) -> dict[int, int]:
    """Size of the link text inside each element of the root (by ``mem_id``; absent = no link text),
    from the root's ``links`` up instead of a query per container."""
    linked: dict[int, int] = {}
    root_id = root.mem_id
    for link in links:
        amount = size(link.text())
        if not amount:
            continue
        node = link.parent
        while node is not None:
            mem_id = node.mem_id
            linked[mem_id] = linked.get(mem_id, 0) + amount
            if mem_id == root_id:  # (the root itself is a candidate: a query matches it too)
                break
            node = node.parent
    return linked


def _named(root: LexborNode, elements: Elements) -> list[LexborNode]:
    """``root.css("[class], [id]")`` (a node with both comes twice), read from the attributes of the
    root's ``elements`` when there are few (a query parses its selector again each time)."""
    if len(elements) > _FEW_ELEMENTS:
        return root.css("[class], [id]")
    named = []
    for node, _ in elements:
        attrs = node.attributes
        if "class" in attrs:
            named.append(node)
        if "id" in attrs:
            named.append(node)
    return named


def prune(root: LexborNode) -> Elements:
    """Drop boilerplate containers inside the article root (related boxes, share bars, comments...);
    return the elements that stay (for :func:`render_lines`)."""
    elements = _elements(root)
    captions = [
        node
        for node, tag_id in elements
        if tag_id == _CAPTION and size(node.text()) < _LONG_CAPTION  # a credit; a long one is gallery text
    ]
    elements = _remove(outermost(captions, root), elements)
    root_size = _RootSize(root.text())
    doomed: list[LexborNode] = []
    doomed_sizes: dict[int, int] = {}
    named = _named(root, elements)
    for node in named[:_MAX_NODES]:
        if node.mem_id not in doomed_sizes and is_unlikely(node):
            text_len = size(node.text())
            if root_size.exceeds(2 * text_len) or not root_size.exceeds(199):  # (half the root's, or < 200)
                doomed.append(node)
                doomed_sizes[node.mem_id] = text_len
    doomed = outermost(doomed, root)
    for node in doomed:
        root_size.removed += doomed_sizes[node.mem_id]  # the root's text loses exactly the subtree's
    elements = _remove(doomed, elements)
    containers = [element for element in elements if element[1] in _CONTAINER_IDS]
    if len(containers) > _MAX_NODES:
        return elements
    linked = _linked_sizes(root, [node for node, tag_id in elements if tag_id == _LINK])
    labelled = {node.mem_id for node in named}  # the others have no class/id: a class weight of 0
    doomed = []
    root_id = root.mem_id
    for node, tag_id in containers:
        mem_id = node.mem_id
        links = linked.get(mem_id, 0)
        has_label = mem_id in labelled
        if tag_id == _PARAGRAPH and not links and (not has_label or class_weight(node) >= 0):
            continue  # a link-free paragraph stays (an empty one renders as nothing either way)
        if mem_id != root_id:
            text_len = size(node.text())
        elif root_size.exceeds(200):
            continue  # (the root matches itself) all of the root's text, and more than 200: it stays
        else:
            text_len = root_size.exact()
        if _is_boilerplate(node, text_len, root_size, links, has_label):
            doomed.append(node)
    return _remove(outermost(doomed, root), elements)


def _block_texts(text: str) -> list[str]:
    """The ``_MARK``-separated runs of ``text``, whitespace collapsed and stripped.

    Same as ``collapse_space(text, pattern=SPACE_BUT_MARK).split(_MARK)`` with each part stripped, but
    ``str.split`` (the same whitespace as ``\\s``) is much faster than a regex; a huge run keeps the sliced
    regex path, which bounds peak memory. A stripped ASCII run whose only whitespace is single spaces
    is kept as it is (no per-word objects); which other whitespace can occur at all is read once from
    the whole text, so a run is scanned only for those (chained ``in`` scans are much faster than a
    regex search or a per-word split).
    """
    rare = tuple(space for space in _RARE_SPACES if space in text)
    out = []
    for part in text.split(_MARK):
        inner = part.strip()
        if inner.isascii():  # (an empty run is ASCII too)
            for space in rare:
                if space in inner:
                    break
            else:
                out.append(inner)  # single spaces only: nothing to collapse
                continue
        out.append(collapse_space(part) if len(part) > _FAST_RUN else " ".join(inner.split()))
    return out


# What ``str.split`` treats as whitespace in an ASCII text besides one space.
_RARE_SPACES = ("\n", "  ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def _is_timestamp(line: str) -> bool:
    """A line that is only a date ("23.10.2018", "2024-03-02") and/or a time ("19:49", "3:59 PM")."""
    return len(line) <= _TIMESTAMP and line[0].isdigit() and DATE_LINE.fullmatch(line) is not None


def _may_be_boilerplate(line: str, length: int) -> bool:
    """A cheap necessary condition of ``BOILERPLATE_LINE``: no word character (``\\w``: alphanumeric or
    an underscore) after its longest phrase."""
    if length <= BOILERPLATE_PHRASE:
        return True
    char = line[BOILERPLATE_PHRASE]
    return not (char.isalnum() or char == "_")


def render_lines(root: LexborNode, title: str | None, elements: Elements | None = None) -> list[str]:
    """The root's text, one block (paragraph, heading, list item, ``<br>``-separated run) per line;
    ``elements``: the root's (from :func:`prune`), when known."""
    if elements is None:
        elements = [(node, node.tag_id) for node in _BLOCKS_AND_CELLS.find(root)]
    for node, tag_id in elements:
        if tag_id in _CELL_IDS:
            node.insert_before(b" ")  # a table row is one line, its cells apart
        elif tag_id in _BLOCK_IDS:
            node.insert_before(_MARK_BYTES)
            node.insert_after(_MARK_BYTES)
    lines: list[str] = []
    skip = SPACE.sub(" ", title).strip().casefold() if title else None
    text = root.text()
    if _SOFT_HYPHEN in text:  # (a membership test is a fast scan, a ``replace`` a slower one)
        text = text.replace(_SOFT_HYPHEN, "")
    for line in _block_texts(text):
        length = len(line)
        if length < 2 or (length <= _TIMESTAMP and _is_timestamp(line)):
            continue
        if _may_be_boilerplate(line, length) and BOILERPLATE_LINE.match(line):
            continue
        if skip and len(line) <= len(skip) and line.casefold() == skip:  # (casefolding never shortens)
            skip = None
            continue
        if lines and lines[-1] == line:
            continue
        lines.append(line)
    return lines
