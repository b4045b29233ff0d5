"""The content sections of the case page: incident, timeline, note, parties,
promptness, measures."""

from __future__ import annotations

import reflex as rx

from kb_app.components import forms
from kb_app.components.blocks import callout_when, error_notice
from kb_app.components.case_table import scroll_table
from kb_app.components.forms import radio, textarea
from kb_app.domain.vocab import PARTY_KINDS
from kb_app.pages.case.parts import (
    GRAY,
    button,
    card,
    case_form,
    column,
    error_for,
    field,
    form_error,
    kv,
    listing,
    section,
    two_lines,
)
from kb_app.state.case import CaseState as S


def incident_section() -> rx.Component:
    """The report: when, where, what kind, who reported it, and its texts."""

    def para(label: str, value) -> rx.Component:
        return rx.cond(
            value != "",
            rx.vstack(
                rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
                rx.text(value, size="2", white_space="pre-wrap"),
                spacing="1",
                align="start",
                width="100%",
            ),
        )

    return section(
        "Anmälan",
        rx.grid(
            kv("När", S.head["occurred"]),
            kv("Var", S.head["place"]),
            kv("Slag av kränkning", S.head["kinds"]),
            kv(
                "Diskrimineringsgrund",
                rx.cond(S.head["grounds"] != "", S.head["grounds"], "Ingen angiven"),
            ),
            kv("Vårdnadshavare informerade", S.head["guardians_informed"]),
            kv("Anmälare", S.head["reporter"]),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        para("Vad hände", S.head["description"]),
        para("Åtgärder som vidtogs direkt", S.head["immediate_actions"]),
        para("Vittnen", S.head["witnesses"]),
        para("Slutsats av utredningen", S.head["conclusion"]),
        icon="file-text",
    )


def timeline_item(ev) -> rx.Component:
    """One event: what, when, who, and its details."""
    return rx.box(
        rx.flex(
            rx.text(ev["label"], weight="bold", size="2"),
            rx.text(ev["when"], size="2", color=GRAY),
            rx.text("·", size="2", color=rx.color("gray", 8)),
            rx.text(ev["who"], size="2", color=GRAY),
            spacing="2",
            wrap="wrap",
            align="baseline",
        ),
        rx.cond(
            ev["details"] != "",
            rx.text(ev["details"], size="2", white_space="pre-wrap", margin_top="0.15rem"),
        ),
        border_left=f"3px solid {rx.color('teal', 6)}",
        padding_left="0.9rem",
        padding_y="0.35rem",
        class_name="kb-event",
    )


def timeline_section() -> rx.Component:
    """Every step with who and when, oldest first."""
    return section(
        "Tidslinje",
        rx.text("Varje steg med vem och när. Äldst först, senast nederst.", size="1", color=GRAY),
        rx.vstack(
            rx.foreach(S.timeline, timeline_item), spacing="2", width="100%", align="stretch"
        ),
        icon="history",
        id="tidslinje",
    )


def note_section() -> rx.Component:
    """An internal comment or a supplement with new information."""
    return rx.cond(
        S.flags["can_comment"],
        section(
            "Kommentar eller komplettering",
            case_form(
                "n-",
                S.submit_note,
                radio(
                    "note_kind",
                    [
                        ("comment", "Intern kommentar"),
                        ("supplement", "Komplettering (nya uppgifter)"),
                    ],
                    direction="row",
                    default="comment",
                ),
                field("Text", textarea("text", rows=3), "text"),
                button(
                    "Spara",
                    "message-square-plus",
                    type="submit",
                    size=None,
                ),
                spacing="3",
            ),
            icon="message-square",
            class_name="kb-noprint",
        ),
    )


def _attachment_row(a) -> rx.Component:
    return rx.flex(
        rx.icon("paperclip", size=16, color=GRAY, flex_shrink="0"),
        rx.vstack(
            rx.link(
                a["filename"],
                href="/bilaga/" + a["id"],
                size="2",
                weight="medium",
                word_break="break-word",
                aria_label="Hämta " + a["filename"],
            ),
            rx.text(
                a["type"]
                + ", "
                + a["size"]
                + " · "
                + a["context"]
                + " · "
                + a["who"]
                + ", "
                + a["when"],
                size="1",
                color=GRAY,
            ),
            spacing="0",
            min_width="0",
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _attach_form() -> rx.Component:
    return rx.form(
        column(
            forms.file_picker(
                "Bild (JPEG, PNG), PDF, Word, Excel, OpenDocument eller text. "
                "Platsuppgifter i bilder tas bort."
            ),
            rx.cond(
                S.flags["can_attach_investigation"],
                forms.fieldset(
                    "Hör till",
                    radio(
                        "del",
                        [("comment", "Kommentar"), ("investigation", "Utredningen")],
                        direction="row",
                        default="investigation",
                    ),
                ),
                rx.el.input(type="hidden", name="del", value="comment"),
            ),
            error_notice(S.attach_error),
            callout_when(S.attach_message, icon="circle-check", color_scheme="teal", role="status"),
            button(
                rx.cond(S.attach_busy, "Skickar …", "Bifoga fil"),
                "upload",
                type="submit",
                loading=S.attach_busy,
            ),
            spacing="3",
        ),
        on_submit=S.attach_file,
        key="bilaga-" + S.attach_key.to_string(),
        width="100%",
    )


def attachments_section() -> rx.Component:
    """Bilagor: the case's files (each a download through the access-checked
    route, logged) and, for those who may, a file to add."""
    return rx.cond(
        S.flags["can_attach"] | (S.attachments.length() > 0),
        section(
            "Bilagor",
            listing(S.attachments, _attachment_row, "Inga bilagor.", width="100%"),
            rx.cond(S.flags["can_attach"], _attach_form()),
            icon="paperclip",
            id="bilagor",
            class_name="kb-noprint",
        ),
    )


PARTY_ROLE_OPTIONS = [
    ("subjected", "Utsatt"),
    ("involved", "Inblandad"),
    ("witness", "Vittne"),
]


def _pfield(label: str, control: rx.Component, key: str, *, hint: str = "") -> rx.Component:
    """A field of the party form: its control's id is ``party_<key>`` (the page has
    other forms), its error the case's error for ``key``."""
    return forms.field(
        control,
        label_text=label,
        control_id="party_" + key,
        error=error_for(key),
        hint_text=hint or None,
    )


def _party_fields(p=None) -> list[rx.Component]:
    """Role, kind, name and class of a party: empty to add one, filled to correct ``p``."""
    role = p["role_code"] if p is not None else "witness"
    kind = p["kind_code"] if p is not None else "pupil"
    return [
        rx.flex(
            _pfield(
                "Roll",
                forms.select(
                    "party_role",
                    *[rx.select.item(label, value=code) for code, label in PARTY_ROLE_OPTIONS],
                    name="role",
                    default_value=role,
                ),
                "role",
            ),
            _pfield(
                "Vem är det?",
                forms.select(
                    "party_kind",
                    *[rx.select.item(label, value=code) for code, label in PARTY_KINDS],
                    name="kind",
                    default_value=kind,
                ),
                "kind",
                hint="En utsatt person är alltid ett barn eller en elev.",
            ),
            direction="column",
            spacing="3",
            width="100%",
        ),
        rx.flex(
            _pfield(
                "Namn",
                rx.input(
                    id="party_name",
                    name="name",
                    default_value=p["name_value"] if p is not None else "",
                    width="100%",
                ),
                "name",
            ),
            _pfield(
                "Klass",
                rx.input(
                    id="party_class_name",
                    name="class_name",
                    default_value=p["class_name"] if p is not None else "",
                    width="100%",
                ),
                "class_name",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="3",
            width="100%",
        ),
    ]


def _reason_field(hint: str) -> rx.Component:
    control = rx.text_area(
        id="party_reason", name="reason", rows="2", width="100%", resize="vertical"
    )
    return _pfield("Skäl", control, "reason", hint=hint)


def _party_buttons(label: str, icon: str, **props) -> rx.Component:
    return rx.flex(
        button(label, icon, type="submit", **props),
        button(
            "Avbryt",
            "x",
            type="button",
            variant="ghost",
            color_scheme="gray",
            on_click=S.close_party_form,
        ),
        spacing="2",
        wrap="wrap",
    )


def _party_form(p=None) -> rx.Component:
    """Add a party (``p`` None) or correct ``p``: the reason is required."""
    return rx.card(
        case_form(
            "pa-" if p is None else "pe-" + p["id"] + "-",
            S.submit_party,
            rx.el.input(type="hidden", name="party_id", value=p["id"] if p is not None else ""),
            *_party_fields(p),
            _reason_field("Varför läggs personen till eller ändras? Skälet står i tidslinjen."),
            form_error(),
            _party_buttons("Spara personen" if p is None else "Spara rättelsen", "check"),
            spacing="3",
        ),
        width="100%",
    )


def _party_removal(p) -> rx.Component:
    return rx.card(
        case_form(
            "pr-" + p["id"] + "-",
            S.submit_party_removal,
            rx.el.input(type="hidden", name="party_id", value=p["id"]),
            rx.text("Ta bort " + p["name"] + " ur ärendet?", size="2", weight="medium"),
            _reason_field("Varför tas personen bort? Uppgiften finns kvar i tidslinjen."),
            form_error(),
            _party_buttons("Ta bort personen", "trash-2", color_scheme="red"),
            spacing="3",
        ),
        width="100%",
    )


def _party_row(p) -> rx.Component:
    editing = (S.party_target == p["id"]) & (S.party_mode == "edit")
    removing = (S.party_target == p["id"]) & (S.party_mode == "remove")
    return column(
        rx.hstack(
            rx.badge(
                p["role"],
                color_scheme=rx.cond(p["role"] == "Utsatt", "teal", "gray"),
                variant="soft",
            ),
            rx.vstack(
                two_lines(
                    p["name"],
                    p["kind"],
                    rx.cond(p["class_name"] != "", " · " + p["class_name"], ""),
                    rx.cond(p["grade"] != "", " · " + p["grade"], ""),
                ),
                rx.cond(
                    S.flags["can_edit_parties"] & (S.party_mode == ""),
                    rx.flex(
                        button(
                            "Rätta",
                            "pencil",
                            icon_size=14,
                            size="1",
                            variant="ghost",
                            on_click=S.open_party_form("edit", p["id"]),
                            aria_label="Rätta " + p["name"],
                        ),
                        button(
                            "Ta bort",
                            "trash-2",
                            icon_size=14,
                            size="1",
                            variant="ghost",
                            color_scheme="red",
                            on_click=S.open_party_form("remove", p["id"]),
                            aria_label="Ta bort " + p["name"],
                        ),
                        spacing="3",
                        class_name="kb-noprint",
                    ),
                ),
                spacing="1",
            ),
            align="start",
            spacing="2",
            width="100%",
        ),
        rx.cond(editing, _party_form(p)),
        rx.cond(removing, _party_removal(p)),
        spacing="2",
    )


def parties_section() -> rx.Component:
    """The children and adults the case is about; the principal and the delegated
    investigator add, correct or remove them with a reason."""
    return section(
        "Parter",
        listing(S.parties, _party_row, "Inga parter angivna.", width="100%"),
        rx.cond(
            S.flags["can_edit_parties"],
            rx.box(
                rx.cond(
                    S.party_mode == "add",
                    _party_form(),
                    rx.cond(
                        S.party_mode == "",
                        button(
                            "Lägg till person",
                            "user-plus",
                            on_click=S.open_party_form("add", ""),
                        ),
                    ),
                ),
                class_name="kb-noprint",
                width="100%",
            ),
        ),
        icon="users",
    )


def status_badge(row) -> rx.Component:
    """Met, late or overdue."""
    return rx.badge(
        row["status_label"],
        color_scheme=rx.match(
            row["status"], ("met", "green"), ("late", "red"), ("overdue", "red"), "gray"
        ),
        variant="soft",
    )


def promptness_section() -> rx.Component:
    """Every step, its limit in working days and whether it was met."""
    return section(
        "Skyndsamhet",
        rx.text("Varje steg, dess frist i arbetsdagar och om den hölls.", size="1", color=GRAY),
        listing(
            S.promptness,
            lambda r: rx.flex(
                two_lines(
                    r["step"],
                    "Frist " + r["limit"] + ", senast " + r["due"],
                    rx.cond(r["done"] != "", ". Klart " + r["done"], ""),
                ),
                rx.spacer(),
                status_badge(r),
                align="center",
                spacing="2",
                width="100%",
            ),
            "Inga frister ännu.",
            width="100%",
        ),
        icon="timer",
    )


def closed_summary() -> rx.Component:
    """A closed case: one page that shows every step, its time, its limit, met or not."""
    return rx.cond(
        S.flags["closed"],
        card(
            column(
                rx.hstack(
                    rx.icon("circle-check-big", size=20, color=rx.color("teal", 10)),
                    rx.heading(
                        "Ärendet är avslutat: sammanfattning av skyndsamhet", size="5", as_="h2"
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text(
                    "Avslutat " + S.head["closed_at"] + ". ",
                    rx.cond(
                        S.flags["all_met"],
                        "Alla steg togs inom sina frister.",
                        "Minst ett steg togs inte inom sin frist.",
                    ),
                    size="2",
                ),
                promptness_table(),
            ),
            size="3",
        ),
    )


def promptness_table() -> rx.Component:
    """Every step: its limit, when it was due and done, the time taken, met or not."""
    return scroll_table(
        ["Steg", "Frist", "Senast", "Utfört", "Tid", "Bedömning"],
        rx.foreach(
            S.promptness,
            lambda r: rx.table.row(
                rx.table.row_header_cell(r["step"]),
                rx.table.cell(r["limit"]),
                rx.table.cell(r["due"]),
                rx.table.cell(rx.cond(r["done"] != "", r["done"], "–")),
                rx.table.cell(r["taken"]),
                rx.table.cell(status_badge(r)),
            ),
        ),
    )


def measures_section() -> rx.Component:
    """The measures decided on, with who and by when."""
    return rx.cond(
        S.measures.length() > 0,
        section(
            "Beslutade åtgärder",
            rx.vstack(
                rx.foreach(
                    S.measures,
                    lambda m: two_lines(
                        m["description"],
                        m["level"] + " · ansvarig " + m["responsible"] + " · senast " + m["due"],
                        weight=None,
                        white_space="pre-wrap",
                    ),
                ),
                spacing="3",
            ),
            icon="list-checks",
        ),
    )


def _access_row(r) -> rx.Component:
    return rx.flex(
        two_lines(r["who"], r["when"] + " · " + r["what"]),
        rx.spacer(),
        rx.badge(
            r["kind_label"],
            color_scheme=rx.cond(r["kind"] == "refused", "red", "gray"),
            variant="soft",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def access_log_section() -> rx.Component:
    """ "Vem har läst ärendet": the case's access log, newest first, a page at a time
    (principals and organisers; looking is itself logged)."""
    return rx.cond(
        S.flags["can_view_access_log"],
        section(
            "Vem har läst ärendet",
            rx.text(
                "Varje läsning, hämtning, export och nekad åtkomst, senast först.",
                size="1",
                color=GRAY,
            ),
            rx.cond(
                S.access_page > 0,
                column(
                    listing(
                        S.access_rows, _access_row, "Ingen har läst ärendet ännu.", width="100%"
                    ),
                    rx.hstack(
                        button(
                            "Nyare",
                            "chevron-left",
                            on_click=S.show_access_log(S.access_page - 1),
                            disabled=S.access_page <= 1,
                            color_scheme="gray",
                        ),
                        rx.text(
                            "Sida "
                            + S.access_page.to_string()
                            + " av "
                            + S.access_pages.to_string(),
                            size="1",
                            color=GRAY,
                        ),
                        button(
                            "Äldre",
                            "chevron-right",
                            on_click=S.show_access_log(S.access_page + 1),
                            disabled=S.access_page >= S.access_pages,
                            color_scheme="gray",
                        ),
                        align="center",
                        spacing="3",
                        wrap="wrap",
                    ),
                    button("Dölj", "eye-off", on_click=S.hide_access_log, variant="ghost"),
                ),
                column(
                    rx.cond(
                        S.access_message != "",
                        rx.text(S.access_message, size="2", color=rx.color("red", 11)),
                    ),
                    button("Visa vem som läst ärendet", "eye", on_click=S.show_access_log(1)),
                ),
            ),
            icon="eye",
            id="vem-har-last",
        ),
    )
