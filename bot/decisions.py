"""Disagree-and-commit decisions: the poll, recorded dissent, the single owner, the Andon cord.

Every function here opens its own transaction, filters by workspace and returns a
`DecisionSnapshot` (the decision with its current votes and Andon state) for the platform
adapter to render. Errors a person should read are `DecisionError`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.core import Core
from bot.durations import parse_duration
from bot.inputs import bounded, is_slack_id, too_long
from bot.proposals import (
    ProposalError,
    ProposalOptions,
    confidence_note,
    default_review_on,
    parse_confidence,
    parse_door,
    parse_review,
)
from storage import andon as andon_rows
from storage import votes as vote_rows
from storage.db import read_scope, session_scope
from storage.decision_log import open_review
from storage.decisions import add_decision_event, decision_label, get_decision, insert_decision
from storage.models import Decision, DecisionEvent, Narrative
from storage.timers import cancel_timers, pending_timers

AGREE = "agree"
DISAGREE_COMMIT = "disagree_commit"
DISAGREE = "disagree"
CHOICES = (AGREE, DISAGREE_COMMIT, DISAGREE)
RESOLUTIONS = ("resume", "amend", "reverse")

POLL_CLOSE = "poll_close"
REVIEW_DUE = "review_due"
# ref_id: Decision.id. Votes change what the poll shows; adapters update it at once (and
# coalesce bursts), and this timer shows the stored votes again a little later, so that an
# update lost to a crash or to a Slack outage is made good (after a restart too).
SHOW_VOTES = "show_votes"
SHOW_VOTES_AFTER = timedelta(seconds=15)
# Looks for a poll whose post was never confirmed (Slack did not answer, or the bot died while
# posting) and posts it if it is missing; cancelled as soon as the poll's ts is known.
POLL_CONFIRM = "poll_confirm"
POLL_CONFIRM_AFTER = timedelta(minutes=1)

VOTING = "voting"
ACTIVE = "active"
HALTED = "halted"
REVERSED = "reversed"
UNDER_REVIEW = "under_review"
AMENDED = "amended"
SUPERSEDED = "superseded"

MAX_TEXT = 3000


class DecisionError(ValueError):
    """The action cannot be done; the message says why, for the person."""


class DecisionNotFound(DecisionError):
    def __init__(self) -> None:
        super().__init__("That decision was not found in this workspace.")


class DecisionIsFinal(DecisionError):
    """Voting or finalizing after the owner finalized."""


class NotAllowed(DecisionError):
    """Only the owner (or an admin) may do this."""


@dataclass(frozen=True)
class Ballot:
    """A person's current vote."""

    user_id: str
    choice: str
    reason: str | None
    cast_at: datetime
    committed_at: datetime | None

    @property
    def is_dissent(self) -> bool:
        return self.choice in (DISAGREE_COMMIT, DISAGREE)


@dataclass(frozen=True)
class AndonState:
    user_id: str
    reason: str
    pulled_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class DecisionSnapshot:
    """A decision as it stands: the row (detached), current votes and the latest Andon pull."""

    decision: Decision
    ballots: tuple[Ballot, ...]
    andon: AndonState | None
    # The number of the decision that replaced this one (a review's amend or reverse), if any.
    replaced_by_number: int | None = None
    # The title of the narrative the decision was proposed from (its digest's button), if any.
    narrative_title: str | None = None

    @property
    def id(self) -> int:
        return int(self.decision.id or 0)

    @property
    def label(self) -> str:
        return decision_label(self.decision.number)

    @property
    def is_voting(self) -> bool:
        return self.decision.status == VOTING

    @property
    def confidence_note(self) -> str | None:
        return confidence_note(self.decision.confidence)

    def voters(self, choice: str) -> tuple[str, ...]:
        return tuple(b.user_id for b in self.ballots if b.choice == choice)

    def count(self, choice: str) -> int:
        return len(self.voters(choice))

    @property
    def dissents(self) -> tuple[Ballot, ...]:
        return tuple(b for b in self.ballots if b.is_dissent)

    @property
    def uncommitted_dissenters(self) -> tuple[str, ...]:
        return tuple(b.user_id for b in self.dissents if b.committed_at is None)


@dataclass(frozen=True)
class VoteResult:
    snapshot: DecisionSnapshot
    recorded: bool  # False when the same vote was already counted (a double click or retry)


@dataclass(frozen=True)
class CommitResult:
    snapshot: DecisionSnapshot
    committed_at: datetime
    newly: bool


