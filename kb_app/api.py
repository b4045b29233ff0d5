"""Plain HTTP routes beside Reflex's websocket: login, logout, setting a first
password, and the case file as PDF.

The form posts set or clear the HttpOnly session cookie and redirect; the page
load that follows opens a new websocket that carries the cookie. Mounted through
``rx.App(api_transformer=...)``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from urllib.parse import parse_qs, unquote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from kb_app import routes as paths
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Action, can, start_page
from kb_app.errors import AccessDenied, request_id
from kb_app.services.admin import account, auth, sso
from kb_app.settings import get_settings

log = logging.getLogger("kb_app.auth")

SESSION_COOKIE = "kb_session"
EMAIL_COOKIE = "kb_login_email"  # keeps the typed e-mail across a failed login
MAX_FORM_BYTES = 8192


def _same_origin(request: Request) -> bool:
    """CSRF defence: the Origin (or Referer) must be our own.

    Pages are sent with ``Referrer-Policy: no-referrer``, under which a browser
    posts a form with ``Origin: null`` and no Referer; it then still says where
    the request comes from in ``Sec-Fetch-Site``, a header no page can set."""
    origin = request.headers.get("origin") or ""
    if origin == "null" or not origin:
        if request.headers.get("sec-fetch-site") == "same-origin":
            return True
        referer = request.headers.get("referer") or ""
        parts = referer.split("/")
        origin = "/".join(parts[:3]) if len(parts) >= 3 else ""
    if not origin:
        return False
    settings = get_settings()
    if settings.public_url_configured:
        # Never trust the Host header when the public address is known.
        return origin == settings.public_origin
    host = request.headers.get("host", "")
    return origin in {settings.public_origin, f"http://{host}", f"https://{host}"}


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _cookie_args() -> dict:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": get_settings().secure_cookies,
        "path": "/",
    }


async def login(request: Request):
    if not _same_origin(request):
        log.warning("login refused: cross-origin post from %s", _client(request))
        return PlainTextResponse("Ogiltig begäran.", status_code=403)
    form = await _form(request)
    email = auth.normalise_email(form.get("email", ""))
    result = await run_in_threadpool(
        auth.login,
        email,
        form.get("password", ""),
        client=_client(request),
        user_agent=request.headers.get("user-agent", ""),
        now=utcnow(),
    )
    if result.delay:
        await asyncio.sleep(result.delay)  # spraying from this address: slowed down
    if not result.ok:
        log.info("login failed for an account from %s", _client(request))
        code = {auth.MSG_LOCKED: "last", auth.MSG_THROTTLED: "paus"}.get(result.message, "fel")
        query = {"fel": code}
        if nxt := paths.safe_next(form.get(paths.NEXT_PARAM, "")):
            query[paths.NEXT_PARAM] = nxt  # still returning there after the next try
        resp = RedirectResponse(paths.LOGIN + "?" + urlencode(query), status_code=303)
        resp.set_cookie(EMAIL_COOKIE, email, max_age=600, **_cookie_args())
        return resp
    log.info("login ok for user %s", result.actor.user_id)
    # The second factor first, if due; else back to the page that sent the user
    # here (a local path only), else the start page.
    target = (
        {
            auth.STAGE_VERIFY: paths.SECOND_FACTOR,
            auth.STAGE_ENROL: paths.SECOND_FACTOR_ENROL,
        }.get(result.stage)
        or paths.safe_next(form.get(paths.NEXT_PARAM, ""))
        or start_page(result.actor)
    )
    resp = RedirectResponse(target, status_code=303)
    resp.delete_cookie(EMAIL_COOKIE, path="/")
    settings = get_settings()
    resp.set_cookie(
        SESSION_COOKIE, result.token, max_age=settings.session_max_hours * 3600, **_cookie_args()
    )
    return resp


async def logout(request: Request):
    if not _same_origin(request):
        return PlainTextResponse("Ogiltig begäran.", status_code=403)
    method = await run_in_threadpool(
        auth.logout, request.cookies.get(SESSION_COOKIE), now=utcnow(), client=_client(request)
    )
    query = {"utloggad": "1"}
    if method == "sso" and get_settings().oidc_enabled:
        query["sso"] = "1"  # the login page offers the provider's logout too
    resp = RedirectResponse(paths.LOGIN + "?" + urlencode(query), status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


async def set_password(request: Request):
    """The form of /satt-losenord/<token>: set the first password of an invited user."""
    from kb_app.services.case import invites

    if not _same_origin(request):
        return PlainTextResponse("Ogiltig begäran.", status_code=403)
    form = await _form(request)
    token = form.get("token", "")
    problem = await run_in_threadpool(
        invites.use_token,
        token,
        form.get("password", ""),
        form.get("password2", ""),
        client=_client(request),
        now=utcnow(),
    )
    if problem is None:
        log.info("a password was set through a one-time link")
        resp = RedirectResponse(paths.LOGIN + "?" + urlencode({"losenord": "1"}), status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp
    code = {
        invites.MSG_INVALID: "ogiltig",
        invites.MSG_MISMATCH: "olika",
        account.MSG_WEAK: "svagt",
    }.get(problem, "kort")
    safe_token = "".join(ch for ch in token if ch.isalnum() or ch in "-_")[:100]
    return RedirectResponse(
        f"{paths.SET_PASSWORD}/{safe_token}?" + urlencode({"fel": code}), status_code=303
    )


CHANGE_ERRORS = {
    account.MSG_WRONG_CURRENT: "nuvarande",
    account.MSG_MISMATCH: "olika",
    account.MSG_WEAK: "svagt",
    account.MSG_SAME: "samma",
}


async def change_password(request: Request):
    """The form on "Mitt konto": the current password, the new one twice."""
    if not _same_origin(request):
        return PlainTextResponse("Ogiltig begäran.", status_code=403)
    form = await _form(request)
    token = request.cookies.get(SESSION_COOKIE)
    actor = await run_in_threadpool(auth.resolve_session, token, now=utcnow())
    if actor is None:
        return RedirectResponse(paths.LOGIN, status_code=303)
    problem = await run_in_threadpool(
        account.change_password,
        token,
        form.get("current", ""),
        form.get("password", ""),
        form.get("password2", ""),
        client=_client(request),
        now=utcnow(),
    )
    if problem is None:
        log.info("user %s changed their password", actor.user_id)
        query = {"losenord": "andrat"}
    else:
        query = {"fel": CHANGE_ERRORS.get(problem, "kort")}
    return RedirectResponse(paths.ACCOUNT + "?" + urlencode(query), status_code=303)


async def forgot_password(request: Request):
    """ "Glömt lösenordet?": the same answer whether or not the address exists."""
    if not _same_origin(request):
        return PlainTextResponse("Ogiltig begäran.", status_code=403)
    form = await _form(request)
    await run_in_threadpool(
        account.request_reset, form.get("email", ""), client=_client(request), now=utcnow()
    )
    return RedirectResponse(paths.FORGOT_PASSWORD + "?skickat=1", status_code=303)


NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def case_pdf(request: Request):
    """GET /akt/<id>.pdf: the case file (Ärendeakt) for those who may export it."""
    from kb_app.services.case import case_pdf
    from kb_app.services.case.view import case_file

    actor = await run_in_threadpool(
        auth.resolve_session, request.cookies.get(SESSION_COOKIE), now=utcnow()
    )
    raw = request.path_params.get("case_id", "")
    case_id = int(raw) if raw.isdigit() and len(raw) < 12 else -1
    try:
        view = await run_in_threadpool(case_file, actor, case_id, now=utcnow())
    except AccessDenied as exc:
        return PlainTextResponse(exc.message, status_code=404, headers=NO_STORE)
    data = await run_in_threadpool(case_pdf.render, view)
    filename = f"arendeakt-{view.reference}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


_POSTER = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anmäl kränkande behandling · {unit}</title>
<style>
body {{ font-family: system-ui, sans-serif; color: #111; margin: 0; }}
main {{ max-width: 42rem; margin: 2rem auto; padding: 0 1.5rem; text-align: center; }}
h1 {{ font-size: 2.2rem; margin: 0 0 .5rem; }}
.unit {{ font-size: 1.4rem; color: #333; margin: 0 0 1.5rem; }}
.qr svg {{ width: min(80vw, 22rem); height: auto; }}
.url {{ font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; }}
.text {{ font-size: 1.1rem; line-height: 1.5; text-align: left; }}
.noprint {{ margin-top: 2rem; }}
@media print {{ .noprint {{ display: none; }} main {{ margin-top: 0; }} }}
</style></head><body><main>
<h1>Har ett barn eller en elev blivit kränkt?</h1>
<p class="unit">{unit}</p>
<div class="qr">{svg}</div>
<p class="url">{url}</p>
<div class="text">
<p>All personal som får veta att ett barn eller en elev anser sig ha blivit utsatt för
kränkande behandling ska anmäla det till rektor (skollagen 6 kap. 10 §).</p>
<p>Skanna koden med mobilen eller öppna länken. Du behöver inte logga in. Anmälan går
direkt till rektor och huvudman.</p>
<p>Länken är bara för personalen: sätt upp affischen där elever och besökare inte ser den.</p>
</div>
<p class="noprint">Skriv ut med Ctrl+P (Cmd+P på Mac), gärna på A4 i stående format.</p>
</main></body></html>
"""


