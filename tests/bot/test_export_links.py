"""Links to Slack threads in a large export: openpyxl keeps every hyperlink of a sheet in memory
until the file is saved, so only the first rows get native hyperlinks; later rows get a
HYPERLINK formula (as clickable, written out with its row), and memory stays flat."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot import export
from bot.export import write_workbook
from storage.decision_log import LogQuery
from tests.log_helpers import START, TEAM, add_decision


def test_only_the_first_rows_get_hyperlinks(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "LINK_LIMIT", 3)
    for i in range(5):
        add_decision(
            engine,
            text=f"decision {i}",
            created_at=START + timedelta(hours=i),
            permalink=f"https://narrative-test.slack.com/archives/C0GENERAL/p{i}",
        )
    out = tmp_path / "log.xlsx"
    write_workbook(engine=engine, team_id=TEAM, query=LogQuery(), out=out)
    ws = load_workbook(out)["Decisions"]
    header = [c.value for c in ws[1]]
    thread = header.index("Thread") + 1
    cells = [ws.cell(row=r, column=thread) for r in range(2, 7)]
    assert [c.hyperlink.target if c.hyperlink else None for c in cells[:3]] == [
        f"https://narrative-test.slack.com/archives/C0GENERAL/p{i}" for i in range(3)
    ]
    assert all(c.value == "Open in Slack" for c in cells[:3])
    assert all(c.data_type == "s" for c in cells[:3])
    assert [c.hyperlink for c in cells[3:]] == [None, None]
    assert [c.value for c in cells[3:]] == [
        f'=HYPERLINK("https://narrative-test.slack.com/archives/C0GENERAL/p{i}","Open in Slack")'
        for i in (3, 4)
    ]
    assert all(c.data_type == "f" for c in cells[3:])


def test_an_address_not_made_by_slack_never_becomes_a_formula(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "LINK_LIMIT", 0)
    odd = ['https://x.example/"),EVIL("', "javascript:alert(1)", "https://x/" + "a" * 300]
    for i, link in enumerate(odd):
        add_decision(engine, text=f"d{i}", created_at=START + timedelta(hours=i), permalink=link)
    out = tmp_path / "log.xlsx"
    write_workbook(engine=engine, team_id=TEAM, query=LogQuery(), out=out)
    ws = load_workbook(out)["Decisions"]
    thread = [c.value for c in ws[1]].index("Thread") + 1
    cells = [ws.cell(row=r, column=thread) for r in range(2, 5)]
    assert sorted(c.value for c in cells) == sorted(odd)
    assert all(c.data_type == "s" for c in cells)


def test_the_limit_keeps_the_hyperlink_list_bounded() -> None:
    assert 1_000 <= export.LINK_LIMIT <= 20_000


def test_a_link_names_the_platform_it_opens() -> None:
    assert export.link_text("https://narrative-test.slack.com/archives/C1/p1") == "Open in Slack"
    teams = "https://teams.microsoft.com/l/message/19:a@thread.tacv2/1?tenantId=t"
    assert export.link_text(teams) == "Open in Teams"
    assert export.link_text("#m12") == "Open the message"  # the playground's
    assert export.link_text(teams.replace("https:", "http:")) == "Open the message"
