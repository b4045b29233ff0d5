"""Database triggers that make the timeline append-only (used by the migration
and by ``db.create_schema``)."""

from __future__ import annotations

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS case_event_no_update BEFORE UPDATE ON case_event
    BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS case_event_no_delete BEFORE DELETE ON case_event
    BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END""",
]

POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION case_event_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'case_event is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS case_event_no_update ON case_event",
    """CREATE TRIGGER case_event_no_update BEFORE UPDATE OR DELETE ON case_event
    FOR EACH ROW EXECUTE FUNCTION case_event_append_only()""",
    "DROP TRIGGER IF EXISTS case_event_no_truncate ON case_event",
    """CREATE TRIGGER case_event_no_truncate BEFORE TRUNCATE ON case_event
    FOR EACH STATEMENT EXECUTE FUNCTION case_event_append_only()""",
]

DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS case_event_no_update",
    "DROP TRIGGER IF EXISTS case_event_no_delete",
]
DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS case_event_no_update ON case_event",
    "DROP TRIGGER IF EXISTS case_event_no_truncate ON case_event",
    "DROP FUNCTION IF EXISTS case_event_append_only()",
]


def trigger_statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, [])


def drop_statements(dialect: str) -> list[str]:
    return {"sqlite": DROP_SQLITE, "postgresql": DROP_POSTGRESQL}.get(dialect, [])
