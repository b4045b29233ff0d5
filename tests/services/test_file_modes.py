"""The data folder and what the app writes there are the app user's alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from kb_app.settings import REPO_ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_fresh_data_folder_secret_key_and_database_are_private(tmp_path):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "KB_DATA_DIR": str(data),
        "KB_DATABASE_URL": "",
        "KB_SECRET_KEY": "",
    }
    env.pop("KB_DATABASE_URL")
    env.pop("KB_SECRET_KEY")
    # A permissive umask, as on many servers: the modes must not depend on it.
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.umask(0o022); from kb_app.cli import main; main(['migrate'])",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert _mode(data) == 0o700
    assert _mode(data / "secret_key") == 0o600
    files = [p for p in data.iterdir() if p.name.startswith("kb.db")]
    assert data / "kb.db" in files
    assert all(_mode(p) == 0o600 for p in files), {p.name: oct(_mode(p)) for p in files}


def test_an_existing_open_data_folder_is_closed(tmp_path, monkeypatch):
    from kb_app.settings import get_settings, reset_settings

    data = tmp_path / "open"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    reset_settings()
    assert get_settings().data_dir == data.resolve()
    assert _mode(data) == 0o700
