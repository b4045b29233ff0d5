"""authentication events: the device of a session, failures per client address

``user_session.user_agent`` lets "Mitt konto" show which device a session is on;
the index on ``login_attempt (client, at)`` serves the per-address throttling
that stops password spraying across accounts.

Revision ID: 0013
Revises: 0005
Create Date: 2026-12-02 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.add_column(
            sa.Column("user_agent", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_index("ix_login_attempt_client_at", "login_attempt", ["client", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_client_at", table_name="login_attempt")
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.drop_column("user_agent")
