"""The optional real-page corpus beside the project (``../shared/realdata``): its records, or a clear skip.

The pages are publishers' pages: they are read from where they are, never copied into the project. On a
user's clone the folder is absent and the tests that need it say so.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@functools.cache
def _all_records() -> tuple[dict[str, Any], ...]:
    with (REALDATA / "pages.jsonl").open(encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh)


def records() -> tuple[dict[str, Any], ...]:
    """Every record of ``pages.jsonl``, in file order; skips the test when the corpus is absent."""
    if not (REALDATA / "pages.jsonl").is_file():
        pytest.skip(f"real-page corpus not found at {REALDATA} (optional shared data)")
    return _all_records()


def record(record_id: str) -> dict[str, Any]:
    """One record by id; skips the test when the corpus or the record is absent."""
    for item in records():
        if item["id"] == record_id:
            return item
    pytest.skip(f"record {record_id} not in the real-page corpus")


def page_bytes(item: dict[str, Any]) -> bytes:
    """The saved page of a record, as served (the corpus stores it gzipped)."""
    with gzip.open(REALDATA / item["html"]) as fh:
        return fh.read()
