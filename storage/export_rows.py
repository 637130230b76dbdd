"""Reads behind the Excel export: decisions in batches and the votes, reviews and Andon pulls of
each batch, as plain tuples of the columns the workbook shows.

Plain column selects on the session's connection, not ORM entities or records: for a large log,
building objects (and converting every date through the UTC column type) costs more than
writing the cells. Dates come back naive, in UTC, as the tables store them; the export converts
each once to the reader's time zone. Every query filters by workspace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import DateTime, select, type_coerce
from sqlmodel import Session

from storage.decision_log import LogQuery, _conditions, _same_team
from storage.models import AndonPull, Decision, Review, Vote
from storage.types import UTCDateTime

_DECISION = Decision.__table__  # type: ignore[attr-defined]


def _columns(table: Any, names: str) -> list[Any]:
    """`names`' columns of `table`, dates read as the naive UTC values stored."""
    found = []
    for name in names.split():
        column = table.c[name]
        found.append(
            type_coerce(column, DateTime()).label(name)
            if isinstance(column.type, UTCDateTime)
            else column
        )
    return found


# The order of each tuple; the export unpacks them in this order.
DECISION_FIELDS = (
    "id number final_text proposal status owner_id proposed_by channel_id source created_at"
    " decided_at confidence door review_on narrative_id replaces_id replaced_by_id permalink"
)
VOTE_FIELDS = "decision_id user_id choice reason cast_at current committed_at"
REVIEW_FIELDS = (
    "decision_id due_at sent_at reminded_at answered_at answered_by outcome actual_confidence"
    " learned new_text next_review_on"
)
PULL_FIELDS = "decision_id user_id reason resolution resolved_at"

_DECISION_COLUMNS = _columns(_DECISION, DECISION_FIELDS)
_BY_DECISION = {
    model: (model.__table__, _columns(model.__table__, fields))  # type: ignore[attr-defined]
    for model, fields in ((Vote, VOTE_FIELDS), (Review, REVIEW_FIELDS), (AndonPull, PULL_FIELDS))
}


def decision_batches(
    *, session: Session, team_id: str, query: LogQuery, batch: int = 2000
) -> Iterator[Sequence[Any]]:
    """Every matching decision (DECISION_FIELDS), oldest first, in id-keyset batches: memory
    stays flat, and each batch continues along the primary key (a team condition SQLite could
    serve from an index would have it read and sort every decision of the workspace again)."""
    conn = session.connection()
    conds = [_same_team(_DECISION.c.team_id, team_id), *_conditions(team_id, query)[1:]]
    last = 0
    while True:
        stmt = (
            select(*_DECISION_COLUMNS)
            .where(*conds, _DECISION.c.id > last)
            .order_by(_DECISION.c.id)
            .limit(batch)
        )
        rows = conn.execute(stmt).all()
        if not rows:
            return
        yield rows
        last = int(rows[-1][0])


def by_decision(
    *, session: Session, team_id: str, model: Any, decision_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """Rows of `model`'s table (Vote, Review or AndonPull: its *_FIELDS, decision id first) for a
    batch of decisions (ascending ids, as decision_batches gives them), oldest first per
    decision."""
    if not decision_ids:
        return {}
    table, columns = _BY_DECISION[model]
    first, last = decision_ids[0], decision_ids[-1]
    # By decision: the team index would name every vote of the workspace for each batch. A batch
    # that fills most of its id range is read as the range (the rows of the few other decisions
    # are dropped below), which costs less than binding thousands of ids; a sparse one by its ids.
    if last - first < 2 * len(decision_ids):
        which = table.c.decision_id.between(first, last)
    else:
        which = table.c.decision_id.in_(list(decision_ids))
    stmt = (
        select(*columns)
        .where(_same_team(table.c.team_id, team_id), which)
        .order_by(table.c.decision_id, table.c.id)
    )
    wanted = set(decision_ids)
    rows = session.connection().execute(stmt).all()
    return {key: list(group) for key, group in groupby(rows, key=itemgetter(0)) if key in wanted}
