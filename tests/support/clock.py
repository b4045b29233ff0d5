"""The shifted-clock pass: with KB_TEST_CLOCK_SHIFT_DAYS set, the wall clock of the
test process (and of the CLI processes tests start through ``cli_command``) is
moved by that many days, so a test that mixes a fixed time with the real clock
fails today and not in a week."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

import time_machine

SHIFT_VAR = "KB_TEST_CLOCK_SHIFT_DAYS"


def apply_shift() -> None:
    days = os.environ.get(SHIFT_VAR, "").strip()
    if days:
        time_machine.travel(datetime.now(UTC) + timedelta(days=int(days)), tick=True).start()


def cli_command(*args: str) -> list[str]:
    """``kb-app ARGS`` as a subprocess that keeps the test run's clock shift."""
    return [sys.executable, "-m", "tests.support.clock", *args]


if __name__ == "__main__":
    apply_shift()
    from kb_app.cli import main

    sys.argv = ["kb-app", *sys.argv[1:]]
    sys.exit(main())
