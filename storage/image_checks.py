"""Refreshing archived images: runs that can be resumed, and what each check found.

A run selects images last checked before its cutoff (or that failed before); each check is one
transaction that records the exchange and its outcome: unchanged (304 or the same bytes), changed
(a new version kept beside the old ones), gone (404/410: marked, bytes kept) or failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator

from storage import rows
from storage.base import StoreBase
from storage.records import FetchResult, ImageInfo, ImageToCheck, Job, JobKind, JobState
from storage.rows import utc_now
from storage.writer import IMAGE_STATE, OTHER, Write

OUTCOMES = ("unchanged", "changed", "gone", "failed")


class ImageChecks(StoreBase):
    async def begin_refresh(self, *, cutoff: dt.datetime, only_failed: bool) -> int:
        """The id of the unfinished run with this selection (resumed), or of a new one."""
        row = await self._fetchone(
            "SELECT id FROM refresh_runs WHERE finished_at IS NULL AND only_failed = ? ORDER BY id DESC LIMIT 1",
            (int(only_failed),),
        )
        if row is not None:
            return int(row[0])
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO refresh_runs (started_at, cutoff, only_failed) VALUES (?, ?, ?)",
                (utc_now(), cutoff.isoformat(timespec="seconds").replace("+00:00", "Z"), int(only_failed)),
            )
            return int(cursor.lastrowid or 0)

    async def finish_refresh(self, run_id: int) -> None:
        async with self._transaction() as db:
            await db.execute("UPDATE refresh_runs SET finished_at = ? WHERE id = ?", (utc_now(), run_id))

    def _due(self, only_failed: bool) -> str:
        failed = "u.state = 'failed'"
        stale = "(u.state = 'done' AND i.last_checked <= r.cutoff)"
        return failed if only_failed else f"({failed} OR {stale})"

    async def count_due(self, run_id: int, *, only_failed: bool) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM urls u JOIN refresh_runs r ON r.id = ? LEFT JOIN images i ON i.url_id = u.id "
            f"WHERE u.kind = 'image' AND {self._due(only_failed)} AND NOT EXISTS "
            "(SELECT 1 FROM refresh_checks c WHERE c.run_id = r.id AND c.url_id = u.id)",
            (run_id,),
        )
        return int(row[0])

    async def images_due(
        self, run_id: int, *, only_failed: bool, batch: int = 500
    ) -> AsyncGenerator[ImageToCheck, None]:
        """Images this run has not checked yet, in id order, a batch at a time (constant memory)."""
        last = 0
        while True:
            rows = await self._fetchall(
                "SELECT u.id, u.url, u.host, u.state, i.sha256, i.etag, i.last_modified FROM urls u "
                "JOIN refresh_runs r ON r.id = ? LEFT JOIN images i ON i.url_id = u.id "
                f"WHERE u.kind = 'image' AND u.id > ? AND {self._due(only_failed)} AND NOT EXISTS "
                "(SELECT 1 FROM refresh_checks c WHERE c.run_id = r.id AND c.url_id = u.id) ORDER BY u.id LIMIT ?",
                (run_id, last, batch),
            )
            if not rows:
                return
            for r in rows:
                yield ImageToCheck(url_id=r[0], url=r[1], host=r[2], state=r[3], sha256=r[4], etag=r[5],
                                   last_modified=r[6])
            last = rows[-1][0]

    async def record_check(
        self, run_id: int, image: ImageToCheck, outcome: str, *, attempt: int, fetch: FetchResult | None = None,
        info: ImageInfo | None = None, detail: str | None = None, status: int | None = None,
    ) -> None:
        """Record one check and apply what it found, in one transaction."""
        assert outcome in OUTCOMES, outcome
        job = Job(id=image.url_id, url=image.url, kind=JobKind.IMAGE, host=image.host, attempts=attempt)
        now = utc_now()
        error = detail if outcome == "failed" else None
        if fetch is None:
            writes = [rows.failed_fetch(job, error=error, status=status, started_at=None, elapsed_s=0.0,
                                        purpose="refresh")]
        else:
            writes = rows.fetch(job, fetch, body_sha256=info.sha256 if info else None, error=error,
                                purpose="refresh")
        if outcome == "changed" and fetch is not None and info is not None:
            writes += rows.image(image.url_id, fetch, info)
            writes.append(rows.finish(job, JobState.DONE, status=fetch.response.status, error=None, fetched=True))
        elif outcome == "unchanged":
            writes.append(_seen_live(image, fetch, now))
        elif outcome == "gone":
            writes.append(Write(IMAGE_STATE, "UPDATE images SET cached = 0, gone_at = coalesce(gone_at, ?), "
                                             "last_checked = ? WHERE url_id = ?", (now, now, image.url_id)))
        writes.append(Write(OTHER, "INSERT OR REPLACE INTO refresh_checks (run_id, url_id, outcome, detail, "
                                   "checked_at) VALUES (?, ?, ?, ?, ?)", (run_id, image.url_id, outcome, detail, now)))
        await self.write(writes)

    async def refresh_counts(self, run_id: int) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for outcome, count in await self._fetchall(
            "SELECT outcome, count(*) FROM refresh_checks WHERE run_id = ? GROUP BY outcome", (run_id,)
        ):
            counts[outcome] = count
        return {"checked": sum(counts.values()), **counts}


def _seen_live(image: ImageToCheck, fetch: FetchResult | None, now: str) -> Write:
    etag = fetch.response.header("etag") if fetch is not None else None
    modified = fetch.response.header("last-modified") if fetch is not None else None
    return Write(
        IMAGE_STATE,
        "UPDATE images SET cached = 1, gone_at = NULL, last_seen = ?, last_checked = ?, "
        "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified) WHERE url_id = ?",
        (now, now, etag, modified, image.url_id),
    )
