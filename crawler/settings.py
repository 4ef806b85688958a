"""Settings: built-in defaults, then a TOML file, then command-line flags — three layers, no more.

``Settings`` is declared once here with each key's default and help; ``config/default.toml``
documents the same keys with the same values (a test keeps them identical).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.errors import ConfigError

DEFAULT_USER_AGENT = f"newsvault/{__version__} (news archive crawler)"


def _key(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    archive_dir: str = _key("archive", "Folder of the SQLite store (newsvault.sqlite) and default exports.")
    seed_patterns: tuple[str, ...] = _key(
        ("*.txt", "*.md", "*.markdown", "*.yaml", "*.yml"),
        "File name patterns searched for recursively when a folder of seeds is given.",
    )
    concurrency: int = _key(16, "Requests in flight at once, over all hosts.")
    per_host: int = _key(2, "Requests in flight at once to one host.")
    delay_s: float = _key(0.0, "Minimum gap in seconds between the starts of two requests to one host.")
    user_agent: str = _key(DEFAULT_USER_AGENT, "User-Agent header sent with every request.")
    connect_timeout_s: float = _key(10.0, "Seconds to open a connection (TCP and TLS).")
    read_timeout_s: float = _key(30.0, "Seconds to wait for any data on an open connection.")
    total_timeout_s: float = _key(120.0, "Seconds one request may take from start to last byte.")
    min_body_rate: int = _key(
        1024, "Bytes per second a body must average after rate_grace_s, else it is dropped (0: no minimum)."
    )
    rate_grace_s: float = _key(10.0, "Seconds a body may take before min_body_rate applies.")
    max_body_bytes: int = _key(20_000_000, "Largest body kept, as transferred and after decoding.")
    max_redirects: int = _key(10, "Redirects followed before a URL fails.")
    max_attempts: int = _key(4, "Tries per URL, counting the first, before it fails for good.")
    backoff_initial_s: float = _key(1.0, "First wait before a retry; doubles with each try, plus jitter.")
    backoff_max_s: float = _key(60.0, "Longest wait between two tries of a URL.")
    retry_after_cap_s: float = _key(300.0, "Longest Retry-After a server may impose; longer ones are capped.")
    obey_robots: bool = _key(True, "Obey robots.txt (RFC 9309); disallowed URLs end as blocked, not failed.")
    robots_cache_s: float = _key(86400.0, "Seconds a fetched robots.txt is used before it is fetched again.")
    robots_retry_s: float = _key(
        600.0, "Seconds a host is postponed when its robots.txt is unreachable (5xx, 429, timeout)."
    )
    crawl_delay_cap_s: float = _key(30.0, "Longest Crawl-delay from a robots.txt that is honoured.")
    connect_to: tuple[str, ...] = _key(
        (), "curl-style HOST:PORT:HOST2:PORT2 mappings; an empty HOST or PORT matches any."
    )
    ca_bundle: str = _key("", "PEM file of CA certificates to trust instead of the system's (empty: system).")
    allow_private_networks: bool = _key(
        False, "Allow private, loopback, link-local and reserved addresses (connect_to targets always are)."
    )
    fetch_lead_images: bool = _key(True, "Also fetch each page's own lead image (og:image or similar).")
    fetch_alternates: bool = _key(False, "Also fetch a story's AMP alternates (ampWebUrl, cdnAmpWebUrl).")
    extract_processes: int = _key(
        0, "Worker processes that extract pages (0: in the crawl's own process, the least CPU per page)."
    )
    progress: str = _key("auto", "Progress display: auto (on a terminal), bar, log or off.")

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @property
    def store_path(self) -> Path:
        return Path(self.archive_dir) / "newsvault.sqlite"


def _coerce(name: str, value: Any, default: Any) -> Any:
    """Check one value against the type of its default; the message names the key."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"setting {name!r} must be true or false, not {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"setting {name!r} must be a whole number, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"setting {name!r} must be a number, not {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"setting {name!r} must be a list of strings, not {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"setting {name!r} must be a string, not {value!r}")
    return value


_POSITIVE = ("concurrency", "per_host", "max_body_bytes", "max_attempts")
_NON_NEGATIVE = (
    "delay_s", "min_body_rate", "rate_grace_s", "connect_timeout_s", "read_timeout_s", "total_timeout_s",
    "max_redirects", "robots_cache_s", "robots_retry_s", "crawl_delay_cap_s",
    "backoff_initial_s", "backoff_max_s", "retry_after_cap_s", "extract_processes",
)


def _validate(settings: Settings) -> Settings:
    for name in _POSITIVE:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"setting {name!r} must be greater than 0, not {getattr(settings, name)!r}")
    for name in _NON_NEGATIVE:
        if getattr(settings, name) < 0:
            raise ConfigError(f"setting {name!r} must not be negative, not {getattr(settings, name)!r}")
    if settings.progress not in ("auto", "bar", "log", "off"):
        raise ConfigError(f"setting 'progress' must be auto, bar, log or off, not {settings.progress!r}")
    if settings.connect_to:  # imported only then: crawler.connect brings in aiohttp (0.2 s) for every command
        from crawler.connect import parse_connect_to

        for spec in settings.connect_to:
            parse_connect_to(spec)
    return settings


def apply(settings: Settings, overrides: Mapping[str, Any], *, source: str) -> Settings:
    """A copy of ``settings`` with ``overrides`` applied; unknown keys and wrong types raise."""
    defaults = Settings()
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in Settings.keys():  # noqa: SIM118 - a classmethod, not a dict
            raise ConfigError(f"unknown setting {name!r} in {source}")
        changes[name] = _coerce(name, value, getattr(defaults, name))
    return _validate(dataclasses.replace(settings, **changes))


def load_settings(config_file: str | Path | None = None, flags: Mapping[str, Any] | None = None) -> Settings:
    """Defaults, then the TOML file (when given), then flags (``None`` values mean 'not given')."""
    settings = Settings()
    if config_file is not None:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        settings = apply(settings, data, source=str(path))
    given = {k: v for k, v in (flags or {}).items() if v is not None and v != ()}
    return apply(settings, given, source="the command line") if given else _validate(settings)
