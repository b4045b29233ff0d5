"""The overview and "Mina ärenden"."""

from __future__ import annotations

import reflex as rx

from kb_app.components.case_table import (
    case_table,
    empty_card,
    overview_list,
    overview_table,
)
from kb_app.components.forms import filter_field, native_select
from kb_app.components.layout import page_frame
from kb_app.domain.overview import ANY_GROUND, NO_GRADE, OPEN, PAGE_SIZES
from kb_app.domain.process import STEP_LABELS, STEP_ORDER, Step
from kb_app.domain.vocab import GRADE_LABELS, GRADES, GROUNDS, KINDS
from kb_app.state.cases import ALL, MyCasesState, OverviewState

S = OverviewState
MUTED = rx.color("gray", 11)


def _select(
    key: str, label: str, value, options: list[tuple[str, str]], dynamic=None
) -> rx.Component:
    """A native select (reliable with keyboard, screen readers and on phones)."""
    more = (
        []
        if dynamic is None
        else [rx.foreach(dynamic, lambda u: rx.el.option(u["name"], value=u["id"]))]
    )
    return filter_field(
        label,
        native_select(
            f"f-{key}",
            value,
            lambda v: S.set_filter(key, v),
            options,
            None,
            *more,
            name=f"f-{key}",
        ),
        f"f-{key}",
        min_width="10rem",
        flex="1 1 10rem",
    )


TYPING_PAUSE_MS = 600  # a typed filter applies after this pause


def _text(key: str, label: str, value, *, type_: str = "text", **props) -> rx.Component:
    """A text or date field: applied after a short pause in typing, on Enter (the
    form) or when leaving the field. It is drawn again only when the filter changes
    from elsewhere (``text_epoch``), so applying never disturbs the typing."""
    return filter_field(
        label,
        rx.input(
            id=f"f-{key}",
            name=key,
            type=type_,
            default_value=value,
            key=f"{key}-" + S.text_epoch.to_string(),
            on_change=S.set_filter(key).debounce(TYPING_PAUSE_MS),
            on_blur=lambda v: S.set_filter(key, v),
            size="2",
            **props,
        ),
        f"f-{key}",
        flex="1 1 10rem",
        min_width="9rem",
    )


def _flag(label: str, checked, key: str) -> rx.Component:
    """A yes/no filter, applied when ticked."""
    return rx.flex(
        rx.checkbox(label, checked=checked, on_change=lambda v: S.set_flag(key, v), size="2"),
        align="end",
        padding_bottom="0.45rem",
        flex="0 0 auto",
    )


STEP_OPTIONS = [
    (ALL, "Alla steg"),
    (OPEN, "Pågående (ej avslutade)"),
    *[(str(s), STEP_LABELS[s]) for s in STEP_ORDER if s != Step.ORGANISER_NOTIFIED],
]
GRADE_OPTIONS = [
    (ALL, "Alla årskurser"),
    *[(g, GRADE_LABELS[g]) for g in GRADES],
    (NO_GRADE, "Ingen årskurs (förskola)"),
]
KIND_OPTIONS = [(ALL, "Alla slag"), *KINDS]
GROUND_OPTIONS = [
    (ALL, "Alla"),
    (ANY_GROUND, "Någon diskrimineringsgrund"),
    *[(code, label) for code, label, _ in GROUNDS],
]


def _cards() -> rx.Component:
    def card(c) -> rx.Component:
        late = c["tone"] == "late"
        return rx.link(
            rx.card(
                rx.text(
                    c["count"],
                    size=rx.breakpoints(initial="5", sm="6"),
                    weight="bold",
                    color=rx.cond(late, rx.color("red", 11), rx.color("gray", 12)),
                ),
                rx.text(
                    c["label"],
                    size=rx.breakpoints(initial="1", sm="2"),
                    color=MUTED,
                    line_height="1.25",
                ),
                size="1",
                height="100%",
                class_name=rx.cond(c["active"] != "", "kb-stat kb-stat-active", "kb-stat"),
            ),
            href=c["href"],
            underline="none",
            aria_label=c["label"] + ": " + c["count"],
            display="block",
            height="100%",
        )

    return rx.grid(
        rx.foreach(S.cards, card),
        columns=rx.breakpoints(initial="3", sm="4", lg="7"),
        spacing="2",
        width="100%",
    )


def _filters() -> rx.Component:
    more_label = rx.cond(S.more_filters_active, "Fler filter (aktiva)", "Fler filter")
    return rx.card(
        rx.el.form(
            rx.flex(
                filter_field(
                    "Sök ärendenummer",
                    rx.input(
                        rx.input.slot(rx.icon("search", size=16)),
                        id="f-sok",
                        name="sok",
                        placeholder="t.ex. KB-2026-0042 eller 42",
                        default_value=S.f_search,
                        key="sok-" + S.text_epoch.to_string(),
                        on_blur=lambda v: S.set_filter("sok", v),
                        size="2",
                        type="search",
                        autocomplete="off",
                    ),
                    "f-sok",
                    flex="2 1 14rem",
                    min_width="12rem",
                ),
                # Enter in a text field, or this button, applies the text fields.
                rx.button(rx.icon("search", size=16), "Sök", type="submit", size="2"),
                _select("steg", "Steg", S.f_step, STEP_OPTIONS),
                _select("enhet", "Enhet", S.f_unit, [(ALL, "Alla enheter")], S.unit_options),
                _flag("Endast försenade", S.f_late, "forsenade"),
                spacing="3",
                wrap="wrap",
                align="end",
            ),
            rx.el.details(
                rx.el.summary(
                    more_label, class_name="kb-summary", on_click=S.toggle_more.prevent_default
                ),
                rx.flex(
                    _select("arskurs", "Årskurs", S.f_grade, GRADE_OPTIONS),
                    _text(
                        "klass",
                        "Klass/avdelning",
                        S.f_class,
                        custom_attrs={"list": "kb-classes"},
                    ),
                    _select("slag", "Slag av kränkning", S.f_kind, KIND_OPTIONS),
                    _select("grund", "Diskrimineringsgrund", S.f_ground, GROUND_OPTIONS),
                    _text("fran", "Anmält från", S.f_from, type_="date"),
                    _text("till", "Anmält till", S.f_to, type_="date"),
                    _flag("Personal inblandad", S.f_staff, "personal"),
                    spacing="3",
                    wrap="wrap",
                    align="end",
                    padding_top="0.75rem",
                ),
                rx.el.datalist(
                    rx.foreach(S.class_options, lambda c: rx.el.option(value=c)),
                    id="kb-classes",
                ),
                open=S.more_open,
                margin_top="0.75rem",
            ),
            on_submit=S.submit_search,
            reset_on_submit=False,
        ),
        size="2",
        width="100%",
    )


