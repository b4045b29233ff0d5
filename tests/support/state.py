"""Reflex state for tests: a fresh state tree as one browser tab would have it,
with the tab's session cookie and page URL (handlers are then called directly)."""

from __future__ import annotations


def state_for(token: str | None, path: str):
    """(root state, CaseState) for a tab at ``path`` with session ``token``."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    import kb_app.kb_app  # noqa: F401  (registers every page and state)
    from kb_app.state.case import CaseState

    root = State(_reflex_internal_init=True)
    headers = {"origin": "http://127.0.0.1:3000"}
    if token:
        headers["cookie"] = f"kb_session={token}"
    root.router = RouterData.from_router_data(
        {"headers": headers, "pathname": path, "asPath": path}
    )
    return root, root.get_substate(CaseState.get_full_name().split("."))
