"""Who may see or do what: the one access policy (GLOSSARY.md, roles).

Pages, states and services ask this module; hiding a button is never the check.
Pure Python: the caller supplies the facts (the actor's roles, the case's unit and
delegations) and gets a yes or no.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kb_app import routes
from kb_app.domain.vocab import Role


class Action(StrEnum):
    READ_CASE = "read_case"
    LIST_CASES = "list_cases"  # the overview
    MY_CASES = "my_cases"  # "Mina ärenden"
    RECEIVE = "receive"
    START_INVESTIGATION = "start_investigation"
    RECORD_INVESTIGATION = "record_investigation"
    PROPOSE_MEASURES = "propose_measures"
    DECIDE_MEASURES = "decide_measures"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"
    COMMENT = "comment"
    DELEGATE = "delegate"
    WITHDRAW_DELEGATION = "withdraw_delegation"
    REOPEN = "reopen"
    TAKE_OVER = "take_over"
    RESOLVE_CONFLICT = "resolve_conflict"  # confirm or reject a suspected jäv
    EXPORT_CASE = "export_case"
    STATISTICS = "statistics"
    ADMINISTER = "administer"
    MANAGE_REPORT_LINKS = "manage_report_links"
    SETTINGS = "settings"  # per-organisation limits, retention, sender name
    ATTACH_FILE = "attach_file"  # a file on a comment (the investigation's: RECORD_INVESTIGATION)
    DOWNLOAD_ATTACHMENT = "download_attachment"
    VIEW_ACCESS_LOG = "view_access_log"  # "Vem har läst ärendet": principals and organisers
    REGISTER_EXTRACT = "register_extract"  # a person's cases (GDPR art. 15): organisers
    EDIT_PARTIES = "edit_parties"  # add, correct or remove a party, with a reason
    GALLRING = "gallring"  # the gallring list: approve, take off, mark delivered; organisers
    LEGAL_HOLD = "legal_hold"  # set or lift a legal hold on a case: organisers
    ARCHIVE_EXPORT = "archive_export"  # archive packages of closed cases (E-ARK SIP): organisers


class Page(StrEnum):
    OVERVIEW = "overview"
    MY_CASES = "my_cases"
    ADMIN = "admin"
    STATISTICS = "statistics"
    SETTINGS = "settings"
    REPORT_LINKS = "report_links"
    GALLRING = "gallring"


@dataclass(frozen=True)
class Actor:
    """A logged-in user as the policy sees them."""

    user_id: int
    organisation_id: int
    name: str = ""
    email: str = ""
    org_roles: frozenset[str] = frozenset()  # organisation-wide roles
    unit_roles: frozenset[tuple[str, int]] = frozenset()  # (role, unit_id)

    def has(self, role: Role) -> bool:
        return role in self.org_roles or any(r == role for r, _ in self.unit_roles)

    @property
    def is_organiser(self) -> bool:
        return Role.ORGANISER in self.org_roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.org_roles

    @property
    def principal_units(self) -> frozenset[int]:
        return frozenset(u for r, u in self.unit_roles if r == Role.PRINCIPAL)

    @property
    def is_principal(self) -> bool:
        return bool(self.principal_units)

    @property
    def roles(self) -> frozenset[str]:
        return self.org_roles | frozenset(r for r, _ in self.unit_roles)


@dataclass(frozen=True)
class CaseFacts:
    """What the policy needs to know about a case."""

    case_id: int
    organisation_id: int
    unit_id: int
    delegated_to: frozenset[int] = field(default_factory=frozenset)  # active delegations
    closed: bool = False
    staff_involved: bool = False
    responsible_user_id: int | None = None
    taken_over_by: int | None = None  # an organiser who took over the case
    # Users named as involved (jäv, suspected or confirmed): they never see or
    # handle the case, and the organiser is in charge of it.
    excluded: frozenset[int] = field(default_factory=frozenset)

    @property
    def with_organiser(self) -> bool:
        """Are the next steps the organiser's (taken over, or a principal bypassed)?"""
        return self.taken_over_by is not None or bool(self.excluded)


# What a delegated investigator may do on their case. (Delegating does not start
# the investigation: the investigator records "Utredning påbörjad".)
INVESTIGATOR_ACTIONS = frozenset(
    {
        Action.READ_CASE,
        Action.START_INVESTIGATION,
        Action.RECORD_INVESTIGATION,
        Action.PROPOSE_MEASURES,
        Action.FOLLOW_UP,
        Action.COMMENT,
        Action.ATTACH_FILE,
        Action.DOWNLOAD_ATTACHMENT,
        Action.EDIT_PARTIES,
    }
)

# What the principal of the case's unit may do.
PRINCIPAL_ACTIONS = frozenset(
    {
        Action.READ_CASE,
        Action.RECEIVE,
        Action.START_INVESTIGATION,
        Action.RECORD_INVESTIGATION,
        Action.PROPOSE_MEASURES,
        Action.DECIDE_MEASURES,
        Action.FOLLOW_UP,
        Action.CLOSE,
        Action.COMMENT,
        Action.DELEGATE,
        Action.WITHDRAW_DELEGATION,
        Action.REOPEN,
        Action.EXPORT_CASE,
        Action.ATTACH_FILE,
        Action.DOWNLOAD_ATTACHMENT,
        Action.VIEW_ACCESS_LOG,
        Action.EDIT_PARTIES,
    }
)

