"""The figures of `/decisions stats` and the Home tab are over a period and cached per
workspace for `METRICS_CACHE_FOR`: a review answered through the bot shows at once, one written
by another process at the latest when the cache time is over, never later; and calibration
per owner counts only the period's reviews, read through the (team, due date) index."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from freezegun import freeze_time
from sqlalchemy.engine import Engine

from bot import decision_log, reviews
from storage import log_summary
from storage.db import session_scope
from storage.decision_log import owner_calibration
from storage.models import Decision, Review
from tests.log_helpers import START, TEAM, add_decision, make_core
from tests.storage.test_lookup_plans import plans

NOW = START + timedelta(days=100)


def _answered(engine: Engine, decision: Decision, due: datetime, actual: int) -> None:
    """A review answered by another process (written straight to the database)."""
    with session_scope(engine) as session:
        session.add(
            Review(
                team_id=TEAM,
                decision_id=int(decision.id or 0),
                due_at=due,
                sent_at=due,
                answered_at=due,
                outcome="keep",
                actual_confidence=actual,
            )
        )


def _reviews(engine: Engine) -> int:
    core = make_core(engine)
    found = decision_log.metrics(core, team_id=TEAM)
    return sum(row.reviews for row in found.calibration)


def test_figures_are_at_most_the_cache_time_old(engine: Engine) -> None:
    decision = add_decision(engine, confidence=80, created_at=NOW - timedelta(days=10))
    _answered(engine, decision, NOW - timedelta(days=2), 50)
    with freeze_time(NOW) as clock:
        assert _reviews(engine) == 1
        _answered(engine, decision, NOW - timedelta(days=1), 40)
        clock.tick(log_summary.METRICS_CACHE_FOR - timedelta(seconds=1))
        assert _reviews(engine) in (1, 2)  # within the documented cache time
        clock.tick(timedelta(seconds=1))
        assert _reviews(engine) == 2  # never older than the cache time
        calibration = decision_log.metrics(make_core(engine), team_id=TEAM).calibration
        assert [(c.reviews, c.recorded_confidence, c.actual_confidence) for c in calibration] == [
            (2, 80, 45)
        ]


def test_a_review_answered_here_shows_at_once(engine: Engine) -> None:
    core = make_core(engine)
    decision = add_decision(engine, created_at=NOW - timedelta(days=40))
    with session_scope(engine) as session:
        review = Review(
            team_id=TEAM,
            decision_id=int(decision.id or 0),
            due_at=NOW - timedelta(days=1),
            sent_at=NOW - timedelta(days=1),
        )
        session.add(review)
        session.flush()
        review_id = int(review.id or 0)
    with freeze_time(NOW):
        assert _reviews(engine) == 0
        reviews.answer_review(
            core,
            team_id=TEAM,
            review_id=review_id,
            user_id="U0OWNER",
            answer=reviews.Answer(
                outcome="keep", actual_confidence=55, next_review_on=NOW + timedelta(days=90)
            ),
        )
        assert _reviews(engine) == 1


def test_owner_calibration_reads_the_periods_reviews_only(engine: Engine) -> None:
    old = add_decision(engine, owner_id="U0OLD", created_at=NOW - timedelta(days=400))
    recent = add_decision(engine, owner_id="U0NEW", created_at=NOW - timedelta(days=40))
    _answered(engine, old, NOW - timedelta(days=300), 10)
    _answered(engine, recent, NOW - timedelta(days=3), 90)
    since = NOW - timedelta(days=30)
    with session_scope(engine) as session:
        rows = owner_calibration(session=session, team_id=TEAM, since=since)
        everything = owner_calibration(session=session, team_id=TEAM)
    assert [(r.owner_id, r.reviews) for r in rows] == [("U0NEW", 1)]
    assert sorted(r.owner_id for r in everything) == ["U0NEW", "U0OLD"]
    [(_statement, plan)] = plans(
        engine, lambda s: owner_calibration(session=s, team_id=TEAM, since=since)
    )
    assert "SEARCH review USING INDEX ix_review_team_due (team_id=? AND due_at>?)" in plan, plan
    assert "SCAN review" not in plan and "SCAN decision" not in plan, plan


def test_period_metrics_read_the_periods_rows_only(engine: Engine) -> None:
    add_decision(engine, created_at=NOW - timedelta(days=3))
    since = NOW - timedelta(days=30)
    found = plans(
        engine,
        lambda s: log_summary.period_metrics(
            session=s, team_id=TEAM, since=since, now=NOW, cache_for=timedelta(0)
        ),
    )
    assert len(found) >= 10, found
    for _statement, plan in found:
        # Never every row of a table, nor every row of the workspace through its team index.
        assert not re.search(r"SCAN (decision|vote|review|narrative|question)\w*( |$)", plan), plan
        assert not re.search(r"INDEX \w+ \(team_id=\?\)", plan), plan
