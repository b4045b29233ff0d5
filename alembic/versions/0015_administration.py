"""administration in the browser: admin log, unit grades, sender name

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import kb_app.dbtypes

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", kb_app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admin_log_org_at", "admin_log", ["organisation_id", "at"], unique=False)
    with op.batch_alter_table("unit") as batch:
        batch.add_column(
            sa.Column(
                "grades",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                server_default="",
                nullable=False,
            )
        )
    with op.batch_alter_table("org_setting") as batch:
        batch.add_column(
            sa.Column(
                "sender_name",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                server_default="",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("org_setting") as batch:
        batch.drop_column("sender_name")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("grades")
    op.drop_index("ix_admin_log_org_at", table_name="admin_log")
    op.drop_table("admin_log")
