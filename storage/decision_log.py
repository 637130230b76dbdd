"""Queries behind the decision log: filtered pages, one full record, metrics, export batches.

Every function filters by workspace. Lists are read a page (or an export batch) at a time
through the decision indexes; nothing loads the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, col, select

from bot.vocabulary import DecisionStatus, Stance
from storage import search
from storage.db import folded
from storage.models import (
    AndonPull,
    Decision,
    DecisionEvent,
    Narrative,
    NarrativeReader,
    Question,
    ReflectionAnswer,
    ReflectionRound,
    Review,
    Vote,
)

DISSENT_CHOICES = (Stance.DISAGREE, Stance.DISAGREE_COMMIT)
# Statuses of a decision that is still in force and so can come due for review.
OPEN_STATUSES = (DecisionStatus.ACTIVE, DecisionStatus.UNDER_REVIEW, DecisionStatus.HALTED)
# Every status of a finalized decision (polls still voting are not in the log), in the order
# people are shown them.
LOG_STATUSES = (
    DecisionStatus.ACTIVE,
    DecisionStatus.UNDER_REVIEW,
    DecisionStatus.HALTED,
    DecisionStatus.AMENDED,
    DecisionStatus.REVERSED,
    DecisionStatus.SUPERSEDED,
)


@dataclass(frozen=True)
class LogQuery:
    """What part of the log to show. Empty fields do not filter.

    `statuses` empty means every finalized status (polls still voting are not in the log).
    `due_by` keeps decisions still in force whose review date is on or before it.
    `words` must all appear in the proposal, final text or a dissent reason (any case).
    `hidden_channels` are left out (private channels the reader is not a member of).
    """

    channel_id: str | None = None
    owner_id: str | None = None
    statuses: tuple[str, ...] = ()
    due_by: datetime | None = None
    words: tuple[str, ...] = ()
    since: datetime | None = None
    hidden_channels: frozenset[str] = field(default_factory=frozenset)


def _conditions(team_id: str, query: LogQuery, *, ranked: bool = False) -> list[Any]:
    """The WHERE of `query`; with `ranked`, the caller joins `storage.search.ranked` itself
    for the indexed words."""
    indexed = search.indexed_words(query.words)
    # With words, the search index names the few candidate decisions: SQLite must start from
    # them, not from the team index (every decision of the workspace).
    team = _same_team(col(Decision.team_id), team_id) if indexed else Decision.team_id == team_id
    conds: list[Any] = [team]
    statuses = query.statuses or LOG_STATUSES
    if query.due_by is not None:
        statuses = tuple(s for s in statuses if s in OPEN_STATUSES)
        conds.append(Decision.review_on <= query.due_by)
    conds.append(col(Decision.status).in_(statuses))
    if query.channel_id:
        conds.append(Decision.channel_id == query.channel_id)
    if query.owner_id:
        conds.append(Decision.owner_id == query.owner_id)
    if query.since is not None:
        conds.append(Decision.created_at >= query.since)
    if query.hidden_channels:
        conds.append(
            or_(
                col(Decision.channel_id).is_(None),
                col(Decision.channel_id).not_in(sorted(query.hidden_channels)),
            )
        )
    if indexed and not ranked:
        conds.append(search.matches(col(Decision.id), query.words))
    for word in query.words:
        if len(word) >= search.INDEXED_LENGTH:
            continue
        # Too short for trigrams: checked on the decisions the other words found.
        pattern = search.like_pattern(word)
        # Correlated on the vote's decision only: the decision is already this team's, and a
        # team condition here makes SQLite scan every vote of the team per decision.
        reason_matches = exists().where(
            Vote.decision_id == Decision.id,
            folded(col(Vote.reason)).like(pattern, escape="\\"),
        )
        conds.append(
            or_(
                folded(col(Decision.proposal)).like(pattern, escape="\\"),
                folded(func.coalesce(col(Decision.final_text), "")).like(pattern, escape="\\"),
                reason_matches,
            )
        )
    return conds


def list_decisions(
    *, session: Session, team_id: str, query: LogQuery, offset: int, limit: int
) -> list[Decision]:
    """One page, newest first (due lists: soonest review first; searches: best match first)."""
    if query.due_by is None and search.indexed_words(query.words):
        dialect = session.get_bind().dialect.name
        found = search.ranked(dialect, query.words)
        stmt = (
            select(Decision)
            .join(found, found.c.id == col(Decision.id))
            .where(*_conditions(team_id, query, ranked=True))
            .order_by(found.c.rank, col(Decision.created_at).desc(), col(Decision.id).desc())
        )
        return list(session.exec(stmt.offset(max(offset, 0)).limit(limit)))
    stmt = select(Decision).where(*_conditions(team_id, query))
    if query.due_by is not None:
        stmt = stmt.order_by(col(Decision.review_on), col(Decision.id))
    else:
        stmt = stmt.order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
    return list(session.exec(stmt.offset(max(offset, 0)).limit(limit)))


def count_decisions(
    *, session: Session, team_id: str, query: LogQuery, cap: int | None = None
) -> int:
    """How many decisions match; with `cap`, counting stops at cap + 1 ("more than cap")."""
    if cap is None:
        stmt = select(func.count()).select_from(Decision).where(*_conditions(team_id, query))
        return int(session.exec(stmt).one())
    matching = select(Decision.id).where(*_conditions(team_id, query)).limit(cap + 1).subquery()
    return int(session.exec(select(func.count()).select_from(matching)).one())


def _same_team(column: Any, team_id: str) -> Any:
    """`column == team_id`, written so that SQLite does not pick the team index for it.

    Without statistics SQLite prefers an equality on an indexed column, and the team index
    names every row of the workspace; the page's decision ids are the narrow condition."""
    return column.concat("") == team_id


