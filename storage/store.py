"""The SQLite archive: one aiosqlite connection owns every write, WAL on, schema migrated on open.

Methods are named for domain actions (``add_seeds``, ``claim_jobs``, ``record_page``, ...), so a
crawler never writes SQL and another backend could stand in. Each action is one transaction: a
body is never stored without the fetch that brought it, nor a job marked done without its record.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Collection, Sequence

from storage import rows
from storage.base import StoreBase, iso_date
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
    SeedFile,
    SeedRecord,
    SeedRejection,
)
from storage.rows import utc_now
from storage.writer import LINK, OTHER, PAGE, URL, URL_STATE, Write


class Store(ArchiveReads, ImageChecks, StoreBase):
    """The archive's domain actions: seeds, the frontier, fetch records, pages and images."""

    async def add_seeds(
        self, seeds: Sequence[SeedRecord], *, files: Sequence[SeedFile] = (), fetch_alternates: bool = False
    ) -> None:
        """Store seeds and enqueue their URLs, and remember the files they came from, in one transaction."""
        writes: list[Write] = []
        for seed in seeds:
            writes += rows.seed(seed, self._host_key, fetch_alternates=fetch_alternates)
        writes += [Write(OTHER, "INSERT OR REPLACE INTO seed_files (path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                         (f.path, f.size, f.mtime_ns, f.sha256)) for f in files]
        if writes:
            await self.write(writes)

    async def unchanged_seed_files(self, files: Sequence[SeedFile]) -> set[str]:
        """Paths whose size and modification time are those of a file already stored."""
        if not files:
            return set()
        marks = ",".join("?" * len(files))
        stored = {row[0]: (row[1], row[2]) for row in await self._fetchall(
            f"SELECT path, size, mtime_ns FROM seed_files WHERE path IN ({marks})", tuple(f.path for f in files))}
        return {f.path for f in files if stored.get(f.path) == (f.size, f.mtime_ns)}

    async def known_seeds(self, sha256s: Collection[str]) -> set[str]:
        """Which of these seed contents the archive already holds."""
        marks = ",".join("?" * len(sha256s))
        rows_ = await self._fetchall(f"SELECT sha256 FROM seeds WHERE sha256 IN ({marks})", tuple(sha256s))
        return {row[0] for row in rows_}

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
        """Count the try before it runs, so a crash never gives a URL a fresh budget."""
        await self.write([Write(URL_STATE, "UPDATE urls SET attempts = attempts + 1 WHERE id = ?", (job.id,))])
        return Job(id=job.id, url=job.url, kind=job.kind, host=job.host, attempts=job.attempts + 1)

    async def schedule_retry(self, job: Job, *, next_attempt_at: float) -> None:
        await self.write([Write(URL_STATE, "UPDATE urls SET next_attempt_at = ? WHERE id = ?",
                                 (next_attempt_at, job.id))])

    async def postpone(self, job: Job, *, until: float, reason: str) -> None:
        """Give a job back to the frontier for later without spending an attempt."""
        await self.write([Write(
            URL_STATE,
            "UPDATE urls SET state = 'pending', claimed_at = NULL, next_attempt_at = ?, last_error = ?, "
            "updated_at = ? WHERE id = ?",
            (until, reason, utc_now(), job.id),
        )])

    async def record_blocked(self, job: Job, *, reason: str) -> None:
        """End a job that the site does not allow us to fetch (not an error)."""
        await self.write([rows.finish(job, JobState.BLOCKED, status=None, error=reason, fetched=False)])

    async def robots(self, host: str) -> RobotsRecord | None:
        row = await self._fetchone(
            "SELECT host, url, status, body, error, fetched_at FROM robots WHERE host = ?", (host,)
        )
        if row is None:
            return None
        body = None if row[3] is None else bytes(row[3])
        return RobotsRecord(host=row[0], url=row[1], status=row[2], body=body, error=row[4], fetched_at=row[5])

    async def record_robots(self, robots: RobotsRecord) -> None:
        await self.write([Write(
            OTHER,
            "INSERT OR REPLACE INTO robots (host, url, status, body, error, fetched_at) VALUES (?, ?, ?, ?, ?, ?)",
            (robots.host, robots.url, robots.status, robots.body, robots.error, robots.fetched_at),
        )])

    async def release(self, jobs: Collection[Job]) -> None:
        """Give claimed jobs back to the frontier (a graceful stop)."""
        if not jobs:
            return
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
        writes = [rows.failed_fetch(job, error=error, status=status, started_at=started_at, elapsed_s=elapsed_s)]
        if final:
            writes.append(rows.finish(job, state, status=status, error=error, fetched=False))
        else:
            writes.append(Write(URL_STATE, "UPDATE urls SET last_status = ?, last_error = ?, updated_at = ? "
                                           "WHERE id = ?", (status, error, utc_now(), job.id)))
        await self.write(writes)

    async def record_page(
        self, job: Job, fetch: FetchResult, metadata: PageMetadata, *, note: str | None = None,
        lead_image_url: str | None = None,
    ) -> None:
        """Archive a fetched page and what was extracted from it; enqueue its lead image."""
        writes = rows.fetch(job, fetch)
        writes.append(Write(
            PAGE,
            "INSERT OR REPLACE INTO pages (url_id, fetch_id, title, description, authors, published_at, "
            "modified_at, canonical_url, site_name, language, lead_image_url, topics, text, note, extracted_at) "
            f"VALUES (?, {rows.LATEST_FETCH}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id, job.id, metadata.title, metadata.description, json.dumps(list(metadata.authors)),
                iso_date(metadata.published_at), iso_date(metadata.modified_at), metadata.canonical_url,
                metadata.site_name, metadata.language, metadata.lead_image_url,
                json.dumps(list(metadata.topics)), metadata.text, note, utc_now(),
            ),
        ))
        if lead_image_url is not None:
            now = utc_now()
            writes += [
                Write(URL, "INSERT OR IGNORE INTO urls (url, kind, host, state, discovered_at, updated_at) "
                           "VALUES (?, 'image', ?, 'pending', ?, ?)",
                      (lead_image_url, self._host_key(lead_image_url), now, now)),
                Write(LINK, "INSERT OR IGNORE INTO links (from_id, to_id, relation) "  # VALUES: see rows._LINK
                            "VALUES (?, (SELECT id FROM urls WHERE url = ?), 'lead_image')", (job.id, lead_image_url)),
            ]
        writes.append(rows.finish(job, JobState.DONE, status=fetch.response.status, error=None, fetched=True))
        await self.write(writes)

    async def record_image(self, job: Job, fetch: FetchResult, info: ImageInfo) -> None:
        """Archive an image: its bytes once by hash, its real type and size, a version per content."""
        writes = rows.fetch(job, fetch, body_sha256=info.sha256)
        status = fetch.response.status
        if info.error is not None:
            writes.append(rows.finish(job, JobState.FAILED, status=status, error=info.error, fetched=True))
        else:
            writes += rows.image(job.id, fetch, info)
            writes.append(rows.finish(job, JobState.DONE, status=status, error=None, fetched=True))
        await self.write(writes)
