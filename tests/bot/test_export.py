"""The Excel workbook: sheets, rows, text never a formula, real dates, links, filters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.export import SHEETS, SUMMARY, write_workbook
from handlers.cli import main
from storage.db import session_scope
from storage.decision_log import LogQuery
from storage.models import Narrative, Question, ReflectionAnswer, ReflectionRound, Review
from tests.log_helpers import START, TEAM, add_decision, add_vote

DANGEROUS = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\t=1", "\r=2", "=1+1"]


def _narrative(engine: Engine, team_id: str = TEAM) -> int:
    with session_scope(engine) as session:
        narrative = Narrative(
            team_id=team_id,
            channel_id="C0GENERAL",
            owner_id="U0OWNER",
            title="=Q3 pricing",
            reading_seconds=1200,
            started_at=START,
            ends_at=START + timedelta(minutes=20),
        )
        session.add(narrative)
        session.flush()
        for i, text in enumerate(["Why March?", "@here what about EU?"]):
            session.add(
                Question(
                    team_id=team_id,
                    narrative_id=int(narrative.id or 0),
                    author_id="U0DAN",
                    text=text,
                    asked_at=START + timedelta(minutes=i),
                    message_ts=f"1.{i}",
                )
            )
        round_ = ReflectionRound(
            team_id=team_id,
            channel_id="C0GENERAL",
            questions='["What were our biggest mistakes?"]',
            posted_at=START,
            closes_at=START + timedelta(days=2),
            created_at=START,
        )
        session.add(round_)
        session.flush()
        session.add(
            ReflectionAnswer(
                team_id=team_id,
                round_id=int(round_.id or 0),
                user_id="U0ANA",
                question_index=0,
                text="-we shipped late",
                answered_at=START,
            )
        )
        return int(narrative.id or 0)


def test_workbook_sheets_rows_text_dates_and_links(engine: Engine, tmp_path: Path) -> None:
    narrative_id = _narrative(engine)
    _narrative(engine, team_id="T0OTHER")
    first = add_decision(
        engine,
        text=DANGEROUS[0],
        confidence=40,
        narrative_id=narrative_id,
        permalink="https://narrative-test.slack.com/archives/C0GENERAL/p1",
    )
    second = add_decision(engine, text="Plain", channel_id="C0OTHER", status="reversed")
    add_decision(engine, team_id="T0OTHER", text="Other workspace")
    for i, reason in enumerate(DANGEROUS):
        add_vote(engine, first, f"U{i}", "disagree", reason)
    add_vote(engine, first, "U0ANA", "agree", current=False)
    add_vote(engine, first, "U0ANA", "disagree_commit", "fine")
    with session_scope(engine) as session:
        session.add(
            Review(
                team_id=TEAM,
                decision_id=int(first.id or 0),
                due_at=first.review_on,
                sent_at=first.review_on,
                answered_at=first.review_on + timedelta(hours=2),
                answered_by="U0OWNER",
                outcome="keep",
                actual_confidence=30,
                learned="=2+2",
            )
        )
    out = tmp_path / "log.xlsx"
    summary = write_workbook(
        engine=engine, team_id=TEAM, query=LogQuery(), out=out, tz="Europe/Berlin"
    )
    assert summary.rows == {
        "Decisions": 2,
        "Votes": 9,
        "Reviews": 1,
        "Questions": 2,
        "Reflections": 1,
    }
    wb = load_workbook(out)
    assert wb.sheetnames == [SUMMARY, *SHEETS]
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert all(cell.font.bold for cell in ws[1])
        assert ws.column_dimensions["A"].width >= 8
    decisions = wb["Decisions"]
    header = [c.value for c in decisions[1]]
    assert "Created (Europe/Berlin)" in header
    row = {h: c for h, c in zip(header, decisions[2], strict=True)}
    assert row["ID"].value == "D-1"
    assert row["Decision"].value == DANGEROUS[0] and row["Decision"].data_type == "s"
    assert row["Decision"].alignment.wrap_text
    # Real dates, in the header's time zone (Berlin is UTC+1 in December).
    assert row["Created (Europe/Berlin)"].value == datetime(2026, 12, 1, 10, 0)
    assert row["Created (Europe/Berlin)"].is_date
    assert row["Confidence"].value == 0.4 and row["Confidence"].number_format == "0%"
    assert row["Dissent count"].value == 8
    assert row["Narrative"].value == "=Q3 pricing" and row["Narrative"].data_type == "s"
    assert row["Narrative questions"].value == 2
    assert row["Thread"].hyperlink.target.endswith("/p1")
    assert decisions.cell(row=3, column=1).value == "D-2"
    # Every user text that looks like a formula came back as a text cell, exactly as typed.
    reasons = {c.value: c.data_type for c in wb["Votes"]["D"][1:] if c.value}
    for text in DANGEROUS:
        # Without lxml, the XML round trip turns a carriage return into a line feed; with it
        # the text comes back exactly. Either way the cell stays text.
        kind = reasons.get(text) or reasons.get(text.replace("\r", "\n"))
        assert kind == "s", text
    assert all(cell.data_type != "f" for ws in wb for row in ws.iter_rows() for cell in row)
    votes = list(wb["Votes"].iter_rows(min_row=2, values_only=True))
    assert ("D-1", "U0ANA", "Agree", None) in [v[:4] for v in votes]
    assert "No (changed)" in [v[5] for v in votes]
    review = [c.value for c in wb["Reviews"][2]]
    assert review[0] == "D-1" and review[6] == "Kept" and review[9] == "=2+2"
    questions = list(wb["Questions"].iter_rows(min_row=2, values_only=True))
    assert [q[3] for q in questions] == ["Why March?", "@here what about EU?"]
    reflections = list(wb["Reflections"].iter_rows(min_row=2, values_only=True))
    assert reflections[0][2:4] == ("What were our biggest mistakes?", "-we shipped late")
    assert "Other workspace" not in str(list(decisions.values))
    del second


def test_workbook_filters_channel_status_since_and_hidden(engine: Engine, tmp_path: Path) -> None:
    add_decision(engine, text="old", created_at=START - timedelta(days=40))
    add_decision(engine, text="general")
    add_decision(engine, text="secret", channel_id="G0SECRET")
    add_decision(engine, text="reversed", status="reversed")
    add_decision(engine, text="still voting", status="voting")

    def texts(query: LogQuery) -> list[str]:
        out = tmp_path / "f.xlsx"
        write_workbook(engine=engine, team_id=TEAM, query=query, out=out)
        return [
            r[1] for r in load_workbook(out)["Decisions"].iter_rows(min_row=2, values_only=True)
        ]

    assert texts(LogQuery()) == ["old", "general", "secret", "reversed"]
    assert texts(LogQuery(since=START - timedelta(days=1))) == ["general", "secret", "reversed"]
    assert texts(LogQuery(statuses=("reversed",))) == ["reversed"]
    assert texts(LogQuery(channel_id="G0SECRET")) == ["secret"]
    assert "secret" not in texts(LogQuery(hidden_channels=frozenset({"G0SECRET"})))


def test_cli_export(
    engine: Engine,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_decision(engine, text="first")
    add_decision(engine, text="second", status="reversed")
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    out = tmp_path / "cli.xlsx"
    assert main(["export", "--out", str(out), "--status", "reversed"]) == 0
    assert "Decisions 1" in capsys.readouterr().out
    rows = list(load_workbook(out)["Decisions"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["second"]
    add_decision(engine, team_id="T0OTHER", text="other")
    assert main(["export", "--out", str(out)]) == 2
    assert "--team" in capsys.readouterr().err
    assert main(["export", "--out", str(out), "--team", "T0OTHER", "--since", "2026-11-01"]) == 0
    rows = list(load_workbook(out)["Decisions"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["other"]
    assert main(["export", "--out", str(out), "--status", "bogus"]) == 2
    assert main(["export", "--out", str(tmp_path / "missing" / "x.xlsx"), "--team", "T0OTHER"]) == 2
    assert "not a writable folder" in capsys.readouterr().err


def test_reflection_answer_naming_a_decision_shows_it_in_its_row(
    engine: Engine, tmp_path: Path
) -> None:
    decision = add_decision(engine, text="Ship the beta")
    with session_scope(engine) as session:
        round_ = ReflectionRound(
            team_id=TEAM,
            channel_id="C0GENERAL",
            questions='["What did we learn?"]',
            posted_at=START,
            closes_at=START + timedelta(days=2),
            created_at=START,
        )
        session.add(round_)
        session.flush()
        for text, linked in (("D-1 was right", decision.id), ("nothing", None)):
            session.add(
                ReflectionAnswer(
                    team_id=TEAM,
                    round_id=int(round_.id or 0),
                    user_id="U0ANA",
                    question_index=0,
                    text=text,
                    answered_at=START,
                    decision_id=linked,
                )
            )
    out = tmp_path / "log.xlsx"
    write_workbook(engine=engine, team_id=TEAM, query=LogQuery(), out=out, tz="UTC")
    sheet = load_workbook(out)["Reflections"]
    header = [c.value for c in sheet[1]]
    rows = {r[3]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    column = header.index("Decision")
    assert rows["D-1 was right"][column] == "D-1"
    assert rows["nothing"][column] is None


class _LazyNames(Mapping[str, str]):
    """Like the Slack directory: empty until asked, then looks each name up."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.seen: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        self.seen[key] = f"{self.prefix}{key.lower()}"
        return self.seen[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.seen)

    def __len__(self) -> int:
        return len(self.seen)


