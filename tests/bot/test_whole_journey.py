"""The whole product on one core and one in-memory platform, with no Slack code: a narrative
with thread questions, progress and its digest; a poll with each stance, dissent reasons, the
owner's finalize in new words and a commit; an Andon pull and its resolution; a review 30 days
later answered Amend; a reflection round with its digest; an export. Each part is also run on
its own (tests/bot/test_journey_*.py); here they share a database, a clock and a platform, so
one feature's data or timers cannot disturb another's."""

from __future__ import annotations

from freezegun import freeze_time

from bot.core import Core
from bot.views.decisions import AndonAlert, CommitRequest, Poll, Record
from bot.views.narratives import Digest, NarrativeCard
from bot.views.narratives import DigestPart as NarrativeDigestPart
from bot.views.reflections import ClosedRoundCard, RoundCard, RoundDigest
from bot.views.reflections import DigestPart as ReflectionDigestPart
from bot.views.reviews import ReviewAnsweredView, ReviewPromptView
from tests.bot.journey_decisions import decisions_journey
from tests.bot.journey_log import log_journey
from tests.bot.journey_narratives import narratives_journey
from tests.bot.journey_reflections import reflections_journey
from tests.memory_port import MemoryPlatform


def test_the_whole_journey_on_one_core(core: Core, memory: MemoryPlatform) -> None:
    narratives_journey(core, memory)
    with freeze_time("2026-12-01 09:00:00"):
        decisions_journey(core, memory)
    log_journey(core, memory)
    reflections_journey(core, memory)
    # Every part's messages are still there, as the views the core made: nothing of one feature
    # was lost to, or replaced by, another's.
    shown = {type(m.view) for m in memory.messages.values()} | {
        type(v) for m in memory.messages.values() for v in m.history
    }
    assert Digest in shown or NarrativeDigestPart in shown
    for view in (NarrativeCard, Poll, Record, CommitRequest, AndonAlert):
        assert view in shown, view.__name__
    assert ReviewPromptView in shown or ReviewAnsweredView in shown
    assert RoundCard in shown or ClosedRoundCard in shown
    assert RoundDigest in shown or ReflectionDigestPart in shown
    assert [f.filename for f in memory.files if f.filename.endswith(".xlsx")]
