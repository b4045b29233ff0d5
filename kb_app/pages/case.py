"""/arenden/<id>: one case. Header, staff banner, the form of the next step, the
incident, the timeline (newest last), parties, delegation, promptness; and
/arenden/<id>/akt: the printable case file."""

from __future__ import annotations

import reflex as rx

from kb_app.components.case_table import late_badge
from kb_app.components.layout import page_frame
from kb_app.domain.process import CONCLUSIONS, MEASURE_LEVELS, TALKS
from kb_app.state.case import CaseState as S

GRAY = rx.color("gray", 11)


# ---------------------------------------------------------------------------
# Small building blocks
# ---------------------------------------------------------------------------


def error_for(key) -> rx.Component:
    return rx.cond(
        S.errors.contains(key),
        rx.text(S.errors[key], color=rx.color("red", 11), size="2", role="alert"),
    )


def field(label: str, control: rx.Component, key, *, html_for=None, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=html_for or key, class_name="kb-label"),
        *([rx.text(hint, class_name="kb-hint")] if hint else []),
        control,
        error_for(key),
        spacing="1",
        width="100%",
        align="stretch",
    )


def textarea(name: str, *, rows: int = 4, default=None, placeholder: str = "") -> rx.Component:
    return rx.text_area(
        id=name,
        name=name,
        rows=str(rows),
        width="100%",
        max_length=10000,
        default_value=default if default is not None else "",
        placeholder=placeholder,
        resize="vertical",
    )


def date_input(name: str, default=None, id_=None) -> rx.Component:
    return rx.input(
        id=id_ or name,
        name=name,
        type="date",
        default_value=default if default is not None else "",
        width=["100%", "14rem"],
    )


def form_error() -> rx.Component:
    return rx.cond(
        S.form_error != "",
        rx.callout(S.form_error, icon="circle-alert", color_scheme="red", role="alert"),
    )


def submit(label: str, icon: str = "check") -> rx.Component:
    return rx.button(
        rx.icon(icon, size=16), label, type="submit", size="3", width=["100%", "fit-content"]
    )


def section(title: str, *children, icon: str | None = None, **props) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                *([rx.icon(icon, size=18, color=rx.color("teal", 10))] if icon else []),
                rx.heading(title, size="4", as_="h2"),
                align="center",
                spacing="2",
            ),
            *children,
            spacing="3",
            width="100%",
            align="stretch",
        ),
        size="2",
        width="100%",
        **props,
    )


def kv(label: str, value, extra: rx.Component | None = None) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
        rx.hstack(
            rx.text(rx.cond(value != "", value, "–"), size="2"),
            *([extra] if extra is not None else []),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        spacing="0",
        align="start",
    )


def radio(
    name: str, options: list[tuple[str, str]], *, direction="column", default: str | None = None
) -> rx.Component:
    return rx.radio_group.root(
        rx.flex(
            *[
                rx.el.label(
                    rx.flex(
                        rx.radio_group.item(value=code, id=f"{name}_{code}"),
                        rx.text(label, size="2"),
                        spacing="2",
                        align="center",
                    ),
                    html_for=f"{name}_{code}",
                )
                for code, label in options
            ],
            direction=direction,
            spacing="2",
            wrap="wrap",
        ),
        name=name,
        id=name,
        **({"default_value": default} if default else {}),
    )


def checkbox(name: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.flex(
            rx.checkbox(name=name, id=name), rx.text(label, size="2"), spacing="2", align="center"
        ),
        html_for=name,
    )


def link_button(label: str, icon: str, href, **props) -> rx.Component:
    """A link that looks like a button (a real <a>, not a button in a link)."""
    return rx.button(
        rx.el.a(rx.icon(icon, size=16), label, href=href), as_child=True, size="2", **props
    )


def pdf_button(label: str, **props) -> rx.Component:
    """The PDF download: a document request to the HTTP route, not client routing."""
    return rx.button(
        rx.el.a(
            rx.icon("download", size=16),
            label,
            href="/akt/" + S.open_case_id + ".pdf",
            download="",
            reload_document=True,
        ),
        as_child=True,
        size="2",
        **props,
    )