class FormError(ProposalError):
    """A proposal form value is wrong; `field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- reading ------------------------------------------------------------------------------------


def snapshot(*, session: Session, team_id: str, decision: Decision) -> DecisionSnapshot:
    decision_id = int(decision.id or 0)
    ballots = tuple(
        Ballot(
            user_id=v.user_id,
            choice=v.choice,
            reason=v.reason,
            cast_at=v.cast_at,
            committed_at=v.committed_at,
        )
        for v in vote_rows.current_votes(session=session, team_id=team_id, decision_id=decision_id)
    )
    pull = andon_rows.latest_pull(session=session, team_id=team_id, decision_id=decision_id)
    andon = (
        AndonState(
            user_id=pull.user_id,
            reason=pull.reason,
            pulled_at=pull.pulled_at,
            resolved_at=pull.resolved_at,
            resolved_by=pull.resolved_by,
            resolution=pull.resolution,
        )
        if pull is not None
        else None
    )
    replacement = (
        get_decision(session=session, team_id=team_id, decision_id=decision.replaced_by_id)
        if decision.replaced_by_id is not None
        else None
    )
    narrative = (
        session.get(Narrative, decision.narrative_id) if decision.narrative_id is not None else None
    )
    return DecisionSnapshot(
        decision=decision,
        ballots=ballots,
        andon=andon,
        replaced_by_number=replacement.number if replacement is not None else None,
        narrative_title=(
            narrative.title if narrative is not None and narrative.team_id == team_id else None
        ),
    )


def load(core: Core, *, team_id: str, decision_id: int) -> DecisionSnapshot:
    with read_scope(core.engine) as session:
        decision = get_decision(session=session, team_id=team_id, decision_id=decision_id)
        if decision is None:
            raise DecisionNotFound()
        return snapshot(session=session, team_id=team_id, decision=decision)


def _locked(session: Session, team_id: str, decision_id: int) -> Decision:
    decision = vote_rows.lock_decision(session=session, team_id=team_id, decision_id=decision_id)
    if decision is None:
        raise DecisionNotFound()
    return decision


def may_act_as_owner(decision: Decision, user_id: str, is_admin: bool) -> bool:
    return user_id == decision.owner_id or is_admin


# --- proposing ----------------------------------------------------------------------------------


def proposal_from_form(
    *,
    text: str,
    confidence: str | None,
    review_date: str | None,
    owner_id: str | None,
    door: str | None,
    closes: str | None,
    author_id: str,
    now: datetime,
    tz: str = "UTC",
) -> ProposalOptions:
    """The modal's fields as `ProposalOptions`; a wrong value raises `FormError` naming it."""
    proposal = " ".join((text or "").split())
    if not proposal:
        raise FormError("proposal", "Write what you propose to decide.")
    if (message := too_long(proposal, MAX_TEXT, "proposal")) is not None:
        raise FormError("proposal", message)
    if owner_id and not is_slack_id(owner_id):
        raise FormError("owner", "Pick the owner from the list of people.")
    try:
        conf = parse_confidence(confidence) if confidence else 70
    except ProposalError as exc:
        raise FormError("confidence", str(exc)) from None
    try:
        review_on = (
            parse_review(review_date, now=now, tz=tz)
            if review_date
            else default_review_on(conf, now)
        )
    except ProposalError as exc:
        raise FormError("review", str(exc)) from None
    try:
        door_value = parse_door(door) if door else "two-way"
    except ProposalError as exc:
        raise FormError("door", str(exc)) from None
    closes_at = None
    if closes and closes.strip():
        try:
            closes_in = parse_duration(closes)
        except ValueError:
            raise FormError(
                "closes",
                f"Write the voting time as a duration such as `2h` or `3d`, not `{closes}`.",
            ) from None
        if closes_in <= timedelta(0):
            raise FormError("closes", "The voting time must be longer than zero.")
        closes_at = now + closes_in
    return ProposalOptions(
        text=proposal,
        confidence=conf,
        review_on=review_on,
        owner_id=owner_id or author_id,
        door=door_value,
        closes_at=closes_at,
        review_given=bool(review_date),
    )


@dataclass(frozen=True)
class NarrativeRef:
    id: int
    channel_id: str
    title: str


def narrative_for_proposal(core: Core, *, team_id: str, narrative_id: int) -> NarrativeRef:
    """The narrative a decision is proposed from; it must belong to the same workspace."""
    with session_scope(core.engine) as session:
        narrative = session.get(Narrative, narrative_id)
        if narrative is None or narrative.team_id != team_id:
            raise DecisionError("That narrative was not found in this workspace.")
        return NarrativeRef(
            id=int(narrative.id or 0), channel_id=narrative.channel_id, title=narrative.title
        )


