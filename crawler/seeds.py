"""Seed files -> typed ``SeedRecord``s (or ``SeedRejection``s saying why not).

A seed file is a YAML front-matter block (python-frontmatter, lossless loader); a plain YAML
mapping is accepted too. The original text and its sha256 travel with the record so nothing of
the seed is ever lost. Paths, folders (searched recursively) and globs are expanded lazily.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from crawler.errors import SeedError
from crawler.models import ArticleRef, ImageClaim, SeedRecord, SeedRejection
from crawler.urls import canonicalize_url
from storage.seedyaml import SeedYAMLHandler, load_yaml

MAX_SEED_BYTES = 5_000_000
MAX_NESTING = 64
"""Deepest nesting of mappings and lists a seed may have (real records nest about five deep): deeper
ones are rejected, before anything that walks fields recursively (JSON, YAML writers) could fail."""
_HANDLER = SeedYAMLHandler()


def _walk(folder: Path, patterns: tuple[str, ...]) -> Iterator[Path]:
    """Matching files below ``folder`` in a stable order, one directory listing in memory at a time."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                yield Path(root, name)


class _Finder:
    """Remembers only the named files and walked folders (to skip overlaps), never every file found."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self.named: set[Path] = set()
        self.walked: list[Path] = []

    def _seen(self, path: Path, walking: Path | None) -> bool:
        others = [root for root in self.walked if root != walking]
        if not self.named and not others:
            return False  # the common case, one folder: no path needs resolving
        resolved = path.resolve()
        return resolved in self.named or any(resolved.is_relative_to(root) for root in others)

    def file(self, path: Path) -> Iterator[Path]:
        if not self._seen(path, None):
            self.named.add(path.resolve())
            yield path

    def folder(self, root: Path) -> Iterator[Path]:
        resolved = root.resolve()
        self.walked.append(resolved)
        yield from (path for path in _walk(root, self.patterns) if not self._seen(path, resolved))


def find_seed_files(inputs: Iterable[str], patterns: Iterable[str]) -> Iterator[Path]:
    """Every seed file named by ``inputs`` (files, folders, globs), each once, in a stable order, streamed."""
    finder = _Finder(tuple(patterns))
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from finder.folder(path)
        elif path.exists():
            yield from finder.file(path)
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise SeedError(f"{item}: no such file, folder or matching glob")
            for match in map(Path, matches):
                yield from finder.folder(match) if match.is_dir() else finder.file(match) if match.is_file() else ()


def read_seed_bytes(path: Path, size: int | None = None) -> bytes | SeedRejection:
    """The file's bytes, or why it cannot be read (missing, unreadable, too large).

    ``size`` is the file's size when the caller has just asked for it; otherwise it is asked here.
    """
    try:
        if (path.stat().st_size if size is None else size) > MAX_SEED_BYTES:
            return SeedRejection(path=str(path), reason=f"file is larger than {MAX_SEED_BYTES:,} bytes")
        return path.read_bytes()
    except OSError as exc:
        return SeedRejection(path=str(path), reason=f"cannot read file: {exc.strerror or exc}")


def read_seed(path: Path) -> SeedRecord | SeedRejection:
    """Read one seed file; never raises for bad content, only says why it was rejected."""
    data = read_seed_bytes(path)
    if isinstance(data, SeedRejection):
        return data
    digest = hashlib.sha256(data).hexdigest()
    try:
        return parse_seed(data, path=str(path), sha256=digest)
    except SeedError as exc:
        return SeedRejection(path=str(path), reason=str(exc), sha256=digest)


def parse_seed(data: bytes, *, path: str, sha256: str) -> SeedRecord:
    if b"\x00" in data:
        raise SeedError("binary file, not a text seed record")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc
    fields = _front_matter(text)
    article = _article(fields, role="article", where="")
    related_items = _typed(fields, "related", list, "") or []
    related = []
    for i, item in enumerate(related_items):
        where = f"related[{i}]"
        related.append(_article(_mapping(item, where), role="related", where=where))
    return SeedRecord(path=path, text=text, sha256=sha256, fields=fields, article=article, related=tuple(related))


def _front_matter(text: str) -> dict[str, Any]:
    try:
        if _HANDLER.detect(text):
            try:
                front, _ = _HANDLER.split(text)
            except ValueError as exc:  # the library's split: one boundary line, not two
                raise SeedError("front matter opened with a '---' line that no '---' line closes") from exc
            data: Any = _HANDLER.load(front)
        else:
            data = load_yaml(text)
    except RecursionError as exc:
        raise SeedError(f"fields nested deeper than {MAX_NESTING} levels") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SeedError(f"invalid YAML{where}: {problem}") from exc
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        # PyYAML's constructors raise these for an explicit tag its value cannot fill (!!bool maybe,
        # !!int abc, !!timestamp xyz): the value is bad, not the program
        raise SeedError(f"invalid YAML: a tagged value that cannot be read ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict) or not data:
        kind = "empty" if not data else type(data).__name__
        raise SeedError(f"front matter is {kind}, not a YAML mapping of seed fields")
    if _deeper_than(data, MAX_NESTING):
        raise SeedError(f"fields nested deeper than {MAX_NESTING} levels")
    return data


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether mappings and sequences nest more than ``limit`` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list | tuple):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SeedError(f"{where} must be a mapping, not {type(value).__name__}")
    return value


def _typed(fields: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = fields.get(key)
    if value is None or type(value) is kind:  # the common case (a bool is not an int: its type is bool)
        return value
    wrong = not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float)))
    if wrong:
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise SeedError(f"field {where + '.' if where else ''}{key} must be {names}, not {value!r:.80}")
    return value


def _url(value: str, where: str, what: str) -> str:
    """The canonical URL; the error names where the URL is (``where`` and ``what``, joined only then)."""
    try:
        return canonicalize_url(value)
    except ValueError as exc:
        raise SeedError(f"{where}{what}: {exc}") from exc


def _article(fields: Mapping[str, Any], *, role: str, where: str) -> ArticleRef:
    original, web = _typed(fields, "originalUrl", str, where), _typed(fields, "webUrl", str, where)
    seed = where or "seed"
    if original and original == web:  # the usual case: one URL twice, canonicalized once
        urls: tuple[str, ...] = (_url(original, seed, " URL"),)
    else:
        urls = tuple(dict.fromkeys(_url(u, seed, " URL") for u in (original, web) if u))
    if not urls:
        raise SeedError(f"{seed} has no article URL (originalUrl or webUrl)")
    for key in ("title", "publishedDateTime", "excerpt"):
        _typed(fields, key, str, where)
    alternates = tuple(
        _url(u, seed, f" {key}")
        for key in ("ampWebUrl", "cdnAmpWebUrl")
        if (u := _typed(fields, key, str, where))
    )
    image_items = _typed(fields, "images", list, where) or []
    prefix = f"{where}." if where else ""
    images = []
    for i, item in enumerate(image_items):
        image_where = f"{prefix}images[{i}]"
        images.append(_image(_mapping(item, image_where), image_where))
    return ArticleRef(
        role=role,
        path=where,
        url=urls[0],
        urls=urls,
        title=fields.get("title"),
        published=fields.get("publishedDateTime"),
        images=tuple(images),
        alternates=alternates,
    )


def _image(fields: Mapping[str, Any], where: str) -> ImageClaim:
    url = _typed(fields, "url", str, where)
    if not url:
        raise SeedError(f"{where} has no url")
    return ImageClaim(
        url=_url(url, where, ".url"),
        width=_typed(fields, "width", int, where),
        height=_typed(fields, "height", int, where),
        is_cached=_typed(fields, "isCached", bool, where),
    )
