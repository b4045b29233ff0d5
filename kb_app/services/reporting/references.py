"""Case references KB-<year>-<number>: per organisation and year, gapless and unique.

The counter row is incremented with one atomic upsert inside the caller's
transaction: concurrent submissions queue on the row (PostgreSQL) or the write
lock (SQLite), and a rolled-back submission gives its number back.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from kb_app.models import ReferenceCounter


def allocate(session: Session, organisation_id: int, year: int) -> tuple[int, str]:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ReferenceCounter.__table__
    stmt = (
        insert(table)
        .values(organisation_id=organisation_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=["organisation_id", "year"],
            set_={"last_number": table.c.last_number + 1},
        )
        .returning(table.c.last_number)
    )
    number = session.execute(stmt).scalar_one()
    return number, format_reference(year, number)


def format_reference(year: int, number: int) -> str:
    return f"KB-{year}-{number:04d}"
