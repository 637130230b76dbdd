"""Digest parts: how many parts of a narrative's digest are posted, and when all were.

Revision ID: 0003_digest_parts
Revises: 0002_review_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_digest_parts"
down_revision: str | Sequence[str] | None = "0002_review_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("narrative", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_parts_posted", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("digest_done_at", storage.types.UTCDateTime(), nullable=True))
    # Digests posted before parts were counted are complete.
    op.execute("UPDATE narrative SET digest_done_at = digest_posted_at")


def downgrade() -> None:
    with op.batch_alter_table("narrative", schema=None) as batch_op:
        batch_op.drop_column("digest_done_at")
        batch_op.drop_column("digest_parts_posted")
