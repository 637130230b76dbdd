"""The narrative part of the whole journey, against the in-memory platform: no Slack code.

A narrative with expected readers; two thread questions and a 👍; a question asked privately;
readers marking done (the card shows it through updates); reading ends by its timer; one
ranked digest in the thread.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time

from bot import meetings
from bot.core import Core
from bot.meetings import NarrativeRequest
from bot.views.narratives import (
    ALREADY_DONE,
    ASKED,
    AskForm,
    DigestPart,
    DigestQuestion,
    NarrativeCard,
)
from bot.vocabulary import EndReason
from tests.memory_port import MemoryPlatform

TEAM = "T0JOURNEY"
ROOM = "C0ROOM"
OWNER, ANA, BEN, CAT, DAN = "U0OWNER", "U0ANA", "U0BEN", "U0CAT", "U0DAN"


def card_in(memory: MemoryPlatform) -> NarrativeCard:
    [posted] = [m for m in memory.in_place(ROOM) if isinstance(m.view, NarrativeCard)]
    assert isinstance(posted.view, NarrativeCard)
    return posted.view


def narratives_journey(core: Core, memory: MemoryPlatform) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        request = NarrativeRequest(
            title="Q3 pricing",
            link="https://docs.example.invalid/q3",
            readers=(ANA, BEN, CAT),
            reading=timedelta(minutes=20),
        )
        assert meetings.start_and_post(
            core=core, team_id=TEAM, channel_id=ROOM, owner_id=OWNER, request=request
        )
        assert ROOM in memory.heard, "the bot listens where questions are asked"
        [posted] = memory.in_place(ROOM)
        nid = card_in(memory).narrative_id
        assert posted.key == f"narrative:{nid}"
        card = card_in(memory)
        assert card.reading and card.owner == OWNER and card.title == "Q3 pricing"
        assert card.progress.expected == (ANA, BEN, CAT) and card.progress.done == ()

        # Two questions in the thread, Ben's with a 👍 from Cat.
        def reply(message_id: str, author: str, text: str) -> None:
            clock.tick(timedelta(seconds=5))
            asked = meetings.question_from_thread(
                core=core,
                team_id=TEAM,
                place=ROOM,
                thread=posted.id,
                message_id=message_id,
                author_id=author,
                text=text,
            )
            assert asked is not None

        reply("500.1", ANA, "What happens to churn?")
        reply("500.2", BEN, "Why March?")
        assert meetings.set_upvote(
            core=core, team_id=TEAM, channel_id=ROOM, message_ts="500.2", user_id=CAT, added=True
        )

        # Dan asks privately: the form, then the note that the digest shows no name.
        clock.tick(timedelta(seconds=5))
        form = meetings.ask_form(core=core, team_id=TEAM, narrative_id=nid)
        assert isinstance(form, AskForm) and (form.narrative_id, form.title) == (nid, "Q3 pricing")
        answer = meetings.submit_question(
            core=core, team_id=TEAM, narrative_id=nid, author_id=DAN, text="Can we afford it?"
        )
        assert answer.reply == ASKED and answer.place == ROOM

        # Ana and Ben are done (Ana twice: counted once); the card shows it.
        assert meetings.done_reading(core=core, team_id=TEAM, narrative_id=nid, user_id=ANA) == (
            meetings.Answer()
        )
        assert card_in(memory).progress.done == (ANA,)
        again = meetings.done_reading(core=core, team_id=TEAM, narrative_id=nid, user_id=ANA)
        assert again.reply == ALREADY_DONE and again.finish is None
        meetings.done_reading(core=core, team_id=TEAM, narrative_id=nid, user_id=BEN)
        progress = card_in(memory).progress
        assert progress.done == (ANA, BEN) and progress.still_reading == (CAT,)
        assert len(posted.history) == 2, "one update per counted click"

        # Nothing before the due time; at the due time the timer ends reading.
        clock.move_to("2026-12-01 09:19:00")
        assert core.timers.run_due() == 0
        assert memory.in_place(ROOM, thread=posted.id) == []
        clock.move_to("2026-12-01 09:20:01")
        assert core.timers.run_due() == 1

        over = card_in(memory)
        assert not over.reading and over.end_reason == EndReason.TIME
        [digest_post] = memory.in_place(ROOM, thread=posted.id)
        assert digest_post.key == f"digest:{nid}:0"
        part = digest_post.view
        assert isinstance(part, DigestPart) and (part.index, part.count) == (1, 1)
        assert [(q.text, q.author, q.upvotes) for q in part.digest.questions] == [
            ("Why March?", BEN, 1),
            ("What happens to churn?", ANA, 0),
            ("Can we afford it?", None, 0),
        ]
        assert all(isinstance(q, DigestQuestion) for q in part.digest.questions)
        assert part.digest.progress.expected_done == (ANA, BEN)

        # Later runs post nothing more.
        clock.move_to("2026-12-01 10:00:00")
        core.timers.run_due()
        assert len(memory.in_place(ROOM, thread=posted.id)) == 1
