"""The statistics page ("/statistik"): filters, charts with table views, repeated
events, and download links. Organisers see every unit, principals their own; every
handler re-checks through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain import statistics as st
from kb_app.domain.access import Action, Page, can
from kb_app.domain.fmt import sv_date
from kb_app.domain.vocab import GRADE_LABELS
from kb_app.errors import AccessDenied
from kb_app.services.case import archive as archive_service
from kb_app.services.statistics import patterns as patterns_service
from kb_app.services.statistics import queries as stats_service
from kb_app.state import figures
from kb_app.state.base import AppState

ALL = "all"


@dataclass
class CaseLink:
    reference: str = ""
    href: str = ""
    role: str = ""
    date: str = ""


@dataclass
class PupilRow:
    token: str = ""
    unit: str = ""
    name: str = ""
    class_name: str = ""
    summary: str = ""
    period: str = ""
    reappeared: bool = False
    cases: list[CaseLink] = field(default_factory=list)


@dataclass
class RecurringRow:
    unit: str = ""
    label: str = ""
    count: str = ""
    share: str = ""


def _option(value: str, label: str) -> dict[str, str]:
    return {"value": value, "label": label}


class StatisticsState(AppState):
    # Filters (what the user chose; the services check every value again)
    period_kind: str = st.PeriodKind.SCHOOL_YEAR
    year: str = ""
    custom_from: str = ""
    custom_to: str = ""
    unit: str = ALL
    grade: str = ALL
    school_year_options: list[dict[str, str]] = []
    calendar_year_options: list[dict[str, str]] = []
    unit_options: list[dict[str, str]] = []
    grade_options: list[dict[str, str]] = []
    filter_error: str = ""

    # Figures of the current filters
    busy: bool = False
    ready: bool = False
    period_label: str = ""
    scope_label: str = ""
    kpis: list[dict[str, str]] = []
    figs: dict[str, dict[str, Any]] = {}
    titles: dict[str, str] = {}
    notes: dict[str, str] = {}
    heads: dict[str, list[str]] = {}
    rows: dict[str, list[list[str]]] = {}
    has_classes: bool = False
    total: int = 0

    # Repeated events
    pupils: list[PupilRow] = []
    recurring_places: list[RecurringRow] = []
    recurring_times: list[RecurringRow] = []
    dismissed_count: int = 0
    patterns_since: str = ""
    patterns_message: str = ""

    # Exports
    include_names: bool = False
    pack_ref: str = ""
    may_extract: bool = False  # the register extract (organisers)
    # Archive packages (organisers): a closing year, or one case by its number
    may_archive: bool = False
    archive_year_options: list[dict[str, str]] = []
    archive_year: str = ""
    archive_ref: str = ""

    @rx.var
    def year_options(self) -> list[dict[str, str]]:
        if self.period_kind == st.PeriodKind.CALENDAR_YEAR:
            return self.calendar_year_options
        return self.school_year_options

    @rx.var
    def filter_query(self) -> str:
        params = {"period": self.period_kind}
        if self.period_kind == st.PeriodKind.CUSTOM:
            params |= {"from": self.custom_from, "to": self.custom_to}
        else:
            params["year"] = self.year
        if self.unit != ALL:
            params["unit"] = self.unit
        if self.grade != ALL:
            params["grade"] = self.grade
        return urlencode(params)

    @rx.var
    def csv_href(self) -> str:
        return (
            "/export/statistik/arenden.csv?"
            + self.filter_query
            + ("&namn=1" if self.include_names else "")
        )

    @rx.var
    def xlsx_href(self) -> str:
        return (
            "/export/statistik/arenden.xlsx?"
            + self.filter_query
            + ("&namn=1" if self.include_names else "")
        )

    @rx.var
    def report_pdf_href(self) -> str:
        return "/export/statistik/arsrapport.pdf?" + self.filter_query

    @rx.var
    def report_html_href(self) -> str:
        return "/export/statistik/arsrapport.html?" + self.filter_query

    @rx.var
    def archive_href(self) -> str:
        """The package of the chosen closing year, or of the case typed (it wins)."""
        ref = self.archive_ref.strip().upper()
        query = {"ref": ref} if ref else {"ar": self.archive_year}
        return routes.EXPORT_ARCHIVE + "?" + urlencode(query)

    @rx.var
    def pack_href(self) -> str:
        """The reply pack's preview (the child and the naming of staff are chosen there)."""
        return (
            routes.EXPORT_REPLY_PACK_PREVIEW
            + "?"
            + urlencode({"ref": self.pack_ref.strip().upper()})
        )

    def _filters(self) -> tuple[st.Filters | None, str | None]:
        params = {
            "period": self.period_kind,
            "year": self.year,
            "from": self.custom_from,
            "to": self.custom_to,
            "unit": "" if self.unit == ALL else self.unit,
            "grade": "" if self.grade == ALL else self.grade,
        }
        return st.parse_filters(params, stats_service.today_local(utcnow()))

    @rx.event
    async def load(self):
        actor, events = await self._guard(Page.STATISTICS)
        if actor is None:
            self._clear()
            return events
        today = stats_service.today_local(utcnow())
        called = await self._call_service(
            stats_service.options, today, actor=actor, denied=self._forbidden
        )
        if not called.ok:
            return
        opts = called.value
        self.may_extract = can(actor, Action.REGISTER_EXTRACT)
        self.may_archive = can(actor, Action.ARCHIVE_EXPORT)
        if self.may_archive:
            years = await self._call_service(
                archive_service.closing_years, actor=actor, denied=self._no_archive, now=utcnow()
            )
            if years.ok:
                self.archive_year_options = [
                    _option(
                        str(y.year), f"{y.year} ({y.cases} ärende{'n' if y.cases != 1 else ''})"
                    )
                    for y in years.value
                ]
                known = [o["value"] for o in self.archive_year_options]
                if self.archive_year not in known:
                    self.archive_year = known[0] if known else ""
        try:
            self.school_year_options = [
                _option(str(y), st.school_year(y).label.replace("Läsåret ", ""))
                for y in opts.school_years
            ]
            self.calendar_year_options = [_option(str(y), str(y)) for y in opts.calendar_years]
            self.unit_options = [_option(ALL, "Alla enheter")] + [
                _option(str(uid), name) for uid, name in opts.units
            ]
            if len(opts.units) == 1:
                self.unit_options = [_option(str(opts.units[0][0]), opts.units[0][1])]
                self.unit = str(opts.units[0][0])
            elif self.unit != ALL and self.unit not in {str(u) for u, _ in opts.units}:
                self.unit = ALL
            self.grade_options = [_option(ALL, "Alla årskurser")] + [
                _option(g, GRADE_LABELS[g]) for g in opts.grades
            ]
            if not self.year:
                self.year = str(st.school_year_of(today))
            if not self.custom_from:
                period = st.school_year(st.school_year_of(today))
                self.custom_from = period.start.isoformat()
                self.custom_to = today.isoformat()
        except Exception as exc:  # noqa: BLE001 - shown with an id
            self._fail(exc)
            return
        await self._refresh(actor)
        await self._load_patterns(actor)

    def _forbidden(self, _exc: AccessDenied | None = None) -> None:
        self.page_status = "forbidden"

    def _cleared_forbidden(self, _exc: AccessDenied) -> None:
        self._clear()
        self.page_status = "forbidden"

    def _no_archive(self, _exc: AccessDenied) -> None:
        self.may_archive = False
        self.archive_year_options = []

    def _no_pupils(self, _exc: AccessDenied) -> None:
        self.pupils = []

    def _clear(self) -> None:
        self.figs, self.rows, self.heads, self.kpis = {}, {}, {}, []
        self.pupils, self.recurring_places, self.recurring_times = [], [], []
        self.ready = False
        self.may_extract = False
        self.may_archive = False
        self.archive_year_options = []
        self.archive_year = self.archive_ref = ""

    async def _refresh(self, actor=None):
        actor = actor or await self._actor()
        filters, problem = self._filters()
        if filters is None:
            self.filter_error = problem or "Ogiltigt urval."
            return
        self.filter_error = ""
        self.busy = True
        called = await self._call_service(
            stats_service.overview, filters, actor=actor, denied=self._cleared_forbidden
        )
        self.busy = False
        if not called.ok:
            return
        ov = called.value
        views = st.tables(ov)
        self.figs = figures.all_figures(ov)
        self.titles = {k: v.title for k, v in views.items()}
        self.notes = {k: v.note for k, v in views.items()}
        self.heads = {k: v.headers for k, v in views.items()}
        self.rows = {k: v.rows for k, v in views.items()}
        self.has_classes = ov.classes is not None
        self.kpis = [
            {"label": label, "value": value, "explanation": expl}
            for label, value, expl in st.summary(ov)
        ]
        self.period_label = ov.period.label
        self.scope_label = ov.scope_label
        self.total = ov.total
        self.ready = True

    async def _load_patterns(self, actor=None):
        actor = actor or await self._actor()
        called = await self._call_service(
            patterns_service.find, now=utcnow(), actor=actor, denied=self._no_pupils
        )
        if not called.ok:
            return
        found = called.value
        self.pupils = [
            PupilRow(
                token=p.key.token,
                unit=p.unit_name,
                name=p.name,
                class_name=p.class_name,
                summary=_pupil_summary(p.subjected, p.involved, len(p.cases)),
                period=p.period_text,
                reappeared=p.reappeared,
                cases=[
                    CaseLink(
                        reference=c.reference,
                        href=routes.case(c.case_id),
                        role="utsatt" if c.role == "subjected" else "inblandad",
                        date=sv_date(c.reported_at),
                    )
                    for c in p.cases
                ],
            )
            for p in found.pupils
        ]
        self.recurring_places = [
            RecurringRow(r.unit_name, r.label, str(r.count), st.pct(r.share)) for r in found.places
        ]
        self.recurring_times = [
            RecurringRow(r.unit_name, r.label, str(r.count), st.pct(r.share)) for r in found.times
        ]
        self.dismissed_count = found.dismissed
        self.patterns_since = sv_date(found.since)

    @rx.event
    async def set_period_kind(self, value: str):
        if value not in set(st.PeriodKind):
            return
        self.period_kind = value
        today = stats_service.today_local(utcnow())
        if value == st.PeriodKind.SCHOOL_YEAR:
            self.year = str(st.school_year_of(today))
        elif value == st.PeriodKind.CALENDAR_YEAR:
            self.year = str(today.year)
        if value != st.PeriodKind.CUSTOM:
            await self._refresh()

    @rx.event
    async def set_year(self, value: str):
        self.year = value
        await self._refresh()

    @rx.event
    async def set_unit(self, value: str):
        self.unit = value
        await self._refresh()

    @rx.event
    async def set_grade(self, value: str):
        self.grade = value
        await self._refresh()

    @rx.event
    async def set_custom_from(self, value: str):
        self.custom_from = value

    @rx.event
    async def set_custom_to(self, value: str):
        self.custom_to = value

    @rx.event
    async def apply_custom(self):
        await self._refresh()

    @rx.event
    async def set_include_names(self, value: bool):
        self.include_names = bool(value)

    @rx.event
    async def set_pack_ref(self, value: str):
        self.pack_ref = (value or "")[:32]

    @rx.event
    async def set_archive_year(self, value: str):
        known = {o["value"] for o in self.archive_year_options}
        self.archive_year = value if value in known else self.archive_year

    @rx.event
    async def set_archive_ref(self, value: str):
        self.archive_ref = (value or "")[:32]

    @rx.event
    async def dismiss(self, token: str):
        actor = await self._actor()
        called = await self._call_service(
            patterns_service.dismiss,
            str(token)[:64],
            now=utcnow(),
            actor=actor,
            denied=self._forbidden,
        )
        if not called.ok:
            return
        ok = called.value
        self.patterns_message = (
            "Matchningen är markerad som fel och döljs tills ett nytt ärende tillkommer."
            if ok
            else "Matchningen finns inte längre."
        )
        await self._load_patterns(actor)

    @rx.event
    async def restore_dismissed(self):
        actor = await self._actor()
        called = await self._call_service(
            patterns_service.restore_all, actor=actor, denied=self._forbidden
        )
        if not called.ok:
            return
        n = called.value
        self.patterns_message = f"{n} dolda matchningar visas igen." if n else ""
        await self._load_patterns(actor)


def _pupil_summary(subjected: int, involved: int, cases: int) -> str:
    parts = []
    if subjected:
        parts.append(f"utsatt i {subjected}")
    if involved:
        parts.append(f"inblandad i {involved}")
    return f"{cases} ärenden: " + ", ".join(parts)
