"""``/anmalan/[token]``: the staff report form and its receipt; ``/komplettering/[token]``:
the reporter's supplement. Public pages without login; every value is rendered as
text (never as HTML)."""

from __future__ import annotations

import reflex as rx

from kb_app.components.forms import (
    error_text,
    field,
    fieldset,
    hint,
    invalid_attrs,
    native_select,
)
from kb_app.components.layout import public_frame
from kb_app.domain import report as rules
from kb_app.domain.vocab import (
    GRADE_LABELS,
    GRADES,
    GROUNDS,
    GUARDIANS_INFORMED,
    KINDS,
    PARTY_KINDS,
    PLACES,
    REPORTER_ROLES,
)
from kb_app.state.report import ReportState, SupplementState, field_id

S = ReportState
WIDTH = "46rem"
GRADE_OPTIONS = [(g, GRADE_LABELS[g]) for g in GRADES]


# ---------------------------------------------------------------- simple fields


def _err(key: str):
    return S.errors[key], S.errors.contains(key)


def text_field(
    key: str,
    label_text: str,
    *,
    required: bool = False,
    optional: bool = False,
    hint_text: str | None = None,
    max_length: int = 200,
    **props,
) -> rx.Component:
    fid = field_id(key)
    error, has_error = _err(key)
    return field(
        rx.input(
            id=fid,
            value=getattr(S, key),
            on_change=lambda v: S.set_field(key, v),
            max_length=max_length,
            size="3",
            width="100%",
            color_scheme=rx.cond(has_error, "red", "teal"),
            custom_attrs=invalid_attrs(has_error, fid),
            **props,
        ),
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        required=required,
        optional=optional,
        hint_text=hint_text,
    )


def area_field(
    key: str,
    label_text: str,
    *,
    max_length: int,
    required: bool = False,
    optional: bool = False,
    hint_text: str | None = None,
    rows: str = "3",
    counter: bool = False,
) -> rx.Component:
    fid = field_id(key)
    error, has_error = _err(key)
    control = rx.text_area(
        id=fid,
        value=getattr(S, key),
        on_change=lambda v: S.set_field(key, v),
        max_length=max_length,
        rows=rows,
        size="3",
        width="100%",
        resize="vertical",
        color_scheme=rx.cond(has_error, "red", "teal"),
        custom_attrs=invalid_attrs(has_error, fid),
    )
    if counter:
        control = rx.vstack(
            control,
            rx.text(
                getattr(S, key).length().to_string()
                + f" av högst {max_length:,} tecken".replace(",", "\u00a0"),
                class_name="kb-hint",
                align="right",
                width="100%",
            ),
            spacing="1",
            width="100%",
        )
    return field(
        control,
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        required=required,
        optional=optional,
        hint_text=hint_text,
    )


def select_field(
    key: str, label_text: str, options: list[tuple[str, str]], *, placeholder: str = "Välj …"
) -> rx.Component:
    fid = field_id(key)
    error, has_error = _err(key)
    return field(
        native_select(
            fid,
            getattr(S, key),
            lambda v: S.set_field(key, v),
            options,
            placeholder,
            **invalid_attrs(has_error, fid),
        ),
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        required=True,
    )


def section(title: str, *children, intro: str | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h2", size="4", weight="medium"),
            rx.text(intro, size="2", color=rx.color("gray", 11)) if intro else rx.fragment(),
            *children,
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
        class_name="kb-section",
    )


def two_columns(*children) -> rx.Component:
    return rx.grid(
        *children, columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%"
    )


# ---------------------------------------------------------------- rows of persons


def _row_input(
    which: str,
    row,
    i,
    key: str,
    label_text: str,
    *,
    required: bool = False,
    attrs: dict | None = None,
    **props,
) -> rx.Component:
    fid = "f-" + which + "-" + i.to_string() + "-" + key.replace("_", "-")
    error = row["e_" + key]
    has_error = error != ""
    return field(
        rx.input(
            id=fid,
            value=row[key],
            on_change=lambda v: S.set_row(which, i, key, v),
            size="3",
            width="100%",
            color_scheme=rx.cond(has_error, "red", "teal"),
            custom_attrs={**invalid_attrs(has_error, fid), **(attrs or {})},
            **props,
        ),
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        required=required,
    )


