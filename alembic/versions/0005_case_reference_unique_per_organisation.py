"""case reference unique per organisation

The reference counter counts per organisation and year, so KB-2026-0001 exists
once in each organisation: the unique constraint on the reference alone made the
second organisation's first report fail, and every one after it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 created the constraint unnamed: PostgreSQL named it kb_case_reference_key;
# on SQLite the batch copy finds it through this naming convention.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_name() -> str:
    return "kb_case_reference_key" if op.get_bind().dialect.name == "postgresql" else "uq_kb_case_reference"


def upgrade() -> None:
    with op.batch_alter_table("kb_case", naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint(_old_name(), type_="unique")
        batch_op.create_unique_constraint("uq_case_org_reference", ["organisation_id", "reference"])


def downgrade() -> None:
    with op.batch_alter_table("kb_case", naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint("uq_case_org_reference", type_="unique")
        batch_op.create_unique_constraint(_old_name(), ["reference"])
