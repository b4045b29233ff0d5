"""``/admin``: units and classes, users and roles, the administration log."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import (
    action_button,
    callout_when,
    column,
    message_card,
    muted,
    saved_notice,
    section_card,
)
from kb_app.components.forms import error_for, hint, label
from kb_app.components.layout import loading_view, page_frame, public_frame
from kb_app.domain.vocab import GRADES, UNIT_KIND_LABELS
from kb_app.state.admin import AdminState as S


def _text_input(
    name: str,
    text: str,
    errors,
    *,
    error_key: str | None = None,
    hint_text: str = "",
    optional: bool = False,
    **props,
) -> rx.Component:
    key = error_key or name
    control_id = props.pop("id", name)
    return rx.vstack(
        label(text, control_id, optional=optional),
        *([hint(hint_text)] if hint_text else []),
        rx.input(
            id=control_id,
            name=name,
            size="3",
            width="100%",
            custom_attrs={"aria-invalid": rx.cond(errors.contains(key), "true", "false")},
            **props,
        ),
        error_for(errors, key),
        spacing="1",
        width="100%",
    )


def _kind_select(control_id: str, default) -> rx.Component:
    return rx.vstack(
        label("Typ av verksamhet", control_id),
        rx.el.select(
            *[rx.el.option(text, value=code) for code, text in UNIT_KIND_LABELS.items()],
            id=control_id,
            name="kind",
            default_value=default,
            class_name="kb-select",
        ),
        spacing="1",
        width="100%",
    )


def _grid(*children, min_width: str = "12rem") -> rx.Component:
    return rx.grid(
        *children,
        columns=rx.breakpoints(initial="1", sm="2", md="4"),
        gap="0.75rem 1rem",
        width="100%",
        align="start",
    )


def _submit(text: str, icon: str = "save") -> rx.Component:
    return rx.box(action_button(icon, text, type="submit", size="3"))


# Units ---------------------------------------------------------------------------


def _new_unit_card() -> rx.Component:
    return section_card(
        "Ny enhet",
        rx.el.form(
            column(
                _grid(
                    _text_input("name", "Namn", S.new_unit_errors, id="new-unit-name"),
                    _kind_select("new-unit-kind", "grundskola"),
                    _text_input(
                        "grades",
                        "Årskurser",
                        S.new_unit_errors,
                        id="new-unit-grades",
                        optional=True,
                        placeholder="t.ex. F, 1, 2, 3",
                    ),
                    _text_input(
                        "pupil_count",
                        "Antal barn/elever",
                        S.new_unit_errors,
                        id="new-unit-pupils",
                        optional=True,
                        input_mode="numeric",
                    ),
                ),
                muted(
                    "Årskurser: F, 1–9 eller G1–G3, åtskilda med komma. Antalet barn eller elever "
                    "används för statistiken per 100 elever. Enheten får en egen anmälningslänk.",
                    size="2",
                ),
                _submit("Skapa enhet", "plus"),
                spacing="3",
            ),
            key=S.new_unit_key,
            on_submit=S.create_unit,
            no_validate=True,
            width="100%",
        ),
    )


def _unit_row(u) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(
                    u["name"],
                    href="#vald-enhet",
                    weight="medium",
                    on_click=S.select_unit(u["id"]),
                ),
                rx.cond(u["active"] == "", rx.badge("Arkiverad", color_scheme="gray")),
                spacing="1",
            )
        ),
        rx.table.cell(u["kind_label"]),
        rx.table.cell(u["grades_label"]),
        rx.table.cell(u["classes"]),
        rx.table.cell(rx.cond(u["pupil_count"] != "", u["pupil_count"], u["class_pupils"])),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Öppna",
                    size="2",
                    variant="soft",
                    on_click=S.select_unit(u["id"]),
                    aria_label="Öppna " + u["name"],
                ),
                rx.cond(
                    u["active"] == "1",
                    _archive_dialog(u),
                    rx.button(
                        "Återställ",
                        size="2",
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.set_archived(u["id"], False),
                        aria_label="Återställ " + u["name"],
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _archive_dialog(u) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Arkivera",
                size="2",
                variant="soft",
                color_scheme="gray",
                aria_label="Arkivera " + u["name"],
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Arkivera " + u["name"] + "?"),
            rx.alert_dialog.description(
                "Enhetens ärenden finns kvar och kan hanteras som förut, men anmälningslänken "
                "slutar fungera. Du kan återställa enheten senare (den får då en ny länk).",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Avbryt", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Arkivera", color_scheme="red", on_click=S.set_archived(u["id"], True)
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="28rem",
        ),
    )


def _units_table() -> rx.Component:
    return rx.cond(
        S.units.length() > 0,
        rx.card(
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ["Enhet", "Typ", "Årskurser", "Klasser", "Barn/elever"]
                            ],
                            rx.table.column_header_cell(
                                rx.el.span("Åtgärder", class_name="kb-visually-hidden")
                            ),
                        )
                    ),
                    rx.table.body(rx.foreach(S.units, _unit_row)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            width="100%",
        ),
        rx.card(muted("Inga enheter än. Skapa den första ovan."), width="100%"),
    )


def _class_row(c) -> rx.Component:
    cid = c["id"]
    return rx.el.form(
        rx.flex(
            rx.el.input(type="hidden", name="class_id", value=cid),
            rx.box(
                rx.el.label("Namn", html_for="class-name-" + cid, class_name="kb-visually-hidden"),
                rx.input(id="class-name-" + cid, name="name", default_value=c["name"], size="2"),
                flex="2",
                min_width="8rem",
            ),
            rx.box(
                rx.el.label(
                    "Årskurs", html_for="class-grade-" + cid, class_name="kb-visually-hidden"
                ),
                _grade_select("class-grade-" + cid, c["grade"]),
                flex="1",
                min_width="6rem",
            ),
            rx.box(
                rx.el.label(
                    "Antal barn/elever",
                    html_for="class-pupils-" + cid,
                    class_name="kb-visually-hidden",
                ),
                rx.input(
                    id="class-pupils-" + cid,
                    name="pupil_count",
                    default_value=c["pupil_count"],
                    size="2",
                    input_mode="numeric",
                    placeholder="antal",
                ),
                flex="1",
                min_width="5rem",
            ),
            rx.button(
                "Spara", type="submit", size="2", variant="soft", aria_label="Spara " + c["name"]
            ),
            rx.button(
                "Ta bort",
                type="button",
                size="2",
                variant="ghost",
                color_scheme="red",
                on_click=S.remove_class(cid),
                aria_label="Ta bort " + c["name"],
            ),
            gap="0.5rem",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        error_for(S.class_errors, "class_name_" + cid),
        error_for(S.class_errors, "class_pupils_" + cid),
        on_submit=S.save_class,
        no_validate=True,
        width="100%",
        padding_y="0.35rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _grade_select(control_id, default) -> rx.Component:
    return rx.el.select(
        rx.el.option("Ingen årskurs", value=""),
        *[rx.el.option(g, value=g) for g in GRADES],
        id=control_id,
        name="grade",
        default_value=default,
        class_name="kb-select",
    )


def _selected_unit() -> rx.Component:
    u = S.selected_unit
    return rx.cond(
        S.selected_unit_id != "",
        section_card(
            "Enhet: " + u["name"],
            rx.el.form(
                column(
                    _grid(
                        _text_input(
                            "name",
                            "Namn",
                            S.unit_errors,
                            id="unit-name",
                            default_value=u["name"],
                        ),
                        _kind_select("unit-kind", u["kind"]),
                        _text_input(
                            "grades",
                            "Årskurser",
                            S.unit_errors,
                            id="unit-grades",
                            optional=True,
                            default_value=u["grades"],
                        ),
                        _text_input(
                            "pupil_count",
                            "Antal barn/elever",
                            S.unit_errors,
                            id="unit-pupils",
                            optional=True,
                            default_value=u["pupil_count"],
                            input_mode="numeric",
                            hint_text="",
                        ),
                    ),
                    muted("Lämna antalet tomt för att räkna med summan av klasserna.", size="2"),
                    rx.hstack(
                        _submit("Spara enheten"),
                        rx.button(
                            "Stäng",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            size="3",
                            on_click=S.close_unit,
                        ),
                        spacing="2",
                    ),
                ),
                key=S.selected_unit_id + "-" + S.class_form_key.to_string(),
                on_submit=S.save_unit,
                no_validate=True,
                width="100%",
            ),
            rx.heading("Klasser och avdelningar", size="3", as_="h3", margin_top="0.75rem"),
            rx.cond(
                S.classes.length() > 0,
                rx.box(rx.foreach(S.classes, _class_row), width="100%"),
                muted("Enheten har inga klasser eller avdelningar än.", size="2"),
            ),
            rx.el.form(
                column(
                    _grid(
                        _text_input(
                            "name",
                            "Ny klass eller avdelning",
                            S.class_errors,
                            error_key="class_name",
                            id="new-class-name",
                        ),
                        rx.vstack(
                            label("Årskurs", "new-class-grade"),
                            _grade_select("new-class-grade", ""),
                            spacing="1",
                            width="100%",
                        ),
                        _text_input(
                            "pupil_count",
                            "Antal barn/elever",
                            S.class_errors,
                            error_key="class_pupils",
                            id="new-class-pupils",
                            optional=True,
                            input_mode="numeric",
                        ),
                    ),
                    _submit("Lägg till", "plus"),
                    spacing="3",
                ),
                key=S.class_form_key,
                on_submit=S.add_class,
                no_validate=True,
                width="100%",
            ),
            id="vald-enhet",
        ),
    )


def _units_tab() -> rx.Component:
    return column(_units_table(), _selected_unit(), _new_unit_card())


# Users ---------------------------------------------------------------------------


def _checkbox(name: str, text, control_id, checked=False) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=name, id=control_id, default_checked=checked),
        rx.text(text, size="2"),
        html_for=control_id,
        class_name="kb-choice",
    )


def _role_fields(prefix: str, current=None) -> rx.Component:
    def unit_box(u):
        checked = (
            ("," + current["principal_units"] + ",").contains("," + u["id"] + ",")
            if current is not None
            else False
        )
        return _checkbox("unit_" + u["id"], u["name"], prefix + "-unit-" + u["id"], checked)

    return column(
        rx.el.fieldset(
            rx.el.legend("Roller för hela organisationen", class_name="kb-label"),
            rx.flex(
                _checkbox(
                    "organiser",
                    "Huvudman (ser alla ärenden och all statistik)",
                    prefix + "-organiser",
                    current["organiser"] == "1" if current is not None else False,
                ),
                _checkbox(
                    "admin",
                    "Administratör (enheter, användare, inställningar)",
                    prefix + "-admin",
                    current["admin"] == "1" if current is not None else False,
                ),
                direction="column",
                gap="0.25rem",
            ),
            class_name="kb-fieldset",
        ),
        rx.el.fieldset(
            rx.el.legend("Rektor/förskolechef för", class_name="kb-label"),
            rx.cond(
                S.active_units.length() > 0,
                rx.flex(rx.foreach(S.active_units, unit_box), direction="column", gap="0.25rem"),
                muted("Skapa först en enhet under Enheter.", size="2"),
            ),
            class_name="kb-fieldset",
        ),
        error_for(S.user_errors, "roles"),
        error_for(S.user_errors, "principal_units"),
        spacing="3",
    )


def _invite_card() -> rx.Component:
    return section_card(
        "Bjud in en användare",
        muted(
            "Personen får ett e-postmeddelande med en länk för att välja lösenord. Länken "
            "gäller i 7 dagar och kan användas en gång.",
            size="2",
        ),
        rx.el.form(
            column(
                rx.grid(
                    _text_input("name", "Namn", S.user_errors, id="invite-name"),
                    _text_input(
                        "email",
                        "E-postadress",
                        S.user_errors,
                        id="invite-email",
                        type="email",
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    gap="0.75rem 1rem",
                    width="100%",
                ),
                _role_fields("invite"),
                _submit("Skicka inbjudan", "send"),
            ),
            key=S.invite_key,
            on_submit=S.invite,
            no_validate=True,
            width="100%",
        ),
    )


def _status_badge(u) -> rx.Component:
    return rx.match(
        u["status"],
        ("Aktiv", rx.badge("Aktiv", color_scheme="teal", variant="soft")),
        ("Inbjuden", rx.badge("Inbjuden", color_scheme="amber", variant="soft")),
        rx.badge("Inaktiv", color_scheme="gray", variant="soft"),
    )


def _deactivate_dialog(u) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Inaktivera",
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label="Inaktivera " + u["name"],
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Inaktivera " + u["name"] + "?"),
            rx.alert_dialog.description(
                "Personen kan inte längre logga in och loggas ut överallt. Det personen har "
                "gjort i ärenden finns kvar. Är personen rektor får du först lämna över "
                "enhetens öppna ärenden till en annan rektor.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Avbryt", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Inaktivera", color_scheme="red", on_click=S.set_active(u["id"], False)
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="28rem",
        ),
    )


def _user_row(u) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(u["name"], weight="medium"),
                rx.text(u["email"], size="1", color=rx.color("gray", 11)),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(u["roles"], size="2")),
        rx.table.cell(_status_badge(u)),
        rx.table.cell(
            rx.flex(
                rx.cond(
                    u["active"] == "1",
                    rx.button(
                        "Ändra roller",
                        size="1",
                        variant="soft",
                        on_click=S.edit_user(u["id"]),
                        aria_label="Ändra roller för " + u["name"],
                    ),
                ),
                rx.cond(
                    u["invited"] == "1",
                    rx.button(
                        "Skicka inbjudan igen",
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.resend(u["id"]),
                        aria_label="Skicka inbjudan igen till " + u["name"],
                    ),
                ),
                rx.cond(
                    u["self"] == "",
                    rx.cond(
                        u["active"] == "1",
                        _deactivate_dialog(u),
                        rx.button(
                            "Återaktivera",
                            size="1",
                            variant="soft",
                            on_click=S.set_active(u["id"], True),
                            aria_label="Återaktivera " + u["name"],
                        ),
                    ),
                ),
                gap="0.5rem",
                wrap="wrap",
            )
        ),
    )


def _users_table() -> rx.Component:
    return rx.card(
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Namn"),
                        rx.table.column_header_cell("Roller"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell(
                            rx.el.span("Åtgärder", class_name="kb-visually-hidden")
                        ),
                    )
                ),
                rx.table.body(rx.foreach(S.users, _user_row)),
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        width="100%",
    )


def _edit_roles() -> rx.Component:
    u = S.editing_user
    return rx.cond(
        S.editing_user_id != "",
        section_card(
            "Roller för " + u["name"],
            rx.el.form(
                column(
                    _role_fields("edit", u),
                    rx.hstack(
                        _submit("Spara roller"),
                        rx.button(
                            "Avbryt",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            size="3",
                            on_click=S.cancel_edit,
                        ),
                        spacing="2",
                    ),
                ),
                key="edit-" + S.editing_user_id,
                on_submit=S.save_roles,
                no_validate=True,
                width="100%",
            ),
            id="andra-roller",
        ),
    )


def _handover_unit(h) -> rx.Component:
    control_id = "handover-" + h.unit_id
    return rx.box(
        rx.text(h.unit, weight="medium"),
        muted("Öppna ärenden (" + h.count + "): " + h.cases, size="2"),
        rx.cond(
            h.candidates.length() > 0,
            rx.vstack(
                label("Lämna över till", control_id),
                rx.el.select(
                    rx.el.option("Välj rektor …", value=""),
                    rx.foreach(h.candidates, lambda c: rx.el.option(c.name, value=c.id)),
                    id=control_id,
                    name="handover_" + h.unit_id,
                    class_name="kb-select",
                ),
                spacing="1",
                max_width="24rem",
                margin_top="0.5rem",
            ),
            rx.text(
                "Enheten har ingen annan aktiv rektor. Bjud in eller ge någon rollen rektor "
                "för enheten först.",
                size="2",
                color=rx.color("red", 11),
            ),
        ),
        error_for(S.handover_errors, "handover_" + h.unit_id),
        padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def _handover_card() -> rx.Component:
    return rx.cond(
        S.handovers.length() > 0,
        rx.card(
            column(
                rx.heading("Lämna över öppna ärenden", size="4", as_="h2"),
                muted(
                    S.pending_user_name + " är ansvarig för öppna ärenden. Välj en annan rektor "
                    "för varje enhet innan ändringen görs, så att inget ärende blir utan "
                    "ansvarig. Du ser bara ärendenummer och steg, inget innehåll.",
                    size="2",
                ),
                rx.el.form(
                    column(
                        rx.foreach(S.handovers, _handover_unit),
                        rx.hstack(
                            _submit(
                                rx.cond(
                                    S.pending_action == "deactivate",
                                    "Lämna över och inaktivera",
                                    "Lämna över och spara roller",
                                ),
                                "arrow-right-left",
                            ),
                            rx.button(
                                "Avbryt",
                                type="button",
                                variant="soft",
                                color_scheme="gray",
                                size="3",
                                on_click=S.cancel_handover,
                            ),
                            spacing="2",
                        ),
                    ),
                    on_submit=S.hand_over,
                    no_validate=True,
                    width="100%",
                ),
            ),
            size="3",
            width="100%",
            id="overlamning",
            style={"border": f"1px solid {rx.color('amber', 7)}"},
        ),
    )


def _users_tab() -> rx.Component:
    return column(_handover_card(), _edit_roles(), _users_table(), _invite_card())


# Import --------------------------------------------------------------------------

_OUTCOME_COLOURS = {"Skapas": "teal", "Ändras": "blue", "Oförändrad": "gray", "Fel": "red"}


def _import_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["line"]),
        rx.table.cell(
            rx.match(
                r["outcome"],
                *[
                    (k, rx.badge(k, color_scheme=c, variant="soft"))
                    for k, c in _OUTCOME_COLOURS.items()
                ],
                rx.badge(r["outcome"]),
            )
        ),
        rx.table.cell(rx.text(r["text"], size="2")),
        rx.table.cell(rx.text(r["error"], size="2", color=rx.color("red", 11))),
    )


def _import_tab() -> rx.Component:
    return column(
        section_card(
            "Importera enheter, klasser och användare",
            muted(
                "Ladda ner mallen, fyll i den (eller exportera från skolans "
                "administrationssystem med samma kolumner) och ladda upp den som CSV eller "
                "XLSX. Du ser först vad som händer med varje rad; inget sparas förrän du "
                "genomför importen. Samma fil två gånger ändrar ingenting.",
                size="2",
            ),
            rx.link("Ladda ner mallen (CSV)", href=routes.IMPORT_TEMPLATE, is_external=True),
            rx.upload(
                rx.vstack(
                    rx.icon("upload", size=20),
                    rx.text("Välj en fil eller dra den hit", size="2", weight="medium"),
                    muted("CSV eller XLSX, högst 5 MB", size="1"),
                    align="center",
                    spacing="1",
                ),
                id="import_upload",
                accept={
                    "text/csv": [".csv"],
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
                },
                max_files=1,
                multiple=False,
                on_drop=S.upload_import(rx.upload_files(upload_id="import_upload")),
                border=f"1px dashed {rx.color('gray', 8)}",
                border_radius="var(--radius-3)",
                padding="1.25rem",
                width="100%",
                cursor="pointer",
            ),
            rx.cond(
                S.import_error != "",
                rx.callout(S.import_error, icon="circle-alert", color_scheme="red", role="alert"),
            ),
        ),
        rx.cond(
            S.import_file != "",
            section_card(
                "Förhandsgranskning: " + S.import_file,
                rx.flex(
                    *[
                        rx.badge(
                            k + ": " + S.import_counts[k], color_scheme=c, variant="soft", size="2"
                        )
                        for k, c in _OUTCOME_COLOURS.items()
                    ],
                    gap="0.5rem",
                    wrap="wrap",
                ),
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(h)
                                    for h in ["Rad", "Resultat", "Vad", "Fel"]
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(S.import_preview, _import_row)),
                        size="1",
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.cond(
                    S.import_ok,
                    rx.hstack(
                        action_button(
                            "check", "Genomför importen", size="3", on_click=S.apply_import
                        ),
                        rx.button(
                            "Avbryt",
                            variant="soft",
                            color_scheme="gray",
                            size="3",
                            on_click=S.cancel_import,
                        ),
                        spacing="2",
                    ),
                    rx.hstack(
                        rx.text(
                            "Rätta raderna med fel i filen och ladda upp den igen. Inget har sparats.",
                            size="2",
                            color=rx.color("red", 11),
                        ),
                        rx.button(
                            "Avbryt",
                            variant="soft",
                            color_scheme="gray",
                            size="2",
                            on_click=S.cancel_import,
                        ),
                        spacing="3",
                        align="center",
                        wrap="wrap",
                    ),
                ),
            ),
        ),
    )


# The log -------------------------------------------------------------------------


def _log_tab() -> rx.Component:
    return rx.cond(
        S.log.length() > 0,
        rx.card(
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ["När", "Vem", "Vad", "Gäller", "Detaljer"]
                            ]
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            S.log,
                            lambda r: rx.table.row(
                                rx.table.cell(rx.text(r["at"], size="2", white_space="nowrap")),
                                rx.table.cell(rx.text(r["who"], size="2")),
                                rx.table.cell(rx.text(r["what"], size="2")),
                                rx.table.cell(rx.text(r["target"], size="2")),
                                rx.table.cell(rx.text(r["detail"], size="2")),
                            ),
                        )
                    ),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            width="100%",
        ),
        rx.card(muted("Inga ändringar är gjorda än."), width="100%"),
    )


def _content() -> rx.Component:
    return column(
        callout_when(
            S.public_url_warning,
            icon="triangle-alert",
            color_scheme="amber",
            role="alert",
            width="100%",
        ),
        muted(
            "Här lägger du upp enheter, klasser och användare. Administratören ser aldrig "
            "ärendenas innehåll. ",
            rx.link("Anmälningslänkar", href=routes.REPORT_LINKS),
            " · ",
            rx.link("Inställningar", href=routes.SETTINGS),
            " · ",
            rx.link("Utskick", href=routes.OUTBOX),
            max_width="50rem",
        ),
        saved_notice(S.notice),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Enheter", value="enheter"),
                rx.tabs.trigger("Användare", value="anvandare"),
                rx.tabs.trigger("Import", value="import"),
                rx.tabs.trigger("Ändringslogg", value="logg"),
                size="2",
            ),
            rx.tabs.content(rx.box(_units_tab(), padding_top="1rem"), value="enheter"),
            rx.tabs.content(rx.box(_users_tab(), padding_top="1rem"), value="anvandare"),
            rx.tabs.content(rx.box(_import_tab(), padding_top="1rem"), value="import"),
            rx.tabs.content(rx.box(_log_tab(), padding_top="1rem"), value="logg"),
            value=S.tab,
            on_change=S.set_tab,
            width="100%",
        ),
    )


def admin_page() -> rx.Component:
    return page_frame("Administration", _content)


def start_page() -> rx.Component:
    return rx.box(loading_view())


def not_found_page() -> rx.Component:
    return public_frame(
        message_card(
            "search-x",
            rx.heading("Sidan finns inte", size="5"),
            muted(
                "Adressen kan vara felskriven, eller så har sidan flyttats.",
                align="center",
            ),
            rx.link("Till startsidan", href="/"),
            card_props={"size": "3"},
        ),
        max_width="28rem",
    )