def _row_select(
    which: str, row, i, key: str, label_text: str, options, placeholder, required=False
) -> rx.Component:
    fid = "f-" + which + "-" + i.to_string() + "-" + key.replace("_", "-")
    error = row["e_" + key]
    has_error = error != ""
    return field(
        native_select(
            fid,
            row[key],
            lambda v: S.set_row(which, i, key, v),
            options,
            placeholder,
            **invalid_attrs(has_error, fid),
        ),
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        required=required,
    )


def _remove_button(which: str, i, noun: str) -> rx.Component:
    return rx.button(
        rx.icon("x", size=14),
        "Ta bort",
        on_click=S.remove_row(which, i),
        variant="ghost",
        color_scheme="gray",
        size="2",
        type="button",
        aria_label="Ta bort " + noun + " " + (i + 1).to_string(),
    )


def _row_frame(legend, remove, *children) -> rx.Component:
    # The legend is the fieldset's first child, so it names the group ("Utsatt 1").
    return rx.el.fieldset(
        rx.el.legend(legend, class_name="kb-row-legend"),
        rx.box(remove, class_name="kb-row-remove"),
        *children,
        class_name="kb-row",
    )


def subjected_row(row, i) -> rx.Component:
    return _row_frame(
        "Utsatt " + (i + 1).to_string(),
        rx.cond(S.subjected.length() > 1, _remove_button("subjected", i, "utsatt")),
        rx.vstack(
            _row_input(
                "subjected",
                row,
                i,
                "name",
                "Namn",
                required=True,
                max_length=rules.NAME_MAX,
                auto_complete="off",
            ),
            two_columns(
                _row_input(
                    "subjected",
                    row,
                    i,
                    "class_name",
                    "Klass eller avdelning",
                    max_length=rules.CLASS_MAX,
                    auto_complete="off",
                    attrs={"list": "kb-classes"},
                ),
                _row_select(
                    "subjected", row, i, "grade", "Årskurs", GRADE_OPTIONS, "Vet inte / ingen"
                ),
            ),
            spacing="3",
            width="100%",
        ),
    )


def involved_row(row, i) -> rx.Component:
    return _row_frame(
        "Inblandad " + (i + 1).to_string(),
        _remove_button("involved", i, "inblandad"),
        rx.vstack(
            _row_select(
                "involved", row, i, "kind", "Vem är det?", PARTY_KINDS, "Välj …", required=True
            ),
            two_columns(
                _row_input(
                    "involved",
                    row,
                    i,
                    "name",
                    "Namn, om du vet",
                    max_length=rules.NAME_MAX,
                    auto_complete="off",
                ),
                _row_input(
                    "involved",
                    row,
                    i,
                    "class_name",
                    "Klass, om du vet",
                    max_length=rules.CLASS_MAX,
                    auto_complete="off",
                    attrs={"list": "kb-classes"},
                ),
            ),
            spacing="3",
            width="100%",
        ),
    )


def add_button(text: str, which: str, show=True) -> rx.Component:
    button = rx.button(
        rx.icon("plus", size=16),
        text,
        on_click=S.add_row(which),
        variant="soft",
        size="2",
        type="button",
    )
    return rx.cond(show, button) if show is not True else button


# ---------------------------------------------------------------- choices


def kinds_group() -> rx.Component:
    error, has_error = _err("kinds")
    return fieldset(
        "Vilken sorts kränkning?",
        hint("Välj allt som stämmer."),
        rx.flex(
            *[
                rx.checkbox(
                    text,
                    id=field_id("kinds") if n == 0 else f"f-kinds-{code}",
                    checked=S.kinds.contains(code),
                    on_change=lambda v, code=code: S.toggle("kinds", code, v),
                    size="3",
                )
                for n, (code, text) in enumerate(KINDS)
            ],
            spacing="3",
            direction=rx.breakpoints(initial="column", sm="row"),
            wrap="wrap",
            padding_top="0.25rem",
        ),
        rx.cond(has_error, error_text(error, "f-kinds-error")),
        required=True,
    )


def grounds_group() -> rx.Component:
    error, has_error = _err("grounds")
    return fieldset(
        "Kan det ha samband med en diskrimineringsgrund?",
        hint(
            "Kryssa i om kränkningen kan ha med något av detta att göra (trakasserier enligt "
            "diskrimineringslagen). Lämna tomt om inget stämmer."
        ),
        rx.grid(
            *[
                rx.box(
                    rx.checkbox(
                        text,
                        id=field_id("grounds") if n == 0 else f"f-grounds-{code}",
                        checked=S.grounds.contains(code),
                        on_change=lambda v, code=code: S.toggle("grounds", code, v),
                        size="3",
                        custom_attrs={"aria-describedby": f"h-ground-{code}"},
                    ),
                    rx.text(help_text, id=f"h-ground-{code}", class_name="kb-hint kb-indent"),
                )
                for n, (code, text, help_text) in enumerate(GROUNDS)
            ],
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            padding_top="0.25rem",
        ),
        rx.cond(has_error, error_text(error, "f-grounds-error")),
    )


