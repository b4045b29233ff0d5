"""“Vem har läst ärendet”: the access log of one case, for its principals and
the organisers (``Action.VIEW_ACCESS_LOG``), newest first, one page at a time.

Looking at the log is itself logged (like every read of the case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.domain.access import Action, Actor
from kb_app.domain.fmt import sv_datetime
from kb_app.domain.process import EVENT_LABELS
from kb_app.models import AccessLog, User
from kb_app.services.case.access import _read

PAGE_SIZE = 20

# What a logged action is called on the page; a step is "Ändrade ärendet: <step>".
ACTION_LABELS = {
    Action.READ_CASE: "Läste ärendet",
    Action.EXPORT_CASE: "Hämtade ärendeakten",
    Action.DOWNLOAD_ATTACHMENT: "Hämtade en bilaga",
    Action.VIEW_ACCESS_LOG: "Såg vem som läst ärendet",
    Action.ATTACH_FILE: "Bifogade en fil",
    Action.COMMENT: "Skrev en kommentar",
    Action.DELEGATE: "Delegerade utredningen",
    Action.WITHDRAW_DELEGATION: "Återkallade en delegering",
    Action.TAKE_OVER: "Tog över ärendet",
    Action.RESOLVE_CONFLICT: "Tog ställning till jäv",
    Action.RECEIVE: "Tog emot anmälan",
    Action.START_INVESTIGATION: "Påbörjade utredningen",
    Action.RECORD_INVESTIGATION: "Registrerade utredningen",
    Action.PROPOSE_MEASURES: "Föreslog åtgärder",
    Action.DECIDE_MEASURES: "Beslutade om åtgärder",
    Action.FOLLOW_UP: "Följde upp",
    Action.CLOSE: "Avslutade ärendet",
    Action.REOPEN: "Återöppnade ärendet",
    "export_reply_pack": "Hämtade svarspaketet",
    "preview_reply_pack": "Såg svarspaketet",
    "reply_pack_staff_named": "Svarspaket med personal namngiven",
    "register_search": "Fann ärendet vid sökning för registerutdrag",
    Action.ARCHIVE_EXPORT: "Tog med ärendet i ett arkivpaket",
    "register_extract": "Tog med ärendet i ett registerutdrag",
}

KIND_READ, KIND_DOWNLOAD, KIND_EXPORT, KIND_CHANGE, KIND_REFUSED = (
    "read",
    "download",
    "export",
    "change",
    "refused",
)
KIND_LABELS = {
    KIND_READ: "Läsning",
    KIND_DOWNLOAD: "Hämtning",
    KIND_EXPORT: "Export",
    KIND_CHANGE: "Ändring",
    KIND_REFUSED: "Nekad",
}


def _kind(action: str, allowed: bool) -> str:
    if not allowed:
        return KIND_REFUSED
    if action == Action.DOWNLOAD_ATTACHMENT:
        return KIND_DOWNLOAD
    if (
        action.startswith("export")
        or action.startswith("reply_pack")
        or action == "preview_reply_pack"
        or action == "register_extract"
    ):
        return KIND_EXPORT
    if action in (Action.READ_CASE, Action.VIEW_ACCESS_LOG, "register_search"):
        return KIND_READ
    return KIND_CHANGE


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or EVENT_LABELS.get(action) or action


@dataclass(frozen=True)
class AccessPage:
    rows: list[dict[str, str]]
    page: int  # 1-based, clamped to the pages there are
    pages: int
    total: int


def _page(s: Session, case_id: int, page: int) -> AccessPage:
    total = s.exec(
        select(func.count()).select_from(AccessLog).where(AccessLog.case_id == case_id)
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    found = s.exec(
        select(AccessLog, User.name)
        .join(User, User.id == AccessLog.user_id, isouter=True)
        .where(AccessLog.case_id == case_id)
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    rows = []
    for a, name in found:
        kind = _kind(a.action, a.allowed)
        rows.append(
            {
                "id": str(a.id),
                "who": name or "Okänd (ej inloggad)",
                "when": sv_datetime(a.at),
                "what": action_label(a.action),
                "kind": kind,
                "kind_label": KIND_LABELS[kind],
            }
        )
    return AccessPage(rows=rows, page=page, pages=pages, total=total)


def access_history(
    actor: Actor | None, case_id: Any, *, page: int = 1, now: datetime
) -> AccessPage:
    """One page of the case's access log, newest first (VIEW_ACCESS_LOG, logged)."""
    wanted = page if isinstance(page, int) and 0 < page < 10**6 else 1
    return _read(
        actor, case_id, Action.VIEW_ACCESS_LOG, now, lambda s, c, _f, _d: _page(s, c.id, wanted)
    )