def propose(
    core: Core,
    *,
    team_id: str,
    channel_id: str,
    proposed_by: str,
    options: ProposalOptions,
    anonymous: bool = False,
    narrative_id: int | None = None,
) -> DecisionSnapshot:
    """Create a decision in voting; the adapter posts its poll and calls `poll_posted`."""
    bounded(options.text, MAX_TEXT, "proposal", DecisionError)
    if not is_slack_id(options.owner_id) or not is_slack_id(channel_id):
        raise DecisionError("Pick the owner from the list of people.")
    now = core.clock.now()
    with session_scope(core.engine) as session:
        if narrative_id is not None:
            narrative = session.get(Narrative, narrative_id)
            if narrative is None or narrative.team_id != team_id:
                raise DecisionError("That narrative was not found in this workspace.")
        decision = insert_decision(
            session=session,
            team_id=team_id,
            decision=Decision(
                team_id=team_id,
                number=0,
                channel_id=channel_id,
                owner_id=options.owner_id,
                proposed_by=proposed_by,
                proposal=options.text,
                confidence=options.confidence,
                door=options.door,
                review_on=options.review_on,
                closes_at=options.closes_at,
                anonymous=anonymous,
                status=VOTING,
                source="poll",
                narrative_id=narrative_id,
                created_at=now,
            ),
        )
        decision_id = int(decision.id or 0)
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            at=now,
            user_id=proposed_by,
            kind="proposed",
            detail={"proposal": options.text, "owner": options.owner_id},
        )
        if options.closes_at is not None:
            core.timers.add(
                session=session,
                team_id=team_id,
                kind=POLL_CLOSE,
                ref_id=decision_id,
                due_at=options.closes_at,
            )
        return snapshot(session=session, team_id=team_id, decision=decision)


def expect_poll(core: Core, *, team_id: str, decision_id: int) -> None:
    """Before the poll is posted: unless its ts is stored within a minute (Slack did not answer,
    or the process died while posting), a durable timer looks for it and posts it if missing."""
    with session_scope(core.engine) as session:
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=POLL_CONFIRM,
            ref_id=decision_id,
            due_at=core.clock.now() + POLL_CONFIRM_AFTER,
        )


def poll_posted(core: Core, *, team_id: str, decision_id: int, poll_ts: str) -> None:
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        decision.poll_ts = poll_ts
        session.add(decision)
        cancel_timers(session=session, team_id=team_id, kind=POLL_CONFIRM, ref_id=decision_id)


def set_review_on(
    core: Core, *, team_id: str, decision_id: int, review_on: datetime
) -> DecisionSnapshot:
    """Move a decision's review date while it is voted on (the proposer's time zone is known
    only after their form was answered)."""
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        if decision.status == VOTING:
            decision.review_on = review_on
            session.add(decision)
        return snapshot(session=session, team_id=team_id, decision=decision)


def poll_to_confirm(core: Core, *, team_id: str, decision_id: int) -> DecisionSnapshot | None:
    """A decision whose poll may be missing in its channel (its ts never stored), else None."""
    try:
        snap = load(core, team_id=team_id, decision_id=decision_id)
    except DecisionNotFound:
        return None  # discarded: its post failed and the person was told
    if snap.decision.poll_ts is not None or not snap.decision.channel_id:
        return None
    return snap


def discard(core: Core, *, team_id: str, decision_id: int) -> None:
    """Remove a decision whose poll could not be posted, so nothing is left half-written."""
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        if decision.poll_ts is not None or decision.status != VOTING:
            return
        cancel_timers(session=session, team_id=team_id, kind=POLL_CLOSE, ref_id=decision_id)
        cancel_timers(session=session, team_id=team_id, kind=POLL_CONFIRM, ref_id=decision_id)
        events = session.exec(
            select(DecisionEvent).where(
                DecisionEvent.team_id == team_id, DecisionEvent.decision_id == decision_id
            )
        )
        for event in events:
            session.delete(event)
        session.flush()
        session.delete(decision)


# --- voting -------------------------------------------------------------------------------------


def _required_text(value: str | None, when_empty: str, what: str) -> str:
    """The text a person typed, trimmed; DecisionError when it is empty or too long."""
    text = (value or "").strip()
    if not text:
        raise DecisionError(when_empty)
    return bounded(text, MAX_TEXT, what, DecisionError)


def _clean_reason(reason: str | None) -> str | None:
    value = (reason or "").strip()
    return value or None


