"""Which Chromium the browser tests drive: the system's when present, else one installed from the OS
packages (as root, with apt-get), else Playwright's own download.

`python -m tests.support.browser` (run by `make test`) makes one available and says which in one line;
tests/e2e/conftest.py launches what `system_chromium()` finds, or Playwright's when it finds none.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _runs(path: str) -> bool:
    try:
        return subprocess.run([path, "--version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def system_chromium() -> str | None:
    """RENTCAL_CHROMIUM, else the first Chromium on PATH that starts (Ubuntu's snap stub does not)."""
    chosen = os.environ.get("RENTCAL_CHROMIUM", "").strip()
    if chosen:
        return chosen
    for name in CANDIDATES:
        path = shutil.which(name)
        if path and _runs(path):
            return path
    return None


def install_from_os_packages() -> bool:
    """`apt-get install chromium` when running as root on a Debian-like system (updating the package
    lists once if the first attempt fails)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    for steps in ([install], [["apt-get", "update"], install]):
        if all(subprocess.run(step, env=env, capture_output=True).returncode == 0 for step in steps):
            return True
    return False


def main() -> None:
    path = system_chromium()
    if path:
        print(f"Browser tests: the system's Chromium ({path})")
        return
    if install_from_os_packages() and (path := system_chromium()):
        print(f"Browser tests: Chromium installed from the OS packages ({path})")
        return
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)
    print("Browser tests: Playwright's own Chromium (playwright install chromium)")


if __name__ == "__main__":
    main()