async def import_template(request: Request):
    """GET /admin/importmall.csv: the template of the import of units, classes, users."""
    from kb_app.services.organisation import imports

    actor, redirect = await _export_actor(request)
    if redirect is not None:
        return redirect
    if not can(actor, Action.ADMINISTER):
        return PlainTextResponse(MSG_FORBIDDEN, status_code=403, headers=NO_STORE)
    return _download(imports.template_csv(), "importmall.csv", "text/csv; charset=utf-8")


async def report_poster(request: Request):
    """GET /anmalningslankar/affisch/<unit id>: a printable poster with the unit's QR code."""
    import html

    from kb_app.services.reporting import report_links

    actor, redirect = await _export_actor(request)
    if redirect is not None:
        return redirect
    raw = request.path_params.get("unit_id", "")
    unit_id = int(raw) if raw.isdigit() and len(raw) < 12 else -1
    try:
        unit, url, svg = await run_in_threadpool(report_links.poster, actor, unit_id)
    except AccessDenied as exc:
        return PlainTextResponse(exc.message, status_code=404, headers=NO_STORE)
    page = _POSTER.format(unit=html.escape(unit), url=html.escape(url), svg=svg)
    return HTMLResponse(page, headers=NO_STORE)


# --------------------------------------------------------------------------- downloads
# Exports are generated per request after the session and the access policy are
# checked; nothing is ever written to a public folder.