def guardians_group() -> rx.Component:
    error, has_error = _err("guardians_informed")
    return fieldset(
        "Är vårdnadshavare informerade?",
        rx.radio_group.root(
            rx.flex(
                *[
                    rx.el.label(
                        rx.radio_group.item(
                            value=code,
                            id=field_id("guardians_informed") if n == 0 else f"f-guardians-{code}",
                        ),
                        rx.text(text, size="3"),
                        class_name="kb-choice",
                    )
                    for n, (code, text) in enumerate(GUARDIANS_INFORMED)
                ],
                spacing="5",
                wrap="wrap",
            ),
            value=S.guardians_informed,
            on_change=lambda v: S.set_field("guardians_informed", v),
            size="3",
            custom_attrs={"aria-required": "true"},
        ),
        rx.cond(has_error, error_text(error, "f-guardians-informed-error")),
        required=True,
    )


# ---------------------------------------------------------------- the page


def intro() -> rx.Component:
    return rx.vstack(
        rx.text("Anmälan till rektor och huvudman", size="2", color=rx.color("teal", 11)),
        rx.heading("Anmäl kränkande behandling", as_="h1", size="7", weight="bold"),
        rx.hstack(
            rx.icon("school", size=18, color=rx.color("gray", 10)),
            rx.text(S.unit_name, size="4", weight="medium"),
            align="center",
            spacing="2",
        ),
        rx.text(
            "När ett barn eller en elev upplever sig kränkt i verksamheten ska du anmäla det "
            "till rektor, som anmäler vidare till huvudmannen (skollagen 6 kap. 10 §). "
            "Anmälan går direkt till båda. Det tar ett par minuter.",
            size="3",
            color=rx.color("gray", 11),
        ),
        rx.text(
            "Fält markerade med * måste fyllas i. Uppgifterna omfattas av sekretess.",
            size="2",
            color=rx.color("gray", 10),
        ),
        spacing="2",
        width="100%",
    )


def report_form() -> rx.Component:
    return rx.vstack(
        intro(),
        rx.el.datalist(
            rx.foreach(S.class_options, lambda c: rx.el.option(value=c)), id="kb-classes"
        ),
        section(
            "Om dig",
            text_field(
                "reporter_name",
                "Ditt namn",
                required=True,
                max_length=rules.NAME_MAX,
                auto_complete="name",
            ),
            two_columns(
                text_field(
                    "reporter_email",
                    "Din e-postadress",
                    required=True,
                    max_length=rules.EMAIL_MAX,
                    type="email",
                    auto_complete="email",
                    input_mode="email",
                ),
                select_field("reporter_role", "Din roll", REPORTER_ROLES),
            ),
        ),
        section(
            "Händelsen",
            two_columns(
                text_field(
                    "occurred_on",
                    "Datum",
                    required=True,
                    type="date",
                    max=S.today,
                    max_length=10,
                ),
                text_field(
                    "occurred_time",
                    "Klockslag",
                    optional=True,
                    type="time",
                    max_length=5,
                ),
            ),
            select_field("place", "Var hände det?", PLACES),
            rx.cond(
                S.place == "other",
                text_field(
                    "place_other",
                    "Beskriv platsen",
                    required=True,
                    max_length=rules.PLACE_OTHER_MAX,
                ),
            ),
            area_field(
                "description",
                "Vad hände?",
                required=True,
                max_length=rules.DESCRIPTION_MAX,
                rows="7",
                counter=True,
                hint_text=(
                    "Beskriv så sakligt du kan vad som sades och gjordes, och vad barnet eller "
                    "eleven själv berättar."
                ),
            ),
        ),
        section(
            "Vem blev utsatt?",
            rx.foreach(S.subjected, subjected_row),
            add_button(
                "Lägg till fler utsatta",
                "subjected",
                show=S.subjected.length() < rules.MAX_PARTIES,
            ),
            intro="Barnet eller eleven som upplever sig kränkt. Välj klass i listan eller skriv.",
        ),
        section(
            "Vilka var inblandade?",
            rx.cond(
                S.involved.length() == 0,
                rx.text(
                    "Inga inblandade tillagda. Lägg till dem du känner till: barn, elever, "
                    "personal, okända eller personer utifrån.",
                    size="2",
                    color=rx.color("gray", 10),
                ),
            ),
            rx.foreach(S.involved, involved_row),
            add_button(
                "Lägg till inblandad", "involved", show=S.involved.length() < rules.MAX_PARTIES
            ),
        ),
        section("Slag av kränkning", kinds_group(), grounds_group()),
        section(
            "Efter händelsen",
            area_field(
                "immediate_actions",
                "Vad gjordes direkt?",
                optional=True,
                max_length=rules.ACTIONS_MAX,
                hint_text="Till exempel att du skilde dem åt eller pratade med de inblandade.",
            ),
            guardians_group(),
            area_field(
                "witnesses",
                "Vittnen",
                optional=True,
                max_length=rules.WITNESSES_MAX,
                rows="2",
                hint_text="Vilka såg eller hörde det som hände?",
            ),
        ),
        rx.cond(
            S.form_error != "",
            rx.callout(
                S.form_error,
                icon="circle-alert",
                color_scheme="red",
                role="alert",
                width="100%",
            ),
        ),
        rx.flex(
            rx.button(
                rx.icon("send", size=18),
                "Skicka anmälan",
                on_click=S.submit,
                loading=S.submitting,
                size="3",
                type="button",
                width=rx.breakpoints(initial="100%", sm="auto"),
            ),
            rx.text(
                "Anmälan går till rektor och huvudman.",
                size="2",
                color=rx.color("gray", 10),
            ),
            spacing="3",
            align="center",
            direction=rx.breakpoints(initial="column", sm="row"),
            width="100%",
        ),
        spacing="5",
        width="100%",
        padding_bottom="3rem",
    )


