"""The decision log: recording decisions made elsewhere, browsing, full records and metrics."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.access import Viewer, everyone_sees
from bot.core import Core
from bot.inputs import SEARCH_CHARS, TEXT_CHARS, bounded
from bot.port import ChatPlatform, PostFailed, PostUnconfirmed, Unreachable
from bot.proposals import ProposalError, at_nine, confidence_note, parse_proposal, review_day_in
from bot.views import Notice, Place, Text, notice, text, warning
from bot.views.decision_log import (
    HOME_COUNT_CAP,
    AndonLine,
    BandLine,
    EntryLine,
    HistoryLine,
    HomeFilters,
    HomeView,
    Listing,
    LoggedReceipt,
    LoggedView,
    LogListView,
    MetricsView,
    OwnerCalibrationLine,
    PageLines,
    RecordView,
    ReviewLine,
    SupersededView,
    VoteLine,
)
from bot.vocabulary import DecisionStatus, Stance, TimerKind
from storage import decision_log as log_rows
from storage import log_summary
from storage import reflections as reflection_rows
from storage.db import read_scope, session_scope
from storage.decision_log import LogMetrics, LogQuery
from storage.decisions import (
    add_decision_event,
    decision_label,
    get_decision,
    get_decision_by_number,
    insert_decision,
)
from storage.models import AndonPull, Decision, DecisionEvent, Review, Vote
from storage.votes import lock_decision

log = logging.getLogger(__name__)

METRICS_PERIOD = timedelta(days=30)
# How far ahead `/decisions due` and the Home tab's "due for review" look.
DUE_SOON = timedelta(days=7)
# Pages beyond this are not read (a tampered page button cannot ask for an absurd offset).
MAX_PAGE = 100_000
_LABEL = re.compile(r"^[Dd]-?(\d{1,9})$")


def status_words(status: str) -> str:
    """A status in the words of a core message ("under review")."""
    return str(status).replace("_", " ")


def decision_text(decision: Decision) -> str:
    """What was decided: the final wording, else the proposal."""
    return decision.final_text or decision.proposal


def is_log_status(status: str) -> bool:
    return status in log_rows.LOG_STATUSES


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search; InputTooLong (naming the limit) for a text over SEARCH_CHARS."""
    return tuple(bounded(text.strip(), SEARCH_CHARS, "search text").split())


def parse_label(text: str) -> int | None:
    """`D-42` (or `d42`) -> 42; anything else -> None."""
    match = _LABEL.match(text.strip())
    return int(match.group(1)) if match else None


def schedule_review(core: Core, *, session: Session, decision: Decision) -> None:
    """(Re)place the decision's one pending review timer at its review date."""
    decision_id = int(decision.id or 0)
    core.timers.cancel(
        session=session, team_id=decision.team_id, kind=TimerKind.REVIEW_DUE, ref_id=decision_id
    )
    core.timers.add(
        session=session,
        team_id=decision.team_id,
        kind=TimerKind.REVIEW_DUE,
        ref_id=decision_id,
        due_at=decision.review_on,
    )


@dataclass(frozen=True)
class Superseded:
    """The decision a newly logged one replaced, for telling its owner."""

    label: str
    owner_id: str
    text: str
    channel_id: str | None


@dataclass(frozen=True)
class Logged:
    decision: Decision
    superseded: Superseded | None = None


def record_decision(
    core: Core,
    *,
    team_id: str,
    channel_id: str | None,
    author_id: str,
    text: str,
    tz: str = "UTC",
    viewer: Viewer | None = None,
) -> Decision:
    """`/decisions log ...` (see `log_decision`); returns the new decision."""
    return log_decision(
        core,
        team_id=team_id,
        channel_id=channel_id,
        author_id=author_id,
        text=text,
        tz=tz,
        viewer=viewer,
    ).decision