MSG_FORBIDDEN = "Du saknar behörighet att hämta detta."


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": _disposition(filename)},
    )


async def _export_actor(request: Request):
    """The signed-in actor, or the response to give instead (login page)."""
    actor = await run_in_threadpool(
        auth.resolve_session, request.cookies.get(SESSION_COOKIE), now=utcnow()
    )
    if actor is None:
        return None, RedirectResponse(paths.LOGIN, status_code=303)
    return actor, None


async def _statistics_export(request: Request, formats: tuple[str, ...]):
    """(format, actor, filters) of a statistics download, or the response to give
    instead (404 for an unknown format, the login page, 400 for bad filters)."""
    fmt = request.path_params["fmt"]
    if fmt not in formats:
        return None, PlainTextResponse("Finns inte.", status_code=404)
    actor, resp = await _export_actor(request)
    if resp is not None:
        return None, resp
    filters, problem = _filters(request)
    if filters is None:
        return None, PlainTextResponse(problem, status_code=400, headers=NO_STORE)
    return (fmt, actor, filters), None


def _filters(request: Request):
    from kb_app.dbtypes import utcnow
    from kb_app.domain import statistics as st
    from kb_app.services.statistics.queries import today_local

    return st.parse_filters(dict(request.query_params), today_local(utcnow()))


async def export_cases(request: Request):
    from kb_app.errors import AccessDenied
    from kb_app.services.statistics import exports

    asked, resp = await _statistics_export(request, ("csv", "xlsx"))
    if resp is not None:
        return resp
    fmt, actor, filters = asked
    names = request.query_params.get("namn") == "1"

    def make() -> tuple[bytes, str]:
        cases = exports.case_list(actor, filters, include_names=names, now=utcnow())
        if fmt == "xlsx":
            return exports.to_xlsx(cases), cases.filename_stem + ".xlsx"
        return exports.to_csv(cases), cases.filename_stem + ".csv"

    try:
        body, filename = await run_in_threadpool(make)
    except AccessDenied:
        return PlainTextResponse(MSG_FORBIDDEN, status_code=403, headers=NO_STORE)
    log.info("user %s exported cases (%s, names=%s)", actor.user_id, fmt, names)
    media = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    return _download(body, filename, media)


