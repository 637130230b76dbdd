"""The Decision log tab in a real browser: pages, filters, a record, the metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from handlers.playground import commands
from handlers.playground.asked import Asked
from handlers.playground.run import build, serving
from tests.handlers.playground.conftest import Served
from tests.handlers.playground.desk import Desk


@pytest.fixture
def twenty(tmp_path: Path) -> Iterator[Served]:
    """A playground whose log holds 20 decisions: 12 of Ana's in #general, 8 of Ben's in
    #pricing."""
    started = build(tmp_path / "log.db")
    for n in range(20):
        person, place = ("UANA", "CGENERAL") if n < 12 else ("UBEN", "CPRICING")
        asked = Asked(started.core, started.playground.platform, person, place)
        commands.run_command(
            asked, f"/decisions log Decision number {n + 1} confidence:70% review:30d"
        )
    with serving(started) as url:
        yield Served(url, started)


def test_the_log_tab_pages_and_filters(browser: Any, twenty: Served) -> None:
    carol = Desk(browser, twenty.url, "UCAROL", lambda: twenty.started.playground.platform.version)
    carol.go("LOG")
    log = carol.page.locator("#log")
    rows = log.locator("table.log tbody tr")
    expect(log).to_contain_text("20 decisions")
    expect(rows).to_have_count(15)
    expect(rows.first).to_contain_text("Decision number 20")
    expect(log.locator(".metric").filter(has_text="Decisions")).to_contain_text("20")
    log.get_by_role("button", name="Next →").click()
    expect(rows).to_have_count(5)
    expect(log).to_contain_text("Page 2")
    expect(rows.last).to_contain_text("Decision number 1")
    log.get_by_role("button", name="← Previous").click()
    expect(rows).to_have_count(15)

    log.locator("select[name='o']").select_option("UBEN")
    expect(rows).to_have_count(8)
    expect(log).to_contain_text("8 decisions")
    log.locator("select[name='c']").select_option("CGENERAL")
    expect(rows).to_have_count(0)
    expect(log).to_contain_text("No decisions match.")
    log.locator("select[name='o']").select_option("")
    expect(rows).to_have_count(12)
    rows.filter(has_text="Decision number 3 ").get_by_role("button", name="Open").click()
    expect(carol.page.locator("#dialog")).to_contain_text("D-3 (active): Decision number 3")
