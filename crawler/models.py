"""Records of the crawler: the stage records (defined in ``storage.records``) and ``CrawlReport``."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.records import (
    ArticleRef,
    FetchResult,
    HttpResponseHead,
    ImageClaim,
    ImageInfo,
    Job,
    JobKind,
    JobState,
    PageMetadata,
    SeedRecord,
    SeedRejection,
)

__all__ = [
    "ArticleRef",
    "CrawlReport",
    "FetchResult",
    "HttpResponseHead",
    "ImageClaim",
    "ImageInfo",
    "Job",
    "JobKind",
    "JobState",
    "PageMetadata",
    "SeedRecord",
    "SeedRejection",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlReport:
    seeds_accepted: int = 0
    seeds_rejected: int = 0
    pages_done: int = 0
    pages_failed: int = 0
    images_done: int = 0
    images_failed: int = 0
    pending: int = 0
    blocked: int = 0
    requests: int = 0
    interrupted: bool = False
    elapsed_s: float = 0.0
    rejections: tuple[SeedRejection, ...] = ()
    failures: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not (self.seeds_rejected or self.pages_failed or self.images_failed or self.interrupted)
