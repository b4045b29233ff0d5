"""Creates the Reflex app: pages, HTTP routes and lifespan tasks."""

from __future__ import annotations

import os

import reflex as rx

from kb_app import api, headers, routes
from kb_app.errors import backend_exception_handler, configure_logging
from kb_app.pages.accessibility import accessibility_page
from kb_app.pages.admin import admin_page, not_found_page, start_page
from kb_app.pages.case import case_file_page, case_page
from kb_app.pages.invite import forgot_password_page, set_password_page
from kb_app.pages.lists import my_cases_page, overview_page
from kb_app.pages.login import login_page
from kb_app.pages.outbox import outbox_page
from kb_app.pages.report import report_page, supplement_page
from kb_app.pages.report_links import report_links_page
from kb_app.pages.second_factor import enrol_page, second_factor_page
from kb_app.pages.settings import account_page, settings_page
from kb_app.pages.setup import setup_page
from kb_app.pages.statistics import statistics_page
from kb_app.services.admin.setup import setup_lifespan
from kb_app.services.mail.scheduler import scheduler_lifespan
from kb_app.settings import get_settings
from kb_app.state.admin import AdminState, StartState
from kb_app.state.base import LoginState
from kb_app.state.boundary import StateBoundary, private_states_dir, throttle_state_purge
from kb_app.state.case import CaseState
from kb_app.state.cases import MyCasesState, OverviewState
from kb_app.state.invite import ForgotPasswordState, SetPasswordState
from kb_app.state.outbox import OutboxState
from kb_app.state.report import ReportState, SupplementState
from kb_app.state.report_links import ReportLinksState
from kb_app.state.second_factor import SecondFactorState
from kb_app.state.settings import AccountState, SettingsState
from kb_app.state.setup import SetupState
from kb_app.state.statistics import StatisticsState
from kb_app.state.wire_json import install_lifespan as wire_json_lifespan

# Everything the app process writes (client state in .states, logs, exports) is
# readable by its own user only.
os.umask(0o077)
configure_logging(get_settings().log_format)

app = rx.App(
    backend_exception_handler=backend_exception_handler,
    html_lang="sv",
    theme=None,
    stylesheets=["/kb.css"],
    api_transformer=[api.build_api(), headers.security_headers, api.request_ids],
    head_components=[rx.el.meta(name="robots", content="noindex, nofollow")],
)

# Before every event (the hydrate included): state bound to the session, public pages
# per connection, generic setters refused, arguments checked and cleaned.
app.add_middleware(StateBoundary())
private_states_dir()
throttle_state_purge()

app.add_page(start_page, route=routes.START, title="Värna", on_load=StartState.load)
app.add_page(login_page, route=routes.LOGIN, title="Logga in · Värna", on_load=LoginState.load)
app.add_page(
    second_factor_page,
    route=routes.SECOND_FACTOR,
    title="Tvåstegsverifiering · Värna",
    on_load=SecondFactorState.load,
)
app.add_page(
    enrol_page,
    route=routes.SECOND_FACTOR_ENROL,
    title="Aktivera tvåstegsverifiering · Värna",
    on_load=SecondFactorState.load,
)
app.add_page(
    overview_page, route=routes.OVERVIEW, title="Översikt · Värna", on_load=OverviewState.load
)
app.add_page(
    my_cases_page, route=routes.MY_CASES, title="Mina ärenden · Värna", on_load=MyCasesState.load
)
app.add_page(
    admin_page, route=routes.ADMIN, title="Administration · Värna", on_load=AdminState.load
)
app.add_page(outbox_page, route=routes.OUTBOX, title="Utskick · Värna", on_load=OutboxState.load)
app.add_page(
    settings_page, route=routes.SETTINGS, title="Inställningar · Värna", on_load=SettingsState.load
)
app.add_page(
    account_page, route=routes.ACCOUNT, title="Mitt konto · Värna", on_load=AccountState.load
)

# Background jobs (outbox, reminders): one scheduler per installation, see
# services/scheduler.py; KB_SCHEDULER=off disables it in this process.
app.register_lifespan_task(scheduler_lifespan)
# A fresh installation prints its one-time setup code (services/admin/setup.py).
app.register_lifespan_task(setup_lifespan)
# The websocket's deltas encoded with orjson (state/wire_json.py).
app.register_lifespan_task(wire_json_lifespan)
app.add_page(setup_page, route=routes.SETUP, title="Kom igång · Värna", on_load=SetupState.load)
app.add_page(not_found_page, route="404", title="Sidan finns inte · Värna")
app.add_page(
    accessibility_page, route=routes.ACCESSIBILITY, title="Tillgänglighetsredogörelse · Värna"
)
app.add_page(
    report_links_page,
    route=routes.REPORT_LINKS,
    title="Anmälningslänkar · Värna",
    on_load=ReportLinksState.load,
)
# Public pages (no login): the unit's report form and the reporter's supplement link.
app.add_page(
    report_page,
    route=routes.REPORT + "/[link_token]",
    title="Anmäl kränkande behandling · Värna",
    on_load=ReportState.load,
)
app.add_page(
    supplement_page,
    route=routes.SUPPLEMENT + "/[supplement_token]",
    title="Komplettera anmälan · Värna",
    on_load=SupplementState.load,
)
app.add_page(
    case_page, route=routes.CASES + "/[case_id]", title="Ärende · Värna", on_load=CaseState.load
)
app.add_page(
    case_file_page,
    route=routes.CASES + "/[case_id]/akt",
    title="Ärendeakt · Värna",
    on_load=CaseState.load_file,
)
app.add_page(
    set_password_page,
    route=routes.SET_PASSWORD + "/[token]",
    title="Välj lösenord · Värna",
    on_load=SetPasswordState.load,
)
app.add_page(
    forgot_password_page,
    route=routes.FORGOT_PASSWORD,
    title="Glömt lösenordet · Värna",
    on_load=ForgotPasswordState.load,
)
app.add_page(
    statistics_page,
    route=routes.STATISTICS,
    title="Statistik · Värna",
    on_load=StatisticsState.load,
)
