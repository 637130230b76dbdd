"""What decision messages, direct messages and forms say, as neutral values.

A `DecisionCard` is a decision as people see it (no table row, no markup); each message is a
small view around it. Platforms render them (`handlers/slack/blocks/decisions.py` for Slack).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.views import Notice
from bot.vocabulary import DecisionStatus, Stance

# How long what people type may be: the form fields' limits, and what the core accepts.
MAX_TEXT = 3000
MAX_REASON = 2000
MAX_CLOSES = 20
STANCES = (Stance.AGREE, Stance.DISAGREE_COMMIT, Stance.DISAGREE)
# Only a decision in force can be halted with the Andon cord.
IN_FORCE = (DecisionStatus.ACTIVE, DecisionStatus.UNDER_REVIEW)


class Resolution(StrEnum):
    """What the owner does with a halted decision."""

    RESUME = "resume"
    AMEND = "amend"
    REVERSE = "reverse"


@dataclass(frozen=True)
class Ballot:
    """A person's current vote."""

    user_id: str
    choice: Stance
    reason: str | None
    cast_at: datetime
    committed_at: datetime | None

    @property
    def is_dissent(self) -> bool:
        return self.choice in (Stance.DISAGREE_COMMIT, Stance.DISAGREE)


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
class DecisionCard:
    """A decision as it stands, for every message about it."""

    id: int
    label: str
    status: DecisionStatus
    proposal: str
    final_text: str | None
    owner_id: str
    proposed_by: str
    confidence: int
    confidence_note: str | None
    door: str
    review_on: datetime
    closes_at: datetime | None
    anonymous: bool
    decided_at: datetime | None
    permalink: str | None
    ballots: tuple[Ballot, ...]
    andon: AndonState | None
    narrative_title: str | None = None
    replaced_by_label: str | None = None

    @property
    def is_voting(self) -> bool:
        return self.status == DecisionStatus.VOTING

    @property
    def wording(self) -> str:
        """The decision's words: as finalized, else as proposed."""
        return self.final_text or self.proposal

    def voters(self, choice: str) -> tuple[str, ...]:
        return tuple(b.user_id for b in self.ballots if b.choice == choice)

    @property
    def dissents(self) -> tuple[Ballot, ...]:
        return tuple(b for b in self.ballots if b.is_dissent)


# --- messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    """The live poll: proposal, facts, tally (names unless anonymous) and the vote buttons."""

    card: DecisionCard


@dataclass(frozen=True)
class Record:
    """The decision record: the final decision with every dissent beside it, and the Andon
    cord. Posted in the poll's thread, and shown by the poll message once final."""

    card: DecisionCard


def poll_message(card: DecisionCard) -> Poll | Record:
    """What the poll message shows: the live poll while voting, the record afterwards."""
    return Poll(card) if card.is_voting else Record(card)


@dataclass(frozen=True)
class CommitRequest:
    """To a dissenter who has not committed, once the owner finalized."""

    card: DecisionCard


@dataclass(frozen=True)
class Committed:
    """The commit request, answered."""

    card: DecisionCard
    committed_at: datetime


@dataclass(frozen=True)
class AndonAlert:
    """To the owner: the cord was pulled; resume, amend or reverse."""

    card: DecisionCard


@dataclass(frozen=True)
class AndonResolved:
    """In the poll's thread: how the owner answered the pull."""

    card: DecisionCard


@dataclass(frozen=True)
class VotingOver:
    """To the owner when the voting time is over: finalize it."""

    card: DecisionCard


# --- notices with a reason a platform words its own way -----------------------------------


@dataclass(frozen=True)
class PollNotPosted:
    """The poll could not be posted in `place`; `reason` is the platform's word for why.
    `yours`: told away from the place ("your poll in #x"), not in reply there."""

    reason: str
    place: str
    yours: bool = False
    # Found missing by a later look (the first post was never confirmed).
    retried: bool = False


@dataclass(frozen=True)
class Refusal(Notice):
    """A notice that the person may not do this (only the owner or an admin may)."""


@dataclass(frozen=True)
class PollUnconfirmed:
    """The platform did not confirm the poll; it is looked for (and posted) again soon."""


# --- forms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeForm:
    """Propose a decision: proposal, owner, confidence, door, review date, voting time, names."""

    owner_id: str
    place: str
    narrative_id: int | None = None
    narrative_title: str = ""
    max_text: int = MAX_TEXT
    max_closes: int = MAX_CLOSES
    confidence: int = 70


@dataclass(frozen=True)
class ReasonForm:
    """Why a person disagrees (their vote is counted when they submit it)."""

    card: DecisionCard
    choice: str
    max_reason: int = MAX_REASON


@dataclass(frozen=True)
class FinalizeForm:
    """The owner states the decision in their own words (prefilled with the proposal)."""

    card: DecisionCard
    max_text: int = MAX_TEXT


@dataclass(frozen=True)
class AndonForm:
    """What is wrong with a decision in force (pulling the cord halts it)."""

    card: DecisionCard
    max_reason: int = MAX_REASON


@dataclass(frozen=True)
class AmendForm:
    """The owner's new wording of a halted decision."""

    card: DecisionCard
    max_text: int = MAX_TEXT
