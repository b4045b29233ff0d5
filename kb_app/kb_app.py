"""Creates the Reflex app: pages, HTTP routes and lifespan tasks."""

from __future__ import annotations

import reflex as rx

from kb_app import api
from kb_app.pages.admin import admin_page, start_page
from kb_app.pages.lists import my_cases_page, overview_page
from kb_app.pages.login import login_page
from kb_app.pages.statistics import statistics_page
from kb_app.state.admin import AdminState, StartState
from kb_app.state.base import LoginState
from kb_app.state.cases import MyCasesState, OverviewState
from kb_app.state.statistics import StatisticsState

app = rx.App(
    html_lang="sv",
    theme=None,
    stylesheets=["/kb.css"],
    api_transformer=api.build_api(),
    head_components=[rx.el.meta(name="robots", content="noindex, nofollow")],
)

app.add_page(start_page, route="/", title="Värna", on_load=StartState.load)
app.add_page(login_page, route="/logga-in", title="Logga in · Värna", on_load=LoginState.load)
app.add_page(overview_page, route="/oversikt", title="Översikt · Värna", on_load=OverviewState.load)
app.add_page(
    my_cases_page, route="/mina-arenden", title="Mina ärenden · Värna", on_load=MyCasesState.load
)
app.add_page(admin_page, route="/admin", title="Administration · Värna", on_load=AdminState.load)
app.add_page(
    statistics_page, route="/statistik", title="Statistik · Värna", on_load=StatisticsState.load
)