# ---------------------------------------------------------------------------
# Header and banners
# ---------------------------------------------------------------------------


def header() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Till listan", size="2")),
                href="/",
                color=GRAY,
                class_name="kb-noprint",
            ),
            rx.hstack(
                rx.heading(S.head["reference"], size="7", as_="h1"),
                rx.badge(S.head["step"], color_scheme="teal", variant="soft", size="2"),
                rx.cond(S.flags["late"], late_badge()),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.text(
                S.head["unit"],
                rx.cond(S.head["class_name"] != "", " · " + S.head["class_name"], ""),
                rx.cond(S.head["grade"] != "", " · " + S.head["grade"], ""),
                color=GRAY,
                size="3",
            ),
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        rx.cond(
            S.flags["can_export"],
            rx.hstack(
                link_button(
                    "Ärendeakt", "printer", "/arenden/" + S.open_case_id + "/akt", variant="soft"
                ),
                pdf_button("PDF", variant="soft"),
                spacing="2",
                class_name="kb-noprint",
            ),
        ),
        spacing="3",
        align="end",
        wrap="wrap",
        width="100%",
    )


def facts_bar() -> rx.Component:
    return rx.card(
        rx.grid(
            kv(
                "Nästa steg",
                rx.cond(S.flags["closed"], "Inget, ärendet är avslutat", S.head["next_step"]),
            ),
            kv("Ansvarig", S.head["responsible"]),
            kv(
                "Frist för nästa steg",
                S.head["due"],
                rx.cond(S.flags["late"], late_badge()),
            ),
            kv("Anmält", S.head["reported"]),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="4",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def staff_banner() -> rx.Component:
    return rx.cond(
        S.flags["staff_involved"],
        rx.callout.root(
            rx.callout.icon(rx.icon("user-round-x")),
            rx.vstack(
                rx.text("Personal är inblandad", weight="bold"),
                rx.text(
                    "Anmälan gäller en vuxen i verksamheten (skollagen 6 kap. 9 §). "
                    "Huvudmannen ser ärendet och kan ta över ansvaret, till exempel om "
                    "rektor själv är inblandad.",
                    size="2",
                ),
                rx.cond(
                    S.head["taken_over_by"] != "",
                    rx.text(
                        "Huvudmannen har tagit över ansvaret: " + S.head["taken_over_by"] + ".",
                        size="2",
                        weight="medium",
                    ),
                ),
                rx.cond(
                    S.flags["can_take_over"],
                    rx.button(
                        rx.icon("hand", size=16),
                        "Ta över ärendet",
                        on_click=S.take_over,
                        color_scheme="amber",
                        variant="solid",
                        size="2",
                        width="fit-content",
                    ),
                ),
                spacing="2",
                align="start",
            ),
            color_scheme="amber",
            variant="surface",
            width="100%",
        ),
    )


def notice() -> rx.Component:
    return rx.cond(
        S.notice != "",
        rx.callout(
            S.notice, icon="circle-check", color_scheme="green", role="status", width="100%"
        ),
    )


# ---------------------------------------------------------------------------
# The form of the next step
# ---------------------------------------------------------------------------


def receive_form() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Anmälan har inte markerats som mottagen. När du har läst den markerar du den som "
            "mottagen; tidpunkten och ditt namn sparas i tidslinjen.",
            size="2",
        ),
        form_error(),
        rx.button(
            rx.icon("inbox", size=18),
            "Markera som mottagen",
            on_click=S.receive,
            size="4",
            width=["100%", "auto"],
        ),
        spacing="3",
        align="start",
    )


