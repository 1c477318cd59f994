"""The events an imported feed had to skip, with the reason, for the feed's portal page (issue 10)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T12:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed_import skipped events"

FORWARDS = r"""
ALTER TABLE feed_import ADD COLUMN skipped jsonb NOT NULL DEFAULT '[]'::jsonb;
"""

BACKWARDS = r"""
ALTER TABLE feed_import DROP COLUMN IF EXISTS skipped;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
