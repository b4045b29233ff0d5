"""The case page ``/arenden/<id>`` and the printable case file ``/arenden/<id>/akt``.

The state holds only the open case's view model, as the service built it for this
user. The case id comes from the page URL; every handler resolves the user from
the session cookie and calls a service, which asks the access policy: a handler
called by name for another case gets the same "finns inte" answer as a missing
case, and the view is cleared.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain import case_text
from kb_app.domain.access import Actor
from kb_app.domain.process import FORM, MEASURE_LEVELS, EventKind
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.services.admin import auth
from kb_app.services.case import (
    access_history,
    attachments,
    conflict,
    delegation,
    parties,
    steps,
    view,
)
from kb_app.services.case.view import CaseView
from kb_app.state import live, uploads
from kb_app.state.base import SESSION_COOKIE, AppState, cookie_value

CASE_PATH = re.compile(r"^/arenden/(\d{1,12})(?:/akt)?/?$")
PAGE_PATH = re.compile(r"^/arenden/(\d{1,12})/?$")  # the case page, not the case file

MEASURE_FIELDS = ["level", "description", "responsible", "responsible_user_id", "due_on"]

# The live case page (see ``CaseState.watch``): how often an open page re-checks
# the session and the user's access although nothing moved.
SESSION_CHECK_SECONDS = 30.0
HOUSEKEEPING_SECONDS = 10.0
# Events beside the steps: they never make a step form stale.
_NOTE_KINDS = {
    EventKind.COMMENT,
    EventKind.SUPPLEMENT,
    EventKind.REMINDER,
    EventKind.PARTY_CHANGED,
    EventKind.ATTACHMENT_ADDED,
}
PARTY_FIELDS = ("role", "kind", "name", "class_name")
PARTY_MODES = ("add", "edit", "remove")

MSG_ATTACHED = "Filen är bifogad. Den står under Bilagor och i tidslinjen."


def case_id_from_path(path: str) -> int | None:
    m = CASE_PATH.match(path or "")
    return int(m.group(1)) if m else None


class CaseState(AppState):
    """The case page (header, parties, timeline, the form of the next step) and the
    printable case file."""

    open_case_id: str = ""
    head: dict[str, str] = {}
    flags: dict[str, bool] = {}
    parties: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    measures: list[dict[str, str]] = []
    delegations: list[dict[str, str]] = []
    promptness: list[dict[str, str]] = []
    conflicts: list[dict[str, str]] = []
    # "Vem har läst ärendet" (principals and organisers), shown on request
    access_rows: list[dict[str, str]] = []
    access_page: int = 0  # 0: not shown
    access_pages: int = 0
    access_total: int = 0
    access_message: str = ""
    # Bilagor: the case's files, and the upload's answer
    attachments: list[dict[str, str]] = []
    attach_error: str = ""
    attach_message: str = ""
    attach_busy: bool = False
    attach_key: int = 0  # bumped after a file is taken: the form starts empty

    def _case_id(self) -> int | None:
        return case_id_from_path(self.router.url.path)

    def _clear(self) -> None:
        self.open_case_id = ""
        self.head = {}
        self.flags = {}
        self.parties = []
        self.timeline = []
        self.measures = []
        self.delegations = []
        self.promptness = []
        self.conflicts = []
        self._hide_access_log()
        self.attachments = []
        self.attach_error = self.attach_message = ""
        self.attach_busy = False
        self.measure_users = []
        self.stale_form = ""
        self.party_mode = ""
        self.party_target = ""
        self._stamp = ""
        self._watch_id = ""  # a running live loop ends

    def _show(self, cv: CaseView) -> None:
        self.open_case_id = str(cv.id)
        self.head = cv.head()
        self.flags = cv.flags()
        self.parties = cv.parties
        self.timeline = cv.timeline
        self.measures = cv.measures
        self.delegations = cv.delegations
        self.promptness = cv.promptness
        self.conflicts = cv.conflicts
        self.attachments = cv.attachments

    def _denied(self, _exc: AccessDenied | None = None) -> None:
        self._clear()
        self.page_status = "forbidden"
        self.forbidden_message = AccessDenied.message

    form: str = ""  # which next-step form this user gets ("" = none)
    errors: dict[str, str] = {}
    notice: str = ""
    candidates: list[dict[str, str]] = []
    measure_users: list[dict[str, str]] = []
    proposal_by: str = ""
    measure_rows: list[dict[str, str]] = []
    none_needed: bool = False
    none_reason: str = ""
    delegate_mode: str = "existing"  # or "invite"
    delegate_open: bool = False  # the delegation form beside a later step
    form_key: int = 0  # bumped after a saved step so the forms start empty
    # The step form shown is no longer valid (someone else recorded a step since it
    # was shown): what happened, said in the form's card. The form stays as it was,
    # with what was typed in it, until the user asks for the next step.
    stale_form: str = ""
    # The party form open on the case page: "add", or "edit"/"remove" of party_target.
    party_mode: str = ""
    party_target: str = ""
    _next_row: int = 0
    # The live loop (state/live.py): backend only.
    _watch_id: str = ""
    _watch_case: str = ""  # the case the running loop watches
    _org_id: int = 0
    _stamp: str = ""

    # -- loading ----------------------------------------------------------------

    @rx.event
    async def load(self):
        self.forbidden_message = ""
        self.notice = ""
        self.errors = {}
        self.delegate_open = False
        self.delegate_mode = "existing"
        actor, events = await self._guard(None)
        if actor is None:
            self._clear()
            return events
        await self._reload(actor)
        return await live.start_detached(self._start_watch())

    async def _reload(self, actor) -> None:
        called = await self._call_service(
            view.load_case,
            self._case_id(),
            now=utcnow(),
            actor=actor,
            denied=self._denied,
        )
        if not called.ok:
            return
        self.page_status = "ok"
        self._org_id = actor.organisation_id
        self._take(called.value)

    def _take(self, case_view: CaseView) -> None:
        """Show the view with its next-step form as new (fresh form fields)."""
        self._show(case_view)
        self._stamp = case_view.stamp
        self.stale_form = ""
        self.form = case_view.form
        self.candidates = case_view.candidates
        self.measure_users = case_view.measure_users
        proposal = case_view.proposal or {}
        self.proposal_by = (
            f"Förslag från {proposal['by']}, {proposal['at']}" if proposal.get("by") else ""
        )
        rows = proposal.get("measures") or []
        self._next_row = 0
        self.measure_rows = [self._row(m) for m in rows] or [self._row({})]
        self.none_needed = bool(proposal.get("none_needed"))
        self.none_reason = proposal.get("none_reason", "")

    # -- the live case page ------------------------------------------------------

    def _start_watch(self):
        """The event that starts this tab's live loop, unless it already runs."""
        token = self.router.session.client_token
        if not self.open_case_id or PAGE_PATH.match(self.router.url.path or "") is None:
            return None
        # The loop outlives navigations (live.start_detached): another case of
        # this tab needs a loop of its own (the old one ends when it sees it).
        running = token and live.loop_running(token, self._watch_id)
        if running and self._watch_case == self.open_case_id:
            return None
        self._watch_id = uuid.uuid4().hex
        self._watch_case = self.open_case_id
        return CaseState.watch

    def _show_live(self, case_view: CaseView) -> None:
        """A view read because someone changed the case: show what changed without
        touching anything typed on the page. The step form stays as it is; if it is
        no longer the user's next step, it says so in place."""
        old_form = self.form
        self._show(case_view)
        self._stamp = case_view.stamp
        if case_view.form == old_form:
            if not self.stale_form:
                self.candidates = case_view.candidates
            return
        if not old_form:  # nothing typed: the new step form appears
            self._take(case_view)
            self.form_key += 1
            return
        steps_done = [r for r in case_view.timeline if r["kind"] not in _NOTE_KINDS]
        last = steps_done[-1] if steps_done else None
        what = (
            f"{last['who']} har registrerat ”{last['label']}” ({last['when']}). "
            if last and last.get("who")
            else "Ärendet har ändrats av någon annan. "
        )
        self.stale_form = (
            what + "Det här steget kan inte längre sparas. Det du har skrivit finns kvar "
            "här så att du kan kopiera det."
        )

    @rx.event
    async def show_next_step(self):
        """Leave the stale form: show the case's next step as it is now."""
        actor = await self._actor()
        if actor is None:
            self._clear()
            return rx.redirect(routes.LOGIN)
        self.errors = {}
        self.notice = ""
        self.form_key += 1
        await self._reload(actor)
        return await live.start_detached(self._start_watch())

    @rx.event(background=True)
    async def watch(self):
        """Keep the open case page current: when the organisation's change counter
        moves (state/live.py, the overview's mechanism), ask whether this case moved
        and, if so, load its view again (access checked and the read logged as on
        any load). Ends when the tab leaves the case or closes, or access is lost."""
        async with self:
            my_id = self._watch_id
            token = self.router.session.client_token
            cookie = self.router.headers.cookie
            org = self._org_id
            case_id = self.open_case_id
        if not my_id or not token or not case_id or not live.register_loop(token, my_id):
            return None
        try:
            return await self._watch_loop(my_id, token, cookie, org, case_id)
        finally:
            live.unregister_loop(token, my_id)

    async def _watch_loop(self, my_id: str, token: str, cookie: str, org: int, case_id: str):
        seen = -1
        last_check = time.monotonic()
        while True:
            value = await live.WATCH.wait(org, seen, HOUSEKEEPING_SECONDS)
            if not live.loop_running(token, my_id):
                return None
            if not await live.connected(token):
                await asyncio.sleep(2)  # a reload reconnects with the same token
                if not await live.connected(token):
                    return None
            async with self:
                if self._watch_id != my_id or self._here() != case_id:
                    return None
                shown = self._stamp
            moved = value is not None and value > seen
            if value is not None:
                seen = max(seen, value)
            mono = time.monotonic()
            if not moved and mono - last_check < SESSION_CHECK_SECONDS:
                continue
            last_check = mono
            try:
                actor, stamp = await asyncio.to_thread(_stamp_for, cookie, int(case_id))
                if actor is None:
                    async with self:
                        if self._watch_id == my_id:
                            self._watch_id = ""
                            self._clear()
                    return rx.redirect(routes.LOGIN)
                if stamp == shown:
                    continue
                # Moved, or no longer readable: load it as a page load would, so
                # access is checked (and the read or the refusal logged) again.
                case_view = await asyncio.to_thread(
                    view.load_case, actor, int(case_id), now=utcnow()
                )
            except AccessDenied:
                async with self:
                    if self._watch_id == my_id:
                        self._watch_id = ""
                        self._denied()
                return None
            except Exception as exc:  # noqa: BLE001 - logged with an id, shown in Swedish
                async with self:
                    self._fail(exc)
                continue
            async with self:
                if self._watch_id != my_id or self._here() != case_id:
                    return None
                self._show_live(case_view)

    def _here(self) -> str:
        """The case of the page this tab shows now ("" when not a case page)."""
        m = PAGE_PATH.match(self.router.url.path or "")
        return m.group(1) if m and m.group(1) == self.open_case_id else ""

    def _row(self, m: dict) -> dict[str, str]:
        self._next_row += 1
        row = {"key": str(self._next_row)}
        row.update({f: str(m.get(f) or "") for f in MEASURE_FIELDS})
        if not row["level"]:
            row["level"] = MEASURE_LEVELS[0][0]
        return row

    # -- the common shape of an action -----------------------------------------

    async def _act(self, fn, notice: str, **kwargs):
        actor = await self._actor()
        if actor is None:
            self._clear()
            return rx.redirect(routes.LOGIN)
        called = await self._call_service(
            fn,
            self._case_id(),
            now=utcnow(),
            actor=actor,
            denied=self._denied,
            invalid=self._invalid,
            **kwargs,
        )
        if not called.ok:
            return None
        self.errors = {}
        self.error_message = ""
        self.delegate_open = False
        self.party_mode = ""
        self.party_target = ""
        self.form_key += 1
        await self._reload(actor)
        self.notice = notice
        return None

    def _invalid(self, exc: InvalidInput) -> None:
        self.errors = exc.errors
        self.notice = ""

    # -- the steps -------------------------------------------------------------

    @rx.event
    async def receive(self):
        return await self._act(steps.receive, "Ärendet är markerat som mottaget.")

    @rx.event
    async def start_self(self):
        delegated = self.form == "begin"
        return await self._act(
            steps.start_investigation,
            "Utredningen är påbörjad. Registrera utredningen när den är klar."
            if delegated
            else "Utredningen är påbörjad. Du utreder själv.",
        )

    @rx.event
    def open_delegate(self):
        self.delegate_open = True

    @rx.event
    def set_delegate_mode(self, mode: str | list[str]):
        self.delegate_mode = "invite" if mode in ("invite", ["invite"]) else "existing"
        self.errors = {}

    @rx.event
    async def delegate_existing(self, form_data: dict):
        raw = str(form_data.get("investigator") or "")
        if not raw.isdigit():
            self.errors = {"investigator": "Välj en person i listan."}
            return None
        return await self._act(
            delegation.delegate,
            "Utredningen är delegerad. Utredaren har fått ett e-postmeddelande.",
            investigator_user_id=int(raw),
        )

    @rx.event
    async def delegate_invite(self, form_data: dict):
        return await self._act(
            delegation.delegate,
            "Personen är inbjuden och utredningen delegerad. En länk för att välja "
            "lösenord har skickats.",
            invite_email=str(form_data.get("email") or ""),
            invite_name=str(form_data.get("name") or ""),
        )

    @rx.event
    async def withdraw(self):
        return await self._act(delegation.withdraw_delegation, "Delegeringen är återkallad.")

    @rx.event
    async def submit_take_over(self, form_data: dict):
        return await self._act(
            steps.take_over,
            "Du har tagit över ansvaret för ärendet. Nästa steg är ditt.",
            reason=str(form_data.get("reason") or ""),
        )

    @rx.event
    async def resolve_conflict(self, conflict_id: str, answer: str):
        raw = str(conflict_id or "")
        return await self._act(
            conflict.resolve,
            "Jävet är avvisat: personen har åter tillgång till ärendet."
            if answer == "rejected"
            else "Jävet är bekräftat: personen hålls borta från ärendet.",
            conflict_id=int(raw) if raw.isdigit() and len(raw) < 13 else None,
            answer=str(answer or ""),
        )

    @rx.event
    async def submit_investigation(self, form_data: dict):
        talks = [t for t in ("subjected", "involved", "staff") if form_data.get(f"talk_{t}")]
        return await self._act(
            steps.record_investigation,
            "Utredningen är sparad.",
            talks=talks,
            guardians_contacted_on=str(form_data.get("guardians_contacted_on") or ""),
            guardians_not_contacted_reason=str(
                form_data.get("guardians_not_contacted_reason") or ""
            ),
            findings=str(form_data.get("findings") or ""),
            conclusion=str(form_data.get("conclusion") or ""),
        )

    @rx.event
    def add_measure_row(self):
        if len(self.measure_rows) < 20:
            self.measure_rows = [*self.measure_rows, self._row({})]

    @rx.event
    def remove_measure_row(self, key: str):
        rows = [r for r in self.measure_rows if r["key"] != key]
        self.measure_rows = rows or [self._row({})]

    @rx.event
    def set_none_needed(self, value: bool):
        self.none_needed = bool(value)

    def _measures_from(self, form_data: dict) -> list[dict[str, str]]:
        rows = []
        for r in self.measure_rows:
            rows.append({f: str(form_data.get(f"m{r['key']}_{f}") or "") for f in MEASURE_FIELDS})
        # Keep what was typed if validation fails (the rows are re-rendered from state).
        self.measure_rows = [
            {"key": r["key"], **vals} for r, vals in zip(self.measure_rows, rows, strict=True)
        ]
        return rows

    def _measure_errors(self) -> None:
        """Map the domain's "measures.<i>.<field>" to the row keys of the form."""
        mapped = {}
        for k, v in self.errors.items():
            parts = k.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(self.measure_rows):
                mapped[f"m{self.measure_rows[int(parts[1])]['key']}_{parts[2]}"] = v
            else:
                mapped[k] = v
        self.errors = mapped

    async def _measures(self, fn, form_data: dict, notice: str):
        none = self.none_needed
        rows = [] if none else self._measures_from(form_data)
        self.none_reason = str(form_data.get("none_reason") or "")
        result = await self._act(
            fn, notice, measures=rows, none_needed=none, none_reason=self.none_reason
        )
        self._measure_errors()
        return result

    @rx.event
    async def submit_proposal(self, form_data: dict):
        return await self._measures(
            steps.propose_measures,
            form_data,
            "Förslaget är sparat. Rektor har fått besked om att besluta.",
        )

    @rx.event
    async def submit_decision(self, form_data: dict):
        return await self._measures(
            steps.decide_measures, form_data, "Beslutet om åtgärder är sparat."
        )

    @rx.event
    async def submit_follow_up(self, form_data: dict):
        stopped = str(form_data.get("stopped") or "")
        result = await self._act(
            steps.follow_up,
            "Uppföljningen är sparad.",
            followed_up_on=str(form_data.get("followed_up_on") or ""),
            stopped=stopped,
            notes=str(form_data.get("notes") or ""),
        )
        if self.notice:  # saved: say what is due next
            self.notice = case_text.follow_up_saved(
                stopped == "yes", self.head.get("responsible", ""), self.head.get("due", "")
            )
        return result

    @rx.event
    async def submit_close(self, form_data: dict):
        return await self._act(
            steps.close, "Ärendet är avslutat.", summary=str(form_data.get("summary") or "")
        )

    @rx.event
    async def submit_reopen(self, form_data: dict):
        return await self._act(
            steps.reopen,
            "Ärendet är återöppnat.",
            reason=str(form_data.get("reason") or ""),
        )

    @rx.event
    async def submit_note(self, form_data: dict):
        supplement = form_data.get("note_kind") == "supplement"
        return await self._act(
            steps.add_note,
            "Kompletteringen är sparad." if supplement else "Kommentaren är sparad.",
            text=str(form_data.get("text") or ""),
            supplement=supplement,
        )

    # -- attachments -------------------------------------------------------------

    @rx.event
    async def attach_file(self, form_data: dict):
        """ "Bifoga fil": the browser sends the chosen file to the upload route, which
        checks the session, the case's access and the file itself; its answer comes
        back to ``attach_done``. Nothing of the file passes through this state."""
        self.attach_error = self.attach_message = ""
        raw = (form_data or {}).get("del") if isinstance(form_data, dict) else None
        context = raw if isinstance(raw, str) and raw in attachments.CONTEXT_ACTIONS else ""
        actor = await self._actor()
        if actor is None:
            self._clear()
            return rx.redirect(routes.LOGIN)
        case_id = self._case_id()
        if case_id is None or str(case_id) != self.open_case_id or not self.flags.get("can_attach"):
            self.attach_error = attachments.MSG_DENIED
            return None
        if not context:
            self.attach_error = attachments.MSG_CONTEXT
            return None
        self.attach_busy = True
        url = f"{routes.ATTACHMENT_UPLOAD}/{case_id}?del={context}"
        return rx.call_script(uploads.upload_script(url), callback=CaseState.attach_done)

    @rx.event
    async def attach_done(self, result: str):
        """The upload route's answer: a message beside the form; after a taken file
        the case is read again (the list and the timeline), keeping what is typed in
        the other forms."""
        self.attach_busy = False
        code, _name = uploads.answer(result)
        if code != "ok":
            self.attach_error = attachments.message_for(code)
            self.attach_message = ""
            return None
        self.attach_error = ""
        self.attach_message = MSG_ATTACHED
        self.attach_key += 1
        actor = await self._actor()
        if actor is None:
            self._clear()
            return rx.redirect(routes.LOGIN)
        called = await self._call_service(
            view.load_case, self._case_id(), now=utcnow(), actor=actor, denied=self._denied
        )
        if called.ok:
            self._show_live(called.value)
        return None

    # -- correcting the parties ----------------------------------------------------

    @rx.event
    def open_party_form(self, mode: str, party_id: str = ""):
        """Show the form to add a party, or to correct or remove one (page state
        only: saving asks the service, which asks the policy)."""
        if mode not in PARTY_MODES or not self.flags.get("can_edit_parties"):
            return
        pid = str(party_id or "")
        if mode != "add" and pid not in {p.get("id") for p in self.parties}:
            return
        self.party_mode = mode
        self.party_target = "" if mode == "add" else pid
        self.errors = {}
        self.notice = ""

    @rx.event
    def close_party_form(self):
        self.party_mode = ""
        self.party_target = ""
        self.errors = {}

    @rx.event
    async def submit_party(self, form_data: dict):
        """Add a party (no ``party_id``) or correct one, with a reason."""
        party = {k: str(form_data.get(k) or "") for k in PARTY_FIELDS}
        reason = str(form_data.get("reason") or "")
        raw = str(form_data.get("party_id") or "")
        if not raw:
            return await self._act(
                parties.add_party,
                "Personen är tillagd. Ändringen står i tidslinjen.",
                party=party,
                reason=reason,
            )
        return await self._act(
            parties.correct_party,
            "Rättelsen är sparad. Den tidigare uppgiften står i tidslinjen.",
            party_id=int(raw) if raw.isdigit() and len(raw) < 13 else None,
            party=party,
            reason=reason,
        )

    @rx.event
    async def submit_party_removal(self, form_data: dict):
        raw = str(form_data.get("party_id") or "")
        return await self._act(
            parties.remove_party,
            "Personen är borttagen. Uppgiften finns kvar i tidslinjen.",
            party_id=int(raw) if raw.isdigit() and len(raw) < 13 else None,
            reason=str(form_data.get("reason") or ""),
        )

    @rx.var
    def form_error(self) -> str:
        return self.errors.get(FORM, "")

    # -- who read the case -------------------------------------------------------

    def _hide_access_log(self, _exc: AccessDenied | None = None) -> None:
        self.access_rows = []
        self.access_page = self.access_pages = self.access_total = 0
        self.access_message = AccessDenied.message if _exc is not None else ""

    @rx.event
    async def show_access_log(self, page: int | str = 1):
        """One page of the case's access log, newest first (VIEW_ACCESS_LOG; logged)."""
        wanted = int(page) if isinstance(page, int | str) and str(page).isdecimal() else 1
        called = await self._call_service(
            access_history.access_history,
            self._case_id(),
            page=min(wanted, 10**5),
            now=utcnow(),
            denied=self._hide_access_log,
        )
        if not called.ok:
            return called.events or None
        found = called.value
        self.access_message = ""
        self.access_rows = found.rows
        self.access_page, self.access_pages, self.access_total = (
            found.page,
            found.pages,
            found.total,
        )
        return None

    @rx.event
    def hide_access_log(self):
        self._hide_access_log()

    # -- the printable case file -------------------------------------------------

    @rx.event
    async def load_file(self):
        """``/arenden/<id>/akt``: needs EXPORT_CASE; the read is logged."""
        self.forbidden_message = ""
        actor, events = await self._guard(None)
        if actor is None:
            self._clear()
            return events
        called = await self._call_service(
            view.case_file,
            self._case_id(),
            now=utcnow(),
            actor=actor,
            denied=self._denied,
        )
        if not called.ok:
            return None
        case_view = called.value
        self.page_status = "ok"
        self.form = ""
        self._show(case_view)
        return None


def _stamp_for(cookie_header: str, case_id: int) -> tuple[Actor | None, str | None]:
    """The session's user (not counted as activity: an open page alone does not keep
    a session alive) and the case's stamp as that user may see it."""
    actor = auth.resolve_session(
        cookie_value(cookie_header, SESSION_COOKIE), now=utcnow(), touch=False
    )
    return actor, (view.case_stamp(actor, case_id) if actor is not None else None)
