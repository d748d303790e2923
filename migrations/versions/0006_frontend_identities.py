"""frontend identities: users.email nullable (a frontend's token often names its user by ``sub`` alone)

Revision ID: 0006_frontend_identities
Revises: 0005
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_frontend_identities"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As todo_shared.models.LOCAL_ISSUER (migrations never import the app).
LOCAL_ONLY = sa.text("issuer = 'local'")
EMAIL_INDEX = "uq_users_local_email_lower"


def _email_index() -> None:
    op.create_index(
        EMAIL_INDEX,
        "users",
        [sa.text("lower(email)")],
        unique=True,
        sqlite_where=LOCAL_ONLY,
        postgresql_where=LOCAL_ONLY,
    )


def _replace_email_column_on_sqlite(nullable: bool) -> None:
    """SQLite changes a column's NOT NULL only by copying the table, and dropping ``users`` with foreign keys
    on would cascade-delete every task and session. So, in place: a new column, the values copied, the old
    one dropped (3.35+, unindexed), the new one renamed (3.25+). Only the column order changes."""
    op.drop_index(EMAIL_INDEX, table_name="users")
    op.add_column(
        "users",
        sa.Column(
            "email_new", sa.String(length=320), nullable=nullable, server_default=None if nullable else ""
        ),
    )
    op.execute("UPDATE users SET email_new = email")
    op.drop_column("users", "email")
    op.execute("ALTER TABLE users RENAME COLUMN email_new TO email")
    _email_index()


def upgrade() -> None:
    # Local accounts always have one (signup requires it); a frontend's user has one only when the token
    # carried a usable address. No placeholder: an unknown email is NULL.
    if op.get_bind().dialect.name == "sqlite":
        _replace_email_column_on_sqlite(nullable=True)
    else:
        op.alter_column("users", "email", existing_type=sa.String(length=320), nullable=True)


def downgrade() -> None:
    # Revision 0005 requires an email for every account: refuse (nothing changed) rather than invent some.
    missing = op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE email IS NULL")).scalar_one()
    if missing:
        raise RuntimeError(
            f"{missing} account(s) have no email (a frontend's users); revision 0005 requires one: delete "
            "those accounts or give them an address first"
        )
    if op.get_bind().dialect.name == "sqlite":
        _replace_email_column_on_sqlite(nullable=False)
    else:
        op.alter_column("users", "email", existing_type=sa.String(length=320), nullable=False)
