"""Disagree-and-commit decisions: the poll, recorded dissent, the single owner, the Andon cord.

The data functions open their own transaction, filter by workspace and return a
`DecisionSnapshot` (the decision with its current votes and Andon state). The flows below them
(`propose_and_post`, `vote`, `publish_final`, the Andon cord, the timers) talk to the chat
platform through the port (`core.platform_for(team)`) with the neutral views of
`bot.views.decisions`, and return what answers a click. Errors a person should read are
`DecisionError`s, whose `body` is neutral text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from bot.durations import parse_duration
from bot.inputs import bounded, is_slack_id, too_long
from bot.port import MessageRef, PostFailed, PostUnconfirmed, Unreachable
from bot.proposals import (
    ProposalError,
    ProposalOptions,
    confidence_note,
    default_review_on,
    parse_confidence,
    parse_door,
    parse_proposal,
    parse_review,
)
from bot.views import (
    Code,
    Inline,
    Notice,
    OpenForm,
    Person,
    ReplaceCard,
    Reply,
    Strong,
    Text,
    Tone,
    plain,
    text,
    warning,
)
from bot.views import notice as info
from bot.views.decisions import (
    IN_FORCE,
    MAX_TEXT,
    STANCES,
    AmendForm,
    AndonAlert,
    AndonForm,
    AndonResolved,
    AndonState,
    Ballot,
    CommitRequest,
    Committed,
    DecisionCard,
    FinalizeForm,
    PollNotPosted,
    PollUnconfirmed,
    ProposeForm,
    ReasonForm,
    Record,
    Refusal,
    Resolution,
    VotingOver,
    poll_message,
)
from bot.vocabulary import DecisionStatus, Stance, TimerKind
from storage import andon as andon_rows
from storage import votes as vote_rows
from storage.db import read_scope, session_scope
from storage.decision_log import open_review
from storage.decisions import add_decision_event, decision_label, get_decision, insert_decision
from storage.models import Decision, DecisionEvent, Narrative, Timer
from storage.timers import cancel_timers, pending_timers

if TYPE_CHECKING:  # bot.core registers this module's timers
    from bot.core import Core

log = logging.getLogger(__name__)

# Votes change what the poll shows; platforms update it at once (and coalesce bursts), and the
# SHOW_VOTES timer (ref_id: Decision.id) shows the stored votes again a little later, so that an
# update lost to a crash or to an outage is made good (after a restart too).
SHOW_VOTES_AFTER = timedelta(seconds=15)
# POLL_CONFIRM looks for a poll whose post was never confirmed (the platform did not answer, or
# the bot died while posting) and posts it if it is missing; cancelled once the poll's id is known.
POLL_CONFIRM_AFTER = timedelta(minutes=1)


class DecisionError(ValueError):
    """The action cannot be done; `body` says why, for the person (neutral text, no markup)."""

    def __init__(self, *parts: Inline) -> None:
        self.body: Text = text(*parts)
        super().__init__(plain(self.body))

    @property
    def notice(self) -> Notice:
        return Notice(self.body, Tone.WARNING)


class DecisionNotFound(DecisionError):
    def __init__(self) -> None:
        super().__init__("That decision was not found in this workspace.")


class DecisionIsFinal(DecisionError):
    """Voting or finalizing after the owner finalized."""

    def __init__(self, label: str, rest: str) -> None:
        super().__init__(f"{label} {rest}")
        self.label = label


class NotAllowed(DecisionError):
    """Only the owner (or an admin) may do this: `what` it is ("finalize it")."""

    def __init__(self, *, label: str, owner: str, what: str) -> None:
        super().__init__(
            f"Only the owner of {label}, ", Person(owner), f", or a workspace admin can {what}."
        )
        self.label, self.owner, self.what = label, owner, what


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
        return self.decision.status == DecisionStatus.VOTING

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

    @property
    def card(self) -> DecisionCard:
        """The decision as every message about it shows it."""
        d = self.decision
        return DecisionCard(
            id=self.id,
            label=self.label,
            status=DecisionStatus(d.status),
            proposal=d.proposal,
            final_text=d.final_text,
            owner_id=d.owner_id,
            proposed_by=d.proposed_by,
            confidence=d.confidence,
            confidence_note=self.confidence_note,
            door=d.door,
            review_on=d.review_on,
            closes_at=d.closes_at,
            anonymous=d.anonymous,
            decided_at=d.decided_at,
            permalink=d.permalink,
            ballots=self.ballots,
            andon=self.andon,
            narrative_title=self.narrative_title,
            replaced_by_label=(
                decision_label(self.replaced_by_number)
                if self.replaced_by_number is not None
                else None
            ),
        )


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
            choice=Stance(v.choice),
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
                status=DecisionStatus.VOTING,
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
                kind=TimerKind.POLL_CLOSE,
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
            kind=TimerKind.POLL_CONFIRM,
            ref_id=decision_id,
            due_at=core.clock.now() + POLL_CONFIRM_AFTER,
        )


def poll_posted(core: Core, *, team_id: str, decision_id: int, poll_ts: str) -> bool:
    """Remember where the poll is; True when votes came in while it was unknown."""
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        decision.poll_ts = poll_ts
        session.add(decision)
        cancel_timers(
            session=session, team_id=team_id, kind=TimerKind.POLL_CONFIRM, ref_id=decision_id
        )
        return bool(
            vote_rows.current_votes(session=session, team_id=team_id, decision_id=decision_id)
        )


def set_review_on(
    core: Core, *, team_id: str, decision_id: int, review_on: datetime
) -> DecisionSnapshot:
    """Move a decision's review date while it is voted on (the proposer's time zone is known
    only after their form was answered)."""
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        if decision.status == DecisionStatus.VOTING:
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
        if decision.poll_ts is not None or decision.status != DecisionStatus.VOTING:
            return
        cancel_timers(
            session=session, team_id=team_id, kind=TimerKind.POLL_CLOSE, ref_id=decision_id
        )
        cancel_timers(
            session=session, team_id=team_id, kind=TimerKind.POLL_CONFIRM, ref_id=decision_id
        )
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


@dataclass(frozen=True)
class _Stored:
    """A vote just stored, and where its decision is shown (read under the vote's lock)."""

    recorded: bool
    label: str
    anonymous: bool
    messages: tuple[MessageRef, ...]


def _check_vote(choice: str, reason: str | None) -> str | None:
    """The reason to store with `choice`; DecisionError when the vote cannot be counted."""
    if choice not in STANCES:
        raise DecisionError("Unknown choice ", Code(choice), ".")
    reason = _clean_reason(reason) if choice != Stance.AGREE else None
    if choice != Stance.AGREE and reason is None:
        raise DecisionError("Please give a reason for disagreeing.")
    if reason is not None:
        bounded(reason, MAX_TEXT, "reason", DecisionError)
    return reason


def _store_vote(
    core: Core, *, team_id: str, decision_id: int, user_id: str, choice: str, reason: str | None
) -> _Stored:
    reason = _check_vote(choice, reason)
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        label = decision_label(decision.number)
        if decision.status != DecisionStatus.VOTING:
            raise DecisionIsFinal(label, "is final; votes are no longer counted.")
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
                # Disagree-and-commit commits at the moment of voting.
                committed_at=now if choice == Stance.DISAGREE_COMMIT else None,
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
                session=session, team_id=team_id, kind=TimerKind.SHOW_VOTES, ref_id=decision_id
            ):
                core.timers.add(
                    session=session,
                    team_id=team_id,
                    kind=TimerKind.SHOW_VOTES,
                    ref_id=decision_id,
                    due_at=now + SHOW_VOTES_AFTER,
                )
        return _Stored(recorded, label, decision.anonymous, _refs(decision))


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
    stored = _store_vote(
        core,
        team_id=team_id,
        decision_id=decision_id,
        user_id=user_id,
        choice=choice,
        reason=reason,
    )
    # Read after the write transaction: the vote's lock is held no longer than storing takes.
    return VoteResult(load(core, team_id=team_id, decision_id=decision_id), stored.recorded)


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
    if decision.status != DecisionStatus.VOTING:
        raise DecisionIsFinal(label, "is already final.")
    if not may_act_as_owner(decision, user_id, is_admin):
        raise NotAllowed(label=label, owner=decision.owner_id, what="finalize it")


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
        decision.status = DecisionStatus.ACTIVE
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
        cancel_timers(
            session=session, team_id=team_id, kind=TimerKind.POLL_CLOSE, ref_id=decision_id
        )
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=TimerKind.REVIEW_DUE,
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
        if decision is None or decision.status != DecisionStatus.VOTING:
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
        if decision.status == DecisionStatus.VOTING:
            raise DecisionError(
                f"{label} is not final yet; vote ", Strong("Disagree, but commit"), " instead."
            )
        vote = vote_rows.current_vote(
            session=session, team_id=team_id, decision_id=decision_id, user_id=user_id
        )
        if vote is None or vote.choice not in (Stance.DISAGREE, Stance.DISAGREE_COMMIT):
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
        if decision.status == DecisionStatus.VOTING:
            raise DecisionError(
                f"{label} is still being voted on; vote ", Strong("Disagree"), " instead."
            )
        pulled = andon_rows.open_pull(session=session, team_id=team_id, decision_id=decision_id)
        if pulled is not None or decision.status == DecisionStatus.HALTED:
            raise already_halted(label, pulled.user_id if pulled is not None else None)
        if decision.status not in IN_FORCE:
            raise nothing_to_halt(label, decision.status)
        andon_rows.add_pull(
            session=session,
            team_id=team_id,
            decision_id=decision_id,
            user_id=user_id,
            reason=text,
            at=now,
        )
        decision.status = DecisionStatus.HALTED
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
    if resolution not in tuple(Resolution):
        raise DecisionError("Unknown resolution ", Code(resolution), ".")
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = _locked(session, team_id, decision_id)
        label = decision_label(decision.number)
        if not may_act_as_owner(decision, user_id, is_admin):
            raise NotAllowed(label=label, owner=decision.owner_id, what="resolve the Andon cord")
        pull = andon_rows.open_pull(session=session, team_id=team_id, decision_id=decision_id)
        if pull is None or decision.status != DecisionStatus.HALTED:
            raise not_halted(label)
        detail: dict[str, str | None] = {"resolution": resolution}
        if resolution == Resolution.AMEND:
            text = _required_text(new_text, "Write the amended decision.", "decision")
            detail.update(previous=decision.final_text, final_text=text)
            decision.final_text = text
            decision.status = _in_force_status(session, decision)
        elif resolution == Resolution.REVERSE:
            decision.status = DecisionStatus.REVERSED
            # A reversed decision has nothing left to review.
            cancel_timers(
                session=session, team_id=team_id, kind=TimerKind.REVIEW_DUE, ref_id=decision_id
            )
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


