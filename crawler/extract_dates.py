"""Date parsing for the metadata extractor: ISO 8601, RFC 2822, Unix time and written-out dates
(month names in English, German, French, Spanish, Italian, Portuguese, Dutch, Russian, Romanian,
Polish, Czech, Turkish, Indonesian, Arabic and the Scandinavian languages; "24 نيسان / أبريل 2020"
gives a month in two calendars' names), CJK dates ("2019年4月4日"), spaced numeric dates
("26 | 01 | 2022") and, only where the caller knows the text is a date (a label, date markup, the
line next to a headline), day-month-year dates with a two-digit year ("25.04.24", see
``parse_short_date``, ``find_short_date_time`` and ``parse_short_date_line``; with a month's name,
"14 Gennaio 20", only alone on its line). A machine value in US order ("06/13/2019") is read when it
cannot be day-first. A day range written once ("14. - 20. Januar 2022") gives its first day.

A value with a time of day becomes a ``datetime`` (aware when the source gives an offset, naive
otherwise), a bare day becomes a ``date``. Nothing here raises on bad input: it returns ``None``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Mapping
from types import MappingProxyType

When = dt.datetime | dt.date

_MIN_YEAR = 1990
_MAX_YEAR = 2100

_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?(?![\d])",
    re.IGNORECASE,
)
_SLASHED_YMD = re.compile(r"(?<!\d)(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?!\d)")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?\s*(Z|[+-]\d{4})?\s*$")
_EPOCH = re.compile(r"^\s*(\d{10})(\d{3})?\s*$")
_RFC2822_HINT = re.compile(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
_NUMERIC_DMY = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4})(?![\d])")
# "26 | 01 | 2022": the day, month and year set apart by one spaced separator, used twice
_SPACED_DMY = re.compile(r"(?<![\d|/.·-])(\d{1,2})\s+([|/.·])\s+(\d{1,2})\s+\2\s+(\d{4})(?![\d])")
_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\D{0,6}?(\d{1,2})\s*[時:]\s*(\d{2}))?")
_LETTER = re.compile(r"[^\W\d_]")  # what a month's name is made of
_SHORT_DMY = re.compile(r"(?<![\w.:/])(\d{1,2})\.(\d{1,2})\.(\d{2})(?![\d.:]|\.\d)")

_MONTH_NAMES = (
    "jan january januar janvier enero gennaio janeiro januari jänner janv ene genn января январь янв "
    "ianuarie stycznia ledna ocak",
    "feb february februar février fevrier febrero febbraio fevereiro februari févr fevr февраля февраль фев "
    "februarie lutego února şubat subat",
    "mar march märz maerz mars marzo março maart mär марта март мар martie marca března mart maret",
    "apr april avril abril aprile апреля апрель апр aprilie kwietnia dubna nisan",
    "may mai mayo maggio maio mei мая май maja května may\u0131s mayis maj",
    "jun june juni juin junio giugno junho июня июнь июн iunie czerwca června haziran",
    "jul july juli juillet julio luglio julho juil июля июль июл iulie lipca července temmuz",
    "aug august août aout agosto augustus августа август авг sierpnia srpna ağustos agustus augusti",
    "sep sept september septembre septiembre settembre setembro сентября сентябрь сен septembrie września září eylül",
    "oct october oktober octobre octubre ottobre outubro okt октября октябрь окт octombrie października října ekim",
    "nov november novembre noviembre novembro ноября ноябрь ноя noiembrie listopada listopadu kas\u0131m",
    "dec december dezember décembre decembre diciembre dicembre dezembro déc dic декабря декабрь дек "
    "decembrie grudnia prosince aral\u0131k desember",
)
# Arabic: the Egyptian/Gulf names, then the Levantine ones that are one word (not كانون / تشرين).
_ARABIC_MONTH_NAMES = (
    "يناير",
    "فبراير شباط",
    "مارس آذار",
    "أبريل إبريل ابريل نيسان",
    "مايو أيار",
    "يونيو يونية حزيران",
    "يوليو يولية تموز",
    "أغسطس آب",
    "سبتمبر أيلول",
    "أكتوبر اكتوبر",
    "نوفمبر",
    "ديسمبر",
)
_MONTHS: Mapping[str, int] = MappingProxyType(
    {
        name: number
        for table in (_MONTH_NAMES, _ARABIC_MONTH_NAMES)
        for number, names in enumerate(table, start=1)
        for name in names.split()
    }
)

_AM_PM = r"[ap]\.?m\.?|(?:مساءً|مساء|صباحاً|صباحا|ص|م)(?!\w)"  # Arabic: م (masa', pm), ص (sabah, am)
_TIME_PART = rf"(?:[,\s]+(?:at\s+|um\s+|à\s+|-\s*)?(\d{{1,2}})[:.h](\d{{2}})(?::(\d{{2}}))?\s*({_AM_PM})?)?"
# Any word stands in for the month name here and is looked up in ``_MONTHS`` afterwards: a regex
# alternation of some 200 month names, tried at every position, costs tens of times more.
_WORD = r"[^\W\d_]++"
_MDY = re.compile(rf"\b({_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b{_TIME_PART}", re.IGNORECASE)
_MDY_TAIL = re.compile(r"(?<!\d)\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b", re.IGNORECASE)  # where a _MDY match ends
_WORD_BEFORE = re.compile(r"(?<!\w)[^\W\d_]++\.?\s+$")
_MONTH_REACH = 16  # the longest month name and its dot
_DMY = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|st|nd|rd|th|er|º)?\s*(?:de\s+)?({_WORD})(?:\s*/\s*{_WORD})?\.?,?\s+(?:de\s+)?(\d{{4}})\b"
    rf"{_TIME_PART}",
    re.IGNORECASE,
)


def _tz(offset: str | None) -> dt.tzinfo | None:
    if not offset:
        return None
    upper = offset.upper()
    if upper in {"Z", "UTC", "GMT"}:
        return dt.UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "").ljust(4, "0")
    hours, minutes = int(digits[:2]), int(digits[2:4])
    if hours > 14 or minutes > 59:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _build(
    year: int, month: int, day: int, clock: tuple[int, int, int, int] | None, tz: dt.tzinfo | None
) -> When | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        if clock is None:
            return dt.date(year, month, day)
        hour, minute, second, micro = clock
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def _from_iso(match: re.Match[str]) -> When | None:
    year, month, day, hour, minute, second, frac, offset = match.groups()
    clock = None
    if hour is not None:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        clock = (int(hour), int(minute), int(second or 0), micro)
    return _build(int(year), int(month), int(day), clock, _tz(offset) if clock else None)


def _from_compact(match: re.Match[str]) -> When | None:
    year, month, day, hour, minute, second, offset = match.groups()
    clock = (int(hour), int(minute), int(second or 0), 0) if hour else None
    return _build(int(year), int(month), int(day), clock, _tz(offset) if clock else None)


def _from_epoch(match: re.Match[str]) -> When | None:
    stamp = dt.datetime.fromtimestamp(int(match.group(1)), dt.UTC)
    return stamp if _MIN_YEAR <= stamp.year <= _MAX_YEAR else None


def _from_rfc2822(value: str) -> When | None:
    try:
        stamp = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return stamp if _MIN_YEAR <= stamp.year <= _MAX_YEAR else None


def parse_machine_date(value: str) -> When | None:
    """Parse a machine-readable date (meta content, JSON-LD, ``<time datetime>``)."""
    if not value or len(value) > 200:
        return None
    value = value.strip()
    match = _ISO.search(value)
    if match:
        return _from_iso(match)
    compact = _COMPACT.match(value)
    if compact:
        return _from_compact(compact)
    epoch = _EPOCH.match(value)
    if epoch:
        return _from_epoch(epoch)
    if _RFC2822_HINT.search(value):
        parsed = _from_rfc2822(value)
        if parsed is not None:
            return parsed
    return parse_human_date(value) or _us_date(value)


_US_MDY = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?$", re.IGNORECASE
)


def _us_date(value: str) -> When | None:
    """A machine value in US order ("06/13/2019"), read only when it cannot be day-first."""
    match = _US_MDY.match(value)
    if match is None or int(match.group(2)) <= 12:
        return None
    month, day, year, hour, minute, second, ampm = match.groups()
    return _build(int(year), int(month), int(day), _clock(hour, minute, second, ampm), None)


def _clock(
    hour: str | None, minute: str | None, second: str | None, ampm: str | None
) -> tuple[int, int, int, int] | None:
    if hour is None or minute is None:
        return None
    h = int(hour)
    if ampm:
        pm = ampm.lower().startswith(("p", "م"))
        h = (h % 12) + (12 if pm else 0)
    if h > 23 or int(minute) > 59:
        return None
    return (h, int(minute), int(second or 0), 0)


# "14. - 20. Januar 2022": the first day of a range whose end carries the month and the year
_RANGE_START = re.compile(r"(?<![\d.])(\d{1,2})\.\s*[-\u2013\u2014]\s*$")


def _range_start(match: re.Match[str], parsed: When | None) -> When | None:
    """The first day of a "14. - 20. Januar 2022" range ending with ``match``, else ``parsed``."""
    if parsed is None:
        return None
    before = _RANGE_START.search(match.string, max(0, match.start() - 8), match.start())
    if before is None or int(before.group(1)) >= _day_of(parsed).day:
        return parsed
    return _day_of(parsed).replace(day=int(before.group(1)))


def _from_words(match: re.Match[str], month_first: bool) -> When | None:
    groups = match.groups()
    if month_first:
        month_name, day, year = groups[0], groups[1], groups[2]
    else:
        day, month_name, year = groups[0], groups[1], groups[2]
    month = _MONTHS.get(month_name.lower().rstrip("."))
    if month is None:
        return None
    built = _build(int(year), month, int(day), _clock(*groups[3:7]), None)
    return built if month_first else _range_start(match, built)


_YEAR = re.compile(r"\d{4,}")  # whole digit runs; a year is one of exactly four digits
_BEFORE_YEAR, _AFTER_YEAR, _MAX_WINDOWS = 60, 48, 50


def parse_human_date(value: str, limit: int = 500) -> When | None:
    """The first date written for people ("March 5, 2019", "5. März 2019", "05.03.2019") in ``value``.

    Every form has a four-digit year, so only a short window around each year is searched: the cost
    follows the number of years in the text, not its length.
    """
    if not value:
        return None
    text = value[:limit]
    count = 0
    for year in _YEAR.finditer(text):
        if year.end() - year.start() != 4:
            continue
        if count >= _MAX_WINDOWS:
            break
        count += 1
        found = _first_date(text[max(0, year.start() - _BEFORE_YEAR) : year.end() + _AFTER_YEAR])
        if found is not None:
            return found
    return None


def _is_month(word: str) -> bool:
    return word.lower().rstrip(".") in _MONTHS


def _mdy_match(text: str) -> re.Match[str] | None:
    """The first "March 5, 2019" in ``text``: found by its cheap "5, 2019" tail, then the word before."""
    for tail in _MDY_TAIL.finditer(text):
        start = word_end = tail.start()
        while word_end and text[word_end - 1].isspace():
            word_end -= 1
        head = _WORD_BEFORE.search(text, max(0, word_end - _MONTH_REACH), start)
        if head is not None:  # the look-behind sees text before the window: a cut-off word does not count
            match = _MDY.match(text, head.start())
            if match is not None and _is_month(match.group(1)):
                return match
    return None


def _dmy_match(text: str) -> re.Match[str] | None:
    """The first "5. März 2019" in ``text`` whose word is a month name."""
    match = _DMY.search(text)
    while match is not None and not _is_month(match.group(2)):
        match = _DMY.search(text, match.start() + 1)
    return match


def _word_dates(text: str) -> list[tuple[int, When]]:
    """Where "March 5, 2019" and "5. März 2019" start in ``text``, and their dates (none without a letter)."""
    found: list[tuple[int, When]] = []
    if _LETTER.search(text) is None:  # no month's name
        return found
    for match, month_first in ((_mdy_match(text), True), (_dmy_match(text), False)):
        if match:
            parsed = _from_words(match, month_first)
            if parsed is not None:
                found.append((match.start(), parsed))
    return found


def _numeric_dates(text: str) -> list[tuple[int, When]]:
    """Where "2019/03/05", "05.03.2019" and "05 | 03 | 2019" start in ``text``, and their dates."""
    found: list[tuple[int, When]] = []
    dotted = "." in text or "/" in text  # what the numeric forms are written with
    spaced = dotted or "|" in text or "·" in text
    for pattern, order, possible in (
        (_SLASHED_YMD, (0, 1, 2), dotted),
        (_NUMERIC_DMY, (2, 1, 0), dotted),
        (_SPACED_DMY, (3, 2, 0), spaced),
    ):
        numeric = pattern.search(text) if possible else None
        if numeric:
            parts = numeric.groups()
            parsed = _build(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]]), None, None)
            if parsed is not None:
                found.append((numeric.start(), parsed))
    return found


def _first_date(text: str) -> When | None:
    """The earliest date in ``text``; a pattern is run only when a character it needs is there."""
    found = _word_dates(text)
    cjk = _CJK.search(text) if "年" in text else None
    if cjk:
        year, month, day, hour, minute = cjk.groups()
        clock = (int(hour), int(minute), 0, 0) if hour and int(hour) < 24 and int(minute) < 60 else None
        parsed = _build(int(year), int(month), int(day), clock, None)
        if parsed is not None:
            found.append((cjk.start(), parsed))
    iso = _ISO.search(text) if "-" in text else None
    if iso:
        parsed = _from_iso(iso)
        if parsed is not None:
            found.append((iso.start(), parsed))
    found.extend(_numeric_dates(text))
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]


def parse_short_date(value: str) -> dt.date | None:
    """A "25.04.24" date (day, month, two-digit year, read as 20xx) in a short known date label."""
    match = _SHORT_DMY.search(value[:200])
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    built = _build(2000 + year, month, day, None, None)
    return built if isinstance(built, dt.date) and built <= dt.date.today() else None


_SHORT_DMY_CLOCK = re.compile(
    r"(?<![\w.:/])(\d{1,2})([./])(\d{1,2})\2(\d{2})(?![\d.:/]|\.\d)[\s|,·/-]{0,8}(?:um\s+|at\s+)?"
    r"(\d{1,2})[:.](\d{2})(?![\d.:])(?:\s*([ap]\.?m\.?)(?!\w))?",
    re.IGNORECASE,
)
_SHORT_LINE = re.compile(
    r"\s*(?:[^\W\d_]{2,3}\.?,?\s+)?(\d{1,2})\.(\d{1,2})\.(\d{2})\s*(?:[|,·-]?\s*(\d{1,2})[:.](\d{2})\s*(?:uhr|h)?\s*)?",
    re.IGNORECASE,
)


# "( Pescasseroli, 14 Gennaio 20 )": a day, a month's name and a two-digit year, alone on a line
# but for a place name before it and the brackets around it
_SHORT_NAMED_LINE = re.compile(
    r"\s*\(?\s*(?:[^\W\d_][^\W\d_' -]{1,30},\s*)?(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?\s+(\d{2})\s*\)?\s*"
)


def _short_build(parts: tuple[str | None, ...]) -> When | None:
    day, month, year, hour, minute = parts
    clock = _clock(hour, minute, None, None)
    built = _build(2000 + int(year or 0), int(month or 0), int(day or 0), clock, None)
    return built if built is not None and _day_of(built) <= dt.date.today() else None


def _day_of(value: When) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def find_short_date_time(value: str) -> tuple[int, dt.datetime] | None:
    """The first "25.04.24 | 14:07" date in ``value`` and where it starts: a two-digit year made
    safe by the clock time right after it. With slashes ("26/10/13, 03:48 pm") only when the day
    is above 12: "05/06/13" may be month first."""
    match = _SHORT_DMY_CLOCK.search(value)
    if match is None:
        return None
    day, separator, month, year, hour, minute, ampm = match.groups()
    if separator == "/" and int(day) <= 12:
        return None
    clock = _clock(hour, minute, None, ampm)
    built = _build(2000 + int(year), int(month), int(day), clock, None) if clock else None
    if not isinstance(built, dt.datetime) or built.date() > dt.date.today():
        return None
    return match.start(), built


def parse_short_date_line(line: str) -> When | None:
    """A line that is nothing but a two-digit-year date ("02.12.19", "Do 25.04.24, 14:07 Uhr"); the
    one word allowed before it is a weekday's abbreviation. With the month's name ("14 Gennaio 20"),
    a place name may come first and brackets may enclose it ("( Pescasseroli, 14 Gennaio 20 )")."""
    match = _SHORT_LINE.fullmatch(line)
    if match is not None:
        return _short_build(match.groups())
    named = _SHORT_NAMED_LINE.fullmatch(line)
    month = _MONTHS.get(named.group(2).lower()) if named is not None else None
    if named is None or month is None:
        return None
    return _short_build((named.group(1), str(month), named.group(3), None, None))


_URL_YMD = re.compile(r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)")
_URL_DMY = re.compile(r"[/_-](\d{2})[_-](\d{2})[_-]((?:19|20)\d{2})(?:[/_.?#-]|$)")


def url_date(url: str | None) -> dt.date | None:
    """The day encoded in an article URL path, like ``/2019/05/12/`` or ``/2019-05-12-slug``.

    A day written the other way round (``/29-10-2021``, ``-10-29-2021``) is read only when it is
    unambiguous: one of its first two numbers is above 12.
    """
    if not url:
        return None
    match = _URL_YMD.search(url)
    if match:
        built = _build(int(match.group(1)), int(match.group(2)), int(match.group(3)), None, None)
        return built if isinstance(built, dt.date) else None
    other = _URL_DMY.search(url)
    if other:
        first, second, year = (int(part) for part in other.groups())
        if (first > 12) != (second > 12):
            day, month = (first, second) if first > 12 else (second, first)
            built = _build(year, month, day, None, None)
            return built if isinstance(built, dt.date) else None
    return None
