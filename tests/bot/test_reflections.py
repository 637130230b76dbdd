"""The reflection core: questions, rotation, rounds, answers, decision links, closing once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot import reflections
from bot.clock import SystemClock
from bot.core import Core
from bot.reflection_schedule import parse_schedule
from bot.reflections import STANDARD_QUESTIONS, ReflectionError
from bot.timers import TimerService
from bot.views import FormErrors, OpenForm
from bot.views.reflections import (
    DigestAnswer,
    DigestPart,
    Participation,
    PickSet,
    Private,
    Problem,
    QuestionsForm,
    QuestionsSaved,
    Refused,
    RoundCard,
    RoundDigest,
    RoundNotPosted,
    ScheduleStopped,
    digest_pages,
)
from bot.vocabulary import TimerKind
from storage import timers as timer_rows
from storage.db import session_scope
from storage.decisions import insert_decision
from storage.models import Decision, DecisionEvent, ReflectionAnswer, ReflectionRound, Timer
from tests.memory_port import MemoryPlatform

TEAM, OTHER = "T1", "T2"
CHANNEL = "C1"


@pytest.fixture
def core(engine: Engine) -> Iterator[Core]:
    clock = SystemClock()
    yield Core(engine=engine, clock=clock, timers=TimerService(engine=engine, clock=clock))


def _decision(core: Core, team_id: str) -> Decision:
    with session_scope(core.engine) as session:
        return insert_decision(
            session=session,
            team_id=team_id,
            decision=Decision(
                team_id=team_id,
                number=0,
                owner_id="U1",
                proposed_by="U1",
                proposal="Ship it",
                review_on=datetime(2027, 1, 1, tzinfo=UTC),
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
            ),
        )


def _posted_round(core: Core, team_id: str = TEAM) -> reflections.RoundView:
    round_ = reflections.start_round(core, team_id=team_id, channel_id=CHANNEL)
    reflections.round_posted(core, team_id=team_id, round_id=round_.id, message_ts="1.000100")
    return round_


def _timers(core: Core, kind: str) -> list[Timer]:
    with session_scope(core.engine) as session:
        return list(
            session.exec(select(Timer).where(Timer.kind == kind, Timer.status == "pending"))
        )


def test_the_nine_standard_questions() -> None:
    assert len(STANDARD_QUESTIONS) == 9
    assert STANDARD_QUESTIONS[0].startswith("What were the biggest mistakes")
    assert STANDARD_QUESTIONS[8].startswith("What dependencies do we have today")


def test_pick_rotates_so_every_question_comes_up() -> None:
    questions = [f"q{i}" for i in range(9)]
    seen: list[str] = []
    rotation = 0
    for _ in range(3):
        chosen, rotation = reflections.pick_questions(questions, 3, rotation)
        seen += chosen
    assert seen == questions
    chosen, rotation = reflections.pick_questions(questions, 4, 7)
    assert chosen == ["q7", "q8", "q0", "q1"] and rotation == 2
    assert reflections.pick_questions(questions, None, 5) == (questions, 5)
    assert reflections.pick_questions(questions, 20, 5) == (questions, 5)


def test_thread_reply_numbering_and_decision_references() -> None:
    assert reflections.split_question_number("3. We need more data", 9) == (2, "We need more data")
    assert reflections.split_question_number("Q9: deps", 9) == (8, "deps")
    assert reflections.split_question_number("q2 inputs", 9) == (1, "inputs")
    assert reflections.split_question_number("10. nope", 9) == (None, "10. nope")
    assert reflections.split_question_number("2023 was a year", 9) == (None, "2023 was a year")
    assert reflections.decision_numbers("See D-42 and d-7, not AD-3 or D-x") == [42, 7]


def test_question_lines_accept_a_pasted_list_and_refuse_nonsense() -> None:
    assert reflections.parse_question_lines("1. One?\n\n- Two?\n  3) Three?  \n") == [
        "One?",
        "Two?",
        "Three?",
    ]
    with pytest.raises(ReflectionError):
        reflections.parse_question_lines(" \n ")
    with pytest.raises(ReflectionError):
        reflections.parse_question_lines("\n".join(f"q{i}" for i in range(26)))
    with pytest.raises(ReflectionError):
        reflections.parse_question_lines("x" * 501)


def test_questions_are_per_channel_and_per_workspace(core: Core) -> None:
    reflections.save_questions(
        core,
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id="U1",
        questions=["Ours?"],
        is_admin=False,
        is_member=True,
    )
    assert reflections.channel_questions(core, team_id=TEAM, channel_id=CHANNEL) == (
        ["Ours?"],
        True,
    )
    assert reflections.channel_questions(core, team_id=OTHER, channel_id=CHANNEL) == (
        list(STANDARD_QUESTIONS),
        False,
    )
    reflections.reset_questions(
        core, team_id=TEAM, channel_id=CHANNEL, user_id="U1", is_admin=False, is_member=True
    )
    assert reflections.channel_questions(core, team_id=TEAM, channel_id=CHANNEL)[1] is False


def test_modal_answers_are_editable_and_link_decisions_of_the_same_workspace(core: Core) -> None:
    ours = _decision(core, TEAM)
    _decision(core, OTHER)
    _decision(core, OTHER)  # D-2 exists only in the other workspace
    round_ = _posted_round(core)
    count = reflections.save_modal_answers(
        core,
        team_id=TEAM,
        round_id=round_.id,
        user_id="U1",
        answers={0: "D-2 was wrong, D-1 was right", 1: "inputs", 2: "   "},
    )
    assert count == 2
    assert reflections.user_answers(core, team_id=TEAM, round_id=round_.id, user_id="U1") == {
        0: "D-2 was wrong, D-1 was right",
        1: "inputs",
    }
    with session_scope(core.engine) as session:
        answers = list(session.exec(select(ReflectionAnswer).order_by(ReflectionAnswer.id)))
        events = list(session.exec(select(DecisionEvent)))
    assert answers[0].decision_id == ours.id
    assert [(e.decision_id, e.kind) for e in events] == [(ours.id, "reflection_answer")]

    # Editing: a changed answer is updated, an emptied field removes the answer.
    reflections.save_modal_answers(
        core, team_id=TEAM, round_id=round_.id, user_id="U1", answers={0: "D-1 again", 1: ""}
    )
    with session_scope(core.engine) as session:
        answers = list(session.exec(select(ReflectionAnswer)))
        events = list(session.exec(select(DecisionEvent)))
    assert [(a.question_index, a.text) for a in answers] == [(0, "D-1 again")]
    assert answers[0].updated_at is not None
    assert len(events) == 1  # still the same link: no second history entry

    # Another workspace cannot answer this round.
    with pytest.raises(ReflectionError):
        reflections.save_modal_answers(
            core, team_id=OTHER, round_id=round_.id, user_id="U9", answers={0: "x"}
        )


def test_thread_replies_are_kept_edited_and_deleted(core: Core) -> None:
    round_ = _posted_round(core)
    kwargs = {"team_id": TEAM, "channel_id": CHANNEL, "thread_ts": "1.000100"}
    assert reflections.record_thread_reply(
        core, user_id="U2", message_ts="2.0", text="4. <b> too risky", **kwargs
    )
    assert reflections.record_thread_reply(
        core, user_id="U3", message_ts="3.0", text="just a thought", **kwargs
    )
    assert (
        reflections.record_thread_reply(
            core, user_id="U3", message_ts="3.1", text="x", **{**kwargs, "thread_ts": "9.9"}
        )
        is None
    )
    assert reflections.record_thread_reply(
        core, user_id="U3", message_ts="3.0", text="just a better thought", **kwargs
    )
    reflections.delete_thread_reply(core, message_ts="2.0", **kwargs)
    digest = reflections.build_digest(core, team_id=TEAM, round_id=round_.id)
    assert [a.text for a in digest.free_replies] == ["just a better thought"]
    assert all(not answers for _, answers in digest.questions)
    reflections.record_thread_reply(
        core, user_id="U2", message_ts="2.1", text="4. <b> too risky", **kwargs
    )
    digest = reflections.build_digest(core, team_id=TEAM, round_id=round_.id)
    assert [a.text for a in digest.questions[3][1]] == ["<b> too risky"]


def test_a_round_closes_exactly_once(core: Core) -> None:
    round_ = _posted_round(core)
    reflections.save_modal_answers(
        core, team_id=TEAM, round_id=round_.id, user_id="U1", answers={0: "a"}
    )
    assert reflections.close_round(core, team_id=OTHER, round_id=round_.id) is None
    closing = reflections.close_round(core, team_id=TEAM, round_id=round_.id)
    assert closing is not None and closing.state == "closed"
    digest = reflections.build_digest(
        core, team_id=TEAM, round_id=round_.id, member_ids=frozenset({"U1", "U2", "U3"})
    )
    assert (digest.participation.answered_members, digest.participation.member_count) == (1, 3)
    reflections.digest_posted(
        core, team_id=TEAM, round_id=round_.id, digest_ts="5.0", member_count=3
    )
    assert reflections.close_round(core, team_id=TEAM, round_id=round_.id) is None
    with pytest.raises(ReflectionError, match="closed"):
        reflections.save_modal_answers(
            core, team_id=TEAM, round_id=round_.id, user_id="U1", answers={0: "b"}
        )
    assert (
        reflections.record_thread_reply(
            core,
            team_id=TEAM,
            channel_id=CHANNEL,
            thread_ts="1.000100",
            user_id="U1",
            message_ts="6.0",
            text="late",
        )
        is False
    )


def test_answers_after_the_closing_time_are_refused_even_before_the_timer_runs(
    core: Core,
) -> None:
    with freeze_time("2026-12-07 10:00:00") as clock:
        round_ = _posted_round(core)
        clock.tick(timedelta(hours=48))
        with pytest.raises(ReflectionError):
            reflections.save_modal_answers(
                core, team_id=TEAM, round_id=round_.id, user_id="U1", answers={0: "x"}
            )


def test_scheduled_round_is_made_once_and_schedules_only_the_next(core: Core) -> None:
    with freeze_time("2026-12-06 12:00:00") as clock:
        reflections.schedule_channel(
            core,
            team_id=TEAM,
            channel_id=CHANNEL,
            user_id="U1",
            schedule=parse_schedule("every monday 09:00"),
            tz="Europe/Berlin",
            is_admin=False,
        )
        reflections.set_pick(
            core, team_id=TEAM, channel_id=CHANNEL, user_id="U1", pick=2, is_admin=False
        )
        (timer,) = _timers(core, TimerKind.REFLECTION_ROUND)
        assert timer.due_at == datetime(2026, 12, 7, 8, tzinfo=UTC)
        clock.move_to("2026-12-21 09:00:00")  # two weeks late
        due = reflections.scheduled_round_due(core, timer)
        assert due.round is not None and due.round.late
        assert due.round.questions == STANDARD_QUESTIONS[:2]
        assert due.next_at == datetime(2026, 12, 28, 8, tzinfo=UTC)
        # A retry (the post failed) gives back the same round, makes no other.
        again = reflections.scheduled_round_due(core, timer)
        assert again.round is not None and again.round.id == due.round.id
        reflections.round_posted(core, team_id=TEAM, round_id=due.round.id, message_ts="1.000100")
        assert reflections.scheduled_round_due(core, timer).round is None
        with session_scope(core.engine) as session:
            assert len(list(session.exec(select(ReflectionRound)))) == 1
        assert [t.due_at for t in _timers(core, TimerKind.REFLECTION_ROUND)] == [
            datetime(2026, 12, 7, 8, tzinfo=UTC),  # the one being run (still pending here)
            datetime(2026, 12, 28, 8, tzinfo=UTC),
        ]
        assert len(_timers(core, TimerKind.REFLECTION_CLOSE)) == 1

        # A timer left from before a reschedule does nothing.
        stale = Timer(
            id=998,
            team_id=TEAM,
            kind=TimerKind.REFLECTION_ROUND,
            ref_id=timer.ref_id,
            due_at=datetime(2026, 12, 22, 8, tzinfo=UTC),
            created_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        assert reflections.scheduled_round_due(core, stale).round is None
        # Once stopped, the due timer is cancelled and a stray one does nothing.
        assert reflections.stop_schedule(
            core, team_id=TEAM, channel_id=CHANNEL, user_id="U1", is_admin=False
        )
        assert _timers(core, TimerKind.REFLECTION_ROUND) == []
        stray = Timer(
            id=999,
            team_id=TEAM,
            kind=TimerKind.REFLECTION_ROUND,
            ref_id=timer.ref_id,
            due_at=datetime(2026, 12, 28, 8, tzinfo=UTC),
            created_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        assert reflections.scheduled_round_due(core, stray).round is None


def test_discarded_round_leaves_nothing_behind(core: Core) -> None:
    round_ = reflections.start_round(core, team_id=TEAM, channel_id=CHANNEL)
    reflections.discard_round(core, team_id=TEAM, round_id=round_.id)
    assert reflections.get_round(core, team_id=TEAM, round_id=round_.id) is None
    assert _timers(core, TimerKind.REFLECTION_CLOSE) == []
    with session_scope(core.engine) as session:
        assert (
            timer_rows.pending_timers(
                session=session, team_id=TEAM, kind=TimerKind.REFLECTION_CLOSE, ref_id=round_.id
            )
            == []
        )


# --- flows through the platform port -----------------------------------------------------------


def _with_memory(core: Core) -> MemoryPlatform:
    memory = MemoryPlatform()
    core.add_platform(memory)
    reflections.register_timers(core)
    return memory


def test_a_round_the_platform_refuses_is_discarded_and_the_reason_returned(core: Core) -> None:
    memory = _with_memory(core)
    memory.refuse[CHANNEL] = "not_in_channel"
    failed = reflections.post_now(core, team_id=TEAM, channel_id=CHANNEL)
    assert failed == RoundNotPosted("not_in_channel")
    with session_scope(core.engine) as session:
        assert list(session.exec(select(ReflectionRound))) == []
    assert _timers(core, TimerKind.REFLECTION_CLOSE) == []
    del memory.refuse[CHANNEL]
    assert reflections.post_now(core, team_id=TEAM, channel_id=CHANNEL) is None
    assert [type(m.view) for m in memory.in_place(CHANNEL)] == [RoundCard]


def test_a_refused_scheduled_round_tells_its_scheduler_once_and_is_retried(core: Core) -> None:
    memory = _with_memory(core)
    with freeze_time("2026-12-06 12:00:00") as clock:
        reflections.set_schedule(
            core,
            team_id=TEAM,
            channel_id=CHANNEL,
            user_id="U1",
            schedule=parse_schedule("every monday 09:00"),
        )
        memory.refuse[CHANNEL] = "channel_not_found"
        clock.move_to("2026-12-07 09:00:01")
        core.timers.run_due()
        assert memory.notices_for("U1") == [
            RoundNotPosted("channel_not_found", CHANNEL, scheduled=True)
        ]
        assert memory.in_place(CHANNEL) == []
        clock.move_to("2026-12-07 09:01:00")  # the retry, after its back-off: still refused
        core.timers.run_due()
        assert len(memory.notices_for("U1")) == 1
        del memory.refuse[CHANNEL]
        clock.move_to("2026-12-07 09:10:00")
        core.timers.run_due()
        [posted] = memory.in_place(CHANNEL)
        assert isinstance(posted.view, RoundCard) and not posted.view.late
        with session_scope(core.engine) as session:
            assert len(list(session.exec(select(ReflectionRound)))) == 1


def test_only_the_owner_or_an_admin_changes_the_settings_through_the_flows(core: Core) -> None:
    memory = _with_memory(core)
    memory.admins.add("UADMIN")
    memory.private.add(CHANNEL)
    memory.place_members[CHANNEL] = {"U1", "U2"}
    owner = reflections.QuestionsChange(CHANNEL, ("Ours?",))
    told = reflections.change_questions(core, team_id=TEAM, user_id="U1", change=owner)
    assert told == Private(QuestionsSaved(1), CHANNEL)
    # Someone outside the private channel is told directly, not in the channel.
    outsider = reflections.QuestionsChange(CHANNEL, ("Mine?",))
    told = reflections.change_questions(core, team_id=TEAM, user_id="U9", change=outsider)
    assert told.place is None and isinstance(told.note, Problem)
    assert reflections.NOT_OWNER in told.note.reason
    for user in ("U2", "U9"):
        assert reflections.clear_schedule(
            core, team_id=TEAM, channel_id=CHANNEL, user_id=user
        ) == ScheduleStopped(False)
        refused = reflections.pick_per_round(
            core, team_id=TEAM, channel_id=CHANNEL, user_id=user, pick=2
        )
        assert refused == Refused(reflections.NOT_OWNER)
        assert reflections.questions_form(
            core, team_id=TEAM, channel_id=CHANNEL, user_id=user
        ) == Refused(reflections.NOT_OWNER)
    assert reflections.pick_per_round(
        core, team_id=TEAM, channel_id=CHANNEL, user_id="UADMIN", pick=2
    ) == PickSet(2, 1)
    form = reflections.questions_form(core, team_id=TEAM, channel_id=CHANNEL, user_id="U1")
    assert form == OpenForm(QuestionsForm(CHANNEL, ("Ours?",), custom=True))
    assert reflections.check_questions_form("not a channel", "Why?", reset=False) == FormErrors(
        (("questions", "Run /reflect questions again."),)
    )
    assert isinstance(reflections.check_questions_form(CHANNEL, " ", reset=False), FormErrors)
    assert reflections.check_questions_form(CHANNEL, " ", reset=True) == (
        reflections.QuestionsChange(CHANNEL, None)
    )


# --- the digest: as many keyed parts as the platform says ---------------------------------------


def _answered(core: Core, memory: MemoryPlatform) -> tuple[int, str]:
    """A round posted now with one answer; its id and message id."""
    assert reflections.post_now(core, team_id=TEAM, channel_id=CHANNEL) is None
    [posted] = memory.in_place(CHANNEL)
    assert isinstance(posted.view, RoundCard)
    round_id = posted.view.round_id
    assert posted.key == f"reflection-round:{round_id}"
    reflections.save_modal_answers(
        core, team_id=TEAM, round_id=round_id, user_id="U2", answers={0: "We shipped"}
    )
    return round_id, posted.id


def test_a_digest_takes_as_many_keyed_parts_as_the_platform_says(core: Core) -> None:
    memory = _with_memory(core)
    memory.part_counts[RoundDigest] = 3
    with freeze_time("2026-12-07 10:00:00") as clock:
        round_id, message = _answered(core, memory)
        clock.move_to("2026-12-09 10:00:00")
        core.timers.run_due()
        parts = memory.in_place(CHANNEL, thread=message)
        views = [p.view for p in parts]
        assert all(isinstance(v, DigestPart) for v in views)
        assert [(v.index, v.count) for v in views] == [(1, 3), (2, 3), (3, 3)]  # type: ignore[attr-defined]
        assert [p.key for p in parts] == [f"reflection-digest:{round_id}:{i}" for i in range(3)]
        digest = views[0].digest  # type: ignore[attr-defined]
        assert [a.text for a in digest.questions[0][1]] == ["We shipped"]
        round_ = reflections.get_round(core, team_id=TEAM, round_id=round_id)
        assert round_ is not None and round_.digest_ts == parts[0].id


def test_a_round_now_is_confirmed_by_its_timer_only_until_it_is_posted(core: Core) -> None:
    memory = _with_memory(core)
    with freeze_time("2026-12-07 10:00:00"):
        round_ = reflections.start_round(core, team_id=TEAM, channel_id=CHANNEL)
        # The process died while posting: the reflection_confirm timer posts it.
        [timer] = _timers(core, TimerKind.REFLECTION_CONFIRM)
        assert timer.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 7, 10, 1, tzinfo=UTC)
    with freeze_time("2026-12-07 10:01:00"):
        assert core.timers.run_due() == 1
        [posted] = memory.in_place(CHANNEL)
        assert posted.key == f"reflection-round:{round_.id}"
        found = reflections.get_round(core, team_id=TEAM, round_id=round_.id)
        assert found is not None and found.message_ts == posted.id
        assert _timers(core, TimerKind.REFLECTION_CONFIRM) == []
        # A round posted at once leaves no confirm timer behind.
        assert reflections.post_now(core, team_id=TEAM, channel_id=CHANNEL) is None
        assert _timers(core, TimerKind.REFLECTION_CONFIRM) == []


def test_digest_pages_split_a_question_over_pages_and_keep_every_answer_in_order() -> None:
    answers = tuple(DigestAnswer(f"U{i}", 0, f"answer {i}", "modal") for i in range(5))
    digest = RoundDigest(
        round_id=4,
        place=CHANNEL,
        questions=(("First?", answers), ("Second?", ())),
        free_replies=(DigestAnswer("U9", None, "free", "thread"),),
        participation=Participation(authors=6),
    )
    # A page holds at most two answers and, on the first page, one section.
    pages = digest_pages(
        digest,
        lambda page: (
            sum(len(s.answers) for s in page.sections) <= 2
            and (not page.first or len(page.sections) == 1)
        ),
    )
    shown = [
        [(s.number, s.continued, [a.text for a in s.answers]) for s in page.sections]
        for page in pages
    ]
    assert shown == [
        [(1, False, ["answer 0", "answer 1"])],
        [(1, True, ["answer 2", "answer 3"])],
        [(1, True, ["answer 4"]), (2, False, []), (None, False, ["free"])],
    ]
    assert [p.first for p in pages] == [True, False, False]
    # A platform without limits shows it all on one page.
    assert len(digest_pages(digest, lambda _page: True)) == 1
