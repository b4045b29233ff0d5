"""The legal process of a case (skollagen 6 kap. 10 §), in one place.

Steps in order; the UI labels; which step follows which. Pages, states and services
ask this module; they never repeat its rules.
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    REPORTED = "reported"
    RECEIVED = "received"
    ORGANISER_NOTIFIED = "organiser_notified"
    INVESTIGATION_STARTED = "investigation_started"
    INVESTIGATED = "investigated"
    MEASURES_DECIDED = "measures_decided"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"


STEP_ORDER: list[Step] = list(Step)

STEP_LABELS: dict[str, str] = {
    Step.REPORTED: "Anmälan",
    Step.RECEIVED: "Mottagen av rektor",
    Step.ORGANISER_NOTIFIED: "Anmäld till huvudman",
    Step.INVESTIGATION_STARTED: "Utredning påbörjad",
    Step.INVESTIGATED: "Utredning klar",
    Step.MEASURES_DECIDED: "Åtgärder beslutade",
    Step.FOLLOWED_UP: "Uppföljning",
    Step.CLOSED: "Avslutad",
}


class EventKind(StrEnum):
    """Timeline events: every step, plus the events beside the steps."""

    REPORTED = "reported"
    RECEIVED = "received"
    ORGANISER_NOTIFIED = "organiser_notified"
    INVESTIGATION_STARTED = "investigation_started"
    INVESTIGATED = "investigated"
    MEASURES_DECIDED = "measures_decided"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"
    SUPPLEMENT = "supplement"
    COMMENT = "comment"
    DELEGATED = "delegated"
    DELEGATION_WITHDRAWN = "delegation_withdrawn"
    REMINDER = "reminder"
    REOPENED = "reopened"
    TAKEN_OVER = "taken_over"


EVENT_LABELS: dict[str, str] = {
    **STEP_LABELS,
    EventKind.SUPPLEMENT: "Komplettering",
    EventKind.COMMENT: "Kommentar",
    EventKind.DELEGATED: "Delegerad",
    EventKind.DELEGATION_WITHDRAWN: "Delegering återkallad",
    EventKind.REMINDER: "Påminnelse",
    EventKind.REOPENED: "Återöppnad",
    EventKind.TAKEN_OVER: "Övertagen av huvudman",
}

# The step a case is "at" is the last one completed; the next step is what is due.
# organiser_notified is recorded automatically together with the report, so a newly
# reported case waits for "received".
OPEN_STEPS = [s for s in STEP_ORDER if s != Step.CLOSED]


def next_step(current: Step) -> Step | None:
    """The step that is due after ``current`` in the straight line of the process."""
    if current == Step.CLOSED:
        return None
    if current == Step.REPORTED:
        return Step.RECEIVED
    if current == Step.RECEIVED:
        return Step.INVESTIGATION_STARTED
    idx = STEP_ORDER.index(current)
    return STEP_ORDER[idx + 1]
