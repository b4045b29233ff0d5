"""The public report form (``/anmalan/[token]``), its receipt, and supplements
(``/komplettering/[token]``). No login: the unit comes from the link's secret token.

The state holds only what the reporter typed, the unit's name and class names (from
a valid link), and after submitting, the receipt. The typed values are cleared
once the report is safely stored.
"""

from __future__ import annotations

import asyncio
import json

import reflex as rx

from kb_app.dbtypes import utcnow
from kb_app.domain import report as rules
from kb_app.domain.fmt import local
from kb_app.services.reporting import report_links, reports
from kb_app.state import uploads
from kb_app.state.base import AppState

# Top-level text fields the page may set, with how many characters the state keeps
# (a bound on memory, far over the rule's limit: an over-long paste stays in the
# field with its limit as the error beside it, see ``rules.limit_error``).
KEEP = 10
TEXT_FIELDS: dict[str, int] = {
    "reporter_name": KEEP * rules.NAME_MAX,
    "reporter_email": KEEP * rules.EMAIL_MAX,
    "reporter_role": 64,
    "occurred_on": 32,
    "occurred_time": 16,
    "place": 64,
    "place_other": KEEP * rules.PLACE_OTHER_MAX,
    "description": KEEP * rules.DESCRIPTION_MAX,
    "immediate_actions": KEEP * rules.ACTIONS_MAX,
    "guardians_informed": 16,
    "witnesses": KEEP * rules.WITNESSES_MAX,
}
ROW_FIELDS: dict[str, int] = {
    "name": KEEP * rules.NAME_MAX,
    "class_name": KEEP * rules.CLASS_MAX,
    "grade": 8,
    "kind": 16,
}
# The lists of persons: who was subjected, who was involved, who saw it.
LISTS = ("subjected", "involved", "witness")
# The order of the fields on the page: the first with an error gets the focus.
FIELD_ORDER = [
    "reporter_name",
    "reporter_email",
    "reporter_role",
    "occurred_on",
    "occurred_time",
    "place",
    "place_other",
    "description",
    "subjected",
    "involved",
    "witness",
    "kinds",
    "grounds",
    "immediate_actions",
    "guardians_informed",
    "witnesses",
]


def blank_row() -> dict[str, str]:
    row = dict.fromkeys(ROW_FIELDS, "")
    row.update({f"e_{k}": "" for k in ROW_FIELDS})
    return row


def field_id(key: str) -> str:
    """The DOM id of a field: ``subjected.0.name`` -> ``f-subjected-0-name``."""
    return "f-" + key.replace(".", "-").replace("_", "-")


def path_token(path: str, prefix: str) -> str:
    """The token segment of ``/anmalan/<token>`` (also with a trailing slash)."""
    path = path or ""
    if not path.startswith(prefix):
        return ""
    return path[len(prefix) :].strip("/").split("/", 1)[0][:200]


