"""The children of `rentcal up`: started with a name, their output shown with that name and the
last lines kept, so that a child that dies can be named with what it said before exiting."""

from __future__ import annotations

import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable


class Child:
    def __init__(self, name: str, command: list[str], env: dict[str, str], keep: int = 30) -> None:
        self.name = name
        self.lines: deque[str] = deque(maxlen=keep)
        self.process = subprocess.Popen(
            command,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, name=f"output of {name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            self.lines.append(line)
            print(f"{self.name:>14} | {line}", flush=True)

    def poll(self) -> int | None:
        return self.process.poll()

    def last_lines(self) -> list[str]:
        self._reader.join(timeout=2)  # the pipe closes when the process is gone
        return list(self.lines)

    def describe_exit(self) -> str:
        code = self.process.returncode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
        lines = self.last_lines()
        shown = "\n".join(f"    {line}" for line in lines) if lines else "    (it printed nothing)"
        return f"rentcal up: the {self.name} process {how}. Its last lines:\n{shown}"


class Supervisor:
    """Starts children, notices the first one that exits, stops the rest."""

    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        child = Child(name, command, env)
        self.children.append(child)
        return child

    def exited(self) -> Child | None:
        return next((child for child in self.children if child.poll() is not None), None)

    def watch(self, stop: Callable[[], bool], interval: float = 0.5) -> Child | None:
        """Block until `stop()` is true (None) or a child exits (that child)."""
        while not stop():
            dead = self.exited()
            if dead is not None:
                return dead
            time.sleep(interval)
        return None

    def stop_all(self, timeout: float = 20) -> None:
        for child in self.children:
            if child.poll() is None:
                child.process.terminate()
        for child in self.children:
            try:
                child.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
