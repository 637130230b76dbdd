"""The product's words, spelled once. Values are what the database stores; what people read
(labels, emoji) is the renderers' business."""

from __future__ import annotations

from enum import StrEnum


class DecisionStatus(StrEnum):
    VOTING = "voting"
    ACTIVE = "active"
    HALTED = "halted"
    UNDER_REVIEW = "under_review"
    AMENDED = "amended"
    REVERSED = "reversed"
    SUPERSEDED = "superseded"


class Stance(StrEnum):
    """A vote. Disagree-and-commit commits at the moment of voting (see `bot.decisions`)."""

    AGREE = "agree"
    DISAGREE_COMMIT = "disagree_commit"
    DISAGREE = "disagree"


class ReviewAnswer(StrEnum):
    KEEP = "keep"
    AMEND = "amend"
    REVERSE = "reverse"
    SNOOZE = "snooze"


class TimerKind(StrEnum):
    """Every durable timer; each is handled by the core module that owns the feature."""

    POLL_CLOSE = "poll_close"
    POLL_CONFIRM = "poll_confirm"
    SHOW_VOTES = "show_votes"
    REVIEW_DUE = "review_due"
    REVIEW_REMINDER = "review_reminder"
    READING_END = "reading_end"
    NARRATIVE_CONFIRM = "narrative_confirm"
    REFLECTION_ROUND = "reflection_round"
    REFLECTION_CLOSE = "reflection_close"
    REFLECTION_CONFIRM = "reflection_confirm"
    PURGE_PROCESSED_EVENTS = "purge_processed_events"


class PlatformName(StrEnum):
    """Where a workspace lives."""

    SLACK = "slack"
    MSTEAMS = "msteams"
    PLAYGROUND = "playground"


class RoundState(StrEnum):
    """A reflection round takes answers while open; it closes once, with its digest."""

    OPEN = "open"
    CLOSED = "closed"


class AnswerSource(StrEnum):
    """Where a reflection answer came from: the answers form, or a reply in the round's thread."""

    FORM = "modal"
    THREAD = "thread"


class NarrativeKind(StrEnum):
    SIX_PAGER = "six-pager"
    PRFAQ = "prfaq"
    OTHER = "other"


class ReadingState(StrEnum):
    """A narrative's reading period."""

    READING = "reading"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why a reading period ended."""

    TIME = "time"
    ALL_DONE = "all_done"  # every expected reader pressed "I'm done reading"
    OWNER = "owner"  # the owner or an admin ended it early
    NOT_POSTED = "not_posted"  # the narrative could not be posted: there is nothing to read