def log_decision(
    core: Core,
    *,
    team_id: str,
    channel_id: str | None,
    author_id: str,
    text: str,
    tz: str = "UTC",
    viewer: Viewer | None = None,
) -> Logged:
    """`/decisions log ...`: a decision made elsewhere goes straight into the log, with a review.

    With `replaces:D-n`, D-n is superseded: only its owner or an admin may do that, only while
    it is in force and not halted, and a D-n in a channel the author cannot see is "not found"
    exactly like one that does not exist. `viewer` is the author as the platform knows them
    (None: a caller acting for the workspace, who sees every channel and is no admin).

    Raises ProposalError with a message for the person when the text is not a decision.
    """
    viewer = viewer or Viewer(author_id, may_see=everyone_sees)
    now = core.clock.now()
    text, replaces = _take_replaces(text)
    options = parse_proposal(text, author_id=author_id, now=now, tz=tz)
    bounded(options.text, TEXT_CHARS, "decision text", ProposalError)
    if options.closes_at is not None:
        raise ProposalError(
            "`closes:` is for polls (`/decide`); a logged decision is already made."
        )
    # Who may supersede is settled before the write transaction: it may ask the platform.
    older_id = _may_supersede(core, team_id, replaces, viewer) if replaces is not None else None
    with session_scope(core.engine) as session:
        older = _replaceable(session, team_id, older_id) if older_id is not None else None
        decision = insert_decision(
            session=session,
            team_id=team_id,
            decision=Decision(
                team_id=team_id,
                number=0,
                channel_id=channel_id,
                owner_id=options.owner_id,
                proposed_by=author_id,
                proposal=options.text,
                final_text=options.text,
                confidence=options.confidence,
                door=options.door,
                review_on=options.review_on,
                status=DecisionStatus.ACTIVE,
                source="log",
                created_at=now,
                decided_at=now,
            ),
        )
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=int(decision.id or 0),
            at=now,
            kind="logged",
            user_id=author_id,
            detail={"confidence": options.confidence, "review_on": options.review_on.isoformat()},
        )
        schedule_review(core, session=session, decision=decision)
        superseded = None
        if older is not None:
            _supersede(core, session, older=older, newer=decision, user_id=author_id, now=now)
            superseded = Superseded(
                label=decision_label(older.number),
                owner_id=older.owner_id,
                text=older.final_text or older.proposal,
                channel_id=older.channel_id,
            )
    return Logged(decision=decision, superseded=superseded)


_REPLACES = re.compile(r"(?<!\S)replaces:(\S*)", re.IGNORECASE)


def _take_replaces(text: str) -> tuple[str, int | None]:
    """Split `replaces:D-4` off a logged decision's text."""
    found = _REPLACES.findall(text)
    if not found:
        return text, None
    if len(found) > 1:
        raise ProposalError("`replaces:` is given twice.")
    number = parse_label(found[0])
    if number is None:
        raise ProposalError(
            f"replaces must name a decision such as `D-4`, not `{found[0] or '(nothing)'}`."
        )
    return _REPLACES.sub("", text), number


def not_found(number: int) -> str:
    """The answer for a decision that does not exist and for one the person may not see."""
    return f"{decision_label(number)} was not found in this workspace."


def _may_supersede(core: Core, team_id: str, number: int, viewer: Viewer) -> int:
    """The id of D-`number` if `viewer` may supersede it; ProposalError otherwise."""
    with read_scope(core.engine) as session:
        older = get_decision_by_number(session=session, team_id=team_id, number=number)
    if older is None or not viewer.sees(older.channel_id):
        raise ProposalError(not_found(number))
    _ensure_in_force(older, halted_too=False)
    if not viewer.may_act_as_owner(older.owner_id):
        raise ProposalError(
            f"Only the owner of {decision_label(number)} or a workspace admin can supersede it."
        )
    _ensure_in_force(older)
    return int(older.id or 0)


def _replaceable(session: Session, team_id: str, decision_id: int) -> Decision:
    """The decision to supersede, locked, if it is still in force and not halted."""
    older = lock_decision(session=session, team_id=team_id, decision_id=decision_id)
    if older is None:
        raise ProposalError("That decision was not found in this workspace.")
    _ensure_in_force(older)
    return older


def _ensure_in_force(older: Decision, *, halted_too: bool = True) -> None:
    label = decision_label(older.number)
    if older.status not in log_rows.OPEN_STATUSES:
        raise ProposalError(
            f"{label} is {status_words(older.status)}; only a decision still "
            "in force can be superseded."
        )
    if halted_too and older.status == DecisionStatus.HALTED:
        raise ProposalError(
            f"{label} is halted by an Andon pull; its owner must resume, amend or reverse it "
            "before it can be superseded."
        )


