"""The whole product in a real browser, as the four people of a meeting (and the admin's
page), each in their own tab: a narrative with thread questions, a 👍, a private question and
the digest; a poll with every stance and its reasons; Finalize in new words; the commit; the
Andon cord; 40 days later the review; a weekly reflection round; the decision log and an export.
What each person sees is checked, private notices above all."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.handlers.playground.conftest import Served
from tests.handlers.playground.desk import Desk


def test_the_whole_journey_as_four_people(browser: Any, served: Served) -> None:
    def version() -> int:
        return served.started.playground.platform.version

    ana, ben, carol, dave = (
        Desk(browser, served.url, p, version) for p in ("UANA", "UBEN", "UCAROL", "UDAVE")
    )

    # --- a silent reading ----------------------------------------------------------------------
    ana.send(
        "/narrative 20m @ben @carol Q3 pricing <b>six-pager</b> https://docs.example.invalid/q3"
    )
    card = ben.message("Q3 pricing")  # Ben's page shows it without a reload
    expect(card).to_contain_text("Q3 pricing <b>six-pager</b>")  # escaped, shown as text
    ben.open_thread("Q3 pricing")
    ben.reply("Why March?")
    carol.open_thread("Q3 pricing")
    carol.in_thread("Why March?").locator("button.react").click()
    expect(carol.in_thread("Why March?").locator("button.react")).to_have_text("👍 1")
    dave.click(dave.message("Q3 pricing"), "Ask privately")
    dave.fill_form({"question": "Can we afford it?"}, "Ask")
    dave.form_closes()
    dave.told("the digest shows it without your name")
    ana.not_told("without your name")
    ben.not_told("without your name")

    ben.click(ben.message("Q3 pricing"), "I'm done reading")
    expect(ana.message("Q3 pricing")).to_contain_text("Done: @Ben · still reading: @Carol")
    carol.click(carol.message("Q3 pricing"), "I'm done reading")
    # Every expected reader is done: reading ends and the ranked digest is in the thread.
    expect(ana.message("Q3 pricing")).to_contain_text("every expected reader is done")
    digest = carol.in_thread("Questions on Q3 pricing")
    expect(digest.locator("ol.digest li")).to_have_count(2)
    expect(digest.locator("ol.digest li").nth(0)).to_contain_text("Why March? — @Ben · 👍 1")
    expect(digest.locator("ol.digest li").nth(1)).to_contain_text(
        "Can we afford it? — asked privately"
    )

    # --- a poll with every stance ----------------------------------------------------------------
    ana.send(
        "/decide We launch the new pricing in March confidence:60% door:one-way closes:2h review:30d"
    )
    poll = ben.message("D-1: We launch the new pricing in March")
    ben.click(poll, "Agree")
    carol.click(carol.message("D-1:"), "Disagree")
    carol.fill_form({"reason": "Too early: billing is not migrated"}, "Vote")
    carol.form_closes()
    dave.click(dave.message("D-1:"), "Disagree, but commit")
    dave.fill_form({"reason": ""}, "Vote")
    expect(
        dave.page.locator("#dialog .err[data-for='reason']")
    ).not_to_be_empty()  # a reason is needed
    dave.fill_form({"reason": "Risky in Q1, but fine"}, "Vote")
    dave.form_closes()
    tally = ana.message("D-1:").locator("ul.tally")
    expect(tally).to_contain_text("Agree — 1: @Ben")
    expect(tally).to_contain_text("Disagree, but commit — 1: @Dave")
    expect(tally).to_contain_text("Disagree — 1: @Carol")

    # Only the owner finalizes: Ben is told so, privately.
    ben.click(ben.message("D-1:"), "Finalize")
    ben.told("Only")
    carol.not_told("Only")

    # The voting time runs out: the owner is asked, in a direct message, to finalize.
    ana.clock("To the next timer")
    ana.go("DM")
    over = ana.message("Voting on D-1 is over")
    ana.click(over, "Finalize")
    ana.fill_form({"final_text": "We launch the new pricing in April, after billing"}, "Finalize")
    ana.form_closes()
    ana.go("CGENERAL")
    record = ben.message("D-1 (active): We launch the new pricing in April, after billing")
    expect(record).to_contain_text("Proposed as: We launch the new pricing in March")
    expect(record.locator(".dissent")).to_contain_text("Too early: billing is not migrated")

    # Carol, who disagreed, is asked to commit; Dave already did (disagree, but commit).
    carol.go("DM")
    carol.click(carol.message("D-1 is decided"), "I disagree and commit")
    expect(carol.message("D-1:")).to_contain_text("You committed")
    dave.go("DM")
    dave.sees_none("is decided")

    # The Andon cord: Dave halts it, Ana amends it.
    dave.go("CGENERAL")
    dave.click(dave.message("D-1 (active)"), "Pull the Andon cord")
    dave.fill_form({"reason": "Legal has not signed off"}, "Halt the decision")
    dave.form_closes()
    expect(ben.message("D-1 (halted)")).to_contain_text("Halted by @Dave")
    ana.go("DM")
    ana.click(ana.message("Andon cord was pulled on D-1"), "Amend")
    ana.fill_form({"final_text": "We launch in April, once legal signs off"}, "Amend")
    ana.form_closes()
    ana.go("CGENERAL")
    expect(ana.message("D-1 (active): We launch in April, once legal signs off")).to_contain_text(
        "resolved by @Ana: amend"
    )

    # --- 40 days later: the review ---------------------------------------------------------------
    ana.clock("+30 days")
    for _ in range(10):
        ana.clock("+1 day")
    ana.go("DM")
    prompt = ana.page.locator("#messages .msg").filter(has_text="Time to review D-1").last
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Too early: billing is not migrated")  # the dissent, kept
    ana.click(prompt, "Amend")
    ana.fill_form({"new_text": "We launch in May", "learned": "Legal takes six weeks"}, "Amend")
    ana.form_closes()
    ana.go("CGENERAL")
    ana.open_thread("D-1 (amended)")
    expect(ana.in_thread("was amended by @Ana")).to_contain_text("D-2: We launch in May")
    carol.go("DM")
    expect(carol.message("Your dissent on D-1 mattered")).to_contain_text("Legal takes six weeks")
    ben.go("DM")
    ben.sees_none("Your dissent")

    # --- a weekly reflection round ---------------------------------------------------------------
    ana.go("CPRICING")
    ana.send("/reflect every monday 09:00")
    ana.told("A reflection round every Monday at 09:00")
    ben.not_told("A reflection round every")
    ana.clock("To the next timer")
    ben.go("CPRICING")
    round_card = ben.message("Reflection round")
    ben.click(round_card, "Answer")
    ben.fill_form({"q0": "We shipped before legal was done"}, "Save my answers")
    ben.form_closes()
    ben.told("Saved: 1 of 9 questions answered")
    carol.go("CPRICING")
    carol.open_thread("Reflection round")
    carol.reply("6. Nobody owns the data")
    ana.not_told("Saved: 1 of 9")
    carol.not_told("Saved: 1 of 9")
    ana.clock("To the next timer")  # the round closes two days later
    ana.open_thread("Reflection round (closed)")
    digest = ana.in_thread("What the round said")
    expect(digest).to_contain_text("@Ben: We shipped before legal was done")
    expect(digest).to_contain_text("@Carol: Nobody owns the data")

    # --- the decision log and an export ----------------------------------------------------------
    ana.go("LOG")
    log = ana.page.locator("#log")
    expect(log).to_contain_text("2 decisions")
    expect(log.locator("table.log tbody tr")).to_have_count(2)
    log.locator("select[name='s']").select_option("amended")
    expect(log.locator("table.log tbody tr")).to_have_count(1)
    expect(log.locator("table.log tbody tr")).to_contain_text("D-1")
    log.get_by_role("button", name="Open").click()
    expect(ana.page.locator("#dialog")).to_contain_text("Legal takes six weeks")
    ana.page.click("#dialog-close")
    log.get_by_role("button", name="Export what is shown (.xlsx)").click()
    ana.go("DM")
    link = ana.message("decision-log").locator("a.download")
    with ana.page.expect_download() as downloading:
        link.click()
    workbook = load_workbook(io.BytesIO(open(downloading.value.path(), "rb").read()))
    rows = list(workbook["Decisions"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["D-1"]