def dissent_counts(
    *, session: Session, team_id: str, decision_ids: Sequence[int]
) -> dict[int, int]:
    """Current dissenting votes per decision, for the decisions on one page."""
    if not decision_ids:
        return {}
    stmt = (
        select(Vote.decision_id, func.count())
        .where(
            _same_team(col(Vote.team_id), team_id),
            col(Vote.decision_id).in_(list(decision_ids)),
            col(Vote.current).is_(True),
            col(Vote.choice).in_(DISSENT_CHOICES),
        )
        .group_by(Vote.decision_id)
    )
    return {int(d): int(n) for d, n in session.exec(stmt)}


def overdue_review_ids(*, session: Session, team_id: str, decision_ids: Sequence[int]) -> set[int]:
    """Decisions on a page whose review was sent and reminded but is still unanswered."""
    if not decision_ids:
        return set()
    stmt = select(Review.decision_id).where(
        _same_team(col(Review.team_id), team_id),
        col(Review.decision_id).in_(list(decision_ids)),
        col(Review.answered_at).is_(None),
        col(Review.reminded_at).is_not(None),
    )
    return {int(d) for d in session.exec(stmt)}


def decision_channels(*, session: Session, team_id: str) -> list[str]:
    """The channels the workspace's decisions were made in (to check which are private).

    A loose index scan: each step asks the (team, channel) index for the next channel after the
    last one, so the cost follows the number of channels, not the number of decisions."""
    table = Decision.__table__  # type: ignore[attr-defined]
    first = (
        select(func.min(table.c.channel_id).label("channel_id"))
        .where(table.c.team_id == team_id, table.c.channel_id.is_not(None))
        .cte("channels", recursive=True)
    )
    following = select(
        select(func.min(table.c.channel_id))
        .where(table.c.team_id == team_id, table.c.channel_id > first.c.channel_id)
        .scalar_subquery()
    ).where(first.c.channel_id.is_not(None))
    channels = first.union_all(following)
    stmt = select(channels.c.channel_id).where(channels.c.channel_id.is_not(None))
    return [str(c) for (c,) in session.execute(stmt)]


# --- one record ---------------------------------------------------------------------------------