class ReportState(AppState):
    # loading | form | invalid | receipt
    status: str = "loading"
    unit_name: str = ""
    class_options: list[str] = []
    today: str = ""

    reporter_name: str = ""
    reporter_email: str = ""
    reporter_role: str = ""
    occurred_on: str = ""
    occurred_time: str = ""
    place: str = ""
    place_other: str = ""
    description: str = ""
    subjected: list[dict[str, str]] = [blank_row()]
    involved: list[dict[str, str]] = []
    witness: list[dict[str, str]] = []
    kinds: list[str] = []
    grounds: list[str] = []
    immediate_actions: str = ""
    guardians_informed: str = ""
    witnesses: str = ""

    errors: dict[str, str] = {}
    form_error: str = ""
    submitting: bool = False

    reference: str = ""
    supplement_link: str = ""
    already_received: bool = False
    # Files sent from the receipt with the supplement link (names only, this page)
    files: list[str] = []
    file_error: str = ""
    file_busy: bool = False
    file_key: int = 0
    _supplement_token: str = ""

    # What the reporter has typed, kept in the tab's sessionStorage (the browser
    # sends it back when it reconnects, e.g. after a server restart, and ``load``
    # restores it). A new tab, or a new browser, starts without it; the state
    # boundary resets this state on every connection.
    draft: str = rx.SessionStorage("", name="kb_report_draft")

    _token: str = ""
    _submission_id: str = ""
    _summary: bool = False  # form_error is the "rätta uppgifterna" summary
    _class_grades: dict[str, str] = {}

    # ------------------------------------------------------------ loading

    def _clear_form(self) -> None:
        for key in TEXT_FIELDS:
            setattr(self, key, "")
        self.subjected = [blank_row()]
        self.involved = []
        self.witness = []
        self.kinds = []
        self.grounds = []
        self.errors = {}
        self.form_error = ""
        self._summary = False
        self._submission_id = reports.new_submission_id()
        self.draft = ""

    def _save_draft(self) -> None:
        if self.status != "form" or not self._token:
            return
        rows = {
            which: [{k: r.get(k, "") for k in ROW_FIELDS} for r in getattr(self, which)]
            for which in LISTS
        }
        self.draft = json.dumps(
            {
                "link": self._token,
                "fields": {k: getattr(self, k) for k in TEXT_FIELDS if getattr(self, k)},
                **rows,
                "kinds": self.kinds,
                "grounds": self.grounds,
            },
            ensure_ascii=False,
        )

    def _restore_draft(self, saved: str) -> None:
        """The draft the browser kept, for this link only, taken field by field
        with the same limits as typing (it comes from the client)."""
        try:
            data = json.loads(saved) if saved else None
        except ValueError:
            return
        if not isinstance(data, dict) or data.get("link") != self._token:
            return
        fields = data.get("fields")
        if isinstance(fields, dict):
            for key, cap in TEXT_FIELDS.items():
                if isinstance(fields.get(key), str):
                    setattr(self, key, rules.transport_safe(fields[key])[:cap])
        for which in LISTS:
            rows = data.get(which)
            if not isinstance(rows, list):
                continue
            kept = []
            for r in rows[: rules.MAX_PARTIES]:
                if isinstance(r, dict):
                    row = blank_row()
                    for key, cap in ROW_FIELDS.items():
                        if isinstance(r.get(key), str):
                            row[key] = rules.transport_safe(r[key])[:cap]
                    kept.append(row)
            if kept or which != "subjected":
                setattr(self, which, kept)
        for which, universe in (("kinds", rules.KIND_CODES), ("grounds", rules.GROUND_CODES)):
            chosen = data.get(which)
            if isinstance(chosen, list):
                setattr(self, which, [c for c in universe if c in chosen])
        self._save_draft()

    @rx.event
    async def load(self):
        token = path_token(self.router.url.path, report_links.REPORT_PATH)
        if self.status == "receipt" and token == self._token:
            return  # the same page again on this connection keeps the receipt
            # (a reload is a new connection: the state boundary empties the form)
        saved = self.draft  # what the browser sent back when it connected
        target = await asyncio.to_thread(report_links.resolve, token)
        self.submitting = False
        if target is None:
            self.status = "invalid"
            self.unit_name = ""
            self.class_options = []
            self._token = ""
            return
        if token != self._token or self.status == "receipt":
            self._clear_form()  # a draft belongs to its own link
        if not self._submission_id:
            self._submission_id = reports.new_submission_id()
        self._token = token
        self.unit_name = target.unit_name
        self.class_options = list(target.classes)
        self._class_grades = {name.casefold(): grade for name, grade in target.classes.items()}
        self.today = local(utcnow()).date().isoformat()
        self.reference = ""
        self.supplement_link = ""
        self.status = "form"
        if saved and not self.description and not self.reporter_name:
            self._restore_draft(saved)

    # ------------------------------------------------------------ typing

    @rx.event
    def set_field(self, key: str, value: str):
        if key not in TEXT_FIELDS or not isinstance(value, str):
            return
        value = value[: TEXT_FIELDS[key]]
        setattr(self, key, value)
        self._clear_error(key)
        if too_long := rules.limit_error(key, value):
            self.errors = {**self.errors, key: too_long}
        if key == "place":
            self._clear_error("place_other")
        if key == "occurred_on":
            self._clear_error("occurred_time")
        self._save_draft()

    @rx.event
    def set_row(self, which: str, index: int, key: str, value: str):
        if which not in LISTS or key not in ROW_FIELDS:
            return
        if not isinstance(value, str) or not isinstance(index, int):
            return
        rows = list(getattr(self, which))
        if not 0 <= index < len(rows):
            return
        row = dict(rows[index])
        row[key] = value[: ROW_FIELDS[key]]
        row[f"e_{key}"] = rules.limit_error(key, row[key])
        # A class of the unit fills in its grade (the reporter may still change it).
        grade = self._class_grades.get(row["class_name"].strip().casefold(), "")
        if key == "class_name" and which == "subjected" and grade and not row.get("grade"):
            row["grade"] = grade
        rows[index] = row
        setattr(self, which, rows)
        self._drop_summary_when_fixed()
        self._save_draft()

    @rx.event
    def add_row(self, which: str):
        if which not in LISTS:
            return
        rows = list(getattr(self, which))
        if len(rows) < rules.MAX_PARTIES:
            setattr(self, which, [*rows, blank_row()])
            self._save_draft()
        index = len(getattr(self, which)) - 1
        first = "name" if which == "subjected" else "kind"
        return rx.call_script(
            f"document.getElementById('{field_id(f'{which}.{index}.{first}')}')?.focus()"
        )

    @rx.event
    def remove_row(self, which: str, index: int):
        if which not in LISTS or not isinstance(index, int):
            return
        rows = [dict(r) for r in getattr(self, which)]
        if not 0 <= index < len(rows) or (which == "subjected" and len(rows) == 1):
            return
        del rows[index]
        # Row errors are keyed by position: they are shown again after the next submit.
        for row in rows:
            row.update({f"e_{key}": "" for key in ROW_FIELDS})
        setattr(self, which, rows)
        self._drop_summary_when_fixed()
        self._save_draft()

    @rx.event
    def toggle(self, which: str, code: str, checked: bool):
        universe = {"kinds": rules.KIND_CODES, "grounds": rules.GROUND_CODES}.get(which)
        if universe is None or code not in universe:
            return
        chosen = [c for c in getattr(self, which) if c != code]
        if checked:
            chosen.append(code)
        setattr(self, which, [c for c in universe if c in chosen])
        self._clear_error(which)
        self._save_draft()

    def _clear_error(self, key: str) -> None:
        if key in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != key}
        self._drop_summary_when_fixed()

    def _drop_summary_when_fixed(self) -> None:
        if not self._summary or self.errors:
            return
        rows = [*self.subjected, *self.involved, *self.witness]
        if not any(row.get(f"e_{key}") for row in rows for key in ROW_FIELDS):
            self.form_error = ""
            self._summary = False

    # ------------------------------------------------------------ submitting

    def _form_data(self) -> dict:
        data = {key: getattr(self, key) for key in TEXT_FIELDS}
        data["subjected"] = [{k: row.get(k, "") for k in ROW_FIELDS} for row in self.subjected]
        for which in ("involved", "witness"):
            data[which] = [{k: row.get(k, "") for k in ROW_FIELDS} for row in getattr(self, which)]
        data["kinds"] = list(self.kinds)
        data["grounds"] = list(self.grounds)
        return data

    def _show_errors(self, errors: dict[str, str]) -> str | None:
        """Put the errors beside their fields; returns the id of the first one."""
        top = {k: v for k, v in errors.items() if k.count(".") != 2}
        for which in LISTS:
            rows = [dict(r) for r in getattr(self, which)]
            for i, row in enumerate(rows):
                for key in ROW_FIELDS:
                    row[f"e_{key}"] = errors.get(f"{which}.{i}.{key}", "")
            setattr(self, which, rows)
        self.errors = top
        for key in FIELD_ORDER:
            if key in LISTS:
                for i in range(len(getattr(self, key))):
                    for sub in ROW_FIELDS:
                        if f"{key}.{i}.{sub}" in errors:
                            return field_id(f"{key}.{i}.{sub}")
            if key in errors:
                return field_id(key)
        return None

    @rx.event
    async def submit(self):
        if self.status != "form" or self.submitting:
            return
        self.submitting = True
        self.form_error = ""
        yield
        try:
            result = await asyncio.to_thread(
                reports.submit_report,
                self._token,
                self._form_data(),
                self._submission_id,
                client=self.router.session.client_ip or "",
                now=utcnow(),
            )
        except Exception as exc:  # noqa: BLE001 - logged with an id, shown in Swedish
            self.submitting = False
            self._fail(exc)
            self.form_error = (
                self.error_message + " Det du har skrivit finns kvar; försök skicka igen."
            )
            return
        self.submitting = False
        if result.ok:
            self.reference = result.reference
            self.already_received = result.duplicate
            self.supplement_link = (
                report_links.supplement_url(result.supplement_token)
                if result.supplement_token
                else ""
            )
            self._clear_form()  # nothing typed stays in the state after the receipt
            self._supplement_token = result.supplement_token or ""
            self._clear_files()
            self.status = "receipt"
            yield rx.call_script("window.scrollTo(0, 0)")
            return
        if result.link_invalid:
            # The link was rotated while they typed: keep the text on screen to copy.
            self.form_error = (
                "Länken har slutat gälla medan du skrev, så anmälan kunde inte skickas. "
                "Kopiera det du har skrivit och be rektor om den nya länken."
            )
            return
        first = self._show_errors(result.errors)
        self._summary = rules.FORM not in result.errors
        self.form_error = result.errors.get(rules.FORM) or (
            "Anmälan är inte skickad ännu. "
            + ("Rätta uppgiften" if len(result.errors) == 1 else "Rätta uppgifterna")
            + " som är markerade med rött ovan. Det du har skrivit finns kvar."
        )
        if first:
            yield rx.call_script(f"document.getElementById('{first}')?.focus()")

    @rx.event
    def new_report(self):
        """From the receipt: a fresh, empty form for the same link."""
        self._clear_form()
        self.reference = ""
        self.supplement_link = ""
        self._supplement_token = ""
        self._clear_files()
        self.already_received = False
        self.status = "form" if self._token else "invalid"
        return rx.call_script("window.scrollTo(0, 0)")

    def _clear_files(self) -> None:
        self.files, self.file_error, self.file_busy = [], "", False

    @rx.event
    def attach_file(self, _form: dict):
        """ "Skicka filen" on the receipt: the browser posts the file with the
        supplement link (the route checks the link, the file and the limits)."""
        self.file_error = ""
        if self.status != "receipt" or not self._supplement_token:
            return None
        self.file_busy = True
        return rx.call_script(
            uploads.upload_script(uploads.reporter_url(self._supplement_token)),
            callback=ReportState.attach_done,
        )

    @rx.event
    def attach_done(self, result: str):
        uploads.take(self, result)


