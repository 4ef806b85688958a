"""Last-resort publication date: a publication-like key in the page's script data.

Pages rendered by scripts may print no date in their HTML and give it only in a hydration or
state blob that is not JSON-LD: ``"published_at":"2019-03-02T06:22:28+01:00"`` in a framework's
JSON, ``publishDate: 1583020800`` in a JavaScript object, ``\\"createdAt\\":\\"...\\"`` escaped in a
JSON string. ``crawler.extract_published`` asks for it only when no structured or printed date
was found: on the labelled real pages that give a structured date, the script date (as chosen
below) misses the labelled day on 46 of 281, and on 2 of 5 pages that print one.

Key names are compared lower-cased without ``_``, ``-`` and ``$``, and ranked:

1. publication keys: ``datePublished``, ``publishedAt``, ``publish_date``, ``publicationDate``,
   ``pubDate``, ``firstPublished``, ``originalPublishDate``, ``article_published_time``...
   (an optional subject prefix, ``first``/``original``, a publication word, an optional
   ``date``/``time``/``at``/``on``/``timestamp`` ending);
2. creation keys: ``createdAt``, ``created_at``, ``dateCreated``, ``creationDate``...

A modification key (``updatedAt``, ``dateModified``, ``lastPublished``, ``publishedLatest``...) is
never read, nor ``publisher`` or a flag such as ``"published":true``. Within the best rank the
first occurrence in document order wins: a page's own object comes before its related items and
comments (on the 253 labelled real pages holding such keys it gives the labelled day on 217; the
first key of any rank on 206, the last one of the best rank on 206, the most frequent day on 211).
The value is a machine date (ISO 8601, compact, epoch seconds or milliseconds, RFC 2822) read by
``parse_machine_date``; its UTC offset is kept as written (``crawler.extract_published`` turns a
UTC value into the page's own offset when the page shows the same instant in local time).

Bounded cost: only the first ``_SCRIPT_SCAN`` characters of a script and ``_TOTAL_SCAN`` of all
scripts are read. Keys are found by plain substring search for their common start (``pub``,
``creat``) on the lower-cased text: no regex over the whole text, no ``json.loads``; a compiled
pattern is matched only after a listed key. The search for publication keys stops at the first
one holding a date.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from crawler.extract_dates import When, parse_machine_date
from crawler.extract_page import Page

_SCRIPT_SCAN = 200_000  # characters read from the start of each script
_TOTAL_SCAN = 500_000  # characters read over all of a page's scripts
_KEY_REACH = 40  # characters a key may reach back from its stem
# (rank, the common start searched for, the stems a ranked key holds): every publication key holds
# one of the first stems, every creation key one of the second
_PUBLICATION = (0, "pub", ("publish", "publication", "pubdate", "pub_date", "pub-date"))
_CREATION = (1, "creat", ("created", "creation"))
_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_$-")
_DROP = str.maketrans("", "", "_-$")
_SUBJECT = r"(?:article|post|story|content|page|item|entry|news|doc|document)?"
_ENDING = r"(?:date|time|datetime|at|on|timestamp|stamp|ts)?(?:iso|utc|gmt)?"
_PUBLICATION_KEY = re.compile(
    rf"{_SUBJECT}(?:first|original|originally|initial)?(?:date)?(?:publish|published|publication|pub){_ENDING}"
)
_CREATION_KEY = re.compile(rf"{_SUBJECT}(?:date)?(?:created|creation|create){_ENDING}")
_VALUE = re.compile(  # after the key: its closing quote, ":" or "=", then a quoted value or an epoch number
    r"""\\?["']?\s*[:=]\s*(?:\\?["']([^"'\\<>{}\[\]]{6,40})\\?["']|(\d{10}(?:\d{3})?)(?![\d.]))"""
)


def script_texts(page: Page) -> list[str]:
    """The bounded texts of the page's scripts that are not JSON-LD, in document order.

    Read before the page's visible text is built: that strips the scripts from the tree.
    """
    texts: list[str] = []
    budget = _TOTAL_SCAN
    for node in page.tree.tags("script"):
        if budget <= 0:
            break
        if "ld+json" in (node.attributes.get("type") or "").lower():
            continue
        text = node.text()[: min(_SCRIPT_SCAN, budget)]
        if text:
            texts.append(text)
            budget -= len(text)
    return texts


def key_rank(key: str) -> int | None:
    """0 for a publication key, 1 for a creation key, ``None`` for any other key name."""
    name = key.lower().translate(_DROP)
    if _PUBLICATION_KEY.fullmatch(name):
        return 0
    if _CREATION_KEY.fullmatch(name):
        return 1
    return None


def _key_at(text: str, stem_at: int, stem_end: int) -> tuple[str, int] | None:
    """The whole key name around a stem found at ``stem_at``, and where it ends."""
    start = stem_at
    floor = max(0, stem_at - _KEY_REACH)
    while start > floor and text[start - 1] in _KEY_CHARS:
        start -= 1
    end = stem_end
    ceiling = min(len(text), stem_end + _KEY_REACH)
    while end < ceiling and text[end] in _KEY_CHARS:
        end += 1
    if (start and text[start - 1] in _KEY_CHARS) or (end < len(text) and text[end] in _KEY_CHARS):
        return None  # longer than any listed key
    return text[start:end], end


def _lowered(text: str) -> str:
    """``text`` lower-cased, each character still at its own offset."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a case mapping that changes lengths ("İ"): keep offsets right
        lowered = text.replace("\u0130", "I").lower()
        if len(lowered) != len(text):
            lowered = "".join(char.lower()[:1] for char in text)
    return lowered


def _first_date(text: str, lowered: str, kind: tuple[int, str, tuple[str, ...]]) -> When | None:
    """The first date in one script text under a key of one rank (``_PUBLICATION``, ``_CREATION``).

    The stems are found by substring search for their common start (one pass over the text); the key
    around a stem is read and ranked, and the value pattern is matched only after a key of the rank.
    """
    rank, anchor, stems = kind
    at = lowered.find(anchor)
    while at >= 0:
        stem_at = at
        at = lowered.find(anchor, at + len(anchor))
        if not lowered.startswith(stems, stem_at):
            continue
        keyed = _key_at(text, stem_at, stem_at + len(anchor))
        if keyed is None or key_rank(keyed[0]) != rank:
            continue
        value = _VALUE.match(text, keyed[1])
        parsed = parse_machine_date(value.group(1) or value.group(2)) if value is not None else None
        if parsed is not None:
            return parsed
    return None


def script_published(texts: Sequence[str]) -> When | None:
    """The first date under a publication key, else the first under a creation key (see the module docstring)."""
    created: When | None = None
    for text in texts:
        lowered = _lowered(text)
        found = _first_date(text, lowered, _PUBLICATION)
        if found is not None:
            return found
        if created is None:
            created = _first_date(text, lowered, _CREATION)
    return created