def delegate_forms(intro: str) -> rx.Component:
    existing = rx.form(
        rx.vstack(
            field(
                "Utredare",
                rx.select.root(
                    rx.select.trigger(placeholder="Välj person …", width="100%", id="investigator"),
                    rx.select.content(
                        rx.foreach(S.candidates, lambda c: rx.select.item(c["name"], value=c["id"]))
                    ),
                    name="investigator",
                ),
                "investigator",
            ),
            submit("Delegera", "user-round-check"),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=S.delegate_existing,
        key="d-existing-" + S.form_key.to_string(),
        width="100%",
    )
    invite = rx.form(
        rx.vstack(
            field("Namn", rx.input(id="name", name="name", max_length=200, width="100%"), "name"),
            field(
                "E-postadress",
                rx.input(id="email", name="email", type="email", max_length=254, width="100%"),
                "email",
                hint="Personen får ett e-postmeddelande med en länk för att välja lösenord.",
            ),
            submit("Bjud in och delegera", "send"),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=S.delegate_invite,
        key="d-invite-" + S.form_key.to_string(),
        width="100%",
    )
    return rx.vstack(
        rx.text(intro, size="2", color=GRAY),
        rx.segmented_control.root(
            rx.segmented_control.item("I organisationen", value="existing"),
            rx.segmented_control.item("Bjud in ny", value="invite"),
            value=S.delegate_mode,
            on_change=S.set_delegate_mode,
            size="2",
            width="100%",
        ),
        rx.cond(S.delegate_mode == "invite", invite, existing),
        spacing="3",
        width="100%",
        align="stretch",
    )


def start_form() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Utredningen ska påbörjas skyndsamt. Utred själv, eller delegera utredningen till "
            "en annan person; den som utreder ser då bara det här ärendet.",
            size="2",
        ),
        form_error(),
        rx.button(
            rx.icon("search", size=16),
            "Jag utreder själv",
            on_click=S.start_self,
            size="3",
            variant="soft",
            width=["100%", "fit-content"],
        ),
        rx.divider(),
        rx.heading("Delegera utredningen", size="3", as_="h3"),
        delegate_forms("Välj en person i organisationen eller bjud in en ny."),
        spacing="3",
        width="100%",
        align="stretch",
    )


def step_form(key, on_submit, *children: rx.Component) -> rx.Component:
    """A step's form: its fields stacked, re-created (fresh inputs) when form_key moves."""
    return rx.form(
        rx.vstack(*children, spacing="4", width="100%", align="stretch"),
        on_submit=on_submit,
        key=key,
        width="100%",
    )


