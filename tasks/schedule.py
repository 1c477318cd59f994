"""Periodic jobs run by the dispatcher loop in `rentcal worker`: (every seconds, coroutine)."""

from __future__ import annotations

from rentcal.settings import get_settings
from tasks.dispatcher import Periodic
from tasks.mail import expire_requests, schedule_feed_imports, schedule_reminders
from tasks.sync import (
    resend_overdue_full_syncs,
    schedule_channel_renewal,
    schedule_inbound_sync,
    schedule_polled_reads,
    schedule_refused_writes,
)

PERIODIC: list[Periodic] = [
    (get_settings().inbound_sync_minutes * 60, schedule_inbound_sync),
    (get_settings().caldav.poll_minutes * 60, schedule_polled_reads),  # providers without push (CalDAV)
    (3600.0, schedule_channel_renewal),
    (300.0, schedule_refused_writes),
    (min(60.0, get_settings().full_sync_retry_seconds / 2), resend_overdue_full_syncs),
    (60.0, schedule_reminders),
    (60.0, schedule_feed_imports),
    (60.0, expire_requests),
]
