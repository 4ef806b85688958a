"""The page's description (summary, standfirst or meta description), chosen among its sources.

Candidates, in this order of trust:

1. ``og:description`` (written for the shared article),
2. ``meta[name=description]``,
3. ``twitter:description``,
4. JSON-LD ``description``,
5. Dublin Core description, ``itemprop=description``.

Before choosing, a candidate is passed over when it is broken or not a description: it carries HTML
markup (``<p>...``), it is only the site's name, or (while a cleaner one exists) it holds a bare URL
(blog platforms paste embedded-video links into automatic excerpts).

Then:

* agreement beats rank: when the sources disagree and two of og / meta / JSON-LD give the same text,
  that text wins over a lone first-ranked one;
* a short ``og:description`` (under 80 characters: a teaser line or a pull quote) gives way to a
  meta description at least twice as long, or to one that opens with all of it and goes on;
* when ``og:description`` and the meta description are both cut short (they end in "...", "…" or
  "(...)") and open alike, the shorter cut wins (the labelled pages show the shorter one as the
  site's display snippet, the longer a re-cut of the same text to a larger limit);
* when the standfirst markup (below) begins with the chosen text and at most doubles it, the
  metadata gave only its opening and the standfirst is used instead;
* with no metadata description at all, the standfirst markup near the headline (class or id
  ``dek``, ``standfirst``, ``subtitle``, ``summary``, ``lead``, ``teaser``, ``intro`` ...) is used;
  failing that, the caller falls back to the first paragraph of the main text
  (``first_paragraph``).

Cleaning: entities decoded and whitespace collapsed (``clean``), a stray opening quote followed by a
space and a trailing all-caps link marker such as ``[DETAILS]`` dropped. Truncated texts ("...")
are kept as published: the labels of every corpus treat the cut meta description as the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborNode

from crawler.extract_page import Page, clean, match_key, node_text

_MARKUP = re.compile(r"<(?:p|br|div|span|a|i|b|em|strong|h[1-6])\b[^>]{0,200}>", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://\S|\bwww\.\w")
_SHORT_OG = 80
_DEK_WORDS = re.compile(
    r"(?:^|[\s_-])(?:dek|standfirst|sub-?title|subheadline|subline|summary|lead|leadin|lede|teaser|intro|"
    r"excerpt|kicker-text|article-?description|description)(?:$|[\s_-])",
    re.IGNORECASE,
)
_DEK_TAGS = frozenset({"p", "div", "h2", "span", "section", "header"})
_DEK_MIN, _DEK_MAX = 40, 600
_DEK_SCAN = 150  # elements looked at after the headline
_PARAGRAPH_MIN = 40
_PARAGRAPH_SCAN = 20
_SENTENCE_END = (".", "!", "?", "…", ":", '"', "”", "“", "»", "«", "'", "\u2019", "]")
_QUOTES = '"\u201c\u201e\u00ab'
_STRAY_QUOTE = re.compile(r'^["\u201c\u201e\u00ab]\s+')
_TRAILING_MARKER = re.compile(r"\s*\[[A-Z][A-Z ]{1,20}\]$")
_ELLIPSIS = re.compile(r"\s*(?:\.{3}|…)$")
_CUT = re.compile(r"(?:\.{3}|…|\(\.{3}\)|\[(?:\.{3}|…)\])$")
_CUT_OPENING = 40  # characters of the comparison key two cut texts must share


def _candidates(page: Page) -> list[tuple[str, str]]:
    raw = (
        ("og", page.first("og:description")),
        ("meta", page.first("description")),
        ("twitter", page.first("twitter:description")),
        ("ld", clean(page.ld.get("description"))),
        ("dc", page.first("dc.description", "dcterms.description")),
    )
    return [(source, value) for source, value in raw if value]


def _usable(candidates: list[tuple[str, str]], site: str | None) -> list[tuple[str, str]]:
    site_key = match_key(site)
    good = [
        (source, value)
        for source, value in candidates
        if not ("<" in value and _MARKUP.search(value))
        and not (site_key and len(value) <= 2 * len(site_key) + 8 and match_key(value) == site_key)
    ]
    without_urls = [
        (source, value)
        for source, value in good
        if not (("http" in value or "www." in value) and _BARE_URL.search(value))
    ]
    return without_urls or good


def _agreed(candidates: list[tuple[str, str]]) -> str | None:
    """The text given by two of og / meta / JSON-LD, when the sources do not all agree."""
    voters = [value for source, value in candidates if source in ("og", "meta", "ld")]
    if len(voters) < 2 or len(set(voters)) == 1:
        return None
    keyed = [(match_key(value), value) for value in voters]
    keys = [key for key, _ in keyed]
    if len(set(keys)) < 2:
        return None
    for key, value in keyed:
        if keys.count(key) >= 2:
            return value
    return None


def _following(start: LexborNode) -> Iterator[LexborNode]:
    """Elements after ``start`` in document order, climbing at most three ancestors, bounded."""
    node: LexborNode | None = start
    seen = 0
    for _ in range(4):
        if node is None:
            return
        sibling = node.next
        while sibling is not None:
            if sibling.tag != "-text":
                for element in sibling.traverse():
                    seen += 1
                    if seen > _DEK_SCAN:
                        return
                    yield element
            sibling = sibling.next
        node = node.parent


def _dek(page: Page) -> str | None:
    """A standfirst element shortly after the first ``<h1>``."""
    if not page.headings:
        return None
    h1 = page.headings[0]
    for node in _following(h1):
        tag = node.tag
        if tag == "h1":
            return None
        if tag in _DEK_TAGS:
            attrs = node.attributes
            marker = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            if _DEK_WORDS.search(marker):
                text = node_text(node)
                if text and _DEK_MIN <= len(text) <= _DEK_MAX:
                    return text
    return None


def _tidy(value: str | None) -> str | None:
    """A stray opening quote ("\" The cake ...") and a trailing all-caps link marker ("[DETAILS]") removed."""
    if not value:
        return None
    if value[0] in _QUOTES:
        value = _STRAY_QUOTE.sub("", value)
    if value.endswith("]"):
        value = _TRAILING_MARKER.sub("", value)
    return value or None


def _chosen(page: Page, site: str | None) -> str | None:
    candidates = _usable(_candidates(page), site)
    if not candidates:
        return clean(page.itemprop("description")) or _dek(page)
    agreed = _agreed(candidates)
    if agreed:
        return agreed
    source, value = candidates[0]
    if source == "og":
        for other_source, other in candidates[1:]:
            if other_source != "meta":
                continue
            if len(value) < _SHORT_OG and (len(other) >= 2 * len(value) or _extends(other, value)):
                return other
            if len(other) < len(value) and _both_cut(value, other):
                return other
    return value


def _extends(longer: str, shorter: str) -> bool:
    """Whether ``longer`` opens with all of ``shorter`` and goes on (compared by ``match_key``)."""
    long_key, short_key = match_key(longer), match_key(shorter)
    return len(long_key) > len(short_key) > 0 and long_key.startswith(short_key)


def _both_cut(first: str, second: str) -> bool:
    """Whether two texts both end cut short ("...") and open with the same words."""
    if not (_CUT.search(first) and _CUT.search(second)):
        return False
    opening = match_key(first)[:_CUT_OPENING]
    return len(opening) == _CUT_OPENING and match_key(second).startswith(opening)


def description(page: Page, site: str | None) -> str | None:
    """The description by the order of trust in the module docstring (``None`` when none is found)."""
    value = _tidy(_chosen(page, site))
    if value:
        dek = _dek(page)
        if (
            dek
            and len(value) < len(dek) <= 2 * len(value)
            and match_key(dek).startswith(match_key(_ELLIPSIS.sub("", value)))
        ):
            return dek  # the metadata gives the standfirst's opening only
    return value


def first_paragraph(text: str | None) -> str | None:
    """The first paragraph of the main text that reads as prose (40+ characters, ending a sentence), as a
    last-resort description; headings and captions are skipped."""
    if not text:
        return None
    for line in text.split("\n", _PARAGRAPH_SCAN)[:_PARAGRAPH_SCAN]:
        line = line.strip()
        if len(line) >= _PARAGRAPH_MIN and line.endswith(_SENTENCE_END):
            return line
    return None
