"""What an export writes: the selection (dates, providers, topics, seed files, changed since a mark).

``ExportSelection`` turns into SQL clauses for the article query (dates, seeds, the incremental mark)
and a Python test for what only the seed's YAML knows (provider domain, topics). ``ExportMark`` is
what the store remembers of the last export to one path; its table ``export_marks`` is created here,
lazily, until it is part of ``schema.sql``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from storage.base import StoreBase
from storage.records import record
from storage.writer import OTHER, Write

DATE_FIELDS = ("fetched", "published")

@record
class ExportMark:
    """The archive's high-water marks when an export started: what is newer has changed since."""

    fetch_id: int = 0
    seed_id: int = 0


@record
class ExportSelection:
    """Which archived articles to export; every part is optional and the parts combine with AND.

    ``since``/``until`` bound ``date_field``: ``fetched`` (when the page was archived) or ``published``
    (the seed's publication time, else the page's own). Several providers or topics combine with OR.
    """

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    date_field: str = "fetched"
    providers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    seed_sha256s: tuple[str, ...] = ()
    seed_paths: tuple[str, ...] = ()
    changed_since: ExportMark | None = None


def parse_bound(text: str, *, end: bool = False) -> dt.datetime:
    """``2021-04-29`` or an ISO 8601 time; a bare ``until`` date includes that whole day. UTC when naive."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or ISO 8601 time") from None
    if end and len(text.strip()) == 10:
        value += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def seed_identity(paths: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The sha256 of each seed file's bytes (how the store knows a seed) and the paths as given."""
    digests = []
    for path in paths:
        try:
            digests.append(hashlib.sha256(Path(path).read_bytes()).hexdigest())
        except OSError:
            continue  # gone or unreadable: still matched by the path it was crawled from
    names = {str(Path(p)) for p in paths} | {str(Path(p).resolve()) for p in paths} | set(paths)
    return tuple(digests), tuple(sorted(names))


def seed_clause(selection: ExportSelection) -> tuple[str, tuple[Any, ...]]:
    """A filter on ``seed_articles`` rows: only the chosen seed files (by content hash or path)."""
    if not selection.seed_sha256s and not selection.seed_paths:
        return "1", ()
    marks = ", ".join("?" * len(selection.seed_sha256s)) or "NULL"
    names = ", ".join("?" * len(selection.seed_paths)) or "NULL"
    return (
        f"seed_id IN (SELECT id FROM seeds WHERE sha256 IN ({marks}) OR path IN ({names}))",
        (*selection.seed_sha256s, *selection.seed_paths),
    )


def article_clause(selection: ExportSelection) -> tuple[str, tuple[Any, ...]]:
    """A filter on the joined article row (``sa``, ``p``, ``f``): dates and the incremental mark."""
    clauses: list[str] = []
    params: list[Any] = []
    column = "f.started_at" if selection.date_field == "fetched" else "coalesce(sa.published, p.published_at)"
    if selection.since is not None:
        clauses.append(f"julianday({column}) >= julianday(?)")
        params.append(selection.since.isoformat())
    if selection.until is not None:
        clauses.append(f"julianday({column}) <= julianday(?)")
        params.append(selection.until.isoformat())
    mark = selection.changed_since
    if mark is not None:
        # changed: a seed added, or any new fetch of the page or of one of its images, since the mark
        clauses.append(
            "(sa.seed_id > ? OR EXISTS (SELECT 1 FROM fetches x WHERE x.url_id = sa.url_id AND x.id > ?) "
            "OR EXISTS (SELECT 1 FROM links l JOIN fetches x ON x.url_id = l.to_id WHERE l.from_id = sa.url_id "
            "AND l.relation IN ('image', 'lead_image') AND x.id > ?))"
        )
        params += [mark.seed_id, mark.fetch_id, mark.fetch_id]
    return " AND ".join(clauses) or "1", tuple(params)


def _domain(value: str) -> str:
    return value.strip().lower().rstrip(".").removeprefix("www.")


def _names(value: Any) -> list[str]:
    return [str(v).strip().lower() for v in value] if isinstance(value, list) else []


def matches_record(selection: ExportSelection, item: Mapping[str, Any], seed: Mapping[str, Any]) -> bool:
    """Provider and topic tests on the seed's own mapping for the article.

    The provider is the item's ``provider.domain``; its topics are its own ``topics``, else those of
    the seed record it belongs to (related items usually have none). Both compare case-insensitively.
    """
    if selection.providers:
        provider = item.get("provider")
        domain = provider.get("domain") if isinstance(provider, Mapping) else None
        if not isinstance(domain, str) or _domain(domain) not in {_domain(p) for p in selection.providers}:
            return False
    if selection.topics:
        topics = _names(item.get("topics")) or _names(seed.get("topics"))
        if not {t.strip().lower() for t in selection.topics} & set(topics):
            return False
    return True


async def read_mark(conn: aiosqlite.Connection, out_path: Path, fmt: str) -> ExportMark | None:
    async with conn.execute(
        "SELECT fetch_id, seed_id FROM export_marks WHERE out_path = ? AND format = ?", (str(out_path), fmt)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else ExportMark(fetch_id=int(row[0]), seed_id=int(row[1]))


async def current_mark(conn: aiosqlite.Connection) -> ExportMark:
    async with conn.execute("SELECT (SELECT max(id) FROM fetches), (SELECT max(id) FROM seeds)") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return ExportMark(fetch_id=int(row[0] or 0), seed_id=int(row[1] or 0))


async def write_mark(store: StoreBase, out_path: Path, fmt: str, mark: ExportMark, articles: int) -> None:
    """Remember a finished export, through the store's single writer."""
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    await store.write([Write(OTHER,
        "INSERT INTO export_marks (out_path, format, fetch_id, seed_id, exported_at, articles) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (out_path, format) DO UPDATE SET fetch_id = excluded.fetch_id, "
        "seed_id = excluded.seed_id, exported_at = excluded.exported_at, articles = excluded.articles",
        (str(out_path), fmt, mark.fetch_id, mark.seed_id, when, articles),
    )])
