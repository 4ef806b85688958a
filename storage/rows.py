"""Row writes shared by the store's domain actions, as ``Write``s for the batch writer.

Pure functions: each turns a record into the statements that store it. A row that points at the
fetch just written finds it as the URL's latest fetch, so no id has to travel between statements.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable
from typing import Any

from storage.records import FetchResult, HttpResponseHead, ImageInfo, Job, JobState, SeedRecord
from storage.writer import BLOB, FETCH, IMAGE, LINK, OTHER, SEED, URL, URL_STATE, VERSION, Write

LATEST_FETCH = "(SELECT max(id) FROM fetches WHERE url_id = ?)"


_NOW: list[int | str] = [-1, ""]  # the last second asked for and its text: rows ask several times a second


def utc_now() -> str:
    """The current UTC time to the second, ``2024-01-31T12:00:00Z``."""
    second = int(time.time())
    if second != _NOW[0]:
        _NOW[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))]
    return str(_NOW[1])


def _head_json(head: HttpResponseHead) -> dict[str, Any]:
    return {
        "url": head.url,
        "status": head.status,
        "reason": head.reason,
        "http_version": head.http_version,
        "headers": [list(h) for h in head.headers],
    }


def blob(data: bytes, sha256: str | None = None) -> tuple[str, Write]:
    """A body stored once by its sha256, whatever serves it."""
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return digest, Write(BLOB, "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
                         (digest, len(data), data))


def failed_fetch(job: Job, *, error: str | None, status: int | None, started_at: dt.datetime | None,
                 elapsed_s: float, purpose: str = "crawl") -> Write:
    when = (started_at or dt.datetime.now(dt.UTC)).isoformat()
    return Write(FETCH, "INSERT INTO fetches (url_id, attempt, started_at, elapsed_s, status, error, purpose) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (job.id, job.attempts, when, elapsed_s, status, error, purpose))


def fetch(job: Job, result: FetchResult, *, body_sha256: str | None = None, error: str | None = None,
          purpose: str = "crawl") -> list[Write]:
    """One exchange as received: status line, raw headers, redirects, bodies (as sent and decoded)."""
    same = result.body is result.raw_body  # no content-coding: one blob, hashed once
    raw_sha, raw_write = blob(result.raw_body, body_sha256 if same else None)
    writes = [raw_write]
    body_sha = raw_sha
    if not same:
        body_sha, body_write = blob(result.body, body_sha256)
        writes.append(body_write)
    head = result.response
    writes.append(Write(
        FETCH,
        "INSERT INTO fetches (url_id, attempt, started_at, elapsed_s, final_url, status, reason, http_version, "
        "request_headers, response_headers, redirects, content_type, raw_sha256, body_sha256, peer_address, "
        "error, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            job.id, job.attempts, result.started_at.isoformat(), result.elapsed_s, head.url, head.status,
            head.reason, head.http_version, json.dumps([list(h) for h in result.request_headers]),
            json.dumps([list(h) for h in head.headers]), json.dumps([_head_json(r) for r in result.redirects]),
            result.content_type, raw_sha, body_sha, result.peer_address, error, purpose,
        ),
    ))
    return writes


def finish(job: Job, state: JobState, *, status: int | None, error: str | None, fetched: bool) -> Write:
    """End a job; ``fetched`` points the URL at its latest fetch."""
    return Write(
        URL_STATE,
        "UPDATE urls SET state = ?, claimed_at = NULL, last_status = coalesce(?, last_status), last_error = ?, "
        f"fetch_id = CASE WHEN ? THEN {LATEST_FETCH} ELSE fetch_id END, updated_at = ? WHERE id = ?",
        (state.value, status, error, fetched, job.id, utc_now(), job.id),
    )


def image(url_id: int, result: FetchResult, info: ImageInfo) -> list[Write]:
    """Make ``info`` the image's current version; every distinct version is kept beside the others."""
    now = utc_now()
    head = result.response
    return [
        Write(
            IMAGE,
            "INSERT INTO images (url_id, fetch_id, sha256, mime_type, format, width, height, byte_size, etag, "
            f"last_modified, cached, first_seen, last_seen, last_checked) VALUES (?, {LATEST_FETCH}, "
            "?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (url_id) DO UPDATE SET "
            "fetch_id = excluded.fetch_id, sha256 = excluded.sha256, mime_type = excluded.mime_type, "
            "format = excluded.format, width = excluded.width, height = excluded.height, "
            "byte_size = excluded.byte_size, etag = excluded.etag, last_modified = excluded.last_modified, "
            "cached = 1, last_seen = excluded.last_seen, last_checked = excluded.last_checked, gone_at = NULL",
            (
                url_id, url_id, info.sha256, info.mime_type, info.format, info.width, info.height,
                info.byte_size, head.header("etag"), head.header("last-modified"), now, now, now,
            ),
        ),
        Write(
            VERSION,
            "INSERT OR IGNORE INTO image_versions (url_id, sha256, mime_type, width, height, byte_size, "
            "first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (url_id, info.sha256, info.mime_type, info.width, info.height, info.byte_size, now),
        ),
    ]


