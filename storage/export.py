"""Markdown export: one file per archived article, YAML front matter, images beside them.

The front matter is the seed's own record for the article (same keys, order and values, read and
written with the lossless YAML of ``storage.seedyaml``) plus an ``archive`` block of what was
archived; the body is the main text. Every file is written under a temporary name, then renamed,
so an interrupted export leaves no half-written file; a file that already holds the same text is
left as it is. Names cannot leave the output folder.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import frontmatter

from storage.export_hugo import hugo_keys, write_site_files
from storage.export_rows import ArticleRows
from storage.records import ArchivedArticle, ArchivedImage, claim_holds
from storage.seedyaml import SeedYAMLHandler, dump_yaml, split_front_matter
from storage.store import Store

_HANDLER = SeedYAMLHandler()
_ITEM = re.compile(r"related\[(\d+)\]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg",
    "image/avif": "avif", "image/bmp": "bmp", "image/tiff": "tiff", "image/x-icon": "ico",
    "image/vnd.microsoft.icon": "ico", "image/heic": "heic", "image/heif": "heif",
}
IMAGES_DIR = "images"
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
MAX_SLUG = 60


def slugify(text: str | None, *, limit: int = MAX_SLUG) -> str:
    """ASCII letters, digits and single hyphens only: safe on every OS and in every URL."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "untitled"


def article_file_name(article: ArchivedArticle, record: dict[str, Any]) -> str:
    """``<date>-<title slug>-<url hash>.md``: stable across exports, unique per URL."""
    date = next(
        (m.group(0) for v in (record.get("publishedDateTime"), article.metadata.get("published_at"),
                              article.fetched_at) if isinstance(v, str) and (m := _DATE.match(v))),
        "undated",
    )
    title = record.get("title") if isinstance(record.get("title"), str) else article.metadata.get("title")
    digest = hashlib.sha256(article.url.encode()).hexdigest()[:10]
    return f"{date}-{slugify(title)}-{digest}.md"


def image_file_name(image: ArchivedImage) -> str | None:
    if image.sha256 is None or image.state != "done":
        return None
    return f"{IMAGES_DIR}/{image.sha256}.{_EXTENSIONS.get(image.mime_type or '', 'bin')}"


@lru_cache(maxsize=8)
def _seed_fields(seed_text: str) -> dict[str, Any]:
    return dict(frontmatter.loads(seed_text, handler=_HANDLER).metadata)


_parsed: tuple[str, dict[str, Any]] | None = None  # the last seed's fields and their parse


def _seed_record(fields: str) -> dict[str, Any]:
    """``fields`` parsed, once for a run of articles that share the very same text object (one seed's)."""
    global _parsed
    parsed = _parsed
    if parsed is None or parsed[0] is not fields:
        parsed = _parsed = (fields, json.loads(fields))
    return parsed[1]


def seed_item(article: ArchivedArticle, item_path: str | None = None) -> dict[str, Any]:
    """The seed's own mapping for the article (or for ``item_path``: "" is the whole record).

    Read from the fields stored as JSON at crawl time; the YAML text is parsed only when JSON
    could not hold them. The mapping is new; the values in it may be shared with the seed's other
    articles (the parse is reused while they come one after another): read them, do not change them.
    """
    if article.seed_fields is not None:
        record = _seed_record(article.seed_fields)
    else:
        record = copy.deepcopy(_seed_fields(article.seed_text))
    match = _ITEM.fullmatch(article.item_path if item_path is None else item_path)
    if match is None:
        return dict(record)
    return dict(record["related"][int(match.group(1))])


def _image_block(image: ArchivedImage) -> dict[str, Any]:
    block: dict[str, Any] = {"url": image.url, "relation": image.relation, "state": image.state}
    block["file"] = image_file_name(image)
    block |= {"type": image.mime_type, "width": image.width, "height": image.height, "bytes": image.byte_size,
              "sha256": image.sha256, "cached": bool(image.cached) and image.state == "done",
              "first_seen": image.first_seen, "last_seen": image.last_seen, "last_checked": image.last_checked,
              "versions": image.versions}
    if image.gone_at:
        block["gone_at"] = image.gone_at
    if image.claimed_width is not None or image.claimed_height is not None:
        block["claimed"] = {"width": image.claimed_width, "height": image.claimed_height}
        block["claim_holds"] = claim_holds(image.claimed_width, image.claimed_height, image.width, image.height)
    return block


def archive_block(article: ArchivedArticle) -> dict[str, Any]:
    metadata = {k: v for k, v in article.metadata.items() if k != "text"}
    block: dict[str, Any] = {
        "url": article.url, "final_url": article.final_url, "status": article.status,
        "fetched_at": article.fetched_at, "sha256": article.body_sha256, "metadata": metadata,
        "images": [_image_block(image) for image in article.images],
    }
    if article.note:
        block["note"] = article.note
    return block


_BLOCK_KEY = re.compile(r"[^\s#\-\[{?&*!|>'\"%@`][^\n]*?:(?:\s|$)")
def original_front_matter(seed_text: str) -> str | None:
    """The seed's own front-matter text when more keys can simply follow it (a block mapping)."""
    try:
        front, _ = split_front_matter(seed_text)
    except ValueError:
        return None
    lines = front.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), None)
    # a line starting with "..." or "---" is neither blank nor a comment: all lines can be searched
    if first is None or not _BLOCK_KEY.match(first) or any(line.startswith(("...", "---")) for line in lines):
        return None
    return front.rstrip() + "\n"


