"""`rentcal worker` as the tests run it: on SIGUSR1 it writes the coverage data gathered so far (when
`make test` measures it), so a test that kills it with SIGKILL, as a crash would, keeps that share."""

from __future__ import annotations

import signal
import sys

from rentcal.cli import main


def save_coverage(*_: object) -> None:
    import coverage

    current = coverage.Coverage.current()
    if current is not None:
        current.save()


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, save_coverage)
    main(["worker", *sys.argv[1:]])