def votes_of(*, session: Session, team_id: str, decision_id: int) -> list[Vote]:
    """Every vote cast on a decision, changed ones included, oldest first."""
    stmt = (
        select(Vote)
        .where(Vote.team_id == team_id, Vote.decision_id == decision_id)
        .order_by(col(Vote.cast_at), col(Vote.id))
    )
    return list(session.exec(stmt))


def andon_pulls_of(*, session: Session, team_id: str, decision_id: int) -> list[AndonPull]:
    stmt = (
        select(AndonPull)
        .where(AndonPull.team_id == team_id, AndonPull.decision_id == decision_id)
        .order_by(col(AndonPull.pulled_at))
    )
    return list(session.exec(stmt))


def reviews_of(*, session: Session, team_id: str, decision_id: int) -> list[Review]:
    stmt = (
        select(Review)
        .where(Review.team_id == team_id, Review.decision_id == decision_id)
        .order_by(col(Review.due_at), col(Review.id))
    )
    return list(session.exec(stmt))


def events_of(*, session: Session, team_id: str, decision_id: int) -> list[DecisionEvent]:
    stmt = (
        select(DecisionEvent)
        .where(DecisionEvent.team_id == team_id, DecisionEvent.decision_id == decision_id)
        .order_by(col(DecisionEvent.at), col(DecisionEvent.id))
    )
    return list(session.exec(stmt))


def narrative_of(*, session: Session, team_id: str, narrative_id: int) -> Narrative | None:
    narrative = session.get(Narrative, narrative_id)
    if narrative is None or narrative.team_id != team_id:
        return None
    return narrative


def question_count(*, session: Session, team_id: str, narrative_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Question)
        .where(
            Question.team_id == team_id,
            Question.narrative_id == narrative_id,
            col(Question.deleted_at).is_(None),
        )
    )
    return int(session.exec(stmt).one())


# --- reviews ------------------------------------------------------------------------------------


def get_review(
    *, session: Session, team_id: str, review_id: int, for_update: bool = False
) -> Review | None:
    """`for_update` locks the row (PostgreSQL) so two answers to one review cannot both win;
    SQLite write transactions are serialized already."""
    review = session.get(Review, review_id, with_for_update=for_update or None)
    if review is None or review.team_id != team_id:
        return None
    return review


def open_review(
    *, session: Session, team_id: str, decision_id: int, due_at: datetime
) -> Review | None:
    """The unanswered review of a decision for one review date, if it was already started."""
    stmt = select(Review).where(
        Review.team_id == team_id,
        Review.decision_id == decision_id,
        Review.due_at == due_at,
        col(Review.answered_at).is_(None),
    )
    return session.exec(stmt).first()


def current_dissent(*, session: Session, team_id: str, decision_id: int) -> list[Vote]:
    stmt = (
        select(Vote)
        .where(
            Vote.team_id == team_id,
            Vote.decision_id == decision_id,
            col(Vote.current).is_(True),
            col(Vote.choice).in_(DISSENT_CHOICES),
        )
        .order_by(col(Vote.cast_at), col(Vote.id))
    )
    return list(session.exec(stmt))


# --- metrics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerCalibration:
    owner_id: str
    reviews: int
    recorded_confidence: float
    actual_confidence: float


@dataclass(frozen=True)
class LogMetrics:
    decisions: int
    reviews_due: int
    reviews_on_time: int
    median_confidence: float | None
    with_dissent: int
    reversed_or_amended: int
    readers_expected: int
    readers_done: int
    narratives: int
    questions: int
    calibration: tuple[OwnerCalibration, ...]
    # Reviewed decisions per confidence band (`storage.log_summary.Band`), reviews due in the
    # period.
    bands: tuple[Any, ...] = ()


