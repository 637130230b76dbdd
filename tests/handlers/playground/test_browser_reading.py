"""In a real browser: a question edited in its thread, End reading now refused to a reader, the
clock's +5 min ending a reading period by its time, the admin finalizing Ana's poll, help text,
and user text that would be markup shown as text."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.handlers.playground.conftest import Served
from tests.handlers.playground.desk import Desk


def test_reading_by_the_clock_an_edited_question_and_the_admin(
    browser: Any, served: Served
) -> None:
    def version() -> int:
        return served.started.playground.platform.version

    ana, ben, admin = (Desk(browser, served.url, p, version) for p in ("UANA", "UBEN", "UADMIN"))

    ana.send("/narrative 10m @ben Q4 plan")
    ben.open_thread("Q4 plan")
    ben.reply("Why now?")
    ben.in_thread("Why now?").get_by_role("button", name="Edit").click()
    ben.fill_form({"text": "Why now, and not in Q1?"}, "Save")
    ben.form_closes()
    expect(ben.in_thread("Why now, and not in Q1?")).to_be_visible()

    ben.click(ben.message("Q4 plan"), "End reading now")
    ben.told("Only the narrative's owner or a workspace admin can end reading early")
    ana.not_told("can end reading early")

    ana.clock("+5 min")
    expect(ana.message("Q4 plan")).to_contain_text("reading ends")
    ana.clock("+5 min")  # ten minutes: the reading time is over
    expect(ben.message("Q4 plan")).to_contain_text("reading time is over")
    digest = ben.in_thread("Questions on Q4 plan")
    expect(digest).to_contain_text("Why now, and not in Q1? — @Ben")

    ana.send("/decide <img src=x onerror=alert(1)> Ship the beta closes:1h")
    poll = admin.message("Ship the beta")
    expect(poll).to_contain_text("<img src=x onerror=alert(1)>")
    expect(poll.locator("img")).to_have_count(0)
    ana.clock("+1 hour")
    admin.click(admin.message("Ship the beta"), "Finalize")  # the admin acts as any owner
    admin.fill_form({"final_text": "Ship the beta to ten customers"}, "Finalize")
    admin.form_closes()
    expect(ana.message("Ship the beta to ten customers")).to_contain_text("(active)")

    ben.send("/decide help")
    expect(ben.notices().locator("strong").first).to_have_text("/decide")
    ana.not_told("runs a disagree-and-commit poll")
