"""The narrative journey on a core built on a real SQLite file, with the in-memory platform."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time

from bot import meetings
from bot.core import Core
from bot.meetings import NarrativeRequest
from bot.views.narratives import Digest, DigestPart, NarrativeCard, NarrativeNotPosted
from bot.vocabulary import EndReason
from tests.bot.journey_narratives import OWNER, ROOM, TEAM, narratives_journey
from tests.memory_port import MemoryPlatform


def test_narratives_journey(core: Core, memory: MemoryPlatform) -> None:
    narratives_journey(core, memory)


def start(core: Core, title: str = "Outage review") -> bool:
    request = NarrativeRequest(title=title, link=None, readers=(), reading=timedelta(minutes=5))
    return meetings.start_and_post(
        core=core, team_id=TEAM, channel_id=ROOM, owner_id=OWNER, request=request
    )


def test_a_place_that_refuses_ends_reading_and_tells_the_owner_why(
    core: Core, memory: MemoryPlatform
) -> None:
    memory.refuse[ROOM] = "not_in_channel"
    assert not start(core)
    assert memory.notices_for(OWNER) == [NarrativeNotPosted(ROOM, "not_in_channel")]
    assert memory.in_place(ROOM) == []
    # Nothing is left reading where nothing could be read.
    assert meetings.open_in_channel(core=core, team_id=TEAM, channel_id=ROOM) == []
    progress = meetings.get_progress(core=core, team_id=TEAM, narrative_id=1)
    assert progress is not None and progress.narrative.end_reason == EndReason.NOT_POSTED


def test_a_long_digest_is_posted_in_parts_each_once(core: Core, memory: MemoryPlatform) -> None:
    memory.part_counts[Digest] = 3
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        assert start(core)
        [card_post] = memory.in_place(ROOM)
        assert isinstance(card_post.view, NarrativeCard)
        nid = card_post.view.narrative_id
        ended = meetings.end_now(core=core, team_id=TEAM, narrative_id=nid, user_id=OWNER)
        assert ended.reply is None and ended.finish == nid
        meetings.finish_reading_now(core=core, team_id=TEAM, narrative_id=nid)
        clock.move_to("2026-12-01 09:30:00")
        core.timers.run_due()
    parts = memory.in_place(ROOM, thread=card_post.id)
    assert [p.key for p in parts] == [f"digest:{nid}:{i}" for i in range(3)]
    assert [(p.view.index, p.view.count) for p in parts if isinstance(p.view, DigestPart)] == [
        (1, 3),
        (2, 3),
        (3, 3),
    ]
    assert isinstance(card_post.view, NarrativeCard)
    assert card_post.view.end_reason == EndReason.OWNER
