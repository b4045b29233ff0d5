"""Import of units, classes and users (CSV and XLSX): the preview's outcomes and
Swedish errors per row, one transaction, and applying twice changes nothing.
SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from sqlmodel import func, select

from kb_app.db import read_scope
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Outbox, SchoolClass, Unit, User
from kb_app.services.organisation import imports
from tests.support.helpers import actor_for
from tests.support.world import make_world

GOOD = """typ;enhet;enhetstyp;årskurser;klass;årskurs;antal;namn;e-post;roll
enhet;Ängsskolan;grundskola;F,1,2;;;;;;
klass;Ängsskolan;;;1A;1;24;;;
klass;Ängsskolan;;;2A;2;;;;
enhet;Lindskolan;;;;;300;;;
användare;Ängsskolan;;;;;;Rut Rektor;Rut@Exempel.se;rektor
användare;;;;;;;Hans Huvudman;hans@exempel.se;huvudman
"""
BAD = """typ;enhet;enhetstyp;årskurser;klass;årskurs;antal;namn;e-post;roll
sak;X;;;;;;;;
klass;Okändskolan;;;1A;1;;;;
användare;;;;;;;Ful Adress;inte-en-adress;huvudman
användare;;;;;;;Ola Okänd;ola@exempel.se;vaktmästare
enhet;Björken;slott;;;;;;;
klass;Ängsskolan;;;1A;1;24;;;
"""


@pytest.fixture
def world(engine, now):
    return make_world(now)


def counts():
    with read_scope() as s:
        return (
            s.exec(select(func.count()).select_from(Unit)).one(),
            s.exec(select(func.count()).select_from(SchoolClass)).one(),
            s.exec(select(func.count()).select_from(User)).one(),
            s.exec(select(func.count()).select_from(Outbox)).one(),
        )


def test_preview_apply_and_apply_again(world, now):
    a = actor_for(world.emails["admin"])
    rows = imports.parse(GOOD.encode(), "skolor.csv")
    plan = imports.preview(a, rows)
    assert [r.outcome for r in plan.rows] == [
        "Skapas",
        "Skapas",
        "Skapas",
        "Ändras",
        "Skapas",
        "Skapas",
    ]
    assert plan.counts == {"Skapas": 5, "Ändras": 1, "Oförändrad": 0, "Fel": 0}
    assert imports.apply(a, rows, now=now)["Skapas"] == 5
    after = counts()
    with read_scope() as s:
        lind = s.exec(select(Unit).where(Unit.name == "Lindskolan")).one()
        assert lind.pupil_count == 300
        angs = s.exec(select(Unit).where(Unit.name == "Ängsskolan")).one()
        assert angs.grades == "F,1,2"
    assert actor_for("rut@exempel.se").principal_units == frozenset({angs.id})
    assert actor_for("hans@exempel.se").is_organiser
    # The same file again: everything unchanged, nothing written, no second mail.
    again = imports.preview(a, imports.parse(GOOD.encode(), "skolor.csv"))
    assert again.counts == {"Skapas": 0, "Ändras": 0, "Oförändrad": 6, "Fel": 0}
    imports.apply(a, rows, now=now)
    assert counts() == after


def test_bad_rows_and_a_duplicate(world, now):
    a = actor_for(world.emails["admin"])
    rows = imports.parse((GOOD + "\n".join(BAD.splitlines()[1:]) + "\n").encode(), "f.csv")
    plan = imports.preview(a, rows)
    errors = [r.error for r in plan.rows if r.outcome == "Fel"]
    assert errors == [
        imports.MSG_TYPE,
        imports.MSG_UNKNOWN_UNIT,
        imports.MSG_EMAIL,
        imports.MSG_ROLE,
        imports.MSG_UNIT_KIND,
        imports.MSG_DUPLICATE.format(line=3),
    ]
    assert plan.counts["Fel"] == 6 and plan.counts["Skapas"] == 5
    before = counts()
    with pytest.raises(InvalidInput):
        imports.apply(a, rows, now=now)
    assert counts() == before  # one transaction: nothing of the good rows either


def test_xlsx_and_template(world, now):
    from openpyxl import Workbook

    wb = Workbook()
    for line in GOOD.splitlines():
        wb.active.append(line.split(";"))
    buf = io.BytesIO()
    wb.save(buf)
    a = actor_for(world.emails["admin"])
    plan = imports.preview(a, imports.parse(buf.getvalue(), "skolor.xlsx"))
    assert plan.ok and plan.counts["Skapas"] == 5
    template = imports.parse(imports.template_csv(), "mall.csv")
    assert imports.preview(a, template).ok
    with pytest.raises(InvalidInput):
        imports.parse(b"\x00\x01garbage", "x.xlsx")
    with pytest.raises(AccessDenied):
        imports.preview(actor_for(world.emails["principal"]), template)