def test_lazy_name_lookups_are_used_although_they_start_empty(
    engine: Engine, tmp_path: Path
) -> None:
    decision = add_decision(engine, text="We launch")
    add_vote(engine, decision, "U0DAN", "disagree", "Too early")
    out = tmp_path / "names.xlsx"
    write_workbook(
        engine=engine,
        team_id=TEAM,
        query=LogQuery(),
        out=out,
        names=_LazyNames("name-"),
        channel_names=_LazyNames("chan-"),
    )
    wb = load_workbook(out)
    header, row = list(wb["Decisions"].iter_rows(values_only=True))[:2]
    shown = dict(zip(header, row, strict=True))
    assert shown["Owner"] == "name-u0owner"
    assert shown["Channel"] == "#chan-c0general"
    assert shown["Dissent (name: reason)"] == "name-u0dan (Disagree): Too early"
    votes = list(wb["Votes"].iter_rows(values_only=True))
    assert votes[1][1] == "name-u0dan"


def test_any_text_is_stored_as_text_that_a_cell_can_hold(engine: Engine, tmp_path: Path) -> None:
    # Control characters (which Excel rejects) are dropped, text past a cell's 32,767
    # characters is cut there, and an error-looking name stays text, not an Excel error value.
    decision = add_decision(engine, text="bell\x07 and escape\x1b gone", owner_id="U0ERR")
    add_vote(engine, decision, "U0LONG", "disagree", "x" * 40_000)
    out = tmp_path / "log.xlsx"
    write_workbook(engine=engine, team_id=TEAM, query=LogQuery(), out=out, names={"U0ERR": "#N/A"})
    wb = load_workbook(out)
    header = [c.value for c in wb["Decisions"][1]]
    row = {h: c for h, c in zip(header, wb["Decisions"][2], strict=True)}
    assert row["Decision"].value == "bell and escape gone"
    assert row["Owner"].value == "#N/A" and row["Owner"].data_type == "s"
    reason = wb["Votes"]["D"][1]
    assert reason.value == "x" * 32_767 and reason.alignment.wrap_text


