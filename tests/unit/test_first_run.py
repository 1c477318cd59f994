"""The pieces of a first run: where files are found, stand-in ports, supervising `up`'s children, logs."""

from __future__ import annotations

import logging
import socket
import sys
import time
from pathlib import Path

import pytest

from rentcal import logs, paths
from rentcal.standins import pick_port, port_is_free, stand_ins
from rentcal.supervise import Supervisor

PRINT_AND_EXIT = "import sys\nfor i in range(40): print(f'line {i}')\nsys.exit(3)"


def test_templates_and_data_are_found_in_the_source_tree() -> None:
    assert paths.running_from_source()
    assert (paths.templates_dir() / "portal" / "login.html").is_file()
    assert paths.default_data_dir() == paths.SOURCE_ROOT / ".data"


def test_an_installed_copy_keeps_data_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "rentcal" / "templates" / "emails").mkdir(parents=True)
    monkeypatch.setattr(paths, "PACKAGE", site / "rentcal")
    monkeypatch.setattr(paths, "SOURCE_ROOT", site)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert not paths.running_from_source()
    assert paths.templates_dir() == site / "rentcal" / "templates"
    assert paths.default_data_dir() == tmp_path / "xdg" / "rentcal"


def test_a_taken_port_is_replaced_by_a_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free(port)
        other = pick_port(port)
        assert other != port and port_is_free(other)
    assert pick_port(other) == other
    assert pick_port(0) > 0


def test_stand_ins_are_started_only_for_what_is_not_configured(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    names = [s.name for s in stand_ins(env, tmp_path, 0, 0)]
    assert names == ["google-sandbox", "microsoft-sandbox", "smtp-sink", "caldav-demo"]
    assert env["RENTCAL_MICROSOFT_GRAPH_URL"].endswith("/v1.0")
    assert env["RENTCAL_GOOGLE_API_URL"].startswith("http://127.0.0.1:")
    assert env["RENTCAL_ALLOW_HTTP_WEBHOOKS"] == "1"  # the sandbox was told to accept our http webhook address
    assert env["RENTCAL_CALDAV_DEMO_URL"].startswith("http://127.0.0.1:")
    assert env["RENTCAL_SMTP_URL"].startswith("smtp://127.0.0.1:")
    assert env["RENTCAL_DEMO_MAILDIR"] == str(tmp_path / "mail")
    configured = {
        "RENTCAL_GOOGLE_CLIENT_ID": "id",
        "RENTCAL_MICROSOFT_CLIENT_ID": "id",
        "RENTCAL_SMTP_URL": "smtps://mail.example.com",
        "RENTCAL_CALDAV_DEMO": "0",
    }
    before = dict(configured)
    assert stand_ins(configured, tmp_path, 0, 0) == []
    assert configured == before


def test_a_child_that_exits_is_named_with_its_last_lines(capsys: pytest.CaptureFixture[str]) -> None:
    supervisor = Supervisor()
    sleeper = supervisor.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], {})
    supervisor.start("talker", [sys.executable, "-c", PRINT_AND_EXIT], {})
    dead = supervisor.watch(lambda: False, interval=0.05)
    assert dead is not None and dead.name == "talker"
    report = dead.describe_exit()
    assert report.startswith("rentcal up: the talker process exited with status 3. Its last lines:")
    assert "    line 39" in report and "line 9\n" not in report  # the last 30 lines only
    assert "    talker | line 0" in capsys.readouterr().out  # output shown under the child's name
    supervisor.stop_all(timeout=10)
    assert sleeper.poll() is not None


def test_a_killed_or_silent_child_is_described_as_such() -> None:
    supervisor = Supervisor()
    silent = supervisor.start("silent", [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), 9)"], {})
    assert supervisor.watch(lambda: False, interval=0.05) is silent
    assert silent.describe_exit() == (
        "rentcal up: the silent process was killed by signal 9. Its last lines:\n    (it printed nothing)"
    )


def test_watch_returns_when_asked_to_stop() -> None:
    supervisor = Supervisor()
    child = supervisor.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], {})
    deadline = time.monotonic() + 0.3
    assert supervisor.watch(lambda: time.monotonic() > deadline, interval=0.05) is None
    supervisor.stop_all(timeout=10)
    assert child.poll() is not None


def test_logs_never_show_tokens_or_passwords(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.setup()
    try:
        logging.getLogger("rentcal.test").info("calling with Bearer ya29.SECRET and password=hunter2 for %s", "x")
        logging.getLogger("rentcal.test").info("nothing secret here")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "SECRET" not in err and "hunter2" not in err
    assert "Bearer [redacted]" in err and "password=[redacted]" in err and "nothing secret here" in err
