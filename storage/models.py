"""The tables. Every row that belongs to a workspace carries its id (`team_id`: a Slack team
id, a Teams tenant id, a playground's name), and the `workspace` table says which platform
each workspace lives on.

Ids of workspaces, people, places and messages are the platforms' own, stored as they come and
up to `ID_LENGTH` characters: Slack's are short (`T0123`, `U0123`, `1712345678.000100`), Teams'
are long (a tenant GUID is 36 characters, a user id `29:…` about 80, a channel thread id ending
in `;messageid=…` over 100).

Times are aware UTC datetimes (see `storage.types.UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.vocabulary import DecisionStatus
from storage.types import UTCDateTime

# Room for any platform's ids (see the module's doc).
ID_LENGTH = 255


def _utc(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _text(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(Text(), nullable=nullable)


# --- Workspaces ---------------------------------------------------------------------------------


class Workspace(SQLModel, table=True):
    """A workspace and the platform it lives on (`bot.vocabulary.PlatformName`), so that timers
    and background work reach it through the right platform."""

    __tablename__ = "workspace"
    team_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    platform: str = Field(max_length=16)
    first_seen_at: datetime = Field(sa_column=_utc())
    # When the app was uninstalled from it (its data is deleted after the retention period).
    uninstalled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class PlatformReference(SQLModel, table=True):
    """What an adapter remembers to reach a workspace or person later (a JSON document; Teams:
    serviceUrl, bot id, a person's name, time zone and chats)."""

    __tablename__ = "platform_reference"
    team_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(primary_key=True, max_length=32)
    ref_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    data: str = Field(sa_column=_text(nullable=False))
    updated_at: datetime = Field(sa_column=_utc())


# --- Delivery bookkeeping ---------------------------------------------------------------------


class ProcessedEvent(SQLModel, table=True):
    """An event id a platform delivered; a retried delivery finds its row and is ignored."""

    __tablename__ = "processed_event"
    # Housekeeping forgets old ids, and start-up reads the recent ones, by time.
    __table_args__ = (Index("ix_processed_event_received", "received_at"),)
    team_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    event_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    received_at: datetime = Field(sa_column=_utc())


# --- Timers -----------------------------------------------------------------------------------


class Timer(SQLModel, table=True):
    """A due time. The database is the source of truth; APScheduler only runs what is due.

    status: pending -> running (claimed by one process) -> done | failed; or cancelled.
    """

    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_status_due", "status", "due_at"),
        # A row's pending timers (looked up inside a vote's write lock).
        Index("ix_timer_kind_ref_status", "kind", "ref_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    kind: str = Field(max_length=64)
    ref_id: int
    due_at: datetime = Field(sa_column=_utc())
    status: str = Field(default="pending", max_length=16)
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=_text())
    created_at: datetime = Field(sa_column=_utc())
    done_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


# --- Narrative meetings -----------------------------------------------------------------------


class Narrative(SQLModel, table=True):
    """A narrative and its silent reading period."""

    __tablename__ = "narrative"
    __table_args__ = (
        Index("ix_narrative_channel_state", "team_id", "channel_id", "state"),
        # Metrics over a period: the narratives started in it.
        Index("ix_narrative_team_started", "team_id", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    channel_id: str = Field(max_length=ID_LENGTH)
    owner_id: str = Field(max_length=ID_LENGTH)
    title: str = Field(sa_column=_text(nullable=False))
    link: str | None = Field(default=None, sa_column=_text())
    body: str | None = Field(default=None, sa_column=_text())
    kind: str = Field(default="other", max_length=16)  # six-pager | prfaq | other
    reading_seconds: int
    started_at: datetime = Field(sa_column=_utc())
    ends_at: datetime = Field(sa_column=_utc())
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    end_reason: str | None = Field(default=None, max_length=32)
    state: str = Field(default="reading", max_length=16)  # reading | ended
    message_ts: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    # When posting the digest was last claimed (a lease: a claim that old is taken over).
    digest_posted_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # Parts of the digest posted so far, in order, each exactly once; and when all were.
    digest_parts_posted: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    digest_done_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class NarrativeReader(SQLModel, table=True):
    """An expected reader, or anyone who pressed "I'm done reading"."""

    __tablename__ = "narrative_reader"
    # The unique key (narrative, person) serves every lookup: all go by narrative.
    __table_args__ = (UniqueConstraint("narrative_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    narrative_id: int = Field(foreign_key="narrative.id")
    user_id: str = Field(max_length=ID_LENGTH)
    expected: bool = False
    done_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Question(SQLModel, table=True):
    """A question asked during (or after) a reading period: a thread reply or a private one."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("narrative_id", "message_ts"),
        Index("ix_question_narrative", "narrative_id", "team_id", "asked_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(
        max_length=ID_LENGTH, index=True
    )  # the export reads a workspace's questions
    narrative_id: int = Field(foreign_key="narrative.id")
    author_id: str = Field(max_length=ID_LENGTH)
    text: str = Field(sa_column=_text(nullable=False))
    private: bool = False
    message_ts: str | None = Field(default=None, max_length=ID_LENGTH)
    asked_at: datetime = Field(sa_column=_utc())
    edited_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    after_reading: bool = False


class QuestionUpvote(SQLModel, table=True):
    """A 👍 on a question, one per person, so adds and removes count exactly."""

    __tablename__ = "question_upvote"
    # Counted by question: the primary key (question, person) serves it.
    team_id: str = Field(max_length=ID_LENGTH)
    question_id: int = Field(foreign_key="question.id", primary_key=True)
    user_id: str = Field(max_length=ID_LENGTH, primary_key=True)


# --- Decisions ----------------------------------------------------------------------------------


class Decision(SQLModel, table=True):
    """A decision: proposed by poll (`source="poll"`) or recorded directly (`source="log"`).

    status: voting | active | under_review | halted | amended | reversed | superseded.
    """

    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        Index("ix_decision_team_created", "team_id", "created_at"),
        Index("ix_decision_team_channel_created", "team_id", "channel_id", "created_at"),
        Index("ix_decision_team_owner", "team_id", "owner_id", "created_at"),
        Index("ix_decision_team_status", "team_id", "status", "created_at"),
        Index("ix_decision_team_review", "team_id", "review_on"),
        # "Due for review" lists: decisions still in force, soonest review first.
        Index("ix_decision_team_status_review", "team_id", "status", "review_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    number: int  # shown as D-<number>, per workspace
    channel_id: str | None = Field(default=None, max_length=ID_LENGTH)
    poll_ts: str | None = Field(default=None, max_length=ID_LENGTH)
    record_ts: str | None = Field(default=None, max_length=ID_LENGTH)
    permalink: str | None = Field(default=None, sa_column=_text())
    owner_id: str = Field(max_length=ID_LENGTH)
    proposed_by: str = Field(max_length=ID_LENGTH)
    proposal: str = Field(sa_column=_text(nullable=False))
    final_text: str | None = Field(default=None, sa_column=_text())
    confidence: int = 70
    door: str = Field(default="two-way", max_length=16)  # one-way | two-way
    review_on: datetime = Field(sa_column=_utc())
    closes_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    anonymous: bool = False
    status: str = Field(default=DecisionStatus.VOTING.value, max_length=16)
    source: str = Field(default="poll", max_length=8)
    narrative_id: int | None = Field(default=None, foreign_key="narrative.id")
    created_at: datetime = Field(sa_column=_utc())
    decided_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    replaces_id: int | None = Field(default=None, foreign_key="decision.id")
    replaced_by_id: int | None = Field(default=None, foreign_key="decision.id")


class Vote(SQLModel, table=True):
    """One vote cast. Changing a vote adds a row and clears `current` on the old one."""

    __tablename__ = "vote"
    __table_args__ = (
        Index("ix_vote_decision_user", "decision_id", "user_id", "current"),
        # A decision's votes (current ones first) in the order they were cast.
        Index("ix_vote_decision_current", "decision_id", "team_id", "current", "cast_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(
        max_length=ID_LENGTH, index=True
    )  # the export summary's dissent, per workspace
    decision_id: int = Field(foreign_key="decision.id")
    user_id: str = Field(max_length=ID_LENGTH)
    choice: str = Field(max_length=24)  # agree | disagree_commit | disagree
    reason: str | None = Field(default=None, sa_column=_text())
    cast_at: datetime = Field(sa_column=_utc())
    current: bool = True
    committed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class AndonPull(SQLModel, table=True):
    """Someone pulled the Andon cord on a decision: it is halted until the owner resolves it."""

    __tablename__ = "andon_pull"
    __table_args__ = (Index("ix_andon_pull_decision", "decision_id", "team_id", "pulled_at"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    decision_id: int = Field(foreign_key="decision.id")
    user_id: str = Field(max_length=ID_LENGTH)
    reason: str = Field(sa_column=_text(nullable=False))
    pulled_at: datetime = Field(sa_column=_utc())
    resolved_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    resolved_by: str | None = Field(default=None, max_length=ID_LENGTH)
    resolution: str | None = Field(default=None, max_length=16)  # resume | amend | reverse


class Review(SQLModel, table=True):
    """A scheduled look back at a decision, and its outcome."""

    __tablename__ = "review"
    __table_args__ = (
        Index("ix_review_team_due", "team_id", "due_at"),
        Index("ix_review_decision", "decision_id", "team_id", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    decision_id: int = Field(foreign_key="decision.id")
    due_at: datetime = Field(sa_column=_utc())
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    answered_by: str | None = Field(default=None, max_length=ID_LENGTH)
    outcome: str | None = Field(default=None, max_length=16)  # keep | amend | reverse | snooze
    learned: str | None = Field(default=None, sa_column=_text())
    new_text: str | None = Field(default=None, sa_column=_text())
    actual_confidence: int | None = None
    next_review_on: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    dm_channel: str | None = Field(default=None, max_length=ID_LENGTH)
    dm_ts: str | None = Field(default=None, max_length=ID_LENGTH)


class DecisionEvent(SQLModel, table=True):
    """The history of a decision: who did what, when (votes, edits, reviews, Andon pulls)."""

    __tablename__ = "decision_event"
    __table_args__ = (Index("ix_decision_event_decision", "decision_id", "team_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    decision_id: int = Field(foreign_key="decision.id")
    at: datetime = Field(sa_column=_utc())
    user_id: str | None = Field(default=None, max_length=ID_LENGTH)
    kind: str = Field(max_length=32)
    detail: str | None = Field(default=None, sa_column=_text())  # JSON


# --- Reflections --------------------------------------------------------------------------------


class ReflectionSchedule(SQLModel, table=True):
    """A channel's reflection rhythm; `rule` is the parsed schedule in a compact text form."""

    __tablename__ = "reflection_schedule"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    channel_id: str = Field(max_length=ID_LENGTH)
    rule: str = Field(max_length=128)
    tz: str = Field(max_length=64)
    created_by: str = Field(max_length=ID_LENGTH)
    active: bool = True
    pick: int | None = None
    collect_hours: int = 48
    rotation: int = 0
    next_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(sa_column=_utc())


class ReflectionQuestionSet(SQLModel, table=True):
    """A channel's own list of reflection questions (JSON list of strings)."""

    __tablename__ = "reflection_question_set"
    team_id: str = Field(max_length=ID_LENGTH, primary_key=True)
    channel_id: str = Field(max_length=ID_LENGTH, primary_key=True)
    questions: str = Field(sa_column=_text(nullable=False))
    updated_by: str = Field(max_length=ID_LENGTH)
    updated_at: datetime = Field(sa_column=_utc())


class ReflectionRound(SQLModel, table=True):
    """One posting of reflection questions and the answers it collects until it closes."""

    __tablename__ = "reflection_round"
    __table_args__ = (Index("ix_round_team_channel", "team_id", "channel_id", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH)
    channel_id: str = Field(max_length=ID_LENGTH)
    schedule_id: int | None = Field(default=None, foreign_key="reflection_schedule.id")
    scheduled_for: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    questions: str = Field(sa_column=_text(nullable=False))  # JSON list of strings
    state: str = Field(default="open", max_length=16)  # open | closed
    late: bool = False
    message_ts: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    posted_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    closes_at: datetime = Field(sa_column=_utc())
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    digest_ts: str | None = Field(default=None, max_length=ID_LENGTH)
    member_count: int | None = None
    created_at: datetime = Field(sa_column=_utc())


class ReflectionAnswer(SQLModel, table=True):
    """An answer to one question of a round (question_index None: a free thread reply)."""

    __tablename__ = "reflection_answer"
    __table_args__ = (
        Index("ix_answer_round_user", "round_id", "user_id"),
        Index("ix_reflection_answer_round", "round_id", "team_id", "answered_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=ID_LENGTH, index=True)
    round_id: int = Field(foreign_key="reflection_round.id")
    user_id: str = Field(max_length=ID_LENGTH)
    question_index: int | None = None
    text: str = Field(sa_column=_text(nullable=False))
    source: str = Field(default="modal", max_length=8)  # modal | thread
    message_ts: str | None = Field(default=None, max_length=ID_LENGTH)
    answered_at: datetime = Field(sa_column=_utc())
    updated_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    decision_id: int | None = Field(default=None, foreign_key="decision.id")


# --- Names --------------------------------------------------------------------------------------


class KnownName(SQLModel, table=True):
    """The display name of a person or a channel, as last seen (so exports show names, not ids).

    kind: person | channel. source: profile (users.info / conversations.info, preferred) |
    handle (the name a request body carries: a slash command's `user_name`)."""

    __tablename__ = "known_name"
    team_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(primary_key=True, max_length=8)
    ref_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    name: str = Field(max_length=255)
    source: str = Field(default="profile", max_length=8)
    seen_at: datetime = Field(sa_column=_utc())
