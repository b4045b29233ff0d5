"""/arenden/<id>: one case. Header, staff banner, the form of the next step, the
incident, the timeline (newest last), parties, delegation, promptness; and
/arenden/<id>/akt: the printable case file."""

from kb_app.pages.case.case_file import case_file_page
from kb_app.pages.case.page import case_page

__all__ = ["case_file_page", "case_page"]
