"""SQLModel tables (used directly; ``rx.Model`` is deprecated).

All datetimes are timezone-aware UTC (``UTCDateTime``). Every schema change needs
an Alembic revision; ``alembic check`` must report nothing on main.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from kb_app.dbtypes import UTCDateTime, utcnow


def _created():
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = _created()


class Unit(SQLModel, table=True):
    """An enhet: a preschool, school, upper-secondary school, …"""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # vocab.UnitKind
    pupil_count: int | None = None
    active: bool = True  # False: archived (cases stay, the report link stops)
    # The grades taught (comma-separated vocab.GRADES codes), "" for none
    grades: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    created_at: datetime = _created()


class SchoolClass(SQLModel, table=True):
    """A klass (school) or avdelning (preschool group) within a unit."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(max_length=100)
    grade: str = Field(default="", max_length=8)  # "" for preschool
    pupil_count: int | None = None


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, max_length=512)
    active: bool = True
    daily_digest: bool = False
    created_at: datetime = _created()
    # The TOTP secret, encrypted with a key derived from KB_SECRET_KEY
    # (services/admin/second_factor.py); None: no authenticator app enrolled.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_last_step: int = 0  # the last accepted 30-second step: a code is used once
    # "<issuer>|<sub>" of the OpenID provider's account, once linked by a verified e-mail
    oidc_subject: str | None = Field(default=None, max_length=255, unique=True)