# What the unit's principal keeps when the organiser has the case (taken over, or
# bypassed for another principal's conflict of interest): the steps are not theirs.
OBSERVER_ACTIONS = frozenset(
    {
        Action.READ_CASE,
        Action.COMMENT,
        Action.EXPORT_CASE,
        Action.ATTACH_FILE,
        Action.DOWNLOAD_ATTACHMENT,
        Action.VIEW_ACCESS_LOG,
    }
)

# The organiser oversees every case; they may comment, reopen, export, take over a
# case (then acting as its responsible principal would) and settle a suspected jäv.
ORGANISER_ACTIONS = frozenset(
    {
        Action.READ_CASE,
        Action.COMMENT,
        Action.REOPEN,
        Action.EXPORT_CASE,
        Action.TAKE_OVER,
        Action.RESOLVE_CONFLICT,
        Action.ATTACH_FILE,
        Action.DOWNLOAD_ATTACHMENT,
        Action.VIEW_ACCESS_LOG,
    }
)


def can_on_case(actor: Actor | None, action: Action, case: CaseFacts) -> bool:
    """May ``actor`` do ``action`` on ``case``?"""
    if actor is None or actor.organisation_id != case.organisation_id:
        return False
    if actor.user_id in case.excluded:
        return False  # named as involved: as if the case did not exist
    if case.unit_id in actor.principal_units:
        own = OBSERVER_ACTIONS if case.with_organiser else PRINCIPAL_ACTIONS
        if action in own:
            return True
    if actor.is_organiser:
        if action in ORGANISER_ACTIONS:
            return True
        # An organiser who has taken over a case acts as its principal; so does
        # every organiser of a case whose principal is bypassed (jäv).
        in_charge = actor.user_id in (case.responsible_user_id, case.taken_over_by) or (
            case.taken_over_by is None and bool(case.excluded)
        )
        if in_charge and action in PRINCIPAL_ACTIONS:
            return True
    if actor.user_id in case.delegated_to and action in INVESTIGATOR_ACTIONS:
        return True
    return False


def can(actor: Actor | None, action: Action) -> bool:
    """Actions not tied to one case (lists, statistics, administration)."""
    if actor is None:
        return False
    match action:
        case Action.LIST_CASES | Action.STATISTICS:
            return actor.is_organiser or actor.is_principal
        case Action.MY_CASES:
            return actor.has(Role.INVESTIGATOR) or actor.is_principal or actor.is_organiser
        case Action.ADMINISTER:
            return actor.is_admin
        case Action.MANAGE_REPORT_LINKS:
            return actor.is_admin or actor.is_principal
        case Action.REGISTER_EXTRACT | Action.ARCHIVE_EXPORT | Action.GALLRING | Action.LEGAL_HOLD:
            return actor.is_organiser
        case Action.SETTINGS:
            # The organisation's settings: the organiser and the admin (issue 14.6)
            return actor.is_organiser or actor.is_admin
    return False


def may_use_page(actor: Actor | None, page: Page) -> bool:
    return can(
        actor,
        {
            Page.OVERVIEW: Action.LIST_CASES,
            Page.MY_CASES: Action.MY_CASES,
            Page.ADMIN: Action.ADMINISTER,
            Page.STATISTICS: Action.STATISTICS,
            Page.SETTINGS: Action.SETTINGS,
            Page.REPORT_LINKS: Action.MANAGE_REPORT_LINKS,
            Page.GALLRING: Action.GALLRING,
        }[page],
    )


def unit_scope(actor: Actor) -> frozenset[int] | None:
    """The units whose cases the actor may see (the overview, statistics, repeated
    events): None for every unit of the organisation (an organiser), else their
    units as principal. The one rule; ``visible_unit_ids`` and ``sees_unit`` apply it."""
    return None if actor.is_organiser else actor.principal_units


def visible_unit_ids(actor: Actor, all_unit_ids: list[int]) -> list[int]:
    """Units (of ``all_unit_ids``, in their order) whose cases the actor may see."""
    scope = unit_scope(actor)
    if scope is None:
        return list(all_unit_ids)
    return [u for u in all_unit_ids if u in scope]


def sees_unit(actor: Actor, unit_id: int) -> bool:
    """May the actor see the cases of this unit (of their organisation)?"""
    scope = unit_scope(actor)
    return scope is None or unit_id in scope


def may_manage_unit_link(actor: Actor | None, unit_id: int) -> bool:
    return actor is not None and (actor.is_admin or unit_id in actor.principal_units)


START_PAGES = {
    Page.OVERVIEW: routes.OVERVIEW,
    Page.MY_CASES: routes.MY_CASES,
    Page.ADMIN: routes.ADMIN,
}


def start_page(actor: Actor) -> str:
    """Where a role lands after login."""
    if actor.is_organiser or actor.is_principal:
        return START_PAGES[Page.OVERVIEW]
    if actor.has(Role.INVESTIGATOR):
        return START_PAGES[Page.MY_CASES]
    if actor.is_admin:
        return START_PAGES[Page.ADMIN]
    return "/ingen-behorighet"
