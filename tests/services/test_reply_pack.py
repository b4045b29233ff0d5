"""The reply pack (svarspaket): exactly who is masked and who is not, in every
part of the PDF and in its HTML preview, for the chosen child; staff named only
when chosen (and logged); Swedish labels only; access checked and logged."""

from __future__ import annotations

import io
import re
import warnings
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlmodel import select

from kb_app import api
from kb_app.db import read_scope
from kb_app.domain import process, vocab
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import AccessLog
from kb_app.services.admin import auth
from kb_app.services.statistics import reply_pack
from tests.support import reply_pack_fixture
from tests.support.helpers import actor_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # the conftest `now`

PUPILS = ["Noah", "Elsa", "Oskar", "Ali", "Vera", "Lindqvist", "Öberg"]
STAFF_AND_OTHERS = ["Åsa", "Nyström", "Anna Holm", "Holm", "Jens", "Ek"]


@pytest.fixture
def fx(engine):
    return reply_pack_fixture.build()


def _text(data: bytes) -> str:
    """The PDF's text with line breaks folded, so a phrase a table cell wraps
    still reads as one."""
    assert data[:5] == b"%PDF-"
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(raw.split())


def _words(text: str, names: list[str]) -> set[str]:
    """The names that occur in ``text`` as whole words (any case, genitive too)."""
    return {n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?::s|s)?(?!\w)", text, re.I)}


def _log(*actions: str) -> list[tuple[str, int | None, bool]]:
    with read_scope() as s:
        rows = s.exec(select(AccessLog).where(AccessLog.action.in_(actions)).order_by(AccessLog.id))
        return [(r.action, r.case_id, r.allowed) for r in rows]


def _pack(fx, who="organiser", **kw):
    return reply_pack.build(actor_for(f"{who}@test.se"), case_id=fx.case_id, now=NOW, **kw)


def test_pack_for_noah_masks_every_other_person_everywhere(fx):
    text = _text(_pack(fx).pdf)
    # The chosen child, the officials who handled the case and the user: by name
    assert "Avser: Noah Berg, 5B" in text
    assert "Karin Berg" in text and "Per Lind" in text and "Hanna Huvudman" in text
    # Every other pupil, staff member, external person and the reporter: masked
    assert _words(text, ["Elsa", "Oskar", "Ali", "Vera", "Lindqvist", "Öberg"]) == set()
    assert _words(text, STAFF_AND_OTHERS) == set()
    # The report: full names as a unit, first names alone, genitives, å/ä/ö, any case
    assert (
        "Elev B och Elev C tog Noahs bricka i matsalen. Elev A såg det. Alice i 5A och "
        "fröken Bergström hjälpte Noah. Elev B:s vårdnadshavare ringde Karin Berg. "
        "Noah:s mamma ringde också. Elev C skrek. [namn] sprang iväg mot "
        "Lindqvistgården." in text
    )
    assert "Personal A skilde Elev B och Noah åt." in text  # Åtgärder direkt
    assert "Vittnen Alicia och Elev A" in text
    assert "Anmäld av Personal B" in text
    # The parties table
    assert "Utsatt Barn/elev Noah Berg 5B Utsatt Barn/elev Elev A 5B" in text
    assert "Inblandad Personal Personal A Inblandad Extern person Övrig person A" in text
    # Timeline, investigation, measures, follow-up, closing, supplements, comments
    assert "Anmälan Personal B (anmälare)" in text
    assert (
        "Utredningen visar: Elev A:s berättelse stämmer med Elev B:s. Elev C:s kompis "
        "Alicia bekräftade. Personal A:s anteckningar visar samma sak." in text
    )
    assert "Samtal med Elev B och hans vårdnadshavare Personal A 1 okt. 2026" in text
    assert "Elev C:s plats flyttas Karin Berg 25 sep. 2026" in text
    assert "Noah och Elev A mår bättre. Övrig person A:s buss har fått en vuxen till." in text
    assert "Avslutat. Noahs och Elev D:s klass mår bra." in text
    assert "Elev B:s pappa hörde av sig till Personal B." in text
    assert "Ring Personal A:s kollega om Elev D." in text
    # What was masked, by category: counts and stand-ins, never names
    assert "Andra barn/elever 4 (Elev A, Elev B, Elev C, Elev D)" in text
    assert "Personal 2 (Personal A, Personal B)" in text
    assert "Övriga personer 1 (Övrig person A)" in text
    assert "1 ställe med ett namn som flera maskerade personer delar" in text
    assert _log("export_reply_pack", "reply_pack_staff_named") == [
        ("export_reply_pack", fx.case_id, True)
    ]


