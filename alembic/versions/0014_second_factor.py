"""second factor and single sign-on: TOTP secrets, recovery codes, sessions awaiting the second factor

``app_user.totp_secret`` (encrypted) and ``totp_last_step`` (a code is accepted
once); ``recovery_code`` (keyed hashes, single use); ``user_session.stage`` marks
a session whose password was right but whose second factor is still due, and
``pending_secret`` holds the secret being enrolled, ``method`` how the session
began (password or sso). ``app_user.oidc_subject`` links an OpenID account. ``org_setting.
second_factor_roles`` names the roles that must use a second factor: a new
organisation gets organiser, principal and admin; an organisation that exists at
this upgrade gets none, so nobody is sent to enrolment unannounced (the organiser
turns it on under Inställningar).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kb_app.dbtypes

from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("totp_last_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_app_user_oidc_subject", ["oidc_subject"])
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.add_column(
            sa.Column("stage", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("pending_secret", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("method", sa.String(length=16), nullable=False, server_default="password")
        )
    with op.batch_alter_table("org_setting") as batch_op:
        batch_op.add_column(
            sa.Column(
                "second_factor_roles", sa.String(length=100), nullable=False, server_default=""
            )
        )
    # An organisation without a settings row would get the new default: give it
    # one that keeps today's behaviour.
    op.execute(
        "INSERT INTO org_setting (organisation_id, limit_received, limit_investigation_started,"
        " limit_investigated, limit_measures_decided, limit_followed_up, escalate_after_days,"
        " retention_years, second_factor_roles)"
        " SELECT id, 1, 2, 10, 5, 20, 5, 5, '' FROM organisation"
        " WHERE id NOT IN (SELECT organisation_id FROM org_setting)"
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", kb_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", kb_app.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    with op.batch_alter_table("org_setting") as batch_op:
        batch_op.drop_column("second_factor_roles")
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.drop_column("method")
        batch_op.drop_column("pending_secret")
        batch_op.drop_column("stage")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_constraint("uq_app_user_oidc_subject", type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
