"""Line-level furniture in the rendered main text (``crawler.extract_text``).

The container pruning works on markup; some furniture only shows in the text of a line, whatever
markup carries it (a plain ``<p>`` in the article body, a ``<div>`` without a telling class):

* anywhere in the text: image credits and figure captions ("(Foto: dpa)", "... | © AFP / X",
  "Abbildung 4: ..."), "read also" lines ("Lesen Sie auch: <headline>", "PUEDES VER: ..."),
  "you might also like" headings, consent placeholders of embedded posts, an "enlarge" button label;
* in the last lines: calls to action and closing notes (newsletter and subscription offers, app and
  channel adverts, "support our work", copyright and licence notes, comment counters and login
  prompts, citation suggestions, "posted in ... / last modified" footers);
* in the first and last lines: datelines, a date and/or time with at most a label and one word
  ("Aktualisiert: 11.04.2020, 10:27", "24. März 2004, 19:49 | Genesis").

Each pattern was kept only when it removed more unwanted lines than article lines on the real-page
evaluation set; the words come in the languages seen there (English, German, Spanish, French,
Italian, Portuguese, Polish).
"""

from __future__ import annotations

import re

_MAX_LINE = 300  # a longer line is a paragraph, whatever words it holds
_CLOSING_LINES = 3  # calls to action are looked for among this many last lines
_HEAD_LINES = 4  # datelines are looked for among this many first lines...
_TAIL_LINES = 3  # ... and this many last lines
_DATELINE = 80  # a longer line is more than a dateline
_DATELINE_WORDS = 1  # words a dateline may hold besides its date, time and label

_CREDIT_WORDS = r"photo|foto|bild|credit|image|fotos|crédit|crédito|titelbild|abbildung|abb\."
_AGENCIES = r"getty images?|afp|dpa|reuters|istock(?:\.com)?|picture[- ]alliance|imago|shutterstock|ap photo"
_TAIL_CHARS = 100  # the end patterns look at this many last characters of a line
# The end of an image caption: a credit ("© AFP / X", "(Foto: dpa)", "| Bild: X", ".../Getty Images").
_CREDIT = re.compile(
    r"©\s?[^.!?©]{2,60}$"
    r"|\((?:photo|foto|bild|credit|image|quelle|source)s?\s?:\s?[^)]*\)$"
    rf"|(?:^|[\s|.])(?:{_CREDIT_WORDS})(?: \d+)?\s?:\s?[^.!?]{{2,60}}$"
    rf"|[/|(]\s?(?:{_AGENCIES})\)?$"
)
# The start of a figure caption, of an "enlarge" button's label, of a link to another story.
_LEADING = re.compile(
    r"(?:abbildung|abb\.|figure|fig\.|grafik|tabelle|table|bild)\s?\d*\s?:"
    r"|(?:vergrößern|enlarge|zoom)\b"
    r"|(?:puedes ver|mira|lee también|lea también|vea también|te puede interesar|lesen sie (?:auch|mehr)|"
    r"lies auch|auch interessant|mehr zum thema|siehe auch|read (?:more|also)|related|see also|recommended|"
    r"more from|leggi anche|vedi anche|lire aussi|à lire aussi|voir aussi|zobacz (?:też|także)|"
    r"czytaj (?:też|także|więcej)|veja também|leia também)\s*[:|»>]"
)
# A "you might also like" heading, a rating prompt, the placeholder of an embedded post that waits
# for consent; each needs one of the keywords first (a substring test is much cheaper than a search).
_KEYWORDS = (
    "interessieren", "also like", "also enjoy", "bewerten sie", "rate this", "privatsph", "privacy",
    "datenschutz",
)  # fmt: skip
_INSIDE = re.compile(
    r"(?:könnte|könnten) (?:dich|sie|euch|ihnen) (?:auch |ebenfalls )?interessieren"
    r"|you (?:may|might) also (?:like|enjoy)"
    r"|bewerten sie diesen (?:artikel|beitrag)|rate this (?:article|post)"
    r"|(?:privatsphäre|privacy|datenschutz).{0,120}(?:einverständnis|zustimmung|consent|einstellungen|settings)"
    r"|(?:einverständnis|zustimmung|consent).{0,120}(?:privatsphäre|privacy|datenschutz)"
)
# Calls to action and closing notes, each with the substrings one of which it needs: a substring
# test is much cheaper than a search, and one search of all the alternatives costs tens of µs a line.
_CLOSING: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (keywords, re.compile(pattern))
    for keywords, pattern in (
        (("newsletter",), r"newsletter"),
        (
            ("subscri", "abonniere", "suscríbete", "subskrypcji"),
            r"^(?:subscribe|abonniere|suscríbete|jetzt abonnieren)|subscribe (?:now|to|on)|do subskrypcji",
        ),
        (
            ("©", "copyright", "rights reserved", "rechte vorbehalten", "derechos reservados", "droits réservés"),
            r"^©|^\(?copyright|all rights reserved|alle rechte vorbehalten|derechos reservados|"
            r"tous droits réservés|copyrighted",
        ),
        (("ios", "android"), r"\bapps?\b.{0,30}\b(?:ios|android)\b"),
        (("download", "get ", "lade ", "descarga"), r"\b(?:download|get|lade|descarga)\b.{0,80}\bapps?\b"),
        (
            ("telegram", "whatsapp", "youtube"),
            r"(?:canal|kanal|channel)(?: de| on| auf)? (?:telegram|whatsapp|youtube)"
            r"|(?:telegram|whatsapp|youtube)[- ]?(?:kanal|channel|canal)",
        ),
        (
            ("support", "unterstütze", "wesprzyj", "hazte miembro", "become a"),
            r"support(?:ing)? (?:our|us)\b|unterstütze(?:n sie)? (?:uns|unser)|^unterstütze |wesprzyj|"
            r"hazte miembro|become a (?:member|subscriber)",
        ),
        (
            ("comment", "kommentar"),
            r"^(?:\d+|keine|no) (?:kommentare?|comments?)\b|kommentare insgesamt|^(?:comments?|kommentare?)$",
        ),
        (("eingeloggt", "logged in"), r"nicht eingeloggt|must be logged in|logged in to (?:post|comment)"),
        (
            ("citation", "zitiervorschlag", "cite this"),
            r"suggested citation|zitiervorschlag|cite this (?:article|post)",
        ),
        (
            ("lizenz", "licen", "cc-", "cc by", "creative commons"),
            r"(?:lizenz|licen[cs]e) cc-|cc[- ]by|creative commons",
        ),
        (
            ("beitrag wurde am", "entry was posted", "last modified", "zuletzt"),
            r"beitrag wurde am .{0,100} veröffentlicht|this entry was posted in|last modified"
            r"|zuletzt (?:aktualisiert|geändert)",
        ),
    )
)
_MONTH = (
    r"(?:jan(?:uary|uar|vier|eiro)?|feb(?:ruary|ruar|rero)?|f[ée]v(?:rier)?|mar(?:ch|s|zo|ço)?|märz|"
    r"apr(?:il|ile)?|avr(?:il)?|abr(?:il)?|mayo?|mai|mag(?:gio)?|jun(?:e|i|io|ho)?|juin|giu(?:gno)?|"
    r"jul(?:y|i|io|ho)?|juil(?:let)?|lug(?:lio)?|aug(?:ust)?|ago(?:sto)?|août|"
    r"sep(?:t(?:ember|iembre|embre)?)?|set(?:embro|tembre)?|o[ck]t(?:ober|obre|ubre)?|ott(?:obre)?|"
    r"nov(?:ember|embre|iembre)?|de[cz](?:ember|embre|iembre)?|dic(?:embre)?|déc(?:embre)?)\.?"
)
_DATE = re.compile(
    r"\b\d{1,2}[./-]\s?\d{1,2}[./-]\s?(?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b"
    rf"|\b\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    r"|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"\b(?:von|by|am|um|uhr|on|at|stand|aktualisiert|updated?|published|veröffentlicht|pubblicato|il|"
    r"ultima|modifica|publié|le|publicado|el|verfasst|geschrieben|gespeichert|datum|date|posted|erstellt|"
    r"zuletzt|last|modified|h|de|del|à)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")