def _supersede(
    core: Core, session: Session, *, older: Decision, newer: Decision, user_id: str, now: datetime
) -> None:
    """`newer` replaces `older`: both link to each other, and the older one's reviews stop."""
    older_id, newer_id = int(older.id or 0), int(newer.id or 0)
    older.status = DecisionStatus.SUPERSEDED
    older.replaced_by_id = newer_id
    newer.replaces_id = older_id
    session.add(older)
    session.add(newer)
    for kind in (TimerKind.REVIEW_DUE, TimerKind.REVIEW_REMINDER):
        core.timers.cancel(session=session, team_id=older.team_id, kind=kind, ref_id=older_id)
    add_decision_event(
        session=session,
        team_id=older.team_id,
        decision_id=older_id,
        at=now,
        kind="superseded",
        user_id=user_id,
        detail={"by": decision_label(newer.number)},
    )
    add_decision_event(
        session=session,
        team_id=older.team_id,
        decision_id=newer_id,
        at=now,
        kind="supersedes",
        user_id=user_id,
        detail={"replaces": decision_label(older.number)},
    )


def review_in_zone(core: Core, *, team_id: str, decision_id: int, day: date, tz: str) -> Decision:
    """A review given as a day is at 09:00 in the author's time zone, which is known only after
    their command was answered: move the review (and its timer) there."""
    with session_scope(core.engine) as session:
        decision = get_decision(session=session, team_id=team_id, decision_id=decision_id)
        assert decision is not None
        zoned = at_nine(day, tz)
        if zoned != decision.review_on and zoned > core.clock.now():
            decision.review_on = zoned
            session.add(decision)
            schedule_review(core, session=session, decision=decision)
        return decision


def set_record_message(
    core: Core, *, team_id: str, decision_id: int, ts: str, permalink: str | None
) -> None:
    """Remember where a logged decision was announced (its thread gets the review notes)."""
    with session_scope(core.engine) as session:
        decision = get_decision(session=session, team_id=team_id, decision_id=decision_id)
        if decision is not None:
            decision.record_ts = ts
            decision.permalink = permalink
            session.add(decision)


# --- browsing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    decision: Decision
    dissent_count: int
    overdue: bool

    @property
    def label(self) -> str:
        return decision_label(self.decision.number)


@dataclass(frozen=True)
class LogPage:
    entries: tuple[LogEntry, ...]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 0


def browse(
    core: Core, *, team_id: str, query: LogQuery, page: int = 0, per_page: int = 15
) -> LogPage:
    """One page of the log; one more row than shown is read to know whether a next page exists."""
    page = min(max(page, 0), MAX_PAGE)
    with read_scope(core.engine) as session:
        rows = log_rows.list_decisions(
            session=session,
            team_id=team_id,
            query=query,
            offset=page * per_page,
            limit=per_page + 1,
        )
        shown = rows[:per_page]
        ids = [int(d.id or 0) for d in shown]
        dissent = log_rows.dissent_counts(session=session, team_id=team_id, decision_ids=ids)
        late = log_rows.overdue_review_ids(session=session, team_id=team_id, decision_ids=ids)
    now = core.clock.now()
    entries = tuple(
        LogEntry(
            decision=d,
            dissent_count=dissent.get(int(d.id or 0), 0),
            overdue=int(d.id or 0) in late or _overdue(d, now),
        )
        for d in shown
    )
    return LogPage(entries=entries, page=page, per_page=per_page, has_next=len(rows) > per_page)


def count(core: Core, *, team_id: str, query: LogQuery, cap: int | None = None) -> int:
    """How many decisions of the log match `query`; with `cap`, at most cap + 1 are counted,
    so that a page of a very long log costs the same as one of a short log."""
    with read_scope(core.engine) as session:
        return log_rows.count_decisions(session=session, team_id=team_id, query=query, cap=cap)


