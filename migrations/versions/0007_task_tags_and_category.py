"""task tags and category

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As todo_shared.models.TAG_KEYS_FUNCTION (migrations never import the app): a task's tag keys, one per tag,
# each its owner and the tag in lower case. The list query calls the same function for the tags it wants, so
# both sides always agree; the GIN index over it finds one owner's tasks with a tag without reading the others'.
TAG_KEYS = "task_tag_keys"
CREATE_TAG_KEYS = """
CREATE FUNCTION task_tag_keys(owner text, tags jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT coalesce(array_agg(owner || E'\\x1f' || lower(tag)), '{}') FROM jsonb_array_elements_text(tags) AS tag $$
"""


def upgrade() -> None:
    # Existing tasks get no tags (the server default) and no category. SQLite adds both columns in place.
    tags = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column("tasks", sa.Column("tags", tags, server_default=sa.text("'[]'"), nullable=False))
    op.add_column("tasks", sa.Column("category", sa.String(length=50), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_TAG_KEYS)
        op.create_index(
            "ix_tasks_user_tags", "tasks", [sa.text(f"{TAG_KEYS}(user_id, tags)")], postgresql_using="gin"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_tasks_user_tags", table_name="tasks")
        op.execute(f"DROP FUNCTION {TAG_KEYS}(text, jsonb)")
    # SQLite (3.35+) drops an unindexed column in place, as PostgreSQL does.
    op.drop_column("tasks", "category")
    op.drop_column("tasks", "tags")
