"""Correcting the parties of an open case: the principal (or the organiser in
charge) and the delegated investigator add, correct or remove a party, each with a
reason. The change and the old value go to the timeline (``party_changed``); the
event is appended after the change, so its seal covers the parties as they are now
and ``kb-app audit verify`` still holds.

The case row's class and grade follow its first subjected party, as at the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, func, select

from kb_app.domain import party_change as rules
from kb_app.domain.access import Action, Actor, CaseFacts
from kb_app.domain.process import FORM, EventKind
from kb_app.domain.report import MAX_PARTIES, name_key
from kb_app.errors import InvalidInput
from kb_app.models import Case, CaseConflict, Party, SchoolClass
from kb_app.services.base import changes, conflicts
from kb_app.services.case.access import _run
from kb_app.services.case.steps import _event


def _classes(s: Session, unit_id: int) -> dict[str, str]:
    rows = s.exec(select(SchoolClass).where(SchoolClass.unit_id == unit_id)).all()
    return {c.name: c.grade for c in rows}


def _open(case: Case) -> None:
    if case.closed_at is not None:
        raise InvalidInput({FORM: rules.MSG_CLOSED})


def _party(s: Session, case: Case, party_id: Any) -> Party:
    row = s.get(Party, party_id) if isinstance(party_id, int) else None
    if row is None or row.case_id != case.id:
        raise InvalidInput({FORM: rules.MSG_UNKNOWN})
    return row


def _parties(s: Session, case_id: int) -> list[Party]:
    return list(s.exec(select(Party).where(Party.case_id == case_id).order_by(Party.id)))


def _count(s: Session, case_id: int, role: str) -> int:
    return s.exec(
        select(func.count()).select_from(Party).where(Party.case_id == case_id, Party.role == role)
    ).one()


def _follow_first_subjected(s: Session, case: Case, now: datetime) -> None:
    """The case row's class and grade are its first subjected party's (filters)."""
    first = next((p for p in _parties(s, case.id) if p.role == "subjected"), None)
    if first is not None:
        case.class_name, case.grade = first.class_name, first.grade
    case.updated_at = now
    s.add(case)
    changes.bump(s, case.organisation_id, now)


def _set(row: Party, values: rules.PartyValues) -> None:
    row.role, row.kind, row.name = values.role, values.kind, values.name
    row.name_key = name_key(values.name)
    row.class_name, row.grade = values.class_name, values.grade


def _record(
    s: Session,
    case: Case,
    actor: Actor,
    change: str,
    reason: str,
    old: rules.PartyValues | None,
    new: rules.PartyValues | None,
    now: datetime,
) -> None:
    s.flush()  # the parties as they are now, before the event seals them
    _follow_first_subjected(s, case, now)
    s.flush()
    _event(
        s, case, actor, EventKind.PARTY_CHANGED, rules.change_payload(change, reason, old, new), now
    )
    if new is not None:
        _check_conflicts(s, case, now)


def _check_conflicts(s: Session, case: Case, now: datetime) -> None:
    """A party added or corrected may name someone with a role at the unit (jäv), as
    a report may: they get a suspected conflict and lose the case at once, and if
    they were responsible the organiser takes it over (as at the report)."""
    conflicts.bypass(s, case, now=now, new_only=True)


def add_party(
    actor: Actor | None, case_id: Any, *, party: Mapping[str, Any], reason: Any, now: datetime
) -> int:
    """Add a party (``role``, ``kind``, ``name``, ``class_name``); returns its id."""

    def work(s: Session, case: Case, _facts: CaseFacts, _d) -> int:
        _open(case)
        errors: dict[str, str] = {}
        why = rules.check_reason(reason, errors)
        values, party_errors = rules.check_party(party, classes=_classes(s, case.unit_id))
        errors.update(party_errors)
        if not errors and _count(s, case.id, values.role) >= MAX_PARTIES:
            errors[FORM] = rules.MSG_TOO_MANY
        if errors:
            raise InvalidInput(errors)
        row = Party(case_id=case.id, role="", kind="")
        _set(row, values)
        s.add(row)
        _record(s, case, actor, "added", why, None, values, now)
        return row.id

    return _run(actor, case_id, Action.EDIT_PARTIES, now, work)


def correct_party(
    actor: Actor | None,
    case_id: Any,
    *,
    party_id: Any,
    party: Mapping[str, Any],
    reason: Any,
    now: datetime,
) -> None:
    """Correct a party's role, kind, name or class."""

    def work(s: Session, case: Case, _facts: CaseFacts, _d) -> None:
        _open(case)
        row = _party(s, case, party_id)
        old = rules.values_of(row)
        errors: dict[str, str] = {}
        why = rules.check_reason(reason, errors)
        values, party_errors = rules.check_party(party, classes=_classes(s, case.unit_id), old=old)
        errors.update(party_errors)
        if not errors and values == old:
            errors[FORM] = rules.MSG_UNCHANGED
        if not errors and old.role == "subjected" and values.role != "subjected":
            if _count(s, case.id, "subjected") <= 1:
                errors["role"] = rules.MSG_LAST_SUBJECTED
        if (
            not errors
            and values.role != old.role
            and _count(s, case.id, values.role) >= MAX_PARTIES
        ):
            errors[FORM] = rules.MSG_TOO_MANY
        if errors:
            raise InvalidInput(errors)
        _set(row, values)
        s.add(row)
        _record(s, case, actor, "corrected", why, old, values, now)

    _run(actor, case_id, Action.EDIT_PARTIES, now, work)


def remove_party(
    actor: Actor | None, case_id: Any, *, party_id: Any, reason: Any, now: datetime
) -> None:
    """Remove a party; the last subjected one stays (a case has someone subjected)."""

    def work(s: Session, case: Case, _facts: CaseFacts, _d) -> None:
        _open(case)
        row = _party(s, case, party_id)
        old = rules.values_of(row)
        errors: dict[str, str] = {}
        why = rules.check_reason(reason, errors)
        if not errors and old.role == "subjected" and _count(s, case.id, "subjected") <= 1:
            errors[FORM] = rules.MSG_LAST_SUBJECTED
        if errors:
            raise InvalidInput(errors)
        # A suspected or decided conflict of interest names this party: it keeps its
        # record, without the party (the timeline keeps who it was).
        for conflict in s.exec(select(CaseConflict).where(CaseConflict.party_id == row.id)):
            conflict.party_id = None
            s.add(conflict)
        s.delete(row)
        _record(s, case, actor, "removed", why, old, None, now)

    _run(actor, case_id, Action.EDIT_PARTIES, now, work)