async def export_report(request: Request):
    from kb_app.errors import AccessDenied
    from kb_app.services.statistics import yearly_report as reports

    asked, resp = await _statistics_export(request, ("html", "pdf"))
    if resp is not None:
        return resp
    fmt, actor, filters = asked
    try:
        rep = await run_in_threadpool(reports.yearly_report, actor, filters, now=utcnow())
    except AccessDenied:
        return PlainTextResponse(MSG_FORBIDDEN, status_code=403, headers=NO_STORE)
    if fmt == "html":
        return HTMLResponse(reports.report_html(rep), headers=NO_STORE)
    body = await run_in_threadpool(reports.report_pdf, rep)
    return _download(body, rep.filename_stem + ".pdf", "application/pdf")


def _reply_pack_args(request: Request) -> dict:
    q = request.query_params

    def number(key: str) -> int | None:
        value = q.get(key, "")
        return int(value) if re.fullmatch(r"[0-9]{1,12}", value) else None

    return {
        "case_id": number("id"),
        "party_id": number("part"),
        "reference": (q.get("ref") or "").strip()[:32] or None,
        "show_staff": q.get("personal") == "1",
    }


async def _reply_pack(request: Request, *, preview: bool):
    from kb_app.errors import AccessDenied, InvalidInput
    from kb_app.services.statistics import reply_pack

    actor, resp = await _export_actor(request)
    if resp is not None:
        return None, resp
    args = _reply_pack_args(request)
    try:
        pack = await run_in_threadpool(
            lambda: reply_pack.build(actor, **args, preview=preview, now=utcnow())
        )
    except AccessDenied as exc:
        return None, PlainTextResponse(exc.message, status_code=404, headers=NO_STORE)
    except InvalidInput as exc:
        message = next(iter(exc.errors.values()), reply_pack.MSG_NOT_SUBJECTED)
        return None, PlainTextResponse(message, status_code=400, headers=NO_STORE)
    return (actor, pack), None


async def export_reply_pack(request: Request):
    built, resp = await _reply_pack(request, preview=False)
    if resp is not None:
        return resp
    actor, pack = built
    body = await run_in_threadpool(lambda: pack.pdf)
    log.info("user %s exported the reply pack of case %s", actor.user_id, pack.reference)
    return _download(body, pack.filename, "application/pdf")


async def preview_reply_pack(request: Request):
    """The reply pack as a web page: the same content as the PDF, with the choice
    of child and of naming staff, and the download of exactly that."""
    built, resp = await _reply_pack(request, preview=True)
    if resp is not None:
        return resp
    _actor, pack = built
    return HTMLResponse(pack.html(), headers=NO_STORE)


# --------------------------------------------------------------------------- register extract
# Organisers only. The name travels in a POST body, never in an address.


async def _register_request(request: Request):
    """(actor, name) of a register-extract request, or the response to give instead."""
    actor, resp = await _export_actor(request)
    if resp is not None:
        return None, resp
    if not can(actor, Action.REGISTER_EXTRACT):
        return None, PlainTextResponse(MSG_FORBIDDEN, status_code=403, headers=NO_STORE)
    if request.method == "GET":
        return (actor, None), None
    if not _same_origin(request):
        return None, PlainTextResponse("Ogiltig begäran.", status_code=403)
    form = await _form(request)
    return (actor, form.get("namn", "")), None


async def register_extract_page(request: Request):
    from kb_app.errors import InvalidInput
    from kb_app.services.statistics import register_extract

    asked, resp = await _register_request(request)
    if resp is not None:
        return resp
    actor, name = asked
    if name is None:
        return HTMLResponse(register_extract.render_html(None), headers=NO_STORE)
    try:
        found = await run_in_threadpool(lambda: register_extract.search(actor, name, now=utcnow()))
    except AccessDenied as exc:
        return PlainTextResponse(exc.message, status_code=403, headers=NO_STORE)
    except InvalidInput as exc:
        error = next(iter(exc.errors.values()), register_extract.MSG_NAME)
        return HTMLResponse(
            register_extract.render_html(None, name=name, error=error), headers=NO_STORE
        )
    log.info("user %s searched the register: %s cases", actor.user_id, len(found.hits))
    return HTMLResponse(register_extract.render_html(found, name=name), headers=NO_STORE)