def cast_vote(
    core: Core,
    *,
    team_id: str,
    decision_id: int,
    user_id: str,
    choice: str,
    reason: str | None = None,
) -> VoteResult:
    """Count `user_id`'s vote (replacing their previous one). The same vote again adds nothing."""
    if choice not in CHOICES:
        raise DecisionError(f"Unknown choice `{choice}`.")
    reason = _clean_reason(reason) if choice != AGREE else None
    if choice != AGREE and reason is None:
        raise DecisionError("Please give a reason for disagreeing.")
    if reason is not None:
        bounded(reason, MAX_TEXT, "reason", DecisionError)
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        if decision.status != VOTING:
            raise DecisionIsFinal(
                f"{decision_label(decision.number)} is final; votes are no longer counted."
            )
        previous = vote_rows.current_vote(
            session=session, team_id=team_id, decision_id=decision_id, user_id=user_id
        )
        recorded = previous is None or (previous.choice, previous.reason) != (choice, reason)
        if recorded:
            vote_rows.add_vote(
                session=session,
                team_id=team_id,
                decision_id=decision_id,
                user_id=user_id,
                choice=choice,
                reason=reason,
                at=now,
            )
            add_decision_event(
                session=session,
                team_id=team_id,
                decision_id=decision_id,
                at=now,
                user_id=user_id,
                kind="vote_changed" if previous is not None else "vote",
                detail={
                    "choice": choice,
                    "reason": reason,
                    "previous": previous.choice if previous is not None else None,
                },
            )
            # The decision row is locked, so one pending timer serves every vote of a burst.
            if not pending_timers(
                session=session, team_id=team_id, kind=SHOW_VOTES, ref_id=decision_id
            ):
                core.timers.add(
                    session=session,
                    team_id=team_id,
                    kind=SHOW_VOTES,
                    ref_id=decision_id,
                    due_at=now + SHOW_VOTES_AFTER,
                )
    # Read after the write transaction: the vote's lock is held no longer than storing takes.
    return VoteResult(load(core, team_id=team_id, decision_id=decision_id), recorded)


# --- finalizing ---------------------------------------------------------------------------------


def check_can_finalize(
    core: Core, *, team_id: str, decision_id: int, user_id: str, is_admin: bool
) -> DecisionSnapshot:
    """Raise unless `user_id` may finalize the decision now."""
    snap = load(core, team_id=team_id, decision_id=decision_id)
    _ensure_can_finalize(snap.decision, user_id, is_admin)
    return snap


def _ensure_can_finalize(decision: Decision, user_id: str, is_admin: bool) -> None:
    label = decision_label(decision.number)
    if decision.status != VOTING:
        raise DecisionIsFinal(f"{label} is already final.")
    if not may_act_as_owner(decision, user_id, is_admin):
        raise NotAllowed(
            f"Only the owner of {label}, <@{decision.owner_id}>, or a workspace admin can "
            "finalize it."
        )


def finalize(
    core: Core,
    *,
    team_id: str,
    decision_id: int,
    user_id: str,
    is_admin: bool,
    final_text: str,
    permalink: str | None = None,
) -> DecisionSnapshot:
    """The owner states the decision: voting ends, the review is scheduled."""
    text = _required_text(final_text, "Write the decision as it stands.", "decision")
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        _ensure_can_finalize(decision, user_id, is_admin)
        decision.status = ACTIVE
        decision.final_text = text
        decision.decided_at = now
        if permalink:
            decision.permalink = permalink
        session.add(decision)
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            at=now,
            user_id=user_id,
            kind="finalized",
            detail={"final_text": text, "as_admin": user_id != decision.owner_id},
        )
        cancel_timers(session=session, team_id=team_id, kind=POLL_CLOSE, ref_id=decision_id)
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=REVIEW_DUE,
            ref_id=decision_id,
            due_at=decision.review_on,
        )
        return snapshot(session=session, team_id=team_id, decision=decision)


def record_posted(
    core: Core,
    *,
    team_id: str,
    decision_id: int,
    record_ts: str | None,
    permalink: str | None,
) -> None:
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        if record_ts:
            decision.record_ts = record_ts
        if permalink:
            decision.permalink = permalink
        session.add(decision)


def poll_deadline(core: Core, *, team_id: str, decision_id: int) -> DecisionSnapshot | None:
    """The voting deadline came: the decision if it still waits for its owner, else None."""
    with session_scope(core.engine) as session:
        decision = get_decision(session=session, team_id=team_id, decision_id=decision_id)
        if decision is None or decision.status != VOTING:
            return None
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            at=core.clock.now(),
            kind="voting_deadline",
        )
        return snapshot(session=session, team_id=team_id, decision=decision)


