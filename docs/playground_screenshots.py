"""Take the README's screenshots of the playground in headless Chromium (Debian's, by path):

    python docs/playground_screenshots.py

The playground is filled with the demo month ending on a fixed day, served on loopback, and
shown as Ana: a poll with dissent, a narrative's digest, the Decision log tab, and a review
reminder a month later. The pictures go to docs/playground/.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.playground.demo import fill  # noqa: E402
from handlers.playground.run import build, serving  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
NOTHING_OUTSIDE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
TODAY = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
OUT = Path(__file__).resolve().parent / "playground"


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"wrote docs/playground/{name}.png")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    started = build(Path(tempfile.mkdtemp(prefix="playground-shots-")) / "demo.db", now=TODAY)
    fill(started.playground, today=TODAY)
    with serving(started) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[NOTHING_OUTSIDE]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/?as=UANA&pane=CPRICING")
        poll = page.locator("#messages .msg").filter(has_text="14-day trial")
        expect(poll).to_contain_text("Trials bring tire-kickers")
        shoot(page, "poll-with-dissent")

        page.locator("#messages .msg").filter(has_text="Q3 pricing six-pager").locator(
            "a.open-thread"
        ).click()
        expect(page.locator("#thread")).to_contain_text("Questions on Q3 pricing")
        page.evaluate("document.getElementById('messages').scrollTop = 0")
        shoot(page, "digest")

        page.click("nav a[data-pane='LOG']")
        expect(page.locator("#log table.log")).to_be_visible()
        shoot(page, "decision-log")

        page.get_by_role("button", name="+30 days", exact=True).click()
        page.click("nav a[data-pane='DM']")
        prompt = page.locator("#messages .msg").filter(has_text="Time to review").last
        expect(prompt).to_be_visible()
        page.evaluate(
            "id => document.getElementById('m' + id).scrollIntoView()",
            prompt.get_attribute("data-msg"),
        )
        shoot(page, "review-reminder")
        browser.close()


if __name__ == "__main__":
    main()
