"""The store: a marked, versioned SQLite file in WAL mode; foreign or newer archives refused untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.urls import host_key
from storage.errors import StoreError
from storage.migrations import APPLICATION_ID, LATEST_VERSION
from storage.store import Store


async def test_new_archive_is_marked_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "a" / "newsvault.sqlite"
    store = await Store.open(path, host_key=host_key)
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = await Store.open(path, host_key=host_key)  # opening twice migrates nothing
    await again.close()


async def test_other_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newsvault.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a newsvault archive"):
        await Store.open(path, host_key=host_key)
    assert path.read_bytes() == before


async def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newsvault.sqlite"
    await (await Store.open(path, host_key=host_key)).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer than this newsvault"):
        await Store.open(path, host_key=host_key)
    assert path.read_bytes() == before
