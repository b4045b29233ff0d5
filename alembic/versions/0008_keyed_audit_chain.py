"""keyed audit chain: case seals on events, HMAC hashes, append-only logs

Every timeline event gets a ``seal`` of its case row and parties, and every
case's chain is recomputed with HMAC-SHA256 under the audit key (a file outside
the database, KB_AUDIT_KEY_FILE). ``access_log`` and ``login_attempt`` become
append-only (triggers, as the timeline). The downgrade recomputes the plain
SHA-256 chain of 0007 and drops the seals.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:00:00
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import kb_app.dbtypes
from kb_app import audit_sql
from kb_app.domain import hashing

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

_case = sa.table(
    "kb_case",
    sa.column("id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("unit_id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("year", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("reported_at", kb_app.dbtypes.UTCDateTime(timezone=True)),
    sa.column("class_name", sa.String),
    sa.column("grade", sa.String),
    sa.column("occurred_on", sa.Date),
    sa.column("occurred_time", sa.String),
    sa.column("place", sa.String),
    sa.column("place_other", sa.String),
    sa.column("description", sa.Text),
    sa.column("kinds", sa.Integer),
    sa.column("grounds", sa.Integer),
    sa.column("immediate_actions", sa.Text),
    sa.column("guardians_informed", sa.String),
    sa.column("witnesses", sa.Text),
    sa.column("staff_involved", sa.Boolean),
    sa.column("reporter_name", sa.String),
    sa.column("reporter_email", sa.String),
    sa.column("reporter_role", sa.String),
)
_party = sa.table(
    "party",
    *(sa.column(f, sa.Integer if f in ("id", "case_id") else sa.String)
      for f in hashing.PARTY_SEAL_FIELDS),
)
_event_cols = [
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("actor_user_id", sa.Integer),
    sa.column("actor_label", sa.String),
    sa.column("at", kb_app.dbtypes.UTCDateTime(timezone=True)),
    sa.column("payload", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
]


def _legacy_hash(*, case_id, seq, kind, actor_user_id, actor_label, at, payload, prev_hash):
    """The unkeyed SHA-256 of revision 0007 (domain/hashing.py as it was then)."""
    body = json.dumps(
        [case_id, seq, kind, actor_user_id, actor_label, hashing.canonical_at(at), payload,
         prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _rechain(keyed: bool) -> None:
    """Recompute every case's chain (triggers dropped by the caller)."""
    conn = op.get_bind()
    with_seal = keyed
    cols = [*_event_cols, sa.column("seal", sa.String)] if with_seal else _event_cols
    event = sa.table("case_event", *cols)
    key = None
    if keyed:
        from kb_app.settings import audit_key

        key = audit_key()
    last = 0
    while True:
        cases = conn.execute(
            sa.select(_case).where(_case.c.id > last).order_by(_case.c.id).limit(BATCH)
        ).mappings().all()
        if not cases:
            return
        last = cases[-1]["id"]
        ids = [c["id"] for c in cases]
        events: dict[int, list] = {i: [] for i in ids}
        for ev in conn.execute(
            sa.select(event).where(event.c.case_id.in_(ids))
            .order_by(event.c.case_id, event.c.seq)
        ).mappings():
            events[ev["case_id"]].append(ev)
        parties: dict[int, list] = {i: [] for i in ids}
        if keyed:
            for p in conn.execute(sa.select(_party).where(_party.c.case_id.in_(ids))).mappings():
                parties[p["case_id"]].append(p)
        updates = []
        for c in cases:
            seal = hashing.case_seal(key, c, parties[c["id"]]) if keyed else ""
            prev = hashing.GENESIS
            for ev in events[c["id"]]:
                fields = dict(
                    case_id=ev["case_id"],
                    seq=ev["seq"],
                    kind=ev["kind"],
                    actor_user_id=ev["actor_user_id"],
                    actor_label=ev["actor_label"],
                    at=ev["at"],
                    payload=ev["payload"],
                    prev_hash=prev,
                )
                if keyed:
                    h = hashing.event_hash(key, **fields, seal=seal)
                else:
                    h = _legacy_hash(**fields)
                row = {"b_id": ev["id"], "b_prev": prev, "b_hash": h}
                if with_seal:
                    row["b_seal"] = seal
                updates.append(row)
                prev = h
        if updates:
            values = {"prev_hash": sa.bindparam("b_prev"), "hash": sa.bindparam("b_hash")}
            if with_seal:
                values["seal"] = sa.bindparam("b_seal")
            conn.execute(
                event.update().where(event.c.id == sa.bindparam("b_id")).values(**values),
                updates,
            )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "case_event",
        sa.Column(
            "seal",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="",
        ),
    )
    for stmt in audit_sql.drop_statements(dialect):
        op.execute(stmt)
    # Every event seals its case as it stands now: the history before this
    # revision kept no seal, so the present state is the best known one.
    _rechain(keyed=True)
    for stmt in audit_sql.trigger_statements(dialect):
        op.execute(stmt)
    for stmt in audit_sql.log_trigger_statements(dialect):
        op.execute(stmt)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in audit_sql.log_drop_statements(dialect):
        op.execute(stmt)
    for stmt in audit_sql.drop_statements(dialect):
        op.execute(stmt)
    _rechain(keyed=False)
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_column("seal")
    for stmt in audit_sql.trigger_statements(dialect):
        op.execute(stmt)
