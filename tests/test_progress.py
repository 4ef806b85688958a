"""The progress display: a total that arrives after the work has started."""

from __future__ import annotations

import io
import logging

import pytest

from crawler import progress
from crawler.progress import Progress


def test_a_log_line_says_the_total_once_it_is_known(caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    display = Progress("log", total=None, unit="article", stream=io.StringIO())
    with caplog.at_level(logging.INFO, logger="crawler.progress"):
        display.update(5, {"files": 5})
        display.set_total(40)
        display.update(10, {"files": 10})
    display.close()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["5 articles", "10/40 articles"]


def test_a_bar_gets_its_total_later() -> None:
    stream = io.StringIO()
    display = Progress("bar", total=None, unit="article", stream=stream)
    display.update(3, {})
    display.set_total(12)
    display.update(6, {})
    display.close()
    assert "6/12" in stream.getvalue()
