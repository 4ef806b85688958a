"""The SQLite archive: one aiosqlite connection owns every write, WAL on, schema migrated on open.

Methods are named for domain actions (``add_seed``, ``claim_jobs``, ``record_page``, ...), so a
crawler never writes SQL and another backend could stand in. Each action is one transaction: a
body is never stored without the fetch that brought it, nor a job marked done without its record.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Collection

from storage.base import StoreBase, iso_date, utc_now
from storage.image_checks import ImageChecks
from storage.reads import ArchiveReads
from storage.records import (
    FetchResult,
    ImageInfo,
    Job,
    JobKind,
    JobState,
    PageMetadata,
    RobotsRecord,
    SeedRecord,
    SeedRejection,
)


class Store(ArchiveReads, ImageChecks, StoreBase):
    """The archive's domain actions: seeds, the frontier, fetch records, pages and images."""

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
                    iso_date(metadata.published_at), iso_date(metadata.modified_at), metadata.canonical_url,
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
        async with self._transaction() as db:
            fetch_id = await self._insert_fetch(db, job, fetch, body_sha256=info.sha256)
            if info.error is not None:
                await self._finish(db, job, JobState.FAILED, fetch_id=fetch_id, status=fetch.response.status,
                                   error=info.error)
                return
            await self._store_image(db, job.id, fetch_id, fetch, info)
            head = fetch.response
            await self._finish(db, job, JobState.DONE, fetch_id=fetch_id, status=head.status, error=None)

