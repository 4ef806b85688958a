"""Date parsing for the metadata extractor: ISO 8601, RFC 2822, Unix time and written-out dates
(month names in English, German, French, Spanish, Italian, Portuguese, Dutch, Russian, Romanian,
Polish, Czech, Turkish, Indonesian and the Scandinavian languages), CJK dates ("2019年4月4日") and,
only where the caller knows the text is a date label, day-month-year dates with a two-digit year
("25.04.24", see ``parse_short_date``).

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
_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\D{0,6}?(\d{1,2})\s*[時:]\s*(\d{2}))?")
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
_MONTHS: Mapping[str, int] = MappingProxyType(
    {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()}
)

_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_TIME_PART = r"(?:[,\s]+(?:at\s+|um\s+|à\s+|-\s*)?(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?"
_MDY = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b{_TIME_PART}", re.IGNORECASE)
_DMY = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|st|nd|rd|th|er|º)?\s*(?:de\s+)?({_MONTH_ALT})\.?,?\s+(?:de\s+)?(\d{{4}})\b"
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
    return parse_human_date(value)


def _clock(
    hour: str | None, minute: str | None, second: str | None, ampm: str | None
) -> tuple[int, int, int, int] | None:
    if hour is None or minute is None:
        return None
    h = int(hour)
    if ampm:
        pm = ampm.lower().startswith("p")
        h = (h % 12) + (12 if pm else 0)
    if h > 23 or int(minute) > 59:
        return None
    return (h, int(minute), int(second or 0), 0)


def _from_words(match: re.Match[str], month_first: bool) -> When | None:
    groups = match.groups()
    if month_first:
        month_name, day, year = groups[0], groups[1], groups[2]
    else:
        day, month_name, year = groups[0], groups[1], groups[2]
    month = _MONTHS.get(month_name.lower().rstrip("."))
    if month is None:
        return None
    return _build(int(year), month, int(day), _clock(*groups[3:7]), None)


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


def _first_date(text: str) -> When | None:
    found: list[tuple[int, When]] = []
    for pattern, month_first in ((_MDY, True), (_DMY, False)):
        match = pattern.search(text)
        if match:
            parsed = _from_words(match, month_first)
            if parsed is not None:
                found.append((match.start(), parsed))
    cjk = _CJK.search(text)
    if cjk:
        year, month, day, hour, minute = cjk.groups()
        clock = (int(hour), int(minute), 0, 0) if hour and int(hour) < 24 and int(minute) < 60 else None
        parsed = _build(int(year), int(month), int(day), clock, None)
        if parsed is not None:
            found.append((cjk.start(), parsed))
    iso = _ISO.search(text)
    if iso:
        parsed = _from_iso(iso)
        if parsed is not None:
            found.append((iso.start(), parsed))
    for pattern, order in ((_SLASHED_YMD, (0, 1, 2)), (_NUMERIC_DMY, (2, 1, 0))):
        numeric = pattern.search(text)
        if numeric:
            parts = numeric.groups()
            parsed = _build(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]]), None, None)
            if parsed is not None:
                found.append((numeric.start(), parsed))
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


def url_date(url: str | None) -> dt.date | None:
    """The day encoded in an article URL path, like ``/2019/05/12/`` or ``/2019-05-12-slug``."""
    if not url:
        return None
    match = re.search(r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)", url)
    if not match:
        return None
    built = _build(int(match.group(1)), int(match.group(2)), int(match.group(3)), None, None)
    return built if isinstance(built, dt.date) else None