def log_metrics(*, session: Session, team_id: str, since: datetime) -> LogMetrics:
    """Input metrics for decisions and narratives created since `since` (aggregates in SQL)."""
    in_period = and_(
        Decision.team_id == team_id,
        col(Decision.status).in_(LOG_STATUSES),
        Decision.created_at >= since,
    )
    decisions = int(session.exec(select(func.count()).select_from(Decision).where(in_period)).one())
    median = _median_confidence(session, in_period, decisions)
    dissent = exists().where(
        Vote.decision_id == Decision.id,
        col(Vote.current).is_(True),
        col(Vote.choice).in_(DISSENT_CHOICES),
    )
    with_dissent = int(
        session.exec(select(func.count()).select_from(Decision).where(in_period, dissent)).one()
    )
    changed = int(
        session.exec(
            select(func.count())
            .select_from(Decision)
            .where(
                in_period,
                col(Decision.status).in_(
                    (DecisionStatus.REVERSED, DecisionStatus.AMENDED, DecisionStatus.SUPERSEDED)
                ),
            )
        ).one()
    )
    # A review counts once it is settled either way: answered, or reminded (late).
    review_in_period = and_(
        Review.team_id == team_id,
        Review.due_at >= since,
        col(Review.sent_at).is_not(None),
        or_(col(Review.answered_at).is_not(None), col(Review.reminded_at).is_not(None)),
    )
    reviews_due = int(
        session.exec(select(func.count()).select_from(Review).where(review_in_period)).one()
    )
    # On time: answered before the one reminder went out.
    on_time = int(
        session.exec(
            select(func.count())
            .select_from(Review)
            .where(
                review_in_period,
                col(Review.answered_at).is_not(None),
                col(Review.reminded_at).is_(None),
            )
        ).one()
    )

    # Readers and questions of the period's narratives: found through the narratives (team,
    # start) index and then by narrative, not among every reader or question of the workspace
    # (counted per narrative, as PostgreSQL would otherwise hash all the workspace's readers).
    def readers_of(*extra: Any) -> Any:
        return (
            select(func.count())
            .select_from(NarrativeReader)
            .where(
                NarrativeReader.narrative_id == Narrative.id,
                col(NarrativeReader.expected).is_(True),
                *extra,
            )
            .correlate(Narrative)
            .scalar_subquery()
        )

    expected, done = session.exec(
        select(
            func.coalesce(func.sum(readers_of()), 0),
            func.coalesce(func.sum(readers_of(col(NarrativeReader.done_at).is_not(None))), 0),
        ).where(Narrative.team_id == team_id, Narrative.started_at >= since)
    ).one()
    expected, done = int(expected), int(done)
    narratives = int(
        session.exec(
            select(func.count())
            .select_from(Narrative)
            .where(Narrative.team_id == team_id, Narrative.started_at >= since)
        ).one()
    )
    questions = int(
        session.exec(
            select(func.count())
            .select_from(Question)
            .join(Narrative)
            .where(
                Narrative.team_id == team_id,
                _same_team(col(Question.team_id), team_id),
                Narrative.started_at >= since,
                col(Question.deleted_at).is_(None),
            )
        ).one()
    )
    return LogMetrics(
        decisions=decisions,
        reviews_due=reviews_due,
        reviews_on_time=on_time,
        median_confidence=median,
        with_dissent=with_dissent,
        reversed_or_amended=changed,
        readers_expected=expected,
        readers_done=done,
        narratives=narratives,
        questions=questions,
        calibration=tuple(owner_calibration(session=session, team_id=team_id, since=since)),
    )


