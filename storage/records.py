"""Typed records passed between the crawl's stages and into the store.

seeds -> ``SeedRecord``; frontier -> ``Job``; fetch -> ``FetchResult``; extract -> ``PageMetadata``;
images -> ``ImageInfo``. They live in ``storage`` because the store takes them and must not import
the crawler. All are frozen: a change is a new value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def record(cls: type[_T]) -> type[_T]:
    """A frozen, slotted, keyword-only dataclass: the shape of every stage record."""
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


class JobKind(StrEnum):
    PAGE = "page"
    IMAGE = "image"


class JobState(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"


@record
class ImageClaim:
    """An image as a seed names it, with the dimensions the seed claims."""

    url: str
    width: int | None = None
    height: int | None = None
    is_cached: bool | None = None


@record
class ArticleRef:
    """One article a seed names: the seed's own article (role ``article``) or a related one.

    ``path`` locates the item inside the seed's front matter (``""`` for the top level,
    ``"related[2]"`` for the third related item), so an export can find its original fields.
    """

    role: str
    path: str
    url: str
    urls: tuple[str, ...]
    title: str | None = None
    published: str | None = None
    images: tuple[ImageClaim, ...] = ()
    alternates: tuple[str, ...] = ()


@record
class SeedRecord:
    path: str
    text: str
    sha256: str
    fields: Mapping[str, Any]
    article: ArticleRef
    related: tuple[ArticleRef, ...] = ()

    @property
    def articles(self) -> tuple[ArticleRef, ...]:
        return (self.article, *self.related)


@record
class SeedFile:
    """A seed file as found on disk: its absolute path, size and modification time (and content hash)."""

    path: str
    size: int
    mtime_ns: int
    sha256: str = ""


@record
class SeedRejection:
    path: str
    reason: str
    sha256: str | None = None


@record
class Job:
    id: int
    url: str
    kind: JobKind
    host: str
    attempts: int = 0


@record
class HttpResponseHead:
    """A response's head exactly as received: status line parts and raw header lines in order."""

    url: str
    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@record
class FetchResult:
    """A completed HTTP exchange: the final response and every redirect hop before it.

    ``raw_body`` is the entity body as transferred (still content-encoded); ``body`` is decoded.
    """

    url: str
    request_headers: tuple[tuple[str, str], ...]
    response: HttpResponseHead
    raw_body: bytes
    body: bytes
    redirects: tuple[HttpResponseHead, ...]
    started_at: dt.datetime
    elapsed_s: float
    peer_address: str | None = None

    @property
    def final_url(self) -> str:
        return self.response.url

    @property
    def content_type(self) -> str | None:
        return self.response.header("content-type")


@record
class PageMetadata:
    title: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    published_at: dt.datetime | dt.date | None = None
    modified_at: dt.datetime | dt.date | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    lead_image_url: str | None = None
    topics: tuple[str, ...] = ()
    text: str = ""


@record
class ImageInfo:
    """What the bytes of an image say about it (never what the server claimed)."""

    mime_type: str | None
    format: str | None
    width: int | None
    height: int | None
    byte_size: int
    sha256: str
    error: str | None = None


def claim_holds(
    claimed_width: int | None, claimed_height: int | None, width: int | None, height: int | None
) -> bool | None:
    """Whether a seed's claimed image dimensions hold: the one rule for crawl, status and export.

    ``None`` when the seed claims no dimension or a claimed one is unknown; otherwise ``True``
    exactly when every claimed dimension equals the real one.
    """
    pairs = [(c, r) for c, r in ((claimed_width, width), (claimed_height, height)) if c is not None]
    if not pairs or any(real is None for _, real in pairs):
        return None
    return all(claimed == real for claimed, real in pairs)


@record
class ArchivedImage:
    """An image of an archived article: the seed's claim beside what the archive holds."""

    url: str
    state: str
    sha256: str | None
    mime_type: str | None
    width: int | None
    height: int | None
    byte_size: int | None
    cached: bool | None
    claimed_width: int | None = None
    claimed_height: int | None = None
    claimed_cached: bool | None = None
    relation: str = "image"
    first_seen: str | None = None
    last_seen: str | None = None
    last_checked: str | None = None
    gone_at: str | None = None
    versions: int = 0


@record
class ArchivedArticle:
    """A page as archived, with the seed record (text and item path) that named it first."""

    url_id: int
    url: str
    seed_text: str
    seed_fields: str | None
    seed_path: str
    item_path: str
    role: str
    fetched_at: str
    final_url: str | None
    status: int | None
    body_sha256: str | None
    metadata: dict[str, Any]
    note: str | None
    images: tuple[ArchivedImage, ...] = ()


@record
class RobotsRecord:
    """A host's robots.txt as last fetched: ``status`` None with ``error`` when it was unreachable."""

    host: str
    url: str
    status: int | None
    body: bytes | None
    error: str | None
    fetched_at: float


@record
class ImageToCheck:
    """An archived (or failed) image due for a refresh, with the validators of its latest version."""

    url_id: int
    url: str
    host: str
    state: str
    sha256: str | None
    etag: str | None
    last_modified: str | None
