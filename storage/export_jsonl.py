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
import re
import shutil
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

from storage.export import archive_block, seed_item
from storage.export_files import remove_stale_temporaries
from storage.export_images import ImageFiles
from storage.records import ArchivedArticle

FORMAT_VERSION = 1
WRITE_BUFFER = 1 << 20  # lines are long (the main text): a large buffer, few writes
# No check for cycles: the values come from JSON and database rows, which have none (a seed whose YAML
# aliases nest deeper than 64 levels is rejected when crawled), and the check costs a dict per container.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _parts(article: ArchivedArticle) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """The object before the main text (ending with the other metadata), the text, the object after it."""
    block = archive_block(article)
    head = {"url": article.url, "role": article.role, "seed": seed_item(article),
            "seed_file": {"path": article.seed_path, "item": article.item_path or None}, "metadata": block["metadata"]}
    tail = {"fetch": {"final_url": article.final_url, "status": article.status, "fetched_at": article.fetched_at,
                      "body_sha256": article.body_sha256},
            "images": block["images"], **({"note": article.note} if article.note else {}), "format": FORMAT_VERSION}
    return head, article.metadata.get("text") or "", tail


def article_object(article: ArchivedArticle) -> dict[str, Any]:
    """The JSON object of one article (see the module docstring for its keys)."""
    head, text, tail = _parts(article)
    return {**head, "metadata": {**head["metadata"], "text": text}, **tail}


def _string(text: str) -> str:
    """``text`` as JSON with ``ensure_ascii=False``; through the (faster) ASCII encoder when that writes
    the same: for ASCII text without DEL, which only the ASCII encoder escapes."""
    if text.isascii() and "\x7f" not in text:
        return encode_basestring_ascii(text)
    return encode_basestring(text)


def article_line(article: ArchivedArticle) -> str:
    """``article_object`` as compact JSON (``ensure_ascii=False``), the main text encoded on its own.

    The text is most of the line, and often plain ASCII, which JSON's ASCII encoder writes about
    twice as fast: the line is the object before the text, the text, and the object after it.
    """
    head, text, tail = _parts(article)
    if not head["metadata"] or type(text) is not str:
        return _dumps(article_object(article))  # not the shape this splice assumes: a non-empty metadata
    return f'{_dumps(head)[:-2]},"text":{_string(text)}}},{_dumps(tail)[1:]}'


class JsonlSink:
    """Streams one line per article to a temporary file, the images through ``ImageFiles``; ``commit``
    waits for the images, then renames the file into place."""

    def __init__(self, path: Path, archive: Path, *, append: bool = False) -> None:
        self.path = path
        self.figures = {"lines": 0, "images": 0}
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent, re.escape(path.name))  # a folder of the user's: only our file's
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._file: IO[bytes] = self._tmp.open("wb", buffering=WRITE_BUFFER)
        if append and path.exists():
            with path.open("rb") as earlier:
                shutil.copyfileobj(earlier, self._file)
        self._images = ImageFiles(archive, path.parent)

    def write(self, article: ArchivedArticle) -> None:
        self._file.write(article_line(article).encode("utf-8"))
        self._file.write(b"\n")
        self._images.add(article)
        self.figures["lines"] += 1
        self.figures["images"] = self._images.written

    def commit(self) -> tuple[Path, ...]:
        self.figures["images"] = self._images.close()
        self._file.close()
        self._tmp.replace(self.path)
        return (self.path,)

    def discard(self) -> None:
        self._images.abort()
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()