def _overdue(decision: Decision, now: datetime) -> bool:
    """Still in force, and its review date passed more than the 3-day reminder ago."""
    return decision.status in log_rows.OPEN_STATUSES and decision.review_on < now - timedelta(
        days=3
    )


def due_query(core: Core, base: LogQuery | None = None) -> LogQuery:
    base = base or LogQuery()
    return LogQuery(
        channel_id=base.channel_id,
        owner_id=base.owner_id,
        statuses=base.statuses,
        due_by=core.clock.now() + DUE_SOON,
        words=base.words,
        since=base.since,
        hidden_channels=base.hidden_channels,
    )


@dataclass(frozen=True)
class DecisionRecord:
    """Everything the log keeps about one decision, as one person may see it.

    While an anonymous poll is open (`voters_hidden`), `votes` is empty, the history leaves the
    votes out and only `tally()` says how many voted what."""

    decision: Decision
    votes: tuple[Vote, ...]
    andon_pulls: tuple[AndonPull, ...]
    reviews: tuple[Review, ...]
    events: tuple[DecisionEvent, ...]
    narrative_title: str | None
    narrative_questions: int
    replaces_label: str | None
    replaced_by_label: str | None
    voters_hidden: bool = False
    hidden_tally: tuple[tuple[str, int], ...] = ()

    @property
    def label(self) -> str:
        return decision_label(self.decision.number)

    @property
    def current_votes(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if v.current)

    @property
    def dissent(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.current_votes if v.choice in log_rows.DISSENT_CHOICES)

    def tally(self) -> dict[str, int]:
        counts: dict[str, int] = {s: 0 for s in Stance}
        if self.voters_hidden:
            counts.update(dict(self.hidden_tally))
            return counts
        for vote in self.current_votes:
            counts[vote.choice] = counts.get(vote.choice, 0) + 1
        return counts


# History entries that say who voted what (hidden while an anonymous poll is open).
VOTE_EVENTS = ("vote", "vote_changed")
# A history entry naming the decision from a reflection round (shown to who sees that round).
REFLECTION_EVENT = "reflection_answer"


def voters_hidden(decision: Decision) -> bool:
    """Anonymous until the owner finalizes: nobody sees who voted what while it is open."""
    return decision.anonymous and decision.status == DecisionStatus.VOTING


def find_record(
    core: Core,
    *,
    team_id: str,
    viewer: Viewer,
    number: int | None = None,
    decision_id: int | None = None,
) -> DecisionRecord | None:
    """A full record by its number (D-42) or id, only within `team_id`, as `viewer` may see it:
    None for a decision in a channel they cannot see, as for one that does not exist."""
    with read_scope(core.engine) as session:
        if number is not None:
            decision = get_decision_by_number(session=session, team_id=team_id, number=number)
        else:
            decision = get_decision(session=session, team_id=team_id, decision_id=decision_id or 0)
        if decision is None:
            return None
        record = _record(session, team_id, decision)
        answer_channels = _reflection_channels(session, team_id, record.events)
    if not viewer.sees(decision.channel_id):
        return None
    # An answer given where the viewer cannot look (or in a round since deleted) is left out.
    seen = {c: viewer.sees(c) for c in set(answer_channels.values()) if c is not None}
    hidden = {e for e, c in answer_channels.items() if c is None or not seen[c]}
    if not hidden:
        return record
    return replace(record, events=tuple(e for e in record.events if int(e.id or 0) not in hidden))


def _reflection_channels(
    session: Session, team_id: str, events: tuple[DecisionEvent, ...]
) -> dict[int, str | None]:
    """Event id -> the channel of the reflection round an answer naming the decision was in
    (None: the round is gone)."""
    found: dict[int, str | None] = {}
    for event in events:
        if event.kind != REFLECTION_EVENT:
            continue
        try:
            round_id = int(json.loads(event.detail or "{}").get("round_id"))
        except (ValueError, TypeError, AttributeError):
            round_id = 0
        row = reflection_rows.get_round(session=session, team_id=team_id, round_id=round_id)
        found[int(event.id or 0)] = row.channel_id if row is not None else None
    return found


