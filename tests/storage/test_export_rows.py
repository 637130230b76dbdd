"""The export's reads: decisions in batches, and each batch's votes, with plain UTC dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from storage import export_rows
from storage.db import make_engine, migrate, read_scope
from storage.decision_log import LogQuery
from storage.models import Vote
from tests.log_helpers import START, TEAM, add_decision, add_vote


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_votes_of_exactly_the_batch_dense_or_sparse(db: Engine) -> None:
    """A batch is read by its id range or by its ids: either way only its decisions' votes,
    of this workspace, oldest first per decision."""
    decisions = [
        add_decision(
            db,
            text=f"d{n}",
            channel_id="C0GENERAL" if n in (0, 2, 6) else "C0OTHER",
            created_at=START + timedelta(hours=n),
        )
        for n in range(7)
    ]
    other = add_decision(db, team_id="T0OTHER", text="elsewhere")
    for n, decision in enumerate(decisions):
        add_vote(db, decision, f"U{n}B", "disagree", f"second {n}")
        add_vote(db, decision, f"U{n}A", "agree")
    add_vote(db, other, "U0X", "agree")
    ids = [int(d.id or 0) for d in decisions]
    with read_scope(db) as session:
        batches = list(
            export_rows.decision_batches(
                session=session, team_id=TEAM, query=LogQuery(channel_id="C0GENERAL"), batch=2
            )
        )
        assert [[row[0] for row in batch] for batch in batches] == [[ids[0], ids[2]], [ids[6]]]
        first = batches[0][0]
        fields = export_rows.DECISION_FIELDS.split()
        assert first[fields.index("proposal")] == "d0"
        # Dates as stored: UTC, without a zone.
        assert first[fields.index("created_at")] == START.replace(tzinfo=None)
        for batch in ([ids[0], ids[2]], [ids[0], ids[6]], [ids[6]]):  # dense, sparse, one
            found = export_rows.by_decision(
                session=session, team_id=TEAM, model=Vote, decision_ids=batch
            )
            assert sorted(found) == batch
            for decision_id, votes in found.items():
                n = ids.index(decision_id)
                assert [(v[0], v[1], v[3]) for v in votes] == [
                    (decision_id, f"U{n}B", f"second {n}"),
                    (decision_id, f"U{n}A", None),
                ]
                assert votes[0][4] == START.replace(tzinfo=None) + timedelta(hours=n)
        assert (
            export_rows.by_decision(
                session=session, team_id=TEAM, model=Vote, decision_ids=[int(other.id or 0)]
            )
            == {}
        )
