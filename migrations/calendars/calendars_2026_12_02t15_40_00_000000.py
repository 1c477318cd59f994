"""Whether we may write to a chosen calendar (CalDAV privileges, Google access role, Graph canEdit), and why
writing there stopped when the server refused a write as read-only (issue 12)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar_target writable and write_error"

FORWARDS = r"""
ALTER TABLE calendar_target ADD COLUMN writable boolean NOT NULL DEFAULT true;
ALTER TABLE calendar_target ADD COLUMN write_error text NOT NULL DEFAULT '';
"""

BACKWARDS = r"""
ALTER TABLE calendar_target DROP COLUMN IF EXISTS write_error;
ALTER TABLE calendar_target DROP COLUMN IF EXISTS writable;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