def _record(session: Session, team_id: str, decision: Decision) -> DecisionRecord:
    did = int(decision.id or 0)
    title, questions = None, 0
    if decision.narrative_id is not None:
        narrative = log_rows.narrative_of(
            session=session, team_id=team_id, narrative_id=decision.narrative_id
        )
        if narrative is not None:
            title = narrative.title
            questions = log_rows.question_count(
                session=session, team_id=team_id, narrative_id=decision.narrative_id
            )
    votes = tuple(log_rows.votes_of(session=session, team_id=team_id, decision_id=did))
    events = tuple(log_rows.events_of(session=session, team_id=team_id, decision_id=did))
    hidden = voters_hidden(decision)
    tally: tuple[tuple[str, int], ...] = ()
    if hidden:
        counts: dict[str, int] = {}
        for vote in votes:
            if vote.current:
                counts[vote.choice] = counts.get(vote.choice, 0) + 1
        tally = tuple(counts.items())
        votes = ()
        events = tuple(e for e in events if e.kind not in VOTE_EVENTS)
    return DecisionRecord(
        decision=decision,
        votes=votes,
        andon_pulls=tuple(
            log_rows.andon_pulls_of(session=session, team_id=team_id, decision_id=did)
        ),
        reviews=tuple(log_rows.reviews_of(session=session, team_id=team_id, decision_id=did)),
        events=events,
        narrative_title=title,
        narrative_questions=questions,
        replaces_label=_label_of(session, team_id, decision.replaces_id),
        replaced_by_label=_label_of(session, team_id, decision.replaced_by_id),
        voters_hidden=hidden,
        hidden_tally=tally,
    )


def _label_of(session: Session, team_id: str, decision_id: int | None) -> str | None:
    if decision_id is None:
        return None
    other = get_decision(session=session, team_id=team_id, decision_id=decision_id)
    return decision_label(other.number) if other is not None else None


def metrics(core: Core, *, team_id: str, period: timedelta = METRICS_PERIOD) -> LogMetrics:
    now = core.clock.now()
    with read_scope(core.engine) as session:
        # Cached per workspace for a minute (storage.log_summary.METRICS_CACHE_FOR).
        return log_summary.period_metrics(
            session=session, team_id=team_id, since=now - period, now=now
        )


def decision_channels(core: Core, *, team_id: str) -> list[str]:
    with read_scope(core.engine) as session:
        return log_rows.decision_channels(session=session, team_id=team_id)


# --- what people are shown ------------------------------------------------------------------

LIST_PAGE = 10
HOME_PAGE = 15


def entry_line(entry: LogEntry) -> EntryLine:
    d = entry.decision
    return EntryLine(
        decision_id=int(d.id or 0),
        label=entry.label,
        status=d.status,
        confidence=d.confidence,
        dissent_count=entry.dissent_count,
        review_on=d.review_on,
        overdue=entry.overdue,
        permalink=d.permalink,
        text=decision_text(d),
        owner=d.owner_id,
        place=d.channel_id,
    )


def page_lines(page: LogPage) -> PageLines:
    return PageLines(
        entries=tuple(entry_line(e) for e in page.entries),
        page=page.page,
        per_page=page.per_page,
        has_next=page.has_next,
    )


def metrics_view(found: LogMetrics) -> MetricsView:
    return MetricsView(
        decisions=found.decisions,
        reviews_due=found.reviews_due,
        reviews_on_time=found.reviews_on_time,
        median_confidence=found.median_confidence,
        with_dissent=found.with_dissent,
        reversed_or_amended=found.reversed_or_amended,
        readers_expected=found.readers_expected,
        readers_done=found.readers_done,
        narratives=found.narratives,
        questions=found.questions,
        calibration=tuple(
            OwnerCalibrationLine(
                owner=c.owner_id,
                reviews=c.reviews,
                recorded_confidence=c.recorded_confidence,
                actual_confidence=c.actual_confidence,
            )
            for c in found.calibration
        ),
        bands=tuple(BandLine(b.label, b.kept, b.amended, b.reversed) for b in found.bands),
    )


def _vote_line(vote: Vote) -> VoteLine:
    return VoteLine(
        person=vote.user_id,
        stance=vote.choice,
        reason=vote.reason,
        committed=vote.choice == Stance.DISAGREE_COMMIT or vote.committed_at is not None,
        cast_at=vote.cast_at,
    )