def already_halted(label: str, by: str | None) -> DecisionError:
    who: tuple[Inline, ...] = (" by ", Person(by)) if by else ()
    return DecisionError(f"{label} is already halted", *who, "; its owner has been notified.")


def nothing_to_halt(label: str, status: str) -> DecisionError:
    return DecisionError(f"{label} has been {status}; there is nothing to halt.")


def not_halted(label: str) -> DecisionError:
    return DecisionError(f"{label} is not halted.")


def _in_force_status(session: Session, decision: Decision) -> str:
    """Back in force after a halt: still under review if its review was sent and is unanswered."""
    pending = open_review(
        session=session,
        team_id=decision.team_id,
        decision_id=int(decision.id or 0),
        due_at=decision.review_on,
    )
    return DecisionStatus.UNDER_REVIEW if pending is not None else DecisionStatus.ACTIVE


# === the flows: the data functions above, the platform through the port ======================
#
# Each returns what answers the person (a notice, a form to open, the card to replace) and
# posts or updates through `core.platform_for(team)`. Work that must be durable before the
# platform hears "ok" (a vote, a commit) is done by the function called before acknowledging.


DecisionNotice = Notice | PollNotPosted | PollUnconfirmed


def _refs(decision: Decision) -> tuple[MessageRef, ...]:
    """The decision's messages in its channel: the poll, then the record in its thread."""
    if not decision.channel_id:
        return ()
    return tuple(
        MessageRef(decision.channel_id, ts) for ts in (decision.poll_ts, decision.record_ts) if ts
    )


