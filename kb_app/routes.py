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
SET_PASSWORD = "/satt-losenord"  # /satt-losenord/<token>: an invitation

# Plain HTTP routes (api.py)
AUTH_LOGIN = "/auth/login"
AUTH_LOGOUT = "/auth/logout"
AUTH_SET_PASSWORD = "/auth/set-password"
CASE_PDF = "/akt"  # /akt/<id>.pdf
EXPORT_CASES = "/export/statistik/arenden"  # .csv, .xlsx
EXPORT_REPORT = "/export/statistik/arsrapport"  # .pdf, .html
EXPORT_REPLY_PACK = "/export/svarspaket.pdf"


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
