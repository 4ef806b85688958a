"""Opening the archive named by the settings, without loading the fetcher (status and export start fast)."""

from __future__ import annotations

from crawler.settings import Settings
from crawler.urls import host_key
from storage.store import Store


async def open_store(settings: Settings) -> Store:
    return await Store.open(settings.store_path, host_key=host_key)
