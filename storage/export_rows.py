"""The articles a file export writes, read with plain sqlite3 in large batches, in one read transaction.

The store's own connection (aiosqlite) hands every call to its thread and back: for an export of
tens of thousands of articles and their images that hop costs more than the reading. ``ArticleRows``
opens a second, read-only connection on the same archive and reads synchronously: the article rows
without their long texts (so the sort behind ``ORDER BY`` moves small rows), then per batch the page
texts, the seed records (each seed's text read once, shared by its articles) and the images, in a few
queries. One batch is in memory at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from storage.export_select import ExportSelection
from storage.reads import (
    IMAGE_COLUMNS,
    LEAD_IMAGES,
    article_from_row,
    articles_sql,
    count_sql,
    group_images,
    images_of,
)
from storage.records import ArchivedArticle

# No memory map: it saved about 0.3 s of 4 s on a 25,000-article JSON Lines export but made the
# resident size follow the archive (1.7 GB instead of 100 MB); an export's memory stays constant.
MMAP_BYTES = 0
BATCH = 500  # articles per batch; the IN lists of the batch queries stay far below SQLite's limits
_SEED_TEXT, _PAGE_TEXT, _SEED_FIELDS = 2, 20, 23  # columns of storage.reads.ARTICLES read apart
# storage.reads.CLAIMED_IMAGES for the batch's own (seed, item) pairs only, in the order of their positions
CLAIMED_BY_ITEM = (
    f"SELECT si.seed_id, si.article_path, {IMAGE_COLUMNS}, si.claimed_width, si.claimed_height, "
    "si.claimed_cached, 'image' FROM (VALUES {pairs}) item "
    "JOIN seed_images si ON si.seed_id = item.column1 AND si.article_path = item.column2 "
    "JOIN urls u ON u.id = si.url_id LEFT JOIN images i ON i.url_id = si.url_id "
    "ORDER BY si.seed_id, si.article_path, si.position"
)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class ArticleRows:
    """A read-only view of one archive for an export; use as a context manager, or ``close()``."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA query_only = ON")
        self._conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        self._conn.execute("BEGIN")  # one snapshot for the whole export
        # a batch binds two parameters per article: stay within the SQLite build's limit
        self._batch = max(1, min(BATCH, self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 2))

    def close(self) -> None:
        self._conn.close()  # the read transaction ends with the connection

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def count(self, selection: ExportSelection | None = None) -> int:
        return int(self._conn.execute(*count_sql(selection)).fetchone()[0])

    def batches(self, selection: ExportSelection | None = None) -> Iterator[list[ArchivedArticle]]:
        """The articles of ``selection`` in the order of ``ArchiveReads.iter_articles``, a batch at a time."""
        sql, params = articles_sql(selection, texts=False)
        cursor = self._conn.execute(sql + " ORDER BY sa.seed_id, sa.path", params)
        seeds: dict[int, tuple[str, str | None]] = {}
        while rows := cursor.fetchmany(self._batch):
            yield self._articles(rows, seeds)

    def _articles(self, rows: list[Any], seeds: dict[int, tuple[str, str | None]]) -> list[ArchivedArticle]:
        page_ids = [row[0] for row in rows]
        seed_ids = sorted({row[22] for row in rows})
        texts = dict(self._conn.execute(f"SELECT url_id, text FROM pages WHERE url_id IN ({_marks(page_ids)})",
                                        page_ids))
        # rows come by seed: keep only this batch's seeds (the last one may go on in the next batch)
        for stale in seeds.keys() - set(seed_ids):
            del seeds[stale]
        missing = [seed_id for seed_id in seed_ids if seed_id not in seeds]
        if missing:
            for seed_id, text, fields in self._conn.execute(
                f"SELECT id, text, fields FROM seeds WHERE id IN ({_marks(missing)})", missing
            ):
                seeds[seed_id] = (text, fields)
        items = [value for row in rows for value in (row[22], row[4])]
        claimed, lead = group_images(
            self._conn.execute(CLAIMED_BY_ITEM.format(pairs=",".join(["(?,?)"] * len(rows))), items),
            self._conn.execute(LEAD_IMAGES.format(marks=_marks(page_ids)), page_ids),
        )
        articles = []
        for row in rows:
            seed_text, seed_fields = seeds[row[22]]
            full = (*row[:_SEED_TEXT], seed_text, *row[_SEED_TEXT + 1:_PAGE_TEXT], texts[row[0]],
                    *row[_PAGE_TEXT + 1:_SEED_FIELDS], seed_fields)
            articles.append(article_from_row(full, images_of(row, claimed, lead)))
        return articles
