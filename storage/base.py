"""The archive's foundation: one aiosqlite connection, its write transactions and shared row writers.

``StoreBase`` opens (and migrates) the SQLite file, serialises write transactions, and writes the rows
every domain action needs: URLs, links, blobs by content hash, fetches. ``storage.store.Store`` builds
the domain actions on top of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from storage.errors import StoreError
from storage.migrations import check_and_migrate
from storage.records import FetchResult, HttpResponseHead, ImageInfo, Job, JobKind, JobState

HostKey = Callable[[str], str]


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _head_json(head: HttpResponseHead) -> dict[str, Any]:
    return {
        "url": head.url,
        "status": head.status,
        "reason": head.reason,
        "http_version": head.http_version,
        "headers": [list(h) for h in head.headers],
    }


def iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def open_sqlite(path: Path) -> sqlite3.Connection:
    """Open and migrate synchronously; refuse what is not (or not yet) a newsvault archive."""
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        check_and_migrate(conn, str(path))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a newsvault archive ({exc}); left untouched") from exc
    except BaseException:
        conn.close()
        raise
    return conn


class StoreBase:
    def __init__(self, conn: aiosqlite.Connection, path: Path, host_key: HostKey) -> None:
        self._conn = conn
        self.path = path
        self._host_key = host_key
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, host_key: HostKey) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        open_sqlite(path).close()
        conn = await aiosqlite.connect(path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "busy_timeout = 10000"):
            await conn.execute(f"PRAGMA {pragma}")
        return cls(conn, path, host_key)

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back on any error or cancellation."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await asyncio.shield(self._conn.execute("ROLLBACK"))
                raise
            await asyncio.shield(self._conn.execute("COMMIT"))

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _url_id(self, db: aiosqlite.Connection, url: str, kind: JobKind, state: JobState | None = None) -> int:
        now = utc_now()
        row = await (await db.execute(
            "INSERT INTO urls (url, kind, host, state, discovered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET url = excluded.url RETURNING id",
            (url, kind.value, self._host_key(url), (state or JobState.PENDING).value, now, now),
        )).fetchone()
        assert row is not None
        return int(row[0])

    async def _link(self, db: aiosqlite.Connection, from_id: int, to_id: int, relation: str) -> None:
        await db.execute(
            "INSERT OR IGNORE INTO links (from_id, to_id, relation) VALUES (?, ?, ?)", (from_id, to_id, relation)
        )

    async def _put_blob(self, db: aiosqlite.Connection, data: bytes, sha256: str | None = None) -> str:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        await db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)", (digest, len(data), data)
        )
        return digest

    async def _insert_fetch(
        self, db: aiosqlite.Connection, job: Job, fetch: FetchResult | None, *, error: str | None = None,
        status: int | None = None, started_at: dt.datetime | None = None, elapsed_s: float = 0.0,
        body_sha256: str | None = None, purpose: str = "crawl",
    ) -> int:
        """One attempt's row: the exchange as received (bodies stored by hash), or only its error."""
        if fetch is None:
            when = (started_at or dt.datetime.now(dt.UTC)).isoformat()
            cursor = await db.execute(
                "INSERT INTO fetches (url_id, attempt, started_at, elapsed_s, status, error, purpose) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job.id, job.attempts, when, elapsed_s, status, error, purpose),
            )
            return int(cursor.lastrowid or 0)
        raw_sha = await self._put_blob(db, fetch.raw_body)
        body_sha = raw_sha if fetch.body is fetch.raw_body else await self._put_blob(db, fetch.body, body_sha256)
        head = fetch.response
        cursor = await db.execute(
            "INSERT INTO fetches (url_id, attempt, started_at, elapsed_s, final_url, status, reason, http_version, "
            "request_headers, response_headers, redirects, content_type, raw_sha256, body_sha256, peer_address, "
            "error, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id, job.attempts, fetch.started_at.isoformat(), fetch.elapsed_s, head.url, head.status,
                head.reason, head.http_version, json.dumps([list(h) for h in fetch.request_headers]),
                json.dumps([list(h) for h in head.headers]), json.dumps([_head_json(r) for r in fetch.redirects]),
                fetch.content_type, raw_sha, body_sha, fetch.peer_address, error, purpose,
            ),
        )
        return int(cursor.lastrowid or 0)

    async def _finish(
        self, db: aiosqlite.Connection, job: Job, state: JobState, *, fetch_id: int | None,
        status: int | None, error: str | None,
    ) -> None:
        await db.execute(
            "UPDATE urls SET state = ?, claimed_at = NULL, last_status = coalesce(?, last_status), last_error = ?, "
            "fetch_id = coalesce(?, fetch_id), updated_at = ? WHERE id = ?",
            (state.value, status, error, fetch_id, utc_now(), job.id),
        )

    async def _store_image(
        self, db: aiosqlite.Connection, url_id: int, fetch_id: int, fetch: FetchResult, info: ImageInfo
    ) -> None:
        """Make ``info`` the image's current version; every distinct version is kept beside the others."""
        now = utc_now()
        head = fetch.response
        await db.execute(
            "INSERT INTO images (url_id, fetch_id, sha256, mime_type, format, width, height, byte_size, etag, "
            "last_modified, cached, first_seen, last_seen, last_checked) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (url_id) DO UPDATE SET "
            "fetch_id = excluded.fetch_id, sha256 = excluded.sha256, mime_type = excluded.mime_type, "
            "format = excluded.format, width = excluded.width, height = excluded.height, "
            "byte_size = excluded.byte_size, etag = excluded.etag, last_modified = excluded.last_modified, "
            "cached = 1, last_seen = excluded.last_seen, last_checked = excluded.last_checked, gone_at = NULL",
            (
                url_id, fetch_id, info.sha256, info.mime_type, info.format, info.width, info.height,
                info.byte_size, head.header("etag"), head.header("last-modified"), now, now, now,
            ),
        )
        await db.execute(
            "INSERT OR IGNORE INTO image_versions (url_id, sha256, mime_type, width, height, byte_size, "
            "first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (url_id, info.sha256, info.mime_type, info.width, info.height, info.byte_size, now),
        )

    async def read_blob(self, sha256: str) -> bytes | None:
        row = await self._fetchone("SELECT data FROM blobs WHERE sha256 = ?", (sha256,))
        return None if row is None else bytes(row[0])


