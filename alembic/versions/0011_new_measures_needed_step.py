"""the step "Nya åtgärder behövs": cases whose last follow-up found the acts not stopped

Data only: ``kb_case.step`` is a string; cases that went back to "investigated"
after a "Nej" follow-up now stand at "new_measures_needed".

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The timeline events that move a case along its steps (process.STEP_EVENTS + reopen).
_STEP_KINDS = (
    "'received', 'investigation_started', 'investigated', 'measures_decided', "
    "'followed_up', 'closed', 'reopened'"
)


def upgrade() -> None:
    op.execute(
        "UPDATE kb_case SET step = 'new_measures_needed' WHERE step = 'investigated' AND ("
        "SELECT e.kind FROM case_event e WHERE e.case_id = kb_case.id "
        f"AND e.kind IN ({_STEP_KINDS}) ORDER BY e.seq DESC LIMIT 1) = 'followed_up'"
    )


def downgrade() -> None:
    op.execute("UPDATE kb_case SET step = 'investigated' WHERE step = 'new_measures_needed'")
