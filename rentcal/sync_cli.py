"""`rentcal sync audit [--fix] [--integration N]`: is every item in every calendar exactly once?"""

from __future__ import annotations

import argparse
import asyncio


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sync = sub.add_parser("sync", help="calendar sync tools")
    sync_sub = sync.add_subparsers(dest="sync_command", required=True)
    audit = sync_sub.add_parser("audit", help="list duplicates, orphans, missing and stale events per calendar")
    audit.add_argument(
        "--fix", action="store_true", help="remove duplicates and orphans, write missing and stale events"
    )
    audit.add_argument("--integration", type=int, action="append", help="only this integration (repeatable)")


async def _audit(integration_ids: list[int] | None, fix: bool) -> int:
    from calendars.sync.audit import audit_integration
    from calendars.tables import CalendarIntegration
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=4)
    problems = 0
    try:
        rows = await CalendarIntegration.select(
            CalendarIntegration.id, CalendarIntegration.provider, CalendarIntegration.account_email
        ).where(CalendarIntegration.status == "active")
        for row in sorted(rows, key=lambda r: r["id"]):
            if integration_ids and row["id"] not in integration_ids:
                continue
            report = await audit_integration(row["id"], fix=fix)
            print(f"integration {row['id']} ({row['provider']}, {row['account_email']})")
            for cal in report.calendars:
                if cal.unreadable:
                    print(f"  {cal.calendar}: could not be read: {cal.unreadable}")
                    problems += 1
                    continue
                found = {
                    "duplicates": cal.duplicates,
                    "orphans": cal.orphans,
                    "missing": cal.missing,
                    "stale": cal.stale,
                }
                summary = ", ".join(f"{len(v)} {k}" for k, v in found.items())
                print(f"  {cal.calendar}: {cal.expected} expected; {summary}{' (fixed)' if fix else ''}")
                for name, values in found.items():
                    if values:
                        print(f"    {name}: {', '.join(values[:20])}{' ...' if len(values) > 20 else ''}")
                problems += sum(len(v) for v in found.values())
    finally:
        await close_pool()
    return problems


def run(args: argparse.Namespace) -> None:
    problems = asyncio.run(_audit(args.integration, args.fix))
    if problems and not args.fix:
        raise SystemExit(1)
