"""``/anmalan/[token]``: the staff report form and its receipt; ``/komplettering/[token]``:
the reporter's supplement. Public pages without login; every value is rendered as
text (never as HTML)."""

from kb_app.pages.report.form import report_page
from kb_app.pages.report.supplement import supplement_page

__all__ = ["report_page", "supplement_page"]
