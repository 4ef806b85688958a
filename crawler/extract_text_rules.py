"""Shared patterns and small measurements for the main-text extractor (``crawler.extract_text``).

Only generic rules live here: tag sets, class/id word patterns that name boilerplate on many sites
("related", "share", "comment", "newsletter", "promo", ...), and cheap text measurements over
selectolax Lexbor nodes (link density, whitespace collapsing that keeps peak memory low).
"""

from __future__ import annotations

import functools
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Subtrees that never hold article text: removed before anything is measured (see
# ``extract_text_noise.strip_noise``). An aside holding the h1 is broken markup (an unclosed <aside>
# swallowed the article); hidden "S:..." boxes are React streaming boundaries whose content a script
# moves into place.
NOISE_TAGS = frozenset(
    {
        "script", "style", "template", "svg", "iframe", "object", "embed", "canvas", "dialog", "button",
        "select", "textarea", "input", "nav", "menu",
    }
)  # fmt: skip
NOISE_ROLES = frozenset({"navigation", "contentinfo", "banner", "dialog", "alert", "search"})
# Elements whose attributes may mark them as noise (filtered further in Python: one cheap selector).
NOISE_ATTRS = "[hidden], [aria-hidden], [role], [style*='display']"
# class/id words of boilerplate containers (Readability's list plus common news-site furniture).
UNLIKELY = re.compile(
    r"-ad-|\bads?\b|adverti|banner|breadcrumb|combx|comment|community|cookie|consent|disqus|extra|"
    r"footer|gdpr|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|"
    r"supplemental|agegate|pagination|pager(?![a-z])|popup|newsletter|subscri|share|sharing|promo|recommend|"
    r"outbrain|taboola|paywall|signup|modal|teaser|widget(?!-?(?:wrap|container|inner))|author-?(?:bio|box|info|description)|about-?(?:the-?)?author|"
    r"sabox|toolbar|navbar|masthead|"
    r"most-?(?:popular|read)|trending|read-?more|more-?stories|jump-?(?:to|link|nav|menu|bar)|print|"
    r"tags?(?:list|cloud)?\b|"
    r"topics?\b|keywords?|infobox|overlay|further|also-?read|see-?also|recirc|upsell|donate|login",
    re.IGNORECASE,
)
# Words that name furniture wherever they stand in a compound class token.
_FURNITURE_WORD = re.compile(r"related|comment|sidebar|recommend|popular|newsletter", re.IGNORECASE)
# ... unless the same label also says it is the article.
MAYBE = re.compile(r"\band\b|article|body|column|content|main|shadow|post|entry|story|text|prose", re.I)
POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose", re.I)
NEGATIVE = re.compile(
    r"hidden|banner|combx|comment|com-|contact|foot|footnote|gdpr|masthead|media|meta|outbrain|promo|"
    r"related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags(?![a-z])|tool|"
    r"widget(?!-?(?:wrap|container|inner))|teaser|caption|"
    r"credit|byline|author|newsletter|recommend|social",
    re.I,
)
# Names that (on many sites) mark the article body itself: an extra bonus on top of POSITIVE.
BODY_CLASS = re.compile(
    r"article[-_]?(?:body|content|text)|articlebody|entry[-_]?content|post[-_]?(?:body|content|text)|"
    r"story[-_]?(?:body|content|text)|body[-_]?(?:text|copy)|main[-_]?content|rich[-_]?text|"
    r"article__(?:body|content|text)|content[-_]?body|text[-_]?body|itemprop|paywall-content",
    re.I,
)
# A <noscript> with this much text is the page's text for readers without JavaScript (kept).
NOSCRIPT_TEXT = 300
# Elements whose own text is a paragraph for scoring.
PARAGRAPHS = "p, pre, blockquote, td, h2, h3"
# Elements that start a new output line.
BLOCKS = (
    "p, h1, h2, h3, h4, h5, h6, li, pre, blockquote, dd, dt, tr, div, section, article, figure, "
    "figcaption, table, ul, ol, dl, header, footer, main, br, hr, address, summary, details, "
    "caption, form, fieldset, legend, center"
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TAG_WEIGHT = {
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
BOILERPLATE_LINE = re.compile(
    r"^(?:advertisement|advertising|anzeige|werbung|publicité|publicidad|pubblicità|reklame|share|"
    r"share this(?: article)?|tweet|email|print|read more|weiterlesen|mehr zum thema|related|"
    r"related articles?|loading\.*|skip to (?:main )?content|photo|image|video|ad|sponsored|"
    r"continue reading|click here|subscribe|sign up|follow us|related coverage|more on this(?: topic)?|"
    r"über den autor|about the author|schon gelesen|weitere themen|weitere informationen|gefällt mir|"
    r"bewerten|rate this(?: article)?|print recipe|rezept drucken|(?:\(?noch )?keine bewertungen\)?|"
    r"you may also like|das könnte sie auch interessieren|auch interessant|lesen sie auch|"
    r"read also|see also|leave a (?:comment|reply)|kommentar(?:e|) schreiben|ähnliche beiträge)\W*$",
    re.IGNORECASE,
)
BOILERPLATE_PHRASE = 40  # characters: no phrase of BOILERPLATE_LINE is longer (the rest of a match is non-word)
# A line that is only a date and/or a time of day (a timestamp of the page or of a live-blog entry).
DATE_LINE = re.compile(
    r"(?:\d{1,2}[./]\s?\d{1,2}[./]\s?(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})?,?\s*"
    r"(?:\d{1,2}:\d{2}(?::\d{2})?\s*(?:uhr|am|pm|h)?)?",
    re.IGNORECASE,
)
COMMAS = re.compile(r"[,\uff0c\u3001\u060c]")  # Latin, fullwidth, ideographic, Arabic
SPACE = re.compile(r"\s+")
MARK = "\u2029"  # block separator inserted by the renderer (a Unicode paragraph separator)
SPACE_BUT_MARK = re.compile(r"[^\S\u2029]+")


# Class tokens that describe the content, not the box: WordPress taxonomy classes ("tag-football",
# "category-comments") and state modifiers ("has-ads", "section--has-sidebar", "Section--Ads").
_CACHED_LABEL = 256  # longer class/id labels are rare: matched without the cache (bounded memory)
_CONTENT_TOKENS = re.compile(r"\b(?:tag|category|has|with)-\S*", re.IGNORECASE)
# A BEM modifier that says what a box holds ("Section--Ads": a section with ad slots), not what it is.
_MODIFIER = re.compile(r"--(?:ads?\b|has-|with-)\S*", re.IGNORECASE)


def class_id(node: LexborNode) -> str:
    attrs = node.attributes
    label = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    if "-" in label:
        if "--" in label:
            label = _MODIFIER.sub("", label)
        if "tag-" in label or "category-" in label or "has-" in label or "with-" in label:
            return _CONTENT_TOKENS.sub(" ", label)
    return label


def class_weight(node: LexborNode, label: str | None = None) -> int:
    """The class/id weight of a node (``label``: its :func:`class_id`, when already read)."""
    if label is None:
        label = class_id(node)
    return _label_weight(label) if len(label) <= _CACHED_LABEL else _label_weight.__wrapped__(label)


# The class/id patterns compiled without IGNORECASE, for labels lowered once: a case-insensitive
# alternation of many words is several times slower (the patterns are all lower case).
_UNLIKELY_LOWER = re.compile(UNLIKELY.pattern)
_MAYBE_LOWER = re.compile(MAYBE.pattern)
_NEGATIVE_LOWER = re.compile(NEGATIVE.pattern)
_POSITIVE_LOWER = re.compile(POSITIVE.pattern)
_BODY_CLASS_LOWER = re.compile(BODY_CLASS.pattern)
_FURNITURE_LOWER = re.compile(_FURNITURE_WORD.pattern)


@functools.lru_cache(maxsize=8192)
def _label_weight(label: str) -> int:
    """The class/id weight of one label (labels repeat across nodes and pages: cached)."""
    if len(label) < 2:
        return 0
    label = label.lower()
    weight = 25 if _BODY_CLASS_LOWER.search(label) else 0
    if _NEGATIVE_LOWER.search(label):
        weight -= 25
    if _POSITIVE_LOWER.search(label):
        weight += 25
    return weight


def is_unlikely(node: LexborNode, label: str | None = None) -> bool:
    """A container whose class/id names boilerplate and not the article (``label``: its
    :func:`class_id`, when already read)."""
    if node.tag in {"html", "body", "article", "main", "a", "p", "h1", "h2", "h3"}:
        return False
    if label is None:
        label = class_id(node)
    return _unlikely_label(label) if len(label) <= _CACHED_LABEL else _unlikely_label.__wrapped__(label)


@functools.lru_cache(maxsize=8192)
def _unlikely_label(label: str) -> bool:
    """Whether a class/id label names boilerplate and not the article (cached per label): a boilerplate
    word, and no class token whose last word says "article" ("post-content sidebar" and
    "paywall-content" are kept; "entry-footer" and "story-share" are furniture: in a compound the
    last word names the thing)."""
    label = label.lower()
    if not _UNLIKELY_LOWER.search(label):
        return False
    if not _MAYBE_LOWER.search(label):
        return True
    return not any(_content_token(token) for token in label.split())


def _content_token(token: str) -> bool:
    """A (lower-case) class token whose last article-ish word comes after its last boilerplate word,
    and that has no word naming a box of other stories or reader contributions ("related_posts",
    "comment-content")."""
    maybe = [match.end() for match in _MAYBE_LOWER.finditer(token)]
    if not maybe or _FURNITURE_LOWER.search(token):
        return False
    unlikely = [match.end() for match in _UNLIKELY_LOWER.finditer(token)]
    return not unlikely or maybe[-1] > unlikely[-1]


_PLAIN_SPACES = b" \n\t\r"
_COPIED = 1 << 16  # a longer text is counted in place (the one pass makes two copies of it)


def size(text: str) -> int:
    """Characters of ``text`` that are not plain whitespace (no per-word objects, unlike ``split``)."""
    if len(text) <= _COPIED and text.isascii():  # one pass deleting the four, not a pass for each
        return len(text.encode().translate(None, _PLAIN_SPACES))
    count = len(text) - text.count(" ")
    if "\n" in text:  # a membership test is a fast scan; a count is a slower one
        count -= text.count("\n")
    if "\t" in text:
        count -= text.count("\t")
    if "\r" in text:
        count -= text.count("\r")
    return count


def at_least(text: str, amount: int) -> bool:
    """``size(text) >= amount``, reading only as much of a long text as it needs."""
    if amount <= 0:
        return True
    if len(text) < amount:
        return False
    start, total = 0, 0
    step = 2 * amount
    while start < len(text):
        total += size(text[start : start + step])
        if total >= amount:
            return True
        start += step
    return False


def tag_ids(names: frozenset[str]) -> dict[int, str]:
    """Lexbor's ids (``node.tag_id``) of standard tag names, mapped to the names: reading the id of a
    node is cheaper than reading its name (a new string each time), which counts in a walk over many
    nodes. Standard tags have fixed ids (an unknown name gets one per document): checked on two
    documents."""
    found = []
    for unknown in (None, "x-unknown"):
        parser = LexborHTMLParser("")
        if unknown:
            parser.create_node(unknown)
        found.append({parser.create_node(name).tag_id: name for name in names})
    if found[0] != found[1] or len(found[0]) != len(names):
        raise RuntimeError(f"Lexbor gives no fixed ids to some of these tags: {sorted(names)}")
    return found[0]


# Nodes a walk in Python visits before it hands a query over to Lexbor's selector engine (which walks
# faster but parses its selector first, the longer the list the longer): so many, and so many a tag.
_WALK, _WALK_PER_TAG = 16, 4


class Tags:
    """A selector list made of type selectors only (``"p, h1, li"``), matched like ``css`` (the root
    itself included, document order). Lexbor parses a selector again on every query, which costs
    more than the match on the small subtrees (an article container, a box) the extractor mostly
    queries: those are walked in Python; a larger subtree goes to Lexbor."""

    def __init__(self, selector: str) -> None:
        self.selector = selector
        self.ids = frozenset(tag_ids(frozenset(part.strip() for part in selector.split(","))))
        self.budget = _WALK + _WALK_PER_TAG * len(self.ids)

    def find(self, root: LexborNode) -> list[LexborNode]:
        """``root.css(selector)``."""
        ids, out, budget = self.ids, [], self.budget
        for node in root.traverse():
            if not budget:
                return root.css(self.selector)
            budget -= 1
            if node.tag_id in ids:
                out.append(node)
        return out

    def held(self, root: LexborNode) -> bool:
        """``root.css_first(selector) is not None``."""
        ids, budget = self.ids, self.budget
        for node in root.traverse():
            if not budget:
                return root.css_first(self.selector) is not None
            budget -= 1
            if node.tag_id in ids:
                return True
        return False


_LINKS = Tags("a")


def holds_text(node: LexborNode, amount: int) -> bool:
    """``at_least(node.text(), amount)``, reading the text nodes one by one until there is enough (the
    whole text of a large element is a long string to build for a small threshold)."""
    if amount <= 0:
        return True
    found = 0
    for inner in node.traverse(include_text=True):
        if inner.is_text_node:
            found += size(inner.text())
            if found >= amount:
                return True
    return False


def link_density(node: LexborNode, text_len: int) -> float:
    """Share of ``text_len`` (a :func:`size`) that sits inside links."""
    if text_len <= 0:
        return 1.0
    linked = sum(size(a.text()) for a in _LINKS.find(node))
    return min(1.0, linked / text_len)


def collapse_space(text: str, slice_len: int = 1 << 16, pattern: re.Pattern[str] = SPACE) -> str:
    """``SPACE.sub(" ", text).strip()`` in slices: one ``sub`` over a long text keeps a str object per
    word until it joins them (a 10 MB line of words peaked at ~40x its size); slices cap that overhead."""
    if len(text) <= slice_len:
        return pattern.sub(" ", text).strip()
    parts, start = [], 0
    while start < len(text):
        end = min(start + slice_len, len(text))
        while end < len(text) and text[end].isspace():  # never cut a run of spaces in two
            end += 1
        parts.append(pattern.sub(" ", text[start:end]))
        start = end
    return "".join(parts).strip()
