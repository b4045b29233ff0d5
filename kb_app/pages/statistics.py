"""/statistik: filters, charts (each with a table view), repeated events, exports."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.case_table import scroll_table
from kb_app.components.charts import chart_card
from kb_app.components.forms import field, select
from kb_app.components.layout import page_frame
from kb_app.domain.statistics import PERIOD_KIND_LABELS
from kb_app.state.statistics import CaseLink, PupilRow, RecurringRow
from kb_app.state.statistics import StatisticsState as S

GRAY = rx.color("gray", 11)


def _labelled(label, control: rx.Component, id_: str, **props) -> rx.Component:
    return field(control, label_text=label, control_id=id_, width=None, align="start", **props)


def _select(label, id_: str, items, value, on_change, min_width="12rem") -> rx.Component:
    control = select(id_, *items, aria_label=label, value=value, on_change=on_change)
    return _labelled(label, control, id_, min_width=["100%", min_width], flex="1")


def _options(options) -> list[rx.Component]:
    return [rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))]


def _period_kind_select() -> rx.Component:
    items = [rx.select.item(label, value=str(k)) for k, label in PERIOD_KIND_LABELS.items()]
    return _select("Period", "stat-period", items, S.period_kind, S.set_period_kind, "10rem")


def _date_input(label: str, id_: str, value, on_change) -> rx.Component:
    control = rx.input(id=id_, type="date", value=value, on_change=on_change, width="100%")
    return _labelled(label, control, id_, flex="1", min_width=["100%", "10rem"])


def filters() -> rx.Component:
    """Period, year or dates, unit and grade."""
    return rx.card(
        rx.vstack(
            rx.flex(
                _period_kind_select(),
                rx.cond(
                    S.period_kind == "custom",
                    rx.flex(
                        _date_input("Första dag", "stat-from", S.custom_from, S.set_custom_from),
                        _date_input("Sista dag", "stat-to", S.custom_to, S.set_custom_to),
                        rx.button(
                            "Visa",
                            on_click=S.apply_custom,
                            align_self="end",
                            loading=S.busy,
                        ),
                        gap="3",
                        flex="2",
                        wrap="wrap",
                        width="100%",
                    ),
                    _select(
                        rx.cond(S.period_kind == "calendar_year", "År", "Läsår"),
                        "stat-year",
                        _options(S.year_options),
                        S.year,
                        S.set_year,
                    ),
                ),
                _select("Enhet", "stat-unit", _options(S.unit_options), S.unit, S.set_unit),
                _select("Årskurs", "stat-grade", _options(S.grade_options), S.grade, S.set_grade),
                gap="3",
                wrap="wrap",
                width="100%",
                align="end",
            ),
            rx.cond(
                S.filter_error != "",
                rx.callout(S.filter_error, icon="circle-alert", color_scheme="red", size="1"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _titled_card(title: str, *children, as_="h2", spacing="3", **props) -> rx.Component:
    """A card of its own heading and the children under it."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", as_=as_, weight="medium"),
            *children,
            spacing=spacing,
            **props,
        ),
        width="100%",
    )


def kpi(item) -> rx.Component:
    """One key figure with its explanation."""
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="2", color=GRAY),
            rx.text(item["value"], size="7", weight="bold", line_height="1.1"),
            rx.text(item["explanation"], size="1", color=rx.color("gray", 10)),
            spacing="1",
        ),
        width="100%",
    )