async def register_extract_pdf(request: Request):
    from kb_app.errors import InvalidInput
    from kb_app.services.statistics import register_extract

    asked, resp = await _register_request(request)
    if resp is not None:
        return resp
    actor, name = asked
    try:
        body, filename = await run_in_threadpool(
            lambda: register_extract.extract_pdf(actor, name or "", now=utcnow())
        )
    except AccessDenied as exc:
        return PlainTextResponse(exc.message, status_code=403, headers=NO_STORE)
    except InvalidInput as exc:
        error = next(iter(exc.errors.values()), register_extract.MSG_NAME)
        return HTMLResponse(
            register_extract.render_html(None, name=name or "", error=error),
            status_code=400,
            headers=NO_STORE,
        )
    log.info("user %s made a register extract", actor.user_id)
    return _download(body, filename, "application/pdf")


# --------------------------------------------------------------------------- archive packages
# Organisers only: closed cases as an E-ARK SIP (services/case/archive.py).


async def export_archive(request: Request):
    """GET /export/arkivpaket.zip?ar=<closing year> or ?ref=<case number>."""
    import tempfile

    from starlette.concurrency import iterate_in_threadpool
    from starlette.responses import StreamingResponse

    from kb_app.errors import InvalidInput
    from kb_app.services.case import archive
    from kb_app.settings import private_dir

    actor, resp = await _export_actor(request)
    if resp is not None:
        return resp
    q = request.query_params
    year_raw = q.get("ar", "")
    year = int(year_raw) if re.fullmatch(r"(19|20|21)[0-9]{2}", year_raw) else None
    ref = (q.get("ref") or "").strip()[:32] or None
    # Written to an unnamed temporary file in the private data folder (never a
    # public one), then streamed: a year's attachments need not fit in memory.
    tmp = tempfile.TemporaryFile(dir=private_dir(get_settings().data_dir / "tmp"))
    try:
        package = await run_in_threadpool(
            lambda: archive.write_package(actor, tmp, year=year, reference=ref, now=utcnow())
        )
    except AccessDenied as exc:
        tmp.close()
        return PlainTextResponse(exc.message, status_code=403, headers=NO_STORE)
    except InvalidInput as exc:
        tmp.close()
        message = next(iter(exc.errors.values()), archive.MSG_CHOOSE)
        return PlainTextResponse(message, status_code=400, headers=NO_STORE)
    except BaseException:
        tmp.close()
        raise
    log.info(
        "user %s exported an archive package of %s cases", actor.user_id, len(package.references)
    )
    size = tmp.tell()
    tmp.seek(0)

    def chunks():
        try:
            while chunk := tmp.read(1 << 20):
                yield chunk
        finally:
            tmp.close()

    return StreamingResponse(
        iterate_in_threadpool(chunks()),
        media_type="application/zip",
        headers={
            **NO_STORE,
            "Content-Disposition": _disposition(package.filename),
            "Content-Length": str(size),
        },
    )


# --------------------------------------------------------------------------- gallring
# Organisers only: the list, legal holds and the gallring record
# (services/retention). Every post comes back to the page with a message.


def _ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",")[:1000] if x.isdigit() and len(x) < 12]


_REFERENCE = re.compile(r"[A-Z]{1,8}-\d{4}-\d{1,8}")


def _gallring_message(query) -> str:
    """The confirmation after a post, from the address the post redirected to: a
    fixed text per action, with only case references (checked) filled in."""
    refs = [r for r in query.get("arenden", "").split(",")[:20] if _REFERENCE.fullmatch(r)]
    one = refs[0] if refs else ""
    match query.get("klart", ""):
        case "approve":
            n = len(refs)
            text = f"{n} ärende{'n' if n != 1 else ''} {'gallrade' if n != 1 else 'gallrat'}"
            text += f": {', '.join(refs)}." if refs else "."
            skipped = query.get("kvar", "")
            if skipped.isdigit() and int(skipped) > 0:
                text += (
                    f" {skipped} gallrades inte (en bevarandespärr, inte längre aktuellt "
                    "eller inte levererat till e-arkivet)."
                )
            return text
        case "take_off" if one:
            return f"{one} är borttaget från listan."
        case "delivered" if one:
            return f"{one} är markerat som levererat till e-arkivet."
        case "hold" if one:
            return f"{one} har fått en bevarandespärr och föreslås inte för gallring."
        case "lift" if one:
            return f"Bevarandespärren för {one} är hävd."
    return ""


