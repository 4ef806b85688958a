"""The crawler's exception tree; the CLI catches its root in one place.

    CrawlerError
     +-- ConfigError             a setting or flag is wrong (exit status 2)
     +-- SeedError               a seed file cannot be read as a seed record
     +-- FetchError              one URL could not be archived
          +-- RetryableFetchError   timeouts, connection failures, truncated bodies, 408/429/5xx
          +-- PermanentFetchError   other 4xx, refused address or scheme, body too large,
                                    too many redirects, unsupported content
"""

from __future__ import annotations


class CrawlerError(Exception):
    """Root of every error newsvault's crawler raises on purpose."""


class ConfigError(CrawlerError):
    """A wrong setting: the message names the key."""


class SeedError(CrawlerError):
    """A seed file that cannot be accepted; the message says why."""


class FetchError(CrawlerError):
    """A URL could not be fetched. ``status`` is the HTTP status when a response arrived."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableFetchError(FetchError):
    """Worth another try later; ``retry_after_s`` is the server's own wish when it gave one."""

    def __init__(self, message: str, *, status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after_s = retry_after_s


class PermanentFetchError(FetchError):
    """Trying again would give the same answer."""