# Rows that refer to a seed or a URL find its id by a subquery in VALUES, not by INSERT ... SELECT: with
# foreign keys on, SQLite gives a statement that may insert several rows (any INSERT ... SELECT) a
# statement journal, copying every page it changes first; a one-row VALUES insert checks its keys at
# once and needs none (about a third of a seed's SQL time). A key that is not found gives NULL, which the
# NOT NULL columns turn into an ignored row, as the join gave no row.
_SEED_ID = "(SELECT id FROM seeds WHERE sha256 = ?)"
_URL_ID = "(SELECT id FROM urls WHERE url = ?)"
_SEED_ARTICLE = (
    "INSERT OR IGNORE INTO seed_articles (seed_id, path, role, url_id, title, published) "
    f"VALUES ({_SEED_ID}, ?, ?, {_URL_ID}, ?, ?)"
)
_SEED_IMAGE = (
    "INSERT OR IGNORE INTO seed_images (seed_id, article_path, position, url_id, claimed_width, claimed_height, "
    f"claimed_cached) VALUES ({_SEED_ID}, ?, ?, {_URL_ID}, ?, ?, ?)"
)
_LINK = f"INSERT OR IGNORE INTO links (from_id, to_id, relation) VALUES ({_URL_ID}, {_URL_ID}, ?)"
_ALTERNATE = f"INSERT OR IGNORE INTO alternates (url_id, url) VALUES ({_URL_ID}, ?)"


_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def fields_json(fields: Any) -> str | None:
    """The seed's parsed fields as JSON when JSON holds them exactly (string keys, plain values)."""
    try:
        text = json.dumps(fields, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    try:
        exact = _json_exact(fields)
    except RecursionError:
        exact = False
    # int keys or NaN would not come back equal; reading the JSON back is needed only when in doubt
    return text if exact or json.loads(text) == fields else None


def _json_exact(value: Any) -> bool:
    """True when JSON gives ``value`` back equal for certain: dicts with string keys, lists, strings,
    integers, booleans, None and floats other than NaN, nothing else (not even subclasses)."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _JSON_SCALARS and not _json_exact(item)):
                return False
        return True
    if kind is list:
        return all(type(item) in _JSON_SCALARS or _json_exact(item) for item in value)
    if kind is float:
        return not math.isnan(value)
    return kind in _JSON_SCALARS


def new_url(url: str, kind: str, host_key: Callable[[str], str], now: str) -> Write:
    return Write(URL, "INSERT OR IGNORE INTO urls (url, kind, host, state, discovered_at, updated_at) "
                      "VALUES (?, ?, ?, 'pending', ?, ?)", (url, kind, host_key(url), now, now))


def link(from_url: str, to_url: str, relation: str) -> Write:
    return Write(LINK, _LINK, (from_url, to_url, relation))


def seed(record: SeedRecord, host_key: Callable[[str], str], *, fetch_alternates: bool) -> list[Write]:
    """A seed kept verbatim, its URLs enqueued, and every relation and claim it makes.

    Rows refer to each other by their natural keys (a seed's sha256, a URL), so a whole batch of seeds
    is a handful of ``executemany`` calls.
    """
    now = utc_now()
    writes = [
        Write(SEED, "INSERT OR IGNORE INTO seeds (sha256, path, text, fields, added_at) VALUES (?, ?, ?, ?, ?)",
              (record.sha256, record.path, record.text, fields_json(record.fields), now)),
        Write(OTHER, "DELETE FROM seed_rejections WHERE path = ?", (record.path,)),
    ]
    main = record.article.url
    for article in record.articles:
        writes.append(new_url(article.url, "page", host_key, now))
        writes.append(Write(OTHER, _SEED_ARTICLE, (record.sha256, article.path, article.role, article.url,
                                                   article.title, article.published)))
        if article.url != main:
            writes.append(link(main, article.url, "related"))
        for alias in article.urls[1:]:
            writes += [new_url(alias, "page", host_key, now), link(article.url, alias, "same_story")]
        for alternate in article.alternates:
            if fetch_alternates:
                writes += [new_url(alternate, "page", host_key, now), link(article.url, alternate, "alternate")]
            else:
                writes.append(Write(OTHER, _ALTERNATE, (article.url, alternate)))
        for position, claim in enumerate(article.images):
            writes += [
                new_url(claim.url, "image", host_key, now),
                link(article.url, claim.url, "image"),
                Write(OTHER, _SEED_IMAGE, (record.sha256, article.path, position, claim.url, claim.width,
                                           claim.height, claim.is_cached)),
            ]
    return writes