def record_view(record: DecisionRecord) -> RecordView:
    d = record.decision
    return RecordView(
        label=record.label,
        text=decision_text(d),
        proposal=d.proposal if d.final_text and d.final_text != d.proposal else None,
        status=d.status,
        owner=d.owner_id,
        confidence=d.confidence,
        confidence_note=confidence_note(d.confidence),
        door=d.door,
        review_on=d.review_on,
        created_at=d.created_at,
        decided_at=d.decided_at,
        place=d.channel_id,
        permalink=d.permalink,
        replaces=record.replaces_label,
        replaced_by=record.replaced_by_label,
        narrative_title=record.narrative_title,
        narrative_questions=record.narrative_questions,
        tally=tuple(record.tally().items()),
        show_tally=bool(record.votes) or record.voters_hidden,
        voters_hidden=record.voters_hidden,
        dissent=tuple(_vote_line(v) for v in record.dissent),
        changed_votes=tuple(_vote_line(v) for v in record.votes if not v.current),
        andon=tuple(
            AndonLine(
                person=p.user_id,
                pulled_at=p.pulled_at,
                reason=p.reason,
                resolution=(p.resolution or "") if p.resolved_at else None,
            )
            for p in record.andon_pulls
        ),
        reviews=tuple(
            ReviewLine(
                due_at=r.due_at,
                outcome=r.outcome,
                answered_by=r.answered_by,
                actual_confidence=r.actual_confidence,
                learned=r.learned,
                reminded=r.reminded_at is not None,
            )
            for r in record.reviews
        ),
        history=tuple(HistoryLine(e.at, e.user_id, e.kind, e.detail) for e in record.events),
    )


def hidden_from(core: Core, *, team_id: str, viewer: Viewer) -> frozenset[str]:
    """The log's places `viewer` may not see (private channels they are not in)."""
    return frozenset(c for c in decision_channels(core, team_id=team_id) if not viewer.sees(c))


def _listing_query(
    core: Core, listing: str, arg: str, viewer: Viewer, hidden: frozenset[str]
) -> tuple[Text, LogQuery]:
    if listing == Listing.SEARCH:
        words = search_words(arg)
        return text("Decisions matching “", arg, "”"), LogQuery(words=words, hidden_channels=hidden)
    if listing == Listing.DUE:
        return text("Reviews due or overdue"), due_query(core, LogQuery(hidden_channels=hidden))
    if listing == Listing.MINE:
        return text("Decisions you own"), LogQuery(owner_id=viewer.user_id, hidden_channels=hidden)
    if arg in hidden:
        # A private channel the person is not in shows as an empty list.
        return text("Latest decisions in ", Place(arg)), LogQuery(channel_id="-")
    return text("Latest decisions in ", Place(arg)), LogQuery(
        channel_id=arg, hidden_channels=hidden
    )


def list_page(
    core: Core, *, team_id: str, viewer: Viewer, listing: str, arg: str, page: int = 0
) -> LogListView:
    """A page of a `/decisions` list as `viewer` may see it. Raises InputTooLong for a search
    over the limit."""
    hidden = hidden_from(core, team_id=team_id, viewer=viewer)
    title, query = _listing_query(core, listing, arg, viewer, hidden)
    found = browse(core, team_id=team_id, query=query, page=page, per_page=LIST_PAGE)
    return LogListView(title=title, lines=page_lines(found), listing=listing, arg=arg)


def record_page(
    core: Core,
    *,
    team_id: str,
    viewer: Viewer,
    number: int | None = None,
    decision_id: int | None = None,
) -> RecordView | Notice:
    """One decision's full record (`D-42`), or a notice that there is none to show."""
    found = find_record(
        core, team_id=team_id, viewer=viewer, number=number, decision_id=decision_id
    )
    if found is None:
        label = decision_label(number) if number is not None else "That decision"
        return notice(f"There is no decision {label} in this workspace.")
    return record_view(found)


def stats(core: Core, *, team_id: str) -> MetricsView:
    return metrics_view(metrics(core, team_id=team_id))