async def gallring_page(request: Request):
    """GET: the page. POST: one action, then a redirect to the page with its
    confirmation (so a reload never posts again); a refusal of the input is shown
    at once, with what was typed."""
    from kb_app.errors import InvalidInput
    from kb_app.services.retention import gallring, page

    actor, resp = await _export_actor(request)
    if resp is not None:
        return resp
    if not can(actor, Action.GALLRING):
        return PlainTextResponse(MSG_FORBIDDEN, status_code=403, headers=NO_STORE)
    errors, form, target = {}, {}, ""
    if request.method == "POST":
        if not _same_origin(request):
            return PlainTextResponse("Ogiltig begäran.", status_code=403)
        form = await _form(request)
        do = form.get("do", "")
        now = utcnow()
        done: dict[str, str] = {"klart": do}
        try:
            if do == "approve":
                result = await run_in_threadpool(
                    lambda: gallring.approve(actor, _ids(form.get("ids", "")), now=now)
                )
                done["arenden"] = ",".join(result.thinned[:20])
                done["kvar"] = str(len(result.skipped))
            elif do == "take_off":
                target = f"take_off:{form.get('proposal', '')}"
                pid = _int_param(form.get("proposal", ""))
                done["arenden"] = await run_in_threadpool(
                    lambda: gallring.take_off(actor, pid, form.get("reason", ""), now=now)
                )
            elif do == "delivered":
                pid = _int_param(form.get("proposal", ""))
                done["arenden"] = await run_in_threadpool(
                    lambda: gallring.mark_delivered(actor, pid, now=now)
                )
            elif do == "hold":
                target = "hold"
                done["arenden"] = await run_in_threadpool(
                    lambda: gallring.set_hold(
                        actor, form.get("reference", ""), form.get("reason", ""), now=now
                    )
                )
            elif do == "lift":
                target = f"lift:{form.get('hold', '')}"
                hid = _int_param(form.get("hold", ""))
                done["arenden"] = await run_in_threadpool(
                    lambda: gallring.lift_hold(actor, hid, form.get("reason", ""), now=now)
                )
            else:
                done = {}
            return RedirectResponse(
                paths.GALLRING + (f"?{urlencode(done)}" if done else ""), status_code=303
            )
        except AccessDenied as exc:
            return PlainTextResponse(exc.message, status_code=403, headers=NO_STORE)
        except InvalidInput as exc:
            errors = exc.errors
    message = "" if errors else _gallring_message(request.query_params)
    view = await run_in_threadpool(lambda: gallring.overview(actor, now=utcnow()))
    html = page.render_html(view, message=message, errors=errors, form=form, target=target)
    return HTMLResponse(html, status_code=400 if errors else 200, headers=NO_STORE)


# --------------------------------------------------------------------------- attachments
# The page posts the file's bytes here (fetch, the body is the file); Reflex's own
# upload route (/_upload, a public folder) is never used. The answer is a code the
# case page turns into its Swedish message.