def receipt() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("circle-check", size=28, color=rx.color("green", 10)),
                rx.heading(
                    rx.cond(
                        S.already_received,
                        "Anmälan var redan mottagen",
                        "Tack – anmälan är skickad",
                    ),
                    as_="h1",
                    size="6",
                ),
                align="center",
                spacing="3",
            ),
            rx.box(
                rx.text("Ärendenummer", size="2", color=rx.color("gray", 11)),
                rx.text(
                    S.reference,
                    size="7",
                    weight="bold",
                    class_name="kb-reference",
                    id="kb-reference",
                ),
                padding="1rem",
                border_radius="var(--radius-3)",
                background=rx.color("teal", 2),
                border=f"1px solid {rx.color('teal', 5)}",
                width="100%",
            ),
            rx.text(
                "Rektor och huvudmannen har fått ett meddelande om att en anmälan har kommit in. "
                "Ange ärendenumret om du har kontakt med skolan om händelsen.",
                size="3",
            ),
            rx.heading("Vad händer nu?", as_="h2", size="4", weight="medium"),
            rx.el.ol(
                rx.el.li("Rektor tar emot anmälan och ser till att barnet eller eleven är trygg."),
                rx.el.li("Huvudmannen har fått veta att anmälan har kommit in."),
                rx.el.li(
                    "Det som hänt utreds skyndsamt. Behövs det sätts åtgärder in så att "
                    "kränkningarna upphör."
                ),
                rx.el.li(
                    "Rektor eller den som utreder kan kontakta dig om något behöver klaras ut."
                ),
                class_name="kb-steps",
            ),
            rx.cond(
                S.supplement_link != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("key-round")),
                    rx.callout.text(
                        rx.text("Spara din länk för komplettering", weight="bold"),
                        rx.text(
                            "Med länken kan du lägga till uppgifter senare, till exempel om "
                            "något nytt händer. Den visas bara nu och ger inte tillgång till "
                            "anmälan. Dela den inte med någon.",
                        ),
                    ),
                    color_scheme="amber",
                    width="100%",
                ),
            ),
            rx.cond(
                S.supplement_link != "",
                rx.vstack(
                    rx.text(
                        "Länk för komplettering",
                        id="kb-supplement-label",
                        class_name="kb-label",
                    ),
                    rx.text(
                        S.supplement_link,
                        id="kb-supplement",
                        class_name="kb-linkbox",
                        custom_attrs={"aria-labelledby": "kb-supplement-label"},
                    ),
                    rx.button(
                        rx.icon("copy", size=16),
                        "Kopiera länken",
                        on_click=[
                            rx.set_clipboard(S.supplement_link),
                            rx.toast("Länken är kopierad."),
                        ],
                        size="2",
                        variant="soft",
                        type="button",
                    ),
                    spacing="2",
                    width="100%",
                ),
            ),
            rx.divider(),
            rx.button(
                rx.icon("file-plus", size=16),
                "Gör en ny anmälan",
                on_click=S.new_report,
                variant="outline",
                size="2",
                type="button",
            ),
            spacing="4",
            width="100%",
        ),
        size=rx.breakpoints(initial="3", sm="4"),
        width="100%",
    )