def test_pack_for_the_sibling_masks_noah(fx):
    text = _text(_pack(fx, party_id=fx.parties["Elsa"]).pdf)
    assert "Avser: Elsa Berg, 5B" in text
    assert _words(text, ["Noah", "Oskar", "Ali", "Vera"]) == set()
    assert "Elev B och Elev C tog Elev A:s bricka" in text
    assert "Elsa Berg såg det" in text and "hjälpte Elev A." in text
    assert "Elev A:s mamma ringde också" in text
    assert "Utsatt Barn/elev Elev A 5B Utsatt Barn/elev Elsa Berg 5B" in text
    # The shared surname stays with the shown child and the principal
    assert "ringde Karin Berg" in text and "Karin Elev" not in text


def test_staff_named_only_when_chosen_and_logged(fx):
    text = _text(_pack(fx, show_staff=True).pdf)
    assert "Åsa Nyström skilde Elev B och Noah åt." in text
    assert "Anmäld av Anna Holm" in text
    assert "Jens Eks buss" in text
    assert "Åsas anteckningar" in text
    assert "Namn på personal och externa personer visas på begäran av Hanna Huvudman" in text
    # Other children stay masked
    assert _words(text, ["Elsa", "Oskar", "Ali", "Vera"]) == set()
    assert "Personal 0" in text
    assert _log("export_reply_pack", "reply_pack_staff_named") == [
        ("export_reply_pack", fx.case_id, True),
        ("reply_pack_staff_named", fx.case_id, True),
    ]


def _codes() -> set[str]:
    codes = {str(v) for enum in (process.EventKind, process.Step) for v in enum}
    for pairs in (
        vocab.KINDS,
        vocab.PLACES,
        vocab.PARTY_KINDS,
        vocab.GUARDIANS_INFORMED,
        process.TALKS,
        process.CONCLUSIONS,
        process.MEASURE_LEVELS,
    ):
        codes |= {code for code, *_ in pairs}
    codes |= {code for code, *_ in vocab.GROUNDS}
    codes |= {"subjected", "involved", "witness", "none_needed", "none_reason"}
    codes |= {"guardians_contacted_on"}
    codes |= {"findings", "talks", "notes", "summary", "investigator", "followed_up_on"}
    # A code's fallback label ("none_needed" -> "None needed") and English words
    codes |= {c.replace("_", " ").capitalize() for c in codes if "_" in c}
    return codes | {"None", "True", "False", "Delegated", "Confirmed", "Individual", "Group"}


def test_no_raw_codes_in_the_pack(fx):
    for kw in [{}, {"show_staff": True}, {"party_id": fx.parties["Elsa"]}]:
        pack = _pack(fx, **kw)
        page = re.sub(r"<style>.*?</style>", "", pack.html(), flags=re.S)
        for text in [_text(pack.pdf), re.sub(r"<[^>]+>", " ", page)]:
            # Case-sensitive: the code "verbal" is the label "Verbal". The ground
            # "sex" is Swedish for six too: the fixture has no "sex".
            found = {c for c in _codes() if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", text)}
            assert found == set(), found


def test_preview_has_the_same_content_as_the_pdf(fx):
    pack = _pack(fx, preview=True)
    html = pack.html()
    pdf_text = _text(pack.pdf)
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1]))
    body = body.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    for section in pack.sections:
        assert section.title in body and section.title in pdf_text
        for b in section.blocks:
            for line in [b.text] if isinstance(b, reply_pack.Text) else sum(b.rows, []):
                assert " ".join(str(line).split()) in body
                assert " ".join(str(line).split()) in pdf_text
    assert _words(body, ["Elsa", "Oskar", "Ali", "Vera", "Åsa", "Jens"]) == set()
    # The choices above the preview: both subjected children, the chosen one selected
    assert f"<option value='{fx.parties['Noah']}' selected>Noah Berg, 5B</option>" in html
    assert f"<option value='{fx.parties['Elsa']}'>Elsa Berg, 5B</option>" in html
    assert f"/export/svarspaket.pdf?id={fx.case_id}&amp;part={fx.parties['Noah']}" in html
    assert _log("preview_reply_pack") == [("preview_reply_pack", fx.case_id, True)]


