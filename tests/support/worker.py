"""The `rentcal worker` process as tests see it: startable, killable like a crash, stoppable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.support.services import ROOT


class WorkerHandle:
    """`rentcal worker` (dispatcher + Dramatiq processes) in its own process group, so a test can
    kill all of it at once, as a crash would, and start it again."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.worker_main", "--threads", "4"],
            cwd=ROOT,
            env=os.environ.copy(),
            start_new_session=True,
        )

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def kill(self) -> None:
        assert self.process is not None
        if os.environ.get("COVERAGE_PROCESS_CONFIG"):  # measured: keep what it covered (worker_main.py)
            os.kill(self.process.pid, signal.SIGUSR1)
            time.sleep(1)
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
