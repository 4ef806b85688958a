"""WACZ export: the WARC export packaged with the ``wacz`` package, for ReplayWeb.page and pywb.

The WARCs (see ``storage.export_warc``) and a ``pages.jsonl`` listing each article's page with its
title and capture time are written to a temporary folder beside the target; ``wacz create`` then
builds the package (CDXJ index, ``datapackage.json`` and its digest) under a temporary name, which is
renamed to the target only when complete. ``wacz validate`` accepts the result.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from wacz.main import main as wacz_main

from storage.errors import StoreError
from storage.export_run import DEFAULT_WARC_BYTES as DEFAULT_MAX_BYTES
from storage.export_warc import WarcSink
from storage.records import ArchivedArticle
from storage.store import Store

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}


class WaczSink:
    """Collects WARCs and the page list in a temporary folder; ``commit`` packages them."""

    def __init__(self, store: Store, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, title: str = "") -> None:
        self.path, self.title = path, title or "newsvault archive"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        self._warcs = WarcSink(store, self._work / "archive", max_bytes=max_bytes, description=self.title)
        self._pages_path = self._work / "pages.jsonl"
        self._pages: IO[str] = self._pages_path.open("w", encoding="utf-8")
        self._pages.write(json.dumps(PAGES_HEADER) + "\n")
        self.figures = {**self._warcs.figures, "pages": 0}

    async def write(self, article: ArchivedArticle) -> None:
        capture = await self._warcs.write(article)
        if capture is not None:
            page = {"id": f"page-{article.url_id}", "url": capture.url, "ts": capture.date, "title": capture.title}
            self._pages.write(json.dumps(page, ensure_ascii=False) + "\n")
            self.figures["pages"] += 1

    async def commit(self) -> tuple[Path, ...]:
        self._pages.close()
        warcs = await self._warcs.commit()
        self.figures.update(self._warcs.figures)
        if not warcs:
            raise StoreError("nothing to package: no archived page matches the selection")
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        output = io.StringIO()
        args = ["create", "-o", str(tmp), "-p", str(self._pages_path), "--copy-pages", "--title", self.title,
                *map(str, warcs)]
        try:
            with contextlib.redirect_stdout(output):
                status = wacz_main(args)
            if status:
                raise StoreError(f"wacz could not package the export: {output.getvalue().strip()[-500:]}")
            tmp.replace(self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            shutil.rmtree(self._work, ignore_errors=True)
        return (self.path,)

    def discard(self) -> None:
        self._pages.close()
        self._warcs.discard()
        shutil.rmtree(self._work, ignore_errors=True)
