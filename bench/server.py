"""The production server for the benchmark: ``reflex run --env prod --single-port``
on a free port against the benchmark database (as tests/e2e/conftest.py does),
and the memory of its process tree."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="kb-bench-"))
        self.log = self.data_dir / "server.log"
        self.env = {
            **os.environ,
            "KB_DATA_DIR": str(self.data_dir),
            "KB_DATABASE_URL": database_url,
            "KB_PORT": str(self.port),
            "KB_PUBLIC_URL": self.base_url,
            "KB_SCHEDULER": "off",
            "KB_SECRET_KEY": "bench-secret",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "PATH": f"{REPO / '.tools/node_modules/.bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        for var in ["KB_SMTP_HOST", "KB_REDIS_URL"]:
            self.env.pop(var, None)
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        """``reflex run``: builds the front end, then serves both on one port."""
        return [
            *(sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port"),
            *("--frontend-port", str(self.port)),
        ]

    def start(self, timeout: float = 600) -> None:
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"servern avslutades:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.base_url + "/logga-in", timeout=2) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(self.base_url + "/ping", timeout=2):
                            return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"servern startade inte:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_errors(self) -> int:
        """Tracebacks in the server's log so far."""
        try:
            return self.log.read_text(errors="replace").count("Traceback (most recent call last)")
        except OSError:
            return 0

    def _tree(self) -> list[int]:
        """The server's process and all its descendants (Linux /proc)."""
        if self.proc is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
        tree, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    def rss_mb(self) -> float:
        """Resident memory of the server's whole process tree."""
        total_kb = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total_kb += int(line.split()[1])
            except OSError:
                continue
        return total_kb / 1024

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's process tree: per
        event, a figure that other work on the machine barely moves."""
        ticks = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            except OSError:
                continue
        return ticks / os.sysconf("SC_CLK_TCK")
