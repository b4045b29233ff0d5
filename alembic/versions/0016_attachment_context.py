"""attachments: what a file belongs to, and its checksum

``attachment.context`` says whether a file is on the investigation or on a
comment; ``attachment.sha256`` is the checksum of the stored bytes (also in the
timeline event that records the file).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachment") as batch_op:
        batch_op.add_column(
            sa.Column("context", sa.String(length=32), nullable=False, server_default="comment")
        )
        batch_op.add_column(
            sa.Column("sha256", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("attachment") as batch_op:
        batch_op.drop_column("sha256")
        batch_op.drop_column("context")
