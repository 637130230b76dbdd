"""`--demo`: a month played through the playground's own commands, buttons and forms."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from freezegun import freeze_time

from bot import decision_log
from bot.access import Viewer
from bot.views.decision_log import HomeFilters
from bot.views.decisions import Poll
from bot.views.reflections import ClosedRoundCard, DigestPart
from bot.views.reviews import ReviewOutcomeView
from bot.vocabulary import DecisionStatus, ReviewAnswer
from handlers.playground.demo import fill
from handlers.playground.platform import TEAM
from handlers.playground.run import build


def test_the_demo_month_has_something_of_everything(tmp_path: Path) -> None:
    today = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with freeze_time(today):
        started = build(tmp_path / "demo.db")
        try:
            fill(started.playground)
            assert started.playground.clock.now() == today
            platform = started.playground.platform
            shown = Counter(type(m.view) for m in platform.messages.values())
            outcomes = {
                m.view.outcome
                for m in platform.messages.values()
                if isinstance(m.view, ReviewOutcomeView)
            }
            everyone = Viewer("UANA", may_see=lambda _c: True)
            home = decision_log.home(
                started.core, team_id=TEAM, viewer=everyone, filters=HomeFilters()
            )
            metrics = home.metrics
        finally:
            started.core.close()
    assert outcomes == {
        ReviewAnswer.KEEP,
        ReviewAnswer.AMEND,
        ReviewAnswer.REVERSE,
        ReviewAnswer.SNOOZE,
    }
    statuses = Counter(e.status for e in home.lines.entries)
    assert statuses[DecisionStatus.AMENDED] == 1 and statuses[DecisionStatus.REVERSED] == 1
    assert home.total >= 8
    assert shown[ClosedRoundCard] >= 3 and shown[DigestPart] >= 3
    assert shown[Poll] == 1, "one poll is left open to vote on"
    assert metrics.with_dissent >= 1 and metrics.questions >= 1 and metrics.reviews_on_time >= 3
