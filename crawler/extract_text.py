"""Main-text extraction (boilerplate removal) over a selectolax Lexbor tree.

Drops non-content elements, scores paragraph containers by text length, commas, class hints and
link density (Readability-style), prefers ``itemprop=articleBody`` and ``<article>``, and returns
headings and paragraphs one block per line. Mutates the tree it is given: call it last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

_DROP = (
    "script, style, noscript, template, svg, nav, footer, aside, form, iframe, button, select, "
    "textarea, input, object, embed, canvas, dialog, menu, [hidden], [aria-hidden=true], "
    "[style*='display:none'], [style*='display: none'], [role=navigation], [role=complementary], "
    "[role=contentinfo], [role=banner], [role=dialog], [role=alert]"
)
_UNLIKELY = re.compile(
    r"-ad-|\bads?\b|advert|banner|breadcrumb|combx|comment|community|cookie|consent|disqus|extra|foot|"
    r"gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|"
    r"supplemental|agegate|pagination|pager|popup|newsletter|subscribe|share|sharing|promo|recommend|"
    r"outbrain|taboola|paywall|signup|modal|teaser|widget|tags?\b|author-bio|byline|toolbar|navbar|"
    r"masthead|cta\b|most-?popular|trending|read-?more|jump|hidden|print",
    re.IGNORECASE,
)
_MAYBE = re.compile(r"\band\b|article|body|column|content|main|shadow|post|entry|story|text", re.IGNORECASE)
_POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story", re.I)
_NEGATIVE = re.compile(
    r"hidden|banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|media|meta|outbrain|"
    r"promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget|teaser",
    re.I,
)
_PARAGRAPHS = "p, pre, blockquote"
_BLOCKS = (
    "p, h1, h2, h3, h4, h5, h6, li, pre, blockquote, dd, dt, tr, div, section, article, figure, "
    "figcaption, table, ul, ol, dl, header, main, br, hr, address, summary, details"
)
_LINKY = "ul, ol, dl, table, div, section, p, li"
_TAG_WEIGHT = {
    "div": 5,
    "article": 10,
    "main": 5,
    "section": 3,
    "pre": 3,
    "td": 3,
    "blockquote": 3,
    "ol": -3,
    "ul": -3,
    "dl": -3,
    "li": -3,
    "form": -3,
    "th": -5,
    "h1": -5,
    "h2": -5,
}
_MARK = "\u2029"
_SPACE = re.compile(r"\s+")
_BOILERPLATE_LINE = re.compile(
    r"^(?:advertisement|anzeige|werbung|publicité|share|share this|tweet|email|print|read more|"
    r"weiterlesen|mehr zum thema|related|loading\.*|skip to content|photo|image|video)\W*$",
    re.IGNORECASE,
)
_MIN_PARAGRAPH = 25
_MAX_LINKY_NODES = 4000


@dataclass
class _Candidate:
    node: LexborNode
    score: float


def _class_id(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def _class_weight(node: LexborNode) -> int:
    label = _class_id(node)
    weight = 0
    if _NEGATIVE.search(label):
        weight -= 25
    if _POSITIVE.search(label):
        weight += 25
    return weight


def _ancestor_ids(node: LexborNode | None) -> set[int]:
    ids: set[int] = set()
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    return ids


def _remove_noise(tree: LexborHTMLParser, keep: set[int]) -> None:
    for node in tree.css(_DROP):
        if node.mem_id not in keep:
            node.decompose()
    for node in tree.css("[class], [id]"):
        if node.tag in {"html", "body", "article", "main", "a"} or node.mem_id in keep:
            continue
        label = _class_id(node)
        if _UNLIKELY.search(label) and not _MAYBE.search(label):
            node.decompose()


def _link_density(node: LexborNode, text_len: int) -> float:
    if text_len == 0:
        return 1.0
    linked = sum(len(a.text()) for a in node.css("a"))
    return min(1.0, linked / text_len)


def _score_paragraphs(root: LexborNode) -> list[_Candidate]:
    scores: dict[int, _Candidate] = {}
    for para in root.css(_PARAGRAPHS):
        text = para.text()
        if len(text.strip()) < _MIN_PARAGRAPH:
            continue
        points = 1 + text.count(",") + min(len(text) // 100, 3)
        node, level = para.parent, 0
        while node is not None and level < 3 and node.tag not in {"html", "#document"}:
            entry = scores.get(node.mem_id)
            if entry is None:
                entry = _Candidate(node, _TAG_WEIGHT.get(node.tag or "", 0) + _class_weight(node))
                scores[node.mem_id] = entry
            entry.score += points / (1 if level == 0 else 2 if level == 1 else level * 3)
            node, level = node.parent, level + 1
    return list(scores.values())


def _best_candidate(root: LexborNode) -> LexborNode | None:
    candidates = sorted(_score_paragraphs(root), key=lambda c: c.score, reverse=True)[:5]
    best: _Candidate | None = None
    for cand in candidates:
        text_len = len(cand.node.text())
        final = cand.score * (1 - _link_density(cand.node, text_len))
        if best is None or final > best.score:
            best = _Candidate(cand.node, final)
    return best.node if best is not None else None


def _promote(node: LexborNode) -> LexborNode:
    """Widen a candidate to its parent when the parent holds clearly more paragraph text."""
    own = sum(len(p.text()) for p in node.css(_PARAGRAPHS))
    for _ in range(3):
        parent = node.parent
        if parent is None or parent.tag in {"body", "html"}:
            break
        total = sum(len(p.text()) for p in parent.css(_PARAGRAPHS))
        if total < own * 1.6 or _link_density(parent, len(parent.text())) > 0.35:
            break
        node, own = parent, total
    return node


def _preferred_root(tree: LexborHTMLParser) -> LexborNode | None:
    bodies = tree.css("[itemprop=articleBody], [itemprop=articlebody]")
    bodies = [node for node in bodies if len(node.text()) >= 200]
    if bodies:
        return max(bodies, key=lambda node: len(node.text()))
    return None


def _prune_linky(root: LexborNode) -> None:
    nodes = root.css(_LINKY)
    if len(nodes) > _MAX_LINKY_NODES:
        return
    for node in nodes:
        text_len = len(node.text().strip())
        if text_len == 0:
            continue
        density = _link_density(node, text_len)
        if (density > 0.5 and text_len < 600) or (density > 0.3 and node.tag in {"ul", "ol"} and text_len < 300):
            node.decompose()


def _collapse_space(text: str, slice_len: int = 1 << 16) -> str:
    """``_SPACE.sub(" ", text).strip()`` in slices: one ``sub`` over a long text keeps a str object per
    word until it joins them (a 10 MB line of words peaked at ~40x its size); slices cap that overhead."""
    if len(text) <= slice_len:
        return _SPACE.sub(" ", text).strip()
    parts, start = [], 0
    while start < len(text):
        end = min(start + slice_len, len(text))
        while end < len(text) and text[end].isspace():  # never cut a run of spaces in two
            end += 1
        parts.append(_SPACE.sub(" ", text[start:end]))
        start = end
    return "".join(parts).strip()


def _lines(root: LexborNode, title: str | None) -> list[str]:
    for node in root.css(_BLOCKS):
        node.insert_before(_MARK)
        node.insert_after(_MARK)
    lines: list[str] = []
    skip = _SPACE.sub(" ", title).strip().casefold() if title else None
    for raw in root.text().split(_MARK):
        line = _collapse_space(raw)
        if len(line) < 2 or _BOILERPLATE_LINE.match(line):
            continue
        if skip and line.casefold() == skip:
            skip = None
            continue
        if lines and lines[-1] == line:
            continue
        lines.append(line)
    return lines


def _from_hint(hint: str | None, text: str) -> str:
    """Fall back to the JSON-LD ``articleBody`` when the markup yielded much less text."""
    if not hint or len(hint) < 500 or len(text) >= 0.6 * len(hint):
        return text
    paragraphs = [_SPACE.sub(" ", part).strip() for part in re.split(r"\n\s*", hint)]
    return "\n".join(part for part in paragraphs if part)


def extract_text(tree: LexborHTMLParser, *, title: str | None = None, hint: str | None = None) -> str:
    """The page's main text, one heading or paragraph per line (mutates ``tree``)."""
    body = tree.body
    if body is None:
        return _from_hint(hint, "")
    root = _preferred_root(tree)
    _remove_noise(tree, _ancestor_ids(root))
    if root is None:
        best = _best_candidate(body)
        root = _promote(best) if best is not None else body
    _prune_linky(root)
    text = "\n".join(_lines(root, title))
    return _from_hint(hint, text)
