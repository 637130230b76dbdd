"""The calibration shown in `/decisions stats` and the Home tab costs one GROUP BY over the
reviews due in the window: SQLite reads them by the (team, due date) index and each one's
decision by its key, never every decision or review of the workspace."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from storage import log_summary
from storage.decision_log import LogQuery
from tests.log_helpers import START, TEAM, add_decision
from tests.storage.test_decision_log_plans import plans


def test_calibration_over_a_window_reads_its_reviews_by_index(engine: Engine) -> None:
    add_decision(engine)
    found = plans(
        engine,
        lambda s: log_summary.calibration(
            session=s, team_id=TEAM, query=LogQuery(), due_since=START - timedelta(days=30)
        ),
    )
    assert len(found) == 1, found
    assert "SEARCH review USING INDEX ix_review_team_due" in found[0], found
    assert "SEARCH decision USING INTEGER PRIMARY KEY" in found[0], found
    assert "SCAN decision" not in found[0] and "SCAN review" not in found[0], found


def test_export_batches_walk_decisions_by_key_and_votes_by_decision(engine: Engine) -> None:
    from storage import export_rows
    from storage.models import Vote

    decision = add_decision(engine)
    ids = [int(decision.id or 0)]

    def read(session: object) -> None:
        for _ in export_rows.decision_batches(session=session, team_id=TEAM, query=LogQuery()):  # type: ignore[arg-type]
            pass
        export_rows.by_decision(session=session, team_id=TEAM, model=Vote, decision_ids=ids)  # type: ignore[arg-type]

    found = plans(engine, read)
    # Each batch of decisions continues along the primary key (not every decision of the
    # workspace read and sorted again per batch); votes are found by decision.
    assert all("SEARCH decision USING INTEGER PRIMARY KEY (rowid>?)" in p for p in found[:2]), found
    # (by its id, or by the batch's id range when the batch fills it: either way along an index
    # that starts with the decision)
    assert "INDEX ix_vote_decision_" in found[-1] and "(decision_id" in found[-1], found
    assert "SCAN vote" not in found[-1], found
