"""The change counter: every write to a case bumps it, open overviews poll it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from kb_app.models import ChangeCounter


def bump(session: Session, organisation_id: int, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ChangeCounter.__table__
    session.execute(
        insert(table)
        .values(organisation_id=organisation_id, value=1, changed_at=now)
        .on_conflict_do_update(
            index_elements=["organisation_id"],
            set_={"value": table.c.value + 1, "changed_at": now},
        )
    )


def current(session: Session, organisation_id: int) -> int:
    row = session.exec(
        select(ChangeCounter.value).where(ChangeCounter.organisation_id == organisation_id)
    ).first()
    return row or 0