def _is_closing(lower: str) -> bool:
    """Whether a (lower-cased) line is a call to action or a closing note."""
    for keywords, pattern in _CLOSING:
        for word in keywords:
            if word in lower:
                if pattern.search(lower) is not None:
                    return True
                break
    return False


def _is_dateline(line: str) -> bool:
    """A date and/or time with at most a label ("Stand:", "Updated") and one more word (a rubric, a
    name); a tweet's signature ("— Name (@handle) May 2, 2020") is a quotation, not a dateline."""
    if len(line) >= _DATELINE or "(@" in line or _DATE.search(line) is None:
        return False
    rest = _DATE_LABEL.sub(" ", _DATE.sub(" ", line))
    return len(_WORD.findall(rest)) <= _DATELINE_WORDS


def _is_furniture(lower: str) -> bool:
    """Whether a (lower-cased) line is a caption, a credit or a pointer to other content."""
    if _LEADING.match(lower):
        return True
    start = max(0, len(lower) - _TAIL_CHARS)
    if _credit_marks(lower[start:]) and _CREDIT.search(lower, start):  # (``^`` still means the line's start)
        return True
    for word in _KEYWORDS:  # (a loop: a generator per line costs more than the scans)
        if word in lower:
            return _INSIDE.search(lower) is not None
    return False


def _credit_marks(tail: str) -> bool:
    """A cheap necessary condition of ``_CREDIT``: one of the characters its alternatives need."""
    return "©" in tail or ":" in tail or "/" in tail or "|" in tail or tail.endswith(")")


def drop_furniture_lines(lines: list[str]) -> list[str]:
    """``lines`` without the furniture lines described in the module docstring (all of them when
    nothing else would be left)."""
    count = len(lines)
    if count < 2:
        return lines
    kept = []
    for index, line in enumerate(lines):
        if len(line) < _MAX_LINE:
            lower = line.lower()
            if _is_furniture(lower):
                continue
            from_end = count - 1 - index
            if index and from_end < _CLOSING_LINES and _is_closing(lower):
                continue
            if (index < _HEAD_LINES or from_end < _TAIL_LINES) and _is_dateline(line):
                continue
        kept.append(line)
    return kept or lines