def home_query(core: Core, filters: HomeFilters, hidden: frozenset[str]) -> LogQuery:
    query = LogQuery(
        channel_id=filters.channel_id,
        owner_id=filters.owner_id,
        statuses=(filters.status,) if filters.status else (),
        hidden_channels=hidden,
    )
    return due_query(core, query) if filters.due else query


def home(core: Core, *, team_id: str, viewer: Viewer, filters: HomeFilters) -> HomeView:
    """The Home tab's log as `viewer` may see it."""
    query = home_query(core, filters, hidden_from(core, team_id=team_id, viewer=viewer))
    found = browse(core, team_id=team_id, query=query, page=filters.page, per_page=HOME_PAGE)
    return HomeView(
        filters=filters,
        lines=page_lines(found),
        metrics=stats(core, team_id=team_id),
        total=count(core, team_id=team_id, query=query, cap=HOME_COUNT_CAP),
    )


def refilter_status(filters: HomeFilters, wanted: str | None) -> HomeFilters:
    """The Home tab's status filter; an unknown status (a tampered request) changes nothing."""
    if wanted in (None, "any"):
        return filters.with_(status=None)
    return filters.with_(status=wanted) if is_log_status(str(wanted)) else filters


# --- `/decisions log`: record, answer, announce ---------------------------------------------


def log_from_command(
    core: Core, *, team_id: str, channel_id: str | None, author: Viewer, text: str
) -> Logged | Notice:
    """Record a decision made elsewhere; a warning saying why when the text is not one."""
    try:
        return log_decision(
            core,
            team_id=team_id,
            channel_id=channel_id,
            author_id=author.user_id,
            text=text,
            viewer=author,
        )
    except ProposalError as exc:
        return warning(str(exc))


def logged_receipt(logged: Logged) -> LoggedReceipt:
    d = logged.decision
    return LoggedReceipt(
        label=decision_label(d.number),
        confidence=d.confidence,
        confidence_note=confidence_note(d.confidence),
        review_on=d.review_on,
    )


def announce_logged(
    core: Core,
    platform: ChatPlatform,
    logged: Logged,
    *,
    text: str,
    viewer_of: Callable[[str], Viewer],
) -> Notice | None:
    """After the author was answered: a review given as a day moves to 09:00 in their zone, the
    decision is announced in its place (whose thread gets the review notes), and the owner of a
    decision someone else superseded is told. A notice for the author when the announcement
    could not be posted (the decision is in the log either way)."""
    decision = logged.decision
    team, author = decision.team_id, decision.proposed_by
    day = review_day_in(text)
    if day is not None:
        decision = review_in_zone(
            core,
            team_id=team,
            decision_id=int(decision.id or 0),
            day=day,
            tz=platform.timezone(team, author),
        )
    label = decision_label(decision.number)
    failed = None
    if decision.channel_id:
        try:
            ref = platform.post(team, decision.channel_id, _logged_view(decision, author))
            set_record_message(
                core,
                team_id=team,
                decision_id=int(decision.id or 0),
                ts=ref.id,
                permalink=platform.permalink(team, ref),
            )
        except (PostFailed, PostUnconfirmed, Unreachable) as exc:
            log.warning("could not announce %s in %s: %s", label, decision.channel_id, exc)
            failed = notice(f"{label} is in the log, but I could not post it in this channel.")
    older = logged.superseded
    if older is not None and older.owner_id != author:
        sees = decision.channel_id is None or viewer_of(older.owner_id).sees(decision.channel_id)
        note = SupersededView(
            author=author,
            older_label=older.label,
            older_text=older.text,
            new_label=label,
            new_text=decision_text(decision) if sees else None,
        )
        try:
            platform.dm(team, older.owner_id, note)
        except (PostFailed, PostUnconfirmed, Unreachable):
            log.warning("could not tell the owner that %s was superseded", older.label)
    return failed


def _logged_view(decision: Decision, author: str) -> LoggedView:
    return LoggedView(
        author=author,
        label=decision_label(decision.number),
        text=decision_text(decision),
        owner=decision.owner_id,
        confidence=decision.confidence,
        confidence_note=confidence_note(decision.confidence),
        door=decision.door,
        review_on=decision.review_on,
    )
