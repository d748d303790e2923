"""task version (optimistic concurrency: ETag / If-Match)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One more with every change of the task; the server default gives existing rows version 1.
    op.add_column("tasks", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    # SQLite (3.35+) drops an unindexed column in place, as PostgreSQL does.
    op.drop_column("tasks", "version")
