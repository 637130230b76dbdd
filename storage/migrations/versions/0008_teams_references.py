"""Platform references: what a platform adapter must remember to reach a workspace and its
people later (Teams: a tenant's serviceUrl and the bot's id; a person's name, time zone, 1:1
chat and last channel), as a small JSON document per (workspace, kind, id).

Revision ID: 0008_teams_references
Revises: 0006_indexes_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008_teams_references"
down_revision: str | Sequence[str] | None = "0007_slack_oauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_reference",
        sa.Column("team_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.String(length=255), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        # Looked up by exactly these three: the primary key serves every query.
        sa.PrimaryKeyConstraint("team_id", "kind", "ref_id"),
    )


def downgrade() -> None:
    op.drop_table("platform_reference")
