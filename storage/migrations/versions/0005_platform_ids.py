"""Platform ids: each workspace's platform, and id columns wide enough for any platform's ids.

A `workspace` table says which platform (`slack`, `msteams`, `playground`) each workspace lives
on; every workspace already in the database is a Slack one. Ids of workspaces, people, places
and messages fit 255 characters (Teams: a 36-character tenant GUID, `29:…` user ids of about
80, channel thread ids ending in `;messageid=…` of over 100).

PostgreSQL widens the columns (a change of the catalogue only: varchar grows in place). SQLite
does not enforce VARCHAR lengths at all, so its tables stay as they are rather than be copied
whole (which a large database would pay for with minutes of a locked file).

Revision ID: 0005_platform_ids
Revises: 0004_known_names
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005_platform_ids"
down_revision: str | Sequence[str] | None = "0004_known_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_LENGTH = 255
# (table, column, nullable), each VARCHAR(32) until now but processed_event.event_id (128).
ID_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("processed_event", "team_id", False),
    ("processed_event", "event_id", False),
    ("timer", "team_id", False),
    ("narrative", "team_id", False),
    ("narrative", "channel_id", False),
    ("narrative", "owner_id", False),
    ("narrative", "message_ts", True),
    ("narrative_reader", "team_id", False),
    ("narrative_reader", "user_id", False),
    ("question", "team_id", False),
    ("question", "author_id", False),
    ("question", "message_ts", True),
    ("question_upvote", "team_id", False),
    ("question_upvote", "user_id", False),
    ("decision", "team_id", False),
    ("decision", "channel_id", True),
    ("decision", "poll_ts", True),
    ("decision", "record_ts", True),
    ("decision", "owner_id", False),
    ("decision", "proposed_by", False),
    ("vote", "team_id", False),
    ("vote", "user_id", False),
    ("andon_pull", "team_id", False),
    ("andon_pull", "user_id", False),
    ("andon_pull", "resolved_by", True),
    ("review", "team_id", False),
    ("review", "answered_by", True),
    ("review", "dm_channel", True),
    ("review", "dm_ts", True),
    ("decision_event", "team_id", False),
    ("decision_event", "user_id", True),
    ("reflection_schedule", "team_id", False),
    ("reflection_schedule", "channel_id", False),
    ("reflection_schedule", "created_by", False),
    ("reflection_question_set", "team_id", False),
    ("reflection_question_set", "channel_id", False),
    ("reflection_question_set", "updated_by", False),
    ("reflection_round", "team_id", False),
    ("reflection_round", "channel_id", False),
    ("reflection_round", "message_ts", True),
    ("reflection_round", "digest_ts", True),
    ("reflection_answer", "team_id", False),
    ("reflection_answer", "user_id", False),
    ("reflection_answer", "message_ts", True),
    ("known_name", "team_id", False),
    ("known_name", "ref_id", False),
)
# The tables whose rows name a workspace (processed_event is left out: it also holds requests
# that named none, and an event alone makes no workspace).
WORKSPACE_TABLES = (
    "timer",
    "narrative",
    "decision",
    "reflection_schedule",
    "reflection_question_set",
    "reflection_round",
    "known_name",
)


def _old_length(table: str, column: str) -> int:
    return 128 if (table, column) == ("processed_event", "event_id") else 32


def upgrade() -> None:
    workspace = op.create_table(
        "workspace",
        sa.Column("team_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    # Every workspace so far came from Slack.
    known = sa.union(
        *(sa.select(sa.table(name, sa.column("team_id")).c.team_id) for name in WORKSPACE_TABLES)
    ).subquery()
    op.execute(
        workspace.insert().from_select(
            ["team_id", "platform", "first_seen_at"],
            sa.select(
                known.c.team_id,
                sa.literal("slack", sa.String()),
                sa.literal(datetime.now(UTC), storage.types.UTCDateTime()),
            ).where(known.c.team_id != ""),
        )
    )
    if op.get_bind().dialect.name == "sqlite":
        return  # see the module's doc: SQLite does not enforce the lengths
    for table, column, nullable in ID_COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.String(length=ID_LENGTH),
            existing_type=sa.String(length=_old_length(table, column)),
            existing_nullable=nullable,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, column, nullable in ID_COLUMNS:
            op.alter_column(
                table,
                column,
                type_=sa.String(length=_old_length(table, column)),
                existing_type=sa.String(length=ID_LENGTH),
                existing_nullable=nullable,
            )
    op.drop_table("workspace")