def charts_tab() -> rx.Component:
    """The key figures and the charts of the selection."""
    return rx.vstack(
        rx.hstack(
            rx.text(S.period_label, weight="medium"),
            rx.text("·", color=rx.color("gray", 9)),
            rx.text(S.scope_label, color=GRAY),
            rx.cond(S.busy, rx.spinner(size="2")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.grid(
            rx.foreach(S.kpis, kpi),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            S.total == 0,
            rx.callout(
                "Inga ärenden anmäldes under perioden med det här urvalet.",
                icon="info",
                color_scheme="gray",
                width="100%",
            ),
        ),
        rx.grid(
            chart_card("funnel", S),
            chart_card("months", S),
            chart_card("step_times", S, wide=True),
            chart_card("units", S),
            rx.cond(
                S.has_classes,
                chart_card("classes", S),
                _titled_card(
                    "Per klass",
                    rx.text(
                        "Välj en enhet ovan för att jämföra klasserna med enhetens genomsnitt.",
                        size="2",
                        color=GRAY,
                    ),
                    spacing="2",
                ),
            ),
            chart_card("kinds", S),
            chart_card("grounds", S),
            chart_card("places", S),
            chart_card("staff", S),
            chart_card("hotspots", S, wide=True),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _case_link(c: CaseLink) -> rx.Component:
    return rx.hstack(
        rx.link(c.reference, href=c.href, weight="medium"),
        rx.text(f"({c.role}, {c.date})", size="1", color=rx.color("gray", 10)),
        spacing="1",
        align="center",
    )


def _pupil(p: PupilRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(p.name, weight="bold"),
                    rx.badge(p.class_name, variant="soft", color_scheme="gray"),
                    rx.cond(
                        p.reappeared,
                        rx.badge(
                            "Ny händelse efter att ha markerats som fel", color_scheme="amber"
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                    align="center",
                ),
                rx.text(
                    p.unit + " · " + p.summary + " · " + p.period,
                    size="2",
                    color=GRAY,
                ),
                rx.flex(rx.foreach(p.cases, _case_link), gap="0.4rem 1rem", wrap="wrap"),
                spacing="2",
                flex="1",
            ),
            rx.button(
                rx.icon("circle-x", size=16),
                "Markera som fel matchning",
                variant="soft",
                color_scheme="gray",
                size="2",
                on_click=S.dismiss(p.token),
                aria_label="Markera som fel matchning: " + p.name,
            ),
            gap="3",
            wrap="wrap",
            justify="between",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def _recurring_table(caption: str, rows, first: str) -> rx.Component:
    return _titled_card(
        caption,
        rx.cond(
            rows.length() > 0,
            scroll_table(
                ["Enhet", first, "Ärenden", "Andel av enhetens"],
                rx.foreach(
                    rows,
                    lambda r: rx.table.row(
                        rx.table.cell(r.unit),
                        rx.table.row_header_cell(r.label),
                        rx.table.cell(r.count),
                        rx.table.cell(r.share),
                    ),
                ),
                variant="ghost",
            ),
            rx.text("Inget som återkommer minst tre gånger.", size="2", color=GRAY),
        ),
        as_="h3",
        spacing="2",
        width="100%",
    )


def patterns_tab() -> rx.Component:
    """Children in several cases, and places and times that recur."""
    return rx.vstack(
        rx.text(
            "Barn och elever som förekommer i flera ärenden sedan ",
            S.patterns_since,
            " (samma namn och klass inom enheten), som utsatta eller inblandade. "
            "Två olika barn kan ha samma namn: markera då matchningen som fel.",
            size="2",
            color=GRAY,
        ),
        rx.cond(
            S.patterns_message != "",
            rx.callout(S.patterns_message, icon="info", size="1", width="100%"),
        ),
        rx.heading("Upprepade händelser", size="4", as_="h2"),
        rx.cond(
            S.pupils.length() > 0,
            rx.vstack(rx.foreach(S.pupils, _pupil), spacing="3", width="100%"),
            rx.card(
                rx.text(
                    "Inga barn eller elever förekommer i flera ärenden de senaste 12 månaderna.",
                    color=GRAY,
                ),
                width="100%",
            ),
        ),
        rx.cond(
            S.dismissed_count > 0,
            rx.hstack(
                rx.text(
                    S.dismissed_count.to_string() + " matchningar är markerade som fel och dolda.",
                    size="2",
                    color=GRAY,
                ),
                rx.button(
                    "Visa dem igen",
                    variant="ghost",
                    size="1",
                    on_click=S.restore_dismissed,
                ),
                align="center",
                wrap="wrap",
            ),
        ),
        rx.grid(
            _recurring_table("Platser som återkommer", S.recurring_places, "Plats"),
            _recurring_table("Tider som återkommer", S.recurring_times, "Tid"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


_DOWNLOAD_STYLE = {
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.4rem",
    "padding": "0.45rem 0.9rem",
    "border_radius": "var(--radius-2)",
    "font_size": "var(--font-size-2)",
    "font_weight": "500",
    "text_decoration": "none",
}


def _download(label: str, href, icon: str, primary: bool = False) -> rx.Component:
    # The file comes from a backend route, not a page of the app: let the browser
    # fetch it (rx.el.a is a client-side router link unless told otherwise).
    return rx.el.a(
        rx.icon(icon, size=16),
        label,
        href=href,
        reload_document=True,
        **_DOWNLOAD_STYLE,
        color="white" if primary else rx.color("teal", 11),
        background=rx.color("teal", 9) if primary else rx.color("teal", 3),
        _hover={"background": rx.color("teal", 10) if primary else rx.color("teal", 4)},
    )


def _downloads(*links: rx.Component, **props) -> rx.Component:
    return rx.flex(*links, gap="3", wrap="wrap", **props)


def _export_card(title: str, text, *children: rx.Component) -> rx.Component:
    text = rx.text(*(text if isinstance(text, tuple) else (text,)), size="2", color=GRAY)
    return _titled_card(title, text, *children)


def archive_card() -> rx.Component:
    """Archive packages (organisers): the closed cases of a year, or one case."""
    return _export_card(
        "Arkivpaket",
        "För bevarande: avslutade ärenden som ett arkivpaket enligt FGS Paketstruktur "
        "(E-ARK SIP) med ärendeakten som PDF/A, tidslinjen som strukturerade data, bilagorna "
        "och en kontrollsumma per fil. Kontrollera paketet med kb-app archive verify innan "
        "det lämnas till arkivet. Uttaget loggas i varje ärende.",
        rx.cond(
            S.archive_year_options.length() > 0,
            _downloads(
                _select(
                    "Avslutade år",
                    "stat-archive-year",
                    _options(S.archive_year_options),
                    S.archive_year,
                    S.set_archive_year,
                ),
                _labelled(
                    "Eller ett ärendenummer",
                    rx.input(
                        id="stat-archive-ref",
                        placeholder="KB-2026-0001",
                        value=S.archive_ref,
                        on_change=S.set_archive_ref,
                        max_length=32,
                    ),
                    "stat-archive-ref",
                ),
                _download("Hämta arkivpaket (ZIP)", S.archive_href, "archive", True),
                align="end",
            ),
            rx.text("Det finns inga avslutade ärenden att arkivera än.", size="2"),
        ),
    )


def exports_tab() -> rx.Component:
    """The case list, the annual report and a reply pack to download."""
    return rx.vstack(
        _export_card(
            "Ärendelista",
            (
                "Alla ärenden i urvalet ovan (",
                S.period_label,
                ", ",
                S.scope_label,
                "). Listan är pseudonymiserad: barn och personal ersätts med "
                "beteckningar som ”Elev A” och fritext tas inte med.",
            ),
            rx.el.label(
                rx.hstack(
                    rx.checkbox(
                        checked=S.include_names, on_change=S.set_include_names, id="stat-names"
                    ),
                    rx.text("Ta med namn och fritext", size="2"),
                    spacing="2",
                    align="center",
                ),
                html_for="stat-names",
            ),
            rx.cond(
                S.include_names,
                rx.callout(
                    "Listan kommer att innehålla namn på barn och beskrivningar av "
                    "händelserna. Uttaget loggas. Hantera filen som sekretessbelagd.",
                    icon="triangle-alert",
                    color_scheme="amber",
                    size="1",
                ),
            ),
            _downloads(
                _download("Hämta Excel (XLSX)", S.xlsx_href, "file-spreadsheet", True),
                _download("Hämta CSV", S.csv_href, "file-text"),
            ),
        ),
        _export_card(
            "Årsrapport",
            "Alla diagram och tabeller för urvalet, utan namn: underlag för huvudmannen, "
            "planen mot kränkande behandling och Skolinspektionen.",
            _downloads(
                _download("Hämta PDF", S.report_pdf_href, "file-down", True),
                _download("Öppna som webbsida", S.report_html_href, "globe"),
            ),
        ),
        _export_card(
            "Svarspaket för ett ärende",
            "Anmälan, tidslinje, utredning, åtgärder och uppföljning i en PDF, för "
            "Skolinspektionen, BEO eller vårdnadshavare. Du väljer barnet och ser "
            "handlingen innan du hämtar den; andra barns namn är maskerade.",
            _downloads(
                _labelled(
                    "Ärendenummer",
                    rx.input(
                        id="stat-pack",
                        placeholder="KB-2026-0001",
                        value=S.pack_ref,
                        on_change=S.set_pack_ref,
                        max_length=32,
                    ),
                    "stat-pack",
                ),
                rx.cond(
                    S.pack_ref.length() > 0,
                    _download("Förhandsgranska svarspaket", S.pack_href, "eye", True),
                ),
                align="end",
            ),
        ),
        rx.cond(
            S.may_extract,
            _export_card(
                "Registerutdrag",
                "När någon begär att få veta vad som finns om hen (dataskyddsförordningen, "
                "artikel 15): sök på namnet, se alla ärenden där personen förekommer och i "
                "vilken roll, och hämta ett utdrag där andra personer är maskerade.",
                _downloads(
                    _download("Sök och ta fram utdrag", routes.REGISTER_EXTRACT, "search"),
                ),
            ),
        ),
        rx.cond(S.may_archive, archive_card()),
        spacing="4",
        width="100%",
    )


def content() -> rx.Component:
    """The filters above the three tabs."""
    return rx.vstack(
        filters(),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Diagram", value="diagram"),
                rx.tabs.trigger("Upprepade händelser", value="monster"),
                rx.tabs.trigger("Export", value="export"),
            ),
            rx.tabs.content(
                rx.cond(S.ready, charts_tab(), rx.spinner(size="3")),
                value="diagram",
                padding_top="1rem",
            ),
            rx.tabs.content(patterns_tab(), value="monster", padding_top="1rem"),
            rx.tabs.content(exports_tab(), value="export", padding_top="1rem"),
            default_value="diagram",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def statistics_page() -> rx.Component:
    return page_frame("Statistik", content)


__all__ = ["statistics_page", "RecurringRow"]