def test_party_must_be_a_subjected_child_of_the_case(fx):
    with pytest.raises(InvalidInput):
        _pack(fx, party_id=fx.parties["Oskar"])
    with pytest.raises(InvalidInput):
        _pack(fx, party_id=10**9)
    assert _log("export_reply_pack") == []


def test_access_is_checked_and_refusals_logged(fx):
    for who in ["investigator", "principal_gran"]:
        with pytest.raises(AccessDenied):
            _pack(fx, who=who, show_staff=True)
    assert _log("export_reply_pack", "reply_pack_staff_named") == [
        ("export_reply_pack", fx.case_id, False),
        ("export_reply_pack", fx.case_id, False),
    ]
    text = _text(_pack(fx, who="principal").pdf)
    assert "Avser: Noah Berg" in text


def _client_for(email: str) -> TestClient:
    password = "provlosenord-2026"
    with read_scope() as s:
        from kb_app.models import User

        uid = s.exec(select(User.id).where(User.email == email)).one()
    auth.set_password(uid, password)
    result = auth.login(email, password, now=NOW)
    client = TestClient(api.build_api(), base_url="http://testserver")
    client.cookies.set(api.SESSION_COOKIE, result.token)
    return client


def test_preview_and_download_routes(fx, clock):
    anonymous = TestClient(api.build_api(), base_url="http://testserver")
    r = anonymous.get(f"/export/svarspaket.html?id={fx.case_id}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/logga-in"

    org = _client_for("organiser@test.se")
    elsa = fx.parties["Elsa"]
    r = org.get(f"/export/svarspaket.html?id={fx.case_id}&part={elsa}&personal=1")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "Avser: Elsa Berg, 5B" in r.text and "Åsa Nyström" in r.text
    assert f"/export/svarspaket.pdf?id={fx.case_id}&amp;part={elsa}&amp;personal=1" in r.text
    r = org.get(f"/export/svarspaket.pdf?id={fx.case_id}&part={elsa}&personal=1")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    text = _text(r.content)
    assert "Avser: Elsa Berg, 5B" in text and "Elev A:s bricka" in text
    assert "Åsa Nyström" in text
    r = org.get(f"/export/svarspaket.html?ref={fx.reference.lower()}")
    assert r.status_code == 200 and "Avser: Noah Berg, 5B" in r.text
    r = org.get(f"/export/svarspaket.pdf?id={fx.case_id}&part={fx.parties['Oskar']}")
    assert r.status_code == 400 and r.text == reply_pack.MSG_NOT_SUBJECTED
    # Odd numbers ("²" is a digit to str.isdigit) get the plain refusal, not an error
    r = org.get(f"/export/svarspaket.pdf?id=%C2%B2&part={fx.parties['Noah']}")
    assert r.status_code == 404

    inv = _client_for("investigator@test.se")
    assert inv.get(f"/export/svarspaket.html?id={fx.case_id}").status_code == 404
    assert [a for a, _, ok in _log("preview_reply_pack", "export_reply_pack")] == [
        "preview_reply_pack",
        "export_reply_pack",
        "preview_reply_pack",
        "preview_reply_pack",
    ]
