"""No silent loss of input: a text over its field's limit stays in the field, with
the limit as the error beside it (issue 17, point 4)."""

from __future__ import annotations

from kb_app.domain import report as rules


def _states():
    from reflex.state import State

    import kb_app.kb_app  # noqa: F401  (registers every page and state)
    from kb_app.state.report import ReportState, SupplementState

    root = State(_reflex_internal_init=True)
    report = root.get_substate(ReportState.get_full_name().split("."))
    supplement = root.get_substate(SupplementState.get_full_name().split("."))
    return report, supplement


def _call(state, name, *args):
    fn = getattr(type(state), name).fn  # the handler's function behind the event
    return fn(state, *args)


def test_a_paste_over_the_limit_is_kept_with_its_error():
    report, supplement = _states()
    pasted = "å" * 20_000
    _call(report, "set_field", "description", pasted)
    assert report.description == pasted  # nothing cut
    assert report.errors["description"] == (
        "Beskrivningen får ha högst 10\u00a0000 tecken (nu 20\u00a0000)."
    )
    _call(report, "set_field", "description", pasted[:9_000])
    assert "description" not in report.errors  # fixed: the error goes

    for key, (_label, limit) in rules.FIELD_LIMITS.items():
        text = "x" * (limit + 1)
        if key in ("name", "class_name"):
            _call(report, "set_row", "subjected", 0, key, text)
            row = report.subjected[0]
            assert (
                row[key] == text and f"högst {limit:,}".replace(",", "\u00a0") in row[f"e_{key}"]
            ), key
        elif key == "supplement":
            _call(supplement, "set_text", text)
            assert supplement.text == text and "högst" in supplement.error
        else:
            _call(report, "set_field", key, text)
            assert getattr(report, key) == text and "högst" in report.errors[key], key


def test_no_limited_control_sets_a_browser_max_length():
    """The browser's maxlength cuts a paste without a word: no page sets one on a
    limited text (the state and the services say the limit instead)."""
    import pathlib

    import kb_app

    root = pathlib.Path(kb_app.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in [*root.glob("pages/**/*.py"), *root.glob("components/**/*.py")]
        if "max_length=" in p.read_text(encoding="utf-8")
        and p.name not in {"inputs.py", "statistics.py", "form.py", "persons.py", "supplement.py"}
    ]
    assert offenders == []
