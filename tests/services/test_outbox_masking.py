"""The outbox view shows no usable one-time link: an admin cannot take over an
invited account or use a reporter's private link."""

from __future__ import annotations

from kb_app.domain.process import Step
from kb_app.services.case import delegation
from kb_app.services.mail import outbox_admin
from tests.support.cases import PRINCIPAL, drive, new_case, outbox_rows
from tests.support.helpers import actor_for

ADMIN = "admin@exempelkommun.se"


def test_invitation_link_is_masked_for_the_admin(demo, now):
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    delegation.delegate(
        actor_for(PRINCIPAL), cid, invite_email="ny@exempelkommun.se", invite_name="Ny", now=now
    )
    raw = outbox_rows()[-1].body
    token = raw.split("/satt-losenord/")[1].split()[0]
    assert len(token) >= 20

    rows = outbox_admin.list_rows(actor_for(ADMIN), now=now)
    shown = " ".join(v for row in rows for v in row.values())
    assert token not in shown
    invitation = next(r for r in rows if "/satt-losenord/" in r["body"])
    assert "/satt-losenord/" + outbox_admin.MASKED in invitation["body"]


def test_mask_links_masks_every_kind_of_one_time_link_and_nothing_else():
    text = (
        "Rapportera: https://varna.example/anmalan/AbC-12_x\n"
        "Komplettera: https://varna.example/komplettering/s3cr3t?x=1\n"
        "Lösenord: http://localhost:3000/satt-losenord/tok-en.\n"
        "Ärendet: https://varna.example/arenden/42"
    )
    masked = outbox_admin.mask_links(text)
    for secret in ("AbC-12_x", "s3cr3t", "tok-en"):
        assert secret not in masked
    assert masked.count(outbox_admin.MASKED) == 3
    assert "https://varna.example/arenden/42" in masked
