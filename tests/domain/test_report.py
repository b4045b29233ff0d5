"""The report form's validation and normalisation (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kb_app.domain import report as r
from kb_app.domain.report import PartyInput, ReportInput, clean_text, name_key, validate

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # 10:30 in Stockholm
CLASSES = {"4A": "4", "4B": "4", "Avdelning Blåklockan": ""}


def good(**changes) -> ReportInput:
    data = ReportInput(
        reporter_name="Anna Holm",
        reporter_email="Anna.Holm@Exempelkommun.se ",
        reporter_role="teacher",
        occurred_on="2026-11-23",
        occurred_time="12:15",
        place="schoolyard",
        description="Två elever knuffade Kalle vid klätterställningen.",
        subjected=[PartyInput(name="Kalle Karlsson", class_name="4a")],
        involved=[],
        kinds=["physical"],
        guardians_informed="yes",
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_good_report_is_clean_and_normalised():
    clean, errors = validate(good(), now=NOW, classes=CLASSES)
    assert errors == {}
    assert clean.reporter_email == "anna.holm@exempelkommun.se"
    # A class of the unit typed in another case gets the unit's spelling and grade.
    assert clean.subjected[0].class_name == "4A" and clean.subjected[0].grade == "4"
    assert clean.kinds == ("physical",) and not clean.staff_involved


def test_empty_form_gives_swedish_errors_per_field():
    clean, errors = validate(ReportInput(), now=NOW)
    assert clean is None
    assert set(errors) == {
        "reporter_name",
        "reporter_email",
        "reporter_role",
        "occurred_on",
        "place",
        "description",
        "subjected.0.name",
        "kinds",
        "guardians_informed",
    }
    assert errors["description"] == "Beskriv vad som hände."


def test_description_length_limits():
    _, errors = validate(good(description="kort"), now=NOW)
    assert errors["description"] == "Beskrivningen behöver minst 10 tecken."
    _, errors = validate(good(description="x" * 10_001), now=NOW)
    assert (
        errors["description"] == "Beskrivningen får ha högst 10\u00a0000 tecken (nu 10\u00a0001)."
    )
    clean, errors = validate(good(description="x" * 10_000), now=NOW)
    assert errors == {} and len(clean.description) == 10_000


def test_date_not_in_future_and_time_not_later_today():
    _, errors = validate(good(occurred_on="2026-11-25"), now=NOW)
    assert errors["occurred_on"] == "Datumet kan inte ligga i framtiden."
    _, errors = validate(good(occurred_on="2026-11-24", occurred_time="10:31"), now=NOW)
    assert errors["occurred_time"] == "Tiden kan inte ligga i framtiden."
    clean, errors = validate(good(occurred_on="2026-11-24", occurred_time="10:30"), now=NOW)
    assert errors == {}
    _, errors = validate(good(occurred_on="2026-02-30"), now=NOW)
    assert "giltigt datum" in errors["occurred_on"]
    _, errors = validate(good(occurred_time="25:00"), now=NOW)
    assert "TT:MM" in errors["occurred_time"]
    clean, errors = validate(good(occurred_time=""), now=NOW)
    assert errors == {} and clean.occurred_time == ""


def test_other_place_needs_free_text():
    _, errors = validate(good(place="other", place_other="  "), now=NOW)
    assert errors == {"place_other": "Beskriv platsen."}
    clean, _ = validate(good(place="other", place_other=" bussen  till simhallen "), now=NOW)
    assert clean.place_other == "bussen till simhallen"
    _, errors = validate(good(place="kitchen"), now=NOW)
    assert errors == {"place": "Välj var det hände."}


def test_persons_rows():
    # Blank extra rows are ignored; a named involved staff member marks the report.
    clean, errors = validate(
        good(
            subjected=[PartyInput(), PartyInput(name="Sara"), PartyInput()],
            involved=[PartyInput(), PartyInput(kind="staff", name="Per Ström")],
        ),
        now=NOW,
    )
    assert errors == {}
    assert [p.name for p in clean.subjected] == ["Sara"]
    assert clean.staff_involved and clean.involved[0].kind == "staff"
    # An involved row that was started needs its kind; the name may be unknown.
    _, errors = validate(good(involved=[PartyInput(name="Okänd pojke")]), now=NOW)
    assert errors == {"involved.0.kind": "Välj vem personen är."}
    clean, errors = validate(good(involved=[PartyInput(kind="unknown")]), now=NOW)
    assert errors == {} and clean.involved[0].name == ""
    # A witness row is like an involved one: its kind is needed, the name optional;
    # a staff witness does not mark the report as staff-involved.
    _, errors = validate(good(witness=[PartyInput(name="Rastvakten")]), now=NOW)
    assert errors == {"witness.0.kind": "Välj vem personen är."}
    clean, errors = validate(
        good(witness=[PartyInput(), PartyInput(kind="staff", name="Rastvakten")]), now=NOW
    )
    assert errors == {} and not clean.staff_involved
    assert [(p.role, p.kind, p.name) for p in clean.parties[-1:]] == [
        ("witness", "staff", "Rastvakten")
    ]
    _, errors = validate(good(witness=[PartyInput(kind="pupil")] * 21), now=NOW)
    assert errors["witness"] == "Högst 20 vittnen per anmälan."
    # A subjected row needs a name; bad grades are refused.
    _, errors = validate(good(subjected=[PartyInput(class_name="4A", grade="12")]), now=NOW)
    assert errors == {
        "subjected.0.name": "Skriv namnet på den som blev utsatt.",
        "subjected.0.grade": "Välj en årskurs i listan.",
    }
    _, errors = validate(good(subjected=[PartyInput(name=f"E{i}") for i in range(21)]), now=NOW)
    assert "subjected" in errors


def test_unknown_codes_are_errors_not_exceptions():
    _, errors = validate(
        good(kinds=["physical", "nuclear"], grounds=["age", 7], reporter_role="king"), now=NOW
    )
    assert set(errors) == {"kinds", "reporter_role"}
    clean, errors = validate(good(grounds=["age", "sex", "age"]), now=NOW)
    assert clean.grounds == ("sex", "age")


def test_markup_is_kept_as_text_and_control_characters_go():
    clean, errors = validate(
        good(
            reporter_name="<b>Anna</b>\x00\u202e Holm",
            description="<img src=x onerror=alert(1)>\r\nrad två\x1b[31m\ud800",
        ),
        now=NOW,
    )
    assert errors == {}
    assert clean.reporter_name == "<b>Anna</b> Holm"
    assert clean.description == "<img src=x onerror=alert(1)>\nrad två[31m"


def test_clean_text_and_name_key():
    assert clean_text("  a \t b\n c ") == "a b c"
    assert clean_text("a\r\n\r\nb  \n", multiline=True) == "a\n\nb"
    assert clean_text(None) == "" and clean_text(42) == ""
    assert clean_text("e\u0301") == "\u00e9"  # NFC
    assert name_key("  Kalle   KARLSSON ") == "kalle karlsson"
    assert name_key("Straße") == "strasse"


def test_clean_text_drops_what_xml_cannot_carry():
    """U+FFFE/U+FFFF once made the organisation's XLSX export unreadable."""
    assert clean_text("a\ufffeb\uffffc\ufdd0d\U0001fffe", multiline=True) == "abcd"
    assert clean_text("kärlek \ufffd 😀") == "kärlek \ufffd 😀"  # kept: real text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_clean_text_is_always_valid_xml(text):
    from xml.etree import ElementTree as ET

    cleaned = clean_text(text, multiline=True)
    root = ET.fromstring(f"<t>{cleaned.replace('&', '&amp;').replace('<', '&lt;')}</t>")
    assert (root.text or "") == cleaned


