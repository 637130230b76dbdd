"""What reviews say: the owner's prompt, the answer forms, the outcome and the notes after it.

People are ids (renderers mention them); dates are datetimes in UTC (renderers show them in
the reader's zone); the outcome is a `ReviewAnswer`, which renderers put in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.vocabulary import ReviewAnswer

# What forms accept in a free-text field (Slack's plain text input limit).
TEXT_LIMIT = 3000


@dataclass(frozen=True)
class DissentLine:
    person: str
    committed: bool
    reason: str


@dataclass(frozen=True)
class HaltLine:
    """The open Andon pull of a halted decision."""

    person: str
    pulled_at: datetime
    reason: str


@dataclass(frozen=True)
class ReviewPromptView:
    """The owner's direct message on the review date (or its one reminder), with the answers
    Keep, Amend, Reverse, Snooze a week, Snooze a month (each carrying `review_id`)."""

    review_id: int
    label: str
    decision_text: str
    confidence: int
    confidence_note: str | None
    decided_at: datetime | None
    permalink: str | None
    dissent: tuple[DissentLine, ...]
    halted: HaltLine | None = None
    reminder: bool = False


@dataclass(frozen=True)
class ReviewAnsweredView:
    """The owner's direct message once answered (no answers left to give)."""

    label: str
    outcome: ReviewAnswer
    decision_text: str
    next_review_on: datetime | None
    replaced_by: str | None
    learned: str | None


@dataclass(frozen=True)
class ReviewOutcomeView:
    """The announcement in the decision's thread."""

    label: str
    outcome: ReviewAnswer
    by: str
    replacement_label: str | None
    replacement_text: str | None
    learned: str | None
    next_review_on: datetime | None


@dataclass(frozen=True)
class DissentRelevantView:
    """A direct message to each recorded dissenter of an amended or reversed decision."""

    label: str
    owner: str
    outcome: ReviewAnswer
    replaced_by: str | None
    learned: str | None


@dataclass(frozen=True)
class KeepForm:
    """Still right: the next review date (read at 09:00 in `tz`), the information actually
    had (10–100% in tens, starting at `confidence`) and an optional line of what was learned."""

    review_id: int
    label: str
    decision_text: str
    next_review: date
    tz: str
    confidence: int
    text_limit: int = TEXT_LIMIT


@dataclass(frozen=True)
class ChangeForm:
    """Amend (new wording required) or Reverse (an optional replacing decision), what was
    learned (required) and the information actually had."""

    review_id: int
    label: str
    decision_text: str
    outcome: ReviewAnswer
    text_limit: int = TEXT_LIMIT