def _median_confidence(session: Session, where: Any, count: int) -> float | None:
    """The median by two indexed single-row reads instead of loading every confidence."""
    if count == 0:
        return None
    ordered = select(Decision.confidence).where(where).order_by(col(Decision.confidence))
    low = session.exec(ordered.offset((count - 1) // 2).limit(1)).one()
    high = session.exec(ordered.offset(count // 2).limit(1)).one()
    return (int(low) + int(high)) / 2


def owner_calibration(
    *, session: Session, team_id: str, since: datetime | None = None, limit: int = 20
) -> list[OwnerCalibration]:
    """Per owner: the confidence decisions were recorded with vs. what reviews said they had,
    from the reviews due since `since` (then the cost follows the reviews of that window, read
    through the (team, due date) index, instead of every review the workspace ever had)."""
    conds: list[Any] = [
        Review.team_id == team_id,
        Decision.team_id == team_id,
        col(Review.actual_confidence).is_not(None),
    ]
    if since is not None:
        conds.append(Review.due_at >= since)
    stmt = (
        select(
            Decision.owner_id,
            func.count(),
            func.avg(Decision.confidence),
            func.avg(Review.actual_confidence),
        )
        .join(Decision, Decision.id == Review.decision_id)
        .where(*conds)
        .group_by(Decision.owner_id)
        .order_by(func.count().desc(), Decision.owner_id)
        .limit(limit)
    )
    return [
        OwnerCalibration(str(owner), int(n), float(recorded), float(actual))
        for owner, n, recorded, actual in session.exec(stmt)
    ]


# --- export batches -----------------------------------------------------------------------------


def narratives_by_id(
    *, session: Session, team_id: str, narrative_ids: Sequence[int]
) -> dict[int, tuple[str, int]]:
    """Title and question count of the narratives a batch of decisions link to."""
    if not narrative_ids:
        return {}
    titles = session.exec(
        select(Narrative.id, Narrative.title).where(
            Narrative.team_id == team_id, col(Narrative.id).in_(list(narrative_ids))
        )
    )
    counts = {
        int(n): int(c)
        for n, c in session.exec(
            select(Question.narrative_id, func.count())
            .where(
                Question.team_id == team_id,
                col(Question.narrative_id).in_(list(narrative_ids)),
                col(Question.deleted_at).is_(None),
            )
            .group_by(Question.narrative_id)
        )
    }
    return {int(i): (str(t), counts.get(int(i), 0)) for i, t in titles}


def iter_questions(
    *,
    session: Session,
    team_id: str,
    channel_id: str | None,
    since: datetime | None,
    hidden_channels: frozenset[str],
    batch: int = 1000,
) -> Iterator[list[tuple[Question, Narrative]]]:
    conds: list[Any] = [Question.team_id == team_id, Narrative.team_id == team_id]
    if channel_id:
        conds.append(Narrative.channel_id == channel_id)
    if since is not None:
        conds.append(Narrative.started_at >= since)
    if hidden_channels:
        conds.append(col(Narrative.channel_id).not_in(sorted(hidden_channels)))
    stmt = select(Question, Narrative).join(Narrative, Narrative.id == Question.narrative_id)
    yield from _pages(session, stmt.where(*conds), col(Question.id), batch)


def iter_reflection_answers(
    *,
    session: Session,
    team_id: str,
    channel_id: str | None,
    since: datetime | None,
    hidden_channels: frozenset[str],
    batch: int = 1000,
) -> Iterator[list[tuple[ReflectionAnswer, ReflectionRound]]]:
    conds: list[Any] = [ReflectionAnswer.team_id == team_id, ReflectionRound.team_id == team_id]
    if channel_id:
        conds.append(ReflectionRound.channel_id == channel_id)
    if since is not None:
        conds.append(ReflectionAnswer.answered_at >= since)
    if hidden_channels:
        conds.append(col(ReflectionRound.channel_id).not_in(sorted(hidden_channels)))
    stmt = select(ReflectionAnswer, ReflectionRound).join(
        ReflectionRound, ReflectionRound.id == ReflectionAnswer.round_id
    )
    yield from _pages(session, stmt.where(*conds), col(ReflectionAnswer.id), batch)


def _pages(session: Session, stmt: Any, key: Any, batch: int) -> Iterator[list[Any]]:
    """Keyset pagination over `stmt` by the first entity's id: memory stays flat however many
    rows there are (the session forgets each page once it has been handed out)."""
    last = 0
    while True:
        rows = [
            tuple(row) for row in session.exec(stmt.where(key > last).order_by(key).limit(batch))
        ]
        if not rows:
            return
        yield rows
        last = int(rows[-1][0].id or 0)
        session.expunge_all()


def teams(*, session: Session) -> list[str]:
    """The workspaces with decisions (for the command-line export; not a per-team query)."""
    return [str(t) for t in session.exec(select(Decision.team_id).distinct())]
