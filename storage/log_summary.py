"""The figures of the decision log's summary, computed in the database (GROUP BY), never by
holding rows: headline figures, months, confidence bands and owners for one export's query.

Calibration: a reviewed decision's verdict is the strongest answer any of its reviews gave
(reversed over amended over kept); snoozed or unanswered reviews give none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, over
from sqlmodel import Session, col, select

from bot.vocabulary import DecisionStatus, ReviewAnswer, Stance
from storage.db import days_between, month_of
from storage.decision_log import DISSENT_CHOICES, LogMetrics, LogQuery, _conditions, log_metrics
from storage.models import (
    AndonPull,
    Decision,
    Narrative,
    NarrativeReader,
    Question,
    ReflectionAnswer,
    ReflectionRound,
    Review,
    Vote,
)

# Confidence bands: (label, lowest confidence in the band).
BANDS = (("under 50%", 0), ("50–69%", 50), ("70–89%", 70), ("90% and over", 90))
VERDICTS = ("kept", "amended", "reversed")
_VERDICT_RANK = {ReviewAnswer.KEEP: 1, ReviewAnswer.AMEND: 2, ReviewAnswer.REVERSE: 3}
# Owners shown on the summary (those with the most decisions).
OWNER_LIMIT = 50


@dataclass(frozen=True)
class Band:
    label: str
    kept: int = 0
    amended: int = 0
    reversed: int = 0

    @property
    def reviewed(self) -> int:
        return self.kept + self.amended + self.reversed


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM (UTC)
    by_status: dict[str, int]
    decisions: int
    with_dissent: int
    reviews_on_time: int
    reviews_late: int


@dataclass(frozen=True)
class Owner:
    owner_id: str
    decisions: int
    median_confidence: float | None
    reviews_settled: int
    reviews_on_time: int
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class Summary:
    decisions: int
    median_days_to_final: float | None
    with_dissent: int
    dissenters: int
    dissenters_committed: int
    andon_pulls: int
    reviews_on_time: int
    reviews_late: int
    reviews_overdue: int
    reversed: int
    readers_expected: int
    readers_done: int
    narratives: int
    questions: int
    reflection_members: int
    reflection_answerers: int
    months: tuple[Month, ...]
    bands: tuple[Band, ...]
    owners: tuple[Owner, ...]


def band_of(confidence: Any) -> Any:
    """The band index (0-3) of a confidence, in SQL."""
    return case(
        (confidence < BANDS[1][1], 0),
        (confidence < BANDS[2][1], 1),
        (confidence < BANDS[3][1], 2),
        else_=3,
    )


def _verdicts(team_id: str, due_since: datetime | None = None) -> Any:
    """Per reviewed decision of the workspace: its verdict (1 kept, 2 amended, 3 reversed)."""
    rank = case(*((Review.outcome == k, v) for k, v in _VERDICT_RANK.items()), else_=0)
    conds: list[Any] = [Review.team_id == team_id, col(Review.outcome).in_(tuple(_VERDICT_RANK))]
    if due_since is not None:
        conds.append(Review.due_at >= due_since)
    return (
        select(Review.decision_id.label("decision_id"), func.max(rank).label("verdict"))
        .where(*conds)
        .group_by(Review.decision_id)
        .subquery()
    )


def _banded(conds: list[Any]) -> Any:
    """The matching decisions with their owner and confidence band."""
    return (
        select(
            Decision.id.label("id"),
            Decision.owner_id.label("owner_id"),
            band_of(Decision.confidence).label("band"),
        )
        .where(*conds)
        .subquery()
    )


def _bands(rows: Any) -> tuple[Band, ...]:
    counts = [[0, 0, 0] for _ in BANDS]
    for band, verdict, n in rows:
        counts[int(band)][int(verdict) - 1] += int(n)
    return tuple(Band(BANDS[i][0], *counts[i]) for i in range(len(BANDS)))


def calibration(
    *, session: Session, team_id: str, query: LogQuery, due_since: datetime | None = None
) -> tuple[Band, ...]:
    """Reviewed decisions per confidence band and verdict (counting reviews due since
    `due_since`, when given: then the cost follows the reviews of that window)."""
    verdicts = _verdicts(team_id, due_since)
    banded = _banded(_conditions(team_id, query))
    stmt = (
        select(banded.c.band, verdicts.c.verdict, func.count())
        .select_from(verdicts)
        .join(banded, banded.c.id == verdicts.c.decision_id)
        .group_by(banded.c.band, verdicts.c.verdict)
    )
    return _bands(session.exec(stmt))


def _count(session: Session, stmt: Any) -> int:
    return int(session.exec(stmt).one() or 0)


def _median(session: Session, value: Any, where: list[Any]) -> float | None:
    """The median of `value` over the rows matching `where`, by two single-row reads."""
    count = _count(session, select(func.count()).select_from(Decision).where(*where))
    if count == 0:
        return None
    ordered = select(value).where(*where).order_by(value)
    low = session.exec(ordered.offset((count - 1) // 2).limit(1)).one()
    high = session.exec(ordered.offset(count // 2).limit(1)).one()
    return (float(low) + float(high)) / 2


def log_summary(*, session: Session, team_id: str, query: LogQuery) -> Summary:
    """The summary of `team_id`'s decisions matching `query` (and the narratives and reflection
    rounds of the same channel and period)."""
    conds = _conditions(team_id, query)
    ids = select(Decision.id).where(*conds)
    decisions = _count(session, select(func.count()).select_from(Decision).where(*conds))
    finalized = [*conds, col(Decision.decided_at).is_not(None)]
    median_days = _median(
        session, days_between(Decision.created_at, Decision.decided_at), finalized
    )
    dissent = (
        select(Vote.decision_id)
        .where(
            Vote.team_id == team_id,
            col(Vote.current).is_(True),
            col(Vote.choice).in_(DISSENT_CHOICES),
        )
        .distinct()
    )
    has_dissent = col(Decision.id).in_(dissent)
    with_dissent = _count(
        session, select(func.count()).select_from(Decision).where(*conds, has_dissent)
    )
    dissent_votes = [
        Vote.team_id == team_id,
        col(Vote.current).is_(True),
        col(Vote.choice).in_(DISSENT_CHOICES),
        col(Vote.decision_id).in_(ids),
    ]
    dissenters = _count(session, select(func.count()).select_from(Vote).where(*dissent_votes))
    committed = _count(
        session,
        select(func.count())
        .select_from(Vote)
        .where(
            *dissent_votes,
            or_(Vote.choice == Stance.DISAGREE_COMMIT, col(Vote.committed_at).is_not(None)),
        ),
    )
    pulls = _count(
        session,
        select(func.count())
        .select_from(AndonPull)
        .where(AndonPull.team_id == team_id, col(AndonPull.decision_id).in_(ids)),
    )
    on_time = and_(col(Review.answered_at).is_not(None), col(Review.reminded_at).is_(None))
    late = and_(col(Review.answered_at).is_not(None), col(Review.reminded_at).is_not(None))
    overdue = and_(col(Review.answered_at).is_(None), col(Review.reminded_at).is_not(None))
    reviews = session.exec(
        select(
            func.count().filter(on_time), func.count().filter(late), func.count().filter(overdue)
        ).where(Review.team_id == team_id, col(Review.decision_id).in_(ids))
    ).one()
    reversed_ = _count(
        session,
        select(func.count())
        .select_from(Decision)
        .where(*conds, Decision.status == DecisionStatus.REVERSED),
    )
    reading = _reading(session, team_id, query)
    return Summary(
        decisions=decisions,
        median_days_to_final=median_days,
        with_dissent=with_dissent,
        dissenters=dissenters,
        dissenters_committed=committed,
        andon_pulls=pulls,
        reviews_on_time=int(reviews[0]),
        reviews_late=int(reviews[1]),
        reviews_overdue=int(reviews[2]),
        reversed=reversed_,
        **reading,
        months=_months(session, team_id, conds, ids, has_dissent, on_time, late),
        bands=calibration(session=session, team_id=team_id, query=query),
        owners=_owners(session, team_id, conds, ids, on_time, late),
    )


def _reading(session: Session, team_id: str, query: LogQuery) -> dict[str, int]:
    where: list[Any] = [Narrative.team_id == team_id]
    rounds: list[Any] = [ReflectionRound.team_id == team_id]
    if query.channel_id:
        where.append(Narrative.channel_id == query.channel_id)
        rounds.append(ReflectionRound.channel_id == query.channel_id)
    if query.since is not None:
        where.append(Narrative.started_at >= query.since)
        rounds.append(ReflectionRound.created_at >= query.since)
    if query.hidden_channels:
        where.append(col(Narrative.channel_id).not_in(sorted(query.hidden_channels)))
        rounds.append(col(ReflectionRound.channel_id).not_in(sorted(query.hidden_channels)))
    readers = (
        select(func.count(), func.count(NarrativeReader.done_at))
        .select_from(NarrativeReader)
        .join(Narrative, Narrative.id == NarrativeReader.narrative_id)
        .where(*where, NarrativeReader.team_id == team_id, col(NarrativeReader.expected).is_(True))
    )
    expected, done = session.exec(readers).one()
    narratives = _count(session, select(func.count()).select_from(Narrative).where(*where))
    questions = _count(
        session,
        select(func.count())
        .select_from(Question)
        .join(Narrative, Narrative.id == Question.narrative_id)
        .where(*where, Question.team_id == team_id, col(Question.deleted_at).is_(None)),
    )
    # Participation: people who answered a round, of the members it was posted to.
    counted = [*rounds, col(ReflectionRound.member_count).is_not(None)]
    members = _count(
        session, select(func.coalesce(func.sum(ReflectionRound.member_count), 0)).where(*counted)
    )
    answerers = (
        select(ReflectionAnswer.round_id, func.count(distinct(ReflectionAnswer.user_id)))
        .join(ReflectionRound, ReflectionRound.id == ReflectionAnswer.round_id)
        .where(*counted, ReflectionAnswer.team_id == team_id)
        .group_by(ReflectionAnswer.round_id)
        .subquery()
    )
    answered = _count(
        session, select(func.coalesce(func.sum(list(answerers.c)[1]), 0)).select_from(answerers)
    )
    return {
        "readers_expected": int(expected or 0),
        "readers_done": int(done or 0),
        "narratives": narratives,
        "questions": questions,
        "reflection_members": members,
        "reflection_answerers": answered,
    }


def _months(
    session: Session,
    team_id: str,
    conds: list[Any],
    ids: Any,
    has_dissent: Any,
    on_time: Any,
    late: Any,
) -> tuple[Month, ...]:
    month = month_of(Decision.created_at)
    by_status: dict[str, dict[str, int]] = {}
    for m, status, n in session.exec(
        select(month, Decision.status, func.count()).where(*conds).group_by(month, Decision.status)
    ):
        by_status.setdefault(str(m), {})[str(status)] = int(n)
    dissent = {
        str(m): int(n)
        for m, n in session.exec(
            select(month, func.count()).where(*conds, has_dissent).group_by(month)
        )
    }
    due = month_of(Review.due_at)
    reviews = {
        str(m): (int(a), int(b))
        for m, a, b in session.exec(
            select(due, func.count().filter(on_time), func.count().filter(late))
            .where(Review.team_id == team_id, col(Review.decision_id).in_(ids))
            .group_by(due)
        )
    }
    months = sorted(set(by_status) | set(reviews))
    return tuple(
        Month(
            month=m,
            by_status=by_status.get(m, {}),
            decisions=sum(by_status.get(m, {}).values()),
            with_dissent=dissent.get(m, 0),
            reviews_on_time=reviews.get(m, (0, 0))[0],
            reviews_late=reviews.get(m, (0, 0))[1],
        )
        for m in months
    )


def _owners(
    session: Session, team_id: str, conds: list[Any], ids: Any, on_time: Any, late: Any
) -> tuple[Owner, ...]:
    top = [
        (str(o), int(n))
        for o, n in session.exec(
            select(Decision.owner_id, func.count())
            .where(*conds)
            .group_by(Decision.owner_id)
            .order_by(func.count().desc(), Decision.owner_id)
            .limit(OWNER_LIMIT)
        )
    ]
    if not top:
        return ()
    names = [o for o, _ in top]
    mine = [*conds, col(Decision.owner_id).in_(names)]
    ranked = (
        select(
            Decision.owner_id.label("owner_id"),
            Decision.confidence.label("confidence"),
            over(
                func.row_number(), partition_by=Decision.owner_id, order_by=Decision.confidence
            ).label("rn"),
            over(func.count(), partition_by=Decision.owner_id).label("n"),
        )
        .where(*mine)
        .subquery()
    )
    medians = {
        str(o): float(m)
        for o, m in session.exec(
            select(ranked.c.owner_id, func.avg(ranked.c.confidence))
            .where(
                or_(
                    ranked.c.rn == (ranked.c.n + 1) // 2,
                    ranked.c.rn == (ranked.c.n + 2) // 2,
                )
            )
            .group_by(ranked.c.owner_id)
        )
    }
    reviews = {
        str(o): (int(a), int(b))
        for o, a, b in session.exec(
            select(Decision.owner_id, func.count().filter(on_time), func.count().filter(late))
            .join(Decision, Decision.id == Review.decision_id)
            .where(Review.team_id == team_id, *mine)
            .group_by(Decision.owner_id)
        )
    }
    verdicts = _verdicts(team_id)
    banded = _banded(mine)
    bands: dict[str, list[tuple[int, int, int]]] = {}
    for o, band, verdict, n in session.exec(
        select(banded.c.owner_id, banded.c.band, verdicts.c.verdict, func.count())
        .select_from(verdicts)
        .join(banded, banded.c.id == verdicts.c.decision_id)
        .group_by(banded.c.owner_id, banded.c.band, verdicts.c.verdict)
    ):
        bands.setdefault(str(o), []).append((int(band), int(verdict), int(n)))
    return tuple(
        Owner(
            owner_id=o,
            decisions=n,
            median_confidence=medians.get(o),
            reviews_settled=sum(reviews.get(o, (0, 0))),
            reviews_on_time=reviews.get(o, (0, 0))[0],
            bands=_bands(bands.get(o, [])),
        )
        for o, n in top
    )


# --- the figures of /decisions stats and the Home tab, cached per workspace ------------------

# How long the figures of a workspace are reused. They are over a period (30 days), so their
# cost follows that period, not the log; the cache spares opening the Home tab again and again
# even that. Answering a review forgets them at once in this process (`forget_metrics`); other
# processes, and votes and new decisions, show in them at most this late.
METRICS_CACHE_FOR = timedelta(seconds=60)
_METRICS_LIMIT = 1024


@dataclass(frozen=True)
class _Cached:
    at: datetime
    metrics: LogMetrics


_metrics: dict[tuple[str, str, float], _Cached] = {}
_metrics_lock = threading.Lock()


def period_metrics(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    now: datetime,
    cache_for: timedelta = METRICS_CACHE_FOR,
) -> LogMetrics:
    """The input metrics of the period from `since` to `now` with its calibration bands; the
    same workspace's figures for the same period length are reused for `cache_for`."""
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    key = (database, team_id, (now - since).total_seconds())
    with _metrics_lock:
        hit = _metrics.get(key)
    if hit is not None and hit.at <= now < hit.at + cache_for:
        return hit.metrics
    found = log_metrics(session=session, team_id=team_id, since=since)
    # One GROUP BY over the reviews due in the period (the review index's range).
    bands = calibration(session=session, team_id=team_id, query=LogQuery(), due_since=since)
    metrics = replace(found, bands=bands)
    with _metrics_lock:
        if len(_metrics) >= _METRICS_LIMIT:
            _metrics.clear()  # many workspaces in one process: start over rather than grow
        _metrics[key] = _Cached(at=now, metrics=metrics)
    return metrics


def forget_metrics(*, team_id: str) -> None:
    """Drop a workspace's cached figures (a review was answered: calibration changed)."""
    with _metrics_lock:
        for key in [k for k in _metrics if k[1] == team_id]:
            del _metrics[key]
