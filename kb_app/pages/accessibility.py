"""/tillganglighet: the accessibility statement (tillgänglighetsredogörelse), as
lagen (2018:1937) om tillgänglighet till digital offentlig service asks of a
public-sector service. Public: linked from every page's footer."""

from __future__ import annotations

import reflex as rx

from kb_app.components.layout import public_frame
from kb_app.pages.report.inputs import public_card

UPDATED = "2 december 2026"


def _section(title: str, *paragraphs: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h2", size="4", weight="medium"),
        *[rx.text(p, size="2") for p in paragraphs],
        spacing="2",
        width="100%",
    )


def accessibility_page() -> rx.Component:
    return public_frame(
        public_card(
            rx.heading("Tillgänglighetsredogörelse för Värna", as_="h1", size="6"),
            rx.text(
                "Värna är den tjänst som förskolor och skolor i organisationen använder för "
                "att anmäla, utreda och följa upp kränkande behandling. Organisationen som "
                "driver tjänsten (huvudmannen) ansvarar för den. Vi vill att så många som "
                "möjligt ska kunna använda den, och här beskriver vi hur tjänsten uppfyller "
                "lagen (2018:1937) om tillgänglighet till digital offentlig service, kända "
                "brister och hur du kan rapportera problem.",
                size="2",
            ),
            _section(
                "Hur tillgänglig är tjänsten?",
                "Vi bedömer att Värna är delvis förenlig med lagen: tjänsten är byggd för att "
                "uppfylla WCAG 2.1 på nivå AA, men en fullständig manuell granskning (till "
                "exempel med skärmläsare) har ännu inte gjorts.",
            ),
            _section(
                "Så har vi granskat tjänsten",
                "Varje sida granskas automatiskt med verktyget axe-core, utloggad och för "
                "varje roll (rektor, huvudman, utredare och administratör), i både dator- och "
                "mobilbredd. Granskningen görs vid varje ändring av tjänsten och får inte "
                "hitta några allvarliga eller kritiska brister. Fokusmarkeringen har minst "
                "3:1 i kontrast, allt går att använda med tangentbord, och varje diagram har "
                "en tabell med samma siffror.",
            ),
            _section(
                "Kända brister",
                "Diagrammen i statistiken och i årsrapporten (PDF) är bilder; siffrorna finns "
                "i tabellen under varje diagram. Årsrapporten och andra PDF-filer är inte "
                "taggade för skärmläsare; samma innehåll finns som webbsida.",
            ),
            _section(
                "Rapportera brister eller begär innehåll i annat format",
                "Upplever du att något i tjänsten inte är tillgängligt, eller behöver du "
                "innehållet i ett annat format, kontakta din skolas rektor eller "
                "huvudmannen. Beskriv vilken sida det gäller och vad som inte fungerar.",
            ),
            _section(
                "Tillsyn",
                "Myndigheten för digital förvaltning (Digg) har tillsyn över lagen om "
                "tillgänglighet till digital offentlig service. Är du inte nöjd med hur vi "
                "hanterar dina synpunkter kan du anmäla det till Digg (digg.se).",
            ),
            rx.text(f"Redogörelsen uppdaterades {UPDATED}.", size="1", color=rx.color("gray", 11)),
            spacing="4",
        ),
        max_width="44rem",
    )
