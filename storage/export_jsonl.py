"""JSON Lines export: one JSON object per archived article, streamed to one file, images beside it.

Each line holds the seed's own mapping for the article exactly as the seed had it (``seed``), where
it came from (``seed_file``), the extracted ``metadata`` with the main ``text``, the ``fetch`` facts
and the ``images`` with their files (under ``images/`` beside the JSONL file), real dimensions and
the seed's claims. Lines are written as articles are read: memory does not grow with the archive.
The file is written under a temporary name and renamed at the end; an incremental export copies
the earlier file first and appends, so a changed article appears again as a later line (the last
line for a URL is the current one).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import IO, Any

from storage.export import IMAGES_DIR, archive_block, seed_item, write_images
from storage.records import ArchivedArticle
from storage.store import Store

FORMAT_VERSION = 1


def article_object(article: ArchivedArticle) -> dict[str, Any]:
    """The JSON object of one article (see the module docstring for its keys)."""
    block = archive_block(article)
    return {
        "url": article.url,
        "role": article.role,
        "seed": seed_item(article),
        "seed_file": {"path": article.seed_path, "item": article.item_path or None},
        "metadata": {**block["metadata"], "text": article.metadata.get("text") or ""},
        "fetch": {"final_url": article.final_url, "status": article.status, "fetched_at": article.fetched_at,
                  "body_sha256": article.body_sha256},
        "images": block["images"],
        **({"note": article.note} if article.note else {}),
        "format": FORMAT_VERSION,
    }


class JsonlSink:
    """Streams one line per article to a temporary file; ``commit`` renames it into place."""

    def __init__(self, store: Store, path: Path, *, append: bool = False) -> None:
        self.store, self.path = store, path
        self.figures = {"lines": 0, "images": 0}
        (path.parent / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._file: IO[str] = self._tmp.open("w", encoding="utf-8", newline="\n")
        if append and path.exists():
            with path.open(encoding="utf-8") as earlier:
                shutil.copyfileobj(earlier, self._file)

    async def write(self, article: ArchivedArticle) -> None:
        self._file.write(json.dumps(article_object(article), ensure_ascii=False, separators=(",", ":")) + "\n")
        self.figures["lines"] += 1
        self.figures["images"] += await write_images(self.store, self.path.parent, article)

    async def commit(self) -> tuple[Path, ...]:
        self._file.close()
        self._tmp.replace(self.path)
        return (self.path,)

    def discard(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()
