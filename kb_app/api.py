"""Plain HTTP routes beside Reflex's websocket: login, logout, setting a first
password, and the case file as PDF.

The form posts set or clear the HttpOnly session cookie and redirect; the page
load that follows opens a new websocket that carries the cookie. Mounted through
``rx.App(api_transformer=...)``.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from kb_app import routes as paths
from kb_app.dbtypes import utcnow
from kb_app.domain.access import start_page
from kb_app.errors import AccessDenied
from kb_app.services.admin import auth
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
    host = request.headers.get("host", "")
    allowed = {get_settings().public_origin, f"http://{host}", f"https://{host}"}
    return origin in allowed


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
        auth.login, email, form.get("password", ""), client=_client(request), now=utcnow()
    )
    if not result.ok:
        log.info("login failed for an account from %s", _client(request))
        code = "last" if result.message == auth.MSG_LOCKED else "fel"
        resp = RedirectResponse(paths.LOGIN + "?" + urlencode({"fel": code}), status_code=303)
        resp.set_cookie(EMAIL_COOKIE, email, max_age=600, **_cookie_args())
        return resp
    log.info("login ok for user %s", result.actor.user_id)
    resp = RedirectResponse(start_page(result.actor), status_code=303)
    resp.delete_cookie(EMAIL_COOKIE, path="/")
    settings = get_settings()
    resp.set_cookie(
        SESSION_COOKIE, result.token, max_age=settings.session_max_hours * 3600, **_cookie_args()
    )
    return resp


async def logout(request: Request):
    if not _same_origin(request):
        return PlainTextResponse("Ogiltig begäran.", status_code=403)
    await run_in_threadpool(auth.logout, request.cookies.get(SESSION_COOKIE), now=utcnow())
    resp = RedirectResponse(paths.LOGIN + "?" + urlencode({"utloggad": "1"}), status_code=303)
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
        now=utcnow(),
    )
    if problem is None:
        log.info("a password was set through an invitation link")
        return RedirectResponse(paths.LOGIN + "?" + urlencode({"losenord": "1"}), status_code=303)
    code = {
        invites.MSG_INVALID: "ogiltig",
        invites.MSG_MISMATCH: "olika",
    }.get(problem, "kort")
    safe_token = "".join(ch for ch in token if ch.isalnum() or ch in "-_")[:100]
    return RedirectResponse(
        f"{paths.SET_PASSWORD}/{safe_token}?" + urlencode({"fel": code}), status_code=303
    )


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


# --------------------------------------------------------------------------- downloads
# Exports are generated per request after the session and the access policy are
# checked; nothing is ever written to a public folder.

MSG_FORBIDDEN = "Du saknar behörighet att hämta detta."


def _download(body: bytes, filename: str, media_type: str) -> Response:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        body,
        media_type=media_type,
        headers={
            **NO_STORE,
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            ),
        },
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


async def export_reply_pack(request: Request):
    from kb_app.errors import AccessDenied
    from kb_app.services.statistics import reply_pack

    actor, resp = await _export_actor(request)
    if resp is not None:
        return resp
    q = request.query_params
    case_id = int(q["id"]) if q.get("id", "").isdigit() else None
    party_id = int(q["part"]) if q.get("part", "").isdigit() else None
    reference = (q.get("ref") or "").strip()[:32] or None
    try:
        pack = await run_in_threadpool(
            lambda: reply_pack.build(
                actor, case_id=case_id, reference=reference, party_id=party_id, now=utcnow()
            )
        )
    except AccessDenied as exc:
        return PlainTextResponse(exc.message, status_code=404, headers=NO_STORE)
    log.info("user %s exported the reply pack of case %s", actor.user_id, pack.reference)
    return _download(pack.pdf, pack.filename, "application/pdf")


def routes() -> list[Route]:
    return [
        Route(paths.AUTH_LOGIN, login, methods=["POST"]),
        Route(paths.AUTH_LOGOUT, logout, methods=["POST"]),
        Route(paths.AUTH_SET_PASSWORD, set_password, methods=["POST"]),
        Route(paths.CASE_PDF + "/{case_id}.pdf", case_pdf, methods=["GET"]),
        Route(paths.EXPORT_CASES + ".{fmt:str}", export_cases, methods=["GET"]),
        Route(paths.EXPORT_REPORT + ".{fmt:str}", export_report, methods=["GET"]),
        Route(paths.EXPORT_REPLY_PACK, export_reply_pack, methods=["GET"]),
    ]


def build_api() -> Starlette:
    return Starlette(routes=routes())


# Headers on every HTTP response the server sends (pages, assets, downloads).
# The CSP here holds what needs no knowledge of the front end's scripts: no
# framing, no plugins, no <base>. Report and supplement links carry tokens in the
# path, so no Referer leaves the page.
_SECURITY_HEADERS = [
    (b"content-security-policy", b"frame-ancestors 'none'; object-src 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers(app):
    """ASGI middleware (a Reflex api_transformer): the headers above on every
    HTTP response; HSTS too when KB_PUBLIC_URL is https."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        extra = list(_SECURITY_HEADERS)
        if get_settings().public_url.startswith("https://"):
            extra.append(_HSTS)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in have]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
