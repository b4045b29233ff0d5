"""/arenden/<id>: one case. Header, staff banner, the form of the next step, the
incident, the timeline (newest last), parties, delegation, promptness; and
/arenden/<id>/akt: the printable case file."""

import reflex as rx

from kb_app.components.layout import page_frame
from kb_app.pages.case.case_file import case_file_content
from kb_app.pages.case.page import case_content


def case_page() -> rx.Component:
    return page_frame("", case_content)


def case_file_page() -> rx.Component:
    return page_frame("", case_file_content)


__all__ = ["case_file_page", "case_page"]
