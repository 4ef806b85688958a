"""Main-text extraction (boilerplate removal) over a selectolax Lexbor tree.

1. Strip hard noise (scripts, styles, navigation, hidden and ARIA furniture) from the whole body; a
   ``<noscript>`` with a real text (the page for readers without JavaScript) stays.
2. Choose the article container, without touching the tree:
   * JSON-LD ``articleBody`` given: the deepest element holding >= 85% of the page paragraphs whose
     text appears in it, unless the scorer's container holds three times its text (the
     ``articleBody`` was one live-blog update or a cut-short teaser);
   * else ``itemprop=articleBody`` (with its sibling paragraphs when each one carries the property);
   * else Readability-style scoring: every paragraph (``p``, ``pre``, ``td``, a ``div``'s own text...)
     gives points (1 + commas + length) to its five nearest ancestors, ancestors start from a tag and
     class/id weight, and the best score times (1 - link density) wins. Paragraphs inside containers
     whose class/id names boilerplate are ignored on the first pass, counted on a retry when the first
     pass finds almost nothing (so a page that calls its wrapper "sticky-header" still works).
     On a page with two or more ``<article>`` elements, a candidate inside the article holding the
     headline (``h1``) wins over a better one elsewhere (a second story below the first).
     Siblings of the winner that score well or read like prose join it (articles split in parts).
     A small strict winner (page-builder pages: one text module per column) climbs to the ancestor
     that gathers clearly more paragraph text, or loses to a loose-pass winner with twice its text
     (unless that one is a comment thread or a related-stories box); a large one climbs too, more
     strictly and never above an ``article``/``main`` element or the page's top-level wrappers
     (articles split over CMS modules).
     WordPress taxonomy classes ("tag-..."), state modifiers ("has-ads", "Section--Ads") are ignored
     when reading class names. A one-paragraph ``articleBody`` (a truncated summary) does not confine
     the container. Prose boxes before the container, next to it, join it (a teaser or summary box).
3. A lead/standfirst block before the container (class named lead/intro/teaser/chapo/... or the first
   long text after the headline in a header) is put first.
4. Inside the container, prune boilerplate (class/id words, link density, lists of headlines, forms)
   and render one block per line: paragraphs, headings, list items and ``<br>``-separated runs; lines
   that are only a date or a time are dropped, and so are furniture lines whatever their markup
   (captions and credits, "read also" links, closing calls to action, datelines: see
   ``crawler.extract_text_lines``).
5. Fall back to the ``articleBody`` text itself when the markup gave much less.

Cost: each whole-tree CSS query and each ``text()`` call is a walk over the tree, so the steps share
measurements (link text per container from one query of the links, text sizes read once, whole-text
size checks that stop early) and the renderer avoids per-word splitting where it can. The page is
walked twice: once in Python for the noise tags, once by the query of the hidden elements, which
also finds the ``itemprop=articleBody`` elements (unless the metadata stage's walk found them already:
``TextHint``; then it walks the body only). Lexbor parses a selector again on every query, so small
subtrees (an article container, a box) are walked in Python instead (``extract_text_rules.Tags``, tag
ids rather than names), and each article root once: the pruning's list of its elements serves the
renderer too.

Mutates the tree it is given: call it last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.extract_text_clean import prune, render_lines
from crawler.extract_text_lead import lead_lines
from crawler.extract_text_lines import drop_furniture_lines
from crawler.extract_text_noise import strip_noise
from crawler.extract_text_rules import (
    PARAGRAPHS,
    SPACE,
    TAG_WEIGHT,
    Tags,
    at_least,
    class_id,
    class_weight,
    collapse_space,
    holds_text,
    is_unlikely,
    link_density,
    size,
)
from crawler.extract_text_siblings import with_prose_siblings
from crawler.extract_text_state import state_text

_MIN_PARAGRAPH = 25
_MAX_PARAGRAPHS = 3000
_LEVELS = 5
_UNLIKELY_LEVELS = 6  # layout wrappers further up often carry odd names; boxes sit close
_HINT_LEVELS = 40
_SPLIT_LEVELS = 4  # how far up a split article's common ancestor may be
_MIN_TEXT = 250  # a first pass that yields less than this retries with the class/id filter off
_LINKED_HEADINGS = "h2 a, h3 a, h4 a, a h2, a h3, a h4"
_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f\"\u201d\u00bb)]\s*$")
_TAIL = 40
_PARAGRAPH_TAGS = Tags("p")
_LONE = frozenset({"p", "blockquote", "pre", "td", "li", "span"})
_COMMENTS_OR_RELATED = re.compile(r"comment|repl(?:y|ies)|discussion|kommentar|related|recommend", re.IGNORECASE)
_SMALL = 1000  # a strict-pass winner with less text than this may be widened or lose to the loose pass
_LOOSE_GAIN = 2.0  # ... to a loose-pass winner with this many times its text
_WIDEN_GAIN = 1.5  # an ancestor gathering this many times the paragraph text replaces a small winner
_WIDEN_SHARE = 0.5  # ... when paragraphs make up this share of its text
_WIDEN_LEVELS = 8
_SPLIT_GAIN, _SPLIT_SHARE, _SPLIT_DENSITY = 1.5, 0.5, 0.25  # ... the stricter climb of a large winner
_MERGE = 0.6  # a rival candidate this close to the best is another part of the same article
_HINT_GAIN = 3.0  # a scored container with this many times the articleBody container's text wins
_HEADED_SHARE = 0.3  # a candidate under the headline wins over a best this many times better elsewhere
_MIN_BODY = 200  # an itemprop=articleBody with less text is a stub
_MIN_STATE = 500  # markup text shorter than this is checked against the scripts' JSON state


@dataclass
class _Candidate:
    node: LexborNode
    score: float


@dataclass
class _Para:
    node: LexborNode
    text: str
    length: int  # size(text), measured once


def _paragraphs(body: LexborNode) -> list[_Para]:
    """Text-bearing blocks: paragraph-like elements, and ``div``/``section`` runs of loose text."""
    out = []
    for node in body.css(PARAGRAPHS)[:_MAX_PARAGRAPHS]:
        text = node.text()
        length = size(text)
        if length >= _MIN_PARAGRAPH:
            out.append(_Para(node, text, length))
    for node in body.css("div, section, article, span")[:_MAX_PARAGRAPHS]:
        own = node.text(deep=False)
        length = size(own)
        if length >= _MIN_PARAGRAPH:
            out.append(_Para(node, own, length))
    return out


class _Unlikely:
    """Whether a paragraph sits in a boilerplate-named box: one of its few nearest ancestors."""

    def __init__(self) -> None:
        self.memo: dict[int, bool] = {}

    def inside(self, node: LexborNode) -> bool:
        current: LexborNode | None = node
        for _ in range(_UNLIKELY_LEVELS):
            if current is None or current.tag in {"body", "html"}:
                return False
            known = self.memo.get(current.mem_id)
            if known is None:
                known = self.memo[current.mem_id] = is_unlikely(current)
            if known:
                return True
            current = current.parent
        return False


def _score(paras: list[_Para], strict: bool) -> dict[int, _Candidate]:
    scores: dict[int, _Candidate] = {}
    unlikely = _Unlikely()
    for para in paras:
        if strict and unlikely.inside(para.node):
            continue
        text = para.text
        points = 1 + _commas(text[:5000]) + min(para.length // 100, 3)
        node, level = para.node.parent, 0
        while node is not None and level < _LEVELS and node.tag not in {"html", "#document"}:
            entry = scores.get(node.mem_id)
            if entry is None:
                weight = _TAG(node) + (class_weight(node) if strict else 0)
                entry = scores[node.mem_id] = _Candidate(node, weight)
            entry.score += points / (1 if level == 0 else 2 if level == 1 else level * 3)
            node, level = node.parent, level + 1
    return scores


def _commas(text: str) -> int:
    """``len(COMMAS.findall(text))``, counted without a regex."""
    return text.count(",") + text.count("\uff0c") + text.count("\u3001") + text.count("\u060c")


def _TAG(node: LexborNode) -> int:
    return TAG_WEIGHT.get(node.tag or "", 0)


def _ancestors(node: LexborNode, levels: int) -> list[LexborNode]:
    out: list[LexborNode] = []
    parent = node.parent
    while parent is not None and len(out) < levels and parent.tag not in {"html", "#document"}:
        out.append(parent)
        parent = parent.parent
    return out


def _common_ancestor(best: _Candidate, top: list[_Candidate], scores: dict[int, _Candidate]) -> _Candidate:
    """Readability's rule: when two more top candidates, neither inside nor around the best, score
    alike, the article is split in parts (CMS "paragraph" components): take the nearest ancestor of
    the best (a few levels up at most) that holds two of them."""
    above = _ancestors(best.node, _HINT_LEVELS)
    above_ids = {node.mem_id for node in above}
    held: dict[int, int] = {}
    for cand in top:
        if cand.score < _MERGE * top[0].score or cand.node.mem_id == best.node.mem_id:
            continue
        if cand.node.mem_id in above_ids:
            continue
        chain = _ancestors(cand.node, _HINT_LEVELS)
        if any(node.mem_id == best.node.mem_id for node in chain):
            continue
        for node in chain:
            held[node.mem_id] = held.get(node.mem_id, 0) + 1
    for node in above[:_SPLIT_LEVELS]:
        if node.tag == "body":
            break
        if held.get(node.mem_id, 0) >= 2:
            entry = scores.get(node.mem_id)
            return _Candidate(node, max(best.score, entry.score if entry else 0.0))
    return best


def _best(scores: dict[int, _Candidate], headed: LexborNode | None) -> _Candidate | None:
    ranked = sorted(scores.values(), key=lambda c: c.score, reverse=True)
    top = ranked[:5]
    best = _best_of(top)
    if best is None:
        return None
    if headed is not None and not _related(best.node, headed):
        own = _best_of([cand for cand in ranked if _inside(cand.node, headed)][:5])
        if own is not None and own.score >= _HEADED_SHARE * best.score:
            return own
    return _common_ancestor(best, top, scores)


def _inside(node: LexborNode, container: LexborNode) -> bool:
    return node.mem_id == container.mem_id or any(
        up.mem_id == container.mem_id for up in _ancestors(node, _HINT_LEVELS)
    )


def _related(node: LexborNode, container: LexborNode) -> bool:
    return _inside(node, container) or _inside(container, node)


def _headed_article(body: LexborNode) -> LexborNode | None:
    """The ``<article>`` that holds the page's first ``<h1>`` (the headline), when the page has two or
    more articles (a second story, teasers): the article text belongs under its headline."""
    if len(body.css("article")) < 2:
        return None
    heading = body.css_first("h1")
    if heading is None:
        return None
    for node in _ancestors(heading, _HINT_LEVELS):
        if node.tag == "article":
            return node
    return None


def _best_of(top: list[_Candidate]) -> _Candidate | None:
    best: _Candidate | None = None
    for cand in top:
        final = cand.score * (1 - link_density(cand.node, size(cand.node.text())))
        teasers = len(cand.node.css(_LINKED_HEADINGS))
        if teasers >= 3 and teasers * 3 >= len(_PARAGRAPH_TAGS.find(cand.node)):
            final *= 0.3  # a list of headline links with blurbs, not an article
        if best is None or final > best.score:
            best = _Candidate(cand.node, final)
    return best


def _with_siblings(best: _Candidate, scores: dict[int, _Candidate]) -> list[LexborNode]:
    """The winner plus those siblings that score well or read like prose (Readability's rule)."""
    parent = best.node.parent
    if parent is None or parent.tag in {"html", "#document"}:
        return [best.node]
    threshold = max(10.0, best.score * 0.2)
    label = class_id(best.node).strip()
    roots = []
    for sibling in parent.iter():
        if sibling.mem_id == best.node.mem_id:
            roots.append(sibling)
            continue
        entry = scores.get(sibling.mem_id)
        bonus = best.score * 0.2 if label and class_id(sibling).strip() == label else 0.0
        if entry is not None and entry.score + bonus >= threshold:
            roots.append(sibling)
        elif sibling.tag == "p":
            text = sibling.text()
            text_len = size(text)
            density = link_density(sibling, text_len)
            if (text_len > 80 and density < 0.25) or (
                0 < text_len <= 80 and density == 0 and _SENTENCE_END.search(text)
            ):
                roots.append(sibling)
    return roots


def _widen(
    root: LexborNode, paras: list[_Para], strict: bool, *, split: bool = False, headed: LexborNode | None = None
) -> LexborNode:
    """A small winner among sibling boxes (page-builder modules, one text block per column): climb to
    the ancestor that gathers clearly more paragraph text while staying mostly paragraphs.

    ``split``: the winner is already large but may be one part of an article split over boxes (live
    blog entries, CMS text modules). Then the climb is stricter: more paragraph text, fewer links, and it
    stops at an ``article``/``main`` element and below the page's top-level wrappers. It never leaves
    the ``headed`` article (the one under the page's headline)."""
    if (split and root.tag in {"article", "main"}) or (headed is not None and root.mem_id == headed.mem_id):
        return root
    unlikely = _Unlikely()
    held: dict[int, int] = {}
    for para in paras:
        if strict and unlikely.inside(para.node):
            continue
        if link_density(para.node, para.length) > 0.3:
            continue
        weight = para.length
        for node in _ancestors(para.node, _WIDEN_LEVELS + 4):
            held[node.mem_id] = held.get(node.mem_id, 0) + weight
    gain, share, density = (_SPLIT_GAIN, _SPLIT_SHARE, _SPLIT_DENSITY) if split else (_WIDEN_GAIN, _WIDEN_SHARE, 0.3)
    best, best_held = root, held.get(root.mem_id, 0)
    for node in _ancestors(root, _WIDEN_LEVELS):
        parent = node.parent
        if node.tag == "body" or (split and (parent is None or parent.tag in {"body", "html"})):
            break
        gathered = held.get(node.mem_id, 0)
        if gathered >= gain * best_held:
            text_len = size(node.text())
            if gathered >= share * text_len and link_density(node, text_len) < density:
                best, best_held = node, gathered
        if (split and node.tag in {"article", "main"}) or (headed is not None and node.mem_id == headed.mem_id):
            break
    return best


def _in_comments_or_related(node: LexborNode) -> bool:
    """Whether a container is (inside) a comment thread or a box of related stories."""
    current: LexborNode | None = node
    while current is not None and current.tag not in {"body", "html"}:
        if _COMMENTS_OR_RELATED.search(class_id(current)):
            return True
        current = current.parent
    return False


def _hint_root(paras: list[_Para], hint: str) -> LexborNode | None:
    """The deepest element that holds >= 85% of the paragraph text found in the ``articleBody``."""
    flat = collapse_space(hint).casefold()
    sums: dict[int, _Candidate] = {}
    total = 0
    for para in paras:
        probe = collapse_space(para.text[:200]).casefold()[:80]
        if len(probe) < _MIN_PARAGRAPH or probe not in flat:
            continue
        weight = para.length
        total += weight
        node: LexborNode | None = para.node
        level = 0
        while node is not None and level < _HINT_LEVELS and node.tag not in {"html", "#document"}:
            entry = sums.get(node.mem_id)
            if entry is None:
                entry = sums[node.mem_id] = _Candidate(node, 0.0)
            entry.score += weight
            node, level = node.parent, level + 1
    if total < 0.3 * size(hint):
        return None
    holding = [c for c in sums.values() if c.score >= 0.85 * total]
    return min(holding, key=lambda c: c.score).node if holding else None


def _preferred_root(bodies: list[LexborNode]) -> list[LexborNode]:
    """The ``itemprop=articleBody`` element with most text (``bodies``: all of them, document order),
    with its siblings that carry the same property (templates that mark every paragraph as
    ``articleBody``); [] when there is none."""
    if not bodies:
        return []
    if len(bodies) == 1:
        return bodies if holds_text(bodies[0], _MIN_BODY) else []
    sizes = [size(node.text()) for node in bodies]
    best = max(range(len(bodies)), key=sizes.__getitem__)
    parent = bodies[best].parent
    if parent is None:
        return []
    parts = [
        (node, length)
        for node, length in zip(bodies, sizes, strict=True)
        if node.parent is not None and node.parent.mem_id == parent.mem_id
    ]
    return [node for node, _ in parts] if sum(length for _, length in parts) >= _MIN_BODY else []


def _choose(body: LexborNode, hint: str | None, article_bodies: list[LexborNode]) -> list[LexborNode]:
    paras: list[_Para] | None = None
    if hint and size(hint) >= 200:
        paras = _paragraphs(body)
        root = _hint_root(paras, hint)
        if root is not None and root.tag not in _LONE:  # a one-paragraph body is a truncated summary
            scored = _scored(paras, body)
            if scored and _outweighs(scored, root):
                return with_prose_siblings(scored)
            return with_prose_siblings([root])
    preferred = _preferred_root(article_bodies)
    if preferred:
        return with_prose_siblings(preferred)
    scored = _scored(paras if paras is not None else _paragraphs(body), body)
    return with_prose_siblings(scored) if scored else [body]


def _outweighs(scored: list[LexborNode], hinted: LexborNode) -> bool:
    """Whether the scorer's container holds far more text than the ``articleBody``'s: the
    ``articleBody`` was one update of a live blog or a cut-short teaser, not the article."""
    return sum(size(node.text()) for node in scored) >= _HINT_GAIN * size(hinted.text())


def _scored(paras: list[_Para], body: LexborNode) -> list[LexborNode]:
    """The scorer's article container(s): strict pass first, the loose pass when it finds little."""
    found: list[LexborNode] = []
    found_size = 0
    headed = _headed_article(body)
    for strict in (True, False):
        scores = _score(paras, strict)
        best = _best(scores, headed)
        if best is None:
            continue
        roots = _with_siblings(best, scores)
        total = sum(size(node.text()) for node in roots)
        if len(roots) == 1 and total < _SMALL:
            roots = [_widen(roots[0], paras, strict, headed=headed)]
            total = size(roots[0].text())
        elif strict:
            base = roots[0] if len(roots) == 1 else roots[0].parent
            wide = _widen(base, paras, strict, split=True, headed=headed) if base is not None else None
            if wide is not None and wide is not base:
                roots, total = [wide], size(wide.text())
        if strict and total >= _SMALL:
            return roots
        if not strict and found and (total < _LOOSE_GAIN * found_size or _in_comments_or_related(best.node)):
            return found
        if not strict or total >= _MIN_TEXT:
            found, found_size = roots, total
    return found


def _from_hint(hint: str | None, text: str) -> str:
    """Fall back to the JSON-LD ``articleBody`` when the markup yielded much less text."""
    if not hint or size(hint) < 500 or size(text) >= 0.6 * size(hint):
        return text
    paragraphs = [SPACE.sub(" ", part).strip() for part in re.split(r"\n\s*", hint)]
    return "\n".join(part for part in paragraphs if part)


@dataclass(frozen=True)
class TextHint:
    """What the metadata stage read that the text stage can use."""

    article_body: str | None = None  # the JSON-LD ``articleBody``
    # the ``itemprop=articleBody`` elements of the tree as it is now (``None``: not known, query them)
    article_bodies: list[LexborNode] | None = None


def extract_text(tree: LexborHTMLParser, *, title: str | None = None, hint: str | TextHint | None = None) -> str:
    """The page's main text, one heading or paragraph per line (mutates ``tree``); ``hint``: the
    JSON-LD ``articleBody``, or a ``TextHint``."""
    known = None
    if isinstance(hint, TextHint):
        known = hint.article_bodies
        hint = hint.article_body
    body = tree.body
    if body is None:
        return _from_hint(hint, "")
    article_bodies = strip_noise(tree, article_bodies=True, known_bodies=known)
    lines: list[str] = []
    roots = _choose(body, hint, article_bodies)
    lead = lead_lines(roots)
    for root in roots:
        elements = prune(root)
        lines.extend(render_lines(root, title if not lines else None, elements))
    if lead and not (lines and lines[0] == lead[0]):
        lines[:0] = lead
    lines = drop_furniture_lines(lines)
    for _ in range(2):
        if len(lines) < 2 or len(lines[-1]) >= _TAIL or _SENTENCE_END.search(lines[-1]):
            break
        lines.pop()  # a dangling "Related posts" / "Share" / "More on this" heading at the end
    text = _from_hint(hint, "\n".join(lines))
    if not at_least(text, _MIN_STATE):  # the markup failed: a client-rendered page keeps its text in scripts
        markup = size(text)
        state = state_text(tree, title)
        if sum(size(line) for line in state) >= 2 * markup:
            return "\n".join(state)
    return text