def _latest(core: Core, team_id: str, decision_id: int, *, record: bool) -> object | None:
    """What a decision message shows now (read when the platform sends the update)."""
    try:
        card = load(core, team_id=team_id, decision_id=decision_id).card
    except DecisionNotFound:
        return None
    return Record(card) if record else poll_message(card)


def _show(
    core: Core, team_id: str, decision_id: int, refs: tuple[MessageRef, ...], *, wait: bool = False
) -> None:
    platform = core.platform_for(team_id)
    for i, ref in enumerate(refs):
        latest = partial(_latest, core, team_id, decision_id, record=i > 0)
        platform.update(team_id, ref, latest, wait=wait)


def show(core: Core, *, team_id: str, decision_id: int, wait: bool = False) -> None:
    """Bring the poll and the record up to date (bursts coalesced per message). `wait`: now, in
    turn with the messages' other updates, errors reaching the caller."""
    try:
        snap = load(core, team_id=team_id, decision_id=decision_id)
    except DecisionNotFound:
        return
    _show(core, team_id, decision_id, _refs(snap.decision), wait=wait)


# --- proposing and posting the poll ------------------------------------------------------------


def check_proposal(core: Core, *, text: str, user_id: str) -> ProposalOptions:
    """`/decide`'s text, checked before acknowledging (ProposalError says what is wrong)."""
    return parse_proposal(text, author_id=user_id, now=core.clock.now())