class RecoveryCode(SQLModel, table=True):
    """A single-use recovery code for the second factor (only its keyed hash)."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = _created()
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Passkey(SQLModel, table=True):
    """A WebAuthn credential (passkey) of a user: a second factor."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    credential_id: str = Field(max_length=1400, unique=True)  # base64url
    public_key: str = Field(sa_column=Column(Text, nullable=False))  # COSE key, base64url
    sign_count: int = 0
    transports: str = Field(default="", max_length=200)  # comma-separated
    name: str = Field(max_length=100)
    created_at: datetime = _created()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class RoleAssignment(SQLModel, table=True):
    """A role of a user: organisation-wide (unit_id None) or for one unit."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=32)  # vocab.Role
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)


class UserSession(SQLModel, table=True):
    """A login. The browser holds the random token; the database only its SHA-256."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = _created()
    last_seen_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    client: str = Field(default="", max_length=100)
    user_agent: str = Field(default="", max_length=200)
    # "" a full session; "verify" or "enrol": the password was right and the
    # second factor is still due (such a session resolves to no user).
    stage: str = Field(default="", max_length=16)
    pending_secret: str | None = Field(default=None, max_length=255)  # while enrolling
    method: str = Field(default="password", max_length=16)  # "password" or "sso"
    # A passkey ceremony under way (services/admin/passkeys.py): "<purpose>:<challenge>",
    # used once, valid until ``challenge_expires_at``.
    challenge: str | None = Field(default=None, max_length=200)
    challenge_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class LoginAttempt(SQLModel, table=True):
    """Every authentication event (services/admin/auth.Event), append-only."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = _created()
    outcome: str = Field(max_length=16)  # auth.Event
    client: str = Field(default="", max_length=100)


class OneTimeToken(SQLModel, table=True):
    """Set-password links for invited users (only the hash is stored)."""

    __tablename__ = "one_time_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    purpose: str = Field(max_length=32)  # set_password
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ReportLink(SQLModel, table=True):
    """The secret link through which staff report for one unit."""

    __tablename__ = "report_link"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    token: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime = _created()
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ReferenceCounter(SQLModel, table=True):
    """The last case number used per organisation and year: gapless references."""

    __tablename__ = "reference_counter"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0


# The overview filters on any mix of these columns. Each filter index carries
# the others after its own key columns, so that a filter combined with further
# conditions is checked in the index (counts read no table rows, pages read only
# the rows shown) instead of reading a case row per candidate.
_FILTER_TAIL = (
    "step",
    "unit_id",
    "grade",
    "kinds",
    "grounds",
    "staff_involved",
    "closed_at",
    "due_at",
    "responsible_user_id",
)


def _filter_index(name: str, *key: str) -> Index:
    return Index(name, *key, *[c for c in _FILTER_TAIL if c not in key])


class Case(SQLModel, table=True):
    __tablename__ = "kb_case"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "number"),
        Index("ix_case_unit_grade_class", "unit_id", "grade", "class_name"),
        # Statistics: every chart reads only these columns, so a period of 100 000
        # cases is counted from this index alone (no table lookups).
        Index(
            "ix_case_statistics",
            "organisation_id",
            "reported_at",
            "unit_id",
            "grade",
            "step",
            "staff_involved",
            "kinds",
            "grounds",
            "place",
            "occurred_on",
            "occurred_time",
            "class_name",
        ),
        # Statistics, time per step: a narrow index for the six distributions.
        Index(
            "ix_case_step_days",
            "organisation_id",
            "reported_at",
            "unit_id",
            "grade",
            "wdays_received",
            "wdays_investigation_started",
            "wdays_investigated",
            "wdays_measures_decided",
            "wdays_followed_up",
            "wdays_total",
        ),
        # The overview: every filter and every order served by an index.
        _filter_index("ix_case_org_reported", "organisation_id", "reported_at"),
        _filter_index("ix_case_org_step_reported", "organisation_id", "step", "reported_at"),
        _filter_index("ix_case_unit_reported", "unit_id", "reported_at", "organisation_id"),
        _filter_index("ix_case_org_grade_reported", "organisation_id", "grade", "reported_at"),
        _filter_index("ix_case_org_kinds_reported", "organisation_id", "kinds", "reported_at"),
        _filter_index("ix_case_org_grounds_reported", "organisation_id", "grounds", "reported_at"),
        _filter_index(
            "ix_case_org_staff_reported", "organisation_id", "staff_involved", "reported_at"
        ),
        _filter_index(
            "ix_case_responsible_reported", "responsible_user_id", "reported_at", "organisation_id"
        ),
        # Open (and late) cases, newest first or by due date.
        _filter_index(
            "ix_case_org_open_reported", "organisation_id", "closed_at", "reported_at", "due_at"
        ),
        _filter_index("ix_case_org_due", "organisation_id", "closed_at", "due_at"),
        # The counter counts per organisation: so is a reference unique.
        UniqueConstraint("organisation_id", "reference", name="uq_case_org_reference"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    unit_id: int = Field(foreign_key="unit.id")
    reference: str = Field(max_length=32)  # KB-2026-0042, unique per organisation
    year: int
    number: int
    submission_id: str | None = Field(default=None, max_length=64, unique=True)

    # Where the case stands
    step: str = Field(max_length=32)  # process.Step: the last step completed
    responsible_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    reported_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    updated_at: datetime = _created()

    # The subjected pupil's class and grade (first subjected party), for filters
    class_name: str = Field(default="", max_length=100)
    grade: str = Field(default="", max_length=8)

    # The incident
    occurred_on: date
    occurred_time: str = Field(default="", max_length=5)  # "HH:MM" or ""
    place: str = Field(max_length=32)
    place_other: str = Field(default="", max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    kinds: int = 0  # bit mask over vocab.KIND_CODES
    grounds: int = 0  # bit mask over vocab.GROUND_CODES
    immediate_actions: str = Field(
        default="", sa_column=Column(Text, nullable=False, server_default="")
    )
    guardians_informed: str = Field(default="unknown", max_length=16)
    witnesses: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    staff_involved: bool = Field(default=False, index=True)

    # The reporter (no login)
    reporter_name: str = Field(max_length=200)
    reporter_email: str = Field(max_length=254)
    reporter_role: str = Field(max_length=32)
    supplement_token_hash: str | None = Field(default=None, max_length=64, unique=True)

    # Outcome of the investigation, for statistics
    conclusion: str = Field(default="", max_length=32)

    # Working days each step took, from the step before it (the way its limit is
    # counted), set by timeline.append_event at the step's first completion;
    # wdays_total runs from the report to the first closing. For statistics.
    wdays_received: int | None = None
    wdays_investigation_started: int | None = None
    wdays_investigated: int | None = None
    wdays_measures_decided: int | None = None
    wdays_followed_up: int | None = None
    wdays_total: int | None = None


# Sorting by class: ascending is (class, newest first), descending its exact reverse.
Index(
    "ix_case_org_class_reported",
    Case.organisation_id,
    Case.class_name,
    Case.reported_at.desc(),
    Case.id.desc(),
    *_FILTER_TAIL,
)


class Party(SQLModel, table=True):
    """A subjected or involved person on a case."""

    __table_args__ = (
        Index("ix_party_case", "case_id"),
        Index("ix_party_name_key", "name_key"),
        # "Upprepade händelser": match pupils per case without table lookups.
        Index("ix_party_case_pattern", "case_id", "kind", "role", "name_key", "class_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="kb_case.id")
    role: str = Field(max_length=16)  # subjected, involved
    kind: str = Field(max_length=16)  # pupil, staff, unknown, external
    name: str = Field(default="", max_length=200)
    name_key: str = Field(default="", max_length=200)  # normalised for pattern matching
    class_name: str = Field(default="", max_length=100)
    grade: str = Field(default="", max_length=8)


class CaseEvent(SQLModel, table=True):
    """The append-only timeline. Each event chains the keyed hash of the previous one."""

    __tablename__ = "case_event"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        Index("ix_case_event_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="kb_case.id")
    seq: int
    kind: str = Field(max_length=32)  # process.EventKind
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(default="", max_length=200)  # name at the time, or "Anmälare"
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    prev_hash: str = Field(max_length=64)
    # The case row and its parties at this event (domain/hashing.case_seal), covered
    # by the hash: the last event's seal must match the case as it is now.
    seal: str = Field(default="", max_length=64)
    hash: str = Field(max_length=64)
    # True once the payload's free text was removed by the gallring (thinning out):
    # the one change the append-only trigger allows, once (audit_sql.py). The
    # case's "thinned" event then carries the keyed hash of the redacted event.
    redacted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Delegation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="kb_case.id", index=True)
    investigator_user_id: int = Field(foreign_key="app_user.id", index=True)
    delegated_by_user_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = _created()
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    withdrawn_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")


class Measure(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="kb_case.id", index=True)
    level: str = Field(max_length=16)  # individual, group, organisational
    description: str = Field(sa_column=Column(Text, nullable=False))
    responsible: str = Field(max_length=200)  # a name, also for someone outside Värna
    # The organisation's user responsible, when chosen among them: reminded by mail
    # when the measure is due (services/mail/reminders.py).
    responsible_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    due_on: date | None = None
    created_at: datetime = _created()
    event_id: int | None = Field(default=None, foreign_key="case_event.id")


class Attachment(SQLModel, table=True):
    """A file on a case, stored outside Reflex's public upload folder."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="kb_case.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    storage_key: str = Field(max_length=128, unique=True)
    # What the file belongs to: "investigation" or "comment" (services/case/attachments.py).
    context: str = Field(default="comment", max_length=32)
    sha256: str = Field(default="", max_length=64)
    uploaded_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _created()


