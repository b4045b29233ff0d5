"""States of the case lists: the overview (principals, organisers) and "Mina ärenden".

The overview's view (filters, sort, page) lives in the URL: a change pushes a new
URL (so the back button and shared links work) and the page's on_load reads it.
The state holds one page of rows, the filter values and the counts, never more.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain import overview as ov
from kb_app.domain.access import Actor, Page, may_use_page
from kb_app.domain.fmt import local
from kb_app.domain.process import OPEN_STEPS, STEP_LABELS, Step
from kb_app.services.admin import auth
from kb_app.services.overview import lists as cases
from kb_app.services.overview import query as q
from kb_app.state import live
from kb_app.state.base import SESSION_COOKIE, AppState, cookie_value

PATH = routes.OVERVIEW
ALL = "alla"  # the "no filter" value of a select
HIGHLIGHT_SECONDS = 4.0
HOUSEKEEPING_SECONDS = 10.0
SESSION_CHECK_SECONDS = 30.0

# Count cards: the open steps a case can rest at, then the late ones.
CARD_STEPS = [s for s in OPEN_STEPS if s != Step.ORGANISER_NOTIFIED]


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class _Links:
    prev: str
    next: str
    first: str
    sort: tuple[tuple[str, str], ...]
    clear: str


@functools.lru_cache(maxsize=4096)
def _links(f: ov.OverviewFilter) -> _Links:
    """The links around a view (pages, sort columns, "Rensa filter"): the same
    for every tab showing it, so made once per view."""
    return _Links(
        prev=ov.href(f.on_page(f.page - 1)) if f.page > 1 else "",
        next=ov.href(f.on_page(f.page + 1)),
        first=ov.href(f.on_page(1)) if f.page > 2 else "",
        sort=tuple((k.value, ov.href(f.sorted_by(k))) for k in ov.SortKey),
        clear=ov.href(ov.OverviewFilter(sort=f.sort, desc=f.desc, per_page=f.per_page)),
    )


def _view_for(
    cookie_header: str,
    f: ov.OverviewFilter,
    *,
    total: int | None,
    with_counts: bool,
    with_options: bool,
    touch: bool = True,
) -> tuple[Actor | None, q.ViewData | None]:
    """The user of the session cookie and, if they may use the overview, the view:
    one trip to a worker thread for both."""
    now = utcnow()
    actor = auth.resolve_session(cookie_value(cookie_header, SESSION_COOKIE), now=now, touch=touch)
    if actor is None or not may_use_page(actor, Page.OVERVIEW):
        return actor, None
    return actor, q.load_view(
        actor, f, total=total, with_counts=with_counts, with_options=with_options, now=now
    )


class OverviewState(AppState):
    # One page of rows and what the page shows around them
    rows: list[dict[str, str]] = []
    cards: list[dict[str, str]] = []
    total_label: str = ""
    range_label: str = ""
    page_label: str = ""
    prev_href: str = ""
    next_href: str = ""
    first_href: str = ""
    sort_hrefs: dict[str, str] = {}
    sort_col: str = ov.DEFAULT.sort.value
    sort_desc: bool = True
    view_key: str = ""  # the canonical query of what is shown
    updated_label: str = ""
    # The filter controls
    f_search: str = ""
    f_step: str = ALL
    f_unit: str = ALL
    f_grade: str = ALL
    f_class: str = ""
    f_kind: str = ALL
    f_ground: str = ALL
    f_late: bool = False
    f_staff: bool = False
    f_from: str = ""
    f_to: str = ""
    f_per_page: str = str(ov.DEFAULT_PAGE_SIZE)
    active_filters: int = 0
    more_filters_active: bool = False
    more_open: bool = False  # "Fler filter" stays open once opened (or while in use)
    # Bumped when the text filters change from outside the fields (a link, the back
    # button, "Rensa filter"): the fields are then drawn again with the new values,
    # never while someone types in them.
    text_epoch: int = 0
    clear_href: str = PATH
    unit_options: list[dict[str, str]] = []
    class_options: list[str] = []
    pong: int = 0

    # Backend only
    _query: dict[str, str] = {}
    _loaded_key: str = ""
    _scope_key: str = ""
    _total: int = -1
    _seen: int = -1
    _org_id: int = 0
    _user_id: int = 0
    _watch_id: str = ""

    # --- helpers -----------------------------------------------------------------

    def _apply(self, f: ov.OverviewFilter, data: q.ViewData, *, highlight: bool = False) -> None:
        query = ov.to_query(f)
        self._query = query
        self._loaded_key = urlencode(query)
        self._scope_key = repr(f.scope_key())
        self._total = data.page.total
        self._seen = max(self._seen, data.counter)
        rows = data.page.rows
        if highlight:
            before = {r["id"]: {k: v for k, v in r.items() if k != "hl"} for r in self.rows}
            for r in rows:
                if before.get(r["id"]) != {k: v for k, v in r.items() if k != "hl"}:
                    r["hl"] = "1"
        self._set("rows", rows)
        self._set("view_key", self._loaded_key)
        self._show_view(f, data.page)
        if data.counts is not None:
            self._set("cards", self._cards(f, data.counts))
        if data.units is not None:
            self._set("unit_options", [{"id": str(u), "name": n} for u, n in data.units])
        if data.classes is not None:
            self._set("class_options", data.classes)
        self._set("updated_label", f"Uppdaterad {local(data.at):%H:%M:%S}")
        self._set("error_message", "")

    def _cards(self, f: ov.OverviewFilter, counts: dict[str, int]) -> list[dict[str, str]]:
        cards = []
        for step in CARD_STEPS:
            target = ov.OverviewFilter(step=str(step))
            cards.append(
                {
                    "key": str(step),
                    "label": STEP_LABELS[step],
                    "count": _fmt_int(counts.get(str(step), 0)),
                    "href": ov.href(target),
                    "active": "1" if f.step == str(step) and f.active_filters == 1 else "",
                    "tone": "",
                }
            )
        late = ov.OverviewFilter(late=True, sort=ov.SortKey.DUE, desc=False)
        cards.append(
            {
                "key": "late",
                "label": "Försenade",
                "count": _fmt_int(counts.get("late", 0)),
                "href": ov.href(late),
                "active": "1" if f.late and f.active_filters == 1 else "",
                "tone": "late" if counts.get("late", 0) else "",
            }
        )
        return cards

    def _show_view(self, f: ov.OverviewFilter, page: q.PageResult) -> None:
        total, capped = page.total, page.total_capped
        shown = len(page.rows)
        if capped:
            self._set("total_label", f"Fler än {_fmt_int(q.COUNT_CAP)} ärenden")
        else:
            self._set("total_label", "1 ärende" if total == 1 else f"{_fmt_int(total)} ärenden")
        if shown:
            first = f.offset + 1
            of = f"fler än {_fmt_int(q.COUNT_CAP)}" if capped else _fmt_int(total)
            self._set(
                "range_label", f"Visar {_fmt_int(first)}–{_fmt_int(f.offset + shown)} av {of}"
            )
        else:
            self._set("range_label", "")
        pages = None if capped else max(1, -(-total // f.per_page))
        self._set(
            "page_label",
            f"Sida {_fmt_int(f.page)}" + (f" av {_fmt_int(pages)}" if pages else ""),
        )
        links = _links(f)
        self._set("prev_href", links.prev)
        self._set("next_href", links.next if page.has_next else "")
        self._set("first_href", links.first)
        self._set("sort_hrefs", dict(links.sort))
        self._set("sort_col", f.sort.value)
        self._set("sort_desc", f.desc)
        # Filter controls
        self._set("f_search", f.search)
        self._set("f_step", f.step or ALL)
        self._set("f_unit", str(f.unit_id) if f.unit_id is not None else ALL)
        self._set("f_grade", ALL if f.grade is None else (f.grade or ov.NO_GRADE))
        self._set("f_class", f.class_name)
        self._set("f_kind", f.kind or ALL)
        self._set("f_ground", f.ground or ALL)
        self._set("f_late", f.late)
        self._set("f_staff", f.staff)
        self._set("f_from", f.date_from.isoformat() if f.date_from else "")
        self._set("f_to", f.date_to.isoformat() if f.date_to else "")
        self._set("f_per_page", str(f.per_page))
        self._set("active_filters", f.active_filters)
        self._set(
            "more_filters_active",
            bool(f.grade is not None or f.class_name or f.kind or f.ground or f.staff)
            or bool(f.date_from or f.date_to),
        )
        if self.more_filters_active:
            self._set("more_open", True)
        self._set("clear_href", links.clear)

    def _load_args(self, f: ov.OverviewFilter, *, full: bool) -> dict:
        """What a load must read besides the page: the count only when the set of
        matches changed, the cards and options only when asked or missing."""
        same_scope = repr(f.scope_key()) == self._scope_key and self._total >= 0
        return {
            "total": self._total if same_scope and not full else None,
            "with_counts": full or not self.cards,
            "with_options": full
            or not self.unit_options
            # The unit filter changed (``_query`` is ``to_query`` of the shown view).
            or (None if f.unit_id is None else str(f.unit_id)) != self._query.get("enhet"),
        }

    def _show(
        self, actor: Actor, f: ov.OverviewFilter, data: q.ViewData, *, highlight: bool = False
    ) -> None:
        if self._user_id != actor.user_id:
            self._scope_key, self._total, self._seen = "", -1, -1
        self._org_id = actor.organisation_id
        self._user_id = actor.user_id
        self._apply(f, data, highlight=highlight)

    def _start_watch(self):
        token = self._client_token()
        if token and live.loop_running(token, self._watch_id):
            return None  # this tab's loop runs in this process
        self._watch_id = uuid.uuid4().hex
        return OverviewState.watch

    # --- events --------------------------------------------------------------------

    @rx.event
    async def load(self):
        """on_load: read the view from the URL and show it."""
        actor, events = await self._guard(Page.OVERVIEW)
        if actor is None:
            self.rows, self.cards = [], []
            return events
        f = ov.from_query(self.rx_router_url.query_parameters)
        texts = (
            f.search,
            f.class_name,
            f.date_from.isoformat() if f.date_from else "",
            f.date_to.isoformat() if f.date_to else "",
        )
        if texts != (self.f_search, self.f_class, self.f_from, self.f_to):
            self.text_epoch += 1  # not typed here: draw the fields with these values
        key = urlencode(ov.to_query(f))
        token = self._client_token()
        fresh = (
            key == self._loaded_key
            and self._user_id == actor.user_id
            and live.loop_running(token, self._watch_id)
        )
        if not fresh:
            full = self._user_id != actor.user_id or not self.cards
            # The same view shown again (a reconnect, or a load that overtook this
            # tab's live loop): what changed since it was shown is highlighted, as
            # a live update would have done.
            again = key == self._loaded_key and self._user_id == actor.user_id and bool(self.rows)
            called = await self._call_service(
                q.load_view, f, now=utcnow(), actor=actor, **self._load_args(f, full=full)
            )
            if called.ok:
                self._show(actor, f, called.value, highlight=again)
        return await live.start_detached(self._start_watch())

    async def _change(self, f: ov.OverviewFilter):
        """A new view from a control: show it and push its URL."""
        if urlencode(ov.to_query(f)) == self._loaded_key:
            return None
        try:
            actor, data = await asyncio.to_thread(
                _view_for, self._cookie_header(), f, **self._load_args(f, full=False)
            )
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)
            return None
        if data is None:
            self.rows = []
            if actor is None:
                return rx.redirect(routes.LOGIN)
            self.page_status = "forbidden"
            return None
        self._show(actor, f, data)
        # A new history entry: the back button returns to the previous view.
        return rx.redirect(ov.href(f))

    @rx.event
    async def set_filter(self, key: str, value: str):
        """A select or text field changed: ``key`` is the URL parameter."""
        query = dict(self._query)
        value = (value or "").strip() if isinstance(value, str) else str(value)
        if not value or value == ALL:
            query.pop(key, None)
        else:
            query[key] = value
        query.pop("sida", None)
        return await self._change(ov.from_query(query))

    @rx.event
    def toggle_more(self):
        """Open or close "Fler filter" (it no longer closes by itself)."""
        self.more_open = not self.more_open

    @rx.event
    async def set_flag(self, key: str, checked: bool):
        query = dict(self._query)
        if checked:
            query[key] = "1"
        else:
            query.pop(key, None)
        query.pop("sida", None)
        return await self._change(ov.from_query(query))

    @rx.event
    async def submit_search(self, form: dict):
        """Enter in the text fields: apply them all at once."""
        query = dict(self._query)
        for key in ("sok", "klass", "fran", "till"):
            if key in form:
                value = str(form.get(key) or "").strip()
                if value:
                    query[key] = value
                else:
                    query.pop(key, None)
        query.pop("sida", None)
        return await self._change(ov.from_query(query))

    @rx.event
    async def ping(self, n: int):
        """A trivial event (no database): the benchmark's framework floor."""
        self.pong = n

    @rx.event(background=True)
    async def watch(self):
        """Reload the page of rows whenever the organisation's change counter
        moves (see state/live.py), until the tab leaves the overview or closes."""
        async with self:
            my_id = self._watch_id
            token = self.router.session.client_token
            cookie = self.router.headers.cookie
            org = self._org_id
            seen = self._seen
            highlighted = any(r.get("hl") for r in self.rows)
        if not my_id or not token or not live.register_loop(token, my_id):
            return None
        try:
            return await self._watch_loop(my_id, token, cookie, org, seen, highlighted)
        finally:
            live.unregister_loop(token, my_id)

    async def _watch_loop(
        self, my_id: str, token: str, cookie: str, org: int, seen: int, highlighted: bool
    ):
        # Rows highlighted by the load that started this loop fade like live ones.
        hl_until = time.monotonic() + HIGHLIGHT_SECONDS if highlighted else 0.0
        last_check = last_session = time.monotonic()
        while True:
            wait = HOUSEKEEPING_SECONDS
            if hl_until:
                wait = max(0.05, min(wait, hl_until - time.monotonic()))
            value = await live.WATCH.wait(org, seen, wait)
            if not live.loop_running(token, my_id):
                return None
            if not await live.connected(token):
                await asyncio.sleep(2)  # a reload reconnects with the same token
                if not await live.connected(token):
                    return None
            mono = time.monotonic()
            moved = value is not None and value > seen
            clear_hl = bool(hl_until) and mono >= hl_until
            if not moved and not clear_hl and mono - last_check < HOUSEKEEPING_SECONDS:
                continue
            last_check = mono
            async with self:
                if self._watch_id != my_id or self.router.url.path.rstrip("/") != PATH:
                    return None
                if clear_hl:
                    self.rows = [{**r, "hl": ""} for r in self.rows]
                    hl_until = 0.0
                seen = max(seen, self._seen)
                key, query = self._loaded_key, dict(self._query)
            reload = value is not None and value > seen
            if not reload and mono - last_session < SESSION_CHECK_SECONDS:
                continue
            last_session = mono
            f = ov.from_query(query)
            # Not counted as activity: an open overview alone does not keep a
            # session alive past its idle timeout.
            try:
                if reload:
                    actor, data = await asyncio.to_thread(
                        _view_for,
                        cookie,
                        f,
                        total=None,
                        with_counts=True,
                        with_options=False,
                        touch=False,
                    )
                else:
                    actor, data = await asyncio.to_thread(_resolve_quietly, cookie), None
            except Exception as exc:  # noqa: BLE001
                async with self:
                    self._fail(exc)
                continue
            if actor is None or not may_use_page(actor, Page.OVERVIEW):
                async with self:
                    self._watch_id = ""
                    self.rows = []
                return rx.redirect(routes.LOGIN)
            if data is None:
                continue
            async with self:
                if self._watch_id != my_id:
                    return None
                if self._loaded_key == key:  # the user has not changed the view meanwhile
                    self._apply(f, data, highlight=True)
                    if any(r["hl"] for r in self.rows):
                        hl_until = time.monotonic() + HIGHLIGHT_SECONDS
                seen = max(seen, self._seen, data.counter)


def _resolve_quietly(cookie_header: str) -> Actor | None:
    """The session's user without counting as activity (the idle timeout still applies)."""
    return auth.resolve_session(
        cookie_value(cookie_header, SESSION_COOKIE), now=utcnow(), touch=False
    )


class MyCasesState(AppState):
    rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor, events = await self._guard(Page.MY_CASES)
        if actor is None:
            self.rows = []
            return events
        called = await self._call_service(cases.list_delegated, now=utcnow(), actor=actor)
        if called.ok:
            self.rows = called.value
