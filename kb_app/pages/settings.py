"""/installningar (the organisation's limits, organisers) and /mitt-konto (own
notification choice, every signed-in user)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import column, lead_text, muted, saved_notice, section_card
from kb_app.components.layout import page_frame
from kb_app.domain.deadlines import SECOND_REMINDER_DAYS
from kb_app.services.admin.org_settings import (
    ESCALATE_MAX,
    ESCALATE_MIN,
    FIELDS,
    LIMIT_MAX,
    LIMIT_MIN,
)
from kb_app.state.settings import AccountState, SettingsState


def _limit_field(name: str, label: str, help_text: str) -> rx.Component:
    lo, hi = (
        (ESCALATE_MIN, ESCALATE_MAX) if name == "escalate_after_days" else (LIMIT_MIN, LIMIT_MAX)
    )
    has_error = SettingsState.errors.contains(name)
    return rx.flex(
        rx.vstack(
            rx.el.label(label, html_for=name, class_name="kb-label"),
            rx.text(help_text, id=f"{name}-hint", class_name="kb-hint"),
            spacing="1",
            flex="1",
            min_width="14rem",
        ),
        rx.vstack(
            rx.hstack(
                rx.input(
                    id=name,
                    name=name,
                    type="number",
                    input_mode="numeric",
                    min=lo,
                    max=hi,
                    step=1,
                    default_value=SettingsState.values[name],
                    aria_describedby=f"{name}-hint {name}-error",
                    aria_invalid=rx.cond(has_error, "true", "false"),
                    box_shadow=rx.cond(has_error, "inset 0 0 0 1px var(--red-9)", ""),
                    size="3",
                    width="6rem",
                ),
                muted(
                    "arbetsdagar",
                    size="2",
                ),
                align="center",
                spacing="2",
            ),
            rx.text(
                rx.cond(has_error, SettingsState.errors[name], ""),
                id=f"{name}-error",
                size="2",
                color=rx.color("red", 11),
                display=rx.cond(has_error, "block", "none"),
            ),
            spacing="1",
        ),
        gap="0.75rem 1.5rem",
        wrap="wrap",
        justify="between",
        align="start",
        width="100%",
        padding_y="0.75rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _settings_content() -> rx.Component:
    steps = [f for f in FIELDS if f[0] != "escalate_after_days"]
    escalate = [f for f in FIELDS if f[0] == "escalate_after_days"]
    return column(
        lead_text(
            "Skollagen kräver att kränkande behandling utreds skyndsamt. Här bestämmer "
            "huvudmannen hur många arbetsdagar varje steg får ta. Arbetsdagar räknas utan "
            "helger och helgdagar (även julafton, midsommarafton och nyårsafton).",
            "48rem",
        ),
        saved_notice(SettingsState.saved_message),
        rx.el.form(
            column(
                section_card(
                    "Tidsgränser per steg", *[_limit_field(*f) for f in steps], spacing="1"
                ),
                section_card(
                    "Påminnelser och eskalering",
                    muted(
                        "Den som ansvarar för ärendet får en påminnelse när ett steg är "
                        f"försenat och en till efter {SECOND_REMINDER_DAYS} arbetsdagar. "
                        "Huvudmannen underrättas när steget har varit försenat så här länge:",
                        size="2",
                    ),
                    *[_limit_field(*f) for f in escalate],
                    spacing="1",
                ),
                rx.flex(
                    rx.button(
                        rx.cond(
                            SettingsState.saving, rx.spinner(size="2"), rx.icon("save", size=16)
                        ),
                        "Spara tidsgränser",
                        type="submit",
                        size="3",
                        disabled=SettingsState.saving,
                    ),
                    rx.text(
                        "När du sparar räknas förfallodagen om för alla öppna ärenden.",
                        class_name="kb-hint",
                    ),
                    gap="0.75rem 1rem",
                    align="center",
                    wrap="wrap",
                ),
            ),
            key=SettingsState.form_key,
            on_submit=SettingsState.save,
            no_validate=True,
            width="100%",
        ),
        muted(
            "Vill du ha en daglig sammanfattning i stället för en påminnelse per ärende? ",
            rx.link("Ändra under Mitt konto", href=routes.ACCOUNT),
            ".",
            size="2",
        ),
        max_width="52rem",
    )


def settings_page() -> rx.Component:
    return page_frame("Inställningar", _settings_content)


def _account_content() -> rx.Component:
    return column(
        section_card(
            "Uppgifter",
            rx.data_list.root(
                rx.data_list.item(
                    rx.data_list.label("Namn"), rx.data_list.value(AccountState.account_name)
                ),
                rx.data_list.item(
                    rx.data_list.label("E-postadress"),
                    rx.data_list.value(AccountState.account_email),
                ),
                rx.data_list.item(
                    rx.data_list.label("Roll"), rx.data_list.value(AccountState.user_role_label)
                ),
                orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
            ),
        ),
        section_card(
            "Påminnelser via e-post",
            muted(
                "När ett steg i ett av dina ärenden är försenat skickar Värna en påminnelse "
                "per ärende. Du kan i stället få en sammanfattning en gång per arbetsdag "
                "(från klockan 07) med dina försenade ärenden. Påminnelserna syns ändå i "
                "ärendets händelselogg.",
                size="2",
            ),
            rx.el.label(
                rx.hstack(
                    rx.switch(
                        id="daily_digest",
                        checked=AccountState.daily_digest,
                        on_change=AccountState.set_daily_digest,
                        size="3",
                    ),
                    rx.text("Daglig sammanfattning i stället för en påminnelse per ärende"),
                    align="center",
                    spacing="3",
                ),
                html_for="daily_digest",
            ),
            saved_notice(AccountState.saved_message),
            rx.text(
                "E-postmeddelanden från Värna innehåller aldrig namn eller uppgifter om "
                "ärendet, bara ärendenummer och en länk.",
                class_name="kb-hint",
            ),
        ),
        max_width="44rem",
    )


def account_page() -> rx.Component:
    return page_frame("Mitt konto", _account_content)
