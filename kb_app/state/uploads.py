"""The browser half of a file upload: the page's file input is read by a script
that posts the file's bytes to one of our routes (same origin, never Reflex's
public ``/_upload``) and hands the route's answer to a state handler. Nothing of
the file passes through the state."""

from __future__ import annotations

import json

from kb_app.services.case import attachments
from kb_app.settings import get_settings

INPUT_ID = "kb-bilaga"
# What the file picker offers (the route decides by content; this only narrows it).
ACCEPT = ",".join(sorted({k.ext for k in attachments.KINDS.values()} | {".jpeg"}))
MAX_NAME = 255


def upload_script(url: str) -> str:
    """Post the file chosen in ``INPUT_ID`` to ``url``; the answer is
    "<code>\n<name>" (a file over the limit is not sent at all)."""
    limit = get_settings().attachment_max_mb * 1024 * 1024
    return (
        "(async () => {"
        f"const input = document.getElementById({json.dumps(INPUT_ID)});"
        "const file = input && input.files && input.files[0];"
        "if (!file) return 'ingen';"
        "if (file.size === 0) return 'tom';"
        f"if (file.size > {int(limit)}) return 'stor';"
        "try {"
        f"const r = await fetch({json.dumps(url)}, {{method: 'POST', body: file,"
        " credentials: 'same-origin',"
        " headers: {'X-Filnamn': encodeURIComponent(file.name)}});"
        "const j = await r.json().catch(() => ({}));"
        "return typeof j.code === 'string' ? j.code + '\\n' + (j.name || '') : 'natverk';"
        "} catch (e) { return 'natverk'; }"
        "})()"
    )


def answer(result: object) -> tuple[str, str]:
    """The route's code and the taken file's name, from what the script returned."""
    if not isinstance(result, str) or len(result) > 20 + MAX_NAME * 4:
        return "natverk", ""
    code, _, name = result.partition("\n")
    return (code if len(code) <= 20 else "natverk"), name[:MAX_NAME]


MSG_SENT = "Filen är skickad och finns nu i ärendet."


def reporter_url(token: str) -> str:
    from kb_app import routes

    return f"{routes.REPORTER_FILE}/{token}"


def outcome(result: object) -> tuple[str, str]:
    """(error message, taken file's name) for the route's answer."""
    code, name = answer(result)
    if code == "ok":
        return "", name or "fil"
    return attachments.message_for(code), ""


def take(state, result: object) -> str:
    """Show the route's answer on a reporter's page (``files``, ``file_error``,
    ``file_busy``, ``file_key``): the taken file's name is listed and the file
    input starts empty; a refusal keeps the chosen file. Returns the error."""
    state.file_busy = False
    state.file_error, name = outcome(result)
    if name and len(state.files) < 100:
        state.files = [*state.files, name]
        state.file_key += 1
    return state.file_error
