"""Line and branch coverage per package after `coverage combine`, as `make test` prints it.

    python -m tests.support.coverage_report [--fail-under PERCENT]

The application packages (rentcal, rental, calendars, portal, widget, tasks) are summed and held to
--fail-under (lines); the sandboxes stand in for other people's servers and are reported on their own.
`coverage report` / `coverage html` give the per-file detail.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import coverage

APPLICATION = ("rentcal", "rental", "calendars", "portal", "widget", "tasks")
SANDBOXES = ("sandboxes",)


@dataclass
class Totals:
    statements: int = 0
    covered_lines: int = 0
    branches: int = 0
    covered_branches: int = 0

    def add(self, summary: dict[str, int]) -> None:
        self.statements += summary["num_statements"]
        self.covered_lines += summary["covered_lines"]
        self.branches += summary.get("num_branches", 0)
        self.covered_branches += summary.get("covered_branches", 0)

    @property
    def lines(self) -> float:
        return 100.0 * self.covered_lines / self.statements if self.statements else 100.0

    @property
    def branch(self) -> float:
        return 100.0 * self.covered_branches / self.branches if self.branches else 100.0

    def row(self, label: str) -> str:
        return (
            f"{label:<34} {self.lines:6.1f}% {self.covered_lines:>6}/{self.statements:<6}"
            f" {self.branch:6.1f}% {self.covered_branches:>5}/{self.branches:<5}"
        )


def package_totals(files: dict[str, dict[str, dict[str, int]]]) -> dict[str, Totals]:
    totals: dict[str, Totals] = {}
    for path, data in files.items():
        package = Path(path).parts[0]
        totals.setdefault(package, Totals()).add(data["summary"])
    return totals


def measured_files() -> dict[str, dict[str, dict[str, int]]]:
    cov = coverage.Coverage()
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(out))
        return dict(json.loads(out.read_text())["files"])


def report(per_package: dict[str, Totals], fail_under: float | None) -> bool:
    header = f"{'coverage':<34} {'lines':>7} {'':13} {'branches':>7}"
    print(header)
    groups = (("application", APPLICATION), ("sandboxes (counted separately)", SANDBOXES))
    results: dict[str, Totals] = {}
    for name, packages in groups:
        total = Totals()
        for package in packages:
            part = per_package.get(package, Totals())
            if len(packages) > 1:
                print(part.row(f"  {package}"))
            for field in ("statements", "covered_lines", "branches", "covered_branches"):
                setattr(total, field, getattr(total, field) + getattr(part, field))
        print(total.row(name))
        results[name] = total
    application = results["application"]
    if fail_under is not None and application.lines < fail_under:
        print(f"FAIL: application line coverage {application.lines:.2f}% is below the required {fail_under}%")
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fail-under", type=float, help="minimum line coverage of the application packages")
    args = parser.parse_args(argv)
    try:
        files = measured_files()
    except coverage.exceptions.NoDataError:
        print("no coverage data: run the tests with `coverage run -m pytest` first")
        sys.exit(2)
    if not report(package_totals(files), args.fail_under):
        sys.exit(2)


if __name__ == "__main__":
    main()