# --- committing ---------------------------------------------------------------------------------


def commit(core: Core, *, team_id: str, decision_id: int, user_id: str) -> CommitResult:
    """A dissenter disagrees and commits: the time is kept on their vote."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        label = decision_label(decision.number)
        if decision.status == VOTING:
            raise DecisionError(f"{label} is not final yet; vote *Disagree, but commit* instead.")
        vote = vote_rows.current_vote(
            session=session, team_id=team_id, decision_id=decision_id, user_id=user_id
        )
        if vote is None or not vote.choice.startswith("disagree"):
            raise DecisionError(f"You did not vote Disagree on {label}.")
        newly = vote.committed_at is None
        if newly:
            vote.committed_at = now
            session.add(vote)
            add_decision_event(
                session=session,
                team_id=team_id,
                decision_id=decision_id,
                at=now,
                user_id=user_id,
                kind="committed",
            )
        committed_at = vote.committed_at or now
        return CommitResult(
            snapshot(session=session, team_id=team_id, decision=decision), committed_at, newly
        )


# --- the Andon cord -----------------------------------------------------------------------------


def pull_andon(
    core: Core, *, team_id: str, decision_id: int, user_id: str, reason: str
) -> DecisionSnapshot:
    """Anyone halts a final decision, with a reason, until its owner resolves it."""
    text = _required_text(reason, "Please say why you are pulling the Andon cord.", "reason")
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        label = decision_label(decision.number)
        if decision.status == VOTING:
            raise DecisionError(f"{label} is still being voted on; vote *Disagree* instead.")
        pulled = andon_rows.open_pull(session=session, team_id=team_id, decision_id=decision_id)
        if pulled is not None or decision.status == HALTED:
            who = f" by <@{pulled.user_id}>" if pulled is not None else ""
            raise DecisionError(f"{label} is already halted{who}; its owner has been notified.")
        if decision.status not in (ACTIVE, UNDER_REVIEW):
            raise DecisionError(f"{label} has been {decision.status}; there is nothing to halt.")
        andon_rows.add_pull(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            user_id=user_id,
            reason=text,
            at=now,
        )
        decision.status = HALTED
        session.add(decision)
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            at=now,
            user_id=user_id,
            kind="andon_pulled",
            detail={"reason": text},
        )
        return snapshot(session=session, team_id=team_id, decision=decision)


def resolve_andon(
    core: Core,
    *,
    team_id: str,
    decision_id: int,
    user_id: str,
    is_admin: bool,
    resolution: str,
    new_text: str | None = None,
) -> DecisionSnapshot:
    """The owner resumes, amends (new wording) or reverses a halted decision."""
    if resolution not in RESOLUTIONS:
        raise DecisionError(f"Unknown resolution `{resolution}`.")
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        label = decision_label(decision.number)
        if not may_act_as_owner(decision, user_id, is_admin):
            raise NotAllowed(
                f"Only the owner of {label}, <@{decision.owner_id}>, or a workspace admin can "
                "resolve the Andon cord."
            )
        pull = andon_rows.open_pull(session=session, team_id=team_id, decision_id=decision_id)
        if pull is None or decision.status != HALTED:
            raise DecisionError(f"{label} is not halted.")
        detail: dict[str, str | None] = {"resolution": resolution}
        if resolution == "amend":
            text = _required_text(new_text, "Write the amended decision.", "decision")
            detail.update(previous=decision.final_text, final_text=text)
            decision.final_text = text
            decision.status = _in_force_status(session, decision)
        elif resolution == "reverse":
            decision.status = REVERSED
            # A reversed decision has nothing left to review.
            cancel_timers(session=session, team_id=team_id, kind=REVIEW_DUE, ref_id=decision_id)
        else:
            decision.status = _in_force_status(session, decision)
        pull.resolved_at = now
        pull.resolved_by = user_id
        pull.resolution = resolution
        session.add(pull)
        session.add(decision)
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            at=now,
            user_id=user_id,
            kind="andon_resolved",
            detail=detail,
        )
        return snapshot(session=session, team_id=team_id, decision=decision)


def _in_force_status(session: Session, decision: Decision) -> str:
    """Back in force after a halt: still under review if its review was sent and is unanswered."""
    pending = open_review(
        session=session,
        team_id=decision.team_id,
        decision_id=int(decision.id or 0),
        due_at=decision.review_on,
    )
    return UNDER_REVIEW if pending is not None else ACTIVE
