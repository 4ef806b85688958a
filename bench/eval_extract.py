"""Evaluate ``extract_metadata`` on the shared real-page corpus and print the scorer's table.

Usage: python bench/eval_extract.py [--realdata DIR] [--out PREDICTIONS] [--by-corpus] [--limit N]
Reads ``pages.jsonl`` from the realdata folder (default ``../shared/realdata`` next to the repo),
writes one prediction line per record (with ``ms``) and runs that folder's ``score.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import extract_metadata
from crawler.models import PageMetadata

DEFAULT_REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def prediction(record_id: str, meta: PageMetadata, ms: float) -> dict[str, Any]:
    return {
        "id": record_id,
        "title": meta.title,
        "authors": list(meta.authors),
        "published": _iso(meta.published_at),
        "description": meta.description,
        "site_name": meta.site_name,
        "language": meta.language,
        "lead_image": meta.lead_image_url,
        "canonical_url": meta.canonical_url,
        "topics": list(meta.topics),
        "text": meta.text,
        "ms": round(ms, 3),
    }


def run(realdata: Path, out: Path, limit: int | None) -> None:
    cache: dict[str, bytes] = {}
    with (realdata / "pages.jsonl").open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for index, line in enumerate(src):
            if limit is not None and index >= limit:
                break
            record = json.loads(line)
            path = record["html"]
            if path not in cache:
                with gzip.open(realdata / path) as fh:
                    cache[path] = fh.read()
            start = time.perf_counter()
            meta = extract_metadata(cache[path], url=record.get("url"))
            ms = (time.perf_counter() - start) * 1000
            dst.write(json.dumps(prediction(record["id"], meta, ms), ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--by-corpus", action="store_true")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not (args.realdata / "pages.jsonl").is_file():
        print(f"no pages.jsonl under {args.realdata}", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.gettempdir()) / "newsvault_extract_predictions.jsonl"
    run(args.realdata, out, args.limit)
    command = [
        sys.executable,
        str(args.realdata / "score.py"),
        str(args.realdata / "pages.jsonl"),
        str(out),
        "--markdown",
    ]
    if args.by_corpus:
        command.append("--by-corpus")
    print(f"predictions: {out}")
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
