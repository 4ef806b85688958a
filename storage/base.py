"""The archive's foundation: one aiosqlite connection, its write transactions and shared row writers.

``StoreBase`` opens (and migrates) the SQLite file, serialises write transactions, and writes the rows
every domain action needs: URLs, links, blobs by content hash, fetches. ``storage.store.Store`` builds
the domain actions on top of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from storage.errors import StoreError
from storage.migrations import check_and_migrate
from storage.writer import BatchWriter, Write

HostKey = Callable[[str], str]


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
        self._writer = BatchWriter(conn, self._lock)

    @classmethod
    async def open(cls, path: Path, *, host_key: HostKey) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        open_sqlite(path).close()
        conn = await aiosqlite.connect(path, isolation_level=None)
        # The archive writes mostly large blobs: a 64 MB WAL between checkpoints and a 16 MB page cache
        # cut the writer's CPU by about a seventh (bench/crawl_bench.py) at a bounded memory cost. Statement
        # journals in memory: on disk, every multi-row statement inside a batch wrote each page it touched to a
        # temp file first (over 40 extra pwrite calls per crawled URL, a seventh of the crawl's system time).
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "busy_timeout = 10000",
                       "cache_size = -16384", "wal_autocheckpoint = 16384", "temp_store = MEMORY"):
            await conn.execute(f"PRAGMA {pragma}")
        return cls(conn, path, host_key)

    async def close(self) -> None:
        await self._writer.close()
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

    async def write(self, writes: list[Write]) -> None:
        """Apply one domain action's writes atomically, batched with whatever else is queued.

        For the storage layer's own modules; the crawler calls the domain actions instead.
        """
        await self._writer.write(writes)

    async def read_blob(self, sha256: str) -> bytes | None:
        row = await self._fetchone("SELECT data FROM blobs WHERE sha256 = ?", (sha256,))
        return None if row is None else bytes(row[0])


