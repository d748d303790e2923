"""identities per issuer: users keyed by (issuer, subject), emails unique among local accounts only

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As todo_shared.models.LOCAL_ISSUER and LEGACY_BETTER_AUTH_ISSUER (migrations never import the app).
LOCAL = "local"
LEGACY_BETTER_AUTH = "legacy-better-auth"
LOCAL_ONLY = sa.text(f"issuer = '{LOCAL}'")


def upgrade() -> None:
    bind = op.get_bind()
    # NOT NULL from the start with an empty default: SQLite cannot make an existing column NOT NULL without
    # copying the table, and copying (dropping) users with foreign keys on would cascade-delete every task.
    # PostgreSQL drops the default below; SQLite keeps it, harmless (every insert names both columns).
    op.add_column("users", sa.Column("issuer", sa.String(length=255), server_default="", nullable=False))
    op.add_column("users", sa.Column("subject", sa.String(length=64), server_default="", nullable=False))
    # Local accounts (they have a password) are their own subject. A Better Auth user's row (no password) has
    # their Better Auth id as id; which Better Auth origin issued it is not in the data, so it is marked legacy
    # and the first Better Auth token of that subject adopts it for its issuer.
    for issuer, condition in ((LOCAL, "IS NOT NULL"), (LEGACY_BETTER_AUTH, "IS NULL")):
        bind.execute(
            sa.text(f"UPDATE users SET issuer = :issuer, subject = id WHERE password_hash {condition}"),  # noqa: S608
            {"issuer": issuer},
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("users", "issuer", server_default=None)
        op.alter_column("users", "subject", server_default=None)
    op.create_index("uq_users_issuer_subject", "users", ["issuer", "subject"], unique=True)
    # Emails are unique among local accounts only: a Better Auth user may share any email.
    op.drop_index("uq_users_email_lower", table_name="users")
    op.create_index(
        "uq_users_local_email_lower",
        "users",
        [sa.text("lower(email)")],
        unique=True,
        sqlite_where=LOCAL_ONLY,
        postgresql_where=LOCAL_ONLY,
    )


def downgrade() -> None:
    # The old schema had one account per email: refuse (nothing changed) rather than drop anyone's account.
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT count(*) FROM (SELECT lower(email) FROM users GROUP BY lower(email) HAVING count(*) > 1) AS d"
            )
        )
        .scalar_one()
    )
    if shared:
        raise RuntimeError(
            f"{shared} email(s) belong to more than one account (local and Better Auth); revision 0003 allows "
            "one account per email: delete or re-address those accounts first"
        )
    op.drop_index("uq_users_local_email_lower", table_name="users")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.drop_index("uq_users_issuer_subject", table_name="users")
    # SQLite (3.35+) drops an unindexed column in place, as PostgreSQL does. A Better Auth user whose id is not
    # their Better Auth id (another issuer's user had it) can no longer be found by their tokens.
    op.drop_column("users", "subject")
    op.drop_column("users", "issuer")
