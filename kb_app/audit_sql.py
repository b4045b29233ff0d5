"""Database triggers that make the timeline append-only (used by the migration
and by ``db.create_schema``).

Since migration 0019 the timeline allows one change to an event, once: the
gallring (services/retention) replaces its payload with the redacted one (and a
reporter's name in its actor label) and sets ``redacted``; every other column must stay as it was, and a redacted event can
never change again. ``trigger_statements`` are the first version (migrations 0001
and 0008 install them); ``current_trigger_statements`` replace them with this one.
"""

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


# The columns a redaction keeps as they were (all but ``payload``, ``redacted`` and
# ``actor_label``, which names the reporter on the reporter's own events).
_KEPT = ("id", "case_id", "seq", "kind", "actor_user_id", "at", "prev_hash")
_KEPT += ("seal", "hash")

SQLITE_REDACTABLE = [
    "DROP TRIGGER IF EXISTS case_event_no_update",
    """CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event
    WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND """
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _KEPT)
    + """)
    BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS case_event_no_delete BEFORE DELETE ON case_event
    BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END""",
]

POSTGRESQL_REDACTABLE = [
    """CREATE OR REPLACE FUNCTION case_event_append_only() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NOT OLD.redacted AND NEW.redacted AND ("""
    + ", ".join(f"NEW.{c}" for c in _KEPT)
    + ") IS NOT DISTINCT FROM ("
    + ", ".join(f"OLD.{c}" for c in _KEPT)
    + """) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'case_event is append-only';
    END; $$ LANGUAGE plpgsql""",
    *POSTGRESQL[1:],
]


def trigger_statements(dialect: str) -> list[str]:
    """The first version (migrations 0001 and 0008): no change at all."""
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, [])


def current_trigger_statements(dialect: str) -> list[str]:
    """The triggers as they are since migration 0019 (a redaction allowed once)."""
    return {"sqlite": SQLITE_REDACTABLE, "postgresql": POSTGRESQL_REDACTABLE}.get(dialect, [])


def drop_statements(dialect: str) -> list[str]:
    return {"sqlite": DROP_SQLITE, "postgresql": DROP_POSTGRESQL}.get(dialect, [])


# The access log and the authentication log are append-only too (migration 0008).
LOG_TABLES = ("access_log", "login_attempt")


# The gallring record is kept for ever (migration 0019).
GALLRING_TABLES = ("gallring_record",)


def log_trigger_statements(dialect: str, tables: tuple[str, ...] = LOG_TABLES) -> list[str]:
    out: list[str] = []
    for t in tables:
        if dialect == "sqlite":
            out += [
                f"""CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t}
                BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END""",
                f"""CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t}
                BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END""",
            ]
        elif dialect == "postgresql":
            out += [
                f"""CREATE OR REPLACE FUNCTION {t}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{t} is append-only'; END; $$ LANGUAGE plpgsql""",
                f"DROP TRIGGER IF EXISTS {t}_no_update ON {t}",
                f"""CREATE TRIGGER {t}_no_update BEFORE UPDATE OR DELETE ON {t}
                FOR EACH ROW EXECUTE FUNCTION {t}_append_only()""",
                f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}",
                f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
                FOR EACH STATEMENT EXECUTE FUNCTION {t}_append_only()""",
            ]
    return out


def log_drop_statements(dialect: str, tables: tuple[str, ...] = LOG_TABLES) -> list[str]:
    out: list[str] = []
    for t in tables:
        if dialect == "sqlite":
            out += [
                f"DROP TRIGGER IF EXISTS {t}_no_update",
                f"DROP TRIGGER IF EXISTS {t}_no_delete",
            ]
        elif dialect == "postgresql":
            out += [
                f"DROP TRIGGER IF EXISTS {t}_no_update ON {t}",
                f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}",
                f"DROP FUNCTION IF EXISTS {t}_append_only()",
            ]
    return out