def test_each_row_keeps_its_own_styled_values(engine: Engine, tmp_path: Path) -> None:
    """Percentages and wrapped text, the cells that carry a style, show each row's own value
    and style, however many rows share the column."""
    texts = [f"{n}: " + "a decision long enough to be wrapped in its column " * 2 for n in range(5)]
    for n, text in enumerate(texts):
        add_decision(engine, text=text, confidence=10 * n + 5)
    add_decision(engine, text="Short", confidence=99)
    out = tmp_path / "log.xlsx"
    write_workbook(engine=engine, team_id=TEAM, query=LogQuery(), out=out)
    ws = load_workbook(out)["Decisions"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)]
    assert [r["Decision"].value for r in rows] == [*texts, "Short"]
    assert [r["Confidence"].value for r in rows] == [0.05, 0.15, 0.25, 0.35, 0.45, 0.99]
    assert all(r["Confidence"].number_format == "0%" for r in rows)
    assert [bool(r["Decision"].alignment.wrap_text) for r in rows] == [True] * 5 + [False]


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
)
def test_local_times_are_the_zone_s_on_every_hour_of_two_years(zone: str) -> None:
    """Offsets are looked up once a day: days on which the zone changes its offset (here by an
    hour, or half an hour on Lord Howe Island) still convert exactly, to the second."""
    from zoneinfo import ZoneInfo

    from bot.export import _LocalTime

    tz = ZoneInfo(zone)
    clock = _LocalTime(tz)
    start = datetime(2025, 1, 1, 0, 0, 0, 250_000)
    for hour in range(2 * 365 * 24):
        at = start + timedelta(hours=hour, minutes=hour % 60)
        exact = at.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None, microsecond=0)
        assert clock.at(at) == exact, at
        assert clock.at(at.replace(tzinfo=UTC)) == exact, at
        assert clock.day(at) == exact.date(), at
    assert clock.at(None) is None and clock.day(None) is None
