"""passkeys: WebAuthn credentials as a second factor, and the challenge of a ceremony under way

``passkey`` holds a user's credentials (id and COSE public key in base64url, the
signature counter, transports, a name the user chose, created and last used).
``user_session.challenge`` / ``challenge_expires_at`` hold the one challenge of a
registration or login with a passkey, single use and valid for a few minutes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kb_app.dbtypes

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", kb_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", kb_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
    )
    op.create_index(op.f("ix_passkey_user_id"), "passkey", ["user_id"], unique=False)
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.add_column(sa.Column("challenge", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("challenge_expires_at", kb_app.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.drop_column("challenge_expires_at")
        batch_op.drop_column("challenge")
    op.drop_index(op.f("ix_passkey_user_id"), table_name="passkey")
    op.drop_table("passkey")