class AccessLog(SQLModel, table=True):
    """Who read or tried to act on which case, and when (also denials)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_case_at", "case_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    case_id: int | None = None  # no FK: a denied probe may name a case that does not exist
    at: datetime = _created()
    action: str = Field(max_length=32)
    allowed: bool = True


class Outbox(SQLModel, table=True):
    """Mail queued in the same transaction as the change that causes it."""

    __table_args__ = (Index("ix_outbox_pending", "sent_at", "failed_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    message_id: str = Field(max_length=200)
    case_id: int | None = Field(default=None, foreign_key="kb_case.id", index=True)
    created_at: datetime = _created()
    attempts: int = 0
    next_attempt_at: datetime = _created()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_error: str = Field(default="", max_length=1000)
    # Set by the sender that has claimed the row (next_attempt_at is then its lease),
    # so two senders never deliver the same row at the same time.
    claim_token: str | None = Field(default=None, max_length=64)
    # The organisation whose admins see the row on "Utskick" (from the case or recipient).
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)


class Reminder(SQLModel, table=True):
    """One reminder level of one due date of one step of a case: written once.

    The unique key (case, step, due date, level) is what makes a reminder happen
    exactly once, whatever the number of schedulers or restarts.
    """

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    case_id: int = Field(foreign_key="kb_case.id", index=True)
    step: str = Field(max_length=32)  # the step that is due
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    level: int  # 1 reminder, 2 second reminder, 3 escalation to the organisers
    created_at: datetime = _created()
    # True when a higher level was due at the same sweep, so this one was skipped.
    superseded: bool = False


class OrgSetting(SQLModel, table=True):
    """Per-organisation limits (working days) and retention."""

    __tablename__ = "org_setting"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    limit_received: int = 1
    limit_investigation_started: int = 2
    limit_investigated: int = 10
    limit_measures_decided: int = 5
    limit_followed_up: int = 20
    escalate_after_days: int = 5
    retention_years: int = 5
    # What happens when the period has passed (domain/retention.Handling): "thin"
    # thin out; "archive_first" deliver to the e-archive first, then thin out.
    retention_action: str = Field(
        default="thin", max_length=16, sa_column_kwargs={"server_default": "thin"}
    )
    # The display name of the From header of mails ("" for the default)
    sender_name: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    # Roles (vocab.Role, comma-separated) that must log in with a second factor.
    second_factor_roles: str = Field(default="organiser,principal,admin", max_length=100)


class ChangeCounter(SQLModel, table=True):
    """Bumped by every write to a case: open overviews poll it to refresh."""

    __tablename__ = "change_counter"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    value: int = 0
    changed_at: datetime = _created()


class SchedulerLease(SQLModel, table=True):
    """The one process allowed to run background jobs holds this lease."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class RateEvent(SQLModel, table=True):
    """One counted request for abuse limits (report submissions per link and client)."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128)
    at: datetime = _created()


class PatternDismissal(SQLModel, table=True):
    """A "repeated events" match that a principal or organiser marked as wrong
    (two different pupils with the same name and class). The match stays hidden
    until a case newer than ``last_case_id`` joins it."""

    __tablename__ = "pattern_dismissal"
    __table_args__ = (Index("ix_pattern_dismissal_unit_key", "unit_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    name_key: str = Field(max_length=200)
    class_key: str = Field(default="", max_length=100)
    last_case_id: int
    dismissed_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    dismissed_at: datetime = _created()


class CaseConflict(SQLModel, table=True):
    """A user named as an involved party of a case (jäv): matched on the user's
    normalised name and a role at the case's unit when the report came in. While
    ``status`` is suspected or confirmed the user is excluded from the case (no
    mail, no reminder, no read, no step); an organiser's rejection ends that."""

    __tablename__ = "case_conflict"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id", name="uq_case_conflict_case_user"),
        # The overview and statistics: "the cases this user is excluded from".
        Index("ix_case_conflict_user_case", "user_id", "status", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="kb_case.id")
    user_id: int = Field(foreign_key="app_user.id")
    party_id: int | None = Field(default=None, foreign_key="party.id")
    status: str = Field(max_length=16)  # domain.conflict: suspected, confirmed, rejected
    created_at: datetime = _created()
    decided_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class AdminLog(SQLModel, table=True):
    """Every change made in the administration: who, when, what (append-only)."""

    __tablename__ = "admin_log"
    __table_args__ = (Index("ix_admin_log_org_at", "organisation_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(default="", max_length=200)  # name at the time
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    action: str = Field(max_length=48)  # services/admin/admin_log.Kind
    target: str = Field(default="", max_length=300)  # what was changed, in Swedish
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class LegalHold(SQLModel, table=True):
    """A case that must not be thinned out (an ongoing Skolinspektionen, BEO or
    police matter), set and lifted by an organiser with a reason. Active while
    ``lifted_at`` is None; lifted holds stay as history."""

    __tablename__ = "legal_hold"
    __table_args__ = (Index("ix_legal_hold_case", "case_id", "lifted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    case_id: int = Field(foreign_key="kb_case.id")
    reason: str = Field(max_length=500)
    set_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    set_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    lifted_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    lift_reason: str = Field(default="", max_length=500)


class ArchiveDelivery(SQLModel, table=True):
    """A case marked by an organiser as delivered to the e-archive (needed before
    the gallring when the organisation delivers first)."""

    __tablename__ = "archive_delivery"

    case_id: int = Field(foreign_key="kb_case.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    delivered_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    delivered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class GallringProposal(SQLModel, table=True):
    """One case on the gallring list: proposed by the nightly job, then approved
    (thinned), taken off by an organiser with a reason, or dropped (a legal hold
    set, the case reopened). At most one pending proposal per case."""

    __tablename__ = "gallring_proposal"
    __table_args__ = (Index("ix_gallring_proposal_org_state", "organisation_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    case_id: int = Field(foreign_key="kb_case.id", index=True)
    proposed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_on: date  # the day the retention period ended
    state: str = Field(default="pending", max_length=16)  # domain/retention.ProposalState
    decided_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    reason: str = Field(default="", max_length=500)


class GallringRecord(SQLModel, table=True):
    """What was thinned out, when and on whose approval: kept for ever
    (append-only, audit_sql.py). Holds no personal data."""

    __tablename__ = "gallring_record"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    case_id: int = Field(foreign_key="kb_case.id", unique=True)
    reference: str = Field(max_length=32)
    unit_name: str = Field(default="", max_length=200)
    reported_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    retention_years: int
    handling: str = Field(max_length=16)  # thin, archive_first
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    proposed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    approved_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    approved_by_label: str = Field(default="", max_length=200)  # name at the time
    thinned_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # What was removed, in Swedish ("3 parters namn, 7 händelsers fritext, …")
    removed: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
