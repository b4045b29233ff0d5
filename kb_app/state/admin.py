"""``/admin``: units and classes, users and roles, the administration log.

Every public method is an event handler any client may call: each one resolves
the actor from the session cookie and the services check ``Action.ADMINISTER``.
Only names, roles and counts reach this state, never case content (a handover
shows the open cases' references and steps).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Action, Page, can
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.services.admin import admin_log, setup
from kb_app.services.organisation import imports, units, users
from kb_app.settings import get_settings
from kb_app.state.base import AppState

MSG_MISSING = "Den finns inte längre, eller så saknar du behörighet. Ladda om sidan."


@dataclass
class Candidate:
    id: str = ""
    name: str = ""


@dataclass
class HandoverRow:
    unit_id: str = ""
    unit: str = ""
    count: str = ""
    cases: str = ""
    candidates: list[Candidate] = field(default_factory=list)


def _handover_rows(raw: list[dict[str, str]]) -> list[HandoverRow]:
    rows = []
    for h in raw:
        cands = [
            Candidate(*item.split(":", 1)) for item in h["candidates"].split("|") if ":" in item
        ]
        rows.append(HandoverRow(h["unit_id"], h["unit"], h["count"], h["cases"], cands))
    return rows


def _everything(actor) -> tuple:
    return (
        units.list_units(actor),
        users.list_users(actor),
        users.list_units(actor),
        admin_log.entries(actor, limit=100),
    )


def _role_values(form_data: dict) -> dict:
    return {
        "organiser": bool(form_data.get("organiser")),
        "admin": bool(form_data.get("admin")),
        "principal_units": [
            k.removeprefix("unit_")
            for k, v in form_data.items()
            if k.startswith("unit_") and v not in ("", None, False)
        ],
    }


def _id(raw) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


class AdminState(AppState):
    tab: str = "enheter"
    units: list[dict[str, str]] = []
    active_units: list[dict[str, str]] = []
    users: list[dict[str, str]] = []
    log: list[dict[str, str]] = []
    notice: str = ""
    # Units and classes
    unit_errors: dict[str, str] = {}  # the open unit's form
    new_unit_errors: dict[str, str] = {}  # "Ny enhet"
    new_unit_key: int = 0
    selected_unit_id: str = ""
    selected_unit: dict[str, str] = {}
    classes: list[dict[str, str]] = []
    class_errors: dict[str, str] = {}
    class_form_key: int = 0
    # Users
    user_errors: dict[str, str] = {}
    invite_key: int = 0
    editing_user_id: str = ""
    editing_user: dict[str, str] = {}
    # A deactivation or role change waiting for its handover
    handovers: list[HandoverRow] = []
    pending_action: str = ""
    pending_user_id: str = ""
    pending_user_name: str = ""
    _pending_roles: dict = {}
    handover_errors: dict[str, str] = {}
    # Import (CSV/XLSX): the parsed rows stay on the server; the page sees the preview
    _import_rows: list = []
    import_file: str = ""
    import_preview: list[dict[str, str]] = []
    import_counts: dict[str, str] = {}
    import_error: str = ""
    import_ok: bool = False
    import_busy: bool = False
    public_url_warning: str = ""  # KB_PUBLIC_URL unset or localhost: mail links fail

    def _clear(self) -> None:
        self.units, self.active_units, self.users, self.log = [], [], [], []
        self.classes, self.selected_unit, self.selected_unit_id = [], {}, ""
        self.handovers, self.pending_action, self.editing_user_id = [], "", ""

    async def _reload(self, actor) -> None:
        called = await self._call_service(_everything, actor=actor)
        if called.ok:
            self.units, self.users, self.active_units, self.log = called.value
            if self.selected_unit_id:
                self.selected_unit = next(
                    (u for u in self.units if u["id"] == self.selected_unit_id), {}
                )
                if not self.selected_unit:
                    self.selected_unit_id, self.classes = "", []
            if self.editing_user_id:
                self.editing_user = next(
                    (u for u in self.users if u["id"] == self.editing_user_id), {}
                )

    async def _admin(self):
        actor = await self._actor()
        if actor is None:
            self._clear()
        return actor

    def _missing(self, _exc: AccessDenied | None = None) -> None:
        self.error_message = MSG_MISSING

    @rx.event
    async def load(self):
        self.notice, self.error_message = "", ""
        self.unit_errors, self.class_errors, self.user_errors = {}, {}, {}
        self.new_unit_errors = {}
        self.handover_errors = {}
        actor, events = await self._guard(Page.ADMIN)
        if actor is None:
            self._clear()
            return events
        self.public_url_warning = get_settings().public_url_warning
        await self._reload(actor)

    @rx.event
    def set_tab(self, tab: str):
        if tab in ("enheter", "anvandare", "import", "logg"):
            self.tab = tab

    # Units ---------------------------------------------------------------------

    @rx.event
    async def create_unit(self, form_data: dict):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self.new_unit_errors, self.notice, self.error_message = {}, "", ""
        values = {
            k: str(form_data.get(k, ""))[:300] for k in ("name", "kind", "grades", "pupil_count")
        }

        def invalid(exc: InvalidInput) -> None:
            self.new_unit_errors = exc.errors

        called = await self._call_service(
            units.create_unit,
            values,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            self.notice = (
                f"Enheten {' '.join(values['name'].split())} är skapad, med en egen anmälningslänk."
            )
            self.new_unit_key += 1
            self.selected_unit_id = str(called.value)
            await self._reload(actor)
            await self._load_classes(actor)

    async def _load_classes(self, actor) -> None:
        uid = _id(self.selected_unit_id)
        if uid is None:
            self.classes = []
            return
        called = await self._call_service(
            units.list_classes, uid, actor=actor, denied=self._missing
        )
        self.classes = called.value if called.ok else []
        self.class_form_key += 1

    @rx.event
    async def select_unit(self, unit_id: str):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self.unit_errors, self.class_errors, self.notice = {}, {}, ""
        self.selected_unit_id = str(unit_id) if _id(unit_id) is not None else ""
        self.selected_unit = next((u for u in self.units if u["id"] == self.selected_unit_id), {})
        await self._load_classes(actor)

    @rx.event
    def close_unit(self):
        self.selected_unit_id, self.selected_unit, self.classes = "", {}, []

    @rx.event
    async def save_unit(self, form_data: dict):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(self.selected_unit_id)
        if uid is None:
            return
        self.unit_errors, self.notice, self.error_message = {}, "", ""
        values = {
            k: str(form_data.get(k, ""))[:300] for k in ("name", "kind", "grades", "pupil_count")
        }

        def invalid(exc: InvalidInput) -> None:
            self.unit_errors = exc.errors

        called = await self._call_service(
            units.update_unit,
            uid,
            values,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            self.notice = "Enheten är sparad."
            await self._reload(actor)

    @rx.event
    async def set_archived(self, unit_id: str, archived: bool):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(unit_id)
        if uid is None:
            return
        called = await self._call_service(
            units.set_archived,
            uid,
            bool(archived),
            now=utcnow(),
            actor=actor,
            denied=self._missing,
        )
        if called.ok:
            self.notice = (
                "Enheten är arkiverad. Dess ärenden finns kvar; anmälningslänken fungerar inte längre."
                if archived
                else "Enheten är återställd, med en ny anmälningslänk."
            )
            await self._reload(actor)

    @rx.event
    async def add_class(self, form_data: dict):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(self.selected_unit_id)
        if uid is None:
            return
        self.class_errors, self.notice = {}, ""
        values = {k: str(form_data.get(k, ""))[:100] for k in ("name", "grade", "pupil_count")}

        def invalid(exc: InvalidInput) -> None:
            self.class_errors = exc.errors

        called = await self._call_service(
            units.add_class,
            uid,
            values,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            self.notice = f"{' '.join(values['name'].split())} är tillagd."
            await self._load_classes(actor)
            await self._reload(actor)

    @rx.event
    async def save_class(self, form_data: dict):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        cid = _id(form_data.get("class_id"))
        if cid is None:
            return
        self.class_errors, self.notice = {}, ""
        values = {k: str(form_data.get(k, ""))[:100] for k in ("name", "grade", "pupil_count")}

        def invalid(exc: InvalidInput) -> None:
            self.class_errors = {f"{k}_{cid}": v for k, v in exc.errors.items()}

        called = await self._call_service(
            units.update_class,
            cid,
            values,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            self.notice = f"{' '.join(values['name'].split())} är sparad."
            await self._load_classes(actor)
            await self._reload(actor)

    @rx.event
    async def remove_class(self, class_id: str):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        cid = _id(class_id)
        if cid is None:
            return
        called = await self._call_service(
            units.remove_class, cid, now=utcnow(), actor=actor, denied=self._missing
        )
        if called.ok:
            self.notice = "Klassen är borttagen. Ärenden behåller klassens namn."
            await self._load_classes(actor)
            await self._reload(actor)

    # Users ---------------------------------------------------------------------

    @rx.event
    async def invite(self, form_data: dict):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self.user_errors, self.notice, self.error_message = {}, "", ""
        values = {
            "email": str(form_data.get("email", ""))[:300],
            "name": str(form_data.get("name", ""))[:300],
            **_role_values(form_data),
        }

        def invalid(exc: InvalidInput) -> None:
            self.user_errors = exc.errors

        called = await self._call_service(
            users.invite_user,
            values,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            self.notice = f"En inbjudan är skickad till {values['email'].strip().lower()}. Länken gäller i 7 dagar."
            self.invite_key += 1
            await self._reload(actor)

    @rx.event
    async def resend(self, user_id: str):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(user_id)
        if uid is None:
            return

        def invalid(exc: InvalidInput) -> None:
            self.error_message = next(iter(exc.errors.values()), "")

        called = await self._call_service(
            users.resend_invitation,
            uid,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            self.notice = "Inbjudan är skickad igen. Den tidigare länken fungerar inte längre."
            await self._reload(actor)

    @rx.event
    async def edit_user(self, user_id: str):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        if not can(actor, Action.ADMINISTER):
            return
        self.user_errors, self.notice = {}, ""
        self.editing_user_id = str(user_id) if _id(user_id) is not None else ""
        self.editing_user = next((u for u in self.users if u["id"] == self.editing_user_id), {})

    @rx.event
    def cancel_edit(self):
        self.editing_user_id, self.editing_user = "", {}

    def _outcome(self, outcome: users.Outcome, done_text: str) -> bool:
        if outcome.done:
            self.handovers, self.pending_action = [], ""
            self.notice = done_text
            return True
        self.handovers = _handover_rows(outcome.handovers)
        return False

    @rx.event
    async def save_roles(self, form_data: dict):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(self.editing_user_id)
        if uid is None:
            return
        self.user_errors, self.notice, self.handover_errors = {}, "", {}
        values = _role_values(form_data)

        def invalid(exc: InvalidInput) -> None:
            self.user_errors = exc.errors

        called = await self._call_service(
            users.change_roles,
            uid,
            values,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if not called.ok:
            return
        name = self.editing_user.get("name", "")
        if not self._outcome(called.value, f"Rollerna för {name} är sparade."):
            self.pending_action, self.pending_user_id = "roles", str(uid)
            self.pending_user_name, self._pending_roles = name, values
            return
        self.editing_user_id, self.editing_user = "", {}
        await self._reload(actor)

    @rx.event
    async def set_active(self, user_id: str, active: bool):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(user_id)
        if uid is None:
            return
        self.notice, self.error_message, self.handover_errors = "", "", {}

        def invalid(exc: InvalidInput) -> None:
            self.error_message = next(iter(exc.errors.values()), "")

        called = await self._call_service(
            users.set_active,
            uid,
            bool(active),
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if not called.ok:
            return
        name = next((u["name"] for u in self.users if u["id"] == str(uid)), "")
        text = (
            f"{name} är återaktiverad och kan logga in igen."
            if active
            else f"{name} är inaktiverad och kan inte längre logga in. Historiken finns kvar."
        )
        if not self._outcome(called.value, text):
            self.pending_action, self.pending_user_id, self.pending_user_name = (
                "deactivate",
                str(uid),
                name,
            )
            return
        await self._reload(actor)

    @rx.event
    async def hand_over(self, form_data: dict):
        """Complete the waiting deactivation or role change with the chosen principals."""
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        uid = _id(self.pending_user_id)
        if uid is None or self.pending_action not in ("deactivate", "roles"):
            return
        handover = {}
        for key, value in form_data.items():
            if key.startswith("handover_") and _id(key.removeprefix("handover_")) is not None:
                chosen = _id(value)
                if chosen is not None:
                    handover[int(key.removeprefix("handover_"))] = chosen
        self.handover_errors = {}

        def invalid(exc: InvalidInput) -> None:
            self.handover_errors = exc.errors

        name = self.pending_user_name
        if self.pending_action == "deactivate":
            called = await self._call_service(
                users.set_active,
                uid,
                False,
                handover=handover,
                now=utcnow(),
                actor=actor,
                invalid=invalid,
                denied=self._missing,
            )
            text = f"Ärendena är överlämnade och {name} är inaktiverad."
        else:
            called = await self._call_service(
                users.change_roles,
                uid,
                self._pending_roles,
                handover=handover,
                now=utcnow(),
                actor=actor,
                invalid=invalid,
                denied=self._missing,
            )
            text = f"Ärendena är överlämnade och rollerna för {name} är sparade."
        if called.ok and self._outcome(called.value, text):
            self.pending_user_id, self._pending_roles = "", {}
            self.editing_user_id, self.editing_user = "", {}
            await self._reload(actor)

    @rx.event
    def cancel_handover(self):
        self.handovers, self.pending_action, self.pending_user_id = [], "", ""
        self._pending_roles, self.handover_errors = {}, {}

    # Import ----------------------------------------------------------------------

    def _clear_import(self) -> None:
        self._import_rows, self.import_preview, self.import_counts = [], [], {}
        self.import_file, self.import_ok = "", False

    @rx.event
    async def upload_import(self, files: list[rx.UploadFile]):
        """Read an uploaded CSV or XLSX file and show what applying it would do."""
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self._clear_import()
        self.import_error, self.notice = "", ""
        if not files:
            return
        upload = files[0]
        data = await upload.read(imports.MAX_BYTES + 1)
        name = str(getattr(upload, "name", "") or getattr(upload, "filename", "") or "fil")
        name = name.rsplit("/", 1)[-1][-120:]

        def preview(a):
            rows = imports.parse(data, name)
            return rows, imports.preview(a, rows)

        def invalid(exc: InvalidInput) -> None:
            self.import_error = next(iter(exc.errors.values()), imports.MSG_FILE)

        called = await self._call_service(
            preview, actor=actor, invalid=invalid, denied=self._missing
        )
        if not called.ok:
            return
        rows, plan = called.value
        self._import_rows = rows
        self.import_file = name
        self.import_preview = [p.as_dict() for p in plan.rows]
        self.import_counts = {k: str(v) for k, v in plan.counts.items()}
        self.import_ok = plan.ok

    @rx.event
    async def apply_import(self):
        actor = await self._admin()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        if not self._import_rows or not self.import_ok:
            return
        self.import_error = ""

        def invalid(exc: InvalidInput) -> None:
            self.import_error = next(iter(exc.errors.values()), "")

        called = await self._call_service(
            imports.apply,
            self._import_rows,
            now=utcnow(),
            actor=actor,
            invalid=invalid,
            denied=self._missing,
        )
        if called.ok:
            c = called.value
            self.notice = (
                f"Importen är klar: {c[imports.CREATE]} skapade, {c[imports.CHANGE]} ändrade, "
                f"{c[imports.SAME]} oförändrade."
            )
            self._clear_import()
            await self._reload(actor)

    @rx.event
    def cancel_import(self):
        self._clear_import()
        self.import_error = ""


class StartState(AppState):
    """``/``: send each role to its own start page (a fresh installation to setup)."""

    @rx.event
    async def load(self):
        from kb_app.domain.access import start_page

        if await asyncio.to_thread(setup.needs_setup):
            return rx.redirect(routes.SETUP)
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        return rx.redirect(start_page(actor))