def _int_param(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 12 else -1


async def _posted_file(request: Request) -> tuple[bytes, str]:
    """The posted file's bytes (read up to the limit and a byte, enough to say "too
    big") and its name from the ``X-Filnamn`` header."""
    limit = get_settings().attachment_max_mb * 1024 * 1024
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break  # stop reading
    return b"".join(chunks)[: limit + 1], unquote(request.headers.get("x-filnamn", "")[:1000])


async def upload_reporter_file(request: Request):
    """POST /bilaga/anmalan/<supplement token>: a file from the reporter, with the
    private supplement link (no login; the supplements' limits apply)."""
    from kb_app.services.reporting import reports

    if not _same_origin(request):
        return JSONResponse({"code": "ogiltig"}, status_code=403, headers=NO_STORE)
    token = request.path_params.get("token", "")[:200]
    data, filename = await _posted_file(request)
    got = await run_in_threadpool(
        lambda: reports.add_reporter_file(
            token, filename=filename, data=data, client=_client(request), now=utcnow()
        )
    )
    status = {"ok": 200, "lank": 404, "manga": 429}.get(got.code, 400)
    return JSONResponse({"code": got.code, "name": got.name}, status_code=status, headers=NO_STORE)


async def upload_attachment(request: Request):
    """POST /bilaga/ny/<case id>?del=…: one file onto the case (services/case/attachments)."""
    from kb_app.errors import InvalidInput
    from kb_app.services.case import attachments

    if not _same_origin(request):
        return JSONResponse({"code": "ogiltig"}, status_code=403, headers=NO_STORE)
    actor = await run_in_threadpool(
        auth.resolve_session, request.cookies.get(SESSION_COOKIE), now=utcnow()
    )
    if actor is None:
        return JSONResponse({"code": "inloggning"}, status_code=401, headers=NO_STORE)
    case_id = _int_param(request.path_params.get("case_id", ""))
    data, filename = await _posted_file(request)
    context = request.query_params.get("del", "")[:32]
    try:
        row = await run_in_threadpool(
            lambda: attachments.add_attachment(
                actor, case_id, filename=filename, data=data, context=context, now=utcnow()
            )
        )
    except AccessDenied:
        return JSONResponse({"code": "nekad"}, status_code=404, headers=NO_STORE)
    except InvalidInput as exc:
        message = next(iter(exc.errors.values()), attachments.MSG_TYPE)
        code = attachments.code_of(message)
        return JSONResponse({"code": code}, status_code=400, headers=NO_STORE)
    log.info("user %s attached file %s to case %s", actor.user_id, row.id, case_id)
    return JSONResponse({"code": "ok", "name": row.filename}, headers=NO_STORE)


async def download_attachment(request: Request):
    """GET /bilaga/<id>: the file, for those who may read its case (logged)."""
    from kb_app.services.case import attachments

    actor = await run_in_threadpool(
        auth.resolve_session, request.cookies.get(SESSION_COOKIE), now=utcnow()
    )
    attachment_id = _int_param(request.path_params.get("attachment_id", ""))
    try:
        got = await run_in_threadpool(
            lambda: attachments.download(actor, attachment_id, now=utcnow())
        )
    except AccessDenied as exc:
        return PlainTextResponse(exc.message, status_code=404, headers=NO_STORE)
    resp = _download(got.data, got.filename, got.content_type)
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def _sso_failed(reason: str) -> RedirectResponse:
    resp = RedirectResponse(paths.LOGIN + "?" + urlencode({"fel": reason}), status_code=303)
    resp.delete_cookie(sso.FLOW_COOKIE, path="/auth/oidc")
    return resp


async def sso_start(request: Request):
    """ "Logga in med …": to the provider, with state, nonce and PKCE in a cookie."""
    if not get_settings().oidc_enabled:
        return PlainTextResponse("Inloggning via organisationen är inte påslagen.", 404)
    try:
        url, flow = await run_in_threadpool(sso.begin, now=utcnow())
    except Exception:  # noqa: BLE001 - the provider is down or misconfigured
        log.exception("sso: the provider's metadata could not be read")
        return _sso_failed("sso-nere")
    resp = RedirectResponse(url, status_code=303)
    # Lax: the provider's redirect back is a cross-site navigation.
    resp.set_cookie(
        sso.FLOW_COOKIE,
        flow,
        max_age=sso.FLOW_SECONDS,
        **{**_cookie_args(), "samesite": "lax", "path": "/auth/oidc"},
    )
    return resp


async def sso_callback(request: Request):
    if not get_settings().oidc_enabled:
        return PlainTextResponse("Inloggning via organisationen är inte påslagen.", 404)
    params = request.query_params
    if params.get("error"):
        log.info("sso: the provider answered %s", params.get("error")[:60])
        return _sso_failed(sso.REFUSED)
    result = await run_in_threadpool(
        sso.complete,
        params.get("state", ""),
        params.get("code", ""),
        request.cookies.get(sso.FLOW_COOKIE),
        now=utcnow(),
        client=_client(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    if not result.ok:
        return _sso_failed(result.reason)
    target = {
        auth.STAGE_VERIFY: paths.SECOND_FACTOR,
        auth.STAGE_ENROL: paths.SECOND_FACTOR_ENROL,
    }.get(result.stage) or result.target
    # A page that moves on by itself: the next request is then same-site, so the
    # browser sends the SameSite=Strict session cookie with it.
    resp = HTMLResponse(
        '<!doctype html><html lang="sv"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={target}"><title>Värna</title></head>'
        f'<body><p><a href="{target}">Fortsätt till Värna</a></p></body></html>',
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
    resp.delete_cookie(sso.FLOW_COOKIE, path="/auth/oidc")
    resp.delete_cookie(EMAIL_COOKIE, path="/")
    settings = get_settings()
    resp.set_cookie(
        SESSION_COOKIE, result.token, max_age=settings.session_max_hours * 3600, **_cookie_args()
    )
    return resp


async def sso_logout(request: Request):
    url = await run_in_threadpool(sso.logout_url)
    return RedirectResponse(url or paths.LOGIN, status_code=303)


async def health(request: Request):
    """``/_health``: 200 with a JSON report when the database answers at the newest
    schema (and Redis, when set); 503 otherwise. No personal data, no tokens."""
    from kb_app.services.ops import health as ops_health

    healthy, report = await run_in_threadpool(ops_health.check, now=utcnow())
    return JSONResponse(
        report, status_code=200 if healthy else 503, headers={"cache-control": "no-store"}
    )


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_ids(app):
    """ASGI middleware (a Reflex api_transformer): every HTTP request and websocket
    connection gets an id, the caller's ``X-Request-ID`` when it is a plain token of
    8–64 characters (a proxy's), else a new one. Every log line written while serving
    it carries the id; HTTP responses return it in ``X-Request-ID``."""

    async def wrapped(scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        given = ""
        for k, v in scope.get("headers", []):
            if k == b"x-request-id":
                given = v.decode("latin-1")
                break
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            request_id.reset(token)

    return wrapped


def routes() -> list[Route]:
    return [
        Route(paths.HEALTH, health, methods=["GET"]),
        Route(paths.AUTH_LOGIN, login, methods=["POST"]),
        Route(paths.AUTH_LOGOUT, logout, methods=["POST"]),
        Route(paths.AUTH_SET_PASSWORD, set_password, methods=["POST"]),
        Route(paths.AUTH_CHANGE_PASSWORD, change_password, methods=["POST"]),
        Route(paths.AUTH_FORGOT_PASSWORD, forgot_password, methods=["POST"]),
        Route(paths.AUTH_SSO_START, sso_start, methods=["GET"]),
        Route(paths.AUTH_SSO_CALLBACK, sso_callback, methods=["GET"]),
        Route(paths.AUTH_SSO_LOGOUT, sso_logout, methods=["GET"]),
        Route(paths.CASE_PDF + "/{case_id}.pdf", case_pdf, methods=["GET"]),
        Route(paths.POSTER + "/{unit_id}", report_poster, methods=["GET"]),
        Route(paths.IMPORT_TEMPLATE, import_template, methods=["GET"]),
        Route(paths.EXPORT_CASES + ".{fmt:str}", export_cases, methods=["GET"]),
        Route(paths.EXPORT_REPORT + ".{fmt:str}", export_report, methods=["GET"]),
        Route(paths.EXPORT_REPLY_PACK, export_reply_pack, methods=["GET"]),
        Route(paths.EXPORT_REPLY_PACK_PREVIEW, preview_reply_pack, methods=["GET"]),
        Route(paths.REGISTER_EXTRACT, register_extract_page, methods=["GET", "POST"]),
        Route(paths.REGISTER_EXTRACT_PDF, register_extract_pdf, methods=["POST"]),
        Route(paths.EXPORT_ARCHIVE, export_archive, methods=["GET"]),
        Route(paths.ATTACHMENT_UPLOAD + "/{case_id}", upload_attachment, methods=["POST"]),
        Route(paths.REPORTER_FILE + "/{token}", upload_reporter_file, methods=["POST"]),
        Route(paths.GALLRING, gallring_page, methods=["GET", "POST"]),
        Route(paths.ATTACHMENT + "/{attachment_id}", download_attachment, methods=["GET"]),
    ]


def build_api() -> Starlette:
    return Starlette(routes=routes())
