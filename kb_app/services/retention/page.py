"""The gallring page for organisers (``/gallring``, served by api.py): the list
proposed by the nightly job with approve and take off with a reason (and, when the
organisation delivers first, "marked delivered to the e-archive"), the legal holds
(set by case reference with a reason, lifted with a reason), the cases taken off
the list in the past year, and the gallring record. Plain HTML forms that post
back to the same address (the Origin is checked in api.py)."""

from __future__ import annotations

from html import escape

from kb_app import routes
from kb_app.domain import retention as rt
from kb_app.domain.process import FORM
from kb_app.services.retention.gallring import Overview
from kb_app.services.statistics import reply_pack as rp

CSS = (
    rp.CSS + ".err{color:#ce2c31;font-size:.9rem;margin:.2rem 0}.ok{background:#e6f6eb;"
    "border:1px solid #8fd1a5;border-radius:6px;padding:.5rem .8rem;margin:.6rem 0}"
    ".act{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:0}"
    "input[type=text]{font:inherit;font-size:.9rem;padding:.3rem .5rem;border:1px solid "
    "#b9bbc6;border-radius:6px;min-width:0;width:min(16rem,100%);box-sizing:border-box}"
    "button{font:inherit;font-size:.9rem;padding:.3rem .7rem;border-radius:6px;"
    "border:1px solid #0d7c72;background:#fff;color:#0d7c72;cursor:pointer}"
    "button.primary{background:#0d7c72;color:#fff}"
    ".stack{display:flex;flex-direction:column;gap:.2rem;font-size:.85rem}"
    ".form{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:end;background:#f7f7f8;"
    "border:1px solid #e0e1e6;border-radius:8px;padding:.8rem 1rem;margin:.4rem 0 .8rem}"
    ".wide{overflow-x:auto}a{color:#0d7c72}td a,.ref{white-space:nowrap}"
    "@media (max-width:40rem){.doc{padding:1rem}body{margin:.5rem auto}"
    "table.cards thead{display:none}table.cards tr{display:block;border-bottom:1px solid "
    "#e0e1e6;padding:.4rem 0}table.cards td{display:block;border:0;padding:.15rem 0}"
    "table.cards td[data-label]::before{content:attr(data-label) ': ';font-weight:600}}"
)


