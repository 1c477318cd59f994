"""Calendars of providers without push notifications (CalDAV): read on a schedule instead."""

from __future__ import annotations

import calendars.accounts.connections  # noqa: F401 - registers the providers
from calendars.providers.registry import PROVIDERS
from calendars.tables import CalendarTarget


def polled_providers() -> list[str]:
    return sorted(name for name, spec in PROVIDERS.items() if spec.parse_notification is None)


async def polled_targets() -> list[int]:
    """Inbound targets (busy time, or two-way writes) of active integrations whose provider has no push."""
    rows = await CalendarTarget.raw(
        """
        SELECT t.id FROM calendar_target t JOIN calendar_integration i ON i.id = t.integration
        WHERE i.status = 'active' AND i.provider = ANY({})
          AND (t.read_busy OR (jsonb_array_length(t.write_kinds) > 0 AND i.direction = 'two_way'))
        ORDER BY t.id
        """,
        polled_providers(),
    )
    return [int(r["id"]) for r in rows]
