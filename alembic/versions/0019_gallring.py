"""gallring: legal holds, the proposal list, the gallring record, redactable events

Retention (issue 16.3): ``org_setting.retention_action`` (thin out, or deliver to
the e-archive first); ``legal_hold`` (a case never proposed while held);
``archive_delivery`` (a case marked delivered to the e-archive);
``gallring_proposal`` (the nightly list an organiser approves); ``gallring_record``
(what was thinned out, kept for ever: append-only). ``case_event.redacted`` and a
new update trigger let the gallring replace an event's payload once, nothing else.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kb_app.dbtypes
from alembic import op
from kb_app import audit_sql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = kb_app.dbtypes.UTCDateTime


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # A plain ADD COLUMN (no batch copy of the table, which would drop its triggers).
    op.add_column(
        "case_event",
        sa.Column("redacted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for stmt in audit_sql.current_trigger_statements(dialect):
        op.execute(stmt)
    op.add_column(
        "org_setting",
        sa.Column("retention_action", sa.String(length=16), nullable=False, server_default="thin"),
    )
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.Column("set_at", UTC(), nullable=False),
        sa.Column("lifted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", UTC(), nullable=True),
        sa.Column("lift_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["kb_case.id"]),
        sa.ForeignKeyConstraint(["lifted_by_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["set_by_user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_hold_case", "legal_hold", ["case_id", "lifted_at"])
    op.create_index(op.f("ix_legal_hold_organisation_id"), "legal_hold", ["organisation_id"])
    op.create_table(
        "archive_delivery",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("delivered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["kb_case.id"]),
        sa.ForeignKeyConstraint(["delivered_by_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index(
        op.f("ix_archive_delivery_organisation_id"), "archive_delivery", ["organisation_id"]
    )
    op.create_table(
        "gallring_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", UTC(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["kb_case.id"]),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_gallring_proposal_org_state", "gallring_proposal", ["organisation_id", "state"]
    )
    op.create_index(op.f("ix_gallring_proposal_case_id"), "gallring_proposal", ["case_id"])
    op.create_table(
        "gallring_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("reported_at", UTC(), nullable=False),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("handling", sa.String(length=16), nullable=False),
        sa.Column("delivered_at", UTC(), nullable=True),
        sa.Column("proposed_at", UTC(), nullable=False),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_label", sa.String(length=200), nullable=False),
        sa.Column("thinned_at", UTC(), nullable=False),
        sa.Column("removed", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["approved_by_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["kb_case.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index(
        op.f("ix_gallring_record_organisation_id"), "gallring_record", ["organisation_id"]
    )
    for stmt in audit_sql.log_trigger_statements(dialect, audit_sql.GALLRING_TABLES):
        op.execute(stmt)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in audit_sql.log_drop_statements(dialect, audit_sql.GALLRING_TABLES):
        op.execute(stmt)
    op.drop_index(op.f("ix_gallring_record_organisation_id"), table_name="gallring_record")
    op.drop_table("gallring_record")
    op.drop_index(op.f("ix_gallring_proposal_case_id"), table_name="gallring_proposal")
    op.drop_index("ix_gallring_proposal_org_state", table_name="gallring_proposal")
    op.drop_table("gallring_proposal")
    op.drop_index(op.f("ix_archive_delivery_organisation_id"), table_name="archive_delivery")
    op.drop_table("archive_delivery")
    op.drop_index(op.f("ix_legal_hold_organisation_id"), table_name="legal_hold")
    op.drop_index("ix_legal_hold_case", table_name="legal_hold")
    op.drop_table("legal_hold")
    with op.batch_alter_table("org_setting") as batch_op:
        batch_op.drop_column("retention_action")
    # Back to the first triggers (no change at all), then drop the column: on
    # SQLite without a table copy (3.35+ drops a column in place).
    for stmt in audit_sql.drop_statements(dialect):
        op.execute(stmt)
    op.drop_column("case_event", "redacted")
    for stmt in audit_sql.trigger_statements(dialect):
        op.execute(stmt)
