"""The SQLite archive: one aiosqlite connection owns every write, WAL on, schema migrated on open.

Methods are named for domain actions (``add_seed``, ``claim_jobs``, ``record_page``, ...), so a
crawler never writes SQL and another backend could stand in. Each action is one transaction: a
body is never stored without the fetch that brought it, nor a job marked done without its record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from storage.errors import StoreError
from storage.migrations import check_and_migrate
from storage.records import (
    ArchivedArticle,
    ArchivedImage,
    FetchResult,
    HttpResponseHead,
    ImageInfo,
    Job,
    JobKind,
    JobState,
    PageMetadata,
    RobotsRecord,
    SeedRecord,
    SeedRejection,
)

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


def _iso(value: dt.date | None) -> str | None:
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


class Store:
    def __init__(self, conn: aiosqlite.Connection, path: Path, host_key: HostKey) -> None:
        self._conn = conn
        self.path = path
        self._host_key = host_key
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, host_key: HostKey) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        open_sqlite(path).close()
        conn = await aiosqlite.connect(path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "busy_timeout = 10000"):
            await conn.execute(f"PRAGMA {pragma}")
        return cls(conn, path, host_key)

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> Store:
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

    # -- seeds -----------------------------------------------------------------------------------

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

    async def add_seed(self, seed: SeedRecord, *, fetch_alternates: bool = False) -> bool:
        """Store a seed and enqueue its URLs; False when the same content was stored before."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO seeds (sha256, path, text, added_at) VALUES (?, ?, ?, ?)",
                (seed.sha256, seed.path, seed.text, utc_now()),
            )
            if cursor.rowcount == 0:
                return False
            seed_id = cursor.lastrowid
            await db.execute("DELETE FROM seed_rejections WHERE path = ?", (seed.path,))
            main_id = 0
            for article in seed.articles:
                url_id = await self._url_id(db, article.url, JobKind.PAGE)
                main_id = main_id or url_id
                await db.execute(
                    "INSERT INTO seed_articles (seed_id, path, role, url_id, title, published) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (seed_id, article.path, article.role, url_id, article.title, article.published),
                )
                if url_id != main_id:
                    await self._link(db, main_id, url_id, "related")
                for alias in article.urls[1:]:
                    await self._link(db, url_id, await self._url_id(db, alias, JobKind.PAGE), "same_story")
                for alternate in article.alternates:
                    if fetch_alternates:
                        await self._link(db, url_id, await self._url_id(db, alternate, JobKind.PAGE), "alternate")
                    else:
                        await db.execute(
                            "INSERT OR IGNORE INTO alternates (url_id, url) VALUES (?, ?)", (url_id, alternate)
                        )
                for position, image in enumerate(article.images):
                    image_id = await self._url_id(db, image.url, JobKind.IMAGE)
                    await self._link(db, url_id, image_id, "image")
                    await db.execute(
                        "INSERT INTO seed_images (seed_id, article_path, position, url_id, claimed_width, "
                        "claimed_height, claimed_cached) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (seed_id, article.path, position, image_id, image.width, image.height, image.is_cached),
                    )
            return True

    async def has_seed(self, sha256: str) -> bool:
        return await self._fetchone("SELECT 1 FROM seeds WHERE sha256 = ?", (sha256,)) is not None

    async def record_rejection(self, rejection: SeedRejection) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO seed_rejections (path, sha256, reason, seen_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (path, sha256) DO UPDATE SET reason = excluded.reason, seen_at = excluded.seen_at",
                (rejection.path, rejection.sha256 or "", rejection.reason, utc_now()),
            )

    # -- frontier --------------------------------------------------------------------------------

    async def reclaim_claims(self) -> int:
        """Return jobs left in progress by a run that stopped without finishing them."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE urls SET state = 'pending', claimed_at = NULL WHERE state = 'in_progress'"
            )
            return cursor.rowcount

    async def retry_failed(self) -> int:
        """Give every failed job a fresh budget (the user asked for it: the cause may be gone)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE urls SET state = 'pending', attempts = 0, next_attempt_at = 0 WHERE state = 'failed'"
            )
            return cursor.rowcount

    async def claim_jobs(
        self, limit: int, *, exclude_hosts: Collection[str] = (), now: float | None = None
    ) -> list[Job]:
        """Mark up to ``limit`` ready jobs in progress and return them, skipping busy hosts."""
        now = time.time() if now is None else now
        excluded = tuple(exclude_hosts)
        marks = ",".join("?" * len(excluded))
        host_filter = f"AND host NOT IN ({marks})" if excluded else ""
        async with self._transaction() as db:
            rows = await (await db.execute(
                "UPDATE urls SET state = 'in_progress', claimed_at = ? WHERE id IN ("
                f"SELECT id FROM urls WHERE state = 'pending' AND next_attempt_at <= ? {host_filter} "
                "ORDER BY next_attempt_at, id LIMIT ?) RETURNING id, url, kind, host, attempts",
                (now, now, *excluded, limit),
            )).fetchall()
        jobs = [Job(id=r[0], url=r[1], kind=JobKind(r[2]), host=r[3], attempts=r[4]) for r in rows]
        return sorted(jobs, key=lambda job: job.id)

    async def next_attempt_time(self) -> float | None:
        """When the earliest pending job becomes ready; None when nothing is pending."""
        row = await self._fetchone("SELECT min(next_attempt_at) FROM urls WHERE state = 'pending'")
        return None if row is None or row[0] is None else float(row[0])

    async def start_attempt(self, job: Job) -> Job:
        """Count the attempt before it runs, so a crash never gives a URL a fresh budget."""
        async with self._transaction() as db:
            await db.execute("UPDATE urls SET attempts = attempts + 1 WHERE id = ?", (job.id,))
        return Job(id=job.id, url=job.url, kind=job.kind, host=job.host, attempts=job.attempts + 1)

    async def schedule_retry(self, job: Job, *, next_attempt_at: float) -> None:
        async with self._transaction() as db:
            await db.execute("UPDATE urls SET next_attempt_at = ? WHERE id = ?", (next_attempt_at, job.id))

    async def postpone(self, job: Job, *, until: float, reason: str) -> None:
        """Give a job back to the frontier for later without spending an attempt."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE urls SET state = 'pending', claimed_at = NULL, next_attempt_at = ?, last_error = ?, "
                "updated_at = ? WHERE id = ?",
                (until, reason, utc_now(), job.id),
            )

    async def record_blocked(self, job: Job, *, reason: str) -> None:
        """End a job that the site does not allow us to fetch (not an error)."""
        async with self._transaction() as db:
            await self._finish(db, job, JobState.BLOCKED, fetch_id=None, status=None, error=reason)

    async def robots(self, host: str) -> RobotsRecord | None:
        row = await self._fetchone(
            "SELECT host, url, status, body, error, fetched_at FROM robots WHERE host = ?", (host,)
        )
        if row is None:
            return None
        body = None if row[3] is None else bytes(row[3])
        return RobotsRecord(host=row[0], url=row[1], status=row[2], body=body, error=row[4], fetched_at=row[5])

    async def record_robots(self, robots: RobotsRecord) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO robots (host, url, status, body, error, fetched_at) VALUES (?, ?, ?, ?, ?, ?)",
                (robots.host, robots.url, robots.status, robots.body, robots.error, robots.fetched_at),
            )

    async def release(self, jobs: Collection[Job]) -> None:
        """Give claimed jobs back to the frontier (a graceful stop)."""
        async with self._transaction() as db:
            await db.executemany(
                "UPDATE urls SET state = 'pending', claimed_at = NULL WHERE id = ? AND state = 'in_progress'",
                [(job.id,) for job in jobs],
            )

    # -- fetch records ---------------------------------------------------------------------------

    async def _put_blob(self, db: aiosqlite.Connection, data: bytes, sha256: str | None = None) -> str:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        await db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)", (digest, len(data), data)
        )
        return digest

    async def _insert_fetch(
        self, db: aiosqlite.Connection, job: Job, fetch: FetchResult | None, *, error: str | None = None,
        status: int | None = None, started_at: dt.datetime | None = None, elapsed_s: float = 0.0,
        body_sha256: str | None = None,
    ) -> int:
        if fetch is None:
            when = (started_at or dt.datetime.now(dt.UTC)).isoformat()
            cursor = await db.execute(
                "INSERT INTO fetches (url_id, attempt, started_at, elapsed_s, status, error) VALUES (?, ?, ?, ?, ?, ?)",
                (job.id, job.attempts, when, elapsed_s, status, error),
            )
            return int(cursor.lastrowid or 0)
        raw_sha = await self._put_blob(db, fetch.raw_body)
        body_sha = raw_sha if fetch.body is fetch.raw_body else await self._put_blob(db, fetch.body, body_sha256)
        head = fetch.response
        cursor = await db.execute(
            "INSERT INTO fetches (url_id, attempt, started_at, elapsed_s, final_url, status, reason, http_version, "
            "request_headers, response_headers, redirects, content_type, raw_sha256, body_sha256, peer_address, "
            "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id, job.attempts, fetch.started_at.isoformat(), fetch.elapsed_s, head.url, head.status,
                head.reason, head.http_version, json.dumps([list(h) for h in fetch.request_headers]),
                json.dumps([list(h) for h in head.headers]), json.dumps([_head_json(r) for r in fetch.redirects]),
                fetch.content_type, raw_sha, body_sha, fetch.peer_address, error,
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

    async def record_failed_attempt(
        self, job: Job, *, error: str, status: int | None, started_at: dt.datetime, elapsed_s: float,
        final: bool, state: JobState = JobState.FAILED,
    ) -> None:
        """Record one failed try; ``final`` ends the job in ``state``, otherwise it stays claimed."""
        async with self._transaction() as db:
            await self._insert_fetch(
                db, job, None, error=error, status=status, started_at=started_at, elapsed_s=elapsed_s
            )
            if final:
                await self._finish(db, job, state, fetch_id=None, status=status, error=error)
            else:
                await db.execute(
                    "UPDATE urls SET last_status = ?, last_error = ?, updated_at = ? WHERE id = ?",
                    (status, error, utc_now(), job.id),
                )

    async def record_page(
        self, job: Job, fetch: FetchResult, metadata: PageMetadata, *, note: str | None = None,
        lead_image_url: str | None = None,
    ) -> None:
        """Archive a fetched page and what was extracted from it; enqueue its lead image."""
        async with self._transaction() as db:
            fetch_id = await self._insert_fetch(db, job, fetch)
            await db.execute(
                "INSERT OR REPLACE INTO pages (url_id, fetch_id, title, description, authors, published_at, "
                "modified_at, canonical_url, site_name, language, lead_image_url, topics, text, note, extracted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id, fetch_id, metadata.title, metadata.description, json.dumps(list(metadata.authors)),
                    _iso(metadata.published_at), _iso(metadata.modified_at), metadata.canonical_url,
                    metadata.site_name, metadata.language, metadata.lead_image_url,
                    json.dumps(list(metadata.topics)), metadata.text, note, utc_now(),
                ),
            )
            if lead_image_url is not None:
                image_id = await self._url_id(db, lead_image_url, JobKind.IMAGE)
                await self._link(db, job.id, image_id, "lead_image")
            await self._finish(db, job, JobState.DONE, fetch_id=fetch_id, status=fetch.response.status, error=None)

    async def record_image(self, job: Job, fetch: FetchResult, info: ImageInfo) -> None:
        """Archive an image: its bytes once by hash, its real type and size, a version per content."""
        now = utc_now()
        async with self._transaction() as db:
            fetch_id = await self._insert_fetch(db, job, fetch, body_sha256=info.sha256)
            if info.error is not None:
                await self._finish(db, job, JobState.FAILED, fetch_id=fetch_id, status=fetch.response.status,
                                   error=info.error)
                return
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
                    job.id, fetch_id, info.sha256, info.mime_type, info.format, info.width, info.height,
                    info.byte_size, head.header("etag"), head.header("last-modified"), now, now, now,
                ),
            )
            await db.execute(
                "INSERT OR IGNORE INTO image_versions (url_id, sha256, mime_type, width, height, byte_size, "
                "first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job.id, info.sha256, info.mime_type, info.width, info.height, info.byte_size, now),
            )
            await self._finish(db, job, JobState.DONE, fetch_id=fetch_id, status=head.status, error=None)

    # -- reading ---------------------------------------------------------------------------------

    async def counts(self) -> dict[str, dict[str, int]]:
        """Seeds accepted/rejected, and pages/images by state: what ``status --json`` prints."""
        result: dict[str, dict[str, int]] = {
            kind: {state.value: 0 for state in JobState} for kind in ("pages", "images")
        }
        for kind, state, count in await self._fetchall("SELECT kind, state, count(*) FROM urls GROUP BY kind, state"):
            result["pages" if kind == "page" else "images"][state] = count
        accepted = (await self._fetchone("SELECT count(*) FROM seeds"))[0]
        rejected = (await self._fetchone("SELECT count(*) FROM seed_rejections"))[0]
        result["seeds"] = {"accepted": accepted, "rejected": rejected}
        return result

    async def image_claims(self) -> dict[str, int]:
        """How many seed claims of image dimensions held, did not, or cannot be checked yet."""
        row = await self._fetchone(
            "SELECT sum(i.width = s.claimed_width AND i.height = s.claimed_height), "
            "sum(NOT (i.width = s.claimed_width AND i.height = s.claimed_height)), count(*) "
            "FROM seed_images s LEFT JOIN images i ON i.url_id = s.url_id "
            "WHERE s.claimed_width IS NOT NULL OR s.claimed_height IS NOT NULL"
        )
        held, broken, total = (int(v or 0) for v in row)
        return {"held": held, "not_held": broken, "unchecked": total - held - broken}

    async def failures(self, limit: int = 50) -> list[tuple[str, str]]:
        rows = await self._fetchall(
            "SELECT url, coalesce(last_error, 'failed') FROM urls WHERE state IN ('failed', 'blocked') "
            "ORDER BY id LIMIT ?", (limit,),
        )
        return [(r[0], r[1]) for r in rows]

    async def rejections(self, limit: int = 50) -> list[SeedRejection]:
        rows = await self._fetchall(
            "SELECT path, reason, sha256 FROM seed_rejections ORDER BY path LIMIT ?", (limit,)
        )
        return [SeedRejection(path=r[0], reason=r[1], sha256=r[2] or None) for r in rows]

    async def fetch_count(self) -> int:
        return int((await self._fetchone("SELECT count(*) FROM fetches"))[0])

    @property
    def connection(self) -> aiosqlite.Connection:
        """The read side for exports and queries in ``storage``; writes go through the methods."""
        return self._conn

    # -- export reading --------------------------------------------------------------------------

    _ARTICLES = (
        "SELECT sa.url_id, u.url, s.text, s.path, sa.path, sa.role, f.started_at, f.final_url, f.status, "
        "f.body_sha256, p.title, p.description, p.authors, p.published_at, p.modified_at, p.canonical_url, "
        "p.site_name, p.language, p.lead_image_url, p.topics, p.text, p.note, sa.seed_id "
        "FROM (SELECT *, row_number() OVER (PARTITION BY url_id ORDER BY role != 'article', seed_id, path) AS rank "
        "      FROM seed_articles) sa "
        "JOIN seeds s ON s.id = sa.seed_id JOIN urls u ON u.id = sa.url_id "
        "JOIN pages p ON p.url_id = sa.url_id JOIN fetches f ON f.id = p.fetch_id "
        "WHERE sa.rank = 1 AND u.state = 'done' ORDER BY sa.seed_id, sa.path"
    )
    _IMAGES = (
        "SELECT u.url, u.state, i.sha256, i.mime_type, i.width, i.height, i.byte_size, i.cached, "
        "si.claimed_width, si.claimed_height, si.claimed_cached, 'image' "
        "FROM seed_images si JOIN urls u ON u.id = si.url_id LEFT JOIN images i ON i.url_id = si.url_id "
        "WHERE si.seed_id = ? AND si.article_path = ? "
        "UNION ALL "
        "SELECT u.url, u.state, i.sha256, i.mime_type, i.width, i.height, i.byte_size, i.cached, "
        "NULL, NULL, NULL, 'lead_image' "
        "FROM links l JOIN urls u ON u.id = l.to_id LEFT JOIN images i ON i.url_id = l.to_id "
        "WHERE l.from_id = ? AND l.relation = 'lead_image'"
    )

    async def iter_articles(self, batch: int = 200) -> AsyncIterator[ArchivedArticle]:
        """Every archived page a seed names, once, with the first seed record that names it."""
        async with self._conn.execute(self._ARTICLES) as cursor:
            while rows := await cursor.fetchmany(batch):
                for row in rows:
                    yield await self._article(row)

    async def _article(self, row: Any) -> ArchivedArticle:
        keys = ("title", "description", "authors", "published_at", "modified_at", "canonical_url", "site_name",
                "language", "lead_image_url", "topics", "text")
        metadata = dict(zip(keys, row[10:21], strict=True))
        metadata["authors"] = json.loads(metadata["authors"])
        metadata["topics"] = json.loads(metadata["topics"])
        images = await self._fetchall(self._IMAGES, (row[22], row[4], row[0]))
        return ArchivedArticle(
            url_id=row[0], url=row[1], seed_text=row[2], seed_path=row[3], item_path=row[4], role=row[5],
            fetched_at=row[6], final_url=row[7], status=row[8], body_sha256=row[9], metadata=metadata,
            note=row[21], images=tuple(_archived_image(r) for r in _unique_images(images)),
        )

    async def read_blob(self, sha256: str) -> bytes | None:
        row = await self._fetchone("SELECT data FROM blobs WHERE sha256 = ?", (sha256,))
        return None if row is None else bytes(row[0])


def _unique_images(rows: Iterable[Any]) -> list[Any]:
    """An image both claimed by the seed and found as the lead image is listed once, as claimed."""
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    return unique


def _archived_image(row: Any) -> ArchivedImage:
    return ArchivedImage(
        url=row[0], state=row[1], sha256=row[2], mime_type=row[3], width=row[4], height=row[5], byte_size=row[6],
        cached=None if row[7] is None else bool(row[7]), claimed_width=row[8], claimed_height=row[9],
        claimed_cached=None if row[10] is None else bool(row[10]), relation=row[11],
    )
