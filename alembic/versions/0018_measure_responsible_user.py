"""measure.responsible_user_id: the organisation's user responsible for a measure

A measure's responsible person is chosen among the organisation's users (reminded
by mail when the measure is due) or typed as free text (``responsible``) for
someone outside Värna. Old measures have only the text.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measure") as batch_op:
        batch_op.add_column(sa.Column("responsible_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_measure_responsible_user_id_app_user",
            "app_user",
            ["responsible_user_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("measure") as batch_op:
        batch_op.drop_constraint("fk_measure_responsible_user_id_app_user", type_="foreignkey")
        batch_op.drop_column("responsible_user_id")
