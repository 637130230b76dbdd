"""An index for "due for review" lists: decisions by workspace, status and review date.

Revision ID: 0002_review_index
Revises: 0001_initial
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_review_index"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_decision_team_status_review", "decision", ["team_id", "status", "review_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_decision_team_status_review", table_name="decision")
