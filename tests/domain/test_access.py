from kb_app.domain.access import (
    Action,
    Actor,
    CaseFacts,
    Page,
    can,
    can_on_case,
    may_use_page,
    start_page,
)

ORG = 1
principal = Actor(user_id=1, organisation_id=ORG, unit_roles=frozenset({("principal", 10)}))
organiser = Actor(user_id=2, organisation_id=ORG, org_roles=frozenset({"organiser"}))
investigator = Actor(user_id=3, organisation_id=ORG, org_roles=frozenset({"investigator"}))
admin = Actor(user_id=4, organisation_id=ORG, org_roles=frozenset({"admin"}))
other_principal = Actor(user_id=5, organisation_id=ORG, unit_roles=frozenset({("principal", 11)}))
foreign_organiser = Actor(user_id=6, organisation_id=2, org_roles=frozenset({"organiser"}))

case = CaseFacts(case_id=100, organisation_id=ORG, unit_id=10, delegated_to=frozenset({3}))
other_case = CaseFacts(case_id=101, organisation_id=ORG, unit_id=10)


def test_start_pages():
    assert start_page(principal) == "/oversikt"
    assert start_page(organiser) == "/oversikt"
    assert start_page(investigator) == "/mina-arenden"
    assert start_page(admin) == "/admin"


def test_pages_by_role():
    assert may_use_page(principal, Page.OVERVIEW)
    assert not may_use_page(investigator, Page.OVERVIEW)
    assert not may_use_page(investigator, Page.STATISTICS)
    assert not may_use_page(admin, Page.OVERVIEW)
    assert may_use_page(admin, Page.ADMIN)
    assert not may_use_page(principal, Page.ADMIN)
    assert not may_use_page(None, Page.MY_CASES)


def test_case_access():
    assert can_on_case(principal, Action.READ_CASE, case)
    assert can_on_case(organiser, Action.READ_CASE, case)
    assert can_on_case(investigator, Action.READ_CASE, case)
    assert not can_on_case(investigator, Action.READ_CASE, other_case)
    assert not can_on_case(investigator, Action.CLOSE, case)
    assert not can_on_case(investigator, Action.DELEGATE, case)
    assert not can_on_case(other_principal, Action.READ_CASE, case)
    assert not can_on_case(admin, Action.READ_CASE, case)
    assert not can_on_case(foreign_organiser, Action.READ_CASE, case)
    assert not can_on_case(None, Action.READ_CASE, case)
    assert not can_on_case(organiser, Action.CLOSE, case)


def test_takeover_gives_organiser_principal_powers():
    taken = CaseFacts(case_id=100, organisation_id=ORG, unit_id=10, responsible_user_id=2)
    assert can_on_case(organiser, Action.CLOSE, taken)


def test_list_actions():
    assert can(organiser, Action.LIST_CASES)
    assert not can(investigator, Action.LIST_CASES)
    assert can(investigator, Action.MY_CASES)
    assert not can(admin, Action.STATISTICS)


def test_unit_scope_is_the_one_rule_for_visible_units():
    from kb_app.domain.access import sees_unit, unit_scope, visible_unit_ids

    assert unit_scope(organiser) is None
    assert unit_scope(principal) == frozenset({10})
    assert unit_scope(investigator) == frozenset()
    assert visible_unit_ids(organiser, [11, 10, 12]) == [11, 10, 12]
    assert visible_unit_ids(principal, [11, 10, 12]) == [10]
    assert visible_unit_ids(investigator, [10]) == []
    assert sees_unit(organiser, 12) and sees_unit(principal, 10)
    assert not sees_unit(principal, 11) and not sees_unit(investigator, 10)