def front_matter_text(article: ArchivedArticle, record: dict[str, Any], extra: dict[str, Any]) -> str:
    """The YAML of ``record`` followed by ``extra``: the seed's own text for a whole seed record
    (byte for byte, comments and quoting kept), a lossless dump otherwise."""
    if article.item_path == "" and not extra.keys() & record.keys():
        original = original_front_matter(article.seed_text)
        if original is not None:
            return original + dump_yaml(extra)
    return dump_yaml({**record, **extra})


def render_article(article: ArchivedArticle, *, site: str | None = None) -> tuple[str, str]:
    """The file name and the Markdown text of one article; ``site="hugo"`` adds the keys Hugo reads."""
    record = seed_item(article)
    extra: dict[str, Any] = {"archive": archive_block(article)}
    if site == "hugo":
        files = [f for image in article.images if (f := image_file_name(image))]
        extra |= hugo_keys(record, seed_item(article, ""), article, files)
    body_parts = []
    lead = next((f for image in article.images if (f := image_file_name(image))), None)
    if lead:
        alt = str(record.get("title") or article.metadata.get("title") or "").replace("]", ")")
        body_parts.append(f"![{alt}]({lead})")
    text = article.metadata.get("text") or ""
    body_parts += [line.strip() for line in text.splitlines() if line.strip()]
    front = front_matter_text(article, record, extra).strip()
    return article_file_name(article, record), f"---\n{front}\n---\n\n" + "\n\n".join(body_parts) + "\n"


_SAFE_NAME = re.compile(r"(?:images/)?[a-z0-9][a-z0-9.-]*")


def _inside(folder: Path | str, name: str) -> str:
    """``folder/name``, refusing any name that is not one of ours (so nothing can leave the folder)."""
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"export name {name!r} would leave {folder}")
    return f"{folder}/{name}"


def write_atomically(path: Path | str, data: bytes) -> None:
    """Write to a temporary name in the same folder, then rename: never a half-written file."""
    folder, name = os.path.split(path)
    tmp = f"{folder}{os.sep}.{name}.{os.getpid()}.tmp"
    fd = os.open(tmp, _CREATE, 0o666)
    try:
        try:
            with memoryview(data) as view:
                written = 0
                while written < len(view):
                    written += os.write(fd, view[written:])
        finally:
            os.close(fd)
        os.replace(tmp, path)  # noqa: PTH105 (one file per article: no Path objects on the way)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def write_if_changed(path: Path | str, data: bytes) -> bool:
    """``write_atomically`` unless the file already holds exactly ``data``: a re-export leaves an
    unchanged file (and its modification time) alone, which costs far less than replacing it."""
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        pass
    else:
        try:
            if os.fstat(fd).st_size == len(data) and os.read(fd, len(data) + 1) == data:
                return False
        finally:
            os.close(fd)
    write_atomically(path, data)
    return True


ReadBlob = Callable[[str], bytes | None]


def write_images(read_blob: ReadBlob, out_dir: Path | str, article: ArchivedArticle) -> int:
    """Each image file of the article under ``out_dir/images``, once per content hash; how many were new."""
    written = 0
    for image in article.images:
        name = image_file_name(image)
        if name is None or image.sha256 is None:
            continue
        path = _inside(out_dir, name)
        try:
            if os.stat(path).st_size == image.byte_size:  # noqa: PTH116 (a str path: one stat per image)
                continue  # written once per content hash
        except FileNotFoundError:
            pass
        data = read_blob(image.sha256)
        if data is not None:
            write_atomically(path, data)
            written += 1
    return written


class MarkdownSink:
    """Writes each article's file (and its images) whole as it comes; ``commit`` adds the site files."""

    def __init__(self, out_dir: Path, read_blob: ReadBlob, *, site: str | None = None) -> None:
        self.out_dir, self.read_blob, self.site = out_dir, read_blob, site
        self._folder = str(out_dir)
        self.figures = {"files": 0, "images": 0}
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / IMAGES_DIR).mkdir(exist_ok=True)

    def write(self, article: ArchivedArticle) -> None:
        name, text = render_article(article, site=self.site)
        write_if_changed(_inside(self._folder, name), text.encode("utf-8"))
        self.figures["images"] += write_images(self.read_blob, self._folder, article)
        self.figures["files"] += 1

    def commit(self) -> tuple[Path, ...]:
        if self.site == "hugo":
            write_site_files(self.out_dir, write_atomically)
        return (self.out_dir,)

    def discard(self) -> None:
        """Nothing to undo: every file already written is whole, and a rerun rewrites it."""


async def export_markdown(store: Store, out_dir: Path, *, site: str | None = None) -> int:
    """Export every archived article; return how many files were written."""
    with ArticleRows(store.path) as rows:
        sink = MarkdownSink(out_dir, rows.read_blob, site=site)
        for batch in rows.batches():
            for article in batch:
                sink.write(article)
        sink.commit()
    return sink.figures["files"]