def propose_form(*, user_id: str, place: str) -> Reply:
    """The proposal form, opened in a channel."""
    return OpenForm(ProposeForm(owner_id=user_id, place=place))


def propose_about(core: Core, *, team_id: str, user_id: str, narrative_id: int | None) -> Reply:
    """The proposal form, opened from a narrative's digest (the poll goes to its channel)."""
    try:
        if narrative_id is None:
            raise DecisionError("That narrative was not found in this workspace.")
        found = narrative_for_proposal(core, team_id=team_id, narrative_id=narrative_id)
    except DecisionError as exc:
        return exc.notice
    return OpenForm(
        ProposeForm(
            owner_id=user_id,
            place=found.channel_id,
            narrative_id=found.id,
            narrative_title=found.title,
        )
    )


def _post_poll(core: Core, snap: DecisionSnapshot, *, retry: bool = False) -> MessageRef:
    """Post the poll in the decision's channel and remember where it is. Raises `PostFailed`,
    `PostUnconfirmed` (the POLL_CONFIRM timer looks again later). `retry`: look first."""
    d = snap.decision
    if not retry:
        expect_poll(core, team_id=d.team_id, decision_id=snap.id)
    platform = core.platform_for(d.team_id)
    ref = platform.post(
        d.team_id,
        str(d.channel_id),
        poll_message(snap.card),
        key=f"poll:{snap.id}",
        look_first=retry,
    )
    if poll_posted(core, team_id=d.team_id, decision_id=snap.id, poll_ts=ref.id):
        # Votes came in while the poll's id was unknown (the platform was slow): show them.
        _show(core, d.team_id, snap.id, (ref,))
    return ref


def _publish_new(core: Core, snap: DecisionSnapshot, *, yours: bool) -> DecisionNotice | None:
    """Post a new poll; when the platform refuses, the decision is discarded (nothing is left
    half-written) and the notice says why."""
    d = snap.decision
    try:
        _post_poll(core, snap)
    except (PostUnconfirmed, Unreachable):
        return PollUnconfirmed()
    except PostFailed as exc:
        discard(core, team_id=d.team_id, decision_id=snap.id)
        log.warning("could not post poll in %s: %s", d.channel_id, exc.reason)
        return PollNotPosted(exc.reason, str(d.channel_id), yours=yours)
    return None


