"""Delegating the investigation of a case, and withdrawing the delegation."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from kb_app.domain import process
from kb_app.domain.access import Action, Actor, CaseFacts
from kb_app.domain.process import EventKind, Transition, check_invite
from kb_app.domain.vocab import Role
from kb_app.errors import InvalidInput
from kb_app.models import Case, Delegation, RoleAssignment, User
from kb_app.services.base import conflicts, outbox
from kb_app.services.case import invites
from kb_app.services.case.access import _run
from kb_app.services.case.steps import PRIVACY_NOTE, _event, _mail_case, _require, _settle

MSG_PICK = "Välj en person i listan."


def _candidate_rows(s: Session, actor: Actor, case: Case) -> list[User]:
    """Active users of the organisation who can investigate: investigators,
    principals and organisers (administrators alone see no case content); never a
    user the case names as involved (jäv)."""
    roles = [Role.INVESTIGATOR, Role.PRINCIPAL, Role.ORGANISER]
    ids = select(RoleAssignment.user_id).where(RoleAssignment.role.in_(roles))
    excluded = conflicts.excluded_user_ids(s, case.id)
    return [
        u
        for u in s.exec(
            select(User)
            .where(
                User.organisation_id == case.organisation_id,
                User.active.is_(True),
                User.id != actor.user_id,
                User.id.in_(ids),
            )
            .order_by(User.name)
        )
        if u.id not in excluded
    ]


def delegate(
    actor: Actor | None,
    case_id: int,
    *,
    investigator_user_id: int | None = None,
    invite_email: str = "",
    invite_name: str = "",
    now: datetime,
) -> str:
    """Delegate the investigation to a user of the organisation, or invite a new
    person by e-mail (account + investigator role + one-time set-password link).
    Delegating does not start the investigation: the investigator does (their first
    recorded action, ``steps._delegate_start``). Returns the investigator's name."""

    def work(s: Session, case: Case, facts: CaseFacts, _d) -> str:
        state = _require(case, facts, Transition.DELEGATE)
        invited_token = None
        if investigator_user_id is not None:
            user = s.get(User, investigator_user_id)
            if user is None or user.id not in {u.id for u in _candidate_rows(s, actor, case)}:
                raise InvalidInput({"investigator": MSG_PICK})
        else:
            data = check_invite({"email": invite_email, "name": invite_name}).raise_if_invalid()
            if s.exec(select(User).where(User.email == data["email"])).first():
                raise InvalidInput(
                    {
                        "email": "Det finns redan ett konto med den e-postadressen. "
                        "Välj personen i listan i stället."
                    }
                )
            user = User(
                organisation_id=case.organisation_id,
                email=data["email"],
                name=data["name"],
                password_hash=None,
                created_at=now,
            )
            s.add(user)
            s.flush()
            s.add(RoleAssignment(user_id=user.id, role=Role.INVESTIGATOR))
            invited_token = invites.create_token(s, user.id, now)
        s.add(
            Delegation(
                case_id=case.id,
                investigator_user_id=user.id,
                delegated_by_user_id=actor.user_id,
                created_at=now,
            )
        )
        s.flush()
        payload = {
            "investigator_user_id": user.id,
            "investigator": user.name,
            "invited": invited_token is not None,
        }
        _event(s, case, actor, EventKind.DELEGATED, payload, now)
        new = process.apply(state, Transition.DELEGATE)
        _settle(s, case, actor, new.step, now, notify=False)
        link = outbox.case_link(case.id)
        if invited_token is not None:
            body = (
                "Hej!\n\nDu har bjudits in till Värna för att utreda ärende "
                f"{case.reference}.\n\nVälj ditt lösenord här (länken gäller i 7 dagar och "
                f"kan användas en gång):\n{invites.set_password_link(invited_token)}\n\n"
                f"Logga sedan in och öppna ärendet: {link}\n\n{PRIVACY_NOTE}\n"
            )
            outbox.queue_mail(
                s,
                to=user.email,
                subject=f"Värna: inbjudan att utreda ärende {case.reference}",
                body=body,
                now=now,
                case_id=case.id,
            )
        else:
            _mail_case(
                s,
                case,
                user.id,
                f"Värna: ärende {case.reference} har delegerats till dig",
                f"Utredningen av ärende {case.reference} har delegerats till dig i Värna.",
                now,
            )
        return user.name

    return _run(actor, case_id, Action.DELEGATE, now, work)


def withdraw_delegation(actor: Actor | None, case_id: int, *, now: datetime) -> None:
    """Withdraw the active delegation; the investigator loses access to the case."""

    def work(s: Session, case: Case, facts: CaseFacts, delegations) -> None:
        state = _require(case, facts, Transition.WITHDRAW_DELEGATION)
        for d in delegations:
            d.withdrawn_at = now
            d.withdrawn_by_user_id = actor.user_id
            s.add(d)
            user = s.get(User, d.investigator_user_id)
            _event(
                s,
                case,
                actor,
                EventKind.DELEGATION_WITHDRAWN,
                {"investigator_user_id": user.id, "investigator": user.name},
                now,
            )
            if user.active:
                outbox.queue_mail(
                    s,
                    to=user.email,
                    subject=f"Värna: delegeringen av ärende {case.reference} är återkallad",
                    body=(
                        f"Hej!\n\nDelegeringen av ärende {case.reference} till dig har "
                        f"återkallats. Du behöver inte göra något mer i ärendet.\n\n"
                        f"{PRIVACY_NOTE}\n"
                    ),
                    now=now,
                    case_id=case.id,
                )
        s.flush()
        new = process.apply(state, Transition.WITHDRAW_DELEGATION)
        _settle(s, case, actor, new.step, now)

    _run(actor, case_id, Action.WITHDRAW_DELEGATION, now, work)