class SupplementState(AppState):
    # loading | form | invalid | done
    status: str = "loading"
    reference: str = ""
    text: str = ""
    error: str = ""
    submitting: bool = False
    files: list[str] = []  # sent on this page (names only)
    file_error: str = ""
    file_busy: bool = False
    file_key: int = 0
    _token: str = ""

    @rx.event
    async def load(self):
        token = path_token(self.router.url.path, report_links.SUPPLEMENT_PATH)
        reference = await asyncio.to_thread(reports.supplement_reference, token)
        self.submitting = False
        if reference is None:
            self.status, self.reference, self._token, self.text = "invalid", "", "", ""
            self.files, self.file_error, self.file_busy = [], "", False
            return
        if token != self._token:
            self.text = ""
            self.files, self.file_error, self.file_busy = [], "", False
        self._token = token
        self.reference = reference
        self.error = ""
        self.status = "form"

    @rx.event
    def set_text(self, value: str):
        if isinstance(value, str):
            self.text = value[: KEEP * rules.SUPPLEMENT_MAX]
            self.error = rules.limit_error("supplement", self.text)

    @rx.event
    async def submit(self):
        if self.status != "form" or self.submitting:
            return
        self.submitting = True
        yield
        try:
            result = await asyncio.to_thread(
                reports.add_supplement,
                self._token,
                self.text,
                client=self.router.session.client_ip or "",
                now=utcnow(),
            )
        except Exception as exc:  # noqa: BLE001
            self.submitting = False
            self._fail(exc)
            self.error = self.error_message
            return
        self.submitting = False
        if result.ok:
            self.text = ""
            self.status = "done"
        elif result.link_invalid:
            self.status, self.reference, self.text = "invalid", "", ""
        else:
            self.error = result.error

    @rx.event
    def another(self):
        self.status = "form" if self._token else "invalid"
        self.error = ""

    @rx.event
    def attach_file(self, _form: dict):
        """ "Skicka filen": the browser posts the file with this page's link."""
        self.file_error = ""
        if self.status not in ("form", "done") or not self._token:
            return None
        self.file_busy = True
        return rx.call_script(
            uploads.upload_script(uploads.reporter_url(self._token)),
            callback=SupplementState.attach_done,
        )

    @rx.event
    def attach_done(self, result: str):
        if uploads.take(self, result) == uploads.attachments.MSG_LINK:
            self.status, self.reference, self._token = "invalid", "", ""