def _line(*children, spacing: str = "3", **props) -> rx.Component:
    """Children side by side, centred, wrapping on narrow screens."""
    return rx.flex(*children, spacing=spacing, align="center", wrap="wrap", **props)


def _summary() -> rx.Component:
    return _line(
        _line(
            rx.text(S.total_label, weight="medium", size="3"),
            rx.cond(
                S.active_filters > 0,
                rx.link(
                    rx.hstack(
                        rx.icon("x", size=14), rx.text("Rensa filter"), spacing="1", align="center"
                    ),
                    href=S.clear_href,
                    size="2",
                ),
            ),
        ),
        rx.spacer(),
        rx.flex(
            rx.el.label("Per sida", html_for="f-antal", class_name="kb-hint"),
            native_select(
                "f-antal",
                S.f_per_page,
                lambda v: S.set_filter("antal", v),
                [(str(n), str(n)) for n in PAGE_SIZES],
                class_name="kb-select kb-select-small",
            ),
            spacing="2",
            align="center",
        ),
        width="100%",
    )


def _pager() -> rx.Component:
    def nav_link(label: str, href, icon: str, icon_right: bool = False) -> rx.Component:
        inner = (
            [rx.text(label), rx.icon(icon, size=16)]
            if icon_right
            else [rx.icon(icon, size=16), rx.text(label)]
        )
        return rx.cond(
            href != "",
            rx.link(
                rx.hstack(*inner, spacing="1", align="center"),
                href=href,
                class_name="kb-pagelink",
                underline="none",
            ),
            rx.hstack(
                *inner,
                spacing="1",
                align="center",
                class_name="kb-pagelink kb-pagelink-off",
                custom_attrs={"aria-disabled": "true"},
            ),
        )

    return rx.flex(
        rx.cond(S.first_href != "", nav_link("Första", S.first_href, "chevrons-left")),
        nav_link("Föregående", S.prev_href, "chevron-left"),
        rx.text(S.page_label, size="2", color=MUTED, padding_x="0.5rem"),
        nav_link("Nästa", S.next_href, "chevron-right", icon_right=True),
        align="center",
        justify="center",
        spacing="2",
        wrap="wrap",
        width="100%",
        custom_attrs={"role": "navigation", "aria-label": "Sidor"},
    )


def _results() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,
        rx.vstack(
            rx.card(
                rx.box(
                    overview_table(S.rows, S.sort_col, S.sort_desc, S.sort_hrefs),
                    display=["none", "none", "block"],
                    overflow_x="auto",
                ),
                rx.box(overview_list(S.rows), display=["block", "block", "none"]),
                padding="0",
                width="100%",
            ),
            rx.flex(
                rx.text(S.range_label, size="2", color=MUTED, white_space="nowrap"),
                rx.spacer(),
                _pager(),
                direction=rx.breakpoints(initial="column", sm="row"),
                align="center",
                spacing="2",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            S.active_filters > 0,
            empty_card(
                "Inga ärenden matchar filtren.",
                rx.link("Rensa filter", href=S.clear_href),
            ),
            empty_card("Inga ärenden ännu. Nya anmälningar visas här direkt."),
        ),
    )


def _live_note() -> rx.Component:
    return rx.hstack(
        rx.box(class_name="kb-live-dot", aria_hidden="true"),
        rx.text("Uppdateras automatiskt", size="1", color=MUTED),
        rx.text("·", size="1", color=MUTED),
        rx.text(S.updated_label, size="1", color=MUTED),
        spacing="2",
        align="center",
        custom_attrs={"aria-live": "off"},
    )


def overview_page() -> rx.Component:
    return page_frame(
        "Översikt",
        lambda: rx.vstack(
            _line(
                rx.text(
                    "Alla ärenden du har tillgång till. Klicka på en siffra för att filtrera.",
                    color=MUTED,
                    size="2",
                ),
                rx.spacer(),
                _live_note(),
                spacing="2",
                width="100%",
            ),
            _cards(),
            _filters(),
            _summary(),
            _results(),
            spacing="4",
            width="100%",
        ),
    )


def my_cases_page() -> rx.Component:
    return page_frame(
        "Mina ärenden",
        lambda: rx.vstack(
            rx.text(
                "Ärenden som har delegerats till dig för utredning.", color=rx.color("gray", 11)
            ),
            case_table(MyCasesState.rows, "Inga ärenden är delegerade till dig just nu."),
            spacing="3",
            width="100%",
        ),
    )
