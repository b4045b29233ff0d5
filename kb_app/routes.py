"""Every URL path of the app, in one place. A leaf module: any layer may use it."""

from __future__ import annotations

# Pages
START = "/"
LOGIN = "/logga-in"
OVERVIEW = "/oversikt"
MY_CASES = "/mina-arenden"
STATISTICS = "/statistik"
REPORT_LINKS = "/anmalningslankar"
SETTINGS = "/installningar"
ACCOUNT = "/mitt-konto"
ADMIN = "/admin"
OUTBOX = "/admin/utskick"
CASES = "/arenden"  # /arenden/<id>, /arenden/<id>/akt
REPORT = "/anmalan"  # /anmalan/<link token>: the public report form
SUPPLEMENT = "/komplettering"  # /komplettering/<token>: the reporter's supplement
SET_PASSWORD = "/satt-losenord"  # /satt-losenord/<token>: an invitation or a reset
FORGOT_PASSWORD = "/glomt-losenord"
SETUP = "/kom-igang"  # the first start: no organisation yet
IMPORT_TEMPLATE = "/admin/importmall.csv"  # the import template (admins)
POSTER = "/anmalningslankar/affisch"  # /anmalningslankar/affisch/<unit id>: QR poster
ACCESSIBILITY = "/tillganglighet"  # the accessibility statement (tillgänglighetsredogörelse)
SECOND_FACTOR = "/tvastegsverifiering"  # the code from the app, after the password
SECOND_FACTOR_ENROL = "/tvastegsverifiering/aktivera"  # set up the app first

# Plain HTTP routes (api.py)
HEALTH = "/_health"  # the container's HEALTHCHECK and a load balancer's probe
AUTH_LOGIN = "/auth/login"
AUTH_LOGOUT = "/auth/logout"
AUTH_SET_PASSWORD = "/auth/set-password"
AUTH_CHANGE_PASSWORD = "/auth/change-password"
AUTH_FORGOT_PASSWORD = "/auth/forgot-password"
AUTH_SSO_START = "/auth/oidc/start"  # "Logga in med …": to the OpenID provider
AUTH_SSO_CALLBACK = "/auth/oidc/callback"  # back from it (services/admin/sso.py)
AUTH_SSO_LOGOUT = "/auth/oidc/logout"  # the provider's own logout, offered after ours
CASE_PDF = "/akt"  # /akt/<id>.pdf
EXPORT_CASES = "/export/statistik/arenden"  # .csv, .xlsx
EXPORT_REPORT = "/export/statistik/arsrapport"  # .pdf, .html
EXPORT_REPLY_PACK = "/export/svarspaket.pdf"
EXPORT_REPLY_PACK_PREVIEW = "/export/svarspaket.html"  # the same content, with the choices
REGISTER_EXTRACT = "/export/registerutdrag"  # a person's cases (GET form, POST search)
REGISTER_EXTRACT_PDF = "/export/registerutdrag.pdf"  # POST: the extract itself
GALLRING = "/gallring"  # the gallring list, legal holds and the record: organisers (api.py)
EXPORT_ARCHIVE = "/export/arkivpaket.zip"  # ?ar=<closing year> or ?ref=<case>: organisers
ATTACHMENT = "/bilaga"  # /bilaga/<id>: one attachment, access-checked (api.py)
ATTACHMENT_UPLOAD = "/bilaga/ny"  # /bilaga/ny/<case id>?del=investigation|comment (POST)
REPORTER_FILE = "/bilaga/anmalan"  # /bilaga/anmalan/<supplement token>: the reporter's file (POST)


def case(case_id):
    """The case page; ``case_id`` may be a Reflex var (the result is then one too)."""
    return CASES + "/" + case_id if not isinstance(case_id, int) else f"{CASES}/{case_id}"


def case_file(case_id):
    return case(case_id) + "/akt"


def case_pdf(case_id):
    return (
        CASE_PDF + "/" + case_id + ".pdf"
        if not isinstance(case_id, int)
        else f"{CASE_PDF}/{case_id}.pdf"
    )


def attachment(attachment_id):
    """The download of one attachment; ``attachment_id`` may be a Reflex var."""
    return (
        ATTACHMENT + "/" + attachment_id
        if not isinstance(attachment_id, int)
        else f"{ATTACHMENT}/{attachment_id}"
    )


def reply_pack_preview(case_id):
    """The reply pack's preview for a case; ``case_id`` may be a Reflex var."""
    return (
        EXPORT_REPLY_PACK_PREVIEW + "?id=" + case_id
        if not isinstance(case_id, int)
        else f"{EXPORT_REPLY_PACK_PREVIEW}?id={case_id}"
    )


# The page a login returns to ("nasta" in the login page's query): only a path of
# our own pages, never another origin or a login/auth route.
NEXT_PARAM = "nasta"
_NOT_NEXT = (LOGIN, "/auth/", SET_PASSWORD, FORGOT_PASSWORD, REPORT, SUPPLEMENT)


def safe_next(value: object) -> str:
    """``value`` when it is a local page path to return to after login, else ""."""
    path = str(value or "")
    if (
        not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(c) < 33 for c in path)
        or len(path) > 300
        or path in ("/",)
        or any(path.startswith(p) for p in _NOT_NEXT)
    ):
        return ""
    return path


def login_returning_to(path: object) -> str:
    """The login page, returning to ``path`` (when it is one to return to)."""
    from urllib.parse import quote

    nxt = safe_next(path)
    return f"{LOGIN}?{NEXT_PARAM}={quote(nxt, safe='/')}" if nxt else LOGIN
