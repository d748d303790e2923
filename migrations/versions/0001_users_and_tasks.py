"""users and tasks

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Emails are unique case-insensitively, enforced by the database (also under concurrent signups).
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("due_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("priority IN ('low', 'medium', 'high')", name="ck_tasks_priority"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    # One index per list ordering, each led by user_id and ending in id (the tie-breaker); PostgreSQL scans
    # them forwards for asc and backwards for desc. Expressions are the list query's, character for character
    # (todo_shared.models.PRIORITY_IS_HIGH_SQL and the title sort key), or the planner cannot match them.
    op.create_index("ix_tasks_user_created", "tasks", ["user_id", "created_at", "id"])
    op.create_index("ix_tasks_user_updated", "tasks", ["user_id", "updated_at", "id"])
    op.create_index("ix_tasks_user_due", "tasks", ["user_id", "due_date", "id"])
    # Priority order low < medium < high is (priority = 'high', priority).
    op.create_index(
        "ix_tasks_user_priority", "tasks", ["user_id", sa.text("(priority = 'high')"), "priority", "id"]
    )
    op.create_index("ix_tasks_user_completed", "tasks", ["user_id", "completed", "created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # Title order: ASCII case-insensitive, then code point order (as SQLite's lower() and BINARY give).
        op.create_index(
            "ix_tasks_user_title", "tasks", ["user_id", sa.text('lower(title COLLATE "C")'), "id"]
        )


def downgrade() -> None:
    op.drop_table("tasks")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_table("users")