def decide(
    core: Core, *, team_id: str, channel_id: str, user_id: str, text: str
) -> DecisionNotice | None:
    """`/decide` with a proposal, after acknowledging: create the decision and post its poll.
    A review day is read in the proposer's time zone (asking the platform may be slow)."""
    options = check_proposal(core, text=text, user_id=user_id)
    if options.review_day is not None:
        tz = core.platform_for(team_id).timezone(team_id, user_id)
        try:
            options = parse_proposal(text, author_id=user_id, now=core.clock.now(), tz=tz)
        except ProposalError as exc:
            return warning(str(exc))
    try:
        snap = propose(
            core, team_id=team_id, channel_id=channel_id, proposed_by=user_id, options=options
        )
    except DecisionError as exc:
        return exc.notice
    return _publish_new(core, snap, yours=False)


@dataclass(frozen=True)
class ProposalValues:
    """The proposal form as submitted (every field as the person left it)."""

    text: str
    confidence: str | None
    review_date: str | None
    owner_id: str | None
    door: str | None
    closes: str | None
    anonymous: bool
    channel_id: str | None
    narrative_id: int | None


def _options_in(core: Core, values: ProposalValues, user_id: str, tz: str) -> ProposalOptions:
    return proposal_from_form(
        text=values.text,
        confidence=values.confidence,
        review_date=values.review_date,
        owner_id=values.owner_id,
        door=values.door,
        closes=values.closes,
        author_id=user_id,
        now=core.clock.now(),
        tz=tz,
    )


@dataclass(frozen=True)
class Afterwards:
    """What is left to do after acknowledging, in `place`'s turn (its messages' order);
    `run` returns what to tell the person, if anything."""

    place: str
    run: Callable[[], object | None]


def submit_proposal(
    core: Core, *, team_id: str, user_id: str, values: ProposalValues
) -> Afterwards:
    """The proposal form, before acknowledging: the decision is stored (`FormError` or
    `DecisionError` when it cannot be). Returns the rest, to run after acknowledging: the
    review date moved to the proposer's time zone, then the poll posted."""
    # The person's time zone is asked for after the acknowledgement (the platform may be slow).
    options = _options_in(core, values, user_id, "UTC")
    if not values.channel_id:
        raise FormError("proposal", "Open this form from a channel with /decide.")
    snap = propose(
        core,
        team_id=team_id,
        channel_id=values.channel_id,
        proposed_by=user_id,
        options=options,
        anonymous=values.anonymous,
        narrative_id=values.narrative_id,
    )

    def post() -> object | None:
        nonlocal snap
        if values.review_date:
            tz = core.platform_for(team_id).timezone(team_id, user_id)
            try:
                zoned = _options_in(core, values, user_id, tz)
            except FormError:
                zoned = options  # e.g. today's date, already past 09:00 there: keep it
            if zoned.review_on != options.review_on:
                snap = set_review_on(
                    core, team_id=team_id, decision_id=snap.id, review_on=zoned.review_on
                )
        return _publish_new(core, snap, yours=True)

    return Afterwards(values.channel_id, post)


# --- voting --------------------------------------------------------------------------------


def _final_note(label: str) -> Notice:
    return info(
        f"{label} is final; votes are no longer counted. The record is in the poll's thread."
    )


def vote(
    core: Core,
    *,
    team_id: str,
    decision_id: int | None,
    user_id: str,
    choice: str,
    reason: str | None = None,
) -> Notice | None:
    """Store a vote (before acknowledging: an answered click is a vote on disk) and show it on
    the poll; the decision is read once more, when the platform sends the update. Returns
    what to tell the voter, if anything. A reason form raises instead (see `vote_with_reason`)."""
    try:
        if decision_id is None:
            raise DecisionNotFound()
        stored = _store_vote(
            core,
            team_id=team_id,
            decision_id=decision_id,
            user_id=user_id,
            choice=choice,
            reason=reason,
        )
    except DecisionIsFinal as exc:
        return _final_note(exc.label)
    except DecisionError as exc:
        return exc.notice
    if not stored.recorded:
        return None
    _show(core, team_id, decision_id, stored.messages)
    if stored.anonymous:
        return info(f"Your vote on {stored.label} is counted: ", Strong("Agree"), ".")
    return None


