"""One person at the playground in a real browser: what they click and type, and what their
page shows. Playwright's `expect` waits for the exact thing (live updates arrive by polling)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, expect

WAIT_MS = 15_000


class Desk:
    def __init__(self, browser: Any, url: str, person: str, version: Callable[[], int]) -> None:
        self.version = version  # the server's: what a page must have caught up with
        self.page: Page = browser.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.person = person
        self.page.goto(f"{url}/?as={person}&pane=CGENERAL")
        expect(self.page.locator("#clock")).not_to_have_text("…")

    # --- going places -------------------------------------------------------------------------

    def go(self, pane: str) -> None:
        """`CGENERAL`, `CPRICING`, `DM` (their direct messages) or `LOG`."""
        self.page.click(f"nav a[data-pane='{pane}']")
        expect(self.page.locator(f"nav a.active[data-pane='{pane}']")).to_be_visible()

    def message(self, text: str) -> Locator:
        """The one message in the main pane that shows `text`."""
        found = self.page.locator("#messages .msg").filter(has_text=text)
        expect(found).to_have_count(1)
        return found

    def in_thread(self, text: str) -> Locator:
        found = self.page.locator("#thread .msg").filter(has_text=text)
        expect(found).to_have_count(1)
        return found

    def open_thread(self, text: str) -> None:
        self.message(text).locator("a.open-thread").click()
        expect(self.page.locator("#thread-pane")).to_be_visible()

    # --- doing --------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")
        expect(self.page.locator("#text")).to_have_value("")

    def reply(self, text: str) -> None:
        self.page.fill("#thread-text", text)
        self.page.press("#thread-text", "Enter")
        expect(self.page.locator("#thread-text")).to_have_value("")

    def click(self, where: Locator, label: str) -> None:
        where.get_by_role("button", name=label, exact=True).click()

    def fill_form(self, values: dict[str, str], submit: str) -> None:
        dialog = self.page.locator("#dialog")
        expect(dialog).to_be_visible()
        for name, value in values.items():
            dialog.locator(f"[name='{name}']").fill(value)
        dialog.get_by_role("button", name=submit, exact=True).click()

    def form_closes(self) -> None:
        expect(self.page.locator("#dialog")).to_be_hidden()

    def clock(self, label: str) -> None:
        before = self.page.locator("#clock").inner_text()
        self.page.get_by_role("button", name=label, exact=True).click()
        if label != "To the next timer":
            expect(self.page.locator("#clock")).not_to_have_text(before)

    # --- reading ------------------------------------------------------------------------------

    def notices(self) -> Locator:
        return self.page.locator("#notices")

    def told(self, text: str) -> None:
        expect(self.notices()).to_contain_text(text)

    def caught_up(self) -> None:
        """Wait until this page shows everything that has happened so far."""
        self.page.wait_for_function(
            "v => Number(document.body.dataset.version) >= v", arg=self.version()
        )

    def not_told(self, text: str) -> None:
        """Once the page is current: `text` is not among this person's private notices."""
        self.caught_up()
        expect(self.notices()).not_to_contain_text(text)

    def sees_none(self, text: str) -> None:
        """Once the page is current: no message in the pane shows `text`."""
        self.caught_up()
        expect(self.page.locator("#messages .msg").filter(has_text=text)).to_have_count(0)
