"""Processes for the production smoke test: each started in its own session (so its children,
gunicorn's workers, share its process group) and stopped by its own PID: SIGTERM, a wait,
SIGKILL on timeout. Output goes to a log file whose end is shown when a step fails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what: str, ready: Callable[[], object], timeout: float, proc: Proc | None = None):
    """Poll until ready() returns something truthy (returned); fail with the process's log."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if proc is not None and proc.popen is not None and proc.popen.poll() is not None:
            raise AssertionError(f"{proc.name} 已退出（{proc.popen.returncode}）：\n{proc.tail()}")
        if time.monotonic() > deadline:
            detail = f"\n{proc.tail()}" if proc is not None else ""
            raise AssertionError(f"等待超时（{timeout:.0f} 秒）：{what}{detail}")
        time.sleep(0.25)


class Proc:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        assert self.popen is None or self.popen.poll() is not None, f"{self.name} 已在运行"
        handle = self.log.open("ab")
        try:
            self.popen = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            handle.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the process group led by our child (its PID), then SIGKILL if needed.
        The group also holds gunicorn's workers, so none outlives its master."""
        if self.popen is None:
            return
        pid = self.popen.pid
        if self.popen.poll() is None:
            self._signal(pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(pid, signal.SIGKILL)
                self.popen.wait(10)
        # Children left in the group after the leader exited (a killed master's workers).
        self._signal(pid, signal.SIGKILL)
        self.popen = None

    @staticmethod
    def _signal(pgid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
