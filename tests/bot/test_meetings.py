"""The Slack-free core of narrative meetings, on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine

from bot import meetings
from bot.clock import SystemClock
from bot.core import Core
from bot.meetings import NarrativeRequest
from bot.timers import TimerService
from bot.vocabulary import TimerKind
from storage import timers as timer_rows
from storage.db import session_scope

TEAM = "T1"


@pytest.fixture
def core(engine: Engine) -> Iterator[Core]:
    clock = SystemClock()
    timers = TimerService(engine=engine, clock=clock)
    timers.register(TimerKind.READING_END, lambda timer: None)
    yield Core(engine=engine, clock=clock, timers=timers)


def start(core: Core, *readers: str, minutes: int = 20, team: str = TEAM) -> int:
    request = NarrativeRequest(
        title="Q3", link=None, readers=readers, reading=timedelta(minutes=minutes)
    )
    narrative = meetings.start_reading(
        core=core, team_id=team, channel_id="C1", owner_id="UOWN", request=request
    )
    meetings.attach_message(
        core=core, team_id=team, narrative_id=int(narrative.id or 0), message_ts="100.1"
    )
    return int(narrative.id or 0)


# --- reading progress and the end ------------------------------------------------------------


def test_done_counts_once_and_the_last_expected_reader_ends_reading(core: Core) -> None:
    nid = start(core, "U1", "U2")
    first = meetings.mark_done(core=core, team_id=TEAM, narrative_id=nid, user_id="U1")
    assert first is not None and first.counted and not first.ended
    again = meetings.mark_done(core=core, team_id=TEAM, narrative_id=nid, user_id="U1")
    assert again is not None and not again.counted
    assert again.progress.done == ("U1",) and again.progress.still_reading == ("U2",)
    guest = meetings.mark_done(core=core, team_id=TEAM, narrative_id=nid, user_id="U3")
    assert guest is not None and guest.counted and not guest.ended
    last = meetings.mark_done(core=core, team_id=TEAM, narrative_id=nid, user_id="U2")
    assert last is not None and last.ended
    assert last.progress.narrative.state == "ended"
    assert last.progress.narrative.end_reason == "all_done"
    assert last.progress.expected_done == ("U1", "U2") and len(last.progress.done) == 3
    late = meetings.mark_done(core=core, team_id=TEAM, narrative_id=nid, user_id="U4")
    assert late is not None and not late.counted


def test_reading_ends_once_and_early_end_moves_the_timer(core: Core) -> None:
    with freeze_time("2026-12-01 09:00:00"):
        nid = start(core)
        with pytest.raises(meetings.NotAllowed):
            meetings.end_reading(
                core=core, team_id=TEAM, narrative_id=nid, reason="owner", user_id="UX"
            )
        assert meetings.end_reading(
            core=core, team_id=TEAM, narrative_id=nid, reason="owner", user_id="UX", is_admin=True
        )
        assert not meetings.end_reading(core=core, team_id=TEAM, narrative_id=nid, reason="time")
        with session_scope(core.engine) as session:
            pending = timer_rows.pending_timers(
                session=session, team_id=TEAM, kind=TimerKind.READING_END, ref_id=nid
            )
        assert [t.due_at for t in pending] == [datetime(2026, 12, 1, 9, tzinfo=UTC)]
    assert meetings.claim_digest(core=core, team_id=TEAM, narrative_id=nid)
    assert not meetings.claim_digest(core=core, team_id=TEAM, narrative_id=nid)
    meetings.release_digest(core=core, team_id=TEAM, narrative_id=nid)
    assert meetings.claim_digest(core=core, team_id=TEAM, narrative_id=nid)


def test_digest_before_end_cannot_be_claimed(core: Core) -> None:
    nid = start(core)
    assert not meetings.claim_digest(core=core, team_id=TEAM, narrative_id=nid)


def test_other_workspace_sees_nothing(core: Core) -> None:
    nid = start(core)
    assert meetings.get_progress(core=core, team_id="T2", narrative_id=nid) is None
    assert meetings.mark_done(core=core, team_id="T2", narrative_id=nid, user_id="U1") is None
    assert not meetings.end_reading(core=core, team_id="T2", narrative_id=nid, reason="owner")
    assert (
        meetings.record_thread_question(
            core=core,
            team_id="T2",
            channel_id="C1",
            thread_ts="100.1",
            message_ts="101.1",
            author_id="U1",
            text="?",
        )
        is None
    )
    assert meetings.open_in_channel(core=core, team_id="T2", channel_id="C1") == []
    assert len(meetings.open_in_channel(core=core, team_id=TEAM, channel_id="C1")) == 1


# --- questions and the digest ----------------------------------------------------------------


def ask(core: Core, ts: str, user: str, text: str, at: datetime) -> None:
    meetings.record_thread_question(
        core=core,
        team_id=TEAM,
        channel_id="C1",
        thread_ts="100.1",
        message_ts=ts,
        author_id=user,
        text=text,
        asked_at=at,
    )


def test_digest_ranks_by_upvotes_then_time(core: Core) -> None:
    nid = start(core)
    t0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
    ask(core, "101.1", "U1", "first", t0)
    ask(core, "102.1", "U2", "second", t0 + timedelta(seconds=1))
    ask(core, "103.1", "U3", "third, deleted", t0 + timedelta(seconds=2))
    ask(core, "101.1", "U1", "first again (a retry)", t0)
    with freeze_time(t0 + timedelta(seconds=3)):
        meetings.ask_privately(core=core, team_id=TEAM, narrative_id=nid, author_id="U4", text="p")
    meetings.edit_thread_question(
        core=core, team_id=TEAM, channel_id="C1", message_ts="102.1", text="second, edited"
    )
    assert meetings.delete_thread_question(
        core=core, team_id=TEAM, channel_id="C1", message_ts="103.1"
    )
    for user in ("U1", "U3", "U3"):
        meetings.set_upvote(
            core=core, team_id=TEAM, channel_id="C1", message_ts="102.1", user_id=user, added=True
        )
    meetings.set_upvote(
        core=core, team_id=TEAM, channel_id="C1", message_ts="103.1", user_id="U1", added=True
    )
    meetings.set_upvote(
        core=core, team_id=TEAM, channel_id="C1", message_ts="102.1", user_id="U1", added=False
    )
    assert not meetings.set_upvote(
        core=core, team_id=TEAM, channel_id="C1", message_ts="999.1", user_id="U1", added=True
    )
    meetings.end_reading(core=core, team_id=TEAM, narrative_id=nid, reason="time")
    ask(core, "104.1", "U5", "after reading", t0 + timedelta(minutes=30))
    late = meetings.ask_privately(
        core=core, team_id=TEAM, narrative_id=nid, author_id="U6", text="late private"
    )
    assert late is not None and late.after_reading

    digest = meetings.build_digest(core=core, team_id=TEAM, narrative_id=nid)
    assert digest is not None
    assert [(q.text, q.author, q.upvotes) for q in digest.questions] == [
        ("second, edited", "U2", 1),
        ("first", "U1", 0),
        ("p", None, 0),
    ]


# --- lint ------------------------------------------------------------------------------------


def test_lint_counts_words_and_flags_length() -> None:
    text = "word " * 4000
    report = meetings.lint_narrative(text, kind="six-pager", reading=timedelta(minutes=10))
    assert report.words == 4000
    assert report.minutes == 18  # 4000 / 230, rounded up
    assert any("longer than the 10 min reading time" in n for n in report.notes)
    assert any("over six pages" in n for n in report.notes)
    short = meetings.lint_narrative(
        "A short narrative.", kind="other", reading=timedelta(minutes=20)
    )
    assert short.words == 3 and short.notes == ()


def test_lint_flags_mostly_bullets() -> None:
    text = "Intro sentence here.\n- one\n- two\n* three\n1. four\n"
    report = meetings.lint_narrative(text, kind="other", reading=timedelta(minutes=20))
    assert any("bullet" in n for n in report.notes)


PRFAQ = """Narrative launches silent reading in Slack
Teams decide with written narratives, not slides
Summary: today we launch Narrative.
The problem: meetings reward the best presenter.
The solution: silent reading and a question digest.
"It changed how we meet," said a product lead.
Getting started takes two commands.

FAQ
Who can end reading? The owner.
"""


def test_complete_prfaq_passes_and_missing_parts_are_named() -> None:
    report = meetings.lint_narrative(PRFAQ, kind="prfaq", reading=timedelta(minutes=20))
    assert report.notes == ()
    stripped = PRFAQ.replace("The problem: meetings reward the best presenter.\n", "")
    stripped = stripped.replace('"It changed how we meet," said a product lead.\n', "")
    stripped = stripped.replace("FAQ\n", "")
    notes = meetings.lint_narrative(stripped, kind="prfaq", reading=timedelta(minutes=20)).notes
    assert any("miss: problem, quotes." in n for n in notes), notes
    assert any("no FAQ" in n for n in notes)


def test_long_press_release_is_flagged() -> None:
    text = PRFAQ.replace("Getting started", "Getting started " + "word " * 700)
    notes = meetings.lint_narrative(text, kind="prfaq", reading=timedelta(hours=1)).notes
    assert any("over one page" in n for n in notes)