def link_invalid(title: str = "Länken gäller inte längre") -> rx.Component:
    """Deliberately says nothing about any unit or organisation."""
    return rx.card(
        rx.vstack(
            rx.icon("link-2-off", size=32, color=rx.color("gray", 10)),
            rx.heading(title, as_="h1", size="6", align="center"),
            rx.text(
                "Länken har bytts ut eller finns inte. Fråga din rektor eller förskolechef "
                "efter den aktuella länken.",
                align="center",
                color=rx.color("gray", 11),
            ),
            rx.text(
                "Är det bråttom? Berätta direkt för rektor vad som har hänt.",
                align="center",
                size="2",
                color=rx.color("gray", 10),
            ),
            align="center",
            spacing="3",
            padding_y="1rem",
        ),
        size=rx.breakpoints(initial="3", sm="4"),
        width="100%",
    )


def loading() -> rx.Component:
    return rx.center(
        rx.hstack(rx.spinner(size="3"), rx.text("Laddar …", color=rx.color("gray", 11))),
        padding_y="4rem",
        width="100%",
    )


def report_page() -> rx.Component:
    return public_frame(
        rx.match(
            S.status,
            ("form", report_form()),
            ("receipt", receipt()),
            ("invalid", link_invalid()),
            loading(),
        ),
        max_width=WIDTH,
    )


# ---------------------------------------------------------------- supplement


def supplement_form() -> rx.Component:
    T = SupplementState
    has_error = T.error != ""
    return rx.card(
        rx.vstack(
            rx.heading("Komplettera din anmälan", as_="h1", size="6"),
            rx.text("Ärende ", rx.text.strong(T.reference), size="3"),
            rx.text(
                "Det du skriver här läggs till i ärendet och går till den som ansvarar för det. "
                "Du kan inte se eller ändra det du skrev tidigare.",
                size="2",
                color=rx.color("gray", 11),
            ),
            field(
                rx.text_area(
                    id="f-supplement",
                    value=T.text,
                    on_change=T.set_text,
                    max_length=rules.SUPPLEMENT_MAX,
                    rows="8",
                    size="3",
                    width="100%",
                    resize="vertical",
                    color_scheme=rx.cond(has_error, "red", "teal"),
                    custom_attrs=invalid_attrs(has_error, "f-supplement"),
                ),
                label_text="Vad vill du lägga till?",
                control_id="f-supplement",
                error=T.error,
                has_error=has_error,
                required=True,
            ),
            rx.button(
                rx.icon("send", size=18),
                "Skicka komplettering",
                on_click=T.submit,
                loading=T.submitting,
                size="3",
                type="button",
            ),
            spacing="4",
            width="100%",
        ),
        size=rx.breakpoints(initial="3", sm="4"),
        width="100%",
    )


def supplement_done() -> rx.Component:
    T = SupplementState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("circle-check", size=28, color=rx.color("green", 10)),
                rx.heading("Tack – kompletteringen är skickad", as_="h1", size="6"),
                align="center",
                spacing="3",
            ),
            rx.text(
                "Den finns nu i ärende ",
                rx.text.strong(T.reference),
                " och den som ansvarar för ärendet har fått ett meddelande.",
            ),
            rx.button(
                "Skriv en komplettering till",
                on_click=T.another,
                variant="outline",
                size="2",
                type="button",
            ),
            spacing="4",
            width="100%",
        ),
        size=rx.breakpoints(initial="3", sm="4"),
        width="100%",
    )


def supplement_page() -> rx.Component:
    return public_frame(
        rx.match(
            SupplementState.status,
            ("form", supplement_form()),
            ("done", supplement_done()),
            ("invalid", link_invalid()),
            loading(),
        ),
        max_width="40rem",
    )
