"""/installningar (the organisation's limits, organisers) and /mitt-konto (own
notification choice, password and sessions, every signed-in user)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import (
    column,
    error_notice,
    lead_text,
    muted,
    saved_notice,
    section_card,
)
from kb_app.components.forms import error_for
from kb_app.components.layout import page_frame
from kb_app.components.native_form import native_form, native_input
from kb_app.domain.deadlines import SECOND_REMINDER_DAYS
from kb_app.domain.retention import HANDLING_LABELS
from kb_app.domain.vocab import ROLE_LABELS
from kb_app.services.admin.org_settings import (
    ESCALATE_MAX,
    ESCALATE_MIN,
    FIELDS,
    LIMIT_MAX,
    LIMIT_MIN,
    RETENTION_MAX,
    RETENTION_MIN,
    SECOND_FACTOR_CHOICES,
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
        _general_card(),
        _second_factor_card(),
        muted(
            "Vill du ha en daglig sammanfattning i stället för en påminnelse per ärende? ",
            rx.link("Ändra under Mitt konto", href=routes.ACCOUNT),
            ".",
            size="2",
        ),
        max_width="52rem",
    )


def _general_card() -> rx.Component:
    g = SettingsState.general
    errors = SettingsState.general_errors

    return section_card(
        "Organisationen",
        saved_notice(SettingsState.general_message),
        rx.el.form(
            column(
                rx.vstack(
                    rx.el.label(
                        "Gallring efter", html_for="retention_years", class_name="kb-label"
                    ),
                    rx.text(
                        "Så många år efter att ett ärende avslutats gallras uppgifterna om "
                        "personer och händelser; antalen finns kvar för statistiken.",
                        class_name="kb-hint",
                    ),
                    rx.hstack(
                        rx.input(
                            id="retention_years",
                            name="retention_years",
                            type="number",
                            min=RETENTION_MIN,
                            max=RETENTION_MAX,
                            default_value=g["retention_years"],
                            size="3",
                            width="6rem",
                        ),
                        muted("år", size="2"),
                        align="center",
                    ),
                    error_for(errors, "retention_years"),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label(
                        "När tiden har gått", html_for="retention_action", class_name="kb-label"
                    ),
                    rx.text(
                        "Ärendena föreslås varje natt för gallring; en huvudman godkänner "
                        "listan under Gallring. Med leverans till e-arkiv gallras ett ärende "
                        "först när det är markerat som levererat.",
                        class_name="kb-hint",
                    ),
                    rx.el.select(
                        *[
                            rx.el.option(label, value=str(code))
                            for code, label in HANDLING_LABELS.items()
                        ],
                        id="retention_action",
                        name="retention_action",
                        default_value=g["retention_action"],
                        class_name="kb-select",
                    ),
                    error_for(errors, "retention_action"),
                    rx.cond(
                        SettingsState.nav_gallring,
                        rx.el.a(
                            "Till gallringslistan",
                            href=routes.GALLRING,
                            reload_document=True,
                            color=rx.color("teal", 11),
                        ),
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label(
                        "Avsändarnamn i e-post", html_for="sender_name", class_name="kb-label"
                    ),
                    rx.text(
                        "Visas som avsändare i mejl från Värna, till exempel skolans eller "
                        "förvaltningens namn. Tomt: bara adressen.",
                        class_name="kb-hint",
                    ),
                    rx.input(
                        id="sender_name",
                        name="sender_name",
                        default_value=g["sender_name"],
                        size="3",
                        width="100%",
                        max_width="24rem",
                    ),
                    error_for(errors, "sender_name"),
                    spacing="1",
                    width="100%",
                ),
                rx.button(rx.icon("save", size=16), "Spara", type="submit", size="3"),
            ),
            key=SettingsState.general.to_string(),
            on_submit=SettingsState.save_general,
            no_validate=True,
            width="100%",
        ),
    )


def _second_factor_card() -> rx.Component:
    return rx.el.form(
        section_card(
            "Tvåstegsverifiering",
            muted(
                "Användare med de valda rollerna måste logga in med en kod från en "
                "autentiseringsapp (eller en reservkod) utöver lösenordet. Den som inte har "
                "en app ännu får aktivera den direkt efter lösenordet, innan något annat visas. "
                "Den som har aktiverat en app får alltid frågan.",
                size="2",
            ),
            rx.el.fieldset(
                rx.el.legend("Roller som måste använda tvåstegsverifiering", class_name="kb-label"),
                column(
                    *[
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    name=f"mfa_{role}",
                                    default_checked=SettingsState.second_factor.contains(str(role)),
                                    size="2",
                                    # Radix draws a button: the label around it does not name it
                                    aria_label=ROLE_LABELS[role],
                                ),
                                rx.text(ROLE_LABELS[role], size="2"),
                                align="center",
                                spacing="2",
                            ),
                        )
                        for role in SECOND_FACTOR_CHOICES
                    ],
                    spacing="2",
                ),
                class_name="kb-fieldset",
            ),
            saved_notice(SettingsState.second_factor_message),
            rx.box(
                rx.button(
                    rx.icon("shield-check", size=16),
                    "Spara tvåstegsverifiering",
                    type="submit",
                    size="3",
                    variant="soft",
                ),
            ),
        ),
        key=SettingsState.form_key,
        on_submit=SettingsState.save_second_factor,
        width="100%",
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
        _password_card(),
        _second_factor_account_card(),
        _passkeys_card(),
        _sessions_card(),
        max_width="44rem",
    )


def _password_card() -> rx.Component:
    def field(id_: str, label: str, complete: str) -> rx.Component:
        return native_input(
            id_,
            label,
            type="password",
            auto_complete=complete,
            required=True,
        )

    return section_card(
        "Byt lösenord",
        muted(
            "Ange ditt nuvarande lösenord och det nya två gånger. Lätta lösenord (vanliga ord, "
            "namn, årtal, tangentmönster) tas inte emot; tre eller fyra ord som inte hör ihop "
            "fungerar bra. Du loggas ut på alla andra enheter.",
            size="2",
        ),
        error_notice(AccountState.password_error, width="100%"),
        saved_notice(AccountState.password_message),
        native_form(
            column(
                field("current", "Nuvarande lösenord", "current-password"),
                field("password", "Nytt lösenord", "new-password"),
                field("password2", "Upprepa det nya lösenordet", "new-password"),
                rx.button("Byt lösenord", type="submit", size="3"),
                spacing="3",
            ),
            action=routes.AUTH_CHANGE_PASSWORD,
            method="post",
        ),
    )


def _session_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["device"], weight="medium", size="2"),
                rx.cond(
                    row["current"] != "",
                    rx.badge("Den här enheten", color_scheme="teal", variant="soft"),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(row["client"], size="2")),
        rx.table.cell(rx.text(row["started"], size="2")),
        rx.table.cell(rx.text(row["last_seen"], size="2")),
        rx.table.cell(
            rx.cond(
                row["current"] == "",
                rx.button(
                    "Logga ut",
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    on_click=AccountState.end_session(row["id"]),
                    aria_label="Avsluta inloggningen " + row["device"] + " " + row["started"],
                ),
            )
        ),
    )


def _recovery_codes() -> rx.Component:
    """Reserve codes: how many are left, the new ones once, and a way to renew them.
    Shown with an app and with a passkey: either way they are the way back in."""
    return column(
        muted(
            "Reservkoder kvar: ",
            rx.text.strong(AccountState.recovery_left),
            ". Har du använt eller tappat bort dem kan du ta fram tio nya; de gamla "
            "slutar då att fungera.",
            size="2",
        ),
        rx.cond(
            AccountState.new_codes.length() > 0,
            column(
                rx.callout(
                    "Spara koderna nu: de visas bara en gång.",
                    icon="key-round",
                    color_scheme="teal",
                    width="100%",
                ),
                rx.el.ul(
                    rx.foreach(
                        AccountState.new_codes,
                        lambda c: rx.el.li(rx.code(c, size="3")),
                    ),
                    class_name="kb-codes",
                    aria_label="Nya reservkoder",
                ),
                rx.button("Jag har sparat koderna", on_click=AccountState.hide_codes, size="2"),
            ),
            rx.box(
                rx.button(
                    rx.icon("refresh-cw", size=16),
                    "Ta fram nya reservkoder",
                    on_click=AccountState.renew_codes,
                    variant="soft",
                    size="2",
                )
            ),
        ),
    )


def _second_factor_account_card() -> rx.Component:
    return section_card(
        "Tvåstegsverifiering",
        rx.cond(
            AccountState.has_app,
            muted(
                "Du loggar in med lösenord och en kod från din autentiseringsapp.",
                size="2",
            ),
            column(
                muted(
                    "Med tvåstegsverifiering räcker inte ett stulet lösenord: inloggningen "
                    "kräver också en kod från en app i din telefon, eller en passkey.",
                    size="2",
                ),
                rx.box(
                    rx.button(
                        rx.icon("shield-check", size=16),
                        "Aktivera tvåstegsverifiering",
                        on_click=AccountState.start_enrolment,
                        size="2",
                    )
                ),
            ),
        ),
        rx.cond(
            AccountState.has_app | (AccountState.passkeys.length() > 0),
            _recovery_codes(),
        ),
    )


def _passkey_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], weight="medium", size="2")),
        rx.table.cell(rx.text(row["created"], size="2")),
        rx.table.cell(
            rx.text(rx.cond(row["last_used"] != "", row["last_used"], "aldrig"), size="2")
        ),
        rx.table.cell(
            rx.button(
                "Ta bort",
                variant="soft",
                color_scheme="gray",
                size="1",
                on_click=AccountState.remove_passkey(row["id"]),
                aria_label="Ta bort passkeyn " + row["name"],
            )
        ),
    )


def _passkeys_card() -> rx.Component:
    return section_card(
        "Passkeys",
        muted(
            "En passkey är en inloggningsnyckel i din dator, telefon eller säkerhetsnyckel, "
            "som du låser upp med fingeravtryck, ansikte eller pinkod. Den fungerar som andra "
            "steget efter lösenordet, i stället för en kod från appen, och kan inte lockas "
            "fram av en falsk inloggningssida.",
            size="2",
        ),
        rx.cond(
            AccountState.passkeys.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Namn"),
                            rx.table.column_header_cell("Tillagd"),
                            rx.table.column_header_cell("Senast använd"),
                            rx.table.column_header_cell(
                                rx.el.span("Åtgärd", class_name="kb-visually-hidden")
                            ),
                        )
                    ),
                    rx.table.body(rx.foreach(AccountState.passkeys, _passkey_row)),
                    variant="surface",
                    size="1",
                    aria_label="Dina passkeys",
                ),
                overflow_x="auto",
                width="100%",
            ),
            muted("Du har ingen passkey ännu.", size="2"),
        ),
        saved_notice(AccountState.passkey_message),
        rx.form(
            column(
                rx.el.label("Namn på passkeyn", html_for="passkey_name", class_name="kb-label"),
                rx.text(
                    "Till exempel ”Jobbdatorn” eller ”Telefonen”, så att du känner igen den.",
                    id="passkey_name-hint",
                    class_name="kb-hint",
                ),
                rx.input(
                    id="passkey_name",
                    name="passkey_name",
                    size="3",
                    width="100%",
                    auto_complete="off",
                    aria_describedby="passkey_name-hint",
                ),
                error_notice(AccountState.passkey_error, width="100%"),
                rx.box(
                    rx.button(
                        rx.cond(
                            AccountState.passkey_busy,
                            rx.spinner(size="2"),
                            rx.icon("fingerprint", size=16),
                        ),
                        "Lägg till passkey",
                        type="submit",
                        size="2",
                        disabled=AccountState.passkey_busy,
                    )
                ),
                spacing="2",
            ),
            key=AccountState.passkey_form_key,
            on_submit=AccountState.add_passkey,
            width="100%",
        ),
    )


def _sessions_card() -> rx.Component:
    return section_card(
        "Inloggningar",
        muted(
            "Här är de enheter där du är inloggad just nu. Känner du inte igen en "
            "inloggning: avsluta den och byt lösenord.",
            size="2",
        ),
        saved_notice(AccountState.sessions_message),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Enhet"),
                        rx.table.column_header_cell("Adress"),
                        rx.table.column_header_cell("Inloggad"),
                        rx.table.column_header_cell("Senast aktiv"),
                        rx.table.column_header_cell(
                            rx.el.span("Åtgärd", class_name="kb-visually-hidden")
                        ),
                    )
                ),
                rx.table.body(rx.foreach(AccountState.sessions, _session_row)),
                size="1",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.cond(
            AccountState.sessions.length() > 1,
            rx.button(
                "Logga ut alla andra enheter",
                variant="outline",
                color_scheme="red",
                on_click=AccountState.end_other_sessions,
            ),
        ),
    )


def account_page() -> rx.Component:
    return page_frame("Mitt konto", _account_content)
