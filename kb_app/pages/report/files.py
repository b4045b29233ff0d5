"""A file from the reporter: on the receipt and on the supplement page, sent with
the private supplement link (a photo or a screenshot of what happened)."""

from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import action_button, column, error_notice, muted
from kb_app.components.forms import file_picker


def reporter_files(state) -> rx.Component:
    """The form to send one file at a time, and the names of those sent here."""
    return rx.form(
        column(
            rx.heading("Bifoga en fil (frivilligt)", as_="h2", size="4", weight="medium"),
            muted(
                "Till exempel en bild eller skärmbild av det som hänt, eller ett dokument. "
                "Filen läggs till i ärendet. Platsuppgifter i bilder tas bort.",
                size="2",
            ),
            file_picker("Bild (JPEG, PNG), PDF, Word, Excel, OpenDocument eller text."),
            error_notice(state.file_error),
            rx.cond(
                state.files.length() > 0,
                rx.box(
                    rx.text("Skickade filer", class_name="kb-label", id="kb-sent-files"),
                    rx.el.ul(
                        rx.foreach(state.files, lambda n: rx.el.li(n)),
                        class_name="kb-steps",
                        custom_attrs={"aria-labelledby": "kb-sent-files"},
                    ),
                    role="status",
                ),
            ),
            action_button(
                "upload",
                rx.cond(state.file_busy, "Skickar …", "Skicka filen"),
                type="submit",
                loading=state.file_busy,
                variant="soft",
                size="2",
            ),
            spacing="3",
        ),
        on_submit=state.attach_file,
        key="fil-" + state.file_key.to_string(),
        width="100%",
    )
