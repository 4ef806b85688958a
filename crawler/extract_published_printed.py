"""Dates printed on a page for its readers: after a label, in date markup, in a signed line, and
around the headline. Each is read once per page (``Page.memo``) and from a bounded region of the
visible text; ``crawler.extract_published`` decides which one to trust.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from crawler.extract_dates import (
    When,
    find_short_date_time,
    parse_human_date,
    parse_machine_date,
    parse_short_date,
    parse_short_date_line,
)
from crawler.extract_page import Page, match_key

_DATE_MARKUP = (
    "[class*=date i], [class*=time i], [class*=publish i], [class*=posted i], [class*=meta i], [id*=date i], "
    "[class*=datum i], [class*=byline i]"
)
_PUBLISHED_LABELS = (
    "datum",
    "date",
    "published",
    "posted",
    "publication",
    "veröffentlicht",
    "erstellt",
    "erschienen",
    "publié",
    "publicado",
    "publicada",
    "pubblicato",
    "fecha",
)
_UPDATED_LABELS = (
    "stand",
    "aktualisiert",
    "zuletzt geändert",
    "updated",
    "last edited",
    "last modified",
    "mis à jour",
    "actualizado",
    "aggiornato",
)
_COPYRIGHT_LABELS = ("copyright", "©")
# German sentence forms put the verb after the date: "Dieser Artikel wurde am 14. Dezember 2015
# um 14:48 von X geschrieben" (English, French, Italian, Spanish forms are labels: "was posted on")
_SENTENCE_LABELS = ("artikel wurde", "beitrag wurde", "eintrag wurde", "text wurde")
_SENTENCE_TAIL = re.compile(r"\s+am\s+")
_SENTENCE_VERB = re.compile(r"geschrieben|veröffentlicht|verfasst|erstellt|publiziert|gepostet|eingestellt")
_SENTENCE_REACH = 120  # characters after the label within which the verb closes the sentence
_LABEL_TAIL = re.compile(r"(?:e\b)?(?:\s+(?:on|am|le|el|il|em|at))?\s*:?\s*")
_SIGNED_LABELS = (
    "posted by",
    "written by",
    "submitted by",
    "published by",
    "geschrieben von",
    "gespeichert von",
    "verfasst von",
    "veröffentlicht von",
    "publié par",
    "publicado por",
)
_SIGNED_TAIL = re.compile(r"\s+(?:[^\s\d]+\s+){1,4}?(?:on|am|le|el)\s+")  # the name, then "on"
_LABEL_REACH = 60
_MAX_MARKUP_CHECK = 40
# words of another item (a comment, a teaser, a related item) or of an event's dates ("field--type-daterange")
_OTHER_ITEMS = frozenset(("comment", "comments", "teaser", "teasers", "related", "daterange"))
_ITEM_DEPTH = 8  # the markup node and its nearest ancestors looked at
_NAME_PARTS = re.compile(r"[\s_-]+")  # whole words: "comment-date", "teaser__date"; not "commentHeader"
_TEXT_DATE_SCAN = 3000
_LABEL_SCAN = 30_000
_ABOVE_SCAN = 4000  # raw characters before the headline read for the words above it
_ABOVE_REACH = 120  # characters (whitespace squeezed) above the headline searched for a date
_SHORT_REACH = 300  # characters next to the headline searched for a two-digit-year date
_SHORT_LINES = 3  # non-empty lines next to the headline looked at for a date alone on its line


def time_nodes(page: Page) -> list[LexborNode]:
    """The page's ``<time>`` elements in document order (read once: from the walk of ``read_page`` while
    the tree is as it was then, else by ``tags``, far cheaper than ``css``)."""
    key = "times"
    if key not in page.memo:
        page.memo[key] = page.times if page.times is not None and page.unchanged else page.tree.tags("time")
    return page.memo[key]  # type: ignore[return-value]


def machine_date(page: Page, value: str) -> When | None:
    """``parse_machine_date``, remembered for the page: its JSON-LD, meta and ``<time>`` values repeat."""
    key = ("machine_date", value)
    if key not in page.memo:
        page.memo[key] = parse_machine_date(value)
    return page.memo[key]  # type: ignore[return-value]


def markup_date(page: Page) -> When | None:
    """The first date in date/byline markup (one CSS query, read once)."""
    key = "markup_date"
    if key not in page.memo:
        page.memo[key] = _find_markup_date(page)
    return page.memo[key]  # type: ignore[return-value]


def _find_markup_date(page: Page) -> When | None:
    for node in page.tree.css(_DATE_MARKUP)[:_MAX_MARKUP_CHECK]:
        text = node.text(separator=" ")
        if len(text) <= 200:
            parsed = parse_human_date(text) or parse_short_date(text)
            if parsed is not None and not _of_another_item(node):
                return parsed
    return None


def _of_another_item(node: LexborNode) -> bool:
    """Whether date markup belongs to a comment, a teaser of another article or a related item."""
    current: LexborNode | None = node
    for _ in range(_ITEM_DEPTH):
        if current is None:
            return False
        attrs = current.attributes
        names = _NAME_PARTS.split(f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower())
        if any(name in _OTHER_ITEMS for name in names):
            return True
        current = current.parent
    return False


def _label_text(page: Page) -> tuple[str, str]:
    """The visible text searched for labels, and its lower-cased twin of equal length (read once)."""
    key = "label_text"
    if key not in page.memo:
        text = page.visible_text[:_LABEL_SCAN]
        lowered = text.lower()
        if len(lowered) != len(text):  # a rare case mapping that changes lengths: keep offsets right
            lowered = "".join(char.lower()[:1] for char in text)
        page.memo[key] = (text, lowered)
    return page.memo[key]  # type: ignore[return-value]


def _label_ends(lowered: str, labels: tuple[str, ...], label_tail: re.Pattern[str] = _LABEL_TAIL) -> list[int]:
    """Where the text after each label starts, in page order; labels are whole words, any case.

    Plain substring search on the lower-cased text (no regex over the whole page: it is fast on
    large pages); the short tail (" on", ":") is matched only where a label was found.
    """
    ends: list[int] = []
    ascii_only = lowered.isascii()
    for label in labels:
        if ascii_only and not label.isascii():
            continue  # "veröffentlicht" cannot occur in ASCII text: skip the scan
        start = lowered.find(label)
        while start >= 0:
            before = lowered[start - 1] if start else " "
            after = start + len(label)
            if not (before.isalnum() or before in "-_"):
                tail = label_tail.match(lowered, after)
                if tail is not None and not lowered[tail.end() - 1 : tail.end()].isalpha():
                    ends.append(tail.end())
            start = lowered.find(label, after)
    return sorted(ends)


def _date_after_label(page: Page, labels: tuple[str, ...], label_tail: re.Pattern[str] = _LABEL_TAIL) -> When | None:
    text, lowered = _label_text(page)
    for end in _label_ends(lowered, labels, label_tail):
        window = text[end : end + _LABEL_REACH]
        parsed = parse_human_date(window, limit=_LABEL_REACH) or parse_short_date(window[:12])
        if parsed is not None and _starts_soon(text, end):
            return parsed
    return None


def labelled_date(page: Page) -> When | None:
    """The first date written right after a "published"-type label in the visible text."""
    return _date_after_label(page, _PUBLISHED_LABELS)


def signed_date(page: Page) -> When | None:
    """The first date of a signed line ("Posted by Jane Doe on March 5, 2019", "Gespeichert von X
    am 24. Juli 2017"); below the date markup, as comments are signed the same way."""
    return _date_after_label(page, _SIGNED_LABELS, _SIGNED_TAIL)


def updated_date(page: Page) -> When | None:
    """Last resort: the date after an "updated" / "Stand" label (a page showing only that date)."""
    return _date_after_label(page, _UPDATED_LABELS)


def sentence_date(page: Page) -> When | None:
    """The date of a sentence saying when the article was written ("Dieser Beitrag wurde am
    5. März 2019 von X veröffentlicht"); not one saying when it was changed."""
    text, lowered = _label_text(page)
    for end in _label_ends(lowered, _SENTENCE_LABELS, _SENTENCE_TAIL):
        sentence = lowered[end : end + _SENTENCE_REACH].partition(".\n")[0]
        if _SENTENCE_VERB.search(sentence) is None:
            continue
        parsed = parse_human_date(text[end : end + _LABEL_REACH], limit=_LABEL_REACH)
        if parsed is not None and _starts_soon(text, end):
            return parsed
    return None


def copyright_date(page: Page) -> When | None:
    """Last resort: a whole date (not just a year) in a copyright line ("Copyright © 19.12.2019"),
    the only date some pages print."""
    return _date_after_label(page, _COPYRIGHT_LABELS)


def _starts_soon(text: str, start: int) -> bool:
    return bool(re.match(r"\s*(?:\S+\s+){0,2}\S*\d", text[start : start + _LABEL_REACH]))


def headline_offset(page: Page, headline: str | None) -> int:
    """Where the headline's ``<h1>`` (or the first ``<h1>``) sits in the visible text; 0 if unknown."""
    key = ("headline_offset", headline)
    if key not in page.memo:
        page.memo[key] = _find_headline(page, headline)
    return page.memo[key]  # type: ignore[return-value]


def _find_headline(page: Page, headline: str | None) -> int:
    """The headline's ``<h1>``; else the headline's own line in the text (when no ``<h1>`` holds
    it: a headline set in an ``<h2>``/``<h3>`` or a plain element); else the first ``<h1>``."""
    text = page.visible_text
    key = match_key(headline)
    nodes = page.headings
    if key and headline and not any(match_key(node.text()) == key for node in nodes):
        found = _own_line(text, headline.strip())
        if found >= 0:
            return found
    for node in sorted(nodes, key=lambda n: match_key(n.text()) != key):
        found = text.find(node.text(separator="\n").strip()[:80])
        if found >= 0 and node.text().strip():
            return found
    return 0


def _own_line(text: str, line: str) -> int:
    """Where ``line`` first stands as a whole line of ``text`` (its own element), or -1."""
    if not line:
        return -1
    found = text.find(line)
    while found >= 0:
        end = found + len(line)
        before = text[text.rfind("\n", 0, found) + 1 : found]
        after_end = text.find("\n", end)
        after = text[end : after_end if after_end >= 0 else len(text)]
        if not before.strip() and not after.strip():
            return found
        found = text.find(line, end)
    return -1


def text_date(page: Page, headline: str | None) -> When | None:
    """A written date in the visible text just after the headline (or at the top of the page).

    Right below the headline, a date with a two-digit year counts too when a clock time follows it
    ("Do 25.04.24 | 14:07 Uhr") or it stands alone on its line ("02.12.19"), unless a date with
    a four-digit year comes first or the page has date markup (which is where such a date is
    read otherwise: a fallback for pages without it).
    """
    key = ("text_date", headline)
    if key not in page.memo:
        start = headline_offset(page, headline)
        text = page.visible_text[start : start + _TEXT_DATE_SCAN]
        short = _short_below(text)
        if short is not None and markup_date(page) is not None:
            short = None
        page.memo[key] = short or parse_human_date(text, limit=_TEXT_DATE_SCAN)
    return page.memo[key]  # type: ignore[return-value]


def _short_below(text: str) -> When | None:
    """A two-digit-year date just below the headline, with no four-digit-year date before it."""
    near = text[:_SHORT_REACH]
    found = find_short_date_time(near)
    if found is not None:
        position, value = found
        return value if parse_human_date(near[:position], limit=_SHORT_REACH) is None else None
    lines = [line for line in near.split("\n")[1 : _SHORT_LINES + 1] if line.strip()]
    for line in lines[:_SHORT_LINES]:
        parsed = parse_short_date_line(line)
        if parsed is not None:
            return parsed
        if parse_human_date(line) is not None:
            return None
    return None


def date_above(page: Page, headline: str | None) -> When | None:
    """A written date in the last few words before the headline (a dateline or kicker above it).

    The whitespace is squeezed out first (``split``/``join`` run in C), so "a few words" does not
    depend on how the page indents its markup.
    """
    key = ("date_above", headline)
    if key not in page.memo:
        end = headline_offset(page, headline)
        found: When | None = None
        if end:
            words = " ".join(page.visible_text[max(0, end - _ABOVE_SCAN) : end].split())
            if len(words) > _ABOVE_REACH:  # whole words only: "12. Februar" must not become "2. Februar"
                words = words[-_ABOVE_REACH:].partition(" ")[2]
            found = parse_human_date(words, limit=_ABOVE_REACH)
            if found is None and markup_date(page) is None:  # no date markup: two-digit years count
                found = _short_above(page.visible_text, end)
        page.memo[key] = found
    return page.memo[key]  # type: ignore[return-value]


def _short_above(text: str, end: int) -> When | None:
    """A two-digit-year date alone on one of the last lines above the headline ("02.12.19")."""
    lines = [line for line in text[max(0, end - _SHORT_REACH) : end].split("\n") if line.strip()]
    for line in reversed(lines[-_SHORT_LINES:]):
        parsed = parse_short_date_line(line)
        if parsed is not None:
            return parsed
    return None


def printed_near_headline(page: Page, headline: str | None) -> When | None:
    """The date printed next to the headline: just above it, else the first one below it."""
    return date_above(page, headline) or text_date(page, headline)