def _table(label: str, heads: list[str], rows: list[list[str]]) -> str:
    """A table whose cells are HTML already; on phones each row is a card."""
    out = [
        f"<table class='cards' aria-label='{escape(label, quote=True)}'><thead><tr>"
        + "".join(f"<th scope='col'>{escape(h)}</th>" for h in heads)
        + "</tr></thead><tbody>"
    ]
    for row in rows:
        out.append(
            "<tr>"
            + "".join(
                f"<td data-label='{escape(h, quote=True)}'>{cell}</td>"
                for h, cell in zip(heads, row, strict=True)
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _err(errors: dict[str, str], key: str, id_: str) -> str:
    msg = errors.get(key)
    return f"<p class='err' id='{id_}' role='alert'>{escape(msg)}</p>" if msg else ""


def _hidden(do: str, **fields: object) -> str:
    return f"<input type='hidden' name='do' value='{do}'>" + "".join(
        f"<input type='hidden' name='{k}' value='{escape(str(v), quote=True)}'>"
        for k, v in fields.items()
    )


def render_html(
    view: Overview,
    *,
    message: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    target: str = "",
) -> str:
    """``target``: the form the errors belong to ("hold", "take_off:<id>", …)."""
    errors = errors or {}
    form = form or {}
    e = lambda s: escape(str(s))  # noqa: E731
    parts = [
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<meta name='robots' content='noindex, nofollow'>",
        "<title>Gallring · Värna</title>",
        f"<style>{CSS}</style></head><body>",
        "<main class='doc'>",
        f"<p><a href='{routes.SETTINGS}'>← Till inställningarna</a></p>",
        "<h1>Gallring</h1>",
        f"<p class='muted'>Avslutade ärenden gallras {view.years} år efter att de avslutades. "
        f"När tiden har gått: {e(view.handling_label.lower())}. Varje natt föreslås de ärenden "
        "vars tid har gått; inget tas bort förrän en huvudman har godkänt listan. Vid "
        "gallringen tas namn, fritext och bilagor bort; enhet, datum, slag, grunder, tider "
        "och utfall finns kvar, så statistiken räknar ärendena som förut. "
        f"Tid och hantering ändras under <a href='{routes.SETTINGS}'>Inställningar</a>.</p>",
    ]
    if message:
        parts.append(f"<p class='ok' role='status'>{e(message)}</p>")
    if errors.get(FORM):
        parts.append(f"<p class='err' role='alert'>{e(errors[FORM])}</p>")

    # The list --------------------------------------------------------------
    archive_first = view.handling == rt.Handling.ARCHIVE_FIRST
    n = len(view.proposals)
    parts.append(f"<h2>Förslag till gallring ({n})</h2>")
    if not view.proposals:
        parts.append(
            "<p>Inga ärenden föreslås just nu. Listan fylls varje natt med avslutade "
            "ärenden vars gallringstid har gått.</p>"
        )
    else:
        heads = ["Ärende", "Enhet", "Anmält", "Avslutat", "Gallras från"]
        if archive_first:
            heads.append("E-arkiv")
        heads.append("Ta bort från listan")
        rows = []
        for p in view.proposals:
            row = [
                f"<a href='{routes.case(p.case_id)}'>{e(p.reference)}</a>",
                e(p.unit),
                e(p.reported),
                e(p.closed),
                e(p.due),
            ]
            if archive_first:
                row.append(
                    f"Levererat {e(p.delivered)}"
                    if p.delivered
                    else f"<form method='post' action='{routes.GALLRING}' class='act'>"
                    + _hidden("delivered", proposal=p.id)
                    + "<button type='submit' aria-label='Markera "
                    f"{e(p.reference)} som levererat till e-arkiv'>Markera levererat</button>"
                    "</form>"
                )
            mine = target == f"take_off:{p.id}"
            err_id = f"skal-fel-{p.id}"
            described = (
                f" aria-describedby='{err_id}' aria-invalid='true'" if mine and errors else ""
            )
            row.append(
                f"<form method='post' action='{routes.GALLRING}' class='act'>"
                + _hidden("take_off", proposal=p.id)
                + f"<input type='text' name='reason' maxlength='{rt.REASON_MAX}' "
                f"aria-label='Skäl att ta bort {e(p.reference)} från listan' "
                f"placeholder='Skäl'{described} "
                f"value='{escape(form.get('reason', '') if mine else '', quote=True)}'>"
                f"<button type='submit' aria-label='Ta bort {e(p.reference)} från listan'>"
                "Ta bort</button></form>" + (_err(errors, "reason", err_id) if mine else "")
            )
            rows.append(row)
        parts.append(_table("Förslag till gallring", heads, rows))
        ready = [p for p in view.proposals if p.ready]
        if ready:
            ids = ",".join(str(p.id) for p in ready)
            count = f"{len(ready)} ärende" + ("n" if len(ready) != 1 else "")
            parts.append(
                f"<form method='post' action='{routes.GALLRING}' class='form'>"
                + _hidden("approve", ids=ids)
                + f"<p>Godkänn listan: {count} gallras nu. Det går inte att ångra.</p>"
                f"<button type='submit' class='primary'>Godkänn listan och gallra {count}"
                "</button></form>"
            )
        if archive_first and len(ready) < n:
            parts.append(
                "<p class='small'>Ärenden som inte är markerade som levererade till "
                "e-arkivet gallras inte.</p>"
            )

    # Legal holds -----------------------------------------------------------
    parts.append("<h2>Bevarandespärrar</h2>")
    parts.append(
        "<p class='muted'>Ett ärende med bevarandespärr (till exempel ett pågående ärende "
        "hos Skolinspektionen, Barn- och elevombudet eller polisen) föreslås aldrig för "
        "gallring.</p>"
    )
    hold_errors = errors if target == "hold" else {}
    ref_desc = (
        " aria-describedby='ref-fel' aria-invalid='true'" if "reference" in hold_errors else ""
    )
    why_desc = (
        " aria-describedby='sparr-fel' aria-invalid='true'" if "reason" in hold_errors else ""
    )
    parts.append(
        f"<form method='post' action='{routes.GALLRING}' class='form'>"
        + _hidden("hold")
        + "<div class='stack'><label for='sparr-arende'>Ärendenummer</label>"
        f"<input type='text' id='sparr-arende' name='reference' placeholder='KB-2021-0042' "
        f"maxlength='32' autocomplete='off'{ref_desc} "
        f"value='{escape(form.get('reference', '') if target == 'hold' else '', quote=True)}'>"
        + _err(hold_errors, "reference", "ref-fel")
        + "</div><div class='stack'><label for='sparr-skal'>Skäl</label>"
        f"<input type='text' id='sparr-skal' name='reason' maxlength='{rt.REASON_MAX}'{why_desc} "
        f"value='{escape(form.get('reason', '') if target == 'hold' else '', quote=True)}'>"
        + _err(hold_errors, "reason", "sparr-fel")
        + "</div><button type='submit'>Sätt bevarandespärr</button></form>"
    )
    if not view.holds:
        parts.append("<p>Inga ärenden har bevarandespärr.</p>")
    else:
        rows = []
        for h in view.holds:
            mine = target == f"lift:{h.id}"
            err_id = f"hav-fel-{h.id}"
            described = (
                f" aria-describedby='{err_id}' aria-invalid='true'" if mine and errors else ""
            )
            rows.append(
                [
                    f"<a href='{routes.case(h.case_id)}'>{e(h.reference)}</a>",
                    e(h.reason),
                    e(h.set_by),
                    e(h.set_at),
                    f"<form method='post' action='{routes.GALLRING}' class='act'>"
                    + _hidden("lift", hold=h.id)
                    + f"<input type='text' name='reason' maxlength='{rt.REASON_MAX}' "
                    f"aria-label='Skäl att häva spärren för {e(h.reference)}' "
                    f"placeholder='Skäl'{described}>"
                    f"<button type='submit' aria-label='Häv spärren för {e(h.reference)}'>"
                    "Häv spärren</button></form>"
                    + (_err(errors, "reason", err_id) if mine else ""),
                ]
            )
        parts.append(_table("Bevarandespärrar", ["Ärende", "Skäl", "Satt av", "När", "Häv"], rows))

    # Taken off -------------------------------------------------------------
    if view.taken_off:
        parts.append("<h2>Borttagna från listan det senaste året</h2>")
        parts.append(
            f"<p class='muted'>De föreslås igen tidigast {rt.RETAKE_AFTER_DAYS} dagar efter "
            "att de togs bort.</p>"
        )
        parts.append(
            _table(
                "Borttagna från listan",
                ["Ärende", "Skäl", "Av", "När"],
                [
                    [f"<span class='ref'>{e(t.reference)}</span>", e(t.reason), e(t.by), e(t.at)]
                    for t in view.taken_off
                ],
            )
        )

    # The record ------------------------------------------------------------
    parts.append(f"<h2>Gallringsregister ({len(view.records)})</h2>")
    parts.append(
        "<p class='muted'>Vad som har gallrats, när och av vem. Registret sparas för alltid.</p>"
    )
    if not view.records:
        parts.append("<p>Inga ärenden har gallrats ännu.</p>")
    else:
        parts.append(
            _table(
                "Gallringsregister",
                [
                    "Ärende",
                    "Enhet",
                    "Anmält",
                    "Avslutat",
                    "Gallrat",
                    "Godkänt av",
                    "Hantering",
                    "Borttaget",
                ],
                [
                    [
                        f"<span class='ref'>{e(r.reference)}</span>",
                        e(r.unit),
                        e(r.reported),
                        e(r.closed),
                        e(r.thinned),
                        e(r.approved_by),
                        e(r.handling + (f" (levererat {r.delivered})" if r.delivered else "")),
                        e(r.removed),
                    ]
                    for r in view.records
                ],
            )
        )
    parts.append("</main></body></html>")
    return "".join(parts)