def vote_with_reason(
    core: Core,
    *,
    team_id: str,
    decision_id: int | None,
    user_id: str,
    choice: str,
    reason: str | None,
) -> None:
    """The reason form's vote: a DecisionError keeps the form open with its words."""
    if decision_id is None:
        raise DecisionNotFound()
    stored = _store_vote(
        core,
        team_id=team_id,
        decision_id=decision_id,
        user_id=user_id,
        choice=choice,
        reason=reason,
    )
    if stored.recorded:
        _show(core, team_id, decision_id, stored.messages)


def ask_reason(core: Core, *, team_id: str, decision_id: int | None, choice: str) -> Reply:
    """A disagreeing vote first asks why (the form must open at once: no queueing)."""
    try:
        if decision_id is None:
            raise DecisionNotFound()
        snap = load(core, team_id=team_id, decision_id=decision_id)
    except DecisionError as exc:
        return exc.notice
    if not snap.is_voting:
        return _final_note(snap.label)
    return OpenForm(ReasonForm(snap.card, choice))


# --- finalizing ------------------------------------------------------------------------------


def _load_or_notice(core: Core, team_id: str, decision_id: int | None) -> DecisionSnapshot:
    if decision_id is None:
        raise DecisionNotFound()
    return load(core, team_id=team_id, decision_id=decision_id)


def _acts_as_owner(core: Core, snap: DecisionSnapshot, user_id: str) -> bool:
    """The owner, a configured admin, or (asking the platform) a workspace admin."""
    if user_id == snap.decision.owner_id or user_id in core.admin_user_ids:
        return True
    team_id = snap.decision.team_id
    return core.platform_for(team_id).is_admin(team_id, user_id)


def open_finalize(core: Core, *, team_id: str, decision_id: int | None, user_id: str) -> Reply:
    """The Finalize button: the owner's form, or why not."""
    try:
        snap = _load_or_notice(core, team_id, decision_id)
    except DecisionError as exc:
        return exc.notice
    try:
        _ensure_can_finalize(snap.decision, user_id, _acts_as_owner(core, snap, user_id))
    except DecisionError as exc:
        return Refusal(exc.body, Tone.WARNING)
    return OpenForm(FinalizeForm(snap.card))


def _as_owner(
    core: Core,
    *,
    team_id: str,
    decision_id: int | None,
    user_id: str,
    act: Callable[..., DecisionSnapshot],
    then: Callable[[DecisionSnapshot], None],
) -> Afterwards:
    """An owner's form: done before acknowledging when the person's standing is known without
    asking the platform (a DecisionError keeps the form open); otherwise afterwards, when the
    platform says whether they are an admin. Returns the rest, to run after acknowledging."""
    snap = _load_or_notice(core, team_id, decision_id)
    place = str(snap.decision.channel_id or user_id)
    if user_id == snap.decision.owner_id or user_id in core.admin_user_ids:
        done = act(is_admin=True)
        return Afterwards(place, lambda: then(done))

    def later() -> Notice | None:
        try:
            done = act(is_admin=core.platform_for(team_id).is_admin(team_id, user_id))
        except DecisionError as exc:
            return exc.notice
        then(done)
        return None

    return Afterwards(place, later)


def submit_finalize(
    core: Core, *, team_id: str, decision_id: int | None, user_id: str, final_text: str | None
) -> Afterwards:
    """The finalize form (see `_as_owner`); afterwards the decision is published."""
    return _as_owner(
        core,
        team_id=team_id,
        decision_id=decision_id,
        user_id=user_id,
        act=partial(
            finalize,
            core,
            team_id=team_id,
            decision_id=int(decision_id or 0),
            user_id=user_id,
            final_text=final_text or "",
        ),
        then=lambda snap: publish_final(core, team_id=team_id, decision_id=snap.id),
    )


