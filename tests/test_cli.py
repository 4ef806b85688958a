"""The ``newsvault`` command as a user runs it: a real subprocess against a real local TLS site."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import SEEDS_DIR, SeedSite
from tests.servers import TestCA, serve

_SCRIPT = Path(sys.executable).with_name("newsvault")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "crawler"]


async def newsvault(*args: str, cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *COMMAND, *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.timeout(60)
async def test_crawl_status_export_from_the_command_line(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    async with serve(seed_site.site, tls=test_ca) as server:
        flags = ["--connect-to", server.connect_to, "--ca-bundle", str(ca_bundle), "--progress", "log"]
        code, out, err = await newsvault("crawl", "seeds/", *flags, cwd=tmp_path)
        assert code == 0, (out, err)
        assert "pages: 6 archived, 0 failed" in out
        assert (tmp_path / "archive" / "newsvault.sqlite").exists()

        code, out, _ = await newsvault("status", "--json", cwd=tmp_path)
        status = json.loads(out)
        assert code == 0
        assert status["seeds"] == {"accepted": 1, "rejected": 0}
        assert status["pages"]["done"] == 6 and status["pages"]["failed"] == 0 and status["pages"]["pending"] == 0
        assert status["images"]["done"] == len(set(seed_site.images)) + 1 and status["images"]["pending"] == 0
        assert status["images"]["claims"]["not_held"] == len(seed_site.images) // 3

        code, out, _ = await newsvault("export", "--format", "markdown", cwd=tmp_path)
        assert code == 0 and "exported 6 articles" in out
        assert len(list((tmp_path / "archive" / "export").glob("*.md"))) == 6

        (tmp_path / "seeds" / "broken.md").write_text("---\n- not a mapping\n---\n", encoding="utf-8")
        hits = sum(seed_site.site.hits.values())
        code, out, _ = await newsvault("crawl", *flags, cwd=tmp_path)  # default input: seeds/
        assert code == 1
        assert "1 rejected" in out and "broken.md" in out
        assert sum(seed_site.site.hits.values()) == hits  # resumed: nothing fetched twice


@pytest.mark.parametrize("command", [[], ["crawl"], ["status"], ["export"], ["extract"], ["refresh-images"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    text = result.output.split("Options:")[0].replace("Usage:", "").strip()
    assert len(text.splitlines()) >= 2, "each command needs a help text"


def test_configuration_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.toml"
    bad.write_text("concurency = 2\n", encoding="utf-8")
    result = runner.invoke(main, ["crawl", "--config", str(bad), "--archive", str(tmp_path / "a")])
    assert result.exit_code == 2 and "concurency" in result.output
    result = runner.invoke(main, ["crawl", "--connect-to", "nope", "--archive", str(tmp_path / "a")])
    assert result.exit_code == 2 and "connect_to" in result.output
    result = runner.invoke(main, ["status", "--archive", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no archive" in result.output


def test_an_archive_that_is_not_newsvaults_is_refused_untouched(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    other = archive / "newsvault.sqlite"
    other.write_bytes(b"this is not a database at all" * 100)
    before = other.read_bytes()
    result = CliRunner().invoke(main, ["status", "--archive", str(archive)])
    assert result.exit_code == 2 and "not a newsvault archive" in result.output
    assert other.read_bytes() == before


def test_extract_prints_what_the_archive_would_record(tmp_path: Path) -> None:
    import gzip

    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(
        b'<html lang="en"><head><meta property="og:title" content="Headline"><meta name="author" content="Ann Lee">'
        b'<meta property="article:published_time" content="2024-05-01T10:00:00+02:00"></head>'
        b'<body><article><p>First paragraph of the story, long enough to be text.</p></article></body></html>'
    ))
    result = CliRunner().invoke(main, ["extract", "--json", "--url", "https://a.example/x", str(page)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["title"] == "Headline" and data["authors"] == ["Ann Lee"]
    assert data["published_at"] == "2024-05-01T10:00:00+02:00" and data["language"] == "en"
    assert "First paragraph" in data["text"]
    plain = CliRunner().invoke(main, ["extract", str(page)])
    assert plain.exit_code == 0 and "title: Headline" in plain.output
