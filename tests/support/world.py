"""A small organisation for scheduler tests: one unit, a principal, an investigator,
two organisers and an admin, and cases placed where a test needs them. Written
through the real tables and the timeline service (no mocks)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ
from kb_app.domain.process import EventKind, Step, next_step
from kb_app.domain.vocab import Role, UnitKind
from kb_app.models import (
    Case,
    CaseEvent,
    Organisation,
    OrgSetting,
    Outbox,
    Reminder,
    RoleAssignment,
    Unit,
    User,
)
from kb_app.services.base import limits
from kb_app.services.base.timeline import append_event
from kb_app.services.reporting import references


def local(y, m, d, h=10, mi=0) -> datetime:
    """A Stockholm wall-clock time as an aware UTC datetime."""
    return datetime(y, m, d, h, mi, tzinfo=TZ).astimezone(UTC)


@dataclass
class World:
    org_id: int
    unit_id: int
    principal_id: int
    investigator_id: int
    organiser_ids: list[int]
    admin_id: int
    emails: dict[str, str] = field(default_factory=dict)


def make_world(now: datetime, name: str = "Testkommun", *, prefix: str = "") -> World:
    with session_scope() as s:
        org = Organisation(name=name, created_at=now)
        s.add(org)
        s.flush()
        # Password logins only: the second factor has tests of its own.
        s.add(OrgSetting(organisation_id=org.id, second_factor_roles=""))
        unit = Unit(organisation_id=org.id, name="Lindskolan", kind=UnitKind.COMPULSORY)
        s.add(unit)
        s.flush()

        def user(key: str, label: str, role: Role, unit_id: int | None = None) -> User:
            u = User(
                organisation_id=org.id,
                email=f"{prefix}{key}@test.example",
                name=label,
                created_at=now,
            )
            s.add(u)
            s.flush()
            s.add(RoleAssignment(user_id=u.id, role=role, unit_id=unit_id))
            return u

        principal = user("rektor", "Rut Rektor", Role.PRINCIPAL, unit.id)
        investigator = user("utredare", "Ulf Utredare", Role.INVESTIGATOR)
        org1 = user("huvudman1", "Hanna Huvudman", Role.ORGANISER)
        org2 = user("huvudman2", "Henrik Huvudman", Role.ORGANISER)
        admin = user("admin", "Ada Admin", Role.ADMIN)
        return World(
            org_id=org.id,
            unit_id=unit.id,
            principal_id=principal.id,
            investigator_id=investigator.id,
            organiser_ids=[org1.id, org2.id],
            admin_id=admin.id,
            emails={
                "principal": principal.email,
                "investigator": investigator.email,
                "organiser1": org1.email,
                "organiser2": org2.email,
                "admin": admin.email,
            },
        )


def make_case(
    w: World,
    *,
    reported_at: datetime,
    step: Step = Step.REPORTED,
    step_at: datetime | None = None,
    responsible_id: int | None = None,
) -> int:
    """A case that reached ``step`` at ``step_at``, its due date from the org's limits
    (as the case process computes it at each transition)."""
    step_at = step_at or reported_at
    with session_scope() as s:
        number, reference = references.allocate(s, w.org_id, reported_at.year)
        case = Case(
            organisation_id=w.org_id,
            unit_id=w.unit_id,
            reference=reference,
            year=reported_at.year,
            number=number,
            step=Step.REPORTED,
            responsible_user_id=responsible_id or w.principal_id,
            reported_at=reported_at,
            updated_at=reported_at,
            class_name="7B",
            grade="7",
            occurred_on=reported_at.date(),
            place="schoolyard",
            description="Elev Hemlig Hemligsson knuffades på skolgården.",
            reporter_name="Petra Personal",
            reporter_email="petra@test.example",
            reporter_role="teacher",
        )
        s.add(case)
        s.flush()
        append_event(s, case, EventKind.REPORTED, at=reported_at, actor_label="Petra Personal")
        append_event(s, case, EventKind.ORGANISER_NOTIFIED, at=reported_at)
        if step != Step.REPORTED:
            append_event(s, case, step, at=step_at, actor_user_id=w.principal_id)
        case.step = step
        case.due_at = limits.due_for_next_step(s, w.org_id, step, step_at)
        s.add(case)
        return case.id


def complete_step(case_id: int, at: datetime, actor_id: int) -> None:
    """What the case process does on a transition: next step, new due date, event."""
    with session_scope() as s:
        case = s.get(Case, case_id)
        nxt = next_step(Step(case.step))
        append_event(s, case, nxt, at=at, actor_user_id=actor_id)
        case.step = nxt
        case.due_at = limits.due_for_next_step(s, case.organisation_id, nxt, at)
        if nxt == Step.CLOSED:
            case.closed_at = at
        s.add(case)


def set_digest(user_id: int, enabled: bool = True) -> None:
    with session_scope() as s:
        s.execute(update(User).where(User.id == user_id).values(daily_digest=enabled))


def due_of(case_id: int) -> datetime | None:
    with read_scope() as s:
        return s.get(Case, case_id).due_at


def outbox_rows() -> list[Outbox]:
    with read_scope() as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def reminders_of(case_id: int) -> list[Reminder]:
    with read_scope() as s:
        return list(
            s.exec(select(Reminder).where(Reminder.case_id == case_id).order_by(Reminder.id))
        )


def reminder_events(case_id: int) -> list[CaseEvent]:
    with read_scope() as s:
        return list(
            s.exec(
                select(CaseEvent)
                .where(CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.REMINDER)
                .order_by(CaseEvent.seq)
            )
        )


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real aiosmtpd server that a test starts and stops at will, on a fixed port.

    ``reject`` maps a recipient address to an SMTP reply for RCPT TO (e.g. a 5xx or
    4xx line); everyone else is accepted."""

    def __init__(self, port: int, reject: dict[str, str] | None = None):
        from email import message_from_bytes, policy

        self.port = port
        self.host = "127.0.0.1"
        self.messages: list[dict] = []
        self.reject = dict(reject or {})
        self._controller = None
        self._lock = threading.Lock()
        outer = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                reply = outer.reject.get(address.lower())
                if reply:
                    return reply
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                msg = message_from_bytes(envelope.content, policy=policy.default)
                with outer._lock:
                    outer.messages.append({"to": list(envelope.rcpt_tos), "message": msg})
                return "250 OK"

        self._handler = Handler()

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            with contextlib.suppress(Exception):
                self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        with self._lock:
            return [m["message"]["Message-ID"] for m in self.messages]

    def to(self, address: str) -> list:
        with self._lock:
            return [m["message"] for m in self.messages if address in m["to"]]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return
            time.sleep(0.2)


def point_smtp_at(monkeypatch, port: int) -> None:
    from kb_app.settings import reset_settings

    monkeypatch.setenv("KB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KB_SMTP_PORT", str(port))
    monkeypatch.setenv("KB_SMTP_SECURITY", "none")
    monkeypatch.setenv("KB_SMTP_SENDER", "varna@test.example")
    reset_settings()


LIMITS = deadlines.DEFAULT_LIMITS


def mails_to(sink, address: str) -> list:
    """The messages a sink (``smtp_server`` fixture or ``SmtpServer``) got for ``address``."""
    return [m["message"] for m in list(sink.messages) if address in m["to"]]