def publish_final(core: Core, *, team_id: str, decision_id: int) -> None:
    """After finalizing: the record in the poll's thread (with the poll's link), the poll
    updated, and each dissenter who has not committed asked to."""
    platform = core.platform_for(team_id)
    try:
        snap = load(core, team_id=team_id, decision_id=decision_id)
    except DecisionNotFound:
        return
    d = snap.decision
    card = snap.card
    refs = _refs(d)
    if d.channel_id and d.poll_ts:
        poll = MessageRef(d.channel_id, d.poll_ts)
        permalink = platform.permalink(team_id, poll)
        if permalink is None:
            log.warning("no permalink for decision %s (team %s)", decision_id, team_id)
        card = replace(card, permalink=permalink or card.permalink)
        record_ts = None
        try:
            record = platform.post(
                team_id, d.channel_id, Record(card), thread=d.poll_ts, key=f"record:{decision_id}"
            )
            record_ts = record.id
            refs = (poll, record)
        except (PostFailed, PostUnconfirmed, Unreachable):
            # The decision stands; the poll message below still shows the record.
            log.exception("could not post the record of decision %s", decision_id)
        record_posted(
            core, team_id=team_id, decision_id=decision_id, record_ts=record_ts, permalink=permalink
        )
    _show(core, team_id, decision_id, refs)
    for person in snap.uncommitted_dissenters:
        try:
            platform.dm(team_id, person, CommitRequest(card))
        except (PostFailed, Unreachable):
            log.warning("could not ask %s to commit to decision %s", person, decision_id)


# --- committing --------------------------------------------------------------------------------


def commit_to(core: Core, *, team_id: str, decision_id: int | None, user_id: str) -> Reply:
    """The commit request's button: stored before acknowledging, as votes are. Answers with the
    request replaced by its answer."""
    try:
        if decision_id is None:
            raise DecisionNotFound()
        result = commit(core, team_id=team_id, decision_id=decision_id, user_id=user_id)
    except DecisionError as exc:
        return exc.notice
    if result.newly:
        _show(core, team_id, decision_id, _refs(result.snapshot.decision))
    return ReplaceCard(Committed(result.snapshot.card, result.committed_at))


# --- the Andon cord ----------------------------------------------------------------------------


def open_andon(core: Core, *, team_id: str, decision_id: int | None) -> Reply:
    """The Andon button on a record: the form, or why the decision cannot be halted."""
    try:
        snap = _load_or_notice(core, team_id, decision_id)
    except DecisionError as exc:
        return exc.notice
    if snap.is_voting:
        return info(f"{snap.label} is still being voted on; vote ", Strong("Disagree"), " instead.")
    if snap.andon is not None and snap.andon.is_open:
        return info(*already_halted(snap.label, snap.andon.user_id).body)
    if snap.decision.status not in IN_FORCE:
        return info(*nothing_to_halt(snap.label, snap.decision.status).body)
    return OpenForm(AndonForm(snap.card))


def submit_andon(
    core: Core, *, team_id: str, decision_id: int | None, user_id: str, reason: str | None
) -> Afterwards:
    """The Andon form: the decision halts before acknowledging (a DecisionError keeps the form
    open); afterwards its messages show it and the owner is told."""
    snap = _load_or_notice(core, team_id, decision_id)
    halted = pull_andon(
        core, team_id=team_id, decision_id=snap.id, user_id=user_id, reason=reason or ""
    )

    def announce() -> None:
        _show(core, team_id, halted.id, _refs(halted.decision))
        platform = core.platform_for(team_id)
        try:
            platform.dm(team_id, halted.decision.owner_id, AndonAlert(halted.card))
        except (PostFailed, Unreachable):
            log.warning("could not tell the owner of decision %s of an Andon pull", halted.id)

    return Afterwards(str(halted.decision.channel_id or user_id), announce)


