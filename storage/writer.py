"""The single writer: domain actions' row writes, batched into few transactions.

Each action hands over its statements as ``Write``s (rank, SQL, parameters) and waits until they are
committed. Whatever is queued meanwhile goes into the same transaction: statements are ordered by
rank (so a blob precedes the fetch that names it, a fetch the page that points at it), and runs of
the same SQL become one ``executemany``. An action is never half-applied: a batch that fails is
rolled back and replayed one action per transaction, so only the faulty action sees its error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, cast

import aiosqlite

MAX_BATCH = 256


class Write(NamedTuple):
    rank: int
    sql: str
    params: tuple[Any, ...]


# Ranks: rows that others refer to first.
SEED, BLOB, URL, FETCH, PAGE, IMAGE, VERSION, OTHER, LINK, IMAGE_STATE, URL_STATE = (
    5, 10, 20, 30, 40, 41, 42, 45, 50, 55, 60)


class BatchWriter:
    def __init__(self, conn: aiosqlite.Connection, lock: asyncio.Lock) -> None:
        self._conn = conn
        self._lock = lock
        self._queue: list[tuple[Sequence[Write], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    async def write(self, writes: Sequence[Write]) -> None:
        """Apply ``writes`` atomically; returns once they are committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((writes, future))
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        await future  # each caller has its own future: a cancelled one is skipped, the batch still commits

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._commit(batch)
            self._idle.set()

    async def _commit(self, batch: list[tuple[Sequence[Write], asyncio.Future[None]]]) -> None:
        async with self._lock:
            try:
                await self._apply([write for writes, _ in batch for write in writes])
            except Exception:
                for writes, future in batch:  # replay alone, so one bad action fails by itself
                    try:
                        await self._apply(writes)
                    except Exception as exc:
                        _settle(future, exc)
                    else:
                        _settle(future, None)
                return
        for _, future in batch:
            _settle(future, None)

    async def _apply(self, writes: Sequence[Write]) -> None:
        by_statement: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
        for rank, sql, params in writes:
            by_statement.setdefault((rank, sql), []).append(params)
        groups = [(sql, params) for (_, sql), params in sorted(by_statement.items())]
        # The whole transaction is one call on the connection's thread, not one hop per statement:
        # aiosqlite's queue runs it in order with the reads, and a cancelled caller cannot cut it in half.
        in_thread = cast(Callable[..., Awaitable[None]], self._conn._execute)
        await in_thread(_transaction, self._conn, groups)

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is not None and not self._task.done():
            self._wake.set()
            await self._idle.wait()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _transaction(conn: aiosqlite.Connection, groups: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    """Run on the connection's thread: every group of statements in one transaction, or none of them."""
    db = conn._conn
    db.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in groups:
            if len(params) == 1:
                db.execute(sql, params[0])
            else:
                db.executemany(sql, params)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
