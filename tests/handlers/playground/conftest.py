"""The playground served on loopback from a thread, and Debian's Chromium driven by Playwright.

Chromium is launched from /usr/bin/chromium (browser downloads are not possible here, and
`playwright install` is never called) with every host name but 127.0.0.1 unresolvable, so the
page can load nothing from outside. Without Chromium the browser tests are skipped with that
reason; under CI=1 (set by .ci/run, which installs it) a missing Chromium fails them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from handlers.playground.run import Started, build, serving

CHROMIUM = Path("/usr/bin/chromium")
NOTHING_OUTSIDE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


@dataclass
class Served:
    url: str
    started: Started


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    started = build(tmp_path / "playground.db")
    with serving(started) as url:
        yield Served(url, started)


@pytest.fixture
def browser() -> Iterator[Any]:
    # Per test: while Playwright's sync API is open, its event loop is the running loop of
    # this thread, and later tests that run an event loop of their own would fail.
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                f"Chromium is missing at {CHROMIUM}: .ci/run installs it (apt-get install chromium)"
            )
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=[NOTHING_OUTSIDE]
        )
        yield launched
        launched.close()
