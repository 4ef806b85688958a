"""Markdown export: one file per archived article, YAML front matter, images beside them.

The front matter is the seed's own record for the article (same keys, order and values, read and
written with the lossless YAML of ``storage.seedyaml``) plus an ``archive`` block of what was
archived; the body is the main text. Files are written whole and their names cannot leave the
output folder (``storage.export_files``); the images are written by ``storage.export_images``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import frontmatter

from storage.export_files import (
    export_path,
    image_file_name,
    remove_stale_temporaries,
    write_atomically,
    write_if_changed,
)
from storage.export_hugo import hugo_keys, write_site_files
from storage.export_images import ImageFiles
from storage.records import ArchivedArticle, ArchivedImage, claim_holds
from storage.seedyaml import SeedYAMLHandler, dump_yaml, split_front_matter
from storage.store import Store

_HANDLER = SeedYAMLHandler()
_ITEM = re.compile(r"related\[(\d+)\]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
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


class MarkdownSink:
    """Writes each article's file whole as it comes, its images through ``ImageFiles``; ``commit``
    waits for the images and adds the site files."""

    def __init__(self, out_dir: Path, archive: Path, *, site: str | None = None) -> None:
        self.out_dir, self.site = out_dir, site
        self._folder = str(out_dir)
        self.figures = {"files": 0, "images": 0}
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out_dir)
        self._images = ImageFiles(archive, out_dir)

    def write(self, article: ArchivedArticle) -> None:
        name, text = render_article(article, site=self.site)
        write_if_changed(export_path(self._folder, name), text.encode("utf-8"))
        self._images.add(article)
        self.figures["files"] += 1
        self.figures["images"] = self._images.written

    def commit(self) -> tuple[Path, ...]:
        self.figures["images"] = self._images.close()
        if self.site == "hugo":
            write_site_files(self.out_dir, write_atomically)
        return (self.out_dir,)

    def discard(self) -> None:
        """Stops the image worker; every file already written is whole, and a rerun writes the rest."""
        self._images.abort()


async def export_markdown(store: Store, out_dir: Path, *, site: str | None = None) -> int:
    """Export every archived article (``run_export`` with the defaults); return how many files were written."""
    from storage.export_run import ExportOptions, run_export  # it imports this module

    report = await run_export(store, ExportOptions(format="markdown", out=out_dir, site=site))
    return report.figures["files"]