def investigation_form() -> rx.Component:
    return step_form(
        "inv-" + S.form_key.to_string(),
        S.submit_investigation,
        form_error(),
        rx.el.fieldset(
            rx.el.legend("Samtal som har hållits", class_name="kb-label"),
            rx.flex(
                *[checkbox(f"talk_{code}", label) for code, label in TALKS],
                direction=rx.breakpoints(initial="column", sm="row"),
                spacing="4",
                padding_top="0.4rem",
            ),
            error_for("talks"),
            class_name="kb-fieldset",
        ),
        rx.flex(
            field(
                "Vårdnadshavare kontaktade (datum)",
                date_input("guardians_contacted_on"),
                "guardians_contacted_on",
            ),
            field(
                "… eller varför de inte har kontaktats",
                rx.input(
                    id="guardians_not_contacted_reason",
                    name="guardians_not_contacted_reason",
                    max_length=1000,
                    width="100%",
                ),
                "guardians_not_contacted_reason",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="4",
            width="100%",
        ),
        field(
            "Vad har utredningen kommit fram till?",
            textarea("findings", rows=6),
            "findings",
            hint="Beskriv vad som framkommit i samtalen och vad som har hänt.",
        ),
        rx.el.fieldset(
            rx.el.legend("Slutsats", class_name="kb-label"),
            rx.box(radio("conclusion", CONCLUSIONS), padding_top="0.4rem"),
            error_for("conclusion"),
            class_name="kb-fieldset",
        ),
        submit("Spara utredningen"),
    )


def measure_row(row) -> rx.Component:
    k = row["key"]
    return rx.card(
        rx.vstack(
            rx.flex(
                field(
                    "Nivå",
                    rx.select.root(
                        rx.select.trigger(width="100%", id="m" + k + "_level"),
                        rx.select.content(
                            *[rx.select.item(label, value=code) for code, label in MEASURE_LEVELS]
                        ),
                        name="m" + k + "_level",
                        default_value=row["level"],
                    ),
                    "m" + k + "_level",
                ),
                field(
                    "Ansvarig",
                    rx.input(
                        id="m" + k + "_responsible",
                        name="m" + k + "_responsible",
                        default_value=row["responsible"],
                        max_length=200,
                        width="100%",
                    ),
                    "m" + k + "_responsible",
                ),
                field(
                    "Senast",
                    date_input("m" + k + "_due_on", row["due_on"]),
                    "m" + k + "_due_on",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="3",
                width="100%",
            ),
            field(
                "Åtgärd",
                textarea("m" + k + "_description", rows=2, default=row["description"]),
                "m" + k + "_description",
            ),
            rx.button(
                rx.icon("trash-2", size=14),
                "Ta bort",
                type="button",
                variant="ghost",
                color_scheme="gray",
                size="1",
                on_click=S.remove_measure_row(k),
                width="fit-content",
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        key=k + "-" + S.form_key.to_string(),
        variant="surface",
        width="100%",
    )


def measures_form(decide: bool) -> rx.Component:
    intro = (
        "Besluta om de åtgärder som skäligen kan krävas för att förhindra fortsatt "
        "kränkande behandling, eller motivera att inga behövs."
        if decide
        else "Föreslå åtgärder. Rektor beslutar sedan om dem."
    )
    proposal = (
        [
            rx.cond(
                S.proposal_by != "",
                rx.callout(S.proposal_by + ". Förslaget är ifyllt nedan.", icon="info", size="1"),
            )
        ]
        if decide
        else []
    )
    return step_form(
        ("d-" if decide else "p-") + S.form_key.to_string(),
        S.submit_decision if decide else S.submit_proposal,
        rx.text(intro, size="2"),
        *proposal,
        form_error(),
        rx.el.label(
            rx.flex(
                rx.checkbox(
                    checked=S.none_needed,
                    on_change=S.set_none_needed,
                    id="none_needed",
                    name="none_needed",
                ),
                rx.text("Inga åtgärder behövs", size="2"),
                spacing="2",
                align="center",
            ),
            html_for="none_needed",
        ),
        rx.cond(
            S.none_needed,
            field(
                "Motivering",
                textarea("none_reason", rows=3, default=S.none_reason),
                "none_reason",
                hint="Förklara varför inga åtgärder behövs.",
            ),
            rx.vstack(
                error_for("measures"),
                rx.foreach(S.measure_rows, measure_row),
                rx.button(
                    rx.icon("plus", size=16),
                    "Lägg till åtgärd",
                    type="button",
                    variant="soft",
                    on_click=S.add_measure_row,
                    width="fit-content",
                ),
                spacing="3",
                width="100%",
                align="stretch",
            ),
        ),
        submit("Besluta åtgärder", "gavel") if decide else submit("Föreslå åtgärder", "send"),
    )


def follow_up_form() -> rx.Component:
    return step_form(
        "f-" + S.form_key.to_string(),
        S.submit_follow_up,
        form_error(),
        field("Datum för uppföljningen", date_input("followed_up_on"), "followed_up_on"),
        rx.el.fieldset(
            rx.el.legend("Har kränkningarna upphört?", class_name="kb-label"),
            rx.box(
                radio("stopped", [("yes", "Ja"), ("no", "Nej, nya åtgärder behövs")]),
                padding_top="0.4rem",
            ),
            error_for("stopped"),
            class_name="kb-fieldset",
        ),
        field(
            "Vad visade uppföljningen?",
            textarea("notes", rows=4),
            "notes",
            hint="Om kränkningarna inte har upphört går ärendet tillbaka till beslut om nya åtgärder.",
        ),
        submit("Spara uppföljningen"),
    )


def close_form() -> rx.Component:
    return step_form(
        "c-" + S.form_key.to_string(),
        S.submit_close,
        rx.text(
            "Alla steg är gjorda och uppföljningen visar att kränkningarna har upphört. "
            "Ärendet kan avslutas.",
            size="2",
        ),
        form_error(),
        field("Sammanfattning", textarea("summary", rows=3), "summary"),
        submit("Avsluta ärendet", "circle-check-big"),
    )


def reopen_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                "Ett avslutat ärende kan återöppnas, till exempel om kränkningarna har börjat "
                "igen. Utredningen kompletteras då och följs av nya steg.",
                size="2",
                color=GRAY,
            ),
            form_error(),
            field("Skäl till att ärendet återöppnas", textarea("reason", rows=3), "reason"),
            rx.button(
                rx.icon("rotate-ccw", size=16),
                "Återöppna ärendet",
                type="submit",
                variant="soft",
                size="2",
                width="fit-content",
            ),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        on_submit=S.submit_reopen,
        key="r-" + S.form_key.to_string(),
        width="100%",
    )


def next_step_card() -> rx.Component:
    title = rx.match(
        S.form,
        ("receive", "Ta emot anmälan"),
        ("start", "Påbörja utredningen"),
        ("investigate", "Registrera utredningen"),
        ("propose", "Föreslå åtgärder"),
        ("decide", "Besluta om åtgärder"),
        ("follow_up", "Följ upp åtgärderna"),
        ("close", "Avsluta ärendet"),
        ("reopen", "Återöppna ärendet"),
        "Nästa steg",
    )
    body = rx.match(
        S.form,
        ("receive", receive_form()),
        ("start", start_form()),
        ("investigate", investigation_form()),
        ("propose", measures_form(False)),
        ("decide", measures_form(True)),
        ("follow_up", follow_up_form()),
        ("close", close_form()),
        ("reopen", reopen_form()),
        rx.text(
            rx.cond(
                S.head["waiting_for"] != "",
                "Väntar på: " + S.head["waiting_for"] + ".",
                "Det finns inget steg för dig att göra i ärendet just nu.",
            ),
            size="2",
            color=GRAY,
        ),
    )
    return rx.cond(
        S.flags["closed"] & (S.form == ""),
        rx.fragment(),
        rx.card(
            rx.vstack(
                rx.heading(title, size="5", as_="h2"),
                body,
                spacing="3",
                width="100%",
                align="stretch",
            ),
            size="3",
            width="100%",
            class_name="kb-noprint kb-next",
        ),
    )


# ---------------------------------------------------------------------------
# Content sections
# ---------------------------------------------------------------------------


def incident_section() -> rx.Component:
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
    return rx.cond(
        S.flags["can_comment"],
        section(
            "Kommentar eller komplettering",
            rx.form(
                rx.vstack(
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
                    rx.button(
                        rx.icon("message-square-plus", size=16),
                        "Spara",
                        type="submit",
                        variant="soft",
                        width="fit-content",
                    ),
                    spacing="3",
                    width="100%",
                    align="stretch",
                ),
                on_submit=S.submit_note,
                key="n-" + S.form_key.to_string(),
                width="100%",
            ),
            icon="message-square",
            class_name="kb-noprint",
        ),
    )


def parties_section() -> rx.Component:
    return section(
        "Parter",
        rx.cond(
            S.parties.length() > 0,
            rx.vstack(
                rx.foreach(
                    S.parties,
                    lambda p: rx.hstack(
                        rx.badge(
                            p["role"],
                            color_scheme=rx.cond(p["role"] == "Utsatt", "teal", "gray"),
                            variant="soft",
                        ),
                        rx.vstack(
                            rx.text(p["name"], size="2", weight="medium"),
                            rx.text(
                                p["kind"],
                                rx.cond(p["class_name"] != "", " · " + p["class_name"], ""),
                                rx.cond(p["grade"] != "", " · " + p["grade"], ""),
                                size="1",
                                color=GRAY,
                            ),
                            spacing="0",
                        ),
                        align="start",
                        spacing="2",
                    ),
                ),
                spacing="2",
            ),
            rx.text("Inga parter angivna.", size="2", color=GRAY),
        ),
        icon="users",
    )


def delegation_section() -> rx.Component:
    return section(
        "Utredare",
        rx.cond(
            S.delegations.length() > 0,
            rx.vstack(
                rx.foreach(
                    S.delegations,
                    lambda d: rx.vstack(
                        rx.text(d["investigator"], size="2", weight="medium"),
                        rx.text(
                            "Delegerad " + d["since"],
                            rx.cond(d["withdrawn"] != "", ", återkallad " + d["withdrawn"], ""),
                            size="1",
                            color=GRAY,
                        ),
                        spacing="0",
                    ),
                ),
                spacing="2",
            ),
            rx.text("Utredningen är inte delegerad.", size="2", color=GRAY),
        ),
        rx.cond(
            S.flags["can_withdraw"],
            rx.button(
                rx.icon("user-round-minus", size=16),
                "Återkalla delegeringen",
                on_click=S.withdraw,
                variant="soft",
                color_scheme="red",
                size="2",
                width="fit-content",
                class_name="kb-noprint",
            ),
        ),
        rx.cond(
            S.flags["can_delegate"],
            rx.box(
                rx.cond(
                    S.delegate_open,
                    delegate_forms("Delegera utredningen till en annan person."),
                    rx.button(
                        rx.icon("user-round-plus", size=16),
                        "Delegera utredningen",
                        on_click=S.open_delegate,
                        variant="soft",
                        size="2",
                    ),
                ),
                class_name="kb-noprint",
            ),
        ),
        icon="user-round-search",
    )


def status_badge(row) -> rx.Component:
    return rx.badge(
        row["status_label"],
        color_scheme=rx.match(
            row["status"], ("met", "green"), ("late", "red"), ("overdue", "red"), "gray"
        ),
        variant="soft",
    )


def promptness_section() -> rx.Component:
    return section(
        "Skyndsamhet",
        rx.text("Varje steg, dess frist i arbetsdagar och om den hölls.", size="1", color=GRAY),
        rx.cond(
            S.promptness.length() > 0,
            rx.vstack(
                rx.foreach(
                    S.promptness,
                    lambda r: rx.flex(
                        rx.vstack(
                            rx.text(r["step"], size="2", weight="medium"),
                            rx.text(
                                "Frist " + r["limit"] + ", senast " + r["due"],
                                rx.cond(r["done"] != "", ". Klart " + r["done"], ""),
                                size="1",
                                color=GRAY,
                            ),
                            spacing="0",
                        ),
                        rx.spacer(),
                        status_badge(r),
                        align="center",
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.text("Inga frister ännu.", size="2", color=GRAY),
        ),
        icon="timer",
    )


def closed_summary() -> rx.Component:
    """A closed case: one page that shows every step, its time, its limit, met or not."""
    return rx.cond(
        S.flags["closed"],
        rx.card(
            rx.vstack(
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
                spacing="3",
                width="100%",
                align="stretch",
            ),
            size="3",
            width="100%",
        ),
    )


def promptness_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ["Steg", "Frist", "Senast", "Utfört", "Tid", "Bedömning"]
                    ]
                )
            ),
            rx.table.body(
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
                )
            ),
            variant="surface",
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def measures_section() -> rx.Component:
    return rx.cond(
        S.measures.length() > 0,
        section(
            "Beslutade åtgärder",
            rx.vstack(
                rx.foreach(
                    S.measures,
                    lambda m: rx.vstack(
                        rx.text(m["description"], size="2", white_space="pre-wrap"),
                        rx.text(
                            m["level"]
                            + " · ansvarig "
                            + m["responsible"]
                            + " · senast "
                            + m["due"],
                            size="1",
                            color=GRAY,
                        ),
                        spacing="0",
                    ),
                ),
                spacing="3",
            ),
            icon="list-checks",
        ),
    )


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def case_content() -> rx.Component:
    return rx.vstack(
        header(),
        notice(),
        staff_banner(),
        facts_bar(),
        closed_summary(),
        rx.flex(
            rx.vstack(
                next_step_card(),
                incident_section(),
                timeline_section(),
                note_section(),
                spacing="4",
                flex="2",
                min_width="0",
                width="100%",
            ),
            rx.vstack(
                parties_section(),
                delegation_section(),
                measures_section(),
                rx.cond(~S.flags["closed"], promptness_section()),
                spacing="4",
                flex="1",
                min_width="0",
                width="100%",
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            width="100%",
            align="start",
        ),
        spacing="4",
        width="100%",
        align="stretch",
    )


def case_page() -> rx.Component:
    return page_frame("", case_content)


def _file_kv(label: str, value) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(label, width="14rem"),
        rx.table.cell(rx.text(rx.cond(value != "", value, "–"), white_space="pre-wrap")),
    )


def _file_table(*rows) -> rx.Component:
    return rx.table.root(rx.table.body(*rows), variant="ghost", size="1", width="100%")


def case_file_content() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Till ärendet", size="2")),
                href="/arenden/" + S.open_case_id,
                color=GRAY,
            ),
            rx.spacer(),
            rx.button(
                rx.icon("printer", size=16),
                "Skriv ut",
                on_click=rx.call_script("window.print()"),
                variant="soft",
            ),
            pdf_button("Ladda ner PDF"),
            width="100%",
            class_name="kb-noprint",
            align="center",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Ärendeakt " + S.head["reference"], size="7", as_="h1"),
                rx.text(
                    "Utskriven " + S.head["printed"] + " av " + S.head["printed_by"] + ". "
                    "Omfattas av sekretess enligt offentlighets- och sekretesslagen 23 kap.",
                    size="1",
                    color=GRAY,
                ),
                rx.heading("Ärendet", size="4", as_="h2"),
                _file_table(
                    _file_kv("Enhet", S.head["unit"]),
                    _file_kv("Klass / avdelning", S.head["class_name"]),
                    _file_kv("Årskurs", S.head["grade"]),
                    _file_kv("Anmält", S.head["reported"]),
                    _file_kv("Steg", S.head["step"]),
                    _file_kv("Ansvarig", S.head["responsible"]),
                    _file_kv("Personal inblandad", rx.cond(S.flags["staff_involved"], "Ja", "Nej")),
                    _file_kv("Slutsats", S.head["conclusion"]),
                ),
                rx.heading("Händelsen", size="4", as_="h2"),
                _file_table(
                    _file_kv("När", S.head["occurred"]),
                    _file_kv("Var", S.head["place"]),
                    _file_kv("Slag", S.head["kinds"]),
                    _file_kv("Diskrimineringsgrund", S.head["grounds"]),
                    _file_kv("Vad hände", S.head["description"]),
                    _file_kv("Åtgärder direkt", S.head["immediate_actions"]),
                    _file_kv("Vårdnadshavare informerade", S.head["guardians_informed"]),
                    _file_kv("Vittnen", S.head["witnesses"]),
                    _file_kv("Anmälare", S.head["reporter"]),
                ),
                rx.heading("Parter", size="4", as_="h2"),
                _file_table(
                    rx.foreach(
                        S.parties,
                        lambda p: rx.table.row(
                            rx.table.row_header_cell(p["role"], width="14rem"),
                            rx.table.cell(
                                p["name"] + " (" + p["kind"] + ")",
                                rx.cond(p["class_name"] != "", ", " + p["class_name"], ""),
                            ),
                        ),
                    )
                ),
                rx.cond(
                    S.measures.length() > 0,
                    rx.vstack(
                        rx.heading("Beslutade åtgärder", size="4", as_="h2"),
                        _file_table(
                            rx.foreach(
                                S.measures,
                                lambda m: rx.table.row(
                                    rx.table.row_header_cell(m["level"], width="14rem"),
                                    rx.table.cell(
                                        m["description"]
                                        + " (ansvarig "
                                        + m["responsible"]
                                        + ", senast "
                                        + m["due"]
                                        + ")"
                                    ),
                                ),
                            )
                        ),
                        width="100%",
                    ),
                ),
                rx.heading("Skyndsamhet", size="4", as_="h2"),
                promptness_table(),
                rx.heading("Tidslinje", size="4", as_="h2"),
                rx.vstack(rx.foreach(S.timeline, timeline_item), spacing="2", width="100%"),
                spacing="3",
                width="100%",
                align="stretch",
            ),
            size="4",
            width="100%",
            class_name="kb-document",
        ),
        spacing="4",
        width="100%",
        align="stretch",
    )


def case_file_page() -> rx.Component:
    return page_frame("", case_file_content)
