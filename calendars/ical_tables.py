"""Tables of the iCalendar features: sent invitations, reminders, feed tokens, imported feeds."""

from __future__ import annotations