def resolve(
    core: Core, *, team_id: str, decision_id: int | None, user_id: str, resolution: str
) -> Reply:
    """A Resume, Amend or Reverse button of a halted decision (Amend opens its form)."""
    try:
        snap = _load_or_notice(core, team_id, decision_id)
    except DecisionError as exc:
        return exc.notice
    admin = _acts_as_owner(core, snap, user_id)
    if not may_act_as_owner(snap.decision, user_id, admin):
        owner = snap.decision.owner_id
        refused = NotAllowed(label=snap.label, owner=owner, what="resolve the Andon cord")
        return Refusal(refused.body, Tone.WARNING)
    if snap.andon is None or not snap.andon.is_open:
        return info(*not_halted(snap.label).body)
    if resolution == Resolution.AMEND:
        return OpenForm(AmendForm(snap.card))
    try:
        resolved = resolve_andon(
            core,
            team_id=team_id,
            decision_id=snap.id,
            user_id=user_id,
            is_admin=admin,
            resolution=resolution,
        )
    except DecisionError as exc:
        return exc.notice
    announce_resolution(core, resolved)
    return None


def submit_amend(
    core: Core, *, team_id: str, decision_id: int | None, user_id: str, new_text: str | None
) -> Afterwards:
    """The amend form (see `_as_owner`); afterwards the resolution is announced."""
    return _as_owner(
        core,
        team_id=team_id,
        decision_id=decision_id,
        user_id=user_id,
        act=partial(
            resolve_andon,
            core,
            team_id=team_id,
            decision_id=int(decision_id or 0),
            user_id=user_id,
            resolution=Resolution.AMEND,
            new_text=new_text,
        ),
        then=lambda snap: announce_resolution(core, snap),
    )


def announce_resolution(core: Core, snap: DecisionSnapshot) -> None:
    """Show the owner's answer to an Andon pull on the record and in the thread."""
    d = snap.decision
    _show(core, d.team_id, snap.id, _refs(d))
    if d.channel_id and d.poll_ts:
        core.platform_for(d.team_id).post(
            d.team_id, d.channel_id, AndonResolved(snap.card), thread=d.poll_ts
        )


# --- timers ------------------------------------------------------------------------------------


def register_timers(core: Core) -> None:
    """The decision timers; each asks for the workspace's platform when it runs."""
    core.timers.register(TimerKind.POLL_CLOSE, partial(_poll_close, core))
    core.timers.register(TimerKind.SHOW_VOTES, partial(_show_votes, core))
    core.timers.register(TimerKind.POLL_CONFIRM, partial(_poll_confirm, core))


def _poll_close(core: Core, timer: Timer) -> None:
    """The voting time is over: remind the owner to finalize (the bot never decides)."""
    snap = poll_deadline(core, team_id=timer.team_id, decision_id=timer.ref_id)
    if snap is not None:
        platform = core.platform_for(timer.team_id)
        platform.dm(timer.team_id, snap.decision.owner_id, VotingOver(snap.card))


def _show_votes(core: Core, timer: Timer) -> None:
    """Show the stored votes on the poll again, in turn with its other updates; a platform
    error fails the timer, which retries it later."""
    show(core, team_id=timer.team_id, decision_id=timer.ref_id, wait=True)


def _poll_confirm(core: Core, timer: Timer) -> None:
    """A poll whose post was never confirmed: find it in the channel, or post it. The platform
    not answering fails the timer, which looks again later; the platform refusing discards
    the decision and tells whoever proposed it."""
    snap = poll_to_confirm(core, team_id=timer.team_id, decision_id=timer.ref_id)
    if snap is None:
        return
    try:
        _post_poll(core, snap, retry=True)
    except PostFailed as exc:
        discard(core, team_id=timer.team_id, decision_id=snap.id)
        log.warning("could not post poll of decision %s: %s", snap.id, exc.reason)
        notice = PollNotPosted(exc.reason, str(snap.decision.channel_id), yours=True, retried=True)
        core.platform_for(timer.team_id).tell(timer.team_id, snap.decision.proposed_by, notice)
