"""Reviews in the core: working hours, once-only start, answers and their links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot import reviews
from bot.decision_log import record_decision
from bot.proposals import ProposalError
from bot.vocabulary import TimerKind
from storage.db import session_scope
from storage.decisions import get_decision
from storage.models import Decision, DecisionEvent, Timer
from tests.log_helpers import TEAM, add_decision, add_vote, make_core


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        # Thursday 10:00 UTC = 11:00 Berlin: now.
        ("2026-12-31 10:00", "Europe/Berlin", "2026-12-31 10:00"),
        # Thursday 20:00 Berlin: Friday 09:00 Berlin (08:00 UTC).
        ("2026-12-31 19:00", "Europe/Berlin", "2027-01-01 08:00"),
        # Saturday: Monday 09:00.
        ("2027-01-02 12:00", "Europe/Berlin", "2027-01-04 08:00"),
        # Monday 05:00 New York (10:00 UTC): 09:00 New York the same day (14:00 UTC).
        ("2027-01-04 10:00", "America/New_York", "2027-01-04 14:00"),
        # Friday 17:00 exactly is after hours: Monday.
        ("2027-01-01 16:00", "Europe/Berlin", "2027-01-04 08:00"),
        # An unknown zone counts as UTC.
        ("2027-01-04 08:30", "Mars/Base", "2027-01-04 09:00"),
    ],
)
def test_next_working_slot(at: str, tz: str, expected: str) -> None:
    when = datetime.fromisoformat(at).replace(tzinfo=UTC)
    assert reviews.next_working_slot(when, tz) == datetime.fromisoformat(expected).replace(
        tzinfo=UTC
    )


def _timer(engine: Engine, kind: str, ref_id: int, status: str = "pending") -> list[Timer]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Timer).where(
                    Timer.kind == kind, Timer.ref_id == ref_id, Timer.status == status
                )
            )
        )


def test_logged_decision_gets_default_review_and_timer(engine: Engine) -> None:
    core = make_core(engine)
    with freeze_time("2026-12-01 09:00:00"):
        low = record_decision(
            core, team_id=TEAM, channel_id="C1", author_id="U1", text="A confidence:40%"
        )
        mid = record_decision(
            core, team_id=TEAM, channel_id="C1", author_id="U1", text="B confidence:70%"
        )
        high = record_decision(
            core, team_id=TEAM, channel_id="C1", author_id="U1", text="C confidence:95%"
        )
        custom = record_decision(
            core, team_id=TEAM, channel_id="C1", author_id="U1", text="D review:10d"
        )
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert low.review_on == now + timedelta(days=30)
    assert mid.review_on == now + timedelta(days=90)
    assert high.review_on == now + timedelta(days=180)
    assert custom.review_on == now + timedelta(days=10)
    assert (low.number, custom.number) == (1, 4)
    [timer] = _timer(engine, TimerKind.REVIEW_DUE, int(low.id or 0))
    assert timer.due_at == low.review_on and timer.team_id == TEAM


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("X confidence:0%", "between 1% and 100%"),
        ("X review:2020-01-01", "in the past"),
        ("X colour:red", "unknown option"),
        ("X closes:2h", "for polls"),
    ],
)
def test_bad_log_text_records_nothing(engine: Engine, text: str, message: str) -> None:
    core = make_core(engine)
    with pytest.raises(ProposalError, match=message):
        record_decision(core, team_id=TEAM, channel_id="C1", author_id="U1", text=text)
    with session_scope(engine) as session:
        assert session.exec(select(Decision)).all() == []


def test_a_logged_decision_can_supersede_one_in_force(engine: Engine) -> None:
    core = make_core(engine)
    with freeze_time("2026-12-01 09:00:00"):
        old = record_decision(core, team_id=TEAM, channel_id="C1", author_id="U1", text="Old way")
        new = record_decision(
            core, team_id=TEAM, channel_id="C1", author_id="U1", text="New way replaces:D-1"
        )
    with session_scope(engine) as session:
        older = get_decision(session=session, team_id=TEAM, decision_id=int(old.id or 0))
        newer = get_decision(session=session, team_id=TEAM, decision_id=int(new.id or 0))
        assert older is not None and newer is not None
        assert older.status == "superseded" and older.replaced_by_id == newer.id
        assert newer.replaces_id == older.id and newer.proposal == "New way"
        kinds = {(e.decision_id, e.kind) for e in session.exec(select(DecisionEvent)).all()}
    assert {(old.id, "superseded"), (new.id, "supersedes")} <= kinds
    # The superseded decision is no longer reviewed; the new one is.
    assert _timer(engine, TimerKind.REVIEW_DUE, int(old.id or 0)) == []
    assert len(_timer(engine, TimerKind.REVIEW_DUE, int(new.id or 0))) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("New replaces:D-9", "D-9 was not found"),
        ("New replaces:soon", "such as `D-4`"),
        ("New replaces:D-1 replaces:D-1", "given twice"),
        ("New replaces:D-2", "only a decision still in force"),
        ("New replaces:D-3", "not found"),
    ],
)
def test_superseding_needs_a_decision_in_force_of_this_workspace(
    engine: Engine, text: str, message: str
) -> None:
    core = make_core(engine)
    record_decision(core, team_id=TEAM, channel_id="C1", author_id="U1", text="First")
    add_decision(engine, text="Reversed", status="reversed")
    add_decision(engine, team_id="T0OTHER", text="Elsewhere")
    with pytest.raises(ProposalError, match=message):
        record_decision(core, team_id=TEAM, channel_id="C1", author_id="U1", text=text)
    with session_scope(engine) as session:
        statuses = [d.status for d in session.exec(select(Decision)).all()]
    assert sorted(statuses) == ["active", "active", "reversed"]


def _fire(core, engine: Engine, decision: Decision, tz: str = "UTC"):  # type: ignore[no-untyped-def]
    [timer] = _timer(engine, TimerKind.REVIEW_DUE, int(decision.id or 0))
    with session_scope(engine) as session:  # claimed, as the scheduler would
        session.get(Timer, timer.id).status = "running"  # type: ignore[union-attr]
    return reviews.start_review(core, timer=timer, tz=tz)


def test_review_starts_once_and_moves_to_working_hours(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=4, hours=12))  # Sat 21:00 UTC
    with session_scope(engine) as session:
        core.timers.add(
            session=session,
            team_id=TEAM,
            kind=TimerKind.REVIEW_DUE,
            ref_id=int(decision.id or 0),
            due_at=decision.review_on,
        )
    with freeze_time("2026-12-05 21:00:00"):
        assert _fire(core, engine, decision, "Europe/Berlin") is None
    moved = _timer(engine, TimerKind.REVIEW_DUE, int(decision.id or 0))
    assert [t.due_at for t in moved] == [datetime(2026, 12, 7, 8, 0, tzinfo=UTC)]
    with freeze_time("2026-12-07 08:00:00"):
        prompt = _fire(core, engine, decision, "Europe/Berlin")
        assert prompt is not None and prompt.decision.status == "under_review"
        reviews.mark_sent(
            core, team_id=TEAM, review_id=int(prompt.review.id or 0), channel="D1", ts="1.1"
        )
        # A second run (a retry, a second process) sends nothing more.
        assert reviews.start_review(core, timer=moved[0], tz="Europe/Berlin") is None
    [reminder] = _timer(engine, TimerKind.REVIEW_REMINDER, int(prompt.review.id or 0))
    assert reminder.due_at == datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


def test_reminder_once_then_overdue(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=30))
    with session_scope(engine) as session:
        core.timers.add(
            session=session,
            team_id=TEAM,
            kind=TimerKind.REVIEW_DUE,
            ref_id=int(decision.id or 0),
            due_at=decision.review_on,
        )
    with freeze_time("2026-12-31 10:00:00"):
        prompt = _fire(core, engine, decision)
        assert prompt is not None
    [timer] = _timer(engine, TimerKind.REVIEW_REMINDER, int(prompt.review.id or 0))
    with freeze_time("2027-01-04 10:00:00"):
        reminder = reviews.due_reminder(core, timer=timer, tz="UTC")
        assert reminder is not None and reminder.reminder
        reviews.mark_reminded(core, team_id=TEAM, review_id=int(prompt.review.id or 0))
        assert reviews.due_reminder(core, timer=timer, tz="UTC") is None
        from bot.decision_log import browse, due_query

        page = browse(core, team_id=TEAM, query=due_query(core))
        assert [e.overdue for e in page.entries] == [True]


def _started(core, engine: Engine, decision: Decision):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        core.timers.add(
            session=session,
            team_id=TEAM,
            kind=TimerKind.REVIEW_DUE,
            ref_id=int(decision.id or 0),
            due_at=decision.review_on,
        )
    with freeze_time(decision.review_on + timedelta(hours=1)):
        prompt = _fire(core, engine, decision)
    assert prompt is not None
    return prompt


def test_keep_sets_next_review(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=30))
    prompt = _started(core, engine, decision)
    next_on = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with freeze_time("2027-01-01 10:00:00"):
        with pytest.raises(reviews.ReviewError) as missing:
            reviews.answer_review(
                core,
                team_id=TEAM,
                review_id=int(prompt.review.id or 0),
                user_id="U0OWNER",
                answer=reviews.Answer(outcome="keep", next_review_on=next_on),
            )
        assert missing.value.field == "actual"
        result = reviews.answer_review(
            core,
            team_id=TEAM,
            review_id=int(prompt.review.id or 0),
            user_id="U0OWNER",
            answer=reviews.Answer(outcome="keep", actual_confidence=60, next_review_on=next_on),
        )
        with pytest.raises(reviews.ReviewError, match="already answered"):
            reviews.answer_review(
                core,
                team_id=TEAM,
                review_id=int(prompt.review.id or 0),
                user_id="U0OWNER",
                answer=reviews.Answer(outcome="snooze", snooze="week"),
            )
    assert result.decision.status == "active" and result.decision.review_on == next_on
    assert result.dissenters == ()
    assert [t.due_at for t in _timer(engine, TimerKind.REVIEW_DUE, int(decision.id or 0))] == [
        next_on
    ]
    assert _timer(engine, TimerKind.REVIEW_REMINDER, int(prompt.review.id or 0)) == []


def test_review_in_another_workspace_is_not_found(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=30))
    prompt = _started(core, engine, decision)
    with pytest.raises(reviews.ReviewError, match="no longer exists"):
        reviews.answer_review(
            core,
            team_id="T0OTHER",
            review_id=int(prompt.review.id or 0),
            user_id="U0OWNER",
            answer=reviews.Answer(outcome="snooze", snooze="week"),
        )
    assert (
        reviews.review_with_decision(core, team_id="T0OTHER", review_id=int(prompt.review.id or 0))
        is None
    )


def test_snooze_moves_the_review(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=30))
    prompt = _started(core, engine, decision)
    with freeze_time("2027-01-01 10:00:00"):
        result = reviews.answer_review(
            core,
            team_id=TEAM,
            review_id=int(prompt.review.id or 0),
            user_id="U0OWNER",
            answer=reviews.Answer(outcome="snooze", snooze="month"),
        )
    assert result.decision.review_on == datetime(2027, 1, 31, 10, 0, tzinfo=UTC)
    assert result.review.outcome == "snooze"


def test_amend_with_replacement_links_both_and_names_dissenters(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=30), confidence=40)
    add_vote(engine, decision, "U0DAN", "disagree", "too early")
    add_vote(engine, decision, "U0EVE", "disagree_commit", "risky")
    add_vote(engine, decision, "U0EVE", "agree", current=False)
    add_vote(engine, decision, "U0ANA", "agree")
    prompt = _started(core, engine, decision)
    assert {v.user_id for v in prompt.dissent} == {"U0DAN", "U0EVE"}
    with freeze_time("2027-01-01 10:00:00"):
        with pytest.raises(reviews.ReviewError) as no_text:
            reviews.answer_review(
                core,
                team_id=TEAM,
                review_id=int(prompt.review.id or 0),
                user_id="U0OWNER",
                answer=reviews.Answer(outcome="amend", actual_confidence=30, learned="x"),
            )
        assert no_text.value.field == "new_text"
        result = reviews.answer_review(
            core,
            team_id=TEAM,
            review_id=int(prompt.review.id or 0),
            user_id="U0OWNER",
            answer=reviews.Answer(
                outcome="amend",
                actual_confidence=30,
                learned="we knew less",
                new_text="Launch in May",
            ),
        )
    assert result.decision.status == "amended"
    assert result.replacement is not None and result.replacement.replaces_id == decision.id
    assert result.decision.replaced_by_id == result.replacement.id
    assert result.replacement.confidence == 30 and result.replacement.source == "review"
    assert set(result.dissenters) == {"U0DAN", "U0EVE"}
    assert _timer(engine, TimerKind.REVIEW_DUE, int(decision.id or 0)) == []
    assert len(_timer(engine, TimerKind.REVIEW_DUE, int(result.replacement.id or 0))) == 1
    with session_scope(engine) as session:
        kinds = [
            e.kind
            for e in session.exec(
                select(DecisionEvent).where(DecisionEvent.decision_id == decision.id)
            )
        ]
        assert kinds == ["review_started", "review_amend"]
        assert (
            get_decision(session=session, team_id=TEAM, decision_id=int(decision.id or 0)).status
            == "amended"
        )  # type: ignore[union-attr]


def test_reverse_without_replacement(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, review_in=timedelta(days=30))
    prompt = _started(core, engine, decision)
    with freeze_time("2027-01-01 10:00:00"):
        result = reviews.answer_review(
            core,
            team_id=TEAM,
            review_id=int(prompt.review.id or 0),
            user_id="U0OWNER",
            answer=reviews.Answer(outcome="reverse", actual_confidence=50, learned="wrong market"),
        )
    assert result.decision.status == "reversed" and result.replacement is None
    assert result.decision.replaced_by_id is None


def test_stale_or_closed_decisions_are_not_reviewed(engine: Engine) -> None:
    core = make_core(engine)
    reversed_ = add_decision(engine, review_in=timedelta(days=30), status="reversed")
    assert _started_or_none(core, engine, reversed_) is None


def _started_or_none(core, engine: Engine, decision: Decision):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        core.timers.add(
            session=session,
            team_id=TEAM,
            kind=TimerKind.REVIEW_DUE,
            ref_id=int(decision.id or 0),
            due_at=decision.review_on,
        )
    with freeze_time(decision.review_on + timedelta(hours=1)):
        return _fire(core, engine, decision)


def test_review_answer_on_both_databases(any_db_url: str) -> None:
    from storage.db import make_engine, migrate

    engine = make_engine(any_db_url)
    migrate(engine)
    try:
        core = make_core(engine)
        decision = add_decision(engine, review_in=timedelta(days=30))
        add_vote(engine, decision, "U0DAN", "disagree", "no")
        prompt = _started(core, engine, decision)
        answer = reviews.Answer(
            outcome="reverse", actual_confidence=20, learned="x", new_text="Instead"
        )
        with freeze_time("2027-01-01 10:00:00"):
            result = reviews.answer_review(
                core,
                team_id=TEAM,
                review_id=int(prompt.review.id or 0),
                user_id="U0OWNER",
                answer=answer,
            )
            with pytest.raises(reviews.ReviewError, match="already answered"):
                reviews.answer_review(
                    core,
                    team_id=TEAM,
                    review_id=int(prompt.review.id or 0),
                    user_id="U0OWNER",
                    answer=answer,
                )
        assert result.replacement is not None and result.dissenters == ("U0DAN",)
        assert result.replacement.number == 2
    finally:
        engine.dispose()


def test_review_notes_go_to_the_thread_root_of_the_decision_chain(engine: Engine) -> None:
    core = make_core(engine)
    poll = add_decision(engine, poll_ts="100.1", record_ts="100.2")
    logged = add_decision(engine, record_ts="200.1")
    # Replaced by a review: recorded as a reply (300.5) in the poll's thread.
    first = add_decision(engine, replaces_id=poll.id, record_ts="300.5")
    second = add_decision(engine, replaces_id=first.id, record_ts="300.9")
    other_team = add_decision(engine, team_id="T0OTHER", poll_ts="999.1")
    stray = add_decision(engine, replaces_id=other_team.id, record_ts="400.1")

    def thread(d: Decision) -> str | None:
        return reviews.thread_of(core, team_id=TEAM, decision=d)

    assert thread(poll) == "100.1"
    assert thread(logged) == "200.1"
    assert thread(first) == "100.1"
    assert thread(second) == "100.1"
    # Another workspace's decision is never followed.
    assert thread(stray) is None