def test_supplement_text():
    assert r.clean_supplement("  Jag glömde: det hände igen i dag.  ") == (
        "Jag glömde: det hände igen i dag.",
        None,
    )
    assert r.clean_supplement("")[1] == "Skriv det du vill lägga till."
    assert "högst" in r.clean_supplement("x" * 5001)[1]


def test_from_dict_accepts_anything():
    data = ReportInput.from_dict(
        {"reporter_name": 5, "subjected": [None, {"name": ["x"]}, "x"], "kinds": "physical"}
    )
    assert data.reporter_name == "" and len(data.subjected) == 3 and data.kinds == []
    assert ReportInput.from_dict(None) == ReportInput()


text = st.text(max_size=300) | st.sampled_from(["", " ", "<script>", "\x00", "4A", "other"])
codes = st.lists(st.sampled_from(["physical", "verbal", "age", "sex", "x", ""]), max_size=5)
party = st.builds(PartyInput, name=text, class_name=text, grade=text, kind=text)
report_inputs = st.builds(
    ReportInput,
    reporter_name=text,
    reporter_email=text | st.emails(),
    reporter_role=st.sampled_from(["teacher", "other_staff", ""]) | text,
    occurred_on=st.dates().map(str) | text,
    occurred_time=st.times().map(lambda t: t.strftime("%H:%M")) | text,
    place=st.sampled_from(r.PLACE_CODES) | text,
    place_other=text,
    description=st.text(min_size=0, max_size=12_000) | text,
    subjected=st.lists(party, max_size=3),
    involved=st.lists(party, max_size=3),
    kinds=codes,
    grounds=codes,
    immediate_actions=text,
    guardians_informed=st.sampled_from(["yes", "no", "unknown"]) | text,
    witnesses=text,
)


@settings(max_examples=300, deadline=None)
@given(report_inputs)
def test_validate_answers_clean_report_or_errors_for_any_input(data):
    clean, errors = validate(data, now=NOW, classes=CLASSES)
    assert (clean is None) != (errors == {})
    for message in errors.values():
        assert isinstance(message, str) and message
    if clean is not None:
        assert 10 <= len(clean.description) <= 10_000
        assert clean.subjected and all(p.name for p in clean.subjected)
        for value in (clean.reporter_name, clean.description, clean.place_other):
            assert "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
