"""Reading the archive: status figures and the articles an export writes, streamed in batches."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import aiosqlite

from storage.base import StoreBase
from storage.export_select import ExportSelection, article_clause, seed_clause
from storage.records import (
    ArchivedArticle,
    ArchivedImage,
    HttpResponseHead,
    JobState,
    SeedRejection,
    claim_holds,
    record,
)


@record
class ArchivedExchange:
    """One HTTP exchange as stored: request headers as sent, the final head, the hops before it.

    ``raw_sha256`` names the body as transferred (content-encoded, de-chunked) in ``blobs``.
    """

    fetch_id: int
    url: str
    started_at: str
    response: HttpResponseHead
    request_headers: tuple[tuple[str, str], ...]
    redirects: tuple[HttpResponseHead, ...]
    raw_sha256: str | None
    peer_address: str | None
    purpose: str
    kind: str


# The article query: ``{seeds}`` and ``{articles}`` are the selection's clauses (storage.export_select);
# ``{seed_text}``, ``{page_text}`` and ``{seed_fields}`` are those columns, or NULL where the reader gets them apart.
ARTICLES = (
    "SELECT sa.url_id, u.url, {seed_text}, s.path, sa.path, sa.role, f.started_at, f.final_url, f.status, "
    "f.body_sha256, p.title, p.description, p.authors, p.published_at, p.modified_at, p.canonical_url, "
    "p.site_name, p.language, p.lead_image_url, p.topics, {page_text}, p.note, sa.seed_id, {seed_fields} "
    "FROM (SELECT *, row_number() OVER (PARTITION BY url_id ORDER BY role != 'article', seed_id, path) AS rank "
    "      FROM seed_articles WHERE {seeds}) sa "
    "JOIN seeds s ON s.id = sa.seed_id JOIN urls u ON u.id = sa.url_id "
    "JOIN pages p ON p.url_id = sa.url_id JOIN fetches f ON f.id = p.fetch_id "
    "WHERE sa.rank = 1 AND u.state = 'done' AND {articles}"
)
IMAGE_COLUMNS = (
    "u.url, u.state, i.sha256, i.mime_type, i.width, i.height, i.byte_size, i.cached, "
    "i.first_seen, i.last_seen, i.last_checked, i.gone_at, "
    "(SELECT count(*) FROM image_versions v WHERE v.url_id = u.id)"
)
CLAIMED_IMAGES = (
    f"SELECT si.seed_id, si.article_path, {IMAGE_COLUMNS}, si.claimed_width, si.claimed_height, "
    "si.claimed_cached, 'image' FROM seed_images si JOIN urls u ON u.id = si.url_id "
    "LEFT JOIN images i ON i.url_id = si.url_id WHERE si.seed_id IN ({marks}) ORDER BY si.position"
)
LEAD_IMAGES = (
    f"SELECT l.from_id, {IMAGE_COLUMNS}, NULL, NULL, NULL, 'lead_image' "
    "FROM links l JOIN urls u ON u.id = l.to_id LEFT JOIN images i ON i.url_id = l.to_id "
    "WHERE l.from_id IN ({marks}) AND l.relation = 'lead_image'"
)


def articles_sql(selection: ExportSelection | None, *, texts: bool = True) -> tuple[str, tuple[Any, ...]]:
    """``ARTICLES`` for ``selection`` and its parameters; ``texts=False`` leaves the long texts out (NULL)."""
    selection = selection or ExportSelection()
    seeds, seed_params = seed_clause(selection)
    articles, article_params = article_clause(selection)
    columns = ("s.text", "p.text", "s.fields") if texts else ("NULL", "NULL", "NULL")
    sql = ARTICLES.format(seeds=seeds, articles=articles, seed_text=columns[0], page_text=columns[1],
                          seed_fields=columns[2])
    return sql, (*seed_params, *article_params)


# The number of rows of ARTICLES when no clause reads the chosen row (no dates, no mark): one per page.
COUNT_PAGES = (
    "SELECT count(*) FROM (SELECT DISTINCT url_id FROM seed_articles WHERE {seeds}) sa "
    "JOIN urls u ON u.id = sa.url_id JOIN pages p ON p.url_id = sa.url_id JOIN fetches f ON f.id = p.fetch_id "
    "WHERE u.state = 'done'"
)


def count_sql(selection: ExportSelection | None) -> tuple[str, tuple[Any, ...]]:
    """A query for how many articles ``articles_sql(selection)`` yields, without ranking them when it can."""
    selection = selection or ExportSelection()
    if article_clause(selection)[0] == "1":
        seeds, seed_params = seed_clause(selection)
        return COUNT_PAGES.format(seeds=seeds), seed_params
    sql, params = articles_sql(selection, texts=False)
    return f"SELECT count(*) FROM ({sql})", params


ClaimedImages = dict[tuple[int, str], list[Any]]
LeadImages = dict[int, list[Any]]


def group_images(claimed_rows: Iterable[Any], lead_rows: Iterable[Any]) -> tuple[ClaimedImages, LeadImages]:
    """Rows of ``CLAIMED_IMAGES`` by (seed id, item path) and of ``LEAD_IMAGES`` by page id."""
    claimed: ClaimedImages = {}
    for image in claimed_rows:
        claimed.setdefault((image[0], image[1]), []).append(image[2:])
    lead: LeadImages = {}
    for image in lead_rows:
        lead.setdefault(image[0], []).append(image[1:])
    return claimed, lead


def images_of(row: Any, claimed: ClaimedImages, lead: LeadImages) -> list[Any]:
    """The image rows of one article row: the ones its seed item claims, then its lead image."""
    return claimed.get((row[22], row[4]), []) + lead.get(row[0], [])


class ArchiveReads(StoreBase):
    # -- reading ---------------------------------------------------------------------------------

    async def counts(self) -> dict[str, dict[str, int]]:
        """Seeds accepted/rejected, and pages/images by state: what ``status --json`` prints."""
        result: dict[str, dict[str, int]] = {
            kind: {state.value: 0 for state in JobState} for kind in ("pages", "images")
        }
        for kind, state, count in await self._fetchall("SELECT kind, state, count(*) FROM urls GROUP BY kind, state"):
            result["pages" if kind == "page" else "images"][state] = count
        accepted = (await self._fetchone("SELECT count(*) FROM seeds"))[0]
        rejected = (await self._fetchone("SELECT count(*) FROM seed_rejections"))[0]
        result["seeds"] = {"accepted": accepted, "rejected": rejected}
        return result

    async def image_claims(self) -> dict[str, int]:
        """How many seed claims of image dimensions held, did not, or cannot be checked yet."""
        counts = {"held": 0, "not_held": 0, "unchecked": 0}
        async with self._conn.execute(
            "SELECT s.claimed_width, s.claimed_height, i.width, i.height FROM seed_images s "
            "LEFT JOIN images i ON i.url_id = s.url_id "
            "WHERE s.claimed_width IS NOT NULL OR s.claimed_height IS NOT NULL"
        ) as cursor:
            while rows := await cursor.fetchmany(2000):
                for row in rows:
                    holds = claim_holds(*row)
                    counts["unchecked" if holds is None else "held" if holds else "not_held"] += 1
        return counts

    async def failures(self, limit: int = 50) -> list[tuple[str, str]]:
        rows = await self._fetchall(
            "SELECT url, coalesce(last_error, 'failed') FROM urls WHERE state IN ('failed', 'blocked') "
            "ORDER BY id LIMIT ?", (limit,),
        )
        return [(r[0], r[1]) for r in rows]

    async def rejections(self, limit: int = 50) -> list[SeedRejection]:
        rows = await self._fetchall(
            "SELECT path, reason, sha256 FROM seed_rejections ORDER BY path LIMIT ?", (limit,)
        )
        return [SeedRejection(path=r[0], reason=r[1], sha256=r[2] or None) for r in rows]

    @property
    def connection(self) -> aiosqlite.Connection:
        """The read side for exports and queries in ``storage``; writes go through the methods."""
        return self._conn

    # -- export reading --------------------------------------------------------------------------

    async def _images_for(self, rows: list[Any]) -> tuple[ClaimedImages, LeadImages]:
        """The images of a batch of articles in two queries: claimed ones by (seed, item), lead ones by page."""
        seed_ids = sorted({row[22] for row in rows})
        page_ids = sorted({row[0] for row in rows})
        claimed = await self._fetchall(CLAIMED_IMAGES.format(marks=",".join("?" * len(seed_ids))), tuple(seed_ids))
        lead = await self._fetchall(LEAD_IMAGES.format(marks=",".join("?" * len(page_ids))), tuple(page_ids))
        return group_images(claimed, lead)

    async def iter_articles(
        self, batch: int = 200, *, selection: ExportSelection | None = None
    ) -> AsyncGenerator[ArchivedArticle, None]:
        """Every archived page a seed names, once, with the first (selected) seed record that names it.

        ``selection`` narrows by seed file, date and the incremental mark (provider and topic are
        the exporter's, from the seed's YAML). Rows are read ``batch`` at a time: memory stays flat.
        """
        sql, params = articles_sql(selection)
        async with self._conn.execute(sql + " ORDER BY sa.seed_id, sa.path", params) as cursor:
            while rows := await cursor.fetchmany(batch):
                rows = list(rows)
                claimed, lead = await self._images_for(rows)
                for row in rows:
                    yield article_from_row(row, images_of(row, claimed, lead))

    async def count_articles(self, selection: ExportSelection | None = None) -> int:
        return int((await self._fetchone(*count_sql(selection)))[0])

    _EXCHANGES = (
        "SELECT f.id, u.url, f.started_at, f.final_url, f.status, f.reason, f.http_version, f.request_headers, "
        "f.response_headers, f.redirects, f.raw_sha256, f.peer_address, f.purpose, u.kind "
        "FROM fetches f JOIN urls u ON u.id = f.url_id "
        "WHERE f.url_id IN (SELECT ? UNION SELECT to_id FROM links WHERE from_id = ? "
        "                   AND relation IN ('image', 'lead_image', 'same_story')) "
        "AND f.status IS NOT NULL AND f.response_headers IS NOT NULL AND f.status != 304 ORDER BY f.id"
    )

    async def exchanges(self, url_id: int) -> list[ArchivedExchange]:
        """Every HTTP exchange received for a page, its aliases and its images, oldest first.

        Attempts that ended without a response are left out, and so are 304 answers to a
        refresh check (they carry no payload of their own).
        """
        rows = await self._fetchall(self._EXCHANGES, (url_id, url_id))
        return [_exchange(row) for row in rows]

_METADATA_KEYS = ("title", "description", "authors", "published_at", "modified_at", "canonical_url",
                  "site_name", "language", "lead_image_url", "topics", "text")
_names: dict[str, list[str]] = {}  # JSON lists of names seen (authors, topics), parsed once


def _name_list(text: str) -> Any:
    """``json.loads(text)``, a new list each time; lists of strings (names repeat) are parsed once."""
    known = _names.get(text)
    if known is not None:
        return list(known)
    value = json.loads(text)
    if type(value) is list and all(type(v) is str for v in value):
        if len(_names) >= 10_000:
            _names.clear()
        _names[text] = list(value)
    return value


def article_from_row(row: Any, images: list[Any]) -> ArchivedArticle:
    """The article of one row of ``ARTICLES`` and its image rows (claimed ones first)."""
    metadata = dict(zip(_METADATA_KEYS, row[10:21], strict=True))
    metadata["authors"] = _name_list(metadata["authors"])
    metadata["topics"] = _name_list(metadata["topics"])
    return ArchivedArticle(
        url_id=row[0], url=row[1], seed_text=row[2], seed_fields=row[23], seed_path=row[3], item_path=row[4],
        role=row[5], fetched_at=row[6], final_url=row[7], status=row[8], body_sha256=row[9], metadata=metadata,
        note=row[21], images=tuple(_archived_image(r) for r in _unique_images(images)),
    )


def _unique_images(rows: Iterable[Any]) -> list[Any]:
    """An image both claimed by the seed and found as the lead image is listed once, as claimed."""
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    return unique


def _archived_image(row: Any) -> ArchivedImage:
    return ArchivedImage(
        url=row[0], state=row[1], sha256=row[2], mime_type=row[3], width=row[4], height=row[5], byte_size=row[6],
        cached=None if row[7] is None else bool(row[7]),
        first_seen=row[8], last_seen=row[9], last_checked=row[10], gone_at=row[11], versions=row[12],
        claimed_width=row[13], claimed_height=row[14],
        claimed_cached=None if row[15] is None else bool(row[15]), relation=row[16],
    )


def _pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text or "[]"))


def _exchange(row: Any) -> ArchivedExchange:
    hops = tuple(
        HttpResponseHead(url=h["url"], status=h["status"], reason=h.get("reason") or "",
                         http_version=h.get("http_version") or "HTTP/1.1",
                         headers=tuple((str(k), str(v)) for k, v in h.get("headers") or ()))
        for h in json.loads(row[9] or "[]")
    )
    head = HttpResponseHead(url=row[3] or row[1], status=row[4], reason=row[5] or "",
                            http_version=row[6] or "HTTP/1.1", headers=_pairs(row[8]))
    return ArchivedExchange(
        fetch_id=row[0], url=row[1], started_at=row[2], response=head, request_headers=_pairs(row[7]),
        redirects=hops, raw_sha256=row[10], peer_address=row[11], purpose=row[12], kind=row[13],
    )
