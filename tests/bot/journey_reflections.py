"""The reflection part of the whole journey, against the in-memory platform: no Slack code.

A channel schedules a weekly round; the timer posts it; one person answers in the form, another
in the round's thread; the round closes and its digest is posted once, in the thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun import freeze_time

from bot import reflections
from bot.core import Core
from bot.reflection_schedule import parse_schedule
from bot.views import FormErrors, OpenForm
from bot.views.reflections import (
    AnswersForm,
    AnswersSaved,
    ClosedRoundCard,
    DigestPart,
    RoundCard,
    RoundClosed,
    ScheduleSet,
    ScheduleStopped,
    digest_pages,
)
from tests.memory_port import MemoryPlatform

TEAM = "T0JOURNEY"
CHANNEL = "C0REFLECT"
ANA, BEN, CAT = "U0ANA", "U0BEN", "U0CAT"


def reflections_journey(core: Core, memory: MemoryPlatform) -> None:
    memory.place_members[CHANNEL] = {ANA, BEN, CAT}
    memory.zones[ANA] = "Europe/Berlin"
    with freeze_time("2026-12-06 12:00:00") as clock:  # a Sunday
        done = reflections.set_schedule(
            core,
            team_id=TEAM,
            channel_id=CHANNEL,
            user_id=ANA,
            schedule=parse_schedule("every monday 09:00"),
        )
        # Monday 09:00 in Berlin is 08:00 UTC in December.
        assert done == ScheduleSet("every Monday at 09:00", "Europe/Berlin", _utc(2026, 12, 7, 8))
        assert memory.views_of(RoundCard) == []

        clock.move_to("2026-12-07 07:59:00")
        core.timers.run_due()
        assert memory.views_of(RoundCard) == []
        clock.move_to("2026-12-07 08:00:05")
        core.timers.run_due()
        [posted] = memory.in_place(CHANNEL)
        card = posted.view
        assert isinstance(card, RoundCard)
        assert card.questions == reflections.STANDARD_QUESTIONS and not card.late
        assert card.closes_at == _utc(2026, 12, 9, 8, 0, 5)  # answers for two days
        assert CHANNEL in memory.heard  # replies are heard before the thread starts

        # Ana answers in the form; she can open it again, prefilled, and change her answer.
        form = reflections.answer_form(core, team_id=TEAM, round_id=card.round_id, user_id=ANA)
        assert isinstance(form, OpenForm) and isinstance(form.form, AnswersForm)
        assert len(form.form.fields) == 9 and all(f.value == "" for f in form.form.fields)
        saved = reflections.submit_answers(
            core,
            team_id=TEAM,
            round_id=card.round_id,
            user_id=ANA,
            answers={0: "We shipped too early", 1: "Interviews per week"},
        )
        assert saved == AnswersSaved(CHANNEL, 2, 9, card.closes_at)
        again = reflections.answer_form(core, team_id=TEAM, round_id=card.round_id, user_id=ANA)
        assert isinstance(again, OpenForm) and isinstance(again.form, AnswersForm)
        assert [f.value for f in again.form.fields[:3]] == [
            "We shipped too early",
            "Interviews per week",
            "",
        ]
        reflections.submit_answers(
            core,
            team_id=TEAM,
            round_id=card.round_id,
            user_id=ANA,
            answers={0: "We shipped too early", 1: ""},
        )
        # Ben replies in the round's thread, naming question 6; a reply elsewhere is no answer.
        assert reflections.record_thread_reply(
            core,
            team_id=TEAM,
            channel_id=CHANNEL,
            thread_ts=posted.id,
            user_id=BEN,
            message_ts="9001.000",
            text="6. Nobody owns the data",
        )
        assert (
            reflections.record_thread_reply(
                core,
                team_id=TEAM,
                channel_id=CHANNEL,
                thread_ts="4242.000",
                user_id=CAT,
                message_ts="9002.000",
                text="1. not in the round",
            )
            is None
        )

        # Two days later the round closes once and its digest goes in its thread.
        clock.move_to("2026-12-09 08:00:10")
        core.timers.run_due()
        core.timers.run_due()
        [message] = [m.view for m in memory.in_place(CHANNEL, thread=posted.id)]
        assert isinstance(message, DigestPart) and (message.index, message.count) == (1, 1)
        [part] = digest_pages(message.digest, lambda _page: True)
        assert (part.participation.answered_members, part.participation.member_count) == (2, 3)
        assert part.answer_count == 2
        by_number = {s.number: s for s in part.sections}
        assert [(a.person, a.text) for a in by_number[1].answers] == [(ANA, "We shipped too early")]
        assert by_number[2].answers == ()  # emptied in the form: no answer any more
        assert [(a.person, a.text) for a in by_number[6].answers] == [(BEN, "Nobody owns the data")]
        assert by_number[6].question == reflections.STANDARD_QUESTIONS[5]
        # The round's message is shown closed (no Answer button), with its count.
        closed = memory.messages[(CHANNEL, posted.id)]
        assert closed.view == ClosedRoundCard(card.round_id, card.questions, card.closes_at, 2)
        assert closed.history == [card]

        # Closed: the form is refused, the button says so, the next Monday is scheduled.
        late = reflections.answer_form(core, team_id=TEAM, round_id=card.round_id, user_id=CAT)
        assert late == RoundClosed()
        refused = reflections.submit_answers(
            core, team_id=TEAM, round_id=card.round_id, user_id=CAT, answers={0: "late"}
        )
        assert isinstance(refused, FormErrors)
        assert refused.errors == (
            ("q0", "This reflection round has closed; answers are no longer taken."),
        )
        status = reflections.channel_status(core, team_id=TEAM, channel_id=CHANNEL)
        assert status.next_at == _utc(2026, 12, 14, 8)
        assert (status.last_round_answers, status.last_round_people) == (2, 2)
        assert not status.last_round_open

        # The schedule is cleared: no round is due any more (the journey leaves nothing behind).
        stopped = reflections.clear_schedule(core, team_id=TEAM, channel_id=CHANNEL, user_id=ANA)
        assert stopped == ScheduleStopped(True)
        clock.move_to("2026-12-14 08:00:30")
        core.timers.run_due()
        assert len(memory.views_of(RoundCard)) == 0  # the first one shows closed now
        assert [type(m.view) for m in memory.in_place(CHANNEL)] == [ClosedRoundCard]


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
